"""Webhooks: one JSON POST through the run's Fetcher, so the address guard, the proxies
and the timeout of every other request apply; retried like a fetch (connection failures, timeouts,
429 and 5xx, with back-off), never redirected. Returns what happened; never raises."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from flows.stages.net.fetch import RETRY_CODES, Fetcher
from flows.stages.net.netguard import AddressRefused


@dataclass(frozen=True)
class PostResult:
    ok: bool
    status: int | None
    attempts: int
    error: str | None
    elapsed_ms: float


async def post_json(
    fetcher: Fetcher, url: str, body: bytes, *, headers: dict[str, str] | None = None
) -> PostResult:
    """POST `body` (JSON) to `url`: a 2xx is success; anything else names the reason."""
    settings = fetcher.settings
    started = time.monotonic()
    attempts, status, error = 0, None, None
    parts = urlsplit(url)
    client = fetcher.proxy_client if fetcher._proxied(url) and fetcher.proxy_client else fetcher.client
    sent_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    while attempts < 1 + settings.max_retries:
        attempts += 1
        retry = False
        try:
            async with asyncio.timeout(settings.timeout_seconds):
                if client is not fetcher.client or fetcher.precheck:
                    await fetcher.policy.addresses(
                        parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
                    )
                response = await client.post(url, content=body, headers=sent_headers)
            status = response.status_code
            if 200 <= status < 300:
                return PostResult(True, status, attempts, None, (time.monotonic() - started) * 1000)
            error = f"HTTP {status}"
            retry = status in RETRY_CODES
        except AddressRefused as exc:
            error = str(exc)
        except (TimeoutError, httpx.TimeoutException):
            error, retry = f"timed out: no answer within {settings.timeout_seconds:g} s", True
        except (httpx.HTTPError, OSError) as exc:
            error, retry = f"connection failed: {exc or type(exc).__name__}", True
        if not retry:
            break
        if attempts < 1 + settings.max_retries:
            await asyncio.sleep(fetcher.backoff_base * 2 ** (attempts - 1))
    return PostResult(
        False, status, attempts, f"POST {url} failed: {error}", (time.monotonic() - started) * 1000
    )
