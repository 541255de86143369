"""What the commands print: the ingest summary, SQL result tables, search hits with highlighted
words, and the sources' health table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.clock import local
from flows.config import Config


def print_ingest_summary(console: Console, summary: Any) -> None:
    table = Table(title=f"ingest run {summary.run_id}: {summary.elapsed_seconds:.1f} s")
    # new: stored, a story not seen before; copies: stored, a copy of a known story (README "Counts")
    for col in ("source", "status", "new", "copies", "failed", "error"):
        table.add_column(col, justify="right" if col in ("new", "copies", "failed") else "left")
    for r in sorted(summary.reports, key=lambda r: r.name.lower()):
        note = r.error or r.problem or ""
        if r.moved_to:
            note = (note + "; " if note else "") + f"moved permanently to {r.moved_to}"
        if r.skipped:
            note = (note + "; " if note else "") + f"{r.skipped} links skipped"
        if r.same_link:
            note = (note + "; " if note else "") + f"{r.same_link} links stored under another source"
        table.add_row(escape(r.name), r.status, str(r.new), str(r.duplicate), str(r.failed), escape(note))
    table.add_row(
        "total", "", str(summary.new), str(summary.duplicate), str(summary.failed), "", style="bold"
    )
    console.print(table)
    if summary.waited_seconds:
        console.print(f"waited {summary.waited_seconds:.1f} s for another process to free the database")
    if getattr(summary, "replayed", 0):
        console.print(f"stored {summary.replayed} articles that an earlier run had kept in the spool")
    if getattr(summary, "note", None):
        console.print(summary.note, markup=False, highlight=False)


def print_sql_table(
    console: Console, columns: Sequence[str], records: Sequence[Sequence[Any]], max_rows: int
) -> None:
    """The first `max_rows` rows of a query, NULL shown as NULL, and how many there were in all.

    As DuckDB's own shell does: long values are cut (…), and when the columns are wider than the
    terminal the middle ones give way to a "…" column (`--vertical` shows every value whole)."""
    shown_rows = [[_sql_cell(v) for v in row] for row in records[:max_rows]]
    widths = [
        min(MAX_CELL, max([cell_len(c), *(cell_len(r[i]) for r in shown_rows)]))
        for i, c in enumerate(columns)
    ]
    kept = fit_columns(widths, console.width)
    table = Table(show_lines=False)
    for i in kept:
        if i is None:
            table.add_column("…", no_wrap=True)
        else:
            table.add_column(columns[i], no_wrap=True, overflow="ellipsis", max_width=max(widths[i], 1))
    for row in shown_rows:
        table.add_row(*("…" if i is None else row[i] for i in kept))
    console.print(table, markup=False, highlight=False)
    if len(records) > max_rows:
        console.print(f"({len(records)} rows, first {max_rows} shown)")
    hidden = len(columns) - len([i for i in kept if i is not None])
    if hidden:
        console.print(
            f"({len(columns)} columns, {len(columns) - hidden} shown: --vertical shows them all)",
            markup=False,
            highlight=False,
        )


# --- wide SQL results: cut to the terminal, or one row per block ----------------------

MAX_CELL = 40  # a column's widest value shown whole in the table; longer ones are cut with "…"
_CELL_FRAME = 3  # a column's padding and its border, in rich's default box


def _sql_cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")


def fit_columns(widths: Sequence[int], available: int) -> list[int | None]:
    """Which columns fit in `available` cells: all of them, or the first and last ones taken in
    turn with None (a "…" column) between; always at least the first."""
    if sum(w + _CELL_FRAME for w in widths) + 1 <= available:
        return list(range(len(widths)))
    budget = available - 1 - (1 + _CELL_FRAME)
    left: list[int] = []
    right: list[int] = []
    i, j = 0, len(widths) - 1
    while i <= j:
        take = i if len(left) <= len(right) else j
        cost = widths[take] + _CELL_FRAME
        if cost > budget:
            break
        budget -= cost
        if take == i:
            left.append(i)
            i += 1
        else:
            right.append(j)
            j -= 1
    if not left:
        left = [0]
    return [*left, None, *reversed(right)]


def print_sql_records(
    console: Console, columns: Sequence[str], records: Sequence[Sequence[Any]], max_rows: int
) -> None:
    """`newswatch sql --vertical`: one block per row, a line per column, every value whole."""
    name_width = max((cell_len(c) for c in columns), default=0)
    for n, row in enumerate(records[:max_rows], 1):
        console.print(f"-[ row {n} ]" + "-" * max(0, name_width - 4), markup=False, highlight=False)
        for column, value in zip(columns, row, strict=True):
            text = "NULL" if value is None else str(value)
            lines = text.split("\n") or [""]
            pad = " " * (name_width - cell_len(column))
            console.print(f"{column}{pad} | {lines[0]}", markup=False, highlight=False, soft_wrap=True)
            for more in lines[1:]:
                console.print(f"{' ' * name_width} | {more}", markup=False, highlight=False, soft_wrap=True)
    if not records:
        console.print("(no rows)", markup=False, highlight=False)
    if len(records) > max_rows:
        console.print(f"({len(records)} rows, first {max_rows} shown)")


def _highlighted(text: str, spans: Sequence[tuple[int, int]], style: str = "") -> Any:
    from rich.text import Text

    out = Text(text, style=style)
    for start, end in spans:
        out.stylize("bold black on yellow", start, end)
    return out


def print_search_results(console: Console, records: Sequence[dict[str, Any]]) -> None:
    from rich.text import Text

    table = Table(show_lines=True)
    for col in ("#", "date", "source", "lang", "article"):
        table.add_column(col, overflow="fold", ratio=1 if col == "article" else None)
    for rank, r in enumerate(records, 1):
        when = r.get("date") or (
            "seed" if r["source"] == "seed" else (r["published_at"] or r["first_seen_at"] or "")[:10]
        )
        body = Text()
        body.append_text(_highlighted(r["title"] or "(no title)", r["title_highlights"], "bold"))
        if r["copies"] > 1:
            body.append(f"  (+{r['copies'] - 1} more copies)", style="dim")
        body.append("\n")
        body.append_text(_highlighted(r["snippet"], r["snippet_highlights"]))
        body.append(f"\n{r['url']}", style="dim")
        table.add_row(str(rank), when, escape(r["source"]), escape(r["language"] or "?"), body)
    console.print(table)


def print_source_health(
    console: Console, config: Config, health: dict[str, dict[str, Any]], tz: ZoneInfo | None = None
) -> None:
    """One row per configured source: enabled, healthy or failing since when, counts, last error.

    Times in `tz` (default settings.timezone), each with its UTC offset; `articles` is what the
    source has stored (copies of a story included) and, after the slash, in the last 7 days."""
    tz = tz or config.settings.tz
    table = Table(title=f"sources (times in {tz.key})")
    for col in ("source", "enabled", "health", "last success", "failures", "articles (7 days)", "last error"):
        table.add_column(col)
    for s in config.sources:
        h = health.get(s.name, {})
        failures = h.get("consecutive_failures") or 0
        if not h or h.get("last_polled_at") is None and not h.get("last_success_at") and not failures:
            state = "never polled"
        elif failures:
            since = h.get("failing_since")
            state = f"failing since {local(since, tz)}" if since else "failing"
        else:
            state = "ok" + (f" (moved to {h['moved_to']})" if h.get("moved_to") else "")
        last = h.get("last_success_at")
        table.add_row(
            escape(s.name) + (f" ({s.type})" if s.type != "feed" else ""),
            "yes" if s.enabled else "no",
            escape(state),
            local(last, tz) if last else "-",
            str(failures),
            f"{h.get('articles_total') or 0} ({h.get('articles_7d') or 0})",
            escape((h.get("last_error") or h.get("feed_problem") or "")[:120]),
        )
    console.print(table)


def print_rescore_summary(console: Console, summary: Any) -> None:
    """Relevant articles before and after, and per country where that changed."""
    change = summary.relevant - summary.relevant_before
    console.print(
        f"rescored {summary.articles} articles in {summary.elapsed_seconds:.1f} s:"
        f" relevant {summary.relevant_before} -> {summary.relevant} ({change:+d};"
        f" {summary.gained} newly relevant, {summary.lost} no longer)",
        markup=False,
        highlight=False,
    )
    before, after = summary.countries_before, summary.countries_after
    changed = sorted(c for c in set(before) | set(after) if before[c] != after[c])
    if not changed:
        console.print("relevant articles per country: unchanged", markup=False)
        return
    table = Table(title="relevant articles per country (only those that changed)", title_justify="left")
    for name in ("country", "before", "after", "change"):
        table.add_column(name, justify="left" if name == "country" else "right")
    for code in changed:
        table.add_row(
            code or "(none)", str(before[code]), str(after[code]), f"{after[code] - before[code]:+d}"
        )
    console.print(table)
