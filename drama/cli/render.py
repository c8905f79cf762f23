"""`drama render`, `drama pick`, `drama status`: draw candidates, choose among them, see where each shot stands."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from drama.cli import console, err_console
from drama.cli.common import print_failed_draws, print_undrawn, progress_bar
from drama.errors import EngineError, RenderError, did_you_mean
from drama.project import Project
from drama.project.config import RenderConfig, option_type
from drama.storyboard import select_episodes

if TYPE_CHECKING:
    from drama.render import StateStore
    from drama.render.status import ShotStatus


def register(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser("render", help="render candidate draws of every shot (only what is missing)")
    render.add_argument("project", type=Path)
    render.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    render.add_argument("--draws", type=option_type(RenderConfig, "draws"),
                        help="draws per shot, 1 to 100 (default: [render] draws in drama.toml)")
    render.add_argument("--shots", help="comma-separated shot ids to render (default: all)")
    render.add_argument("--engine", help="video engine (default: [render] engine in drama.toml)")
    render.add_argument("--workers", type=option_type(RenderConfig, "workers"),
                        help="processes drawing at once on this machine (default: [render] workers, else one per core)")
    render.add_argument("--cluster", metavar="ADDRESS",
                        help="draw on a Ray cluster: auto (RAY_ADDRESS), HOST:PORT or ray://HOST:10001 "
                             "(default: [render] cluster; docs/cluster.md)")
    render.add_argument("--stage", choices=("keyframes", "video", "all"), default="all",
                        help="with [render] keyframes: draw only the keyframes, only the video (from the picked "
                             "keyframes), or both (default)")
    render.add_argument("--checkpoint", type=Path,
                        help="model checkpoint for a generative engine (sets [render] engine_options.checkpoint)")
    render.set_defaults(handler=render_command)

    pick = subparsers.add_parser("pick", help="choose the candidate used for a shot ('auto' = best score)")
    pick.add_argument("project", type=Path)
    pick.add_argument("shot")
    pick.add_argument("candidate", help="candidate id (or a unique prefix of at least 4 characters), or 'auto'")
    pick.set_defaults(handler=pick_command)

    status = subparsers.add_parser("status", help="per shot: draws, pick, best score, stale")
    status.add_argument("project", type=Path)
    status.add_argument("episode", nargs="?", help="episode id (default: every episode)")
    status.add_argument("--engine", help="video engine the cache keys are computed for (default: drama.toml)")
    status.add_argument("--json", action="store_true", help="machine-readable, with picks and overrides")
    status.set_defaults(handler=status_command)


def render_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.render import render_shots
    from drama.render.executor import resolve_engine
    from drama.render.keyframes import image_engine

    project = Project.load(args.project)
    resolve_engine(args.engine or project.config.render.engine, project)  # a misspelt engine is refused before any voicing
    if project.config.render.keyframes:
        image_engine(project, project.config.render.keyframes)
    elif args.stage == "keyframes":
        raise RenderError("no keyframe stage: [render] keyframes names no image engine", path=project.root / "drama.toml",
                          hint='set keyframes = "IMAGE-ENGINE" under [render] (docs/keyframes.md)')
    if args.checkpoint is not None:
        if not args.checkpoint.exists():
            raise EngineError("checkpoint not found", path=args.checkpoint,
                              hint="give the folder `drama engine train` wrote (config.json + *.safetensors)")
        project.config.render.engine_options["checkpoint"] = str(args.checkpoint.resolve())
    selected = select_episodes(project, args.episode)
    shot_ids = _shot_ids(project, selected, args.shots) if args.shots is not None else None
    episodes = {episode: prepare_episode(project, episode, speak=True).storyboard for episode in selected}
    failed = 0
    for episode, storyboard in episodes.items():
        wanted = [s for s in shot_ids if any(shot.id == s for shot in storyboard.shots)] if shot_ids else None
        if shot_ids and not wanted:
            continue
        with progress_bar() as progress:
            report = render_shots(project, storyboard, draws=args.draws, shot_ids=wanted, engine=args.engine,
                                  progress=progress, workers=args.workers, cluster=args.cluster, stage=args.stage)
        for note in report.notes:
            console.print(f"[dim]{note}[/]")
        engines = report.engine + (f", keyframes on {report.keyframe_engine}" if report.keyframe_engine else "")
        table = Table(title=f"{episode}: {report.count('rendered')} rendered, {report.count('cached')} cached, "
                            f"{len(report.failed)} failed in {report.seconds:.1f}s ({engines})")
        for column in ("shot", "draws", "rendered", "cached", "failed", "best score", "time"):
            table.add_column(column, justify="left" if column == "shot" else "right")
        for shot_id in dict.fromkeys(r.shot_id for r in report.results):
            rows = [r for r in report.results if r.shot_id == shot_id]
            scores = [r.score for r in rows if r.score is not None]
            table.add_row(shot_id, str(len(rows)), *(str(sum(r.status == s for r in rows))
                                                     for s in ("rendered", "cached", "failed")),
                          f"{max(scores):.3f}" if scores else "-", f"{sum(r.seconds for r in rows):.1f}s")
        console.print(table)
        failed += print_failed_draws(report) + print_undrawn(report)
    if failed:
        err_console.print(f"[bold red]{failed} draw(s) failed or could not start[/]; the others are saved. Fix the "
                          "cause and run again to render only what is missing.")
        return 1
    return 0


def _shot_ids(project: Project, episodes: list[str], shots: str) -> list[str]:
    """The ids `--shots` names, each checked against the storyboards of the episodes rendered (before any voicing)."""
    from drama.storyboard import plan_episode

    wanted = [shot_id.strip() for shot_id in shots.split(",") if shot_id.strip()]
    if not wanted:
        raise RenderError("--shots names no shot", hint="give shot ids separated by commas; "
                                                       "`drama status PROJECT` lists them")
    known = {shot.id for episode in episodes for shot in plan_episode(project, episode).shots}
    where = f"episode {episodes[0]}" if len(episodes) == 1 else "any episode"
    for shot_id in wanted:
        if shot_id not in known:
            raise RenderError(f"no shot {shot_id!r} in {where}",
                              hint=did_you_mean(shot_id, known) or "`drama status PROJECT` lists the shot ids")
    return wanted


def pick_command(args: argparse.Namespace) -> int:
    from drama.render import StateStore

    from drama.render.tracks import shot_of

    project = Project.load(args.project)
    with StateStore(project) as store:
        episode = _episode_of(project, shot_of(args.shot) or args.shot, store)
        if args.candidate == "auto":
            if not store.candidates(args.shot):
                raise RenderError(f"shot {args.shot!r} of {episode} has no candidates", hint="render it first")
            store.unpick(args.shot)
            chosen = store.pick_for(args.shot)
            console.print(f"{args.shot}: automatic choice, best score → {chosen.id if chosen else 'none'}")
            return 0
        candidate = store.pick(args.shot, args.candidate)
    console.print(f"{args.shot}: picked {candidate.id} (draw {candidate.draw}, score {candidate.score:.3f})"
                  + (" [yellow](stale: the shot changed since this draw)[/]" if candidate.stale else ""))
    if shot_of(args.shot) is not None:
        console.print(f"[dim]video draws of {shot_of(args.shot)} that started from another keyframe are stale now; "
                      "`drama render` draws them from this one[/]")
    return 0


def _episode_of(project: Project, shot_id: str, store: StateStore) -> str:
    """The episode whose storyboard holds the shot now, or a RenderError saying what the id is instead."""
    from drama.render.migrate import v1_id_map
    from drama.storyboard import episode_ids, plan_episode

    current = {shot.id: episode for episode in episode_ids(project) for shot in plan_episode(project, episode).shots}
    if shot_id in current:
        return current[shot_id]
    drawn = store.candidates(shot_id)
    if drawn:
        raise RenderError(f"shot {shot_id!r} is in no episode's storyboard now: its line in {drawn[0].episode} was "
                          f"changed or removed since it was drawn ({len(drawn)} draw(s) kept)",
                          hint="a changed line is a new shot: `drama status PROJECT` lists the shots there are")
    now = [f"{new} in {episode}" for episode, ids in v1_id_map(project).items() for old, new in ids.items()
           if old == shot_id]
    if now:
        raise RenderError(f"{shot_id!r} is a shot id of the earlier scheme, which left the episode out; "
                          f"that shot is now {', '.join(now)}", hint="pick with the id of the episode you mean")
    raise RenderError(f"no shot {shot_id!r} in any episode",
                      hint=did_you_mean(shot_id, current) or "`drama status PROJECT` lists the shot ids")


def status_command(args: argparse.Namespace) -> int:
    from drama.pipeline import prepare_episode
    from drama.render import StateStore
    from drama.render.status import episode_status
    from drama.render.tracks import owner_shot

    project = Project.load(args.project)
    episodes = select_episodes(project, args.episode)
    with StateStore(project) as store:
        rows = {episode: episode_status(project, prepare_episode(project, episode).storyboard, store, args.engine)
                for episode in episodes}
        exported = store.export()
        spend = store.spend()
        in_flight = Counter(owner_shot(task.shot_id) or task.shot_id for task in store.tasks()  # keyframes, passes: the shot's
                            if task.state in ("submitting", "queued", "running", "downloading"))
    currency = project.config.render.currency
    per_second = {episode: _cost_per_accepted_second(shots, sum(c for (ep, _), c in spend.items() if ep == episode))
                  for episode, shots in rows.items()}
    if args.json:
        print(json.dumps({"episodes": {e: [r.model_dump(mode="json") for r in rs] for e, rs in rows.items()},
                          "spend": {e: {s: round(c, 4) for (ep, s), c in spend.items() if ep == e} for e in rows},
                          "cost_per_accepted_second": {e: v and round(v[0], 4) for e, v in per_second.items()},
                          "paid_tasks_in_flight": dict(in_flight),
                          "currency": currency, **exported}, ensure_ascii=False, indent=2))
        return 0
    for episode, shots in rows.items():
        spent: Counter[str] = Counter()
        for (ep, track), cost in spend.items():
            if ep == episode:
                spent[owner_shot(track) or track] += cost  # a shot's keyframes, its video and its passes
        caption = (f"spent on paid draws: {sum(spent.values()):.2f} {currency} this episode, "
                   f"{sum(spend.values()):.2f} {currency} in the project (billed and running)") if spend else None
        if caption and per_second[episode]:
            cost, seconds = per_second[episode]
            caption += f"; {cost:.3f} {currency} per accepted second ({seconds:.1f} s of current takes in use)"
        table = Table(title=f"{project.config.title} · {episode}", caption=caption)
        table.add_column("#", justify="right")
        table.add_column("shot", no_wrap=True, min_width=10)
        table.add_column("framing")
        table.add_column("sec", justify="right")
        table.add_column("draws", justify="right")
        table.add_column("pick", no_wrap=True, min_width=10)
        table.add_column("score", justify="right")
        table.add_column("best", justify="right")
        keyframes = project.config.render.keyframes and any(row.keyframes or row.keyframe for row in shots)
        if keyframes:
            table.add_column("keyframes", no_wrap=True)
        table.add_column("state")
        if spent:
            table.add_column(f"spent {currency}", justify="right")
        for row in shots:
            if row.kind == "title_card":
                state = "[dim]title card[/]"
            elif row.key is None:  # not known without rendering, and status only reads
                state = f"[yellow]not rendered[/] [dim]({row.waiting or 'previz control'})[/]"
            elif row.pick is None:
                state = "[yellow]not rendered[/]"
            else:
                state = {"stale": "[yellow]stale[/]", "camera check failed": "[red]camera check failed[/] [dim](pick a draw "
                         "to accept it, or redraw)[/]"}.get(row.state, "[green]ok[/]")
            if row.failed:
                state += f" [red]{row.failed} failed[/]"
            if in_flight[row.shot_id]:
                state += f" [cyan]{in_flight[row.shot_id]} paid task(s) in flight[/]"
            if row.overridden:
                state += f" [cyan]edited: {', '.join(row.overridden)}[/]"
            if row.continues:
                state += f" [dim]continues {row.starts_from}[/]"
            draws = str(row.draws) + (f" +{row.stale_draws} stale" if row.stale_draws else "")
            pick = f"{row.pick} [dim]{row.picked_by}[/]" if row.pick else "-"
            table.add_row(str(row.index), row.shot_id, f"{row.size} {row.move}", f"{row.duration:.1f}", draws, pick,
                          f"{row.pick_score:.3f}" if row.pick_score is not None else "-",
                          f"{row.best_score:.3f}" if row.best_score is not None else "-",
                          *([f"{row.keyframes} · {row.keyframe} [dim]{row.keyframe_picked_by}[/]" if row.keyframe
                             else "chained" if row.continues else "-"]
                            if keyframes else []), state,
                          *([f"{spent.get(row.shot_id, 0):.2f}"] if spent else []))
        console.print(table)
        counts = Counter(row.state for row in shots)
        console.print(" · ".join(f"{count} {state}" for state, count in counts.most_common()), highlight=False)
    return 0


def _cost_per_accepted_second(shots: list[ShotStatus], cost: float) -> tuple[float, float] | None:
    """What the episode's paid draws (both stages) cost per second of the takes it uses: the spend over the seconds
    of the shots whose take in use is current (picked by the creator, or the best draw); None when nothing was paid
    or nothing is in use."""
    seconds = sum(row.duration for row in shots if row.state == "ok")
    return (cost / seconds, seconds) if cost > 0 and seconds > 0 else None
