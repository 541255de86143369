"""Per-analyst digests and watch sections.

A subscription (`settings.digest.subscriptions`) is its own digest: the day's stories that pass its
filters (countries: any of them; languages; minimum relevance), plus the sections of the digest
watches it lists. Its files go under `digests/<name>/`; its digest-table rows carry the key
`<name>:<recipients>`, so each is sent once a day with the plain digest's retry rules.

A digest watch (`mode: digest`) adds a section to every digest whose recipients include one of
its `notify` addresses, and to each subscription that lists it: the stories it first matched
that day, with the outlets that have run each since ("also reported by" grows with the copies).
The sections are rendered here and added to the rendered digest (before the end of the HTML
body, at the end of the text and Markdown), so the digest's own templates stay as they are.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flows.config import Config, SmtpSettings, Subscription
from flows.stages.delivery.digest.build import GROUP_ORDER, REGION, Digest, Story, build_digest, day_bounds
from flows.stages.delivery.digest.render import Rendered, render
from storage import Store

WIDE = 1000  # stories built before a subscription's filters (then capped at max_stories)


@dataclass(frozen=True)
class WatchSection:
    watch: str
    query: str
    stories: list[dict[str, Any]]


def row_prefix(subscription: Subscription | None) -> str:
    """The digest table's key prefix: '' for the plain digest, '<name>:' for a subscription."""
    return f"{subscription.name}:" if subscription is not None else ""


def _wanted(story: Story, sub: Subscription) -> bool:
    if sub.countries and not set(story.countries) & set(sub.countries):
        return False
    if sub.languages and (story.language or "").lower().split("-")[0] not in sub.languages:
        return False
    return sub.min_relevance is None or story.relevance >= sub.min_relevance


def subscription_digest(config: Config, store: Store, day: Any, now: datetime, sub: Subscription) -> Digest:
    """The day's digest with only the stories the subscription wants."""
    settings = config.settings
    wide = config.model_copy(
        update={
            "settings": settings.model_copy(
                update={"digest": settings.digest.model_copy(update={"max_stories": WIDE})}
            )
        }
    )
    digest = build_digest(wide, store, day, now)
    kept = [s for s in digest.stories if _wanted(s, sub)]
    by_group: Counter[str] = Counter()
    for s in kept:
        for code in s.countries:
            by_group[code] += 1
        if s.group == REGION:
            by_group[REGION] += 1
    languages = Counter((s.language or "unknown") for s in kept)
    return replace(
        digest,
        stories=kept[: settings.digest.max_stories],
        total_stories=len(kept),
        relevant_articles=sum(1 + sum(1 for o in s.also if o.in_day) for s in kept),
        by_country={code: by_group[code] for code in GROUP_ORDER if by_group[code]},
        by_language=dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def watch_sections(
    config: Config, store: Store, day: Any, recipients: Sequence[str], listed: Sequence[str] = ()
) -> list[WatchSection]:
    """The sections of the digest watches that go to `recipients` or are `listed` by name."""
    to = {r.strip().lower() for r in recipients}
    chosen = [
        w
        for w in config.watches
        if w.mode == "digest" and (w.name in listed or to & {e.lower() for e in w.emails})
    ]
    if not chosen:
        return []
    start, end = day_bounds(day, config.settings.tz)
    rows = store.watch_stories([w.name for w in chosen], start, end)
    return [WatchSection(w.name, w.query, [r for r in rows if r["watch"] == w.name]) for w in chosen]


def built(
    config: Config,
    store: Store,
    day: Any,
    now: datetime,
    smtp: SmtpSettings | None,
    subscription: Subscription | None,
) -> tuple[Digest, Rendered]:
    """The digest of `day` for the plain list or a subscription, rendered with its watch sections."""
    if subscription is None:
        digest = build_digest(config, store, day, now)
        recipients: Sequence[str] = smtp.recipients if smtp is not None else config.settings.digest.recipients
        sections = watch_sections(config, store, day, recipients)
    else:
        digest = subscription_digest(config, store, day, now, subscription)
        sections = watch_sections(config, store, day, subscription.recipients, subscription.watches)
    return digest, with_sections(render(digest), sections)


# --- rendering the sections ------------------------------------------------------------------------


def _also(row: dict[str, Any]) -> str:
    also = row.get("also") or []
    return f" (also reported by {', '.join(also)})" if also else ""


def _safe(url: str) -> str | None:
    return url if url.lower().startswith(("http://", "https://")) else None


def with_sections(rendered: Rendered, sections: Sequence[WatchSection]) -> Rendered:
    if not sections:
        return rendered
    text, md, parts = [], [], []
    for sec in sections:
        head = f"Watch {sec.watch} ({sec.query}): {len(sec.stories)} new {'story' if len(sec.stories) == 1 else 'stories'}"
        text += ["", head, "-" * min(len(head), 72)]
        md += ["", f"## {head}", ""]
        items = []
        for r in sec.stories:
            title = " ".join((r["title"] or "").split()) or r["url"]
            text += [f"- {title}", f"  {r['source']}: {r['url']}{_also(r)}"]
            md += [f"- [{title}]({r['url']}) — {r['source']}{_also(r)}"]
            link = _safe(r["url"])
            label = html.escape(title)
            items.append(
                f"<li>{f'<a href={chr(34)}{html.escape(link, quote=True)}{chr(34)}>{label}</a>' if link else label}"
                f" <small>{html.escape(r['source'] + _also(r))}</small></li>"
            )
        if not sec.stories:
            text.append("  (nothing new today)")
            md.append("_nothing new today_")
        parts.append(
            f'<section class="watch"><h2>{html.escape(head)}</h2><ul>{"".join(items)}</ul></section>'
        )
    fragment = "".join(parts)
    at = rendered.html.rfind("</body>")
    page = rendered.html[:at] + fragment + rendered.html[at:] if at >= 0 else rendered.html + fragment
    return Rendered(
        html=page,
        text=rendered.text.rstrip("\n") + "\n" + "\n".join(text) + "\n",
        markdown=rendered.markdown.rstrip("\n") + "\n" + "\n".join(md) + "\n",
    )
