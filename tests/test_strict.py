"""Issue 21, items 1, 2 and 8 (input side): nothing silently changed.

A repeated scenario effect is an error naming both entries; numbers accept numbers only
(never a bool or a numeric string, in YAML, JSON or a workbook); ids are one safe token; a
top-level unknown key does not hide the file's other problems. Each test carries the issue's
reproducer.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from stockpile import cli
from stockpile.instance import InstanceError, load, parse, schema
from stockpile.instance.validate import overlaps
from stockpile.instance.workbook import write_workbook

ROOT = Path(__file__).resolve().parents[1]
TINY_SHARING = ROOT / "instances" / "tiny_sharing.yaml"


def tiny_sharing() -> dict[str, Any]:
    return yaml.safe_load(TINY_SHARING.read_text(encoding="utf-8"))


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(InstanceError) as e:
        parse(raw)
    return [str(p) for p in e.value.problems]


# ---- 1. a repeated scenario effect -------------------------------------------------------------
def test_repeated_effect_is_an_error_naming_both_entries() -> None:
    # reproducer: appending {holder: A, material: ga, values: 1.0} after the cut in
    # scenarios[1].supply was accepted, the later entry won and the optimum fell from 177 to
    # 110 USD (the cut of A vanished), reported optimal
    raw = tiny_sharing()
    raw["scenarios"][1]["supply"].append({"holder": "A", "material": "ga", "values": 1.0})
    found = problems(raw)
    assert len(found) == 1
    assert found[0].startswith("scenarios[1].supply[1]: value {'holder': 'A', 'material': "
                               "'ga'}: repeats the selector of scenarios[1].supply[0]")


@pytest.mark.parametrize(("field", "first", "second"), [
    ("demand", {"values": 1.5}, {"values": 2.0}),  # both select every holder and product
    ("supply", {"product": "ga4n"}, {"product": "ga4n", "values": 0.5}),
    ("conversion", {"holder": "B"}, {"holder": "B", "values": 0.0}),
])
def test_every_list_refuses_a_repeated_selector(field: str, first: dict[str, Any],
                                                second: dict[str, Any]) -> None:
    raw = tiny_sharing()
    if field == "conversion":  # routes need two products of one material
        raw["products"].append({**raw["products"][0], "id": "ga6n"})
        raw["routes"] = [{"id": "r", "from": "ga4n", "to": "ga6n", "yield": 1.0}]
    raw["stress_tests"] = [{"id": "st", "probability": 1.0,
                            field: [{"values": 0.5, **first}, second]}]
    assert [p.split(":")[0] for p in problems(raw)] == [f"stress_tests[0].{field}[1]"]


def test_general_and_specific_overlap_is_allowed_and_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tiny_sharing()
    # every holder's ga cut to 0.5, then holder A's ga4n to 0: they meet at (A, ga4n)
    raw["scenarios"][1]["supply"] = [{"material": "ga", "values": 0.5},
                                     {"holder": "A", "product": "ga4n", "values": 0.0}]
    inst = parse(raw)
    assert overlaps(inst) == [
        "scenarios[1].supply[1] {'holder': 'A', 'product': 'ga4n'} overlaps "
        "scenarios[1].supply[0] {'material': 'ga'}: where they meet, [1] (the later) applies"]
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert cli.main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: scenarios[1].supply[1]" in out and "overlaps scenarios[1].supply[0]" in out
    # different holders, or different materials, do not meet: nothing listed
    raw["scenarios"][1]["supply"] = [{"holder": "B", "material": "ga", "values": 0.5},
                                     {"holder": "A", "product": "ga4n", "values": 0.0}]
    assert overlaps(parse(raw)) == []


# ---- 2. numbers accept numbers only ------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [(True, "true/false"), (False, "true/false"),
                                            ("1_000", "str"), (" 7 ", "str"), ("7", "str"),
                                            ("1e3", "str"), (None, "NoneType")])
def test_a_number_field_refuses_booleans_and_numeric_strings(value: Any, shown: str) -> None:
    # reproducer: price: true became 1.0, "1_000" 1000, " 7 " 7
    raw = tiny_sharing()
    raw["products"][0]["price"] = value
    assert problems(raw) == [f"products[0].price: value {value!r}: must be a number, not "
                             f"{shown} (write the figure itself, unquoted)"]


def test_ints_are_numbers_and_scenario_values_are_strict() -> None:
    raw = tiny_sharing()
    raw["products"][0]["price"] = 10  # a YAML int where a float is expected: fine
    assert parse(raw).products[0].price == 10.0
    raw["scenarios"][1]["supply"][0]["values"] = [True]
    assert problems(raw) == ["scenarios[1].supply[0].values[0]: value True: must be a "
                             "number, not true/false (write the figure itself, unquoted)"]


def test_json_booleans_are_refused_too(tmp_path: Path) -> None:
    raw = tiny_sharing()
    raw["holders"][0]["budget"] = True
    path = tmp_path / "b.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InstanceError, match=r"holders\[0\]\.budget: value True: must be a "
                                            "number, not true/false"):
        load(path)


def _number_fields() -> list[tuple[str, str, str]]:
    models = [m for m in vars(schema).values()
              if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel]
    out = []
    for m in models:
        for name, f in m.model_fields.items():
            text = f"{f.annotation!r} {f.metadata!r}"
            if "float" in text:
                out.append((m.__name__, name, text))
    return out


def test_every_number_field_of_the_format_is_strict() -> None:
    # a field added with a bare `float` would coerce again: every number field must go
    # through the format's strict Real alias (NonNeg, Share, Number, Positive)
    fields = _number_fields()
    assert len(fields) >= 25
    lax = [f"{m}.{n}" for m, n, text in fields if "Strict(strict=True)" not in text]
    assert lax == []


def test_an_xlsx_true_cell_is_an_error_and_a_numeric_cell_a_number(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    good = tmp_path / "good.xlsx"
    write_workbook(load(TINY_SHARING), good)
    wb = load_workbook(good)
    ws = wb["products"]
    headers = [str(c.value).split(" (")[0] for c in ws[1]]
    ws.cell(row=2, column=headers.index("price") + 1, value=12)  # an int cell: a number
    wb.save(good)
    assert load(good).products[0].price == 12.0
    ws.cell(row=2, column=headers.index("price") + 1, value=True)  # reproducer: TRUE -> 1.0
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(InstanceError) as e:
        load(bad)
    assert [str(p) for p in e.value.problems] == [
        "sheet 'products', row 2 (products[0].price): value True: must be a number, not "
        "true/false (write the figure itself, unquoted)"]
    ws.cell(row=2, column=headers.index("price") + 1, value=" 7 ")  # a text cell
    wb.save(bad)
    with pytest.raises(InstanceError, match="must be a number, not str"):
        load(bad)


# ---- 5. ids are one safe token ----------------------------------------------------------------
@pytest.mark.parametrize("bad", ["a b", "x\ny", "tab\there", "<script>", "A|B", ".hidden",
                                 "**bold**"])
def test_ids_are_one_safe_token(bad: str) -> None:
    # reproducer: ids with newlines and tabs broke report.md's tables
    raw = tiny_sharing()
    raw["periods"][0]["id"] = bad
    assert problems(raw) == [f"periods[0].id: value {bad!r}: an id is one token: letters, "
                             "digits, '_', '-' or '.', not starting with '.' (no spaces, line "
                             "breaks or other signs)"]


# ---- 8. an unknown top-level key hides nothing ------------------------------------------------
def test_an_unknown_top_level_key_does_not_hide_other_problems() -> None:
    # reproducer: with `colour: blue` at the top, a broken reference went unreported
    raw = tiny_sharing()
    raw["colour"] = "blue"
    raw["demand"][0]["holder"] = "ZZ"
    raw["scenarios"][1]["supply"].append(copy.deepcopy(raw["scenarios"][1]["supply"][0]))
    found = [p.split(": value")[0] for p in problems(raw)]
    assert found == ["colour", "demand[0].holder", "scenarios[1].supply[1]"]


# ---- 5. report.md is escaped ------------------------------------------------------------------
def test_report_md_escapes_instance_text(tmp_path: Path) -> None:
    # reproducer: a description with <script> went into report.md raw
    raw = tiny_sharing()
    raw["description"] = "<script>alert(1)</script>\n# not a heading | **not bold** [x](y)"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "r"
    assert cli.main(["solve", str(path), "--out", str(out), "--quiet", "--no-check",
                     "--no-why"]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "**not bold**" not in md and "[x](y)" not in md
    assert not [line for line in md.splitlines() if line.startswith("# not")]
    row = next(line for line in md.splitlines() if "alert(1)" in line)
    assert row == ("| Description | \\<script\\>alert(1)\\</script\\> # not a heading \\| "
                   "\\*\\*not bold\\*\\* \\[x\\](y) |")
    assert len(re.findall(r"(?<!\\)\|", row)) == 3  # two cells: the table holds


def test_markdown_text_escapes_markup_and_keeps_words() -> None:
    from stockpile.report.format import markdown_text

    assert markdown_text("us_japan_2026 ga4n 3.5 t -5%") == "us_japan_2026 ga4n 3.5 t -5%"
    assert markdown_text("_x_ a*b `c` ~d~ <b> &amp;") == \
        "\\_x\\_ a\\*b \\`c\\` \\~d\\~ \\<b\\> \\&amp;"
    assert [markdown_text(t) for t in ("# h", "- l", "+ l", "1. o", "2) o", "a\nb")] == \
        ["\\# h", "\\- l", "\\+ l", "1\\. o", "2\\) o", "a b"]
    # a table cell opens no block: a negative number stays as it is
    assert markdown_text("-10", block_start=False) == "-10"


# ---- 3. bounded work ---------------------------------------------------------------------------
def test_an_instance_too_large_for_the_memory_is_refused_up_front(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from stockpile.instance import limits

    size = TINY_SHARING.stat().st_size
    monkeypatch.setattr(limits, "available_memory", lambda: 10_000)  # 10 kB left
    with pytest.raises(InstanceError) as e:
        load(TINY_SHARING)
    assert [str(p) for p in e.value.problems] == [
        f"(file): value '{size:,} bytes': loading it would need about "
        f"{limits.LOAD_BYTES_PER_BYTE * size / 2**30:.1f} GB of memory (24 bytes a byte); "
        "only 0.0 GB are available: too large for this machine"]
    monkeypatch.setattr(limits, "available_memory", lambda: 24 * size)  # just enough
    assert load(TINY_SHARING).name == "tiny_sharing"


def test_a_workbook_too_large_for_the_memory_is_refused_on_its_inflated_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a workbook compresses its XML about tenfold: the need is reckoned on the inflated size
    import zipfile

    from stockpile.instance import limits

    book = tmp_path / "t.xlsx"
    write_workbook(load(TINY_SHARING), book)
    with zipfile.ZipFile(book) as z:
        inflated = sum(m.file_size for m in z.infolist())
    assert inflated > 2 * book.stat().st_size
    monkeypatch.setattr(limits, "available_memory", lambda: 12 * inflated - 1)
    with pytest.raises(InstanceError, match=rf"value '{inflated:,} bytes of XML': loading it "
                                            r"would need about .* \(12 bytes a byte\)"):
        load(book)
    monkeypatch.setattr(limits, "available_memory", lambda: 12 * inflated)
    assert load(book).name == "tiny_sharing"


def test_loading_is_linear_in_the_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 21: 60,000 scenarios took 31 s and 704 MB to load (PyYAML's Python composer and
    # constructor, about 1 ms a scenario). The reader now builds the data from libyaml's
    # events: 1,000 and 8,000 scenarios of the quick instance's shape, timed in this process;
    # linear growth takes about 8 times as long, quadratic 64 times; the bound is 24
    import time

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from load import instance_text

    from stockpile.instance.load import _parse_text

    seconds = []
    for n in (1000, 8000):
        text = instance_text(n)
        t0 = time.perf_counter()
        parse(_parse_text(text, ".yaml", "bench.yaml"))
        seconds.append(time.perf_counter() - t0)
    assert seconds[1] < 24 * seconds[0], seconds
    assert seconds[1] < 10, seconds  # about 0.5 s on an idle core


# ---- the YAML reader (stockpile/instance/yaml_events.py) --------------------------------------
@pytest.mark.parametrize("text", [
    "a: &x {b: 1}\nc: *x\n", "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "m:\n  <<: [{a: 1}, {a: 2, b: 3}]\n",
    "- yes\n- 1_000\n- 0x10\n- .inf\n- 2026-01-01\n- ~\n- ''\n- !!str 12\n- !!float '3'\n",
    "", "--- 1\n", "{a: [1, 2.5, 'x', null]}\n"])
def test_the_yaml_reader_gives_what_pyyaml_safe_load_gives(text: str) -> None:
    from stockpile.instance.yaml_events import load_yaml

    assert load_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize(("text", "error"), [
    ("a: 1\na: 2\n", "duplicate key 'a' (first on line 1)"),
    ("- *u\n", "found undefined alias 'u'"),
    ("a: &a [*a]\n", "an alias refers to the node that contains it (a cycle)"),
    ("--- 1\n--- 2\n", "expected a single document in the stream"),
    ("!!set {a, b}\n", "the tag 'tag:yaml.org,2002:set' is not allowed in an instance"),
    ("!!python/object:os.system x", "could not determine a constructor"),
    ("a: &a 1\nb: &a 2\n", "found duplicate anchor 'a'"),
    ("- <<\n", "'<<' (a merge) is only a mapping's key"),
    ("x: 1" + "1" * 5000, "cannot read the number"),
])
def test_the_yaml_reader_refuses_what_it_must(text: str, error: str) -> None:
    from stockpile.instance.yaml_events import load_yaml

    with pytest.raises(yaml.YAMLError, match=re.escape(error)):
        load_yaml(text)
