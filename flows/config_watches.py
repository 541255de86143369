"""Configuration of watches (standing searches with alerts) and per-analyst digest
subscriptions, validated like the rest of sources.yaml (flows/config.py loads them)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storage.search.query_language import QueryError, Term, bounded, parse, prune, terms
from storage.search.stopwords import is_stopword


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


WATCH_COUNTRIES = ("KZ", "KG", "TJ", "TM", "UZ")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_SUBSCRIPTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _check_countries(value: list[str]) -> list[str]:
    codes = [c.strip().upper() for c in value]
    for code in codes:
        if code not in WATCH_COUNTRIES:
            raise ValueError(f"country {code!r}: one of {', '.join(WATCH_COUNTRIES)}")
    return codes


def _check_languages(value: list[str]) -> list[str]:
    codes = [c.strip().lower().replace("_", "-") for c in value]
    for code in codes:
        if not _LANGUAGE.match(code):
            raise ValueError(f"language {code!r}: give a code such as en, ru, kk or uz")
    return codes


def _check_emails(value: list[str]) -> list[str]:
    for address in value:
        if not _EMAIL.match(address.strip()):
            raise ValueError(f"{address!r} is not an e-mail address")
    return [a.strip() for a in value]


def _only_stopwords(term: Term) -> bool:
    """An unquoted word of stopwords only (`the`, `и`): a search drops it."""
    words = re.findall(r"[^\W_]+", term.text.lower())
    return not (term.quoted or term.prefix or term.field) and all(is_stopword(w, term.text) for w in words)


def check_query(query: str) -> None:
    """A watch's query as search reads it (storage/search/query_language.py); ValueError with the
    column of what is wrong."""
    try:
        tree = parse(query)
    except QueryError as exc:
        raise ValueError(f"{query!r}: {exc}") from None
    for term in terms(tree):
        if term.field == "country" and term.text.upper() not in WATCH_COUNTRIES:
            raise ValueError(
                f"{query!r}: country:{term.text} is not one of {', '.join(WATCH_COUNTRIES)} at column {term.column}"
            )
    left = prune(tree, _only_stopwords)
    if left is None:
        raise ValueError(f"{query!r}: only stopwords (quote a word to search for it as written)")
    if not bounded(left):
        raise ValueError(
            f"{query!r}: NOT needs something to search beside it (the other words are stopwords)"
        )


class Watch(_Strict):
    """A standing search: after every ingest, its new stories are announced (or kept for the digest)."""

    name: str = Field(min_length=1)
    query: str = Field(min_length=1)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    min_relevance: float | None = Field(default=None, ge=0, le=1)
    notify: list[str] = Field(default_factory=list)  # e-mail addresses and http(s) webhook URLs
    mode: Literal["immediate", "digest"] = "immediate"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value.strip()

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        value = value.strip()
        if not any(ch.isalnum() for ch in value):
            raise ValueError(f"{value!r} has no letters or digits to search for")
        check_query(value)
        return value

    _countries = field_validator("countries")(classmethod(lambda cls, v: _check_countries(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _check_languages(v)))

    @field_validator("notify")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        out = []
        for target in (t.strip() for t in value):
            if target.lower().startswith(("http://", "https://")):
                if not re.match(r"^https?://[^\s/]+", target):
                    raise ValueError(f"{target!r} is not an http(s) URL")
            elif not _EMAIL.match(target):
                raise ValueError(f"{target!r} is neither an e-mail address nor an http(s) webhook URL")
            out.append(target)
        return out

    @property
    def emails(self) -> list[str]:
        return [t for t in self.notify if not t.lower().startswith(("http://", "https://"))]

    @property
    def webhooks(self) -> list[str]:
        return [t for t in self.notify if t.lower().startswith(("http://", "https://"))]

    def filters(self, at_least: str = ">=") -> list[str]:
        """Its filters as words ("countries KZ, UZ", "relevance >= 0.6"), for listings."""
        named = (("countries", self.countries), ("languages", self.languages), ("sources", self.sources))
        out = [f"{name} {', '.join(values)}" for name, values in named if values]
        if self.min_relevance is not None:
            out.append(f"relevance {at_least} {self.min_relevance:g}")
        return out


class DeliveryLimits(_Strict):
    """How long a failing announcement is retried: each ingest tries it once more, until it has
    been tried `max_attempts` times or is older than `max_age_hours`; then it is given up."""

    max_attempts: int = Field(default=5, ge=1, le=1000)
    max_age_hours: float = Field(default=48, gt=0, le=24 * 365)


class Subscription(_Strict):
    """One analyst's own digest: its recipients, filters, and the digest watches it shows."""

    name: str
    recipients: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    watches: list[str] = Field(default_factory=list)
    min_relevance: float | None = Field(default=None, ge=0, le=1)

    @field_validator("name")
    @classmethod
    def _dir_name(cls, value: str) -> str:
        if not _SUBSCRIPTION_NAME.match(value.strip()):
            raise ValueError(f"{value!r}: letters, digits, - _ . only (it names the folder digests/<name>/)")
        return value.strip()

    _recipients = field_validator("recipients")(classmethod(lambda cls, v: _check_emails(v)))
    _countries = field_validator("countries")(classmethod(lambda cls, v: _check_countries(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _check_languages(v)))


def check_watches(config: Any) -> None:
    """Unique watch and subscription names; a subscription names only configured watches."""
    names: set[str] = set()
    for i, watch in enumerate(config.watches):
        if watch.name.lower() in names:
            raise ValueError(f"watches.{i}.name: duplicate watch name {watch.name!r}")
        names.add(watch.name.lower())
    seen: set[str] = set()
    for i, sub in enumerate(config.settings.digest.subscriptions):
        if sub.name.lower() in seen:
            raise ValueError(
                f"settings.digest.subscriptions.{i}.name: duplicate subscription name {sub.name!r}"
            )
        seen.add(sub.name.lower())
        for w in sub.watches:
            if w.lower() not in names:
                raise ValueError(f"settings.digest.subscriptions.{i}.watches: no watch named {w!r}")
