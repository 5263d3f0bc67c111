"""``stockpile scenarios``: sample disruption scenarios from the event library into an
instance file (optionally reduced by fast forward selection)."""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .common import EXIT_INPUT, EXIT_OK, err, positive_float
from .progress import add_quiet

MAX_REDUCE = 5000


def whole(minimum: int):  # noqa: ANN201
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"value {text!r}: must be a whole number") \
                from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"value {text!r}: must be >= {minimum}")
        return value
    return parse


def add_sampling_options(p: argparse.ArgumentParser, n: int, seed: int) -> None:
    p.add_argument("--n", type=whole(1), default=n, help=f"scenarios to sample (default {n})")
    p.add_argument("--seed", type=whole(0), default=seed, help=f"random seed (default {seed})")
    p.add_argument("--rate-scale", type=positive_float, default=1.0,
                   help="multiply every event rate (stress test; default 1)")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("scenarios", help="generate disruption scenarios into an instance file")
    s.set_defaults(run=cmd_scenarios)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    s.add_argument("--out", type=Path, required=True,
                   help="instance file to write (.yaml or .yml) with the generated scenarios")
    add_sampling_options(s, 1000, 1)
    s.add_argument("--reduce", type=whole(1), default=None, metavar="N",
                   help="keep N scenarios by fast forward selection, with probabilities")
    add_structure_options(s)
    s.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="report of what was sampled (default: reports/<new name>/scenarios/)")
    add_quiet(s)


def add_structure_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("--structure", choices=("instance", "nds"), default="instance",
                   help="instance: events start in any period of the instance; nds: a "
                        "conflict phase in which events start, then recovery years (the "
                        "National Defense Stockpile's structure)")
    s.add_argument("--keep-periods", action="store_true",
                   help="nds: keep the instance's periods, the first being the conflict phase")
    s.add_argument("--conflict-years", type=positive_float, default=1.0,
                   help="nds: length of the conflict phase in years (default 1)")
    s.add_argument("--recovery-years", type=whole(0), default=3,
                   help="nds: recovery years after the conflict phase (default 3)")
    s.add_argument("--conflict-factor", type=positive_float, default=1.0,
                   help="event rates in the conflict phase times this (nds only)")


def _bad_arguments(args: argparse.Namespace) -> str | None:
    """Why the arguments cannot be run (checked before anything is sampled), or None."""
    if args.out.suffix.lower() not in (".yaml", ".yml"):
        return f"--out {args.out}: the file must end in .yaml or .yml"
    if args.reduce is not None and args.reduce > args.n:
        return f"--reduce {args.reduce}: must be at most --n ({args.n})"
    if args.reduce is not None and args.n > MAX_REDUCE:
        return (f"--n {args.n} with --reduce: fast forward selection keeps an n x n distance "
                f"matrix; at most {MAX_REDUCE} scenarios")
    return None


def _event_summary(sset: Any) -> tuple[list[dict[str, Any]], float]:
    """Events per kind that hit the instance's materials (printed), and the share of
    scenarios with some disruption."""
    import numpy as np

    from ..scenarios.generator import EVENT_TYPES

    ev = sset.events
    hit = ev["materials"].any(axis=1) if ev else np.zeros(0, bool)
    event_types = []
    for i, kind in enumerate(EVENT_TYPES):
        mask = (ev["type"] == i) & hit if ev else np.zeros(0, bool)
        if mask.any():
            event_types.append({"type": kind, "events": int(mask.sum()),
                                "mean_depth": float(ev["depth"][mask].mean())})
            print(f"  {kind:13s} {int(mask.sum()):7d} events hitting instance materials, "
                  f"mean depth {ev['depth'][mask].mean():.2f}")
    disrupted = (sset.supply < 1).any(axis=(1, 2, 3)) | (sset.demand_mult > 1).any(
        axis=(1, 2, 3)) | (sset.capacity_mult < 1).any(axis=(1, 2, 3))
    return event_types, float(disrupted.mean())


def _reduce(inst: Any, sset: Any, n: int) -> tuple[Any, float]:
    """Fast forward selection of ``n`` scenarios: the subset and its Kantorovich distance."""
    import numpy as np

    from ..model.data import model_data
    from ..scenarios import fast_forward, features

    base = replace(model_data(inst, "national"), periods=[p.id for p in sset.periods],
                   years=np.array([p.years for p in sset.periods]))
    data = sset.apply(base)
    sel, q, dist = fast_forward(features(data), data.probability, n)
    return sset.subset(sel, q), float(dist)


def _write_yaml_atomically(new: Any, out: Path) -> None:
    """The instance to ``out`` through a temporary file beside it: all or nothing."""
    from ..instance import dump_yaml
    from ..report.files import current_umask

    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=out.suffix)
    os.close(fd)
    try:
        dump_yaml(new, tmp)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; a written file is the user's
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_scenarios(args: argparse.Namespace) -> int:
    from ..instance import load
    from ..instance.schema import safe_name_from
    from ..scenarios import DEFAULT_LIBRARY, sample, with_scenarios
    from ..scenarios.calibration import match_material

    bad = _bad_arguments(args)
    if bad:
        err(f"stockpile scenarios: {bad}; nothing written.")
        return EXIT_INPUT
    inst = load(args.instance)
    library = DEFAULT_LIBRARY.scaled(args.rate_scale)
    sset = sample(inst, args.n, args.seed, library, args.structure, args.conflict_years,
                  args.recovery_years, args.conflict_factor, keep_periods=args.keep_periods)
    unmatched = [m.id for m in inst.materials if match_material(m.id, m.name) is None]
    if unmatched:
        err(f"note: no supply data for materials {', '.join(unmatched)}: only demand surges "
            "and midstream outages reach them (name them as in the USGS data, e.g. gallium)")
    # the short summary goes to stdout; --quiet only silences progress lines
    print(f"sampled {args.n} scenarios (seed {args.seed}, structure {args.structure}):")
    event_types, disrupted = _event_summary(sset)
    print(f"  scenarios with some disruption: {disrupted:.1%}")
    summary = {"source": inst.name, "n": args.n, "seed": args.seed,
               "structure": args.structure, "rate_scale": args.rate_scale,
               "disrupted_share": disrupted, "event_types": event_types,
               "file": str(args.out), "reduced_to": None, "distance": None}
    note = (f"scenarios: stockpile scenarios --n {args.n} --seed {args.seed} --structure "
            f"{args.structure} --rate-scale {args.rate_scale:g}")
    if args.reduce is not None:
        sset, dist = _reduce(inst, sset, args.reduce)
        note += f" --reduce {args.reduce} (fast forward selection, distance {dist:.6g})"
        summary.update(reduced_to=args.reduce, distance=dist)
        print(f"reduced to {args.reduce} scenarios by fast forward selection "
              f"(Kantorovich distance {dist:,.4g})")
    # the new instance is named after its file: its reports go to their own folder
    new = with_scenarios(inst, sset, note, name=safe_name_from(args.out.stem))
    _write_yaml_atomically(new, args.out)
    report_dir = args.report or Path("reports") / new.name / "scenarios"
    written = _write_report(summary, new, report_dir)
    print(f"wrote {args.out} ({len(new.scenarios)} scenarios)")
    print(f"report: {report_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK


def _write_report(summary: dict, new: Any, out_dir: Path) -> list[Path]:
    from ..report import evaluate_report as rep
    from ..report.html import html_document
    from ..report.markdown import markdown
    from ..report.scenarios_report import exposure_chart, scenario_rows, scenarios_document

    doc = scenarios_document(summary, new)
    return rep.write_files({
        "scenarios.md": markdown(doc),
        "scenarios.html": html_document(doc, {}, exposure_chart(new), ok=True),
        "scenarios.xlsx": doc,
        "scenarios.json": {**summary, "scenarios": scenario_rows(new)}}, out_dir)
