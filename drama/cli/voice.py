"""`drama voice PROJECT [EPISODE]`: speak every line (cached), show who says what in which voice and how long."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from drama.cli import console
from drama.errors import DramaError, did_you_mean
from drama.project import Project


def register(subparsers: argparse._SubParsersAction) -> None:
    voice = subparsers.add_parser("voice", help="speak every line in its character's voice (edge-tts or offline)")
    voice.add_argument("project", type=Path)
    voice.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    voice.add_argument("--backend", choices=["auto", "edge", "offline"],
                       help="TTS backend (default: [voice] backend in drama.toml)")
    voice.set_defaults(handler=voice_command)


def voice_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.storyboard import episode_ids
    from drama.voice import Speaker, apply_timing

    project = Project.load(args.project)
    known = episode_ids(project)
    if args.episode is not None and args.episode not in known:
        raise DramaError(f"no episode {args.episode!r}", path=project.episodes_dir,
                         hint=did_you_mean(args.episode, known) or f"episodes: {', '.join(known) or 'none'}")
    if not known:
        raise DramaError("the project has no episodes", path=project.episodes_dir, hint="add a screenplay file to episodes/")
    speaker = Speaker(project, args.backend)
    for episode in [args.episode] if args.episode else known:
        storyboard = prepare_episode(project, episode, voice=False).storyboard
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            lines = speaker.speak(storyboard, progress)
        timed = apply_timing(storyboard, lines)
        table = Table(title=f"{escape(project.config.title)} · {episode}: {len(lines)} lines, "
                            f"{timed.duration:.1f} s (was {storyboard.duration:.1f} s)")
        for column in ("shot", "speaker", "line", "backend", "voice", "line s", "shot s", "timing"):
            table.add_column(column, justify="right" if column.endswith(" s") else "left",
                             overflow="fold", no_wrap=column != "line", min_width=10 if column == "line" else None)
        for line in lines:
            table.add_row(line.shot_id, escape(line.speaker or "—"), escape(line.text), line.backend, line.voice,
                          f"{line.duration:.2f}", f"{timed.shot(line.shot_id).duration:.2f}", line.timing)
        console.print(table)
    console.print(f"synthesised {speaker.synthesised} line(s), {speaker.cached} from the cache "
                  f"({project.cache_dir / 'voice'})")
    return 0
