"""Instances as Excel workbooks: one sheet per block, one row per entry.

A ministry's analysts keep their figures in spreadsheets; this is the same instance format as
the YAML one (docs/instance-format.md), laid out as tables. ``write_workbook`` writes any
instance (so a shipped YAML instance becomes an editable template) and ``read_workbook``
reads it back into the plain data that :func:`stockpile.instance.parse` validates, with a
map from each entry to its sheet and row so that every problem is reported where the user
can find it ("sheet 'demand', row 5").

Sheets (first row: column names; an empty cell takes the format's default):

=================  =========================================================================
instance           two columns, ``field`` and ``value``: name, description, currency,
                   holding_years, capital_cost_rate, capital_cost_source (extension E1)
sources            ``source``: one provenance line per row
periods            id, years
holders            id, name, budget
facilities         holder, id, capacity, fixed_cost
materials          id, name, world_production, market_cap_share
products           id, material, grade, price, lot, holding_cost, volume,
                   residual_value_share, metal_content, metal_content_source
tiers              id, name
demand             holder, product, annual, then ``<tier> share`` and ``<tier> cost`` for
                   every tier (both empty: the tier is not listed for that row)
inventory          holder, product, tonnes
programmes         holder, material, fixed_cost
agreements         holder_1, holder_2, material, fixed_cost, share_cap, transport_cost
routes             id, from, to, yield, cost
route_capacity     route, holder, capacity
scenarios          id, probability, description, events (ids separated by ``;``)
supply             scenario, holder, product, material, all_periods, then one column per
                   period id (a_hkts; ``all_periods`` for one value in every period)
demand_multiplier  the same columns (mu_hkts)
conversion         scenario, holder, route, all_periods, then one column per period (g_hrts)
assumptions        figure, basis (sourced, derived or assumed), source
stress_tests       the named analogues, as ``scenarios`` (probability ignored); their
                   effects in ``stress_supply``, ``stress_demand_multiplier``,
                   ``stress_conversion``
=================  =========================================================================
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .limits import XLSX_LOAD_BYTES_PER_BYTE, check_memory, input_limit_bytes, read_bytes
from .schema import Instance
from .validate import InstanceError, Problem, echo

TOP = ("name", "description", "currency", "holding_years")
SIMPLE: dict[str, tuple[str, ...]] = {
    "periods": ("id", "years"),
    "holders": ("id", "name", "budget"),
    "materials": ("id", "name", "world_production", "market_cap_share"),
    "products": ("id", "material", "grade", "price", "lot", "holding_cost", "volume",
                 "residual_value_share", "metal_content", "metal_content_source"),
    "tiers": ("id", "name"),
    "inventory": ("holder", "product", "tonnes"),
    "programmes": ("holder", "material", "fixed_cost"),
    "routes": ("id", "from", "to", "yield", "cost"),
    "assumptions": ("figure", "basis", "source"),
}
TEXT = {"id", "name", "material", "grade", "holder", "product", "from", "to", "route",
        "scenario", "description", "holder_1", "holder_2", "source", "field", "events",
        "metal_content_source", "figure", "basis"}
EFFECTS = {"supply": "supply", "demand_multiplier": "demand", "conversion": "conversion"}
ALL = "all_periods"
CAPITAL = ("capital_cost_rate", "capital_cost_source")  # the capital_cost block, in 'instance'
SCENARIO_BLOCKS = (("scenarios", ""), ("stress_tests", "stress_"))  # block, effect-sheet prefix

MAX_COLUMNS = 1000
"""Widest sheet read (an instance's widest sheet has 5 + periods or 3 + 2 x tiers columns)."""
MAX_ROWS = 1_048_576
"""Excel's own last row; a cell beyond it is a forged file."""
MAX_MEMBERS = 1000
INFLATE_FACTOR = 4
"""A workbook's zip members may inflate to at most INFLATE_FACTOR times the input limit in
all, checked on the sizes the zip declares before anything is inflated (Python's zipfile
never inflates a member beyond its declared size)."""


# ---- reading -----------------------------------------------------------------------------------
def _cell(column: str, value: Any) -> Any:
    """A cell as the schema expects it: text columns as text (Excel turns "2026" into 2026)."""
    if isinstance(value, str):
        value = value.strip()
        return value if value else None
    if column in TEXT and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _column(h: Any) -> str:
    """A header cell as its column name: the unit in brackets that the writer adds, e.g.
    "budget (USD)", is dropped."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", str(h)).strip() if h is not None else ""


def _cells(ws: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, cells) of the rows a sheet's XML holds, as openpyxl's parser reads them.

    Read directly rather than through ``iter_rows``, which trusts the sheet's declared
    dimensions and pads every row to the widest one (one cell at XFD1048576 would make it
    produce 17 billion empty cells)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=False,
                                 epoch=ws.parent.epoch, date_formats=ws.parent._date_formats,
                                 timedelta_formats=ws.parent._timedelta_formats)
        yield from parser.parse()


def _rows(wb: Any, sheet: str, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column: value}) of the non-empty rows of a sheet; [] if it is absent.

    A formula, or a cell beyond column MAX_COLUMNS or row MAX_ROWS, is a problem naming the
    cell: a formula's cached value may be stale or absent (a holding cost ``=2*5`` saved by a
    program that does not calculate would read as empty)."""
    from openpyxl.utils import get_column_letter

    if sheet not in wb.sheetnames:
        return []
    head: list[str] = []
    out: list[tuple[int, dict[str, Any]]] = []
    for n, cells in _cells(wb[sheet]):
        values: dict[int, Any] = {}
        for c in cells:
            col = c["column"]
            where = f"sheet '{sheet}', cell {get_column_letter(min(col, 18278))}{n}"
            if n > MAX_ROWS or col > MAX_COLUMNS:
                problems.append(Problem(where, c["value"], f"beyond the {MAX_COLUMNS} columns "
                                        f"and {MAX_ROWS:,} rows an instance sheet may use"))
                return out
            if c["data_type"] == "f":
                problems.append(Problem(where, c["value"], "is a formula: type its value "
                                        "(stockpile reads values, not formulas)"))
                continue
            values[col] = c["value"]
        if n == 1:
            width = max(values, default=0)
            head = [_column(values.get(j)) for j in range(1, width + 1)]
            continue
        rec = {h: _cell(h, values.get(j)) for j, h in enumerate(head, start=1) if h}
        rec = {h: v for h, v in rec.items() if v is not None}
        if rec:
            out.append((n, rec))
    return out


def _open(path: Path) -> Any:
    """The workbook, after checking the file's size and its zip members' declared sizes."""
    from openpyxl import load_workbook

    data = read_bytes(path)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = z.infolist()
        inflated = sum(m.file_size for m in members)
        limit = INFLATE_FACTOR * input_limit_bytes()
        if len(members) > MAX_MEMBERS or inflated > limit:
            raise InstanceError(str(path), [Problem(
                "(file)", f"{len(members)} members, {inflated:,} bytes inflated",
                f"a workbook may hold at most {MAX_MEMBERS} members inflating to "
                f"{limit:,} bytes ({INFLATE_FACTOR} x the input limit)")])
        check_memory(str(path), inflated, XLSX_LOAD_BYTES_PER_BYTE, "bytes of XML")
        for m in members:  # a DTD can declare entities: no part of a workbook needs one
            if m.filename.endswith((".xml", ".rels")):
                with z.open(m) as part:
                    head = part.read(65536)
                if b"<!DOCTYPE" in head.upper():
                    raise InstanceError(str(path), [Problem(
                        "(file)", m.filename, "declares a DTD (<!DOCTYPE ...>), which can "
                        "define entities; a workbook never needs one")])
    return load_workbook(io.BytesIO(data), read_only=True, data_only=False)


def read_workbook(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The instance data of a workbook and where each entry came from.

    Returns ``(raw, places)``: ``raw`` for :func:`parse`, ``places`` maps an entry's path in
    the instance (``"demand[3]"``, ``"scenarios[0].supply[2]"``) to ``"sheet 'demand', row
    5"``. Raises :class:`InstanceError` if the file is not a readable workbook.
    """
    path = Path(path)
    try:
        return _read(path)
    except InstanceError:
        raise
    except Exception as err:
        raise InstanceError(str(path), [Problem("(file)", path.name, (
            f"not a readable .xlsx workbook: {type(err).__name__}: {echo(str(err))}"))]) \
            from None


def _read(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    wb = _open(path)
    raw: dict[str, Any] = {}
    places: dict[str, str] = {}
    problems: list[Problem] = []

    def place(key: str, sheet: str, n: int) -> None:
        places[key] = f"sheet '{sheet}', row {n}"

    def rows(sheet: str) -> list[tuple[int, dict[str, Any]]]:
        return _rows(wb, sheet, problems)

    for n, rec in rows("instance"):
        if "field" in rec and "value" in rec:
            raw[str(rec["field"])] = _cell(str(rec["field"]), rec["value"])
            place(str(rec["field"]), "instance", n)
    if any(k in raw for k in CAPITAL):
        raw["capital_cost"] = {k.removeprefix("capital_cost_"): raw.pop(k)
                               for k in CAPITAL if k in raw}
    sources = [str(rec["source"]) for _, rec in rows("sources") if "source" in rec]
    if sources:
        raw["sources"] = sources
    for block in SIMPLE:
        block_rows = rows(block)
        if block_rows or block in wb.sheetnames:
            raw[block] = [rec for _, rec in block_rows]
            for i, (n, _) in enumerate(block_rows):
                place(f"{block}[{i}]", block, n)
    _read_nested(rows, raw, place, problems)
    wb.close()
    if problems:
        raise InstanceError(str(path), problems)
    return raw, places


def _read_nested(rows: Any, raw: dict[str, Any], place: Any, problems: list[Problem]) -> None:
    """The sheets that fill lists inside other entries: facilities, capacities, demand tiers,
    agreements' holder pairs, scenario effects."""
    holders = {h.get("id"): h for h in raw.get("holders", [])}
    pos = {h.get("id"): i for i, h in enumerate(raw.get("holders", []))}
    counts: dict[Any, int] = defaultdict(int)
    for n, rec in rows("facilities"):
        owner = rec.pop("holder", None)
        if owner not in holders:
            problems.append(Problem(f"sheet 'facilities', row {n}, holder", owner,
                                    "names no holder of sheet 'holders'"))
            continue
        holders[owner].setdefault("facilities", []).append(rec)
        place(f"holders[{pos[owner]}].facilities[{counts[owner]}]", "facilities", n)
        counts[owner] += 1
    routes = {r.get("id"): r for r in raw.get("routes", [])}
    for n, rec in rows("route_capacity"):
        r = routes.get(rec.get("route"))
        if r is None:
            problems.append(Problem(f"sheet 'route_capacity', row {n}, route", rec.get("route"),
                                    "names no route of sheet 'routes'"))
            continue
        r.setdefault("capacity", {})[rec.get("holder")] = rec.get("capacity")
    raw["demand"] = []
    for i, (n, rec) in enumerate(rows("demand")):
        entry = {k: rec[k] for k in ("holder", "product", "annual") if k in rec}
        tiers: dict[str, dict[str, Any]] = {}
        for col, v in rec.items():
            for what in ("share", "cost"):
                if col.endswith(f" {what}"):
                    tiers.setdefault(col[: -len(what) - 1], {})[what] = v
        entry["shortfall"] = [{"tier": t, **d} for t, d in tiers.items()]
        raw["demand"].append(entry)
        place(f"demand[{i}]", "demand", n)
    agreements = []
    for i, (n, rec) in enumerate(rows("agreements")):
        rec["holders"] = [rec.pop("holder_1", None), rec.pop("holder_2", None)]
        agreements.append(rec)
        place(f"agreements[{i}]", "agreements", n)
    raw["agreements"] = agreements
    for block, prefix in SCENARIO_BLOCKS:
        _read_scenarios(rows, raw, place, problems, block, prefix)


def _read_scenarios(rows: Any, raw: dict[str, Any], place: Any, problems: list[Problem],
                    block: str, prefix: str) -> None:
    """One block of scenarios (``scenarios`` or ``stress_tests``) and its effect sheets."""
    scenarios = []
    index = {}
    for i, (n, rec) in enumerate(rows(block)):
        if "events" in rec:
            rec["events"] = [e.strip() for e in str(rec["events"]).split(";") if e.strip()]
        scenarios.append(rec)
        index[rec.get("id")] = i
        place(f"{block}[{i}]", block, n)
    periods = [str(p.get("id")) for p in raw.get("periods", [])]
    for base, field in EFFECTS.items():
        sheet = prefix + base
        for n, rec in rows(sheet):
            sid = rec.pop("scenario", None)
            if sid not in index:
                problems.append(Problem(f"sheet '{sheet}', row {n}, scenario", sid,
                                        f"names no scenario of sheet '{block}'"))
                continue
            entry = {k: rec[k] for k in ("holder", "product", "material", "route") if k in rec}
            if ALL in rec:
                entry["values"] = rec[ALL]
            else:
                entry["values"] = [rec.get(p) for p in periods]
            effects = scenarios[index[sid]].setdefault(field, [])
            place(f"{block}[{index[sid]}].{field}[{len(effects)}]", sheet, n)
            effects.append(entry)
    if scenarios or block == "scenarios":
        raw[block] = scenarios


# ---- writing -----------------------------------------------------------------------------------
def _scenario_sheets(d: dict[str, Any], periods: list[str]) -> dict[str, list[list[Any]]]:
    """The scenario and stress-test sheets: one row per scenario, one per effect."""
    sheets: dict[str, list[list[Any]]] = {}
    for block, prefix in SCENARIO_BLOCKS:
        if block == "stress_tests" and not d[block]:
            continue
        sheets[block] = [["id", "probability", "description", "events"]] + [
            [s["id"], s["probability"], s["description"], "; ".join(s["events"])]
            for s in d[block]]
        for sheet, field in EFFECTS.items():
            keys = (["holder", "route"] if field == "conversion"
                    else ["holder", "product", "material"])
            rows = sheets[prefix + sheet] = [["scenario", *keys, ALL, *periods]]
            for s in d[block]:
                for e in s[field]:
                    v = e["values"]
                    vals = [v, *[None] * len(periods)] if not isinstance(v, list) else [None, *v]
                    rows.append([s["id"], *[e.get(k) for k in keys], *vals])
    return sheets


def _sheets(d: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Every sheet of the workbook as rows, the header first, in sheet order."""
    periods = [p["id"] for p in d["periods"]]
    tiers = [t["id"] for t in d["tiers"]]
    sheets: dict[str, list[list[Any]]] = {
        "instance": [["field", "value"]] + [[k, d[k]] for k in TOP] + (
            [[f"capital_cost_{k}", d["capital_cost"][k]] for k in ("rate", "source")]
            if d.get("capital_cost") else []),
        "sources": [["source"]] + [[s] for s in d["sources"]],
    }
    for block, cols in SIMPLE.items():
        sheets[block] = [list(cols)] + [[e.get(c) for c in cols] for e in d[block]]
    sheets["facilities"] = [["holder", "id", "capacity", "fixed_cost"]] + [
        [h["id"], f["id"], f["capacity"], f["fixed_cost"]]
        for h in d["holders"] for f in h["facilities"]]
    sheets["route_capacity"] = [["route", "holder", "capacity"]] + [
        [r["id"], h, c] for r in d["routes"] for h, c in r["capacity"].items()]
    head = ["holder", "product", "annual"] + [f"{t} {w}" for t in tiers for w in ("share", "cost")]
    sheets["demand"] = [head]
    for e in d["demand"]:
        by = {s["tier"]: s for s in e["shortfall"]}
        sheets["demand"].append([e["holder"], e["product"], e["annual"]] + [
            by[t][w] if t in by else None for t in tiers for w in ("share", "cost")])
    sheets["agreements"] = [["holder_1", "holder_2", "material", "fixed_cost", "share_cap",
                             "transport_cost"]] + [
        [*a["holders"], a["material"], a["fixed_cost"], a["share_cap"], a["transport_cost"]]
        for a in d["agreements"]]
    sheets.update(_scenario_sheets(d, periods))
    return sheets


def _fill_sheet(ws: Any, name: str, rows: list[list[Any]]) -> None:
    """Rows into a worksheet: a bold header with a note per column, values as text cells
    where they could be read as formulas, pick lists, the header row frozen."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    from ..report.cells import as_text_cells

    ws.append([_header(c) for c in rows[0]])
    for row in rows[1:]:
        ws.append(row)
        as_text_cells(ws[ws.max_row])  # an id "=1+1" stays text, never a formula
        for cell in ws[ws.max_row]:
            _exact(cell)
    for j, c in enumerate(ws[1]):
        c.font = Font(bold=True)
        note = _note(name, rows[0][j])
        if note:
            c.comment = Comment(note, "stockpile")
        ws.column_dimensions[c.column_letter].width = max(12, len(str(c.value)) + 2)
    _pick_lists(ws, rows[0])
    ws.freeze_panes = "A2"


def write_workbook(inst: Instance, path: str | Path) -> None:
    """Write ``inst`` as a workbook that :func:`read_workbook` reads back to the same
    instance (same content hash)."""
    from openpyxl import Workbook

    sheets = _sheets(inst.model_dump(mode="json", by_alias=True))
    wb = Workbook()
    if wb.active is not None:  # the empty sheet a new workbook starts with
        wb.remove(wb.active)
    for name, rows in sheets.items():
        _fill_sheet(wb.create_sheet(name), name, rows)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)


UNITS = {"budget": "USD", "capacity": "m3", "fixed_cost": "USD", "world_production": "t/yr",
         "market_cap_share": "0-1", "price": "USD/t", "lot": "t", "holding_cost": "USD/t/yr",
         "volume": "m3/t", "annual": "t/yr", "tonnes": "t", "years": "yr",
         "probability": "0-1", "share_cap": "0-1", "transport_cost": "USD/t",
         "yield": "t out per t in", "cost": "USD/t", "holding_years": "yr",
         "residual_value_share": "0-1", "capital_cost_rate": "per yr",
         "metal_content": "t material per t"}
ID_SHEET = {"holder": "holders", "holder_1": "holders", "holder_2": "holders",
            "product": "products", "material": "materials", "scenario": "scenarios",
            "route": "routes", "from": "products", "to": "products"}
NOTES = {"all_periods": "one value for every period; or leave empty and give one per period",
         "events": "ids of the real events it is drawn from, separated by ;"}


def _header(column: str) -> str:
    """The header written for a column: its name and, for a number, its unit in brackets
    (the reader drops the brackets)."""
    if column.endswith(" share"):
        return f"{column} (0-1)"
    if column.endswith(" cost") and column != "fixed_cost":
        return f"{column} (USD/t unmet)"
    unit = UNITS.get(column)
    return f"{column} ({unit})" if unit else column


def _note(sheet: str, column: str) -> str:
    """A header's comment: the schema's description of the field, where there is one."""
    from pydantic import BaseModel

    from . import schema

    models: dict[str, type[BaseModel]] = {
        "periods": schema.Period, "holders": schema.Holder, "facilities": schema.Facility,
        "materials": schema.Material, "products": schema.Product, "tiers": schema.Tier,
        "demand": schema.Demand, "inventory": schema.Inventory,
        "programmes": schema.Programme, "agreements": schema.Agreement,
        "routes": schema.Route, "scenarios": schema.Scenario}
    model = models.get(sheet)
    if column in NOTES:
        return NOTES[column]
    if column in ID_SHEET and sheet != ID_SHEET[column]:
        return f"an id from sheet '{ID_SHEET[column]}' (pick from the list)"
    if model is not None:
        f = model.model_fields.get(column) or model.model_fields.get(f"{column}_")
        if f is not None and f.description:
            return f.description
    return ""


def _pick_lists(ws: Any, columns: list[str]) -> None:
    """Drop-down lists of the ids a column refers to (holders, products, ...)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for j, column in enumerate(columns, start=1):
        target = ID_SHEET.get(column)
        if target is None or target == ws.title:
            continue
        dv = DataValidation(type="list", formula1=f"={target}!$A$2:$A$1000", allow_blank=True,
                            showErrorMessage=False)
        letter = get_column_letter(j)
        dv.add(f"{letter}2:{letter}1000")
        ws.add_data_validation(dv)


class _FullPrecision:
    """A float that openpyxl writes with all the digits that give it back (its repr)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __str__(self) -> str:
        return repr(self.value)


def _exact(cell: Any) -> None:
    """A float that 16 significant digits (what openpyxl writes) would not give back exactly
    stays a numeric cell written with its repr (17 digits), so the workbook reads back to the
    same instance and the reader never has to take a number from a text cell. openpyxl writes
    a value that is not one of its numeric types with ``str``; the cell keeps type "n"."""
    v = cell.value
    if isinstance(v, float) and float(f"{v:.16g}") != v:
        cell._value = _FullPrecision(v)  # openpyxl formats its own floats to 16 digits
        cell.data_type = "n"


def relocate(problems: list[Problem], places: dict[str, str]) -> list[Problem]:
    """Name the sheet and row of each problem (longest matching entry path)."""
    out = []
    keys = sorted(places, key=len, reverse=True)
    for p in problems:
        hit = next((k for k in keys if p.where == k or p.where.startswith((k + ".", k + "["))),
                   None)
        out.append(Problem(f"{places[hit]} ({p.where})" if hit else p.where, p.value, p.rule))
    return out
