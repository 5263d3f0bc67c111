"""Rebuild supply.csv and us_imports.csv from the USGS-derived summary (run by hand, not at
run time):

    python stockpile/scenarios/data/derive_supply.py \
        data/usgs/critical_materials_summary_mcs2026.csv
"""

import csv
import re
import sys
from pathlib import Path

ALIASES = {  # data key -> instance material ids that match it (besides the key's first word)
    "rare_earths_REO": "rare_earths ree ndpr neodymium praseodymium dysprosium terbium "
                       "samarium rare-earths",
    "gallium_primary": "gallium ga",
    "graphite_natural": "graphite",
    "titanium_sponge": "titanium",
    "indium_refinery": "indium",
    "bismuth_refinery": "bismuth",
    "tellurium_refinery": "tellurium",
    "magnesium_metal": "magnesium",
}
# Net import reliance is read for 2025e except where USGS's 2025e apparent consumption is
# provisional (rare earths 9,010 t -> 27,000 t, antimony 24,000 t -> 45,000 t between 2024 and
# 2025e; data/real_data.md, section 5): there the 2024 figure is used.
NIR_2024 = {"rare_earths_REO", "antimony"}


def nir(text: str) -> float:
    m = re.match(r"\s*[<>]?\s*(\d+(?:\.\d+)?)", text)
    if m:
        return float(m.group(1)) / 100
    return 0.0 if text.strip().startswith("E") else 1.0


def main(src: str) -> None:
    here = Path(__file__).parent
    with open(src, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(here / "supply.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["material", "aliases", "country", "world_share_2025", "source"])
        for r in rows:
            for part in r["top_producers_2025"].split(";"):
                m = re.match(r"\s*(.+?):\s*[\d.e+]+\s*\((\d+(?:\.\d+)?)%\)", part)
                if m:
                    w.writerow([r["material"], ALIASES.get(r["material"], ""), m.group(1),
                                round(float(m.group(2)) / 100, 4),
                                "USGS MCS 2026 (world production 2025e)"])
    with open(here / "us_imports.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["material", "partner", "share", "net_import_reliance", "source"])
        for r in rows:
            groups = r["us_import_sources_2021_24"].split("|")
            first = next((g for g in groups if "Total" in g), groups[0])
            body = first.split(":", 1)[-1]
            year = "2024" if r["material"] in NIR_2024 else "2025"
            # a partner's name may hold a comma ("Korea, Republic of 25%"): match whole items
            for m in re.finditer(r"\s*(.+?)\s+<?(\d+(?:\.\d+)?)%\s*(?:,|$)", body):
                w.writerow([r["material"], m.group(1).replace("Other countries", "other"),
                            round(float(m.group(2)) / 100, 4), nir(r[f"us_nir_pct_{year}"]),
                            f"USGS MCS 2026 (US import sources 2021-24, NIR {year}"
                            f"{'' if year == '2024' else 'e'})"])


if __name__ == "__main__":
    main(sys.argv[1])
