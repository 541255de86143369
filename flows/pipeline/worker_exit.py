"""How an analysis worker ends with the ingest that started it, and why a worker died, in words.

Moved out of flows/pipeline/analysis.py (the pool) so that module stays within its size.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

_PR_SET_PDEATHSIG = 1


def exit_with(ingest_pid: int) -> None:
    """End this worker when the ingest that started it dies (SIGKILL gives it no chance to say so).

    The forkserver exits when its "alive" pipe closes, but every worker holds a copy of that pipe
    (and of the resource tracker's), so forkserver and tracker outlive a killed ingest until the
    workers go: a pidfd on the ingest ends them. The worker's parent is the forkserver, so
    PR_SET_PDEATHSIG covers the forkserver dying first."""
    import ctypes
    import select
    import signal
    import threading

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        pidfd = os.pidfd_open(ingest_pid)
    except ProcessLookupError:
        os._exit(1)  # gone before we started
    except (OSError, AttributeError):
        pidfd = -1  # no pidfd (old kernel): poll the pid instead

    def watch() -> None:
        if pidfd >= 0:
            select.select([pidfd], [], [])  # readable when the process has exited
        else:
            while True:
                try:
                    os.kill(ingest_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="newswatch-parent-watch", daemon=True).start()


def exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            return f"{name}, as the out-of-memory killer sends" if name == "SIGKILL" else name
        return f"signal {-code}"
    return f"exit code {code}"
