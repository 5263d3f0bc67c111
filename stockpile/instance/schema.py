"""The instance format: frozen pydantic models, one per block of an instance file.

Units everywhere: mass in tonnes (t), money in US dollars (USD), time in years (yr),
storage space in cubic metres (m3). Every model forbids unknown fields, so a misspelt key is
an error, not a silently ignored value. Field-level rules (signs, ranges) live here;
rules that relate several blocks (references, sums, uniqueness) live in ``validate.py``.

The symbols in the descriptions are those of docs/model.md.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

MAX_MAGNITUDE = 1e15
"""Largest number an instance may hold: 1e15 USD is ten times world GDP, 1e15 t a thousand
times the world's annual steel output. HiGHS treats 1e20 as infinite and loses precision
long before; a larger figure is a typing error, not data."""



Real = Annotated[float, Strict()]
"""Every number field of the format is a Real: a number as written, an int or a float (a YAML
or JSON number, an Excel numeric cell). ``true``, ``"1_000"``, ``" 7 "`` and every other
non-number are refused, never converted (docs/security.md: no silently changed value); the
message says "must be a number, not <type>" (load.py)."""
NonNeg = Annotated[Real, Field(ge=0, le=MAX_MAGNITUDE)]
Positive = Annotated[Real, Field(gt=0, le=MAX_MAGNITUDE)]
Share = Annotated[Real, Field(ge=0, le=1)]
Number = Annotated[Real, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]

ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def _safe_id(value: str) -> str:
    """An id is one safe token, like an instance name: letters, digits, '_', '-' and '.', not
    starting with '.'; never a space, tab, line break or markup (ids go into report tables)."""
    if not ID_PATTERN.fullmatch(value):
        raise ValueError("an id is one token: letters, digits, '_', '-' or '.', not starting "
                         "with '.' (no spaces, line breaks or other signs)")
    return value


Ident = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_safe_id)]

NAME_MAX = 80
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                    *(f"lpt{i}" for i in range(10))}


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an instance name (it names the folder reports/<name>/), or None.

    One safe path component: letters, digits, ``_``, ``-`` and ``.``, not starting with a dot
    (so never ``.`` or ``..`` and never a hidden file), at most 80 characters, not a name
    Windows reserves for a device."""
    if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} characters"
    if not NAME_PATTERN.fullmatch(name):
        return ("must be letters, digits, '_', '-' or '.', not starting with '.' (it names "
                "the report folder)")
    if name.split(".", maxsplit=1)[0].lower() in WINDOWS_RESERVED:
        return "is a device name on Windows (it names the report folder)"
    return None


def _safe_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def safe_name_from(text: str) -> str:
    """A valid instance name made from any text (e.g. a file's stem): unsafe characters become
    '_', leading dots are dropped, the length is cut to 80; 'instance' if nothing is left."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip(".")[:NAME_MAX]
    return name if name and name_problem(name) is None else f"instance_{name}"[:NAME_MAX]


class _Frozen(BaseModel):
    # allow_inf_nan=False: "inf", "nan", 1e999 are rejected in every number field (a NaN
    # supply share would read as no disruption, an infinite demand as an empty model)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Period(_Frozen):
    """One period t of the disruption horizon."""

    id: Ident
    years: Positive = Field(description="length L_t of the period (yr)")


class Facility(_Frozen):
    """A storage facility f of a holder."""

    id: Ident
    capacity: NonNeg = Field(description="C_f, storage space (m3)")
    fixed_cost: NonNeg = Field(0.0, description="gamma_f, fixed cost of using it (USD)")


class Holder(_Frozen):
    """A stockpile programme h (e.g. US-DLA, JP-JOGMEC)."""

    id: Ident
    name: str = ""
    budget: NonNeg = Field(description="B_h, acquisition budget (USD)")
    facilities: list[Facility] = Field(
        default_factory=list,
        description="F_h; a holder with none listed has no storage limit",
    )


class Material(_Frozen):
    """A material m (e.g. gallium), whatever its grade or form."""

    id: Ident
    name: str = ""
    world_production: NonNeg = Field(description="W_m, world annual production (t/yr)")
    market_cap_share: Share = Field(
        description="beta_m: all holders together buy at most beta_m * W_m tonnes"
    )


class Product(_Frozen):
    """A product k = (m, g): a material in one grade or form."""

    id: Ident
    material: Ident
    grade: str = Field("", description="grade or form, e.g. 'oxide 99%' or 'metal 6N'")
    price: NonNeg = Field(description="p_k, acquisition price (USD/t)")
    lot: Positive = Field(description="lot_k, purchases come in whole lots (t)")
    holding_cost: NonNeg = Field(0.0, description="rho_k, holding cost (USD/t/yr)")
    volume: NonNeg = Field(0.0, description="vol_k, storage space (m3/t)")
    residual_value_share: Share = Field(
        0.0, description="omega_k (extension E1): share of the price the holder gets back "
        "(stock is an asset); the objective charges (1 - omega_k) p_k per tonne bought, the "
        "budget the full price")
    metal_content: NonNeg = Field(
        1.0, description="t of the material per t of product, in the unit the material's "
        "world production W_m counts (e.g. 0.5602 t V per t V2O5): market caps and world "
        "production count contained material, sum_h sum_k metal_content_k x_hk <= beta_m W_m; "
        "must be > 0; 1 (the default) for a product counted as the material itself")
    metal_content_source: str = Field(
        "", description="where metal_content comes from (e.g. the molar-mass arithmetic); "
        "required when metal_content is not 1")


class Tier(_Frozen):
    """A shortfall tier q (e.g. essential, important, general)."""

    id: Ident
    name: str = ""


class TierShare(_Frozen):
    tier: Ident
    share: Share = Field(description="phi_hkq, share of demand in this tier")
    cost: NonNeg = Field(description="kappa_hkq, cost of one tonne unmet (USD/t)")


class Demand(_Frozen):
    """Normal annual demand d_hk of a holder's economy for a product."""

    holder: Ident
    product: Ident
    annual: NonNeg = Field(description="d_hk (t/yr)")
    shortfall: list[TierShare] = Field(description="tiers; shares sum to 1")


class Inventory(_Frozen):
    """Stock already held, I0_hk."""

    holder: Ident
    product: Ident
    tonnes: NonNeg


class Programme(_Frozen):
    """Fixed cost sigma_hm of running a programme for a material at a holder."""

    holder: Ident
    material: Ident
    fixed_cost: NonNeg


class Agreement(_Frozen):
    """A candidate sharing agreement on one material between two holders."""

    holders: tuple[Ident, Ident]
    material: Ident
    fixed_cost: NonNeg = Field(0.0, description="psi, paid half by each side (USD)")
    share_cap: Share = Field(
        description="theta: largest fraction of its stock of the material a holder releases "
        "to the partner in one scenario"
    )
    transport_cost: NonNeg = Field(0.0, description="c, shipping cost (USD/t)")


class Route(_Frozen):
    """A conversion route k -> k' inside one material."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    id: Ident
    from_product: Ident = Field(alias="from")
    to_product: Ident = Field(alias="to")
    yield_: Positive = Field(alias="yield", description="eta_r, t out per t in")
    cost: NonNeg = Field(0.0, description="c_r, cost per input tonne (USD/t)")
    capacity: dict[Ident, NonNeg] = Field(
        default_factory=dict,
        description="cap_hr, normal capacity per holder (t input/yr); 0 where not listed",
    )


class Effect(_Frozen):
    """One entry of a scenario: a value per period for some holders and products.

    ``holder`` absent means every holder. Give ``product`` or ``material`` (every product of
    the material), or neither for every product. ``values`` has one value per period, or a
    single number for every period. Two entries of one list with the same selector are an
    error (validate.py); a general and a specific entry may overlap, and there the later one
    applies (``stockpile validate`` lists such overlaps).
    """

    holder: Ident | None = None
    product: Ident | None = None
    material: Ident | None = None
    values: Number | list[Number]


class RouteEffect(_Frozen):
    """A conversion-capacity multiplier g_hrts for some holders and routes."""

    holder: Ident | None = None
    route: Ident | None = None
    values: Number | list[Number]


class Scenario(_Frozen):
    """A disruption scenario s. Where silent: supply share 1, demand multiplier 1, capacity 1."""

    id: Ident
    probability: Annotated[Real, Field(gt=0, le=1, description="pi_s")]
    description: str = ""
    events: list[str] = Field(
        default_factory=list, description="ids of the real events it is drawn from"
    )
    supply: list[Effect] = Field(
        default_factory=list, description="a_hkts, share of normal supply that still arrives"
    )
    demand: list[Effect] = Field(default_factory=list, description="mu_hkts, demand multiplier")
    conversion: list[RouteEffect] = Field(
        default_factory=list, description="g_hrts, conversion capacity multiplier"
    )


class CapitalCost(_Frozen):
    """The cost of the money tied up in stock (extension E1), stated with its source.

    With a residual value share omega_k > 0 the holding cost must include it:
    rho_k >= rate * omega_k * p_k (the yearly return forgone on the recoverable value).
    """

    rate: Share = Field(description="yearly rate (fraction, e.g. 0.04)")
    source: Annotated[str, Field(min_length=1, description="where the rate comes from")]


class Assumption(_Frozen):
    """One figure behind the answer and how firm it is: ``sourced`` (a published figure, as
    published or converted), ``derived`` (computed from sourced figures by a stated rule) or
    ``assumed`` (set by the analyst: no source)."""

    figure: Annotated[str, Field(min_length=1, max_length=200, description="the figure and "
                                 "its value, e.g. 'US-DLA budget, 2 bn USD'")]
    basis: Literal["sourced", "derived", "assumed"]
    source: str = Field("", description="where it comes from, or why it is assumed")


class Instance(_Frozen):
    """A whole stockpile instance."""

    name: Annotated[str, AfterValidator(_safe_name),
                    Field(description="names the report folder reports/<name>/")]
    description: str = ""
    currency: Literal["USD"] = "USD"
    holding_years: NonNeg = Field(description="Y, years of holding cost charged")
    periods: list[Period] = Field(min_length=1)
    holders: list[Holder] = Field(min_length=1)
    materials: list[Material] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    demand: list[Demand] = Field(default_factory=list)
    inventory: list[Inventory] = Field(default_factory=list)
    programmes: list[Programme] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(min_length=1)
    stress_tests: list[Scenario] = Field(
        default_factory=list,
        description="named historical analogues the plan is reported against; not optimised "
        "over (their probabilities are ignored)")
    capital_cost: CapitalCost | None = Field(
        None, description="required when a product has residual_value_share > 0 (E1)")
    sources: list[str] = Field(default_factory=list, description="provenance of the figures")
    assumptions: list[Assumption] = Field(
        default_factory=list, description="the figures that drive the answer, each marked "
        "sourced, derived or assumed (shown in the report)")
