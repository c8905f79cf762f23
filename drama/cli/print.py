"""`drama print PROJECT [EPISODE] --script --boards`: the screenplay typeset as a PDF, and the storyboard as sheets
of frames (each shot's picked poster, or a placeholder while it is not rendered). Writes exports/EPISODE-script.pdf
and exports/EPISODE-boards.pdf (or into --to DIR); every episode when none is named."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "print", help="typeset the screenplay (--script) and the storyboard sheets (--boards) as PDF",
        description="Print an episode: the screenplay in the industry layout (Fountain) or a clean CJK layout (the "
                    "Chinese format), and storyboard sheets with each shot's picked poster.")
    parser.add_argument("project", type=Path, help="the project folder (holds drama.toml)")
    parser.add_argument("episode", nargs="?", help="episode id (file stem, e.g. ep01); every episode when omitted")
    parser.add_argument("--script", action="store_true", help="the screenplay as a PDF")
    parser.add_argument("--boards", action="store_true", help="the storyboard as sheets of frames")
    parser.add_argument("--to", type=Path, metavar="DIR", help="the folder to write in (default: PROJECT/exports)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drama.cli import console, err_console
    from drama.errors import DramaError
    from drama.printing import print_boards, print_script
    from drama.project import Project
    from drama.storyboard import select_episodes

    if not (args.script or args.boards):
        raise DramaError("nothing to print", hint="say what to print: --script, --boards, or both")
    project = Project.load(args.project)
    folder = args.to or project.root / "exports"
    for episode in select_episodes(project, args.episode):
        for wanted, kind, make in ((args.script, "script", print_script), (args.boards, "boards", print_boards)):
            if wanted:
                printed = make(project, episode, folder / f"{episode}-{kind}.pdf")
                console.print(f"[green]wrote[/] {printed.path} [dim]({printed.pages} page"
                              f"{'s' if printed.pages != 1 else ''})[/]", highlight=False, soft_wrap=True)
                if printed.missing:
                    err_console.print(f"[yellow]warning:[/] no font has {' '.join(printed.missing)}: left blank in "
                                      f"{printed.path.name}", highlight=False, soft_wrap=True)
    return 0
