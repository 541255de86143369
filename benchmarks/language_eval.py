"""Score language detection on the evaluation set (benchmarks/language_set/texts.jsonl).

    python -m benchmarks.language_eval            # per-language table (right / total) and the errors
    python -m benchmarks.language_eval --errors   # every wrong answer with the start of its text
    python -m benchmarks.language_eval --chars 60 # each text cut to its first 60 characters (a headline)

tests/stages/reading/test_language_set.py asserts the same figures in `make test`.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SET = Path(__file__).parent / "language_set" / "texts.jsonl"


@dataclass(frozen=True)
class Sample:
    set: str  # kk-latn, uz-cyrl, ...: the rows of the table
    lang: str  # the code the pipeline must answer
    source: str
    text: str


def load(path: Path = SET, chars: int | None = None) -> list[Sample]:
    """The set; with `chars`, each text cut to that many characters at a word's end."""
    with path.open(encoding="utf-8") as f:
        samples = [Sample(**json.loads(line)) for line in f if line.strip()]
    if chars is None:
        return samples
    return [Sample(s.set, s.lang, s.source, _cut(s.text, chars)) for s in samples]


def _cut(text: str, chars: int) -> str:
    head = text[:chars]
    return head.rsplit(" ", 1)[0] if " " in head and len(text) > chars else head


@dataclass(frozen=True)
class Result:
    right: dict[str, int]
    total: dict[str, int]
    wrong: dict[str, Counter[str]]  # per set: the wrong answers and how often
    errors: list[tuple[Sample, str | None]]

    @property
    def overall(self) -> float:
        return sum(self.right.values()) / max(1, sum(self.total.values()))


def score(detect: Callable[[str], str | None], samples: list[Sample]) -> Result:
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    errors = []
    for s in samples:
        got = detect(s.text)
        total[s.set] += 1
        if got == s.lang:
            right[s.set] += 1
        else:
            wrong[s.set][str(got)] += 1
            errors.append((s, got))
    return Result(dict(right), dict(total), dict(wrong), errors)


def table(result: Result) -> str:
    lines = ["| set | right | wrong answers |", "| --- | --- | --- |"]
    for name in result.total:
        wrong = ", ".join(f"{lang} {n}" for lang, n in result.wrong.get(name, Counter()).most_common())
        lines.append(f"| {name} | {result.right.get(name, 0)}/{result.total[name]} | {wrong} |")
    right, total = sum(result.right.values()), sum(result.total.values())
    lines.append(f"| all | {right}/{total} ({100 * result.overall:.1f}%) | |")
    return "\n".join(lines)


def main() -> None:
    from flows.stages.reading.language import detect_language

    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--chars", type=int, default=None)
    args = parser.parse_args()
    result = score(detect_language, load(chars=args.chars))
    print(table(result))
    if args.errors:
        for s, got in result.errors:
            print(f"{s.set} -> {got}: {s.text[:120]!r}")


if __name__ == "__main__":
    main()
