"""Delivering a day's digest once: files written, recorded, and the mail claimed, sent and recorded
(at most once per day and recipient list; a failed send is retried by the following days' runs).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flows.config import Config, ConfigError, SmtpSettings, Subscription, smtp_from_env
from flows.stages.delivery.digest.build import Digest, today
from flows.stages.delivery.digest.render import Rendered, local_time
from flows.stages.delivery.digest.subscriptions import built, row_prefix
from flows.stages.delivery.mail import MailError, build_message, recipients_key, send_message
from storage import Store
from storage.spool import writing

RETRY_DAYS = 7  # a failed send of an earlier day is retried by the digests of the following week


@dataclass(frozen=True)
class DigestPaths:
    html: Path
    text: Path
    markdown: Path

    def as_list(self) -> list[str]:
        return [str(self.html), str(self.text), str(self.markdown)]


@dataclass
class DigestOutcome:
    day: date
    paths: DigestPaths
    stories: int
    total_stories: int
    subject: str
    markdown: str
    send: str  # not_configured | disabled | sent | already_sent | in_progress | failed
    detail: str
    error: str | None = None
    retried: list[str] = field(default_factory=list)  # what happened to earlier days' failed sends
    retry_failed: bool = False
    name: str | None = None  # the subscription's name; None for the plain digest
    subscriptions: list[DigestOutcome] = field(default_factory=list)  # the per-analyst digests

    @property
    def failed(self) -> bool:
        return self.send == "failed" or self.retry_failed or any(s.failed for s in self.subscriptions)

    @property
    def failure_message(self) -> str:
        what = f"digest {self.name} {self.day}" if self.name else f"digest {self.day}"
        problems = [f"{what} written but not sent: {self.detail}"] if self.send == "failed" else []
        problems += [f"earlier digest {line}" for line in self.retried if "retry failed" in line]
        problems += [s.failure_message for s in self.subscriptions if s.failed]
        return "; ".join(problems)


def _write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(rendered: Rendered, out_dir: Path, day: date) -> DigestPaths:
    stem = day.isoformat()
    paths = DigestPaths(out_dir / f"{stem}.html", out_dir / f"{stem}.txt", out_dir / f"{stem}.md")
    _write_atomic(paths.html, rendered.html)
    _write_atomic(paths.text, rendered.text)
    _write_atomic(paths.markdown, rendered.markdown)
    return paths


def _send_day(
    store: Store,
    smtp: SmtpSettings,
    key: str,
    day: date,
    digest: Digest,
    rendered: Rendered,
    **send_options: Any,
) -> tuple[bool, str]:
    """One send attempt, recorded either way. Returns (ok, message)."""
    msg = build_message(
        sender=smtp.sender,
        recipients=smtp.recipients,
        subject=digest.subject,
        text=rendered.text,
        html=rendered.html,
    )
    try:
        refused = send_message(smtp, msg, **send_options)
    except MailError as exc:
        store.record_digest_send(day, key, ok=False, error=str(exc))
        return False, str(exc)
    note = (
        ("refused by the server: " + "; ".join(f"{a} {r}" for a, r in refused.items())) if refused else None
    )
    store.record_digest_send(day, key, ok=True, error=note, message_id=str(msg["Message-ID"]))
    accepted = len(smtp.recipients) - len(refused)
    text = f"sent to {accepted} recipient{'s' if accepted != 1 else ''} via {smtp.host}"
    return True, text + (f" ({note})" if note else "")


def make_digest(
    config: Config,
    store: Store,
    day: date | None = None,
    *,
    out_dir: Path,
    smtp: SmtpSettings | None = None,
    send: bool = True,
    force: bool = False,
    now: datetime | None = None,
    subscription: Subscription | None = None,
    **send_options: Any,
) -> DigestOutcome:
    """Build, write and record one day's digest, then mail it unless it already went to this list.

    `subscription`: that analyst's digest instead, its files under `out_dir/<name>/`.

    `smtp` None means files only. A failed send is recorded and retried by the next run (of this day,
    or of any of the following `RETRY_DAYS` days); the files are written either way.
    """
    now = now or datetime.now(UTC)
    tz = config.settings.tz
    day = day or today(tz, now)
    # Under the writer lock, the mail included: the digest reads whole clusters (never a rebuild's
    # half-reset ones), and a claim is always followed by its recorded outcome, however long the
    # SMTP server takes (at most its timeout per send), so no other run sees a stale 'sending'.
    with writing(store, "digest", zone=tz):
        store.migrate()
        run_id = store.start_run("digest")
        try:
            outcome = _deliver(
                config, store, day, out_dir, smtp, send, force, now, send_options, subscription
            )
        except BaseException as exc:
            store.finish_run(run_id, "failed", message=f"{day}: {type(exc).__name__}: {exc}")
            raise
        message = f"{day}: {outcome.stories} stories; {outcome.detail}"
        store.finish_run(run_id, "failed" if outcome.failed else "ok", message=message)
    return outcome


def _deliver(
    config: Config,
    store: Store,
    day: date,
    out_dir: Path,
    smtp: SmtpSettings | None,
    send: bool,
    force: bool,
    now: datetime,
    send_options: dict[str, Any],
    subscription: Subscription | None = None,
) -> DigestOutcome:
    def build(day: date) -> tuple[Digest, Rendered]:  # watch sections, subscriptions
        return built(config, store, day, now, smtp, subscription)

    if subscription is not None:
        out_dir = out_dir / subscription.name
        if smtp is not None:
            smtp = replace(smtp, recipients=tuple(subscription.recipients))
    digest, rendered = build(day)
    paths = write_files(rendered, out_dir, day)
    sending = smtp is not None and send
    prefix = row_prefix(subscription)
    key = prefix + recipients_key(smtp.recipients) if sending and smtp is not None else prefix

    _record_files(store, day, prefix, digest, paths)
    outcome = DigestOutcome(
        day=day,
        paths=paths,
        stories=len(digest.stories),
        total_stories=digest.total_stories,
        subject=digest.subject,
        markdown=rendered.markdown,
        name=subscription.name if subscription else None,
        send="not_configured" if smtp is None else "disabled",
        detail="no SMTP configured: files only"
        if smtp is None
        else "sending disabled (--no-send): files only",
    )
    if not sending or smtp is None:
        return outcome
    _record_files(store, day, key, digest, paths)
    blocker = store.claim_digest_send(day, key, force=force)
    if blocker is not None and blocker["status"] == "sent":
        sent_at = local_time(blocker["sent_at"], digest.tz)
        outcome.send = "already_sent"
        outcome.detail = f"already sent to these recipients at {sent_at}; not sent again (--force resends)"
    elif blocker is not None:
        started = local_time(blocker["last_attempt_at"], digest.tz)
        outcome.send = "in_progress"
        outcome.detail = f"another run has been sending it since {started}; not sent twice"
    else:
        ok, text = _send_day(store, smtp, key, day, digest, rendered, **send_options)
        outcome.send = "sent" if ok else "failed"
        outcome.detail = text if ok else f"{text}; recorded, the next run retries it"
        outcome.error = None if ok else text
    for earlier in store.failed_digest_days(key, day - timedelta(days=RETRY_DAYS), day):
        if store.claim_digest_send(earlier, key) is not None:
            continue
        old, old_rendered = build(earlier)
        _record_files(store, earlier, key, old, write_files(old_rendered, out_dir, earlier))
        ok, text = _send_day(store, smtp, key, earlier, old, old_rendered, **send_options)
        outcome.retried.append(f"{earlier}: {'retried and ' if ok else 'retry failed: '}{text}")
        outcome.retry_failed = outcome.retry_failed or not ok
    return outcome


class DigestSendFailed(Exception):
    """The files were written but the mail did not go out; carries the outcome for the caller."""

    def __init__(self, message: str, outcome: DigestOutcome) -> None:
        super().__init__(message, outcome)
        self.outcome = outcome

    def __str__(self) -> str:
        return str(self.args[0])


def default_out_dir(db_path: str | os.PathLike[str]) -> Path:
    """`digests/` beside the database: `storage/digests/` by default."""
    return Path(db_path).parent / "digests"


def _record_files(store: Store, day: date, recipients: str, digest: Digest, paths: DigestPaths) -> None:
    """The digest table row of a day and recipient list; an existing row keeps its send status."""
    store.save_digest(
        day,
        recipients,
        stories=len(digest.stories),
        articles=digest.relevant_articles,
        subject=digest.subject,
        paths=paths.as_list(),
    )


def digest_for(
    config: Config,
    store: Store,
    *,
    day: date | None = None,
    out_dir: Path | None = None,
    send: bool | None = None,
    force: bool = False,
    env: dict[str, str] | None = None,
) -> DigestOutcome:
    """The `newswatch digest` command and the `digest` flow: SMTP from the environment (SPEC 5).

    `send` None sends when SMTP is configured; True insists on it; False writes files only.
    """
    subscriptions = config.settings.digest.subscriptions
    try:
        smtp = smtp_from_env(config.settings.digest.recipients, env)
    except ConfigError:
        if not subscriptions:
            raise
        smtp = None  # no plain recipients, but subscriptions: the plain digest is files only
    if send and smtp is None and (not subscriptions or smtp_from_env(["-"], env) is None):
        raise ConfigError(
            "--send: SMTP is not configured; set NEWSWATCH_SMTP_HOST (and NEWSWATCH_SMTP_TO or"
            " settings.digest.recipients)"
        )
    target = out_dir or default_out_dir(store.path)
    sending = send is not False
    outcome = make_digest(config, store, day, out_dir=target, smtp=smtp, send=sending, force=force)
    for sub in subscriptions:  # each analyst's own digest
        sub_smtp = smtp_from_env(sub.recipients, env) if sub.recipients else None
        outcome.subscriptions.append(
            make_digest(
                config, store, day, out_dir=target, smtp=sub_smtp, send=sending, force=force, subscription=sub
            )
        )
    return outcome
