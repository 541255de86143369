"""Rendering the digest (flows/stages/digest/render.py): article text escaped, and how it looks in a browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from flows.stages.digest.build import build_digest
from flows.stages.digest.deliver import make_digest
from flows.stages.digest.render import render
from storage import Store
from tests.stages.digest.conftest import DAY, NOON, config, make_store, record

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
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed here (.ci/run installs Debian's chromium package)")
    outcome = make_digest(config(), newsroom, DAY, out_dir=tmp_path / "out", now=NOON)
    shot = tmp_path / "digest.png"
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            outcome.paths.html.resolve().as_uri(),
        ],
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
