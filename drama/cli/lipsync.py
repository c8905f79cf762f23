"""`drama lipsync PROJECT [EPISODE] [--shots IDS]`: sync the speaker's mouth in each dialogue shot's pick to the line's
audio on Kling's lip-sync (a paid remote pass, recorded, budgeted and cached like a draw); one line per shot says
what was done, or why the shot was skipped."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from drama.cli import console, err_console
from drama.project import Project
from drama.storyboard import select_episodes


def register(subparsers: argparse._SubParsersAction) -> None:
    lipsync = subparsers.add_parser("lipsync", help="sync the mouth in each dialogue shot's Kling take to its line "
                                                    "(Kling lip-sync; skipped where the speaker is off screen)")
    lipsync.add_argument("project", type=Path)
    lipsync.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    lipsync.add_argument("--shots", help="comma-separated shot ids (default: every shot with a line)")
    lipsync.set_defaults(handler=lipsync_command)


def lipsync_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.render.lipsync import lipsync_episode

    project = Project.load(args.project)
    shot_ids = [s.strip() for s in args.shots.split(",") if s.strip()] if args.shots else None
    failed = 0
    for episode in select_episodes(project, args.episode):
        prepared = prepare_episode(project, episode, speak=True)  # the pass sends the line's audio
        for result in lipsync_episode(project, prepared, shot_ids=shot_ids):
            if result.status == "failed":
                failed += 1
                err_console.print(f"[red]failed[/] {result.shot_id}: {escape(result.reason)}", highlight=False)
            elif result.status == "skipped":
                console.print(f"[dim]skipped[/] {result.shot_id}: {escape(result.reason)}", highlight=False)
            else:
                how = "synced" if result.status == "synced" else "synced before (cached)"
                console.print(f"{how} {result.shot_id}: take {result.take} → {str(result.key)[:10]}", highlight=False)
    return 1 if failed else 0
