"""`drama voice PROJECT [EPISODE] [--recast NAME]`: speak every line (cached), show who says what in which voice and how
long each shot of the current storyboard (the creator's edits applied) lasts; `--recast` changes a locked voice."""

from __future__ import annotations

import argparse
import typing
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from drama.cli import console
from drama.cli.common import progress_bar
from drama.project import Project
from drama.project.config import VoiceConfig
from drama.voice.model import shot_of


def register(subparsers: argparse._SubParsersAction) -> None:
    voice = subparsers.add_parser("voice", help="speak every line in its character's voice (edge-tts, Kokoro, eSpeak NG or a TTS server)")
    voice.add_argument("project", type=Path)
    voice.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    voice.add_argument("--backend", choices=typing.get_args(VoiceConfig.model_fields["backend"].annotation),
                       help="TTS backend (default: [voice] backend in drama.toml)")
    voice.add_argument("--recast", action="append", default=[], metavar="NAME",
                       help="give NAME the voice cast.toml and drama.toml set now, instead of the one locked when an "
                            "episode was exported, and re-voice their lines (repeat for several characters)")
    voice.set_defaults(handler=voice_command)


def voice_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.storyboard import select_episodes
    from drama.voice import Speaker
    from drama.voice.lock import recast, recast_names

    project = Project.load(args.project)
    names = recast_names(project, args.recast)
    speaker = Speaker(project, args.backend, recast=names)
    spoken = []
    for episode in select_episodes(project, args.episode):
        before = prepare_episode(project, episode).storyboard
        with progress_bar() as progress:
            voiced = prepare_episode(project, episode, speak=speaker, progress=progress)
        timed, lines = voiced.storyboard, voiced.lines
        spoken += lines
        table = Table(title=f"{escape(project.config.title)} · {episode}: {len(lines)} lines, "
                            f"{timed.duration:.1f} s (was {before.duration:.1f} s)")
        for column in ("shot", "speaker", "line", "backend", "voice", "line s", "shot s", "timing"):
            table.add_column(column, justify="right" if column.endswith(" s") else "left",
                             overflow="fold", no_wrap=column != "line", min_width=10 if column == "line" else None)
        for line in lines:
            table.add_row(line.shot_id, escape(line.speaker or "—"), escape(line.text), line.backend, line.voice,
                          f"{line.duration:.2f}", f"{timed.shot(shot_of(line.shot_id)).duration:.2f}", line.timing)
        console.print(table)
    console.print(f"synthesised {speaker.synthesised} line(s), {speaker.cached} from the cache "
                  f"({project.cache_dir / 'voice'})")
    for change in recast(project, names, spoken, speaker.chain, speaker.down):
        if change.new is not None:
            was = f" (was {escape(change.old.voice)})" if change.old else ""
            console.print(f"recast {escape(change.name)}: {escape(change.new.voice)}{was}, {change.lines} line(s)",
                          highlight=False)
        elif change.old is not None:
            console.print(f"recast {escape(change.name)}: no line of theirs in this run; their voice is locked again, "
                          "as cast.toml sets it then, at the next export they speak in", highlight=False)
        else:
            console.print(f"{escape(change.name)} had no locked voice: it follows cast.toml until an episode they speak "
                          "in is exported", highlight=False)
    return 0
