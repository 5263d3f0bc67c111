"""What-if overrides and coalition restrictions: new validated instances, no file touched.

Every transform takes a validated :class:`~stockpile.instance.Instance`, edits a plain copy
of its data and validates the result again with :func:`stockpile.instance.parse`, so what
comes out obeys every rule an instance file obeys. Nothing is written anywhere.

Overrides (``stockpile compare`` options):

- ``--budget HOLDER=USD``: B_h := USD (>= 0).
- ``--remove-material MATERIAL``: drop m, its products, and every row that names them
  (demand, inventory, programmes, agreements, routes, scenario effects).
- ``--force-agreement H1|H2|MATERIAL`` / ``--forbid-agreement ...``: fix b_hh'm = 1 / 0 in
  bilateral mode (and in every coalition that holds both holders). National mode has no
  agreements; pooled mode is the bound with every pair sharing, so neither is affected.

A bad override raises :class:`WhatIfError` naming the option, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..instance import Instance, InstanceError, parse


class WhatIfError(ValueError):
    """A command-line override that cannot be applied: option, value and rule."""

    def __init__(self, option: str, value: str, rule: str) -> None:
        self.option, self.value, self.rule = option, value, rule
        super().__init__(f"{option} {value!r}: {rule}")

    def __reduce__(self):  # noqa: ANN204 - pickled across compare's worker processes
        return (type(self), (self.option, self.value, self.rule))


@dataclass(frozen=True)
class WhatIf:
    """The overrides of one run, as given on the command line (repeatable options)."""

    budgets: tuple[str, ...] = ()
    remove_materials: tuple[str, ...] = ()
    force: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        return ([f"budget {b} USD" for b in self.budgets]
                + [f"material {m} removed" for m in self.remove_materials]
                + [f"agreement {a} forced" for a in self.force]
                + [f"agreement {a} forbidden" for a in self.forbid])


@dataclass
class Applied:
    """An instance after the overrides, and the agreements fixed in bilateral mode."""

    instance: Instance
    agreements: dict[str, bool] = field(default_factory=dict)  # canonical key -> signed
    notes: list[str] = field(default_factory=list)


def _dump(inst: Instance) -> dict[str, Any]:
    return inst.model_dump(mode="json", by_alias=True)


def _revalidate(raw: dict[str, Any], option: str, value: str) -> Instance:
    try:
        return parse(raw, source=f"instance after {option} {value}")
    except InstanceError as e:
        rules = "; ".join(str(p) for p in e.problems)
        raise WhatIfError(option, value, f"leaves an invalid instance: {rules}") from None


def agreement_keys(inst: Instance) -> list[str]:
    """Canonical keys 'H1|H2|material' of the candidate agreements, in instance order."""
    return [f"{a.holders[0]}|{a.holders[1]}|{a.material}" for a in inst.agreements]


def canonical_agreement(inst: Instance, option: str, text: str) -> str:
    """The candidate agreement a user names as 'H1|H2|MAT' or 'H1,H2,MAT' (either order)."""
    sep = "|" if "|" in text else ","
    parts = [p.strip() for p in text.split(sep)]
    if len(parts) != 3 or not all(parts):
        raise WhatIfError(option, text, "give an agreement as HOLDER1|HOLDER2|MATERIAL "
                                        "(or HOLDER1,HOLDER2,MATERIAL)")
    holders = {h.id for h in inst.holders}
    for h in parts[:2]:
        if h not in holders:
            raise WhatIfError(option, text, f"names no holder {h!r} of the instance "
                                            f"(holders: {', '.join(sorted(holders))})")
    want = ({parts[0], parts[1]}, parts[2])
    for a, key in zip(inst.agreements, agreement_keys(inst)):
        if (set(a.holders), a.material) == want:
            return key
    known = ", ".join(agreement_keys(inst)) or "none"
    raise WhatIfError(option, text, f"is not a candidate agreement of the instance "
                                    f"(candidates: {known})")


def _set_budget(inst: Instance, text: str) -> Instance:
    option = "--budget"
    holder, sep, amount = text.partition("=")
    if not sep or not holder.strip():
        raise WhatIfError(option, text, "give HOLDER=USD, e.g. US-DLA=2.5e9")
    holder = holder.strip()
    try:
        value = float(amount)
    except ValueError:
        raise WhatIfError(option, text, f"budget {amount!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise WhatIfError(option, text, "a budget must be a finite number >= 0 (USD)")
    raw = _dump(inst)
    for h in raw["holders"]:
        if h["id"] == holder:
            h["budget"] = value
            return _revalidate(raw, option, text)
    known = ", ".join(h.id for h in inst.holders)
    raise WhatIfError(option, text, f"names no holder {holder!r} of the instance "
                                    f"(holders: {known})")


def _keep_effect(e: dict[str, Any], gone_m: set[str], gone_k: set[str]) -> bool:
    return e.get("material") not in gone_m and e.get("product") not in gone_k


def _remove_material(inst: Instance, material: str) -> Instance:
    option = "--remove-material"
    ids = [m.id for m in inst.materials]
    if material not in ids:
        raise WhatIfError(option, material, f"names no material of the instance "
                                            f"(materials: {', '.join(ids)})")
    if len(ids) == 1:
        raise WhatIfError(option, material, "is the only material; an instance needs one")
    raw = _dump(inst)
    gone_m = {material}
    gone_k = {k["id"] for k in raw["products"] if k["material"] == material}
    raw["materials"] = [m for m in raw["materials"] if m["id"] != material]
    raw["products"] = [k for k in raw["products"] if k["id"] not in gone_k]
    for block in ("demand", "inventory"):
        raw[block] = [r for r in raw[block] if r["product"] not in gone_k]
    raw["programmes"] = [p for p in raw["programmes"] if p["material"] != material]
    raw["agreements"] = [a for a in raw["agreements"] if a["material"] != material]
    gone_r = {r["id"] for r in raw["routes"] if r["from"] in gone_k or r["to"] in gone_k}
    raw["routes"] = [r for r in raw["routes"] if r["id"] not in gone_r]
    for s in raw["scenarios"]:
        for block in ("supply", "demand"):
            s[block] = [e for e in s[block] if _keep_effect(e, gone_m, gone_k)]
        s["conversion"] = [c for c in s["conversion"] if c.get("route") not in gone_r]
    return _revalidate(raw, option, material)


def apply_whatif(inst: Instance, whatif: WhatIf) -> Applied:
    """The instance with every override applied, in the order: materials, budgets, agreements.

    Raises :class:`WhatIfError` on the first override that cannot be applied.
    """
    for m in whatif.remove_materials:
        inst = _remove_material(inst, m)
    for b in whatif.budgets:
        inst = _set_budget(inst, b)
    fixed: dict[str, bool] = {}
    given: dict[str, str] = {}
    for option, texts, signed in (("--force-agreement", whatif.force, True),
                                  ("--forbid-agreement", whatif.forbid, False)):
        for text in texts:
            key = canonical_agreement(inst, option, text)
            if key in fixed and fixed[key] != signed:
                raise WhatIfError(option, text, f"agreement {key} is also "
                                                f"{'forbidden' if signed else 'forced'} "
                                                f"(by {given[key]}); give one or the other")
            fixed[key], given[key] = signed, f"{option} {text}"
    return Applied(inst, fixed, whatif.describe())


def plan_whatif(inst: Instance, whatif: WhatIf, command: str) -> Applied:
    """The budget and material overrides applied, for the pipelines that optimise plans
    themselves (evaluate, frontier): agreements cannot be forced there. Raises
    :class:`WhatIfError` naming the option."""
    for option, given in (("--force-agreement", whatif.force),
                          ("--forbid-agreement", whatif.forbid)):
        if given:
            raise WhatIfError(option, given[0], f"not available in '{command}' (use solve or "
                                                "compare)")
    return apply_whatif(inst, whatif)


def restrict_holders(inst: Instance, members: Iterable[str]) -> Instance:
    """The instance as the coalition ``members`` sees it alone.

    Other holders, their demand, inventory, programmes, route capacities and the effects
    of scenarios and stress tests on them are dropped; candidate agreements are kept only
    inside the coalition.

    The market-impact cap beta_m W_m is a resource of the whole market, so a coalition may
    claim only its members' entitlement to it: each holder is entitled to the share of the
    cap that its demand for the material is of all holders' demand (equal shares where no
    holder has any), and a coalition to the sum of its members' entitlements. The grand
    coalition gets the whole cap. (Giving every coalition the whole cap would let singletons
    claim it twice over and empty the core for that reason alone.)
    """
    keep = set(members)
    raw = _dump(inst)
    entitled = _cap_entitlement(inst, keep)
    for m in raw["materials"]:
        m["market_cap_share"] = m["market_cap_share"] * entitled[m["id"]]
    raw["holders"] = [h for h in raw["holders"] if h["id"] in keep]
    for block in ("demand", "inventory", "programmes"):
        raw[block] = [r for r in raw[block] if r["holder"] in keep]
    raw["agreements"] = [a for a in raw["agreements"] if set(a["holders"]) <= keep]
    for r in raw["routes"]:
        r["capacity"] = {h: c for h, c in r["capacity"].items() if h in keep}
    for s in raw["scenarios"] + raw.get("stress_tests", []):
        for block in ("supply", "demand", "conversion"):
            s[block] = [e for e in s[block] if e.get("holder") is None or e["holder"] in keep]
    return parse(raw, source=f"{inst.name} restricted to {', '.join(sorted(keep))}")


def _cap_entitlement(inst: Instance, keep: set[str]) -> dict[str, float]:
    """Fraction of each material's market cap the coalition ``keep`` may claim: its share of
    the material's demand, counted in contained material like the cap itself."""
    material_of = {k.id: k.material for k in inst.products}
    content = {k.id: k.metal_content for k in inst.products}
    total: dict[str, float] = {m.id: 0.0 for m in inst.materials}
    ours: dict[str, float] = {m.id: 0.0 for m in inst.materials}
    for d in inst.demand:
        m = material_of[d.product]
        total[m] += d.annual * content[d.product]
        if d.holder in keep:
            ours[m] += d.annual * content[d.product]
    n_in = sum(1 for h in inst.holders if h.id in keep)
    return {m: (ours[m] / total[m] if total[m] > 0 else n_in / len(inst.holders))
            for m in total}
