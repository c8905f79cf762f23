"""The `drama` command. Each command group lives in its own module under drama/cli/ and exposes
`register(subparsers)`; add a module to COMMAND_MODULES to add commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console
from rich.markup import escape

from drama import __version__
from drama.errors import DramaError

COMMAND_MODULES = {
    # command -> the drama/cli module that registers it, in pipeline order
    "parse": "parse",
    "new": "project",
    "cast": "project",
    "plan": "plan",
    "voice": "voice",
    "render": "render",
    "pick": "render",
    "status": "render",
    "review": "review",
    "make": "make",
    "export": "make",
    "engine": "engine_cmd",
    "engines": "engines",
}

console = Console()
err_console = Console(stderr=True)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for one command (only its module is imported, so `drama plan` starts fast), or for all."""
    parser = argparse.ArgumentParser(prog="drama", description="AI short-drama studio: screenplay to finished episode.")
    parser.add_argument("--version", action="version", version=f"drama {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for module_name in dict.fromkeys(wanted):
        importlib.import_module(f"drama.cli.{module_name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(next((arg for arg in argv if not arg.startswith("-")), None))
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except DramaError as error:
        err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: finished work is saved; run the same command again to resume.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
