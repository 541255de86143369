"""Headlines without site affixes (issue 27): how many titles of real pages change, and how.

    python -m benchmarks.titles                      # both folds, counts and a sample
    python -m benchmarks.titles --build GIT_DIR      # rebuild the postlight fixture from a clone

Pages: mozilla/readability's test pages (benchmarks/fixtures/readability-test-pages.tar.xz,
Apache-2.0) and postlight/parser's fixtures of every version in its history
(benchmarks/fixtures/titles-postlight.jsonl.xz, MIT/Apache-2.0: each page's title, meta tags and
<h1>s only; postlight saved `<meta content>` as `value`, put back here). A site's affixes are learnt
from all its pages in the set, as one run learns them (flows/pipeline/headlines.py); a site seen
once only loses the parts that name it.

Folds by site: "development" are readability's pages and the postlight sites looked at while the
rules were written (DEVELOPMENT); "held out" are the other postlight sites, never looked at.
Before: the title the pipeline stored until now (trafilatura's metadata reader); after:
`titles.choose` with the site's learnt affixes.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html

from benchmarks.page_dates_build import restore_meta_content
from flows.stages.reading.extract import html_to_text
from flows.stages.reading.page_metadata import page_metadata
from flows.stages.reading.titles import SiteTitles, choose, fold, page_titles

HERE = Path(__file__).resolve().parent
READABILITY = HERE / "fixtures" / "readability-test-pages.tar.xz"
POSTLIGHT = HERE / "fixtures" / "titles-postlight.jsonl.xz"
# postlight sites whose titles were read while the rules were written: development, not held out
DEVELOPMENT = frozenset(
    {"www.nytimes.com", "www.newyorker.com", "www.bbc.com", "www.zdf.de", "deadspin.com", "www.wired.com",
     "www.politico.com", "www.bloomberg.com", "www.washingtonpost.com", "www.theverge.com",
     "www.ftchinese.com", "www.cnbc.com", "www.miamiherald.com", "qz.com", "fortune.com"}
)  # fmt: skip
_KEEP = re.compile(
    rb"<title\b[^>]*>.*?</title>|<meta\b[^>]*>|<h1\b[^>]*>.*?</h1>"
    rb"|<script[^>]+application/ld\+json[^>]*>.*?</script>",
    re.IGNORECASE | re.DOTALL,
)


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={repo}", *args], check=True, capture_output=True).stdout


def postlight_history(repo: Path) -> Iterator[dict[str, str]]:
    """Every fixture page of postlight/parser's history (fixtures/HOST/NAME.html), its title,
    meta tags, JSON-LD and <h1>s kept."""
    listed = _git(repo, "log", "--all", "--name-only", "--format=", "--", "fixtures/*/*.html").decode()
    for path in sorted({p for p in listed.split() if p.count("/") == 2}):
        commit = (
            _git(repo, "log", "--all", "--format=%H", "--diff-filter=AM", "-1", "--", path).decode().strip()
        )
        html = restore_meta_content(_git(repo, "show", f"{commit}:{path}"))
        kept = b"\n".join(m.group(0) for m in _KEEP.finditer(html))
        yield {
            "host": path.split("/")[1],
            "path": path,
            "commit": commit,
            "head": kept.decode("utf-8", "replace"),
        }


def build(repo: Path, dest: Path = POSTLIGHT) -> int:
    rows = list(postlight_history(repo))
    with lzma.open(dest, "wt", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def pages() -> list[dict[str, Any]]:
    """(site, fold, name, html) of every page: readability's by outlet name, postlight's by host."""
    out: list[dict[str, Any]] = []
    with tarfile.open(READABILITY) as tar:
        for member in tar.getmembers():
            if member.name.endswith("/source.html"):
                f = tar.extractfile(member)
                assert f is not None
                name = member.name.split("/")[0]
                site = re.sub(r"-\d+$", "", name)
                out.append(
                    {"site": site, "host": None, "fold": "development", "name": name, "html": f.read()}
                )
    with lzma.open(POSTLIGHT, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            fold_ = "development" if row["host"] in DEVELOPMENT else "held out"
            html = f"<html><head>{row['head']}</head><body></body></html>"
            out.append(
                {"site": row["host"], "host": row["host"], "fold": fold_, "name": row["path"], "html": html}
            )
    return out


def evaluate() -> dict[str, Any]:
    rows = pages()
    sites: dict[str, SiteTitles] = {}
    parsed = []
    for row in rows:
        tree = lxml.html.fromstring(row["html"])
        cands = page_titles(tree)
        before = html_to_text(page_metadata(tree, "https://example.invalid/", date=False).title or "") or None
        printed = cands.title or cands.og
        site = sites.setdefault(row["site"], SiteTitles())
        if printed:  # one page kept at several versions is one page: keyed by its title
            site.observe(fold(printed), printed)
        parsed.append((row, cands, before))
    report: dict[str, Any] = {}
    for row, cands, before in parsed:
        after = choose(None, cands, sites[row["site"]], row["host"])
        part = report.setdefault(row["fold"], {"pages": 0, "sites": set(), "changed": 0, "sample": []})
        part["pages"] += 1
        part["sites"].add(row["site"])
        if (after or "") != (before or ""):
            part["changed"] += 1
            part["sample"].append({"page": row["name"], "before": before, "after": after})
    for part in report.values():
        part["sites"] = len(part["sites"])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, metavar="GIT_DIR", help="rebuild the postlight fixture")
    args = parser.parse_args()
    if args.build:
        print(f"{build(args.build)} pages written to {POSTLIGHT}")
        return
    print(json.dumps(evaluate(), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
