"""``stockpile convert``: an instance between YAML, JSON and an Excel workbook."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_INPUT, EXIT_OK, err, load
from .progress import add_quiet

if TYPE_CHECKING:
    from ..instance import Instance

FORMATS = (".yaml", ".yml", ".json", ".xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("convert", help="write an instance as YAML, JSON or an Excel workbook "
                                       "(e.g. a template to edit in Excel)")
    c.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    c.add_argument("out", type=Path, help="file to write; its ending picks the format")
    c.set_defaults(run=cmd_convert)
    add_quiet(c)


def write_instance(inst: Instance, out: Path) -> None:
    """Write ``inst`` in the format ``out``'s ending names (all at once: temporary file, then
    moved into place)."""
    from ..instance import dump_yaml

    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from ..instance.workbook import write_workbook

        write_workbook(inst, out)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".json":
        tmp.write_text(json.dumps(inst.model_dump(mode="json", by_alias=True,
                                                  exclude_defaults=True), indent=1) + "\n",
                       encoding="utf-8")
    else:
        from ..instance import dump_yaml

        dump_yaml(inst, tmp)
    tmp.replace(out)


def cmd_convert(args: argparse.Namespace) -> int:
    from ..instance import content_hash

    if args.out.suffix.lower() not in FORMATS:
        err(f"stockpile convert: out: value '{args.out}': must end in {', '.join(FORMATS)}")
        return EXIT_INPUT

    inst = load(args.instance)
    tmp = args.out.with_name(f".{args.out.stem}.part{args.out.suffix}")
    try:
        write_instance(inst, tmp)
        if content_hash(load(tmp)) != content_hash(inst):  # never leave a file that differs
            err(f"stockpile convert: {args.out} would not read back to the same instance; "
                "nothing written.")
            return EXIT_INPUT
        tmp.replace(args.out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"{args.out}: instance '{inst.name}', content hash {content_hash(inst)} "
          "(reads back unchanged)")
    return EXIT_OK
