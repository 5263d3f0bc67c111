"""One test per validation rule: each bad instance names the place, the value and the rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import tiny
from stockpile.instance import InstanceError, content_hash, dump_yaml, load, parse


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(InstanceError) as info:
        parse(raw)
    return [str(p) for p in info.value.problems]


def one(raw: dict[str, Any], where: str, rule: str) -> None:
    found = problems(raw)
    assert any(where in p and rule in p for p in found), found


def test_sound_instance_parses(base: dict) -> None:
    inst = parse(base)
    assert inst.name == "tiny" and len(inst.scenarios) == 2


def test_unknown_field_is_rejected(base: dict) -> None:
    base["holders"][0]["budjet"] = 5
    one(base, "holders[0].budjet", "Extra inputs are not permitted")


def test_missing_field(base: dict) -> None:
    del base["products"][0]["price"]
    one(base, "products[0].price", "Field required")


@pytest.mark.parametrize(("block", "field", "value"), [
    ("products", "price", -1), ("products", "lot", 0), ("products", "lot", -2),
    ("holders", "budget", -5), ("products", "holding_cost", -0.1),
])
def test_negative_values(base: dict, block: str, field: str, value: float) -> None:
    base[block][0][field] = value
    found = problems(base)
    assert any(f"{block}[0].{field}" in p and repr(value) in p for p in found), found


def test_facility_capacity_negative(base: dict) -> None:
    base["holders"][0]["facilities"] = [{"id": "f", "capacity": -1}]
    one(base, "holders[0].facilities[0].capacity", "greater than or equal to 0")


def test_route_capacity_negative() -> None:
    raw = tiny(products=[{"id": "a", "material": "ga", "price": 1, "lot": 1},
                         {"id": "b", "material": "ga", "price": 1, "lot": 1}],
               demand=[],
               routes=[{"id": "r", "from": "a", "to": "b", "yield": 1, "capacity": {"A": -3}}])
    one(raw, "routes[0].capacity.A", "greater than or equal to 0")


def test_probabilities_must_sum_to_one(base: dict) -> None:
    base["scenarios"][1]["probability"] = 0.6
    one(base, "scenarios[].probability", "must sum to 1")


def test_probability_must_be_positive(base: dict) -> None:
    base["scenarios"][1]["probability"] = 0
    one(base, "scenarios[1].probability", "greater than 0")


def test_share_out_of_range(base: dict) -> None:
    base["demand"][0]["shortfall"][0]["share"] = 1.2
    one(base, "demand[0].shortfall[0].share", "less than or equal to 1")


@pytest.mark.parametrize(("content", "source", "where", "rule"), [
    (0.0, "s", "products[0].metal_content", "must be > 0"),
    (56.02, "s", "products[0].metal_content", "a percentage"),
    (0.5602, "", "products[0].metal_content_source", "must say where"),
])
def test_metal_content_rules(base: dict, content: float, source: str, where: str,
                             rule: str) -> None:
    base["products"][0].update(metal_content=content, metal_content_source=source)
    one(base, where, rule)


def test_tier_shares_must_sum_to_one(base: dict) -> None:
    base["demand"][0]["shortfall"] = [{"tier": "essential", "share": 0.5, "cost": 1},
                                      {"tier": "general", "share": 0.4, "cost": 1}]
    one(base, "demand[0].shortfall[].share", "must sum to 1")


def test_supply_share_above_one(base: dict) -> None:
    base["scenarios"][1]["supply"] = [{"material": "ga", "values": 1.5}]
    one(base, "scenarios[1].supply[0].values", "in [0, 1]")


def test_values_per_period(base: dict) -> None:
    base["scenarios"][1]["supply"] = [{"material": "ga", "values": [0, 0]}]
    one(base, "scenarios[1].supply[0].values", "one value per period")


@pytest.mark.parametrize(("path", "value", "what"), [
    (("demand", 0, "holder"), "ZZ", "holder"),
    (("demand", 0, "product"), "zz", "product"),
    (("products", 0, "material"), "zz", "material"),
])
def test_references_must_exist(base: dict, path: tuple, value: str, what: str) -> None:
    base[path[0]][path[1]][path[2]] = value
    one(base, f"{path[0]}[{path[1]}].{path[2]}", f"names no {what}")


def test_scenario_reference_must_exist(base: dict) -> None:
    base["scenarios"][1]["supply"] = [{"holder": "Q", "material": "ga", "values": 0}]
    one(base, "scenarios[1].supply[0].holder", "names no holder")


def test_agreement_needs_two_holders(base: dict) -> None:
    base["agreements"] = [{"holders": ["A", "A"], "material": "ga", "share_cap": 0.5}]
    one(base, "agreements[0].holders", "two different holders")


def test_route_within_one_material() -> None:
    raw = tiny(materials=[{"id": "ga", "world_production": 1, "market_cap_share": 1},
                          {"id": "ge", "world_production": 1, "market_cap_share": 1}],
               products=[{"id": "a", "material": "ga", "price": 1, "lot": 1},
                         {"id": "b", "material": "ge", "price": 1, "lot": 1}],
               demand=[], routes=[{"id": "r", "from": "a", "to": "b", "yield": 1}])
    one(raw, "routes[0]", "within one material")


def test_duplicate_ids(base: dict) -> None:
    base["scenarios"][1]["id"] = "calm"
    one(base, "scenarios[].id", "must be unique")


def test_every_problem_is_reported_at_once(base: dict) -> None:
    base["products"][0]["price"] = -1
    base["scenarios"][1]["probability"] = 0.9
    base["demand"][0]["holder"] = "nobody"
    # field errors are reported first; fix them and the cross-field ones all come together
    assert len(problems(base)) >= 1
    base["products"][0]["price"] = 1
    found = problems(base)
    assert len(found) == 2, found


def test_files_yaml_json_and_hash(tmp_path, base: dict) -> None:
    j = tmp_path / "x.json"
    j.write_text(json.dumps(base))
    y = tmp_path / "x.yaml"
    dump_yaml(parse(base), y)
    a, b = load(j), load(y)
    assert a == b
    assert content_hash(a) == content_hash(b)
    base["products"][0]["price"] = 11
    assert content_hash(parse(base)) != content_hash(a)


def test_bad_files(tmp_path) -> None:
    with pytest.raises(InstanceError, match="does not exist"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(InstanceError, match="not parseable"):
        load(bad)
    txt = tmp_path / "x.txt"
    txt.write_text("{}")
    with pytest.raises(InstanceError, match=r"\.yaml, \.yml, \.json or \.xlsx"):
        load(txt)


def test_unreadable_workbook(tmp_path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip file")
    with pytest.raises(InstanceError, match=r"bad\.xlsx'?: not a readable \.xlsx workbook"):
        load(bad)
