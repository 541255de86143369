"""Webhooks: one JSON POST through the run's Fetcher (`Fetcher.post`), so the address guard, the
proxies, the limits and the retries of every other request apply; never redirected. Returns what
happened; never raises."""

from __future__ import annotations

from dataclasses import dataclass

from flows.stages.net.fetch import Fetcher


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
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    result = await fetcher.post(url, body, headers=sent)
    error = None if result.ok else f"POST {url} failed: {result.error}"
    return PostResult(result.ok, result.status, result.attempts, error, result.elapsed_ms)
