"""`drama plan PROJECT [EPISODE]`: the current storyboard (the creator's edits applied, timed by the lines already
voiced) as a table of shots, or as JSON for tools, and the warnings that would save the episode (missing portraits,
no music, guessed voices, camera checks failed in every draw). Only reads: nothing is voiced or rendered."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from drama.project import Project
from drama.storyboard import Storyboard, episode_ids
from drama.storyboard.model import Shot

if TYPE_CHECKING:
    from drama.project.warnings import EpisodeWarning


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan", help="break an episode into shots: size, angle, move, duration, who is on screen, prompt",
        description="Plan the storyboard of an episode with the cinematographer's rules (and the script's explicit directions).",
    )
    parser.add_argument("project", type=Path, help="the project folder (holds drama.toml)")
    parser.add_argument("episode", nargs="?", help="episode id (file stem, e.g. ep01); the first episode when omitted")
    parser.add_argument("--json", action="store_true", help="print the storyboard as JSON")
    parser.add_argument("--prompts", action="store_true", help="also print each shot's prompt")
    parser.add_argument("--watch", action="store_true",
                        help="follow the screenplay: re-plan on every save and print what changed (Ctrl-C stops)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drama.cli import console
    from drama.pipeline import prepare_episode
    from drama.project.warnings import episode_warnings
    from drama.render.status import episode_draws

    project = Project.load(args.project)
    if args.watch:
        from drama.cli.watch import watch

        return watch(project.root, args.episode, zh=project.config.language == "zh")
    ids = episode_ids(project)
    prepared = prepare_episode(project, args.episode or (ids[0] if ids else ""))
    storyboard = prepared.storyboard
    warnings = episode_warnings(project, storyboard, episode_draws(project, storyboard))
    if args.json:
        data = {**storyboard.model_dump(mode="json"), "warnings": [w.model_dump(mode="json") for w in warnings]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    zh = project.config.language == "zh"
    console.print(table(storyboard, zh=zh))
    others = [episode for episode in ids if episode != storyboard.episode]
    timing = f"{len(prepared.lines)} voiced line(s) timed by their audio, the rest" if prepared.lines else "timed"
    console.print(f"[dim]{len(storyboard.shots)} shots · {storyboard.duration:.1f} s · {timing} at reading speed"
                  + (f" · other episodes: {', '.join(others)}" if others else "") + "[/]")
    if args.prompts:
        for shot in storyboard.shots:
            console.print(f"\n[bold]{shot.index + 1} {shot.id}[/] {escape(shot.prompt)}", soft_wrap=True)
    print_warnings(warnings)
    return 0


def print_warnings(warnings: list[EpisodeWarning]) -> None:
    """A short block: what the warning is, the file (and line) to change, what to do."""
    from drama.cli import console

    if not warnings:
        return
    console.print(f"[bold yellow]{len(warnings)} warning(s)[/]")
    for warning in warnings:
        console.print(f"[yellow]•[/] {escape(warning.message)}\n  [dim]{escape(warning.where)}[/] — {escape(warning.hint)}",
                      highlight=False, soft_wrap=True)


def _who(shot: Shot) -> str:
    marks = []
    for person in shot.characters:
        arrow = {"left": "←", "right": "→", "front": "·", "away": "↑"}[person.facing]
        name = f"({person.name})" if person.foreground else person.name
        side = "L" if person.x < 0.42 else "R" if person.x > 0.58 else "C"
        marks.append(f"{'[bold]' if person.speaking else ''}{escape(name)}{'[/]' if person.speaking else ''} {side}{arrow}")
    return "\n".join(marks)


def _content(shot: Shot, zh: bool) -> str:
    parts = []
    if shot.transition_in != "cut":
        parts.append(f"[magenta]↳ {shot.transition_in}[/]")
    if shot.direction:
        parts.append(f"[yellow]✎ {escape(shot.direction)}[/]")
    if shot.kind == "title_card":
        card = escape(shot.text or "")
        parts.append(f"[bold cyan]{f'【{card}】' if zh else f'> {card} <'}[/]")
    elif shot.text:
        paren = (f"（{escape(shot.parenthetical)}）" if zh else f"({escape(shot.parenthetical)}) ") if shot.parenthetical else ""
        vo = " [dim](V.O.)[/]" if shot.voiceover else ""
        parts.append(f"[bold]{escape(shot.speaker or '')}[/]{vo}{'：' if zh else ': '}{paren}{escape(shot.text)}")
    if shot.dual:  # said over the line above, at the same time
        parts.append(f"[bold]{escape(shot.dual.speaker)}[/] [dim](at once)[/]{'：' if zh else ': '}{escape(shot.dual.text)}")
    if shot.transition_in == "dip" and shot.transition_color:
        parts[0] = f"[magenta]↳ dip through {shot.transition_color}[/]"
    if shot.action and shot.kind != "dialogue":
        parts.append(f"[dim]{escape(shot.action)}[/]")
    if shot.extras or shot.props:
        parts.append("[dim]" + " · ".join([*([f"+{shot.extras} extras"] if shot.extras else []),
                                           *([f"props: {', '.join(shot.props)}"] if shot.props else [])]) + "[/]")
    return "\n".join(parts)


def table(storyboard: Storyboard, *, zh: bool = False) -> Table:
    """One row a shot, readable by a director: what we see, how the camera sees it, for how long."""
    grid = Table(title=f"{escape(storyboard.title or storyboard.project)} · {storyboard.episode}",
                 caption=f"{storyboard.width}×{storyboard.height} · {storyboard.fps:g} fps", show_lines=True)
    for column, options in (("#", {"justify": "right"}), ("id", {"style": "dim", "no_wrap": True}), ("scene", {}),
                            ("camera", {"no_wrap": True}), ("s", {"justify": "right"}), ("on screen", {"no_wrap": True}),
                            ("line / action", {"ratio": 1, "min_width": 16, "overflow": "fold"})):
        grid.add_column(column, **options)
    for shot in storyboard.shots:
        size = "title" if shot.kind == "title_card" else shot.size.value + (f" {shot.size.zh}" if zh else "")
        move = shot.move.value + (f" {shot.move.zh}" if zh else "")
        if shot.move.value in ("pan", "truck", "orbit"):
            move += " →" if shot.move_direction > 0 else " ←"
        elif shot.move.value in ("tilt", "crane"):
            move += " ↑" if shot.move_direction > 0 else " ↓"
        camera = f"{size}\n[dim]{shot.angle.value} ·[/] {move}"
        grid.add_row(str(shot.index + 1), shot.id, shot.scene, camera, f"{shot.duration:.1f}", _who(shot), _content(shot, zh))
    return grid
