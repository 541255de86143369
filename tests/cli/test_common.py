"""What the command handlers share (flows/cli/common.py): a --db that names no database is refused by
the commands that read one and announced by those that create one; OS errors become sentences."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from flows.cli import main
from flows.cli.common import os_error_message
from tests.support import ROOT

SOURCES = "sources: []\n"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    return path


@pytest.fixture
def database(tmp_path: Path, sources: Path) -> Path:
    """A real, seeded database."""
    db = tmp_path / "real.duckdb"
    assert main(["seed", "--db", str(db), "--sources", str(sources), "--dir", str(ROOT / "seeds")]) == 0
    return db


def readers(db: Path, sources: Path, out: Path) -> list[list[str]]:
    """Every command that reads an existing database, with --db `db`."""
    s = ["--sources", str(sources)]
    return [
        ["digest", "--db", str(db), *s, "--no-send", "--out", str(out)],
        ["rescore", "--db", str(db), *s],
        ["dedup", "--db", str(db)],
        ["dedup", "--db", str(db), "--rebuild"],
        ["sql", "--db", str(db), "SELECT count(*) FROM articles"],
        ["search", "--db", str(db), "water"],
        ["search", "--db", str(db), "--reindex"],
        ["export", "--db", str(db), str(out / "x.parquet")],
    ]


def test_a_mistyped_db_is_refused_by_every_command_that_reads_one(
    tmp_path: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "newswacth.duckdb"
    out = tmp_path / "digests"
    for argv in readers(typo, sources, out):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"--db {typo}: no database there" in err, (argv, err)
        assert "Traceback" not in err
        assert not typo.exists(), argv  # no new, empty database
        assert not out.exists(), argv  # and no "0 stories" digest


def test_ingest_and_seed_say_when_they_create_the_database(
    tmp_path: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "new" / "newswatch.duckdb"
    assert main(["ingest", "--db", str(db), "--sources", str(sources)]) == 0
    assert f"no database at {db}: creating a new one" in capsys.readouterr().err
    assert db.exists()
    assert main(["ingest", "--db", str(db), "--sources", str(sources)]) == 0
    assert "creating" not in capsys.readouterr().err
    seeded = tmp_path / "seeded.duckdb"
    assert main(["seed", "--db", str(seeded), "--sources", str(sources), "--dir", str(ROOT / "seeds")]) == 0
    assert f"no database at {seeded}: creating a new one" in capsys.readouterr().err


def test_a_file_that_is_no_database_is_named_and_left_alone(
    tmp_path: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_db = tmp_path / "a.csv"
    not_db.write_text("a,b\n1,2\n", encoding="utf-8")
    for argv in [
        *readers(not_db, sources, tmp_path),
        ["ingest", "--db", str(not_db), "--sources", str(sources)],
    ]:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert f"{not_db} is not a DuckDB database" in err, (argv, err)
        assert "Catalog Error" not in err and "in-memory" not in err and "Traceback" not in err
    assert not_db.read_text(encoding="utf-8") == "a,b\n1,2\n"
    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["ingest", "--db", str(folder), "--sources", str(sources)]) == 1
    err = capsys.readouterr().err
    assert f"{folder} is a directory" in err and "IO Error" not in err
    assert main(["sql", "--db", str(folder), "SELECT 1"]) == 2
    assert "that is a directory" in capsys.readouterr().err


def test_file_errors_are_sentences_naming_the_file(
    tmp_path: Path, sources: Path, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    a_file = tmp_path / "taken"
    a_file.write_text("x", encoding="utf-8")
    # --out that is a file: FileExistsError before
    assert (
        main(["digest", "--db", str(database), "--sources", str(sources), "--no-send", "--out", str(a_file)])
        == 1
    )
    err = capsys.readouterr().err
    assert f"{a_file}: already exists" in err and "FileExistsError" not in err and "Errno" not in err
    # an export onto a directory, an output into a missing one
    assert main(["export", "--db", str(database), str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path} is a directory" in err and "IO Error" not in err
    assert main(["sql", "--db", str(database), "SELECT 1", "--output", str(tmp_path / "no" / "r.csv")]) == 1
    assert "create it, or choose another path" in capsys.readouterr().err
    # --out below a file: NotADirectoryError
    assert (
        main(
            [
                "digest",
                "--db",
                str(database),
                "--sources",
                str(sources),
                "--no-send",
                "--out",
                str(a_file / "d"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert str(a_file) in err and "Error:" not in err and "Errno" not in err


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "x.yaml"), "x.yaml: no such file"),
        (FileExistsError(errno.EEXIST, "File exists", "out"), "out: already exists"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "d"), "d: is a directory"),
        (PermissionError(errno.EACCES, "Permission denied", "/root/x"), "/root/x: permission denied"),
        (OSError(errno.ENOSPC, "No space left on device", "big"), "big: No space left on device"),
    ],
)
def test_os_errors_read_as_sentences(exc: OSError, expected: str) -> None:
    message = os_error_message(exc)
    assert message.startswith(expected) and "Errno" not in message and "Error" not in message
