"""The figures of one solve, typed: what :func:`stockpile.extract.extract` returns.

Each block of the extraction is one dataclass (a plan row per holder and product, a holder
row, an agreement with its flows, the objective terms, the distribution of scenario cost...),
so a reader of the figures names attributes that mypy checks, never string keys that print a
dash when renamed. :meth:`SolveFigures.to_dict` turns them into the JSON of result.json only
at the edge (field names are the JSON keys, in the same order; ``from_`` is written
``"from"``); :meth:`SolveFigures.from_dict` reads that JSON back, refusing a missing or
unknown key by name (the reports render from the result dict through it).

``why`` (analysis/why.py) and ``evidence`` (analysis/evidence.py) are added after the
extraction and are still plain dicts: their own typing is not done here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")


def _json_key(name: str) -> str:
    """The JSON key of a field: its name, without the trailing underscore of a keyword."""
    return name[:-1] if name.endswith("_") else name


def _json_dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {_json_key(k): v for k, v in items}


def _row(cls: type[T], d: Any, where: str) -> T:
    """One dataclass row from its JSON dict; a missing or unknown key is an error naming it."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected an object, got {type(d).__name__}")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    keys = [_json_key(n) for n in names]
    missing = [k for k in keys if k not in d]
    unknown = [k for k in d if k not in keys]
    if missing or unknown:
        raise ValueError(f"{where}: " + "; ".join(
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"unknown {', '.join(unknown)}"] if unknown else [])))
    return cls(**{n: d[k] for n, k in zip(names, keys)})


def _rows(cls: type[T], items: Any, where: str) -> list[T]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list, got {type(items).__name__}")
    return [_row(cls, d, f"{where}[{i}]") for i, d in enumerate(items)]


@dataclass(frozen=True)
class PlanRow:
    """One holder and product held or needed: inventory, lots bought, stock, cost, cover."""

    holder: str
    product: str
    material: str
    inventory_t: float
    lots: int
    bought_t: float
    stock_t: float
    purchase_cost: float  # USD
    holding_cost: float  # USD over the holding years
    annual_demand_t: float
    days_of_cover: float | None  # 365 stock / annual demand; None without demand


@dataclass(frozen=True)
class ProgrammeRow:
    """A programme opened (holder, material) and its fixed cost."""

    holder: str
    material: str
    fixed_cost: float


@dataclass(frozen=True)
class FacilityRow:
    """A storage facility: used or not, the volume stored and its capacity."""

    holder: str
    facility: str
    used: bool
    capacity_m3: float
    used_m3: float
    fixed_cost: float


@dataclass(frozen=True)
class Flow:
    """Tonnes of a product shipped between two holders in one scenario and period."""

    scenario: str
    period: str
    from_: str  # JSON "from"
    to: str
    product: str
    material: str
    tonnes: float


@dataclass(frozen=True)
class Conversion:
    """Tonnes converted by a holder along a route in one scenario and period."""

    scenario: str
    period: str
    holder: str
    route: str
    input_t: float
    output_t: float


@dataclass(frozen=True)
class AgreementRow:
    """A candidate bilateral agreement, signed or not, with the flows it carries."""

    holders: list[str]  # the pair, in the instance's order
    material: str
    fixed_cost: float
    share_cap: float
    signed: bool
    flows: list[Flow]

    @property
    def key(self) -> str:
        """The agreement's key 'H1|H2|material', as the model's ``agree`` is indexed."""
        return "|".join([*self.holders, self.material])

    @classmethod
    def from_dict(cls, d: Any, where: str) -> AgreementRow:
        row = _row(cls, d, where)
        return AgreementRow(list(row.holders), row.material, row.fixed_cost, row.share_cap,
                            row.signed, _rows(Flow, row.flows, f"{where}.flows"))


@dataclass(frozen=True)
class HolderRow:
    """Budget used and each cost term of one holder, expected over the scenarios, with
    transfers settled at replacement price. The terms from ``purchase_cost`` to
    ``expected_transfer_settlement`` are signed as they enter the cost and add up to
    ``expected_cost_settled`` (:meth:`terms`); ``budget_used`` is the cash the budget pays
    (purchases at full price plus the fixed costs)."""

    holder: str
    budget: float
    budget_used: float
    purchase_cost: float
    holding_cost: float
    residual_value: float  # minus the recovered value (E1), as in ObjectiveTerms
    programme_cost: float
    facility_cost: float
    agreement_cost: float
    expected_shortfall_cost: float
    expected_conversion_cost: float
    expected_transport_cost: float
    expected_transfer_settlement: float
    expected_cost_settled: float
    no_stock_expected_shortfall: float

    TERMS: ClassVar[tuple[str, ...]] = (
        "purchase_cost", "residual_value", "holding_cost", "programme_cost", "facility_cost",
        "agreement_cost", "expected_shortfall_cost", "expected_transport_cost",
        "expected_conversion_cost", "expected_transfer_settlement")

    def terms(self) -> list[tuple[str, float]]:
        """(term, value) of the settled cost, each signed as it enters it."""
        return [(t, float(getattr(self, t))) for t in self.TERMS]


@dataclass(frozen=True)
class ScenarioRow:
    """The plan's cost in one scenario."""

    scenario: str
    probability: float
    total_cost: float
    shortfall_cost: float
    unmet_t: float
    transport_cost: float
    conversion_cost: float
    no_stock_shortfall_cost: float


@dataclass(frozen=True)
class ObjectiveTerms:
    """The objective's terms (USD); :meth:`total` adds them back up to the objective."""

    purchase: float
    residual_value: float  # minus the recovered value E1
    holding: float
    programmes: float
    facilities: float
    agreements: float
    expected_shortfall: float
    expected_transport: float
    expected_conversion: float

    def items(self) -> list[tuple[str, float]]:
        """(term, value) in the objective's order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def total(self) -> float:
        return float(sum(v for _, v in self.items()))


@dataclass(frozen=True)
class Distribution:
    """The distribution of scenario cost, probability-weighted (USD)."""

    mean: float
    min: float
    p05: float
    p50: float
    p95: float
    max: float
    cvar95: float  # mean of the worst 5 %

    def items(self) -> list[tuple[str, float]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


@dataclass(frozen=True)
class NoStock:
    """The expected shortfall cost with no stock at all, and what the plan avoids of it."""

    expected_shortfall_cost: float
    expected_shortfall_avoided: float


@dataclass
class SolveFigures:
    """Everything :func:`stockpile.extract.extract` reads from a solved model."""

    mode: str
    objective_terms: ObjectiveTerms
    objective_recomputed: float
    first_stage_cost: float
    plan: list[PlanRow]
    programmes: list[ProgrammeRow]
    facilities: list[FacilityRow]
    agreements: list[AgreementRow]
    flows: list[Flow]
    conversions: list[Conversion]
    holders: list[HolderRow]
    scenarios: list[ScenarioRow]
    scenario_cost_distribution: Distribution
    shortfall_by_material: dict[str, float]  # expected shortfall cost per material
    no_stock: NoStock
    # added after the extraction; plain dicts, not typed here (module docstring)
    why: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    _optional: ClassVar[tuple[str, ...]] = ("why", "evidence")

    def signed_agreements(self) -> set[str]:
        """The keys of the agreements the plan signs."""
        return {a.key for a in self.agreements if a.signed}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of result.json: field names as keys, in order; ``why`` and ``evidence``
        only when present."""
        out = asdict(self, dict_factory=_json_dict)
        for k in self._optional:
            if out[k] is None:
                del out[k]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SolveFigures:
        """The figures of a result dict (result.json, or ``Outcome.as_dict()``); keys other
        than the figures' (solver, instance, what-ifs...) are ignored; a missing figure, or a
        missing or unknown key in a row, is a ValueError naming it."""
        missing = [f.name for f in fields(cls) if f.name not in d and f.name not in
                   cls._optional]
        if missing:
            raise ValueError(f"result: missing {', '.join(missing)}")
        return cls(
            mode=d["mode"],
            objective_terms=_row(ObjectiveTerms, d["objective_terms"], "objective_terms"),
            objective_recomputed=d["objective_recomputed"],
            first_stage_cost=d["first_stage_cost"],
            plan=_rows(PlanRow, d["plan"], "plan"),
            programmes=_rows(ProgrammeRow, d["programmes"], "programmes"),
            facilities=_rows(FacilityRow, d["facilities"], "facilities"),
            agreements=[AgreementRow.from_dict(a, f"agreements[{i}]")
                        for i, a in enumerate(d["agreements"])],
            flows=_rows(Flow, d["flows"], "flows"),
            conversions=_rows(Conversion, d["conversions"], "conversions"),
            holders=_rows(HolderRow, d["holders"], "holders"),
            scenarios=_rows(ScenarioRow, d["scenarios"], "scenarios"),
            scenario_cost_distribution=_row(Distribution, d["scenario_cost_distribution"],
                                            "scenario_cost_distribution"),
            shortfall_by_material=dict(d["shortfall_by_material"]),
            no_stock=_row(NoStock, d["no_stock"], "no_stock"),
            why=d.get("why"), evidence=d.get("evidence"))


FIGURE_KEYS = [_json_key(f.name) for f in fields(SolveFigures)]
"""The keys the figures add to result.json, in order (docs/cli.md lists them)."""

__all__ = ["FIGURE_KEYS", "AgreementRow", "Conversion", "Distribution", "FacilityRow", "Flow",
           "HolderRow", "NoStock", "ObjectiveTerms", "PlanRow", "ProgrammeRow",
           "ScenarioRow", "SolveFigures"]
