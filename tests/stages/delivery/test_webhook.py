"""Webhooks (flows/stages/delivery/webhook.py): one JSON POST through the Fetcher, to a receiver on
loopback; what happened comes back as a PostResult, never as an exception."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from flows.config import Settings
from flows.stages.delivery.webhook import PostResult, post_json
from flows.stages.net.fetch import Fetcher
from tests.support.webhook import WebhookServer


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    server = WebhookServer(statuses=[503])
    yield server
    server.close()


def send(url: str, *, allow_private: bool = True, retries: int = 1) -> PostResult:
    settings = Settings(timeout_seconds=3, max_retries=retries, allow_private_networks=allow_private)

    async def go() -> PostResult:
        async with Fetcher.open(settings, backoff_base=0.01) as fetcher:
            return await post_json(fetcher, url, b'{"stories": []}', headers={"Idempotency-Key": "k-1"})

    return asyncio.run(go())


def test_a_delivery_is_retried_once_and_arrives_as_json(hook: WebhookServer) -> None:
    result = send(hook.url("/in?token=t"))
    assert result.ok and result.status == 200 and result.attempts == 2 and result.error is None
    (post,) = hook.posts
    assert post.path == "/in?token=t" and post.body == {"stories": []}
    assert post.headers["content-type"] == "application/json; charset=utf-8"
    assert post.headers["idempotency-key"] == "k-1"


def test_a_failed_delivery_says_why(hook: WebhookServer) -> None:
    result = send(hook.url("/in"), retries=0)
    assert not result.ok and result.status == 503 and result.attempts == 1
    assert result.error == f"POST {hook.url('/in')} failed: HTTP 503"


def test_a_private_address_is_refused_without_a_request(hook: WebhookServer) -> None:
    result = send(hook.url("/in"), allow_private=False)
    assert not result.ok and result.status is None and "private" in (result.error or "")
    assert hook.posts == [] and hook.statuses == [503]  # the receiver answered nothing
