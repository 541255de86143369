"""Watches after an ingest: each watch's search over the run's new articles, its new
stories recorded once, and the announcements of immediate watches delivered (mail, webhooks).

Every announcement is stored with its content before it is sent; one that fails stays in
`watch_delivery` and is retried by the next ingest with the same content, and one that went out is
never sent again. Retries are bounded (settings.watch_delivery: attempts and age), and only what
sources.yaml still asks for is sent: a watch or target taken out gets nothing more. A webhook is
stored, shown and logged as its origin only (flows/stages/delivery/targets.py). Failures are
reported, never raised: the ingest's articles are stored already.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx

from flows.config import Config, ConfigError, Watch, smtp_from_env
from flows.progress import Reporter, SilentReporter
from flows.stages.delivery.mail import MailError, build_message, recipients_key, send_message
from flows.stages.delivery.targets import HIDDEN, webhook_target, without_urls
from flows.stages.delivery.webhook import post_json
from flows.stages.net.fetch import Fetcher, Resolver
from flows.stages.stories.watch import (
    announcement,
    as_html,
    as_text,
    dumps,
    story_of,
    story_record,
    subject,
    watch_request,
)
from storage import StorageError, Store
from storage.errors import DatabaseError
from storage.search import SearchHit, search
from storage.watches import WatchDelivery

log = logging.getLogger(__name__)


@dataclass
class WatchSummary:
    matched: dict[str, int] = field(default_factory=dict)  # watch -> new stories this run
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # what did not go out (retried next run)
    given_up: list[str] = field(default_factory=list)  # what will not be tried again, and why


def matches(
    store: Store, watch: Watch, *, run_id: int | None = None, since: date | None = None
) -> list[SearchHit]:
    """The stories (one hit each) the watch matches among a run's articles, or since a day."""
    return search(store, watch_request(watch, run_id=run_id, since=since))


def _deliveries(watch: Watch, payload: dict[str, object], run_id: int) -> list[dict[str, object]]:
    common = {
        "watch": watch.name,
        "run_id": run_id,
        "stories": len(payload["stories"]),  # type: ignore[arg-type]
        "subject": subject(payload),
        "payload": dumps(payload),
    }
    rows = [{**common, "channel": "webhook", "target": webhook_target(url)} for url in watch.webhooks]
    if watch.emails:
        rows.insert(0, {**common, "channel": "mail", "target": recipients_key(watch.emails)})
    return rows


def gather(config: Config, store: Store, run_id: int, summary: WatchSummary, reporter: Reporter) -> None:
    now = datetime.now(UTC)
    for watch in config.watches:
        try:
            hits = matches(store, watch, run_id=run_id)
        except (StorageError, DatabaseError) as exc:
            reporter.message(f"watch {watch.name}: not matched this run: {exc}")
            continue
        by_article = {h.id: h for h in hits}

        def deliveries(
            new: list[tuple[int, int]], watch: Watch = watch, by_article: dict[int, SearchHit] = by_article
        ) -> list[dict[str, object]]:
            if watch.mode != "immediate":
                return []
            payload = announcement(watch, [story_record(by_article[a]) for _, a in new], run_id, now)
            return _deliveries(watch, payload, run_id)

        new = store.record_watch_hits(watch.name, [(story_of(h), h.id) for h in hits], run_id, deliveries)
        if new:
            summary.matched[watch.name] = len(new)


def _configured(config: Config) -> dict[tuple[str, str], str]:
    """(watch, stored target) -> where to send, for every target sources.yaml asks for now."""
    found: dict[tuple[str, str], str] = {}
    for watch in config.watches:
        if watch.mode != "immediate":
            continue
        for url in watch.webhooks:
            found[(watch.name, webhook_target(url))] = url
        if watch.emails:
            found[(watch.name, recipients_key(watch.emails))] = recipients_key(watch.emails)
    return found


def _too_old(delivery: WatchDelivery, config: Config, now: datetime) -> str | None:
    hours = config.settings.watch_delivery.max_age_hours
    if delivery.created_at is not None and now - delivery.created_at > timedelta(hours=hours):
        return f"not sent: older than {hours:g} h (settings.watch_delivery.max_age_hours)"
    return None


async def _send(
    store: Store,
    delivery: WatchDelivery,
    address: str,
    fetcher: Fetcher | None,
    env: dict[str, str] | None,
    last: bool,
) -> str | None:
    """One attempt at one delivery; returns the error, or None once it went out (and is recorded)."""
    payload = json.loads(delivery.payload)
    if delivery.channel == "webhook":
        assert fetcher is not None
        headers = {"Idempotency-Key": f"newswatch-watch-delivery-{delivery.id}"}
        result = await post_json(fetcher, address, delivery.payload.encode("utf-8"), headers=headers)
        error = without_urls(result.error, [address]) if result.error is not None else None
    else:
        recipients = [r for r in address.split(",") if r]
        try:
            smtp = smtp_from_env(recipients, env)
        except ConfigError as exc:
            smtp, error = None, str(exc)
        else:
            error = "SMTP is not configured (NEWSWATCH_SMTP_HOST)" if smtp is None else None
        if smtp is not None:
            smtp = dataclasses.replace(smtp, recipients=tuple(recipients))
            msg = build_message(
                sender=smtp.sender,
                recipients=smtp.recipients,
                subject=delivery.subject,
                text=as_text(payload),
                html=as_html(payload),
            )
            try:
                await asyncio.to_thread(send_message, smtp, msg)
            except MailError as exc:
                error = str(exc)
    store.record_watch_delivery(delivery.id, ok=error is None, error=error, last=last)
    return error


async def deliver(
    config: Config,
    store: Store,
    summary: WatchSummary,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Send what is pending and still asked for, each once this run; give up what is past its limits."""
    store.hide_delivery_targets(webhook_target, f"{HIDDEN} #")  # what an older version stored whole
    configured = _configured(config)
    now = datetime.now(UTC)
    limits = config.settings.watch_delivery
    pending: list[tuple[WatchDelivery, str]] = []
    for d in store.unsent_watch_deliveries():
        address = configured.get((d.watch, d.target))
        if address is None:
            why: str | None = f"not sent: watch {d.watch} no longer sends to this {d.channel} target"
        else:
            why = _too_old(d, config, now)
        if why is not None:
            store.give_up_watch_delivery(d.id, why)
            summary.given_up.append(f"watch {d.watch} to {without_urls(d.target)}: {why}")
        elif address is not None and store.claim_watch_delivery(d.id):  # not sent by another run
            pending.append((d, address))
    if not pending:
        return
    async with Fetcher.open(config.settings, transport=transport, resolver=resolver) as fetcher:
        for delivery, address in pending:
            last = delivery.attempts + 1 >= limits.max_attempts
            error = await _send(store, delivery, address, fetcher, env, last)
            shown = f"watch {delivery.watch} to {without_urls(delivery.target)}: {error}"
            if error is None:
                summary.sent += 1
            elif last:
                summary.given_up.append(
                    f"{shown}; given up after {delivery.attempts + 1} attempts"
                    " (settings.watch_delivery.max_attempts)"
                )
            else:
                summary.failed.append(shown)


async def run_watches(
    config: Config,
    store: Store,
    run_id: int,
    *,
    reporter: Reporter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    env: dict[str, str] | None = None,
) -> WatchSummary:
    """After an ingest: match, record, deliver (and retry what earlier runs could not send)."""
    reporter = reporter or SilentReporter()
    summary = WatchSummary()
    try:
        if config.watches:
            await asyncio.to_thread(gather, config, store, run_id, summary, reporter)
        await deliver(config, store, summary, transport=transport, resolver=resolver, env=env)
    except Exception as exc:  # noqa: BLE001 - watches never fail an ingest: its articles are stored
        log.warning("watches failed: %s", without_urls(repr(exc)))
        summary.failed.append(without_urls(f"watches: {type(exc).__name__}: {exc}"))
    for line in summary.failed:
        reporter.message(f"{line}; recorded, the next run retries it")
    for line in summary.given_up:
        reporter.message(line)
    return summary
