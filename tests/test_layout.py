"""The code's layout (README, "How the code is laid out") holds: layers, sizes, who owns SQL.

CLI over orchestration over the pipeline over the stages over storage: no import runs back up.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support import ROOT

MAX_LINES = 450
# the layers, top first; a module may import its own layer and the layers below it
LAYERS = ["flows.cli", "flows.web", "flows.orchestration", "flows.pipeline", "flows.stages", "storage"]
# modules every layer may use: configuration, progress and text are leaves
SHARED = ("flows.config", "flows.progress", "flows.text", "flows.exposure", "flows.__init__", "flows")


def modules() -> list[Path]:
    return sorted(p for d in ("flows", "storage") for p in (ROOT / d).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int | None:
    for i, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return i
    return None


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("flows", "storage")}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_longer_than_450_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines"


def test_no_import_runs_back_up() -> None:
    wrong = []
    for path in modules():
        own = layer(module_name(path))
        for name in imports(path):
            target = layer(name)
            if own is not None and target is not None and target < own:
                wrong.append(f"{module_name(path)} imports {name}")
    assert wrong == []


def test_transactions_and_connections_are_opened_only_in_storage() -> None:
    pattern = re.compile(
        r"\.transaction\(|duckdb\.connect\(|\.connect\(read_only|\bstore\.connect\(|\._open\("
    )
    wrong = [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for path in modules()
        if path.relative_to(ROOT).parts[0] == "flows"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert wrong == []


def code(path: Path) -> str:
    """A module's text without its comments."""
    return "\n".join(line.split("#")[0] for line in path.read_text(encoding="utf-8").splitlines())


def test_one_cjk_definition_and_one_progress_protocol() -> None:
    cjk = re.compile(r"\\u4e00|\\u3400|\\p\{Han\}|\u4e00-")
    defining = [str(p.relative_to(ROOT)) for p in modules() if cjk.search(code(p))]
    assert defining == ["flows/text.py"]
    protocols = [
        str(p.relative_to(ROOT))
        for p in modules()
        if re.search(
            r"class \w+\(Protocol\):[^\n]*\n(?:\s+\"\"\"[^\n]*\n)?\s+def phase", p.read_text(encoding="utf-8")
        )
    ]
    assert protocols == ["flows/progress.py"]


STAGE_ROOMS = {"net", "sources", "reading", "stories", "delivery"}


def test_stages_live_in_their_rooms() -> None:
    """A reader finds a stage by its room: no module sits loose in flows/stages/."""
    stages = ROOT / "flows" / "stages"
    loose = sorted(p.name for p in stages.glob("*.py") if p.name != "__init__.py")
    rooms = {p.name for p in stages.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert loose == []
    assert rooms == STAGE_ROOMS


def test_no_module_imports_another_modules_underscore_name() -> None:
    """A private name is its module's own: another module that needs it needs a public seam. The
    same for a library's private names and modules: any release may change or remove them."""
    wrong = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            wrong.extend(f"{module_name(path)} imports {name}" for name in names if _private(name))
    assert wrong == []


def test_one_cursor_module_decides_where_a_crawler_stopped() -> None:
    """Where a sitemap or channel stopped reading is decided in one place: only the cursor contract
    (and storage, which keeps the rows) spells the kinds of its marks."""
    kinds = {"high_water", "last_post"}
    spelling = [
        str(p.relative_to(ROOT))
        for p in modules()
        if any(
            isinstance(node, ast.Constant) and node.value in kinds
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert set(spelling) <= {"flows/stages/sources/cursors.py", "storage/cursors.py"}
    assert "flows/stages/sources/cursors.py" in spelling


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


# What parses a date written as text, or turns a parser's struct_time into a datetime.
DATE_PARSING_CALLS = {
    "fromisoformat",
    "strptime",
    "parsedate",
    "parsedate_tz",
    "parsedate_to_datetime",
    "mktime_tz",
    "timegm",
    "registerDateHandler",
}
DATE_LIBRARIES = (
    "dateutil",
    "dateparser",
    "htmldate",
    "iso8601",
    "ciso8601",
    "arrow",
    "pendulum",
    "feedparser.datetimes",
)
DATES_MODULE = "flows/stages/reading/dates.py"
# (module, function or import): why it is not the dates module's business
NOT_SOURCE_DATES = {
    # HTTP's own date in a Retry-After header: a delay for the transport to wait, not a date that a
    # source gives for what it publishes; and the net room depends on no other room
    ("flows/stages/net/fetch.py", "parse_retry_after"),
    # htmldate finds where a page states its date (meta tags, JSON-LD, markup), beside trafilatura's
    # readers of the page's other metadata; the string it returns is read by dates.page_date
    ("flows/stages/reading/page_metadata.py", "htmldate"),
}


def date_parsing(path: Path) -> list[tuple[str, str]]:
    """(where, what) for each date-parsing call or date library import in a module; `where` is the
    enclosing function (or the module's top level), `what` the call or the imported module."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in DATE_PARSING_CALLS:
                    found.append((where, f"{name}() at line {child.lineno}"))
            imported = (
                [child.module or ""]
                if isinstance(child, ast.ImportFrom)
                else [a.name for a in child.names]
                if isinstance(child, ast.Import)
                else []
            )
            for module in imported:
                library = next(
                    (lib for lib in DATE_LIBRARIES if module == lib or module.startswith(lib + ".")), None
                )
                if library is not None:
                    found.append((library, f"import {module} at line {child.lineno}"))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "(module)")
    return found


def test_one_dates_module() -> None:
    """Sources' dates (feeds, sitemaps, channels, pages, the crawler's marks) are read in one module,
    under one plausibility rule: no stage or pipeline step parses a date of its own. (The command
    line and the web parse dates the analyst types, not a source's: they are not checked here.)"""
    wrong = [
        f"{rel}: {what} ({where})"
        for path in modules()
        if (rel := str(path.relative_to(ROOT))).startswith(("flows/stages/", "flows/pipeline/"))
        and rel != DATES_MODULE
        for where, what in date_parsing(path)
        if (rel, where) not in NOT_SOURCE_DATES
    ]
    assert wrong == []


def test_the_date_checks_see_what_they_look_for() -> None:
    """The check above would pass on an empty list: it finds what it must in the dates module,
    and each exemption still names something that is there."""
    found = {what.split("(")[0] for _, what in date_parsing(ROOT / DATES_MODULE)}
    assert {"fromisoformat", "timegm", "registerDateHandler"} <= found
    for rel, where in NOT_SOURCE_DATES:
        assert where in {w for w, _ in date_parsing(ROOT / rel)}, (rel, where)


MAX_FUNCTION_LINES = 60


def long_functions(folder: Path) -> list[str]:
    """Functions (methods and nested ones too) longer than MAX_FUNCTION_LINES, docstring included."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines")
    return found


def test_the_pipeline_reads_in_steps_no_function_longer_than_60_lines() -> None:
    """flows/pipeline/ composes steps; a reader follows each one without scrolling."""
    assert long_functions(ROOT / "flows" / "pipeline") == []
