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

COMMAND_MODULES = [
    # filled in as stages land, in pipeline order
    "parse",
    "project",
    "plan",
    "voice",
    "render",
    "review",
]

console = Console()
err_console = Console(stderr=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drama", description="AI short-drama studio: screenplay to finished episode.")
    parser.add_argument("--version", action="version", version=f"drama {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"drama.cli.{module_name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
