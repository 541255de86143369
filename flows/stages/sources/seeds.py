"""The seed corpus: plain-text articles whose first line is the title, with scraped boilerplate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Lines a scraper keeps from the page around the article: share bars, comment forms, link lists.
_BOILERPLATE = [
    r"also read\s*:.*",
    r"read( more| also)?\s*:.*",
    r"-?\s*advertisement\s*-?",
    r"source link",
    r"related (articles|posts|stories|news)",
    r"back to top( button)?",
    r"leave a (reply|comment)",
    r"share this( article| story| post)?",
    r"like it loading….*|like this:?|loading\.\.\.",
    r"similar\s*:",
    r"your email address will not be published.*",
    r"required fields are marked.*",
    r"save my name, email,? and website.*",
    r"(comment|name|email|website)\s*\*?",
    r"post comment|submit comment",
    r"follow .{1,60} on (twitter|x|facebook|telegram).*",
    r"(click|tap) here to .*",
    r"subscribe to (our|the) newsletter.*",
]
BOILERPLATE_LINE = re.compile(r"^\s*(?:" + "|".join(_BOILERPLATE) + r")\s*$", re.IGNORECASE)


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(?P<month>" + "|".join(m.capitalize() for m in _MONTHS) + r")"
_DATELINES = (
    re.compile(
        r"\b(?P<y>(?:19|20)\d{2})-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?:[ T](?P<hm>[0-2]\d:[0-5]\d(?::[0-5]\d)?))?\b"
    ),
    re.compile(_MONTH + r" (?P<d>[0-3]?\d), (?P<y>(?:19|20)\d{2})\b"),
    re.compile(r"\b(?P<d>[0-3]?\d) " + _MONTH + r",? (?P<y>(?:19|20)\d{2})\b"),
)
DATELINE_LINES = 4  # a date is looked for in the lines under the title (byline, outlet, date) only


def dateline(text: str) -> datetime | None:
    """When a seed was published, if the lines under its title say so ("Global Courant 2023-05-26
    11:45:48", "May 24, 2023"); the time, when given, is taken as UTC. None when they do not."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:DATELINE_LINES]
    for line in lines:
        if len(line) > 120:  # a paragraph of the article, not a dateline
            continue
        for pattern in _DATELINES:
            if found := pattern.search(line):
                parts = found.groupdict()
                month = int(parts["m"]) if parts.get("m") else _MONTHS.index(parts["month"].lower()) + 1
                hour, minute, second = (int(x) for x in ((parts.get("hm") or "00:00") + ":00").split(":")[:3])
                try:
                    return datetime(int(parts["y"]), month, int(parts["d"]), hour, minute, second, tzinfo=UTC)
                except ValueError:
                    continue
    return None


@dataclass(frozen=True)
class SeedDoc:
    file_name: str
    title: str
    text: str
    published_at: datetime | None = None  # from the dateline under the title, if there is one

    @property
    def url(self) -> str:
        return f"seed://{self.file_name}"


def clean_seed_text(raw: str) -> tuple[str, str]:
    """Title (first non-empty line) and body with boilerplate lines removed."""
    lines = raw.replace("\r\n", "\n").replace("\ufeff", "").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    title = lines[0].strip() if lines else ""
    body = [line.rstrip() for line in lines[1:] if not BOILERPLATE_LINE.match(line)]
    text = re.sub(r"\n\s*\n+", "\n\n", "\n".join(body)).strip()
    return title, text


def load_seed_dir(directory: str | Path) -> list[SeedDoc]:
    path = Path(directory)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: seed directory not found")
    docs = []
    for file in sorted(path.glob("*.txt")):
        title, text = clean_seed_text(file.read_text(encoding="utf-8", errors="replace"))
        if text:
            docs.append(SeedDoc(file_name=file.name, title=title, text=text, published_at=dateline(text)))
    return docs
