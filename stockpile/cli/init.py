"""``stockpile init OUT``: a starting instance to fill in, as commented YAML or as an Excel
workbook (units in the headers, comments on them, drop-down lists of ids).

The template is a small valid instance (every block used once, placeholder figures), so
``stockpile validate`` and ``stockpile solve`` work on it at once; replace the figures with
yours. Nothing is overwritten unless --force."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import EXIT_INPUT, EXIT_OK, err
from .progress import add_quiet

TEMPLATE = """\
# A stockpile instance to fill in (docs/instance-format.md explains every field).
# Units: tonnes (t), US dollars (USD), years (yr), cubic metres (m3). Shares are 0-1.
# Every figure below is a PLACEHOLDER: replace it with your own data and sources.
name: my_stockpile            # letters, digits, _ . - ; reports go to reports/<name>/
description: 'Template from stockpile init: one holder, one material in two forms.'
holding_years: 5              # Y: years of holding cost the objective charges (yr)
periods:                      # the horizon a disruption plays out over
- id: y1
  years: 1                    # L_t (yr)
- id: y2-3
  years: 2
holders:                      # who keeps a stockpile
- id: HOLDER-A
  name: Holder A national stockpile
  budget: 100000000           # B_h: acquisition budget (USD)
  facilities:                 # leave out for no storage limit
  - id: HOLDER-A-depot
    capacity: 5000            # C_f (m3)
    fixed_cost: 1000000       # gamma_f: paid if the facility is used (USD)
materials:
- id: gallium
  name: Gallium
  world_production: 900       # W_m (t/yr)
  market_cap_share: 0.05      # beta_m: all holders together buy at most beta_m * W_m (t)
products:                     # grades or forms of a material
- id: ga-4n
  material: gallium
  grade: metal 99.99%
  price: 220000               # p_k (USD/t)
  lot: 1                      # purchases come in whole lots (t)
  holding_cost: 2000          # rho_k (USD/t/yr)
  volume: 0.2                 # vol_k (m3/t)
- id: ga-6n
  material: gallium
  grade: metal 99.9999%
  price: 500000
  lot: 0.5
  holding_cost: 5000
  volume: 0.2
tiers:                        # how costly a tonne of unmet demand is, by use
- id: essential
- id: general
demand:
- holder: HOLDER-A
  product: ga-6n
  annual: 20                  # d_hk (t/yr)
  shortfall:                  # shares sum to 1; cost per tonne unmet (USD/t)
  - tier: essential
    share: 0.3
    cost: 50000000
  - tier: general
    share: 0.7
    cost: 1000000
inventory:                    # what is already held (t)
- holder: HOLDER-A
  product: ga-4n
  tonnes: 2
programmes:                   # fixed cost of starting a programme for a material (USD)
- holder: HOLDER-A
  material: gallium
  fixed_cost: 500000
routes:                       # conversion during a disruption, within a material
- id: refine-4n-6n
  from: ga-4n
  to: ga-6n
  yield: 0.9                  # t out per t in
  cost: 20000                 # USD per input tonne
  capacity:
    HOLDER-A: 10              # t input per year
scenarios:                    # probabilities sum to 1
- id: calm
  probability: 0.8
  description: No disruption
- id: export-ban
  probability: 0.2
  description: Exporter licenses gallium; supply to 10% in year 1, 60% after
  events: []
  supply:
  - material: gallium
    values: [0.1, 0.6]        # share of normal supply that still arrives, per period
sources:
- 'PLACEHOLDER: name the source of every figure'
"""


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("init", help="write a starting instance to fill in (.yaml or .xlsx)")
    s.set_defaults(run=cmd_init)
    s.add_argument("out", type=Path, help="file to write: .yaml/.yml (commented) or .xlsx "
                                          "(units in headers, comments, drop-down lists)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_quiet(s)


def cmd_init(args: argparse.Namespace) -> int:
    from ..instance import parse
    from .convert import write_instance

    suffix = args.out.suffix.lower()
    if suffix not in (".yaml", ".yml", ".xlsx"):
        err(f"stockpile init: out: value '{args.out}': must end in .yaml, .yml or .xlsx; "
            "nothing written.")
        return EXIT_INPUT
    if args.out.exists() and not args.force:
        err(f"stockpile init: {args.out} exists; give --force to overwrite it; nothing written.")
        return EXIT_INPUT
    import yaml

    inst = parse(yaml.safe_load(TEMPLATE))  # the template is a valid instance
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        write_instance(inst, args.out)
    else:
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(TEMPLATE, encoding="utf-8")
        tmp.replace(args.out)
    print(f"wrote {args.out}: a template instance '{inst.name}' with placeholder figures; "
          f"check it with 'stockpile validate {args.out}'")
    return EXIT_OK
