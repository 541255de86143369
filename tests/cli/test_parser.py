"""`flows/cli/parser.py`: every command answers --help and names its options; argument types and
environment defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from flows.cli.parser import build_parser

OPTIONS: dict[str, tuple[str, ...]] = {
    "run": ("--db", "--sources", "--prefect", "--no-prefect", "--seeds"),
    "ingest": ("--db", "--sources", "--prefect", "--shard"),
    "digest": ("--db", "--sources", "--prefect", "--date", "--out", "--send", "--no-send", "--force"),
    "seed": ("--db", "--sources", "--seeds"),
    "serve": ("--db", "--sources", "--host", "--port", "--web-host", "--web-port", "--no-web"),
    "web": ("--db", "--sources", "--host", "--port", "--wait"),
    "rescore": ("--db", "--sources", "--batch-size"),
    "dedup": ("--db", "--rebuild", "--batch-size"),
    "sql": ("query", "--db", "--max-rows", "--wait", "--format", "--output"),
    "search": (
        "terms",
        "--db",
        "--wait",
        "--limit",
        "--since",
        "--lang",
        "--country",
        "--relevant",
        "--all-copies",
        "--json",
        "--reindex",
    ),
    "export": ("OUT", "--db", "--wait", "--format", "--since"),
    "migrate": ("--db", "--to", "--catalog", "--data-path", "--force"),
    "lake": ("status", "reconcile"),
    "lake status": ("--db",),
    "lake reconcile": ("--db",),
    "sources": ("check",),
    "sources check": ("--db", "--sources"),
}


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_command_has_help_naming_its_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command.split(), "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: newswatch {command}")
    missing = [option for option in OPTIONS[command] if option not in out]
    assert not missing, f"`newswatch {command} --help` does not name {missing}"


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in {c.split()[0] for c in OPTIONS}:
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: newswatch" in capsys.readouterr().err
    assert main(["lake"]) == 2  # a group without its subcommand


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("newswatch ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["digest", "--date", "2026-13-01"], "is not a date (YYYY-MM-DD)"),
        (["search", "dam", "--since", "last week"], "is not a day or a span (YYYY-MM-DD, today, yesterday"),
        (["ingest", "--shard", "nonsense"], "--shard"),
        (["sql"], "the following arguments are required: query"),
        (["migrate", "--to", "postgres"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSWATCH_DB", str(tmp_path / "elsewhere.duckdb"))
    monkeypatch.setenv("NEWSWATCH_SOURCES", str(tmp_path / "mine.yaml"))
    monkeypatch.setenv("NEWSWATCH_PREFECT_HOST", "127.0.0.3")
    monkeypatch.setenv("NEWSWATCH_PREFECT_PORT", "4321")
    args = build_parser().parse_args(["serve"])
    assert args.db == tmp_path / "elsewhere.duckdb"
    assert args.sources == tmp_path / "mine.yaml"
    assert (args.host, args.port) == ("127.0.0.3", 4321)
    monkeypatch.setenv("NEWSWATCH_WEB_HOST", "127.0.0.4")
    monkeypatch.setenv("NEWSWATCH_WEB_PORT", "8181")
    web = build_parser().parse_args(["web"])
    assert (web.host, web.port) == ("127.0.0.4", 8181)
    beside = build_parser().parse_args(["serve"])
    assert (beside.web_host, beside.web_port, beside.no_web) == ("127.0.0.4", 8181, False)


def test_shard_and_date_are_parsed() -> None:
    args = build_parser().parse_args(["ingest", "--shard", "2/3"])
    assert str(args.shard) == "2/3"
    args = build_parser().parse_args(["digest", "--date", "2026-11-21", "--no-send"])
    assert args.date.isoformat() == "2026-11-21" and args.send is False


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [
        ("watch", ("list", "test")),
        ("sources", ("check", "add", "import", "export", "test")),
        ("lake", ("status", "reconcile")),
    ],
)
def test_a_group_without_a_subcommand_prints_its_own_help(
    group: str, subcommands: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([group]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: newswatch {group} [-h] SUBCOMMAND ...")
    assert all(name in err for name in subcommands)
    assert "rescore" not in err  # not the top-level help


@pytest.mark.parametrize(
    ("argv", "typo", "suggestion"),
    [
        (["serach", "x"], "serach", "search"),
        (["sources", "chek"], "chek", "check"),
        (["watch", "lst"], "lst", "list"),
        (["rescor"], "rescor", "rescore"),
    ],
)
def test_a_mistyped_command_gets_the_closest_one(
    argv: list[str], typo: str, suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{typo}'" in err and f"(did you mean {suggestion}?)" in err


def test_a_command_far_from_any_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zzzzzz"]) == 2
    assert "did you mean" not in capsys.readouterr().err
