"""`drama new NAME` and `drama cast init PROJECT`: starting a project and its cast file."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from drama.project.cast_init import init_cast, unknown_fields
from drama.project.config import RenderConfig, option_type
from drama.project.scaffold import create_project


def register(subparsers: argparse._SubParsersAction) -> None:
    new = subparsers.add_parser("new", help="scaffold a project: drama.toml, cast.toml, episodes/ep01, refs/, locations/, music/",
                                description="Create a project folder with a sample episode that plans and renders as is.")
    new.add_argument("name", type=Path, help="the folder to create")
    new.add_argument("--language", choices=("zh", "en"), default="zh",
                     help="zh: Chinese short-drama format (default); en: Fountain")
    new.add_argument("--title", help="the series title (default: the folder name)")
    new.set_defaults(handler=run_new)

    cast = subparsers.add_parser("cast", help="cast file tools (cast init)")
    cast_commands = cast.add_subparsers(dest="cast_command", metavar="COMMAND", required=True)
    init = cast_commands.add_parser("init", help="propose cast.toml from the characters in the screenplays",
                                    description="Read every screenplay's cues and 人物小传 and write a cast.toml to edit.")
    init.add_argument("project", type=Path, help="the project folder")
    init.add_argument("--force", action="store_true", help="replace an existing cast.toml")
    init.set_defaults(handler=run_cast_init)
    sheet = cast_commands.add_parser(
        "sheet", help="draw a character sheet (front, three-quarter, side) to pick their references from",
        description="Draw stills of a character from their cast.toml description, seen from the front, at three "
                    "quarters and from the side; --pick makes the chosen draws their references (refs/, cast.toml).")
    sheet.add_argument("project", type=Path, help="the project folder")
    sheet.add_argument("name", help="the character, as cast.toml names them")
    sheet.add_argument("--engine", help="the image engine (default: [render] keyframes, else previz-image)")
    sheet.add_argument("--draws", type=option_type(RenderConfig, "draws"), help="draws per view (default: [render] draws)")
    sheet.add_argument("--force", action="store_true", help="draw a sheet of a character who has portraits already")
    sheet.add_argument("--pick", nargs="+", metavar="ID", help="make these draws (one per view) the references")
    sheet.add_argument("--replace", action="store_true", help="with --pick: replace the portraits they have")
    sheet.set_defaults(handler=run_cast_sheet)


def run_new(args: argparse.Namespace) -> int:
    from drama.cli import console

    files = create_project(args.name, language=args.language, title=args.title)
    console.print(f"[green]created[/] {escape(str(args.name))}/")
    for path in files:
        console.print(f"  {escape(str(path))}")
    console.print(f"next: edit the episode and cast, then [bold]drama plan {escape(str(args.name))}[/]")
    return 0


def run_cast_init(args: argparse.Namespace) -> int:
    from drama.cli import console, err_console

    target, proposals = init_cast(args.project, force=args.force)
    grid = Table(title=f"proposed cast → {escape(str(target))}")
    for column in ("name", "lines", "first seen", "sex", "age", "voice", "colour", "description"):
        grid.add_column(column)
    for p in proposals:
        grid.add_row(escape(p.name), str(p.lines), escape(p.source), p.sex or "[yellow]?[/]", p.age or "[yellow]?[/]",
                     p.voice or "[dim]by sex, age[/]",
                     f"[{p.color}]■[/] {p.color}", escape(p.description))
    console.print(grid)
    for warning in unknown_fields(proposals, target):
        err_console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False, soft_wrap=True)
    console.print("edit the descriptions into appearances (they go into every prompt), then add portraits to refs/; "
                  "voices follow sex and age (set `voice` to pin one)")
    return 0


def run_cast_sheet(args: argparse.Namespace) -> int:
    from drama.cli import console
    from drama.cli.common import print_failed_draws, progress_bar
    from drama.errors import DramaError
    from drama.project import Project
    from drama.render.sheets import draw_sheet, pick_sheet, sheet_candidates, view_label
    from drama.render.state import StateStore

    project = Project.load(args.project)
    if args.replace and not args.pick:
        raise DramaError("--replace goes with --pick", hint="pick the draws that replace their portraits: --pick ID …")
    if args.pick:
        references = pick_sheet(project, args.name, args.pick, replace=args.replace)
        console.print(f"[green]references[/] of {escape(args.name)} in cast.toml: {escape(', '.join(references))}")
        return 0
    with progress_bar() as progress:
        report = draw_sheet(project, args.name, engine=args.engine, draws=args.draws, force=args.force,
                            progress=progress)
    with StateStore(project) as store:
        drawn = sheet_candidates(store, report.name)
    grid = Table(title=f"character sheet of {escape(report.name)} ({escape(report.engine)})")
    for column in ("view", "id", "score", "draw"):
        grid.add_column(column)
    for view, candidates in drawn.items():
        for number, candidate in enumerate(c for c in candidates if not c.stale):
            grid.add_row(view_label(view) if number == 0 else "", candidate.id, f"{candidate.score:.3f}",
                         escape(str(candidate.path.relative_to(project.root) / "still.png")))
    console.print(grid)
    console.print(f"pick one per view: [bold]drama cast sheet {escape(str(args.project))} {escape(report.name)} "
                  "--pick ID ID ID[/] (or on the review page's Cast section)")
    return 1 if print_failed_draws(report) else 0
