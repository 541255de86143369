"""`newswatch analyse`: language, relevance, countries and places of texts given on the command
line's input, for an analyst checking a rule; nothing is stored and nothing is fetched."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from flows.cli.common import UsageError, config_for, os_error_message, store_for


def cmd_analyse(args: argparse.Namespace, console: Console) -> int:
    from flows.pipeline.analyse_texts import BadInput, analyse_texts, read_texts

    config = config_for(args)
    seeds: list[str] = []
    if Path(args.db).is_file():  # the seed corpus, when there is a database; else none
        seeds = store_for(args, lock_timeout=10).seed_texts()
    try:
        if args.file in (None, "-"):
            lines = sys.stdin.read().splitlines()
        else:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(os_error_message(exc)) from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{args.file}: not UTF-8 text ({exc.reason})") from exc
    try:
        for result in analyse_texts(config, read_texts(lines), seeds):
            if args.json:
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            else:
                places = ", ".join(f"{p['code']} ({p['surface']})" for p in result["places"]) or "-"
                console.print(
                    f"{result['id']}\t{result['language'] or '?'}\t{result['relevance']:.2f}"
                    f"{' relevant' if result['is_relevant'] else ''}\t{','.join(result['countries']) or '-'}"
                    f"\t{places}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
    except BadInput as exc:
        raise UsageError(f"{args.file or '-'}: {exc}") from exc
    return 0
