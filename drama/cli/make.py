"""`drama make`: screenplay to finished episode (plan → voice → render → pick → export), doing only what changed;
`drama export`: the last stage alone, from the current picks."""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from drama.cli import console, err_console
from drama.cli.common import print_failed_draws, print_undrawn, progress_bar
from drama.cli.plan import print_warnings
from drama.errors import DramaError
from drama.project import Project
from drama.project.config import RenderConfig, option_type
from drama.storyboard import select_episodes

HANDOFF_FORMATS = ("jianying", "capcut", "fcp7", "fcpxml", "edl", "otio", "otioz", "otiod")  # drama.edit.handoff.FORMATS


def register(subparsers: argparse._SubParsersAction) -> None:
    make = subparsers.add_parser("make", help="plan, voice, render, pick and export episodes (only what changed)")
    make.add_argument("project", type=Path)
    make.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    make.add_argument("--draws", type=option_type(RenderConfig, "draws"), help="draws per shot (default: [render] draws in drama.toml)")
    make.add_argument("--force-export", action="store_true", help="export even when nothing changed")
    make.add_argument("--force", action="store_true",
                      help="export even when the episode is far shorter than its last export (implies --force-export)")
    make.set_defaults(handler=make_command)

    export = subparsers.add_parser("export", help="export episodes from the current picks (MP4, SRT, ASS, OTIO), or hand "
                                                  "them to an editor (--format)")
    export.add_argument("project", type=Path)
    export.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    export.add_argument("--force", action="store_true",
                        help="export even when nothing changed, or when the episode is far shorter than its last export")
    export.add_argument("--format", choices=HANDOFF_FORMATS, dest="handoff",
                        help="instead of the MP4: a 剪映/CapCut draft, FCP 7 XML (Premiere, Resolve), FCPXML (Final Cut), "
                             "a CMX 3600 EDL, an OTIO timeline, or a self-contained OTIO bundle (otioz zip, otiod folder)")
    export.add_argument("--to", type=Path, metavar="DIR",
                        help="where the hand-off goes (default PROJECT/exports/handoff/); for a draft, 剪映's or CapCut's "
                             "drafts folder")
    export.add_argument("--alternates", action="store_true",
                        help="otioz/otiod: bundle every draw of each shot, not only the pick")
    export.set_defaults(handler=export_command)


class StageClock:
    """Wall time per stage, summed over episodes, for the closing summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def _export(project: Project, prepared, clock: StageClock, force: bool):
    from drama.edit.export import export_current_cut

    with clock.stage("export"), progress_bar() as progress:
        return export_current_cut(project, prepared, progress, force=force)


def _summary(results, clock: StageClock) -> None:
    table = Table(title="exported")
    for column in ("episode", "duration", "loudness", "true peak", "export time"):
        table.add_column(column, justify="left" if column == "episode" else "right")
    for result in results:
        table.add_row(result.episode, f"{result.duration:.1f}s", f"{result.loudness.integrated:.1f} LUFS",
                      f"{result.loudness.true_peak:.1f} dBTP", "unchanged" if result.skipped else f"{result.seconds:.1f}s")
    console.print(table)
    for result in results:
        console.print(f"{result.episode}: {escape(str(result.mp4))}", highlight=False, soft_wrap=True)
        console.print(f"{' ' * len(result.episode)}  + {', '.join(p.suffix for p in (result.srt, result.ass, result.otio))}",
                      highlight=False)
    stages = Table(title="wall time per stage")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name, seconds in clock.seconds.items():
        stages.add_row(name, f"{seconds:.1f}")
    stages.add_row("[bold]total[/]", f"[bold]{sum(clock.seconds.values()):.1f}[/]")
    console.print(stages)


def make_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.project.warnings import episode_warnings
    from drama.render import render_shots
    from drama.render.status import episode_draws

    clock = StageClock()
    project = Project.load(args.project)
    results, failures = [], 0
    for episode in select_episodes(project, args.episode):
        console.rule(f"[bold]{episode}")
        with clock.stage("plan"):
            planned = prepare_episode(project, episode)
        console.print(f"plan: {len(planned.storyboard.shots)} shots, {planned.storyboard.duration:.1f}s before voicing")
        with clock.stage("voice"), progress_bar() as progress:
            prepared = prepare_episode(project, episode, speak=True, progress=progress)
        console.print(f"voice: {len(prepared.lines)} lines, episode {prepared.storyboard.duration:.1f}s")
        with clock.stage("render"), progress_bar() as progress:
            report = render_shots(project, prepared.storyboard, draws=args.draws, progress=progress)
        console.print(f"render: {report.count('rendered')} rendered, {report.count('cached')} cached, "
                      f"{len(report.failed)} failed ({report.engine})")
        failures += print_failed_draws(report) + print_undrawn(report)
        print_warnings(episode_warnings(project, prepared.storyboard, episode_draws(project, prepared.storyboard)))
        results.append(_export(project, prepared, clock, args.force or args.force_export))
    _summary(results, clock)
    if failures:
        err_console.print(f"[yellow]{failures} draw(s) failed[/]; the episode used the draws that succeeded. "
                          "Run again to retry only those.")
        return 1
    return 0


def _handoff_summary(results) -> None:
    table = Table(title="handed off")
    for column in ("episode", "format", "written", "media", "time"):
        table.add_column(column, justify="right" if column in ("media", "time") else "left")
    for result in results:
        written = ", ".join(escape(str(path)) for path in [result.path, *result.extra])
        media = f"{result.media_bytes / 1e6:.1f} MB" if result.media_bytes else "in place"
        table.add_row(result.episode, result.format, written, media, f"{result.seconds:.1f}s")
    console.print(table)
    for result in results:
        for note in result.notes:
            console.print(f"[yellow]note[/] {result.episode}: {escape(note)}", highlight=False, soft_wrap=True)


def handoff_command(args: argparse.Namespace) -> int:
    from drama.edit.export import current_timeline
    from drama.edit.handoff import export_handoff
    from drama.pipeline import prepare_episode

    project = Project.load(args.project)
    results = []
    for episode in select_episodes(project, args.episode):
        prepared = prepare_episode(project, episode, speak=True)
        results.append(export_handoff(project, current_timeline(project, prepared), args.handoff, to=args.to,
                                      alternates=args.alternates))
    _handoff_summary(results)
    return 0


def export_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode

    if args.handoff:
        return handoff_command(args)
    if args.to or args.alternates:
        raise DramaError(f"{'--to' if args.to else '--alternates'} goes with --format",
                         hint="the MP4 export always writes PROJECT/exports/; to hand the cut to an editor, add "
                              "--format " + "|".join(HANDOFF_FORMATS))
    clock = StageClock()
    project = Project.load(args.project)
    results = []
    for episode in select_episodes(project, args.episode):
        with clock.stage("plan + voice"):
            prepared = prepare_episode(project, episode, speak=True)
        results.append(_export(project, prepared, clock, args.force))
    _summary(results, clock)
    return 0
