"""Rendering the digest (flows/stages/delivery/digest/render.py): article text escaped, and how it looks in a browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from flows.stages.delivery.digest.build import build_digest
from flows.stages.delivery.digest.deliver import make_digest
from flows.stages.delivery.digest.render import render
from storage import Store
from tests.stages.delivery.digest.conftest import DAY, NOON, config, make_store, record
from tests.support.browser import chromium_or_skip, headless_command

HOSTILE_TITLE = "Kazakhstan <script>alert('x')</script> & <b>Uzbekistan</b>"


def test_rendering_escapes_article_text_and_stays_mail_safe(db_path: Path) -> None:
    store = make_store(
        db_path,
        [
            record(
                "Evil <i>Outlet</i>",
                "x",
                HOSTILE_TITLE,
                "Astana <img src=https://tracker.example/p.gif onerror=alert(1)> said [link](http://bad) yes. Two.",
                url="javascript:alert(1)",
            ),
            record(
                "Лента",
                "ru",
                "Токаев провёл переговоры",
                "Токаев провёл переговоры в Астане. Итоги позже.",
                language="ru",
                relevance=0.9,
            ),
        ],
    )
    out = render(build_digest(config(), store, DAY, now=NOON))
    html = out.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Uzbekistan&lt;/b&gt;" in html
    assert "&lt;img src=https://tracker.example/p.gif" in html
    markup = " ".join(re.findall(r"<[^>]*>", html)).lower()  # escaped text has no "<" left
    for forbidden in ("<script", "<img", "<style", "<link", "javascript:", " src=", "onerror=", "<iframe"):
        assert forbidden not in markup, forbidden
    assert "javascript:" not in html
    tags = re.findall(r"<(?!/|!)([a-z0-9]+)([^>]*)>", html)
    assert {t for t, _ in tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "body",
        "table",
        "tr",
        "td",
        "div",
        "span",
        "a",
        "strong",
        "br",
    }
    assert "Токаев провёл переговоры" in html and ">Russian<" in html
    # Markdown shows the text as written: no link, tag or emphasis from article text
    assert "\\<script\\>" in out.markdown and "\\[link\\]\\(http://bad\\)" in out.markdown
    assert "javascript:" not in out.markdown and "javascript:" not in out.text
    assert HOSTILE_TITLE in out.text and "Russian" in out.text


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A tiny PNG decoder (8-bit RGB/RGBA, non-interlaced): width, height and the unfiltered rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return width, height, rows


def test_html_digest_renders_in_a_real_browser(newsroom: Store, tmp_path: Path) -> None:
    browser = chromium_or_skip()
    outcome = make_digest(config(), newsroom, DAY, out_dir=tmp_path / "out", now=NOON)
    shot = tmp_path / "digest.png"
    proc = subprocess.run(
        headless_command(
            browser,
            tmp_path,
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            outcome.paths.html.resolve().as_uri(),
        ),
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert shot.exists(), proc.stderr.decode(errors="replace")[-2000:]
    if os.environ.get("KEEP_DIGEST_SCREENSHOT"):
        shutil.copy(shot, os.environ["KEEP_DIGEST_SCREENSHOT"])
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)

    def dark(row: bytes) -> int:
        return sum(1 for i in range(0, len(row), 3) if max(row[i : i + 3]) < 128)

    # the header band is dark blue, text lines are dark on white; a blank page has neither
    dark_rows = [y for y, row in enumerate(rows) if dark(row) > 20]
    assert len(dark_rows) > 300, len(dark_rows)
    assert dark_rows[-1] > 700  # the stories run well down the page, not just a header
    colours = {rows[y][i : i + 3] for y in range(0, height, 7) for i in range(0, width * 3, 21)}
    assert len(colours) > 20


# --- counts that agree, what an entry shows, contents, the failing-sources footer --------


def _section_counts(text: str) -> dict[str, int]:
    """The plain-text sections' headings: label -> the total the heading gives ("(3)", "(2 of 5)")."""
    found = re.findall(r"^== (.+) \((\d+)(?: of (\d+))?\) ==$", text, re.MULTILINE)
    return {label: int(total or shown) for label, shown, total in found}


def test_header_counts_are_the_sections_counts(newsroom: Store) -> None:
    """Before: the header said "Kazakhstan 4" (the KZ-UZ water deal counted) and the section "(3)"."""
    digest = build_digest(config(), newsroom, DAY, now=NOON)
    out = render(digest)
    sections = _section_counts(out.text)
    assert sections["Kazakhstan"] == 3 and sections["Uzbekistan"] == 1
    contents = dict(re.findall(r"^  \d+\. (.+) \((\d+)\)$", out.text, re.MULTILINE))
    assert {k: int(v) for k, v in contents.items()} == sections
    assert sum(sections.values()) == digest.total_stories
    # capped: the heading says how many of the section's stories are shown; the header keeps totals
    capped = render(build_digest(config("  digest:\n    max_stories: 3\n"), newsroom, DAY, now=NOON)).text
    header = re.search(r"^Stories per section: (.+)$", capped, re.MULTILINE)
    assert header is not None
    totals = {label.strip(): int(n) for label, n in re.findall(r"([^,]+?) (\d+)(?:,|$)", header.group(1))}
    for label, total in _section_counts(capped).items():
        assert totals[label] == total


def test_entries_show_outlets_and_languages_not_relevance(newsroom: Store) -> None:
    out = render(build_digest(config(), newsroom, DAY, now=NOON))
    for text in (out.html, out.text, out.markdown):
        assert "relevance" not in text.lower()
    # the grain story ran in three outlets; in the Kazakhstan section no "KZ" repeats the heading
    assert "Also reported by: Wire, Beta (3 outlets)" in out.text
    assert "3 outlets" in out.html and "(3 outlets)" in out.markdown
    kazakh = out.text.split("== Kazakhstan")[1].split("\n== ")[0]
    assert "KZ" not in kazakh
    region = out.text.split("== Region-wide")[1]
    assert "about Kazakhstan, Uzbekistan" in region
    # times carry their offset
    assert re.search(r"2026-11-21 10:00 \+0[56]", out.text)


def test_long_digests_get_a_table_of_contents(newsroom: Store, db_path: Path) -> None:
    out = render(build_digest(config(), newsroom, DAY, now=NOON))  # 9 stories in 6 sections
    assert "Contents:" in out.text and "  1. Kazakhstan (3)" in out.text
    assert 'href="#section-kz"' in out.html and 'id="section-kz"' in out.html
    assert "(#section-kz)" in out.markdown
    short = make_store(
        db_path.with_name("short.duckdb"), [record("Alpha", "one", "One story", "Astana. Two.")]
    )
    text = render(build_digest(config(), short, DAY, now=NOON)).text
    assert "Contents" not in text and "Stories per section: Kazakhstan 1" in text


def test_failing_sources_are_grouped_by_error_and_an_empty_day_is_one_line(db_path: Path) -> None:
    names = [f"Feed {n:02d}" for n in range(44)]
    cfg = config(
        sources="["
        + ", ".join(f"{{name: '{n}', url: 'https://f{i}.example/rss'}}" for i, n in enumerate(names))
        + "]"
    )
    store = Store(db_path)
    store.migrate()
    store.sync_sources(cfg.sources)
    from storage import PollOutcome

    store.record_polls(
        None,
        [
            PollOutcome(n, ok=False, error=f"name resolution failed: cannot resolve f{i}.example: [Errno -3]")
            for i, n in enumerate(names)
        ],
    )
    out = render(build_digest(cfg, store, DAY, now=NOON))
    for text in (out.text, out.markdown, out.html):
        assert text.count("name resolution failed") == 2, text  # the summary and the group's line
        assert "44 sources: name resolution failed" in text.replace("**", "").replace("<strong>", "").replace(
            "</strong>", ""
        )
        assert "Feed 03" in text and "and 32 more" in text
    first = [line for line in out.text.splitlines() if line.startswith("No relevant articles")]
    assert first == [
        "No relevant articles were first seen on 2026-11-21 (0 articles first seen, 0 relevant). 0 of 44 sources"
        " answered at their last poll; 44 failing: name resolution failed (44)."
    ]
    assert len(out.text.splitlines()) < 20  # before: 44 footer lines, longer than the news
