"""Event parameters: the calibrated numbers of the event kinds and the recovery ramp.

Each event type has a yearly rate lambda (onsets per year per slot; the probability of an
onset in a period of L years is 1 - exp(-lambda L)), a depth distribution Beta(a, b) (mean
a / (a + b)), a duration of full depth D ~ LogNormal(ln median_D, sigma_D) and a recovery
time R ~ LogNormal(ln median_R, sigma_R) over which the loss falls linearly to zero (supply
returns and other producers expand). The loss profile of an event with onset t0 is

    f(x) = 1                              for t0 <= x <= t0 + D
    f(x) = 1 - (x - t0 - D) / R           for t0 + D < x < t0 + D + R
    f(x) = 0                              otherwise

and its effect in period [t_a, t_b) is the period mean of f, computed exactly from the
integral G(u) = int_0^u f: u for u <= D, D + (u - D) - (u - D)^2 / (2R) up to D + R,
D + R / 2 beyond.

What each kind strikes and how is its class in ``kinds.py``; the default library with the
numbers below is ``library.DEFAULT_LIBRARY``.

Calibration on data/disruption_events.csv (full table in docs/scenarios.md):

- ``licensing`` (an export-licensing regime of one country over a set of materials): China
  imposed six regimes in 2010-2025 (REE2010, GAGE2023, GRAPH2023, SB2024, W2025, REE2025):
  rate 6 / 16 yr = 0.375 per year. Each onset re-enacts one of the six, drawn uniformly
  (``CHINA_REGIMES``): it hits exactly the materials that regime hit, so a material's yearly
  rate is 0.375 x (regimes that hit it) / 6 and the materials hit together stay together
  (Ga with Ge, W with Te, Bi, Mo, In). Rare earths are split by what the regimes named:
  REE2010 cut every rare earth (light: NdPr; heavy: Dy, Tb), REE2025 (MOFCOM announcement
  No. 18: Sm, Gd, Tb, Dy, Lu, Sc, Y) only the heavy ones. Yearly rates that follow: heavy
  rare earths 0.125, NdPr, Ga, Ge, graphite, Sb, W, Te, Bi, Mo, In 0.0625 each; materials on
  no regime (Mg, Li, Nb, Co, Pd, ...) never. Trough depth of China's
  exports: 0.40, 1.0, 1.0, 0.93, 1.0, 0.74: mean 0.85, so Beta(2.55, 0.45). Full-depth
  phase 2 months (Ga/Ge, REE2010 embargo, magnets) to 5 months (Sb) and 2 years (REE quota):
  median 0.25 yr, sigma 1.2 (mean 0.51 yr). Recovery 3-4 months (Ga, graphite) to 3 years
  (REE prices 2011-2014): median 0.5 yr, sigma 0.8. Three of six regimes singled out one
  holder (Japan 2010, US ban 2024, Dy to Japan -95% 2025): with probability 0.5 one holder,
  drawn uniformly, loses everything (depth 1). DRC's cobalt quota (CO2025: -56%) is a regime
  of its own over cobalt: one in 16 years, rate 0.0625.
- ``outage`` (disaster, conflict or sanctions at a producer): one slot per material and
  country with at least 20% of world output. Non-Chinese producer disruptions in the table
  and USGS T4 (PD2022 threat to Russia's 40%, Indonesia nickel 2020, South Africa chromite
  2025, Zimbabwe lithium 2022) are about 4 in 16 years over some 30 such pairs: 0.01 per
  pair and year. Depth Beta(2, 2) (mean 0.5; PD2022 threatened 40%, CO2025 -56%); duration
  median 0.5 yr.
- ``midstream`` (separation, refining or conversion outage): no event in the table; an
  assumption of 0.05 per material and year, Beta(2, 2) cut of conversion capacity, median
  0.25 yr, for materials with conversion routes.
- ``demand_surge``: LI2022 (lithium demand boom, price +401%) is the one demand shock in the
  table: 1 in 16 years over 20 materials gives 0.003; raised to 0.02 per material and year
  as a prudent assumption (defence mobilisation). Multiplier 1 + Beta(2, 4.67) * 1 (mean
  +30%), median 0.5 yr.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Regime:
    """One historical export-licensing regime: the regime keys of the materials it hit."""

    event: str
    keys: tuple[str, ...]


CHINA_REGIMES: tuple[Regime, ...] = (
    Regime("REE2010", ("rare_earths_light", "rare_earths_heavy")),
    Regime("GAGE2023", ("gallium", "germanium")),
    Regime("GRAPH2023", ("graphite",)),
    Regime("SB2024", ("antimony",)),
    Regime("W2025", ("tungsten", "tellurium", "bismuth", "molybdenum", "indium")),
    Regime("REE2025", ("rare_earths_heavy",)),
)
"""China's six licensing regimes of 2010-2025 (data/disruption_events.csv), each with the
materials it named, as regime keys (``calibration.regime_key``)."""


@dataclass(frozen=True)
class EventType:
    name: str
    rate: float  # onsets per year per slot
    depth_a: float
    depth_b: float
    duration_median: float  # yr
    duration_sigma: float
    recovery_median: float  # yr
    recovery_sigma: float
    calibrated_on: tuple[str, ...] = ()

    @property
    def mean_depth(self) -> float:
        return self.depth_a / (self.depth_a + self.depth_b)


def _integral(u: np.ndarray, dur: np.ndarray, rec: np.ndarray) -> np.ndarray:
    """G(u) = int_0^u f for the unit loss profile (module docstring), elementwise."""
    u = np.maximum(u, 0.0)
    flat = np.minimum(u, dur)
    ramp = np.clip(u - dur, 0.0, rec)
    return flat + ramp - ramp ** 2 / (2.0 * np.maximum(rec, 1e-12))


def period_profile(onset: np.ndarray, dur: np.ndarray, rec: np.ndarray,
                   starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mean of the loss profile over each period, (N, T) for N events and T periods."""
    o, d, r = onset[:, None], dur[:, None], rec[:, None]
    g1 = _integral(ends[None, :] - o, d, r)
    g0 = _integral(starts[None, :] - o, d, r)
    return (g1 - g0) / (ends - starts)[None, :]
