"""The `drama` command. Each command group lives in its own module under drama/cli/ and exposes
`register(subparsers)`; add a module to COMMAND_MODULES to add commands.

Every fault ends in a message, never a traceback (unless --debug). Exit status: 0 done; 1 done in part (some draws
failed) or a bug in drama; 2 an error drama explains (bad input, a read-only or full disk, a damaged file);
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys

from rich.console import Console
from rich.markup import escape

from drama import __version__
from drama.errors import DramaError, os_fault, store_fault

COMMAND_MODULES = {
    # command -> the drama/cli module that registers it, in pipeline order
    "parse": "parse",
    "new": "project",
    "cast": "project",
    "adapt": "adapt",
    "check": "check",
    "plan": "plan",
    "voice": "voice",
    "render": "render",
    "pick": "render",
    "status": "render",
    "lipsync": "passes",
    "extend": "passes",
    "review": "review",
    "make": "make",
    "export": "make",
    "print": "print",
    "engine": "engine_cmd",
    "engines": "engines",
}

console = Console()
err_console = Console(stderr=True)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for one command (only its module is imported, so `drama plan` starts fast), or for all."""
    parser = argparse.ArgumentParser(prog="drama", description="AI short-drama studio: screenplay to finished episode.",
                                     epilog="exit status: 0 done; 1 done in part (some draws failed) or a bug in drama; "
                                            "2 an error drama explains; 130 interrupted")
    parser.add_argument("--version", action="version", version=f"drama {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (anywhere on the line)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for module_name in dict.fromkeys(wanted):
        importlib.import_module(f"drama.cli.{module_name}").register(subparsers)
    return parser


def _explained(error: BaseException) -> DramaError | None:
    """An error that is not drama's own, in words, when it is one a creator can fix: a read-only, full or
    misshapen disk, a damaged state store."""
    if isinstance(error, DramaError):
        return error
    if isinstance(error, OSError):
        return os_fault(error, doing="read or write")
    if isinstance(error, sqlite3.Error):
        return store_fault(error, ".drama/state.db")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv  # taken anywhere on the line, so it can be added to any command as typed
    argv = [arg for arg in argv if arg != "--debug"]
    try:
        parser = build_parser(next((arg for arg in argv if not arg.startswith("-")), None))
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: finished work is saved; run the same command again to resume.")
        return 130
    except Exception as error:
        if debug:
            raise
        explained = _explained(error)
        if explained is not None:
            err_console.print(f"[bold red]error:[/] {escape(str(explained))}", highlight=False, soft_wrap=True)
            return 2
        err_console.print(f"[bold red]bug:[/] drama failed unexpectedly: {escape(type(error).__name__)}: "
                          f"{escape(str(error))}\n  run again with --debug for the traceback, and please report it",
                          highlight=False, soft_wrap=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
