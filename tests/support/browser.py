"""Headless Chromium for the rendering tests (the digest's HTML, the web console): where it is,
and the flags that keep it off the network and out of the machine's profile."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_or_skip() -> str:
    """The browser's path; the test is skipped where there is none (.ci/run installs it)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed here (.ci/run installs Debian's chromium package)")
    return browser


def headless_command(browser: str, tmp_path: Path, *args: str) -> list[str]:
    """The command line: the shared flags, a fresh profile under tmp_path, then `args`."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    return [browser, *HEADLESS, f"--user-data-dir={profile}", *args]
