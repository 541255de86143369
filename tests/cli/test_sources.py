"""`newswatch sources check` (flows/cli/commands/sources.py): the file's validity, and names that
look like rich markup printed as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main


def test_cli_missing_sources_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "check", "--sources", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_rich_markup_in_a_value_is_printed_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source named `[/b]` (rich's closing tag with nothing open) must not crash a message."""
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "sources:\n  - name: '[/b]'\n    url: https://a.example/f\n"
        "  - name: '[/b]'\n    url: https://b.example/f\n",
        encoding="utf-8",
    )
    assert main(["sources", "check", "--sources", str(twice), "--db", str(tmp_path / "db.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "duplicate source name '[/b]'" in err and f"{twice}:4" in err
    once = tmp_path / "[red]once[b].yaml"
    once.write_text("sources:\n  - name: '[/b] [bold'\n    url: https://a.example/f\n", encoding="utf-8")
    assert main(["sources", "check", "--sources", str(once), "--db", str(tmp_path / "db.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "[/b] [bold" in out and f"{once}: valid" in out
