"""The seed corpus: plain-text articles whose first line is the title, with scraped boilerplate."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SeedDoc:
    file_name: str
    title: str
    text: str

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
            docs.append(SeedDoc(file_name=file.name, title=title, text=text))
    return docs
