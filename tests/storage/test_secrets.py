"""The lake catalog's password never reaches a message: not through DuckDB's own exception text,
which repeats the DSN, nor through our messages, in any spelling libpq or a URI allows."""

from __future__ import annotations

import string
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.errors import StorageError
from storage.lake import LakeConfig, LakeStore
from storage.secrets import without_secrets
from tests.support.postgres import Postgres
from tests.support.servers import free_port

BARE = string.ascii_letters + string.digits + "!#$%&()*+,./:;<=>?@^_`{|}~-[]"
QUOTED = BARE + " '\"\\"


def spellings(password: str, port: int = 1) -> dict[str, str]:
    """The password in every way a lake catalog can carry it (after 'postgres:')."""
    escaped = password.replace("\\", "\\\\").replace("'", "\\'")
    at = f"host=127.0.0.1 port={port} dbname=nw user=nw"
    return {
        "bare": f"{at} password={password}",
        "spaces": f"{at} password = {password}",
        "quoted": f"{at} password='{escaped}'",
        "quoted, spaces": f"password = '{escaped}' {at}",
        "uri": f"postgresql://nw:{quote(password, safe='')}@127.0.0.1:{port}/nw",
        "uri query": f"postgresql://nw@127.0.0.1:{port}/nw?sslmode=disable&password={quote(password, safe='')}",
    }


def forms(password: str) -> set[str]:
    """What must not be seen: the password as meant, escaped and percent-encoded."""
    return {password, quote(password, safe=""), password.replace("'", "\\'")}


def duckdb_says(dsn: str) -> str:
    """How DuckDB 1.5's ducklake and postgres extensions report a catalog they cannot reach."""
    return (
        'IO Error: Failed to attach DuckLake MetaData "__ducklake_metadata_lake" at path + '
        f'"postgres:{dsn}"Unable to connect to Postgres at "{dsn}": connection to server at'
        ' "127.0.0.1", port 1 failed: Connection refused'
    )


@given(
    password=st.one_of(
        st.text(st.sampled_from(BARE), min_size=8, max_size=30).map(lambda p: ("bare", p)),
        st.text(st.sampled_from(QUOTED), min_size=8, max_size=30).map(lambda p: ("quoted", p)),
    ),
    known=st.booleans(),
)
def test_no_spelling_of_the_password_survives(password: tuple[str, str], known: bool) -> None:
    kind, secret = password
    secret = "Pw" + secret  # never shorter than a key's value is masked
    for name, dsn in spellings(secret).items():
        if kind == "quoted" and name in ("bare", "spaces"):
            continue  # a value with spaces or quotes must be quoted (libpq) or encoded (URI)
        catalog = f"postgres:{dsn}"
        for message in (
            duckdb_says(dsn),
            f"cannot attach the lake ducklake:{catalog}: {duckdb_says(dsn)}",
            f"PGPASSWORD={secret} psql failed",
            repr(duckdb_says(dsn)),
        ):
            if message.startswith("PGPASSWORD") and any(c in secret for c in " '\"\\"):
                message = (
                    f"PGPASSWORD='{secret.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
                )
            shown = without_secrets(message, [catalog] if known else [])
            leaked = [f for f in forms(secret) if f in shown]
            assert leaked == [], (name, message, shown)


def test_the_rest_of_a_message_stays() -> None:
    shown = without_secrets(duckdb_says("host=db.internal user=nw password=hunter22"))
    assert "host=db.internal user=nw password=***" in shown and "Connection refused" in shown
    assert without_secrets("password authentication failed for user nw") == (
        "password authentication failed for user nw"
    )
    assert without_secrets("postgres://nw:abc@db/x") == "postgres://nw:***@db/x"
    assert LakeConfig("postgres:host=db password = 'a b c' user=nw").label() == (
        "postgres:host=db password = *** user=nw"
    )


@pytest.mark.parametrize("name", ["bare", "spaces", "quoted", "uri", "uri query"])
def test_duckdbs_own_error_is_told_without_the_password(name: str, tmp_path: Path) -> None:
    """A catalog that cannot be reached: DuckDB's exception repeats the DSN; ours does not."""
    secret = "Pw-s3cr et'x" if name.startswith(("quoted", "uri")) else "Pw-s3cret"
    store = LakeStore(
        LakeConfig("postgres:" + spellings(secret, free_port())[name]), tmp_path / "l", lock_timeout=1
    )
    with pytest.raises(StorageError) as caught:
        store.migrate()
    text = str(caught.value)
    assert "Connection refused" in text and "s3cr" not in text
    chain = [caught.value.__cause__, caught.value.__context__]
    assert all(c is None or "s3cr" not in str(c) for c in chain)  # nor what it was raised from


@pytest.mark.parametrize("command", [["lake", "status"], ["ingest"]])
def test_the_cli_never_prints_the_lake_password(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    catalog = f"postgres:host=127.0.0.1 port={free_port()} dbname=nw user=nw password = 'Pw s3cret'"
    monkeypatch.setenv("NEWSWATCH_LAKE_CATALOG", catalog)
    extra = ["--sources", str(sources)] if command == ["ingest"] else []
    assert main(["-v", *command, "--db", str(tmp_path / "nw.duckdb"), *extra]) == 1
    out = capsys.readouterr()
    assert "s3cret" not in out.out + out.err and "127.0.0.1" in out.err, out.err


def test_an_error_on_an_attached_lake_is_told_without_the_password(pg: Postgres, tmp_path: Path) -> None:
    """Any DuckDB error on the lake's connections, and what it was raised from, loses the password;
    its kind stays (callers tell a conflict or an I/O error from the rest)."""
    secret = "Pw s3cret"
    catalog = pg.catalog(pg.create_database("secrets")) + f" password = '{secret}'"  # trust: not checked
    store = LakeStore(LakeConfig(catalog, str(tmp_path / "data")), tmp_path / "l", lock_timeout=10)
    try:
        store.migrate()
        with pytest.raises(duckdb.InvalidInputException) as caught:
            store.query(f"SELECT error('at {catalog.replace(chr(39), chr(39) * 2)}')")
        assert "s3cret" not in str(caught.value) and "password = ***" in str(caught.value)

        with pytest.raises(duckdb.Error) as caught, store.connect() as con:
            try:
                con.execute(f"SELECT error('first: password={secret.replace(' ', '')}')")
            except duckdb.Error:
                con.execute("SELECT error('second')")
        chain = [caught.value, caught.value.__context__]
        assert "second" in str(chain[0]) and "first" in str(chain[1])
        assert all("s3cret" not in str(e) for e in chain)
    finally:
        store.close()


def test_prose_that_names_a_password_is_not_masked() -> None:
    """Only a key's value is a secret: a message telling what to set keeps its words."""
    advice = "without a password: set PREFECT_API_AUTH_STRING (user:password, HTTP basic auth)"
    assert without_secrets(advice) == advice
    assert "hunter22" not in without_secrets('{"password": "hunter22"}')
