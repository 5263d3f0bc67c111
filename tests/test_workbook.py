"""Instances as Excel workbooks: written and read back unchanged; problems named by sheet
and row; the convert command."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from stockpile.cli import main
from stockpile.instance import InstanceError, content_hash, load
from stockpile.instance.workbook import _column, write_workbook

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["tiny_sharing", "us_japan_2026", "us_japan_2026_s100"])
def test_shipped_instances_round_trip(name: str, tmp_path: Path) -> None:
    inst = load(ROOT / "instances" / f"{name}.yaml")
    write_workbook(inst, tmp_path / "i.xlsx")
    back = load(tmp_path / "i.xlsx")
    assert back == inst and content_hash(back) == content_hash(inst)


def _edit(src: Path, dst: Path, sheet: str, row: int, column: str, value: object) -> None:
    wb = load_workbook(src)
    ws = wb[sheet]
    col = [_column(c.value) for c in ws[1]].index(column) + 1  # headers carry units
    ws.cell(row=row, column=col, value=value)
    wb.save(dst)


def test_problems_name_sheet_and_row(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = tmp_path / "good.xlsx"
    write_workbook(load(ROOT / "instances" / "tiny_sharing.yaml"), good)
    bad = tmp_path / "bad.xlsx"
    _edit(good, bad, "products", 2, "price", -5)
    with pytest.raises(InstanceError) as e:
        load(bad)
    text = str(e.value)
    assert "sheet 'products', row 2 (products[0].price): value -5" in text
    assert "greater than or equal to 0" in text
    # a cross-field rule (checked once the fields are valid) is located the same way
    bad2 = tmp_path / "bad2.xlsx"
    _edit(good, bad2, "demand", 3, "holder", "KR-KOMIR")
    with pytest.raises(InstanceError, match=r"sheet 'demand', row 3 \(demand\[1\]\.holder\): "
                                            r"value 'KR-KOMIR': names no holder"):
        load(bad2)
    # the command: exit 2, the same lines, nothing written
    out = tmp_path / "report"
    assert main(["solve", str(bad), "--out", str(out), "--quiet"]) == 2
    assert "sheet 'products', row 2" in capsys.readouterr().err
    assert not out.exists()


def test_missing_period_value_is_located(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    write_workbook(load(ROOT / "instances" / "us_japan_2026.yaml"), good)
    wb = load_workbook(good)
    ws = wb["supply"]
    head = [c.value for c in ws[1]]
    ws.cell(row=2, column=head.index("all_periods") + 1).value = None
    for j in range(head.index("all_periods") + 1, len(head)):
        ws.cell(row=2, column=j + 1, value=0.5)
    ws.cell(row=2, column=len(head)).value = None  # the last period left empty
    wb.save(good)
    with pytest.raises(InstanceError, match=r"sheet 'supply', row 2 \(scenarios\[\d+\]\.supply"
                                            r"\[0\]\.values"):
        load(good)


def test_convert_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = ROOT / "instances" / "tiny_sharing.yaml"
    xlsx, yml = tmp_path / "t.xlsx", tmp_path / "t.yaml"
    assert main(["convert", str(src), str(xlsx)]) == 0
    assert main(["convert", str(xlsx), str(yml)]) == 0
    assert content_hash(load(yml)) == content_hash(load(src))
    assert "reads back unchanged" in capsys.readouterr().out
    assert main(["convert", str(src), str(tmp_path / "t.csv")]) == 2
    assert "must end in .yaml, .yml, .json, .xlsx" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx", "t.yaml"]
