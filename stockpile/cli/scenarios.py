"""``stockpile scenarios``: sample disruption scenarios from the event library into an
instance file (optionally reduced by fast forward selection)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from .common import EXIT_INPUT, EXIT_OK, err, positive_float
from .progress import add_quiet


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


def sampling_options(args: argparse.Namespace) -> Any:
    """The sampling options of the command line (scenarios, evaluate, frontier)."""
    from ..scenarios.pipeline import SampleOptions

    return SampleOptions(args.n, args.seed, args.rate_scale, args.structure,
                         args.conflict_years, args.recovery_years, args.conflict_factor,
                         args.keep_periods)


def cmd_scenarios(args: argparse.Namespace) -> int:
    from ..instance import load
    from ..instance.schema import safe_name_from
    from ..report import evaluate_report as rep
    from ..report.scenarios_report import scenarios_files
    from ..scenarios.pipeline import ScenariosOptions, run_scenarios

    try:
        if args.out.suffix.lower() not in (".yaml", ".yml"):
            raise ValueError(f"--out {args.out}: the file must end in .yaml or .yml")
        # the new instance is named after its file: its reports go to their own folder
        options = ScenariosOptions(sampling_options(args), args.reduce,
                                   safe_name_from(args.out.stem))
    except ValueError as e:
        err(f"stockpile scenarios: {e}; nothing written.")
        return EXIT_INPUT
    result = run_scenarios(load(args.instance), options)
    if result.unmatched:
        err(f"note: no supply data for materials {', '.join(result.unmatched)}: only demand "
            "surges and midstream outages reach them (name them as in the USGS data, e.g. "
            "gallium)")
    # the short summary goes to stdout; --quiet only silences progress lines
    print(f"sampled {args.n} scenarios (seed {args.seed}, structure {args.structure}):")
    for kind in result.event_types:
        print(f"  {kind.type:13s} {kind.events:7d} events hitting instance materials, "
              f"mean depth {kind.mean_depth:.2f}")
    print(f"  scenarios with some disruption: {result.disrupted_share:.1%}")
    if result.reduced_to is not None:
        print(f"reduced to {result.reduced_to} scenarios by fast forward selection "
              f"(Kantorovich distance {result.distance:,.0f} USD: unmet demand priced at the "
              "mean tier cost)")
    new = result.instance
    _write_yaml_atomically(new, args.out)
    report_dir = args.report or Path("reports") / new.name / "scenarios"
    written = rep.write_files(scenarios_files(result.summary(str(args.out)), new), report_dir)
    print(f"wrote {args.out} ({len(new.scenarios)} scenarios)")
    print(f"report: {report_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
