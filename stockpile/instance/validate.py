"""Cross-field rules of an instance, checked after the field-level schema.

Each rule yields a :class:`Problem` naming where in the file, the value and the rule, so one
run reports every problem at once.
"""

from __future__ import annotations

import reprlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .schema import Effect, Instance, RouteEffect, Scenario

PROBABILITY_TOLERANCE = 1e-6
"""Scenario probabilities must sum to 1 within this absolute tolerance."""

TIER_TOLERANCE = 1e-6
"""Tier shares of one demand row must sum to 1 within this absolute tolerance."""


ECHO_MAX = 200
"""A value is echoed in a message with at most this many characters."""

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = _repr.maxlong = ECHO_MAX
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 12
_repr.maxlevel = 3


def echo(value: Any) -> str:
    """``repr(value)`` cut to :data:`ECHO_MAX` characters, without building the whole repr of
    a huge value first (reprlib bounds every level)."""
    return _cut(_repr.repr(value))


def _cut(text: str) -> str:
    """One line of at most ECHO_MAX characters."""
    text = " ".join(str(text).splitlines())
    return text if len(text) <= ECHO_MAX else text[: ECHO_MAX - 3] + "..."


@dataclass(frozen=True)
class Problem:
    where: str
    value: Any
    rule: str

    def __str__(self) -> str:
        return f"{_cut(self.where)}: value {echo(self.value)}: {_cut(self.rule)}"


class InstanceError(ValueError):
    """An instance that breaks one or more rules; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the instance:\n{lines}")

    def __reduce__(self):  # noqa: ANN204 - pickled across compare's worker processes
        return (type(self), (self.source, self.problems))


def _duplicates(where: str, ids: Iterable[Any]) -> Iterator[Problem]:
    for key, count in Counter(ids).items():
        if count > 1:
            yield Problem(where, key, f"must be unique, appears {count} times")


def _check_effect_values(where: str, values: float | list[float], n_periods: int,
                         upper: float | None) -> Iterator[Problem]:
    vals = values if isinstance(values, list) else [values]
    if isinstance(values, list) and len(values) != n_periods:
        yield Problem(f"{where}.values", values,
                      f"needs one value per period ({n_periods}) or a single number")
    for v in vals:
        if v < 0 or (upper is not None and v > upper):
            rng = f"in [0, {upper:g}]" if upper is not None else ">= 0"
            yield Problem(f"{where}.values", v, f"must be {rng}")


def _selector(e: Effect | RouteEffect) -> dict[str, str]:
    """What an effect applies to: its holder, product, material or route (those given)."""
    keys = ("holder", "route") if isinstance(e, RouteEffect) else ("holder", "product",
                                                                   "material")
    return {k: getattr(e, k) for k in keys if getattr(e, k) is not None}


def _repeated_selectors(where: str, selectors: list[dict[str, str]]) -> Iterator[Problem]:
    """Two entries of one list with the same selector: the later would silently replace the
    earlier (issue 21: a repeated supply cut changed the optimum from 177 to 110 USD)."""
    first: dict[tuple[tuple[str, str], ...], int] = {}
    for j, sel in enumerate(selectors):
        key = tuple(sorted(sel.items()))
        if key in first:
            yield Problem(f"{where}[{j}]", sel or "(every holder and product)",
                          f"repeats the selector of {where}[{first[key]}]: give each "
                          "holder/product/material/route once per list (merge the two)")
        else:
            first[key] = j


def _check_scenario(at: str, s: Scenario, known: dict[str, set[str]], n_t: int
                    ) -> list[Problem]:
    """References and values of one scenario's effects; ``known`` ids by kind."""
    out: list[Problem] = []

    def ref(where: str, value: str | None, what: str) -> None:
        if value is not None and value not in known[what]:
            out.append(Problem(where, value, f"names no {what} of the instance"))

    for field, upper in (("supply", 1.0), ("demand", None)):
        effects: list[Effect] = getattr(s, field)
        out += _repeated_selectors(f"{at}.{field}", [_selector(e) for e in effects])
        for j, e in enumerate(effects):
            where = f"{at}.{field}[{j}]"
            ref(f"{where}.holder", e.holder, "holder")
            ref(f"{where}.product", e.product, "product")
            ref(f"{where}.material", e.material, "material")
            if e.product is not None and e.material is not None:
                out.append(Problem(where, {"product": e.product, "material": e.material},
                                   "give product or material, not both"))
            out += _check_effect_values(where, e.values, n_t, upper)
    out += _repeated_selectors(f"{at}.conversion", [_selector(c) for c in s.conversion])
    for j, c in enumerate(s.conversion):
        where = f"{at}.conversion[{j}]"
        ref(f"{where}.holder", c.holder, "holder")
        ref(f"{where}.route", c.route, "route")
        out += _check_effect_values(where, c.values, n_t, None)
    return out


def _check_residual_value(inst: Instance) -> list[Problem]:
    """Extension E1: omega_k > 0 needs the capital cost stated, and rho_k >= rate omega_k p_k
    (holding recoverable value forgoes that return every year)."""
    out: list[Problem] = []
    with_value = [(i, k) for i, k in enumerate(inst.products) if k.residual_value_share > 0]
    if with_value and inst.capital_cost is None:
        i, k = with_value[0]
        out.append(Problem(f"products[{i}].residual_value_share", k.residual_value_share,
                           "a residual value needs the capital_cost block (rate and source): "
                           "the holding cost must include the return forgone on the money "
                           "tied up"))
        return out
    for i, k in with_value:
        need = inst.capital_cost.rate * k.residual_value_share * k.price  # type: ignore[union-attr]
        if k.holding_cost < need - 1e-9 * max(need, 1.0):
            out.append(Problem(f"products[{i}].holding_cost", k.holding_cost,
                               f"must include the capital cost of the recoverable value: at "
                               f"least rate x residual_value_share x price = {need:.6g} USD/t/yr"))
    return out


METAL_CONTENT_MAX = 10.0
"""Largest metal_content accepted: a tonne of product holds at most this many tonnes of its
material, even counted in an equivalent (1 t of lithium is 5.3 t of carbonate equivalent); a
larger figure is a percentage typed as a fraction."""


def _check_metal_content(inst: Instance) -> list[Problem]:
    """metal_content in (0, METAL_CONTENT_MAX], and a source where it is not 1."""
    out: list[Problem] = []
    for i, k in enumerate(inst.products):
        if not 0 < k.metal_content <= METAL_CONTENT_MAX:
            out.append(Problem(f"products[{i}].metal_content", k.metal_content,
                               f"must be > 0 and at most {METAL_CONTENT_MAX:g} (t of the "
                               "material per t of product, a fraction, not a percentage)"))
        elif k.metal_content != 1.0 and not k.metal_content_source.strip():
            out.append(Problem(f"products[{i}].metal_content_source", k.metal_content_source,
                               "must say where the metal_content comes from when it is not 1 "
                               "(e.g. 'V2O5 stoichiometry: 2 x 50.94 / 181.88')"))
    return out


def _ref(where: str, value: str | None, known: Iterable[str], what: str) -> list[Problem]:
    """A reference to an id the instance does not have."""
    if value is not None and value not in known:
        return [Problem(where, value, f"names no {what} of the instance")]
    return []


def _check_unique_ids(inst: Instance) -> list[Problem]:
    out: list[Problem] = []
    out += _duplicates("periods[].id", (p.id for p in inst.periods))
    out += _duplicates("holders[].id", (h.id for h in inst.holders))
    out += _duplicates("materials[].id", (m.id for m in inst.materials))
    out += _duplicates("products[].id", (k.id for k in inst.products))
    out += _duplicates("tiers[].id", (q.id for q in inst.tiers))
    out += _duplicates("routes[].id", (r.id for r in inst.routes))
    out += _duplicates("scenarios[].id", (s.id for s in inst.scenarios))
    out += _duplicates("holders[].facilities[].id",
                       (f.id for h in inst.holders for f in h.facilities))
    out += _duplicates("demand[] (holder, product)", ((d.holder, d.product) for d in inst.demand))
    out += _duplicates("inventory[] (holder, product)",
                       ((d.holder, d.product) for d in inst.inventory))
    out += _duplicates("programmes[] (holder, material)",
                       ((p.holder, p.material) for p in inst.programmes))
    out += _duplicates("agreements[] (pair, material)",
                       ((frozenset(a.holders), a.material) for a in inst.agreements))
    return out


def _check_demand(inst: Instance, known: dict[str, set[str]]) -> list[Problem]:
    """References of each demand row, and its shortfall tiers: at least one, each tier once,
    shares summing to 1."""
    out: list[Problem] = []
    for i, d in enumerate(inst.demand):
        out += _ref(f"demand[{i}].holder", d.holder, known["holder"], "holder")
        out += _ref(f"demand[{i}].product", d.product, known["product"], "product")
        if not d.shortfall:
            out.append(Problem(f"demand[{i}].shortfall", [], "needs at least one tier"))
        total = sum(t.share for t in d.shortfall)
        if d.shortfall and abs(total - 1.0) > TIER_TOLERANCE:
            out.append(Problem(f"demand[{i}].shortfall[].share", round(total, 9),
                               f"tier shares must sum to 1 (tolerance {TIER_TOLERANCE:g})"))
        out += _duplicates(f"demand[{i}].shortfall[].tier", (t.tier for t in d.shortfall))
        for j, t in enumerate(d.shortfall):
            out += _ref(f"demand[{i}].shortfall[{j}].tier", t.tier, known["tier"], "tier")
    return out


def _check_holdings(inst: Instance, known: dict[str, set[str]]) -> list[Problem]:
    """References of inventory rows, programmes and agreements (two different holders)."""
    out: list[Problem] = []
    for i, v in enumerate(inst.inventory):
        out += _ref(f"inventory[{i}].holder", v.holder, known["holder"], "holder")
        out += _ref(f"inventory[{i}].product", v.product, known["product"], "product")
    for i, p in enumerate(inst.programmes):
        out += _ref(f"programmes[{i}].holder", p.holder, known["holder"], "holder")
        out += _ref(f"programmes[{i}].material", p.material, known["material"], "material")
    for i, a in enumerate(inst.agreements):
        for j, h in enumerate(a.holders):
            out += _ref(f"agreements[{i}].holders[{j}]", h, known["holder"], "holder")
        if a.holders[0] == a.holders[1]:
            out.append(Problem(f"agreements[{i}].holders", list(a.holders),
                               "an agreement needs two different holders"))
        out += _ref(f"agreements[{i}].material", a.material, known["material"], "material")
    return out


def _check_routes(inst: Instance, known: dict[str, set[str]]) -> list[Problem]:
    """References of each route; it converts between two products of one material."""
    out: list[Problem] = []
    products = {k.id: k for k in inst.products}
    for i, r in enumerate(inst.routes):
        out += _ref(f"routes[{i}].from", r.from_product, products, "product")
        out += _ref(f"routes[{i}].to", r.to_product, products, "product")
        src, dst = products.get(r.from_product), products.get(r.to_product)
        if src and dst:
            if src.material != dst.material:
                out.append(Problem(f"routes[{i}]", f"{r.from_product} -> {r.to_product}",
                                   "a route converts within one material"))
            if src.id == dst.id:
                out.append(Problem(f"routes[{i}]", r.from_product,
                                   "a route needs two different products"))
        for h in r.capacity:
            out += _ref(f"routes[{i}].capacity", h, known["holder"], "holder")
    return out


def _check_scenarios(inst: Instance, known: dict[str, set[str]]) -> list[Problem]:
    """Probabilities summing to 1, and the effects of every scenario and stress test."""
    out: list[Problem] = []
    n_t = len(inst.periods)
    total_p = sum(s.probability for s in inst.scenarios)
    if abs(total_p - 1.0) > PROBABILITY_TOLERANCE:
        out.append(Problem("scenarios[].probability", round(total_p, 12),
                           f"probabilities must sum to 1 (tolerance {PROBABILITY_TOLERANCE:g})"))
    for i, s in enumerate(inst.scenarios):
        out += _check_scenario(f"scenarios[{i}]", s, known, n_t)
    out += _duplicates("stress_tests[].id", (s.id for s in inst.stress_tests))
    for i, s in enumerate(inst.stress_tests):
        out += _check_scenario(f"stress_tests[{i}]", s, known, n_t)
    return out


def check(inst: Instance) -> list[Problem]:
    """Every cross-field problem of ``inst`` (empty when the instance is sound)."""
    known = {"holder": {h.id for h in inst.holders}, "product": {k.id for k in inst.products},
             "material": {m.id for m in inst.materials}, "route": {r.id for r in inst.routes},
             "tier": {q.id for q in inst.tiers}}
    out = _check_unique_ids(inst)
    for i, k in enumerate(inst.products):
        out += _ref(f"products[{i}].material", k.material, known["material"], "material")
    out += _check_demand(inst, known)
    out += _check_holdings(inst, known)
    out += _check_routes(inst, known)
    out += _check_scenarios(inst, known)
    out += _check_residual_value(inst)
    out += _check_metal_content(inst)
    return out


def _covers(a: dict[str, str], b: dict[str, str], material_of: dict[str, str]) -> bool:
    """True when some (holder, product) or (holder, route) is selected by both ``a`` and
    ``b``; an absent key selects everything."""
    if "holder" in a and "holder" in b and a["holder"] != b["holder"]:
        return False
    if "route" in a and "route" in b:
        return a["route"] == b["route"]

    def products(sel: dict[str, str]) -> tuple[str, str] | None:
        if "product" in sel:
            return ("product", sel["product"])
        return ("material", sel["material"]) if "material" in sel else None

    pa, pb = products(a), products(b)
    if pa is None or pb is None or pa == pb:
        return True
    if pa[0] == pb[0]:
        return False
    product, material = (pa[1], pb[1]) if pa[0] == "product" else (pb[1], pa[1])
    return material_of.get(product) == material


def overlaps(inst: Instance) -> list[str]:
    """Pairs of entries of one effect list whose selectors overlap without being equal (a
    general one, e.g. every product of a material, and a specific one): allowed, the later
    entry wins where they meet; ``stockpile validate`` lists them so none goes unnoticed."""
    material_of = {k.id: k.material for k in inst.products}
    out = []
    for block in ("scenarios", "stress_tests"):
        for i, s in enumerate(getattr(inst, block)):
            for field in ("supply", "demand", "conversion"):
                sels = [_selector(e) for e in getattr(s, field)]
                for b in range(1, len(sels)):
                    for a in range(b):
                        if sels[a] != sels[b] and _covers(sels[a], sels[b], material_of):
                            at = f"{block}[{i}].{field}"
                            out.append(f"{at}[{b}] {sels[b]} overlaps {at}[{a}] {sels[a]}: "
                                       f"where they meet, [{b}] (the later) applies")
    return out
