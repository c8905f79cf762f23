"""`drama engines`: every engine (video and image), whether it can be used here, what it takes from a shot, what it costs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from drama.cli import console
from drama.project import Project


def register(subparsers: argparse._SubParsersAction) -> None:
    engines = subparsers.add_parser("engines", help="list the video and image engines: configured or not, what each supports")
    engines.add_argument("project", type=Path, nargs="?",
                         help="a project whose [engines.NAME] options (model, prices …) to apply")
    engines.add_argument("--json", action="store_true", help="machine-readable")
    engines.set_defaults(handler=engines_command)


def engines_command(args: argparse.Namespace) -> int:
    from drama.render.engines import describe_engines

    project = Project.load(args.project) if args.project is not None else None
    rows = describe_engines(project)
    if args.json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False, indent=2))
        return 0
    table = Table(title="engines" + (f" for {project.config.title}" if project else ""))
    for column in ("engine", "draws", "kind", "ready", "takes", "price", "detail"):
        table.add_column(column)
    for row in sorted(rows, key=lambda row: row.draws != "video"):  # video engines first, then image engines
        ready = "[green]yes[/]" if row.ready else "[yellow]no[/]"
        table.add_row(row.name, row.draws, row.kind, ready, ", ".join(row.features), row.price or "-", escape(row.detail))
    console.print(table)
    return 0
