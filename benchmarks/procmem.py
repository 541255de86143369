"""Memory and CPU of a process tree from /proc (Linux), sampled in a background thread.

The pipeline's analysis workers are children of multiprocessing's forkserver, itself a child of
the benchmark process, so "the tree under this process" covers them; the simulator's subprocess
is left out by pid.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        return raw[raw.rindex(")") + 2 :].split()  # fields from "state" on; comm may hold spaces
    except (OSError, ValueError):  # gone, or read empty while exiting
        return None


def parent_map() -> dict[int, int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields:
                parents[int(name)] = int(fields[1])
    return parents


def tree(root: int, exclude: set[int] | None = None) -> list[int]:
    """`root` and its descendants, minus the subtrees rooted at `exclude`."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parent_map().items():
        children.setdefault(ppid, []).append(pid)
    out, stack = [], [root]
    skip = exclude or set()
    while stack:
        pid = stack.pop()
        if pid in skip:
            continue
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_bytes(pid: int) -> int:
    return _kb(f"/proc/{pid}/status", "VmRSS:") * 1024


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them."""
    return _kb(f"/proc/{pid}/smaps_rollup", "Pss:") * 1024


def machine_cpu_seconds() -> float:
    """CPU time used on the whole machine, all cores (/proc/stat: user, nice, system, irq and
    softirq; not idle, iowait or steal). Unlike a walk of the process tree it misses no process,
    however short-lived or however parented; on a quiet machine it is the pipeline's own."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / TICKS


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


@dataclass
class TreeSampler:
    """Peak memory of the tree, and the CPU each process used, while the `with` block runs."""

    root: int = field(default_factory=os.getpid)
    exclude: set[int] = field(default_factory=set)
    interval: float = 0.5
    # PSS (smaps_rollup) walks every page table: about 1.5 ms of this process's CPU per page of a
    # real-page ingest, charged to the pipeline; off where only CPU is reported
    memory: bool = True
    pss_every: int = 10  # ... so PSS is read every tenth sample only (RSS, from /proc/PID/status, is cheap)
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0
    cpu: dict[int, float] = field(default_factory=dict)
    samples: int = 0
    errors: list[str] = field(default_factory=list)  # the first few samples that failed, and why
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _cpu_at_start: dict[int, float] = field(default_factory=dict)

    def sample(self) -> None:
        pids = tree(self.root, self.exclude)
        if self.memory:
            self.peak_rss = max(self.peak_rss, sum(rss_bytes(p) for p in pids))
            if self.samples % self.pss_every == 0:
                self.peak_pss = max(self.peak_pss, sum(pss_bytes(p) for p in pids))
        self.peak_processes = max(self.peak_processes, len(pids))
        for pid in pids:
            self.cpu[pid] = cpu_seconds(pid)
        self.samples += 1

    def _run(self) -> None:
        # a process that exits between the listing and the reading can make one sample fail;
        # the next must still happen, or the CPU and peak of the rest of the run go unseen
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except Exception as exc:  # noqa: BLE001
                if len(self.errors) < 5:
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    def __enter__(self) -> TreeSampler:
        self._cpu_at_start = {p: cpu_seconds(p) for p in tree(self.root, self.exclude)}
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def cpu_used(self, pid: int) -> float:
        return self.cpu.get(pid, 0.0) - self._cpu_at_start.get(pid, 0.0)

    def others_cpu(self) -> float:
        """CPU of every process but the root seen while sampling (the workers, the forkserver)."""
        return sum(self.cpu_used(p) for p in self.cpu if p != self.root)
