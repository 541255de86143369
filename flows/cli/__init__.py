"""The `newswatch` command: turns library errors into messages and exit statuses (SPEC 4).

0: the command did its job (even if some sources failed); 2: bad usage or configuration;
1: any other failure, with a message, never a bare traceback.

The parser is in `parser`, the handlers in `commands/` (one module per command group), what they
print in `render`; this module sets up logging, runs the chosen handler and maps its errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.markup import escape

from flows.cli.common import UsageError, os_error_message, prefect_unreachable
from flows.cli.parser import build_parser
from flows.config import ConfigError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(args, "func", None):  # no command, or a group's (watch, sources, lake) alone
        group_help = getattr(args, "group_help", None)
        sys.stderr.write(group_help() if group_help else parser.format_help())
        return 2
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    err = _Errors([os.environ.get("NEWSWATCH_LAKE_CATALOG"), getattr(args, "catalog", None)])
    from storage import StorageError

    stopped: list[int] = []
    try:
        with _sigterm_as_interrupt(stopped):
            return int(args.func(args, console))
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red]\n{escape(str(exc))}", markup=True)
        return 2
    except UsageError as exc:
        err.print(f"newswatch: {exc}")
        return 2
    except StorageError as exc:
        err.print(f"newswatch: database error: {exc}")
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: one line, whatever the command was doing
        err.print(
            "newswatch: " + ("stopped" if stopped else "interrupted") + (f"; {exc}" if str(exc) else "")
        )
        return 128 + (stopped[0] if stopped else signal.SIGINT)
    except OSError as exc:
        if exc.filename is None:  # a socket or the like: the generic message below
            return _unexpected(exc, err, args.verbose)
        err.print(f"newswatch: {os_error_message(exc)}")
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: a message, never a bare traceback
        import duckdb

        if isinstance(exc, duckdb.Error):
            err.print(f"newswatch: SQL error: {exc}")
            return 1
        unreachable = prefect_unreachable(exc)
        if unreachable:
            err.print(f"newswatch: {unreachable}")
            return 1
        return _unexpected(exc, err, args.verbose)


class _Errors:
    """Standard error, where no lake catalog's password is ever printed (storage/secrets.py)."""

    def __init__(self, catalogs: list[str | None]) -> None:
        self.console = Console(stderr=True, soft_wrap=True)
        self.catalogs = catalogs

    def print(self, text: str, markup: bool = False) -> None:
        from storage.secrets import without_secrets

        self.console.print(without_secrets(text, self.catalogs), markup=markup, highlight=False)


@contextlib.contextmanager
def _sigterm_as_interrupt(stopped: list[int]) -> Iterator[None]:
    """SIGTERM (a service manager, `kill`, a container stopping) ends a command as Ctrl-C does: the
    run recorded as interrupted with what it stored, not killed halfway through a write. `serve` and
    `web` install their own handlers inside this one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        # as SIGINT: inside asyncio.run its runner then cancels the main task cleanly, where an
        # exception raised here would land in whichever callback the loop was running
        stopped.append(signum)
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _unexpected(exc: BaseException, err: _Errors, verbose: bool) -> int:
    err.print(f"newswatch: {type(exc).__name__}: {exc}")
    if verbose:
        err.print(traceback.format_exc())
    else:
        err.print("(run with -v for details)")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
