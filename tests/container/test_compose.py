"""compose.yaml, read rather than run: its images come from a container registry this machine
cannot reach. What can drift from the code is checked here: the settings it passes, the
service names they point at, and the paths the image uses."""

from __future__ import annotations

import re
from typing import Any

import yaml

from flows.config import smtp_from_env
from tests.support import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "flows").glob("*.py"):
        names |= set(re.findall(r"NEWSWATCH_[A-Z_]+", path.read_text(encoding="utf-8")))
    return names


def test_every_newswatch_setting_in_compose_is_one_the_code_reads() -> None:
    env: dict[str, str] = SERVICES["newswatch"]["environment"]
    passed = {k for k in env if k.startswith("NEWSWATCH_")}
    assert passed and passed <= _read_by_the_code()


def test_the_mail_settings_reach_the_mail_service() -> None:
    env = {k: str(v) for k, v in SERVICES["newswatch"]["environment"].items()}
    smtp = smtp_from_env([], env)
    assert smtp is not None and smtp.host in SERVICES and smtp.port == 1025 and smtp.recipients


def test_serve_talks_to_the_prefect_service_and_that_to_postgres() -> None:
    api = SERVICES["newswatch"]["environment"]["PREFECT_API_URL"]
    assert re.fullmatch(r"http://prefect:(\d+)/api", api)
    port = api.split(":")[2].split("/")[0]
    assert f"{port}:{port}" in SERVICES["prefect"]["ports"]
    assert "--port" in SERVICES["prefect"]["command"] and port in SERVICES["prefect"]["command"]
    prefect, pg = SERVICES["prefect"]["environment"], SERVICES["postgres"]["environment"]
    assert prefect["PREFECT_SERVER_DATABASE_DRIVER"] == "postgresql+asyncpg"
    assert prefect["PREFECT_SERVER_DATABASE_HOST"] == "postgres" and "postgres" in SERVICES
    assert prefect["PREFECT_SERVER_DATABASE_USER"] == pg["POSTGRES_USER"]
    assert prefect["PREFECT_SERVER_DATABASE_NAME"] == pg["POSTGRES_DB"]
    assert SERVICES["newswatch"]["depends_on"]["prefect"]["condition"] == "service_healthy"


def test_the_database_password_comes_from_the_environment() -> None:
    """No fixed password: both sides read POSTGRES_PASSWORD, and compose refuses to start without it."""
    server = SERVICES["prefect"]["environment"]["PREFECT_SERVER_DATABASE_PASSWORD"]
    assert server.startswith("${POSTGRES_PASSWORD:?")
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"] == server
    assert not any("DATABASE_CONNECTION_URL" in k for k in SERVICES["prefect"]["environment"])
    assert "prefect:prefect" not in (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "ports" not in SERVICES["postgres"]


def test_the_prefect_api_asks_for_the_auth_string_and_serve_sends_it() -> None:
    server = SERVICES["prefect"]["environment"]["PREFECT_SERVER_API_AUTH_STRING"]
    assert server.startswith("${PREFECT_API_AUTH_STRING:?")
    # one variable for both sides, so they cannot differ (nor `docker compose exec ... prefect`)
    for service in ("prefect", "newswatch"):
        assert SERVICES[service]["environment"]["PREFECT_API_AUTH_STRING"] == server
    # the health check the newswatch service waits for answers without it
    assert "/api/health" in " ".join(SERVICES["prefect"]["healthcheck"]["test"])


def test_the_env_file_with_the_secrets_stays_out_of_the_image_and_the_repository() -> None:
    for ignore in (".dockerignore", ".gitignore"):
        assert ".env" in (ROOT / ignore).read_text(encoding="utf-8").splitlines(), ignore


# the published ports that may listen on every address, and the password guarding each
GUARDED = {
    ("prefect", "4200"): "PREFECT_SERVER_API_AUTH_STRING",
    ("newswatch", "8080"): "NEWSWATCH_WEB_PASSWORD",
}


def test_every_published_port_is_this_machine_only_or_behind_a_password() -> None:
    published = [(name, str(p)) for name, service in SERVICES.items() for p in service.get("ports", [])]
    assert ("mailpit", "127.0.0.1:8025:8025") in published
    for name, mapping in published:
        host_part = mapping.rsplit(":", 2)
        if len(host_part) == 3 and host_part[0] == "127.0.0.1":
            continue
        secret = GUARDED.get((name, host_part[-1]))
        assert secret is not None, f"{name}: {mapping} is published on every address without a password"
        assert str(SERVICES[name]["environment"][secret]).startswith("${"), (name, secret)
        assert ":?" in str(SERVICES[name]["environment"][secret]), (name, secret)


def test_the_volumes_are_where_the_image_keeps_its_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    mounts = dict(v.split(":", 1) for v in SERVICES["newswatch"]["volumes"])
    assert mounts["newswatch-data"] == "/srv/newswatch/storage"
    assert "NEWSWATCH_DB=/srv/newswatch/storage/" in dockerfile
    assert 'VOLUME ["/srv/newswatch/storage"]' in dockerfile
    config = SERVICES["newswatch"]["environment"]["NEWSWATCH_SOURCES"]
    assert mounts["./sources.yaml"] == f"{config}:ro" and (ROOT / "sources.yaml").exists()
    assert SERVICES["newswatch"]["command"] == ["newswatch", "serve"]


def test_the_web_console_is_published_only_with_a_password() -> None:
    env = {k: str(v) for k, v in SERVICES["newswatch"]["environment"].items()}
    port = env["NEWSWATCH_WEB_PORT"]
    assert env["NEWSWATCH_WEB_HOST"] == "0.0.0.0" and f"{port}:{port}" in SERVICES["newswatch"]["ports"]
    # compose refuses to start without it (and `serve` would refuse the bind anyway)
    assert env["NEWSWATCH_WEB_PASSWORD"].startswith("${NEWSWATCH_WEB_PASSWORD:?")
    assert f"EXPOSE {port}" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
