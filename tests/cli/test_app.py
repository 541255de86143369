"""`flows/cli/__init__.py`: library errors become a message and an exit status, never a bare
traceback (2: bad usage or configuration, 1: anything else, 130: interrupted)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from flows.cli import main
from flows.cli.common import UsageError
from flows.config import ConfigError
from storage import StorageError


def raising(exc: BaseException) -> Callable[[argparse.Namespace, Console], int]:
    def handler(args: argparse.Namespace, console: Console) -> int:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (UsageError("--limit 0: must be between 1 and 100"), 2, "newswatch: --limit 0: must be between 1"),
        (ConfigError("sources.yaml:3: sources[0].url: missing"), 2, "configuration error\nsources.yaml:3"),
        (StorageError("the file is locked"), 1, "newswatch: database error: the file is locked"),
        (duckdb.CatalogException("no table x"), 1, "newswatch: SQL error: "),
        (RuntimeError("boom"), 1, "newswatch: RuntimeError: boom\n(run with -v for details)"),
        (KeyboardInterrupt(), 130, "newswatch: interrupted"),
    ],
)
def test_errors_map_to_messages_and_exit_statuses(
    exc: BaseException,
    status: int,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("flows.cli.parser.cmd_sources_check", raising(exc))
    assert main(["sources", "check"]) == status
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_verbose_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("flows.cli.parser.cmd_sources_check", raising(RuntimeError("boom")))
    assert main(["-v", "sources", "check"]) == 1
    err = capsys.readouterr().err
    assert "newswatch: RuntimeError: boom" in err and "Traceback" in err and "-v for details" not in err


def test_cli_exit_2_on_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("settings:\n  per_host_concurrency: -1\nsources: []\n", encoding="utf-8")
    assert main(["ingest", "--sources", str(bad), "--db", str(tmp_path / "db.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "settings.per_host_concurrency" in err
    assert "Traceback" not in err


def test_cli_refuses_an_impossible_cron_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("settings:\n  digest_cron: '99 99 * * *'\nsources: []\n", encoding="utf-8")
    assert main(["sources", "check", "--sources", str(bad), "--db", str(tmp_path / "db.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "settings.digest_cron" in err and "bad minute" in err
    assert "Traceback" not in err
