"""Cold ingest of real pages at the margin against `trafilatura.extract` alone (see realweb.py).

The same method as the simulated web's figure (ingest_bench.py, run.py): a cold ingest of N
links and one of 2N, the marginal rate N / (difference in wall time), against trafilatura alone
in one process on the same N marginal pages; the ratio also from CPU per page (the whole
machine's, /proc/stat), which load from other work moves less than wall time. The baseline is
first run untimed over the first N pages, as the pipeline's workers have seen them in the 2N run
(warm caches on both sides). Each setting of `extraction` asked for gets its own pair of runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from benchmarks import ingest_bench as ib
from benchmarks.realweb import ENV, RealPage, RealSpec, RealWeb, page_dirs


def trafilatura_alone(pages: list[RealPage], warm: list[RealPage]) -> tuple[float, float, float]:
    """Pages per second, wall and CPU seconds of trafilatura.extract(JSON, metadata) on `pages`."""
    import trafilatura

    for page in warm:
        trafilatura.extract(page.body, output_format="json", with_metadata=True)
    started, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        trafilatura.extract(page.body, output_format="json", with_metadata=True)
    seconds = time.perf_counter() - started
    return len(pages) / seconds, seconds, time.process_time() - cpu


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


FEW_PAGES = 500  # distinct pages: below this (the fixture alone), each is served more often


def run(workdir: Path, modes: tuple[str, ...] | None = None, copies: int | None = None) -> dict[str, Any]:
    """Marginal cold-ingest figures for each setting of `extraction` (the default first).

    `copies` of each page (default 3; 6 when there are fewer than FEW_PAGES distinct pages, so
    that the fixture alone still gives about 400 marginal pages, some 15 s, not 6)."""
    from flows.config import Settings

    if modes is None:
        default = str(Settings.model_fields["extraction"].default)
        modes = (default, *(m for m in ("thorough", "fast") if m != default))
    dirs = page_dirs(workdir)
    if copies is None:
        copies = 3 if RealSpec(tuple(str(d) for d in dirs), copies=1).total >= FEW_PAGES else 6
    spec = RealSpec(tuple(str(d) for d in dirs), outlets=9, copies=copies)
    n = spec.pages // 2
    cores = min(os.cpu_count() or 1, 2)
    out: dict[str, Any] = {
        "dirs": [str(d) for d in dirs],
        "env": ENV,
        "distinct_pages": spec.total // copies,
        "copies": copies,
        "outlets": spec.outlets,
        "n_per_feed": n,
        "load_before": load_average(),
        "modes": {},
    }
    with RealWeb(spec) as web:
        ib.cold(web, 1, workdir, "real-warmup")
        margin = web.pages(n, 2 * n)
        first = web.pages(0, n)
        out["mean_page_kb"] = round(sum(len(p.body) for p in margin) / max(len(margin), 1) / 1000, 1)
        for mode in modes:
            # no memory figures here: their sampling would cost the pipeline CPU
            small, _ = ib.cold(web, n, workdir, f"real-n-{mode}", memory=False, extraction=mode)
            big, _ = ib.cold(web, 2 * n, workdir, f"real-2n-{mode}", memory=False, extraction=mode)
            out["modes"][mode] = {"small": ib.as_dict(small), "big": ib.as_dict(big)}
        base_rate, base_seconds, base_cpu = trafilatura_alone(margin, first)
    out["load_after"] = load_average()
    base_cpu_page = base_cpu / max(len(margin), 1)
    out["trafilatura_alone"] = {
        "pages": len(margin),
        "pages_per_second": round(base_rate, 2),
        "seconds": round(base_seconds, 3),
        "cpu_ms_per_page": round(1000 * base_cpu_page, 2),
    }
    for runs in out["modes"].values():
        small, big = runs.pop("small"), runs.pop("big")
        seconds = big["seconds"] - small["seconds"]
        pages = big["pages"] - small["pages"]
        cpu = big["machine_cpu"] - small["machine_cpu"]
        # the benchmark's own processes (main, sampled workers, server): other work on the
        # machine does not count here, as it does in the machine's CPU
        own = sum(big[k] - small[k] for k in ("main_cpu", "workers_cpu", "server_cpu"))
        rate = pages / seconds if seconds > 0 else float("nan")
        runs.update(
            pages=pages,
            seconds=round(seconds, 3),
            pages_per_second=round(rate, 2),
            ratio=round(rate / base_rate, 3),
            cpu_ms_per_page=round(1000 * cpu / max(pages, 1), 2),
            cpu_ratio=round(cores * base_cpu_page / (cpu / pages), 3) if cpu > 0 else float("nan"),
            own_cpu_ms_per_page=round(1000 * own / max(pages, 1), 2),
            own_cpu_ratio=round(cores * base_cpu_page / (own / pages), 3) if own > 0 else float("nan"),
            own_cpu_ms_by_process={
                k: round(1000 * (big[k] - small[k]) / max(pages, 1), 2)
                for k in ("main_cpu", "workers_cpu", "server_cpu")
            },
            stored=f"{big['stored']}/{big['pages']}",
            duplicates=big["duplicate"],
            failed=big["failed"],
        )
    return out


def rows(real: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(figure, value, goal, met) rows for the table of `make bench`."""
    if "skipped" in real:
        return [("real pages: skipped", str(real["skipped"]), "", None)]
    base = real["trafilatura_alone"]
    where = f"{real['distinct_pages']} real pages x {real['copies']}, {real['outlets']} feeds"
    out: list[tuple[str, str, str, bool | None]] = [
        (
            f"real pages ({where}): trafilatura.extract JSON+metadata alone, pages/s",
            f"{base['pages_per_second']:.1f} ({base['cpu_ms_per_page']:.0f} ms CPU a page)",
            "",
            None,
        )
    ]
    for i, (mode, m) in enumerate(real["modes"].items()):
        label = "default settings" if i == 0 else f"`extraction: {mode}`"
        out.append(
            (
                f"real pages: cold-ingest ratio, {label} ({mode}); by machine CPU; by own CPU",
                f"{m['ratio']:.2f}; {m['cpu_ratio']:.2f}; {m['own_cpu_ratio']:.2f} ({m['pages_per_second']:.1f} "
                f"pages/s; {m['own_cpu_ms_per_page']:.0f} ms CPU a page; {m['stored']} stored, {m['failed']} failed)",
                ">= 1.5" if i == 0 else "",
                m["ratio"] >= 1.5 if i == 0 else None,
            )
        )
    out.append(
        (
            "real pages: load average before / after (other work on the machine)",
            f"{real['load_before']:.1f} / {real['load_after']:.1f}",
            "",
            None,
        )
    )
    return out


if __name__ == "__main__":
    import json
    import sys

    modes = tuple(sys.argv[1].split(",")) if len(sys.argv) > 1 else None
    work = Path(__file__).resolve().parent / "work"
    work.mkdir(exist_ok=True)
    print(json.dumps(run(work, modes), indent=1))
