"""`make bench`: every performance figure in one run; prints a table, writes benchmarks/results.json
and the table in benchmarks/README.md.

    python -m benchmarks.run            # full run (about 15 minutes on 2 cores)
    python -m benchmarks.run --quick    # smoke run in a minute or two; results go to benchmarks/work/
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "newswatch-bench-prefect"))

from benchmarks import bench_real  # noqa: E402
from benchmarks import ingest_bench as ib  # noqa: E402
from benchmarks.newsweb import NewsWeb, WebSpec  # noqa: E402
from flows.config import parse_config  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


@dataclass(frozen=True)
class Plan:
    outlets: int
    per_feed: int  # N pages = outlets * per_feed; the second cold run lists twice as many
    worker_sample: int  # pages for the per-page worker profile
    profile_per_feed: int  # links per feed in the profiled ingest
    scale_timeout: float  # at most this for each of bench_dedup and bench_search
    budget: float  # the whole run; the scale benchmarks share what the ingest figures left


FULL = Plan(
    outlets=50, per_feed=50, worker_sample=100, profile_per_feed=20, scale_timeout=480, budget=19 * 60
)
QUICK = Plan(outlets=50, per_feed=2, worker_sample=10, profile_per_feed=1, scale_timeout=240, budget=10 * 60)


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    goal: str = ""
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"figure": self.figure, "value": self.value, "goal": self.goal, "met": self.met}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    except (OSError, AttributeError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def scale_bench(name: str, quick: bool, timeout: float) -> dict[str, Any]:
    """Run benchmarks/<name>.py's run(quick) in its own process (its memory and crashes stay there)."""
    if not (HERE / f"{name}.py").exists():
        return {"skipped": f"benchmarks/{name}.py is not there yet"}
    code = (
        "import json, sys\n"
        f"from benchmarks.{name} import run\n"
        f"out = run(quick={quick!r})\n"
        "sys.stdout.write('\\nRESULT ' + json.dumps(out, default=str) + '\\n')\n"
    )
    started = time.perf_counter()
    # its own session, so that a timeout ends the helper processes it starts too
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"skipped": f"did not finish within {timeout:.0f} s (a first run builds its cached fixture)"}
    seconds = round(time.perf_counter() - started, 1)
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            out = result if isinstance(result, dict) else {"result": result}
            return {**out, "bench_seconds": seconds}
    tail = (stderr or stdout).strip().splitlines()[-3:]
    return {"skipped": f"failed (exit {proc.returncode}): {' | '.join(tail)}"}


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.extend(_flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    return [(prefix, value)]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _scale_rows(name: str, result: dict[str, Any]) -> list[Row]:
    if "skipped" in result:
        return [Row(f"{name}: skipped", str(result["skipped"]))]
    rows = []
    for key, value in _flatten("", result):
        if isinstance(value, list) or key.endswith(".q") or "load_average" in key:
            continue  # query words and machine load are in results.json, not worth a row
        if key.startswith("goals.") and isinstance(value, bool):
            rows.append(Row(f"{name}: goal", "", key.removeprefix("goals."), value))
        else:
            rows.append(Row(f"{name}: {key}", _fmt(value)))
    return rows


def _margin(
    small: ib.IngestRun, big: ib.IngestRun, base_rate: float, base_cpu_per_page: float, cores: int
) -> tuple[float, int, float, float, float, float]:
    """The marginal pages of `big` over `small`: (seconds, pages, pages/s, ratio to the baseline,
    CPU seconds of the whole machine, and the ratio from CPU per page on `cores` whole cores,
    which does not move with the machine's speed as wall time does)."""
    seconds = big.seconds - small.seconds
    pages = big.pages - small.pages
    rate = pages / seconds if seconds > 0 else float("nan")
    cpu = big.machine_cpu - small.machine_cpu
    return seconds, pages, rate, rate / base_rate, cpu, cores * base_cpu_per_page / (cpu / pages)


def bench(plan: Plan, quick: bool, workdir: Path) -> tuple[list[Row], dict[str, Any]]:
    n, outlets = plan.per_feed, plan.outlets
    details: dict[str, Any] = {"plan": plan.__dict__}
    rows: list[Row] = []
    spec = WebSpec(outlets=outlets, pages=2 * n)
    say(f"starting the news-web simulator: {outlets} outlets, {outlets * 2 * n} pages")
    with NewsWeb(spec) as web:
        say("warm-up ingest (imports, forkserver)")
        ib.cold(web, 1, workdir, "warmup")
        say(f"cold ingest of {outlets * n} pages")
        small, _ = ib.cold(web, n, workdir, "cold-n")
        say(f"  {small.seconds:.1f} s; cold ingest of {outlets * 2 * n} pages (memory sampled)")
        big, big_db = ib.cold(web, 2 * n, workdir, "cold-2n")
        say(f"  {big.seconds:.1f} s; the same two with `extraction: thorough`")
        fast_small, _ = ib.cold(web, n, workdir, "cold-n-thorough", extraction="thorough")
        fast_big, _ = ib.cold(web, 2 * n, workdir, "cold-2n-thorough", extraction="thorough")
        say(f"  {fast_small.seconds:.1f} s and {fast_big.seconds:.1f} s; no-op ingest (every feed 304)")
        config_2n = parse_config(web.sources_yaml(2 * n), "<bench cold-2n>")
        web.stats(reset=True)
        noop = ib.run_ingest(web, config_2n, big_db, 0)
        noop_stats = web.stats()
        say(f"  {noop.seconds:.2f} s; the same through the CLI in a new process")
        noop_cli = ib.noop_cli(web.sources_yaml(2 * n), big_db, workdir)
        say(f"  {noop_cli:.2f} s; digest of the day")
        digest = ib.digest_time(config_2n, big_db)
        say("trafilatura alone on the marginal pages")
        margin_pages = list(web.pages(n, 2 * n))
        base_rate, base_seconds, base_cpu = ib.trafilatura_alone(margin_pages)
        say(f"  {base_rate:.1f} pages/s; profiling the main process")
        main_profile = ib.profile_main(web, plan.profile_per_feed, workdir)
        say("profiling one analysis worker's work per page")
        worker = ib.profile_worker(
            config_2n, margin_pages[:: max(1, len(margin_pages) // plan.worker_sample)], web.port
        )

    cores = min(os.cpu_count() or 1, 2)
    base_cpu_per_page = base_cpu / len(margin_pages)
    margin_seconds, margin_pages_n, rate, ratio, pipeline_cpu, cpu_ratio = _margin(
        small, big, base_rate, base_cpu_per_page, cores
    )
    fixed = small.seconds - margin_seconds * small.pages / margin_pages_n
    fast_seconds, _, fast_rate, fast_ratio, fast_cpu, fast_cpu_ratio = _margin(
        fast_small, fast_big, base_rate, base_cpu_per_page, cores
    )
    complete = big.stored == big.pages and small.stored == small.pages and not big.failed
    details.update(
        cold_n=ib.as_dict(small),
        cold_2n=ib.as_dict(big),
        cold_n_thorough=ib.as_dict(fast_small),
        cold_2n_thorough=ib.as_dict(fast_big),
        marginal_thorough={
            "seconds": round(fast_seconds, 3),
            "pages_per_second": round(fast_rate, 2),
            "ratio": round(fast_ratio, 3),
            "cpu_ms_per_page": round(fast_cpu / margin_pages_n * 1000, 2),
            "cpu_bound_ratio": round(fast_cpu_ratio, 3),
        },
        marginal={
            "pages": margin_pages_n,
            "seconds": round(margin_seconds, 3),
            "pages_per_second": round(rate, 2),
            "fixed_seconds_estimate": round(fixed, 3),
            "main_cpu_ms_per_page": round((big.main_cpu - small.main_cpu) / margin_pages_n * 1000, 2),
            # the machine's CPU less the main process and the simulator: a walk of the process
            # tree has missed the workers of a whole run
            "workers_cpu_ms_per_page": round(
                (
                    (big.machine_cpu - big.main_cpu - big.server_cpu)
                    - (small.machine_cpu - small.main_cpu - small.server_cpu)
                )
                / margin_pages_n
                * 1000,
                2,
            ),
            "server_cpu_ms_per_page": round((big.server_cpu - small.server_cpu) / margin_pages_n * 1000, 2),
            "main_cpu_ms_per_page_by_stage": ib.main_cpu_per_page(small, big),
            "cpu_bound_ratio": round(cpu_ratio, 3),
        },
        trafilatura_alone={
            "pages": len(margin_pages),
            "seconds": round(base_seconds, 3),
            "pages_per_second": round(base_rate, 2),
            "ms_per_page": round(1000 / base_rate, 2),
            "cpu_ms_per_page": round(base_cpu / len(margin_pages) * 1000, 2),
            "mean_page_kb": round(sum(len(p.body) for p in margin_pages) / len(margin_pages) / 1000, 1),
            "pages_200kb_or_more": sum(len(p.body) >= 200_000 for p in margin_pages),
        },
        noop=ib.as_dict(noop) | {"server": noop_stats, "cli_seconds": round(noop_cli, 3)},
        digest=digest,
        profile_main=main_profile,
        profile_worker=worker,
    )
    all_304 = noop.statuses == {"not_modified": outlets}
    rows += [
        Row(
            "cold ingest, pages/s at the margin",
            f"{rate:.1f} ({margin_pages_n} pages in {margin_seconds:.1f} s)"
            if margin_seconds > 0
            else f"n/a: the {big.pages}-page run was not slower than the {small.pages}-page one (load)",
        ),
        Row("trafilatura.extract JSON+metadata alone, pages/s", f"{base_rate:.1f} (one process)"),
        Row(
            "cold-ingest ratio (pipeline / trafilatura alone), simulated web, default settings",
            f"{ratio:.2f}",
            ">= 1.5",
            ratio >= 1.5,
        ),
        Row(
            f"  the same from CPU per page ({cores} cores x trafilatura CPU / pipeline CPU)",
            f"{cpu_ratio:.2f} ({pipeline_cpu / margin_pages_n * 1000:.0f} vs {base_cpu / len(margin_pages) * 1000:.0f} ms)",
        ),
        Row(
            "  with `extraction: thorough` (readability/jusText second opinion on every page): ratio, by CPU",
            f"{fast_ratio:.2f}, {fast_cpu_ratio:.2f} ({fast_rate:.1f} pages/s; {fast_cpu / margin_pages_n * 1000:.0f} ms CPU)",
        ),
        Row(
            "cold ingest stored every page",
            f"{big.stored}/{big.pages} stored, {big.duplicate} as duplicates, {big.failed} failed",
            "all",
            complete,
        ),
        Row("fixed cost of an ingest (N vs 2N estimate; noisy under load), s", f"{fixed:.2f}"),
        Row(
            f"no-op ingest over {outlets} feeds, in process, s",
            f"{noop.seconds:.2f} ({noop_stats.get('not_modified')} x 304)",
            "< 5, all 304",
            noop.seconds < 5 and all_304,
        ),
        Row(
            f"no-op `newswatch ingest` over {outlets} feeds (new process), s",
            f"{noop_cli:.2f}",
            "< 5",
            noop_cli < 5,
        ),
        Row(
            f"peak memory, {big.pages}-page ingest (tree RSS / PSS), MB",
            f"{big.peak_rss_mb:.0f} / {big.peak_pss_mb:.0f}",
            "< 1024",
            big.peak_rss_mb < 1024,
        ),
    ]
    if "skipped" in digest:
        rows.append(Row("digest build: skipped", str(digest["skipped"])))
    else:
        rows.append(
            Row(
                f"digest build, day of {digest['articles_in_day']} articles, s",
                f"{digest['build_seconds']:.2f} (+{digest['render_seconds']:.2f} render)",
                "< 3",
                digest["build_seconds"] < 3,
            )
        )
    if quick:
        rows.append(Row("(quick run: figures are for a smoke test only)", ""))
    return rows, details


def table(rows: list[Row]) -> str:
    head = ("figure", "value", "goal", "met")
    cells = [head] + [
        (r.figure, r.value, r.goal, "" if r.met is None else ("yes" if r.met else "NO")) for r in rows
    ]
    lines = ["| " + " | ".join(c.replace("|", "/") for c in cell) + " |" for cell in cells[:1]]
    lines.append("| " + " | ".join("---" for _ in head) + " |")
    lines += ["| " + " | ".join(c.replace("|", "/") for c in cell) + " |" for cell in cells[1:]]
    return "\n".join(lines)


def profile_text(details: dict[str, Any]) -> str:
    out = []
    main = details.get("profile_main") or {}
    if main:
        out.append(
            f"Main process, {main['pages']}-page cold ingest under cProfile "
            f"({main['wall_seconds']} s wall, event-loop thread only):"
        )
        out.append("")
        for name, v in main["by_category"].items():
            out.append(f"- {name}: {v['seconds']} s ({v['share'] * 100:.0f} %)")
    worker = details.get("profile_worker") or {}
    if worker:
        out.append("")
        out.append(
            f"One analysis worker, per page ({worker['ms_per_page']} ms/page over {worker['pages']} pages):"
        )
        out.append("")
        for name, share in worker["share_by_stage"].items():
            out.append(f"- {name}: {share * 100:.0f} %")
    marginal = details.get("marginal") or {}
    if marginal:
        out.append("")
        out.append("Main-process CPU per marginal page, by stage (ms):")
        out.append("")
        for name, ms in marginal["main_cpu_ms_per_page_by_stage"].items():
            out.append(f"- {name}: {ms}")
        out.append("")
        out.append(
            "CPU per marginal page: main process {main_cpu_ms_per_page} ms, analysis workers "
            "{workers_cpu_ms_per_page} ms, simulator {server_cpu_ms_per_page} ms; trafilatura alone "
            "{base} ms.".format(**marginal, base=details["trafilatura_alone"]["cpu_ms_per_page"])
        )
    return "\n".join(out)


def update_readme(text: str) -> None:
    if not README.exists():
        return
    current = README.read_text(encoding="utf-8")
    if START not in current or END not in current:
        return
    before, _, rest = current.partition(START)
    _, _, after = rest.partition(END)
    README.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not figures")
    parser.add_argument("--no-scale", action="store_true", help="skip bench_dedup and bench_search")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    workdir = HERE / "work"
    workdir.mkdir(exist_ok=True)
    rows, details = bench(plan, args.quick, workdir)
    say(f"real pages: the fixture's and those under ${bench_real.ENV}, through loopback feeds")
    try:
        details["real_pages"] = bench_real.run(workdir, copies=1 if args.quick else None)
    except (OSError, RuntimeError, SystemExit) as exc:
        details["real_pages"] = {"skipped": str(exc)}
    rows += [Row(*row) for row in bench_real.rows(details["real_pages"])]
    names = ("bench_dedup", "bench_search", "bench_web", "bench_scale")
    for i, name in enumerate(names):
        if args.no_scale:
            result: dict[str, Any] = {"skipped": "--no-scale"}
        else:
            left = plan.budget - (time.perf_counter() - started)
            timeout = max(60.0, min(plan.scale_timeout, left / (len(names) - i)))
            say(f"{name}.run(quick={args.quick}), at most {timeout:.0f} s")
            result = scale_bench(name, args.quick, timeout)
        details[name] = result
        rows += _scale_rows(name.removeprefix("bench_"), result)
    total = time.perf_counter() - started
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    results = {
        "date": stamp,
        "machine": info,
        "quick": args.quick,
        "total_seconds": round(total, 1),
        "figures": [r.as_dict() for r in rows],
        "details": details,
    }
    out = workdir / "results-quick.json" if args.quick else HERE / "results.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    rendered = table(rows)
    print()
    print(rendered)
    print(f"\n{total / 60:.1f} min; results in {out.relative_to(ROOT)}")
    if not args.quick:
        where = f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Python {info['python']}"
        update_readme(
            f"Run of {stamp} on {where}; `make bench` took {total / 60:.1f} min.\n\n{rendered}\n\n"
            f"### Where the time goes\n\n{profile_text(details)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
