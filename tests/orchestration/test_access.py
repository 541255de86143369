"""Who may use the Prefect API `serve` starts or uses: the rules, decided before anything listens,
and a remote server's 401 told as a sentence (against a loopback server that asks for a password)."""

from __future__ import annotations

import base64
from http.server import BaseHTTPRequestHandler

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.exposure import unguarded_bind
from flows.orchestration.access import (
    AccessError,
    access_for,
    check_remote,
    check_runner_host,
    local_auth,
)
from flows.web.server import WebBindError, check_bind
from tests.support.servers import NewsServer

AUTH = "newswatch:tr0ub4dor-and-3"
OPEN = ("0.0.0.0", "::", "192.0.2.10", "prefect.example")


def test_loopback_needs_no_password_and_takes_one_when_given() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        assert local_auth(host, {}) is None
        assert local_auth(host, {"PREFECT_API_AUTH_STRING": AUTH}) == AUTH


def test_beyond_loopback_the_server_is_refused_without_an_auth_string() -> None:
    for host in OPEN:
        for env in ({}, {"PREFECT_API_AUTH_STRING": "  "}, {"PREFECT_SERVER_API_AUTH_STRING": ""}):
            with pytest.raises(AccessError) as caught:
                local_auth(host, env)
            assert str(caught.value) == (
                f"refusing to serve the Prefect server and UI on {host}, which is not a loopback address,"
                " without a password: set PREFECT_API_AUTH_STRING (user:password, HTTP basic auth),"
                " or bind to 127.0.0.1"
            )
        assert local_auth(host, {"PREFECT_API_AUTH_STRING": AUTH}) == AUTH
        # the server-side name alone is taken too, for whoever set that one
        assert local_auth(host, {"PREFECT_SERVER_API_AUTH_STRING": AUTH}) == AUTH


def test_the_console_and_the_prefect_server_are_refused_in_the_same_words() -> None:
    with pytest.raises(WebBindError) as web:
        check_bind("0.0.0.0", 8080, None)
    with pytest.raises(AccessError) as prefect:
        local_auth("0.0.0.0", {})
    shared = "which is not a loopback address, without a password: set "
    assert shared in str(web.value) and shared in str(prefect.value)
    assert unguarded_bind("x", "0.0.0.0", "a secret", "V", "f") is None


def test_two_different_strings_or_one_without_a_password_are_refused() -> None:
    with pytest.raises(
        AccessError, match="PREFECT_API_AUTH_STRING and PREFECT_SERVER_API_AUTH_STRING differ"
    ):
        local_auth("0.0.0.0", {"PREFECT_API_AUTH_STRING": AUTH, "PREFECT_SERVER_API_AUTH_STRING": "a:b"})
    assert local_auth("0.0.0.0", {"PREFECT_API_AUTH_STRING": AUTH, "PREFECT_SERVER_API_AUTH_STRING": AUTH})
    for bad in ("justapassword", "admin:", ":secret"):
        with pytest.raises(AccessError, match="must have the form user:password"):
            local_auth("127.0.0.1", {"PREFECT_API_AUTH_STRING": bad})
    with pytest.raises(AccessError, match="^PREFECT_SERVER_API_AUTH_STRING must"):
        local_auth("127.0.0.1", {"PREFECT_SERVER_API_AUTH_STRING": "nocolon"})


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters=":\x00"), min_size=1))
def test_no_message_ever_contains_the_auth_string(text: str) -> None:
    secret = f"\N{SNOWMAN}{text}\N{SNOWMAN}"  # nothing a message says by itself
    for env in (
        {"PREFECT_API_AUTH_STRING": secret},
        {"PREFECT_API_AUTH_STRING": f"user:{secret}", "PREFECT_SERVER_API_AUTH_STRING": f"u:{secret}x"},
    ):
        try:
            local_auth("0.0.0.0", env)
        except AccessError as exc:
            assert "\N{SNOWMAN}" not in str(exc)


def test_the_runner_web_server_stays_on_loopback() -> None:
    check_runner_host({"PREFECT_RUNNER_SERVER_ENABLE": "false", "PREFECT_RUNNER_SERVER_HOST": "0.0.0.0"})
    check_runner_host({"PREFECT_RUNNER_SERVER_ENABLE": "true", "PREFECT_RUNNER_SERVER_HOST": "127.0.0.1"})
    check_runner_host({"PREFECT_RUNNER_SERVER_ENABLE": "true"})  # Prefect's default: localhost
    with pytest.raises(
        AccessError, match="runner's web server on 0.0.0.0.*PREFECT_RUNNER_SERVER_HOST=127.0.0.1"
    ):
        check_runner_host({"PREFECT_RUNNER_SERVER_ENABLE": "True", "PREFECT_RUNNER_SERVER_HOST": "0.0.0.0"})


def guarded_api(server: NewsServer) -> str:
    """A stand-in for a Prefect server started with PREFECT_SERVER_API_AUTH_STRING=AUTH."""
    expected = "Basic " + base64.b64encode(AUTH.encode()).decode()

    def version(handler: BaseHTTPRequestHandler) -> None:
        ok = handler.headers.get("Authorization") == expected
        body = b'"3.8.8"' if ok else b'{"exception_message":"Unauthorized"}'
        handler.send_response(200 if ok else 401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.add_handler("/api/admin/version", version)
    return server.url("/api")


def test_a_remote_server_that_asks_for_a_password_gets_a_sentence(server: NewsServer) -> None:
    api = guarded_api(server)
    with pytest.raises(AccessError) as missing:
        check_remote(api, {})
    assert str(missing.value) == (
        f"the Prefect server at {api} asks for a password (401): set PREFECT_API_AUTH_STRING to its"
        " user:password (the server's PREFECT_SERVER_API_AUTH_STRING)"
    )
    with pytest.raises(AccessError) as wrong:
        check_remote(api, {"PREFECT_API_AUTH_STRING": "newswatch:wrong"})
    assert "refuses the user:password in PREFECT_API_AUTH_STRING (401)" in str(wrong.value)
    assert "wrong" not in str(wrong.value)
    check_remote(api, {"PREFECT_API_AUTH_STRING": AUTH})
    assert access_for("0.0.0.0", {"PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": AUTH}).api_url == api
    # a server we do not start is not ours to guard: --host does not matter then
    with pytest.raises(AccessError, match="asks for a password"):
        access_for("127.0.0.1", {"PREFECT_API_URL": api})
    assert AUTH not in repr(
        access_for("127.0.0.1", {"PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": AUTH})
    )


def test_a_remote_server_that_does_not_answer_is_left_to_prefect(server: NewsServer) -> None:
    check_remote(server.url("/nothing-here/api"), {})  # 404: not a password problem
    port = server.port
    server.close()
    check_remote(f"http://127.0.0.1:{port}/api", {})  # refused: Prefect says so itself
