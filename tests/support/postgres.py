"""A throw-away PostgreSQL on loopback for the lake's catalog (tests and benchmarks/bench_lake.py).

Debian's `postgresql` package is installed when missing (apt-get, as root or through sudo); the
server runs from a temporary directory on a free port, as the `postgres` user when we are root
(PostgreSQL refuses to run as root), and is stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed and cannot be installed here."""


def _bin_dir() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def ensure_installed() -> Path:
    """The directory of initdb/pg_ctl/psql, installing Debian's package first if it is missing."""
    found = _bin_dir()
    if found is not None:
        return found
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        sudo = ["sudo", "-n"]
    else:
        raise PostgresUnavailable("PostgreSQL is not installed and we are neither root nor allowed sudo")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run([*sudo, *cmd], env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    found = _bin_dir()
    if found is None:
        raise PostgresUnavailable("apt-get installed postgresql but no pg_ctl is under /usr/lib/postgresql")
    return found


@dataclass
class Postgres:
    bin_dir: Path
    root: Path
    port: int
    user: str = "postgres"

    def catalog(self, dbname: str) -> str:
        """The part after `ducklake:` in an ATTACH."""
        return f"postgres:dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        done = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                dbname,
            ]
            + ["-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {done.stderr}")
        return done.stdout

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return name


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a private server (fsync off: it holds test data only) and stop it on exit."""
    bin_dir = ensure_installed()
    root = Path(tempfile.mkdtemp(prefix="newswatch-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = free_port()
    init = subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr[-2000:]}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    start = subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w"]
        )
        + ["start"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if start.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"pg_ctl start failed: {start.stderr[-1000:]} {log[-2000:]}")
    try:
        pg = Postgres(bin_dir, root, port)
        deadline = time.monotonic() + 30
        while True:
            try:
                pg.psql("SELECT 1")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield pg
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)
