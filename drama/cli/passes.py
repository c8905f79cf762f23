"""The paid passes over a shot's Kling take, recorded, budgeted and cached like draws; one line per shot says what was
done, or why the shot was skipped:

- `drama lipsync PROJECT [EPISODE] [--shots IDS]`: sync the speaker's mouth to the line (Kling lip-sync);
- `drama extend PROJECT [EPISODE] [--shots IDS]`: extend a take shorter than its shot (Kling video-extend).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from drama.cli import console, err_console
from drama.project import Project
from drama.storyboard import select_episodes

VERBS = {"lipsync": ("synced", "synced before (cached)"), "extend": ("extended", "extended before (cached)")}


def register(subparsers: argparse._SubParsersAction) -> None:
    helps = {"lipsync": "sync the mouth in each dialogue shot's Kling take to its line (Kling lip-sync; skipped where "
                        "the speaker is off screen)",
             "extend": "extend each Kling take shorter than its shot until it covers it (Kling video-extend)"}
    for name, text in helps.items():
        command = subparsers.add_parser(name, help=text)
        command.add_argument("project", type=Path)
        command.add_argument("episode", nargs="?", help="episode id (default: every episode)")
        command.add_argument("--shots", help="comma-separated shot ids (default: every shot the pass applies to)")
        command.set_defaults(handler=pass_command)


def pass_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.render.extension import extend_episode
    from drama.render.lipsync import lipsync_episode

    run = {"lipsync": lipsync_episode, "extend": extend_episode}[args.command]
    done, cached = VERBS[args.command]
    project = Project.load(args.project)
    shot_ids = [s.strip() for s in args.shots.split(",") if s.strip()] if args.shots else None
    failed = 0
    for episode in select_episodes(project, args.episode):
        prepared = prepare_episode(project, episode, speak=args.command == "lipsync")  # lip-sync sends the line's audio
        for result in run(project, prepared, shot_ids=shot_ids):
            if result.status == "failed":
                failed += 1
                err_console.print(f"[red]failed[/] {result.shot_id}: {escape(result.reason)}", highlight=False)
            elif result.status == "skipped":
                console.print(f"[dim]skipped[/] {result.shot_id}: {escape(result.reason)}", highlight=False)
            else:
                how = done if result.status == "done" else cached
                detail = f" ({escape(result.reason)})" if result.reason else ""
                console.print(f"{how} {result.shot_id}: take {result.take} → {str(result.key)[:10]}{detail}",
                              highlight=False)
    return 1 if failed else 0
