"""Extraction quality on a benchmark directory: the ScrapingHub metric, per language.

    python -m benchmarks.extraction DIR [--format auto|readability|htmltotext|l3s|daniel]
    python -m benchmarks.extraction DIR --export-from GIT_DIR   # write a development set to DIR first

Scores `flows.stages.reading.extract.extract_page` (the pipeline's extraction, in the modes asked for)
and `trafilatura.extract` alone (the baseline) against each page's hand-cleaned text.

The metric is the one of the ScrapingHub article-extraction benchmark: the text is cut into
tokens (runs of word characters; one token per CJK character), the tokens into overlapping
4-token shingles (a text of fewer tokens is one shingle), and the expected and extracted shingle
multisets are compared: precision = shared / extracted, recall = shared / expected, F1 their
harmonic mean, per page, then averaged over pages (an empty extraction scores 0). Pages whose
expected text is empty are left out.

Layouts (`--format auto` tells them apart):
- readability: mozilla/readability test/test-pages: NAME/source.html, NAME/expected.html
  (Readability's own output), NAME/expected-metadata.json (its "lang").
- htmltotext: leogao2/htmltotext-benchmark benchmarkdata: LANG/html/NAME.html, LANG/text/NAME.txt.
- l3s: geodrome/page-signal L3S-GN1: original/ID.html, annotated/ID.html (the blocks marked
  x-nc-sel2, "full text", are the expected text), url-mapping.txt.
- daniel: rundimeco/waddle corpora/Corpus_daniel_v2.1: html/NAME, reference/NAME, doc_lg.json.
  NAME is DATE_DOMAIN_HASH. Only the development half is read: the domains whose
  zlib.crc32(domain) is even. The other half is held out and is not opened unless
  --daniel-holdout is given (for the final judgement only, never for tuning).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.text import CJK

SHINGLE = 4
_TOKEN = re.compile(f"[{CJK}]|[^\\W{CJK}]+")
_DANIEL_LANGUAGES = {"English": "en", "Chinese": "zh", "Russian": "ru", "Greek": "el", "Polish": "pl"}
FORMATS = ("readability", "htmltotext", "l3s", "daniel")


# --- the metric ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def tokens(text: str) -> list[str]:
    """Word-character runs, with every CJK character a token of its own."""
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    words = tokens(text)
    if not words:
        return Counter()
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)))


def shingle_score(expected: str, extracted: str, n: int = SHINGLE) -> Score:
    """Precision, recall and F1 of `extracted` against `expected` over n-token shingles."""
    want, got = shingles(expected, n), shingles(extracted, n)
    shared = sum((want & got).values())
    precision = shared / sum(got.values()) if got else 0.0
    recall = shared / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1)


# --- benchmark directories -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    lang: str
    html: bytes
    expected: str
    url: str


def daniel_is_dev(name: str) -> bool:
    """True for a DAnIEL page of the development half: its domain's crc32 is even."""
    parts = name.split("_")
    return len(parts) >= 3 and zlib.crc32(parts[1].encode()) % 2 == 0


def detect_format(root: Path) -> str:
    if (root / "reference").is_dir() and (root / "html").is_dir():
        return "daniel"
    if (root / "annotated").is_dir() and (root / "original").is_dir():
        return "l3s"
    if any((p / "source.html").is_file() for p in root.iterdir() if p.is_dir()):
        return "readability"
    if any((p / "html").is_dir() and (p / "text").is_dir() for p in root.iterdir() if p.is_dir()):
        return "htmltotext"
    raise SystemExit(f"{root}: not a benchmark directory of a known layout ({', '.join(FORMATS)})")


def _html_text(markup: str) -> str:
    from flows.stages.reading.extract import html_to_text

    return html_to_text(markup)


def _language_of(text: str) -> str:
    from flows.stages.reading.language import detect_language

    return (detect_language(text) or "?").split("-")[0]


def load_readability(root: Path) -> Iterator[Case]:
    for page in sorted(p for p in root.iterdir() if (p / "source.html").is_file()):
        expected = _html_text((page / "expected.html").read_text(encoding="utf-8"))
        meta_path = page / "expected-metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        lang = (meta.get("lang") or "").split("-")[0].lower() or _language_of(expected)
        yield Case(
            page.name, lang, (page / "source.html").read_bytes(), expected, f"http://{page.name}.test/"
        )


def load_htmltotext(root: Path) -> Iterator[Case]:
    for lang_dir in sorted(p for p in root.iterdir() if (p / "html").is_dir()):
        for html in sorted((lang_dir / "html").glob("*.html")):
            text = lang_dir / "text" / f"{html.stem}.txt"
            if text.is_file():
                expected = text.read_text(encoding="utf-8", errors="replace")
                yield Case(f"{lang_dir.name}/{html.stem}", lang_dir.name, html.read_bytes(), expected, "")


def load_l3s(root: Path) -> Iterator[Case]:
    import lxml.html

    urls: dict[str, str] = {}
    mapping = root / "url-mapping.txt"
    if mapping.is_file():
        for line in mapping.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, url = line.partition("\t")
            urls[key.strip("<>").removeprefix("urn:uuid:")] = url.strip()
    for annotated in sorted((root / "annotated").glob("*.html")):
        original = root / "original" / annotated.name
        if not original.is_file():
            continue
        doc = lxml.html.fromstring(annotated.read_bytes())
        blocks = [" ".join(el.text_content().split()) for el in doc.xpath('//*[@class="x-nc-sel2"]')]
        expected = "\n".join(b for b in blocks if b)
        yield Case(annotated.stem, "en", original.read_bytes(), expected, urls.get(annotated.stem, ""))


def load_daniel(root: Path, holdout: bool = False) -> Iterator[Case]:
    languages: dict[str, str] = {}
    if (root / "doc_lg.json").is_file():
        languages = json.loads((root / "doc_lg.json").read_text(encoding="utf-8"))
    for html in sorted((root / "html").iterdir()):
        if daniel_is_dev(html.name) == holdout:  # the rule comes before any page is opened
            continue
        reference = root / "reference" / html.name
        if not reference.is_file():
            continue
        expected = _html_text(reference.read_text(encoding="utf-8", errors="replace"))
        lang = _DANIEL_LANGUAGES.get(languages.get(html.name, ""), languages.get(html.name, "?"))
        yield Case(
            html.name, lang, html.read_bytes(), expected, f"http://{html.name.split('_')[1]}/{html.name}"
        )


def load(root: Path, fmt: str = "auto", *, daniel_holdout: bool = False) -> list[Case]:
    fmt = detect_format(root) if fmt == "auto" else fmt
    if fmt == "daniel":
        return list(load_daniel(root, daniel_holdout))
    loaders: dict[str, Callable[[Path], Iterable[Case]]] = {
        "readability": load_readability,
        "htmltotext": load_htmltotext,
        "l3s": load_l3s,
    }
    return list(loaders[fmt](root))


# --- exporting a development set from a git mirror ------------------------------------------------

# path in the repository -> the layout; DAnIEL files are filtered by name before they are written
_EXPORTS = {
    "test/test-pages": "readability",
    "benchmarkdata": "htmltotext",
    "L3S-GN1-20100130203947-00001": "l3s",
    "corpora/Corpus_daniel_v2.1": "daniel",
}


def export(git_dir: Path, dest: Path) -> str:
    """Write the development set a bare git repository holds to `dest` (DAnIEL: dev half only)."""
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for prefix, fmt in _EXPORTS.items():
        wanted = [p for p in listing if p.startswith(prefix + "/")]
        if not wanted:
            continue
        if fmt == "daniel":
            wanted = [p for p in wanted if p.endswith(".json") or daniel_is_dev(p.rsplit("/", 1)[1])]
        if fmt == "l3s":
            wanted = [p for p in wanted if not p.endswith(".warc")]
        for path in wanted:
            blob = subprocess.run(
                ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"], check=True, capture_output=True
            ).stdout
            target = dest / path[len(prefix) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        return fmt
    raise SystemExit(f"{git_dir}: holds none of {', '.join(_EXPORTS)}")


# --- extractors and the table --------------------------------------------------------------------


def _pipeline(mode: str) -> Callable[[Case], tuple[str, str | None]]:
    from flows.stages.reading.extract import extract_page

    settings = _modes()[mode]

    def run(case: Case) -> tuple[str, str | None]:
        out = extract_page(case.html, case.url or "http://example.test/", **settings)
        return out.text, out.second_opinion

    return run


def _modes() -> dict[str, dict[str, Any]]:
    from flows.config import Settings

    default = Settings.model_fields["extraction"].default
    return {"pipeline": {"mode": default}, **{m: {"mode": m} for m in ("auto", "thorough", "fast")}}


def _trafilatura(case: Case) -> tuple[str, str | None]:
    import trafilatura

    return trafilatura.extract(case.html, url=case.url or None) or "", None


def extractor(name: str) -> Callable[[Case], tuple[str, str | None]]:
    if name == "trafilatura":
        return _trafilatura
    if name in _modes():
        return _pipeline(name)
    raise SystemExit(f"unknown extractor {name!r} (pipeline, auto, thorough, fast, trafilatura)")


@dataclass
class Result:
    extractor: str
    scores: dict[str, Score] = field(default_factory=dict)  # case name -> score
    cpu: float = 0.0
    second: dict[str, str] = field(default_factory=dict)  # case name -> why ("auto" mode)


def evaluate(cases: list[Case], names: list[str]) -> list[Result]:
    results = []
    for name in names:
        run, result = extractor(name), Result(name)
        run(cases[0])  # imports and caches
        for case in cases:
            started = time.process_time()
            text, why = run(case)
            result.cpu += time.process_time() - started
            result.scores[case.name] = shingle_score(case.expected, text)
            if why:
                result.second[case.name] = why
        results.append(result)
    return results


def mean(scores: list[Score]) -> Score:
    n = max(len(scores), 1)
    return Score(*(sum(getattr(s, f) for s in scores) / n for f in ("precision", "recall", "f1")))


def table(cases: list[Case], results: list[Result]) -> tuple[str, dict[str, Any]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        groups[case.lang].append(case.name)
    rows = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])) + [("all", [c.name for c in cases])]
    head = "| language | pages | " + " | ".join(f"{r.extractor} P / R / F1" for r in results) + " |"
    lines = [head, "| --- | --- | " + " | ".join("---" for _ in results) + " |"]
    figures: dict[str, Any] = {}
    for lang, names in rows:
        cells = []
        for r in results:
            m = mean([r.scores[n] for n in names])
            figures.setdefault(lang, {"pages": len(names)})[r.extractor] = m.__dict__
            cells.append(f"{m.precision:.3f} / {m.recall:.3f} / **{m.f1:.3f}**")
        lines.append(f"| {lang} | {len(names)} | " + " | ".join(cells) + " |")
    ms = ", ".join(f"{r.extractor} {1000 * r.cpu / max(len(cases), 1):.1f}" for r in results)
    lines.append(f"\nCPU ms per page: {ms}")
    for r in results:
        if r.second:
            why = Counter(r.second.values())
            share = f"{len(r.second)} of {len(cases)} pages ({100 * len(r.second) / len(cases):.0f} %)"
            lines.append(
                f"second opinion, {r.extractor}: {share}: "
                + ", ".join(f"{k} {v}" for k, v in why.most_common())
            )
    return "\n".join(lines), figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=Path, help="a benchmark directory (see the module's docstring)")
    ap.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    ap.add_argument(
        "--extractors",
        default="pipeline,trafilatura",
        help="comma-separated: pipeline (the default `extraction` setting), auto, thorough, fast, trafilatura",
    )
    ap.add_argument("--limit", type=int, default=0, help="score only the first N pages")
    ap.add_argument("--json", type=Path, help="also write the figures and per-page scores here")
    ap.add_argument(
        "--export-from", type=Path, help="first write the set this bare git repository holds to DIR"
    )
    ap.add_argument("--daniel-holdout", action="store_true", help="score DAnIEL's held-out half instead")
    args = ap.parse_args(argv)
    if args.export_from:
        print(f"exported the {export(args.export_from, args.dir)} set to {args.dir}")
    cases = [c for c in load(args.dir, args.format, daniel_holdout=args.daniel_holdout) if tokens(c.expected)]
    if args.limit:
        cases = cases[: args.limit]
    if not cases:
        raise SystemExit(f"{args.dir}: no page with an expected text")
    results = evaluate(cases, [n.strip() for n in args.extractors.split(",") if n.strip()])
    text, figures = table(cases, results)
    print(text)
    if args.json:
        per_page = {
            r.extractor: {k: v.__dict__ | {"second_opinion": r.second.get(k)} for k, v in r.scores.items()}
            for r in results
        }
        args.json.write_text(json.dumps({"figures": figures, "pages": per_page}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
