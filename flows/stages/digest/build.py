"""The daily digest (SPEC 8): one day's relevant stories as HTML, plain text and Markdown, mailed once.

The day is a calendar day in `settings.timezone`. A story is a cluster with at least one relevant,
non-seed article first seen that day; its other copies (any day) are "also reported by".
Building (`build_digest`) and rendering (`render`) are separate from delivery (`make_digest`),
which writes the files, records them and sends the mail at most once per day and recipient list.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.config import Config, ConfigError, SmtpSettings, smtp_from_env
from flows.stages.mail import MailError, build_message, recipients_key, send_message
from flows.stages.relevance import CENTRAL_ASIA
from storage import Store
from storage.spool import writing

TEMPLATES = Path(__file__).with_name("templates")
REGION = "REGION"
GROUP_ORDER = (*CENTRAL_ASIA, REGION)
GROUP_LABELS = {
    "KZ": "Kazakhstan",
    "KG": "Kyrgyzstan",
    "TJ": "Tajikistan",
    "TM": "Turkmenistan",
    "UZ": "Uzbekistan",
    REGION: "Region-wide and multi-country",
}
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Russian",
    "zh": "Chinese",
    "zh-cn": "Chinese",
    "zh-tw": "Chinese (traditional)",
    "kk": "Kazakh",
    "ky": "Kyrgyz",
    "tg": "Tajik",
    "tk": "Turkmen",
    "uz": "Uzbek",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "fa": "Persian",
    "de": "German",
    "fr": "French",
    "ar": "Arabic",
    "ja": "Japanese",
    "ko": "Korean",
    "mn": "Mongolian",
}
SUMMARY_MAX_CHARS = 450
RETRY_DAYS = 7  # a failed send of an earlier day is retried by the digests of the following week
OUTLET_WEIGHT = 0.05  # ranking: each doubling of the outlets that ran a story is worth this much relevance


# --- sentences and summaries ---------------------------------------------------------------------

_CLOSERS = "\"'”’»)]）」』›"
_OPENERS = "\"'“‘«([（「『‹—–-"
# CJK full stops end a sentence on their own; Latin/Cyrillic ones only before whitespace.
_BOUNDARY = re.compile(rf"[。！？]+[{re.escape(_CLOSERS)}]*|[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s)")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr inc ltd co corp vs etc e.g i.e no nos gen col lt sgt gov sen rep
    jan feb mar apr jun jul aug sep sept oct nov dec approx est dept univ fig vol mt ft
    г гг т.е т.д т.п т.к им ул пр просп д кв обл р-н млн млрд тыс руб долл проф акад см стр рис
    гл ст п пп тел чел ок н.э др""".split()  # noqa: SIM905 - a word list reads better this way
)


def _is_abbreviation(before: str) -> bool:
    """Whether the word ending just before a full stop is an abbreviation or an initial."""
    match = re.search(r"(\S+)$", before)
    if not match:
        return False
    word = match.group(1).lstrip(_OPENERS)
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "K. Tokayev", "Н. Назарбаев"
    if "." in word:
        return True  # U.S, т.е, К.-Ж
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Sentences of Latin, Cyrillic and Chinese text; paragraph breaks always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n+", text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            end = match.end()
            if match.group(0)[0] not in "。！？":
                rest = paragraph[end:].lstrip().lstrip(_OPENERS)
                nxt = rest[:1]
                if not nxt or not (nxt.isupper() or nxt.isdigit() or _no_case(nxt)):
                    continue
                if match.group(0)[0] == "." and _is_abbreviation(paragraph[: match.start()]):
                    continue
            sentence = paragraph[start:end].strip()
            if sentence:
                sentences.append(sentence)
            start = end
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _no_case(ch: str) -> bool:
    """A letter of a script without case (Chinese, Arabic...): it may start a sentence."""
    return ch.isalpha() and not ch.islower() and not ch.isupper()


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _is_heading_noise(paragraph: str) -> bool:
    """Bylines, datelines, captions: short lines that do not end like a sentence."""
    p = paragraph.strip()
    return len(p) < 60 and not re.search(r"[.!?…。！？][\"'”’»)]*$", p)


def _join(sentences: list[str]) -> str:
    """Sentences back into text: a space after Latin/Cyrillic ones, none after a CJK full stop."""
    out = ""
    for sentence in sentences:
        if out and not re.search(r"[。！？][\"'”’»)）」』]*$", out):
            out += " "
        out += sentence
    return out


def summarize(
    text: str | None, title: str | None = None, sentences: int = 3, max_chars: int = SUMMARY_MAX_CHARS
) -> str:
    """The first `sentences` sentences of the text (two when three would run long), title repeats skipped."""
    if not text:
        return ""
    paragraphs = [p for p in re.split(r"\n+", text) if p.strip()]
    body = [p for p in paragraphs if not _is_heading_noise(p)] or paragraphs
    folded_title = _fold(title or "")
    chosen: list[str] = []
    length = 0
    for sentence in split_sentences("\n".join(body)):
        if folded_title and _fold(sentence) == folded_title:
            continue
        if chosen and (len(chosen) >= sentences or (len(chosen) >= 2 and length + len(sentence) > max_chars)):
            break
        if chosen and length + len(sentence) > max_chars * 1.5:
            break
        chosen.append(sentence)
        length += len(sentence) + 1
    summary = _join(chosen)
    if len(summary) > max_chars * 1.5:
        cut = summary[: max_chars + 1]
        space = cut.rfind(" ")
        summary = (cut[:space] if space > max_chars // 2 else cut[:max_chars]).rstrip(" ,;:") + "…"
    return summary


# --- the digest as data --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlet:
    source: str
    url: str
    title: str | None
    language: str | None
    first_seen_at: datetime
    in_day: bool


@dataclass
class Story:
    cluster: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    first_seen_at: datetime
    language: str | None
    summary: str
    relevance: float
    countries: list[str]
    group: str
    outlets: int
    also: list[Outlet]
    recency: datetime
    from_feed: bool = False

    @property
    def score(self) -> float:
        return self.relevance + OUTLET_WEIGHT * math.log2(max(self.outlets, 1))


@dataclass(frozen=True)
class FailingSource:
    name: str
    failures: int
    since: datetime | None
    last_error: str | None
    last_success_at: datetime | None


@dataclass
class Digest:
    day: date
    timezone: str
    generated_at: datetime
    stories: list[Story]  # ranked, capped
    total_stories: int
    new_articles: int
    relevant_articles: int
    by_country: dict[str, int]  # stories per group, GROUP_ORDER, zeros left out
    by_language: dict[str, int]  # relevant new articles per language
    failing: list[FailingSource] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def groups(self) -> list[tuple[str, str, list[Story]]]:
        out = []
        for code in GROUP_ORDER:
            members = [s for s in self.stories if s.group == code]
            if members:
                out.append((code, GROUP_LABELS[code], members))
        return out

    @property
    def subject(self) -> str:
        n = len(self.stories)
        if not n:
            return f"newswatch digest {self.day.isoformat()}: no new stories"
        head = f"newswatch digest {self.day.isoformat()}: {n} {'story' if n == 1 else 'stories'}"
        lead = " ".join(self.stories[0].title.split())
        if len(lead) > 90:
            lead = lead[:89].rstrip() + "…"
        return f"{head} | {lead}"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a calendar day in `tz` starts and ends (23 or 25 hours across a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


def _story(cluster: int, rows: list[dict[str, Any]], sentences: int, now: datetime) -> Story | None:
    news = [r for r in rows if not r["is_seed"]]
    candidates = [r for r in news if r["in_day"] and r["is_relevant"]]
    if not candidates:
        return None
    main = min(candidates, key=lambda r: (-(r["relevance"] or 0.0), r["first_seen_at"], r["id"]))
    countries = list(main["countries"] or [])
    if not countries:
        countries = sorted({c for r in candidates for c in (r["countries"] or [])}, key=_country_rank)
    countries = [c for c in countries if c in CENTRAL_ASIA]
    group = countries[0] if len(countries) == 1 else REGION
    also: list[Outlet] = []
    seen_sources = {main["source"]}
    for r in news:  # ordered by first_seen_at
        if r["source"] in seen_sources:
            continue
        seen_sources.add(r["source"])
        also.append(Outlet(r["source"], r["url"], r["title"], r["language"], r["first_seen_at"], r["in_day"]))
    in_day = [r for r in news if r["in_day"]]
    recency = max(min(r["published_at"] or r["first_seen_at"], now) for r in in_day)
    title = " ".join((main["title"] or "").split())
    summary = summarize(main["text"], main["title"], sentences)
    if not title:
        title = summary[:100] or main["url"]
    return Story(
        cluster=cluster,
        title=title,
        url=main["url"],
        source=main["source"],
        published_at=main["published_at"],
        first_seen_at=main["first_seen_at"],
        language=main["language"],
        summary=summary,
        relevance=float(main["relevance"] or 0.0),
        countries=countries,
        group=group,
        outlets=len(seen_sources),
        also=also,
        recency=recency,
        from_feed=main["extraction"] == "feed",
    )


def _country_rank(code: str) -> int:
    return GROUP_ORDER.index(code) if code in GROUP_ORDER else len(GROUP_ORDER)


def rank(stories: Iterable[Story]) -> list[Story]:
    """Relevance first, lifted a little by how many outlets ran the story; recency breaks ties."""
    return sorted(stories, key=lambda s: (-round(s.score, 3), -s.recency.timestamp(), s.title, s.cluster))


def build_digest(config: Config, store: Store, day: date, now: datetime | None = None) -> Digest:
    """Everything the digest of `day` shows, read from the database."""
    settings = config.settings
    now = now or datetime.now(UTC)
    start, end = day_bounds(day, settings.tz)
    rows = store.digest_articles(start, end)
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_cluster.setdefault(int(r["cluster"]), []).append(r)
    stories = [
        s
        for cid, members in by_cluster.items()
        if (s := _story(cid, members, settings.digest.summary_sentences, now)) is not None
    ]
    ranked = rank(stories)
    new_articles, relevant_articles = store.day_article_counts(start, end)
    by_group: Counter[str] = Counter()
    for s in ranked:
        for code in s.countries or []:
            by_group[code] += 1
        if s.group == REGION:
            by_group[REGION] += 1
    by_language = Counter(
        (r["language"] or "unknown") for r in rows if r["in_day"] and r["is_relevant"] and not r["is_seed"]
    )
    failing = [
        FailingSource(
            f["name"],
            int(f["consecutive_failures"]),
            f["failing_since"],
            f["last_error"],
            f["last_success_at"],
        )
        for f in store.failing_sources([s.name for s in config.sources])
    ]
    return Digest(
        day=day,
        timezone=settings.timezone,
        generated_at=now,
        stories=ranked[: settings.digest.max_stories],
        total_stories=len(ranked),
        new_articles=new_articles,
        relevant_articles=relevant_articles,
        by_country={code: by_group[code] for code in GROUP_ORDER if by_group[code]},
        by_language=dict(sorted(by_language.items(), key=lambda kv: (-kv[1], kv[0]))),
        failing=failing,
    )


# --- rendering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    markdown: str


def language_name(code: str | None) -> str:
    if not code or code == "unknown":
        return "unknown language"
    return LANGUAGE_NAMES.get(code.lower(), code)


def is_english(code: str | None) -> bool:
    return bool(code) and str(code).lower().startswith("en")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are linked (a feed could carry javascript: or data: links)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def duration(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "unknown time"
    hours = max((now - since).total_seconds(), 0) / 3600
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        n = int(hours)
        return f"{n} hour{'s' if n != 1 else ''}"
    days = int(hours // 24)
    return f"{days} days"


def _local(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value else ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|&~])")


def md_escape(value: Any) -> str:
    """Text that Markdown shows as written: no links, emphasis or raw HTML from article text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value or "").split()))


def md_url(url: str | None) -> str | None:
    safe = safe_url(url)
    return None if safe is None else safe.replace("(", "%28").replace(")", "%29")


def _wrap(text: str, width: int = 78, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        language_name=language_name,
        md=md_escape,
        md_url=md_url,
        safe_url=safe_url,
        wrap=_wrap,
    )
    env.tests["english"] = is_english
    return env


def render(digest: Digest) -> Rendered:
    tz = digest.tz

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return _local(value, tz, fmt)

    def since(value: datetime | None) -> str:
        return duration(value, digest.generated_at)

    env = _environment()
    context = {
        "d": digest,
        "local": local,
        "since": since,
        "group_labels": GROUP_LABELS,
        "REGION": REGION,
        "date_long": digest.day.strftime("%A %d %B %Y"),
    }
    html = env.get_template("digest.html").render(context)
    text = env.get_template("digest.txt").render(context)
    markdown = env.get_template("digest.md").render(context)
    return Rendered(html=html, text=text, markdown=markdown)


# --- delivery ------------------------------------------------------------------------------------


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

    @property
    def failed(self) -> bool:
        return self.send == "failed" or self.retry_failed

    @property
    def failure_message(self) -> str:
        problems = [f"digest {self.day} written but not sent: {self.detail}"] if self.send == "failed" else []
        problems += [f"earlier digest {line}" for line in self.retried if "retry failed" in line]
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
    **send_options: Any,
) -> DigestOutcome:
    """Build, write and record one day's digest, then mail it unless it already went to this list.

    `smtp` None means files only. A failed send is recorded and retried by the next run (of this day,
    or of any of the following `RETRY_DAYS` days); the files are written either way.
    """
    now = now or datetime.now(UTC)
    tz = config.settings.tz
    day = day or today(tz, now)
    # Under the writer lock, the mail included: the digest reads whole clusters (never a rebuild's
    # half-reset ones), and a claim is always followed by its recorded outcome, however long the
    # SMTP server takes (at most its timeout per send), so no other run sees a stale 'sending'.
    with writing(store, "digest"):
        store.migrate()
        run_id = store.start_run("digest")
        try:
            outcome = _deliver(config, store, day, out_dir, smtp, send, force, now, send_options)
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
) -> DigestOutcome:
    digest = build_digest(config, store, day, now)
    rendered = render(digest)
    paths = write_files(rendered, out_dir, day)
    sending = smtp is not None and send
    key = recipients_key(smtp.recipients) if sending and smtp is not None else ""

    _record_files(store, day, "", digest, paths)
    outcome = DigestOutcome(
        day=day,
        paths=paths,
        stories=len(digest.stories),
        total_stories=digest.total_stories,
        subject=digest.subject,
        markdown=rendered.markdown,
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
        sent_at = _local(blocker["sent_at"], digest.tz)
        outcome.send = "already_sent"
        outcome.detail = f"already sent to these recipients at {sent_at}; not sent again (--force resends)"
    elif blocker is not None:
        started = _local(blocker["last_attempt_at"], digest.tz)
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
        old = build_digest(config, store, earlier, now)
        old_rendered = render(old)
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
    smtp = smtp_from_env(config.settings.digest.recipients, env)
    if send and smtp is None:
        raise ConfigError(
            "--send: SMTP is not configured; set NEWSWATCH_SMTP_HOST (and NEWSWATCH_SMTP_TO or"
            " settings.digest.recipients)"
        )
    return make_digest(
        config,
        store,
        day,
        out_dir=out_dir or default_out_dir(store.path),
        smtp=smtp,
        send=send is not False,
        force=force,
    )
