"""Supply data and the calibrated event library, read from the package's own data files.

Data (stockpile/scenarios/data/, see SOURCES.md there):

- ``supply.csv``: world production share w_mc of each producer country c per material m
  (USGS MCS 2026, 2025e).
- ``us_imports.csv``: US import sources s_hmc and net import reliance NIR_hm (USGS MCS 2026).
- ``estimates.csv``: Japan's import shares and germanium, marked ESTIMATE with their source.
- ``disruption_events.csv``: the real events the library is calibrated on.

Exposure of holder h to country c for material m (share of h's normal supply of m that
country c's exports make up, directly or through third-country processors)::

    e_hmc = NIR_hm * min(1, s_hmc + (1 - s_hmc) * w_mc * PASS_THROUGH)

A holder whose import split is unknown imports like the world produces (s_hmc = w_mc) with
NIR 1. An instance material is matched to a data material by id, name or alias.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

PASS_THROUGH = 0.5
"""Share of a third-country processor's feedstock from c that cannot be replaced quickly."""

HOLDER_COUNTRY = {"US": "US", "JP": "JP", "KR": "KR", "EU": "EU"}
COUNTRY_NAME = {"US": "United States", "JP": "Japan", "KR": "Korea, Republic of", "EU": ""}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("stockpile.scenarios").joinpath("data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Profile:
    """Supply data of one data material."""

    key: str
    aliases: tuple[str, ...]
    world_share: dict[str, float]  # country -> w_mc
    imports: dict[str, dict[str, float]]  # holder country -> {partner -> s_hmc}
    nir: dict[str, float]  # holder country -> NIR_hm
    estimated: frozenset[str]  # holder countries whose figures are estimates

    @property
    def top_share(self) -> float:
        return max(self.world_share.values(), default=0.0)

    @property
    def hhi(self) -> float:
        """Herfindahl-Hirschman index of world production, 0..10,000."""
        return float(sum((100 * w) ** 2 for w in self.world_share.values()))


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    world: dict[str, dict[str, float]] = {}
    aliases: dict[str, tuple[str, ...]] = {}
    for r in _rows("supply.csv"):
        world.setdefault(r["material"], {})[r["country"]] = float(r["world_share_2025"])
        aliases[r["material"]] = tuple(r["aliases"].split())
    imports: dict[str, dict[str, dict[str, float]]] = {}
    nir: dict[str, dict[str, float]] = {}
    estimated: dict[str, set[str]] = {}
    for r in _rows("us_imports.csv"):
        imports.setdefault(r["material"], {}).setdefault("US", {})[r["partner"]] = \
            float(r["share"])
        nir.setdefault(r["material"], {})["US"] = float(r["net_import_reliance"])
    for r in _rows("estimates.csv"):
        mat, hc = r["material"], r["holder_country"]
        if hc == "WORLD":
            world.setdefault(mat, {})[r["partner"]] = float(r["share"])
            aliases.setdefault(mat, ())
            continue
        imports.setdefault(mat, {}).setdefault(hc, {})[r["partner"]] = float(r["share"])
        nir.setdefault(mat, {})[hc] = float(r["net_import_reliance"])
        if "ESTIMATE" in r["source"]:
            estimated.setdefault(mat, set()).add(hc)
    return {m: Profile(m, aliases.get(m, ()), {c: w for c, w in world[m].items() if c != "other"},
                       imports.get(m, {}), nir.get(m, {}), frozenset(estimated.get(m, set())))
            for m in world}


def match_material(material_id: str, name: str = "") -> Profile | None:
    """The data profile of an instance material, or None when no data material matches.

    A heavy rare earth (Dy, Tb, ...: ``HEAVY_RARE_EARTHS`` in its id or name) takes the
    'rare_earths_heavy' profile (separated almost only in China) where the data has one."""
    text = f"{material_id} {name}".lower()
    if "rare_earths_heavy" in profiles() and any(w in text for w in HEAVY_RARE_EARTHS):
        return profiles()["rare_earths_heavy"]
    words = {w.lower() for w in (material_id, name) if w}
    for p in profiles().values():
        names = {p.key.lower(), p.key.split("_")[0].lower(), *(a.lower() for a in p.aliases)}
        if words & names or any(w.split("-")[0].split("_")[0] in names for w in words):
            return p
    return None


HEAVY_RARE_EARTHS = ("dysprosium", "terbium", "samarium", "gadolinium", "lutetium", "yttrium",
                     "scandium", "holmium", "erbium", "heavy", "hree")
"""Words that mark a rare-earth material as heavy (REE2025 named Sm, Gd, Tb, Dy, Lu, Sc, Y)."""


def regime_key(material_id: str, name: str = "") -> str:
    """The key licensing regimes name a material by (``events.CHINA_REGIMES``).

    The data material's first word ('gallium_primary' -> 'gallium'); rare earths split into
    'rare_earths_heavy' (Dy, Tb, ...: named by id or name) and 'rare_earths_light' (NdPr and
    the rest); '' for a material with no supply data.
    """
    p = match_material(material_id, name)
    if p is None:
        return ""
    if p.key.startswith("rare_earths"):
        words = f"{material_id} {name}".lower()
        heavy = any(w in words for w in HEAVY_RARE_EARTHS)
        return "rare_earths_heavy" if heavy else "rare_earths_light"
    return p.key.split("_")[0]


def holder_country(holder_id: str) -> str:
    """'US-DLA' -> 'US'; unknown prefixes give '' (a holder importing like the world)."""
    prefix = holder_id.split("-", maxsplit=1)[0].split("_", maxsplit=1)[0]
    return HOLDER_COUNTRY.get(prefix.upper(), "")


def exposure(profile: Profile | None, holder_id: str, country: str) -> float:
    """e_hmc of the module docstring."""
    if profile is None:
        return 0.0
    hc = holder_country(holder_id)
    if COUNTRY_NAME.get(hc) == country:
        return 0.0  # a country does not embargo itself
    w = profile.world_share.get(country, 0.0)
    split = profile.imports.get(hc)
    s = split.get(country, 0.0) if split else w
    nir = profile.nir.get(hc, 1.0)
    return float(nir * min(1.0, s + (1.0 - s) * w * PASS_THROUGH))


def exposure_matrix(holders: list[str], profiles_of: list[Profile | None],
                    country: str) -> np.ndarray:
    """e_hmc for every holder and instance material, (H, M)."""
    return np.array([[exposure(p, h, country) for p in profiles_of] for h in holders])


def net_import_reliance(profile: Profile | None, holder_id: str) -> float:
    if profile is None:
        return 1.0
    return profile.nir.get(holder_country(holder_id), 1.0)
