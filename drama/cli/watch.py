"""`drama plan PROJECT [EPISODE] --watch`: follow the screenplay as it is written. Every save (of the episode files,
cast.toml or drama.toml, in any editor) re-plans the episode within a second and prints what changed — shots added,
removed, and changed field by field — then the check's errors and warnings that are new. A save that breaks the
script prints the error and keeps watching; Ctrl-C stops."""

from __future__ import annotations

import time
from pathlib import Path

from rich.markup import escape

from drama.errors import DramaError
from drama.storyboard.diff import ShotChange, diff
from drama.storyboard.model import Shot, Storyboard

POLL = 0.2  # seconds between looks at the files: a save is seen within this, re-planned within a second


def _snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    """(mtime, size) of every file a plan reads: drama.toml, cast.toml and the episodes/ folder's files."""
    paths = [root / "drama.toml", root / "cast.toml"]
    folder = root / "episodes"
    if folder.is_dir():
        paths += sorted(folder.iterdir())
    stamps = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps[path] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def _label(shot: Shot) -> str:
    what = f"【{shot.text}】" if shot.kind == "title_card" else \
        f"{shot.speaker}：{shot.text}" if shot.text else shot.action or shot.kind
    return f"{shot.index + 1:>3} {shot.scene} {shot.size.value} {escape(what[:60])}"


def _change_line(change: ShotChange) -> str:
    mark = {"added": "[green]+[/]", "removed": "[red]-[/]", "changed": "[yellow]~[/]"}[change.change]
    line = f"  {mark} {_label(change.shot)}"
    if change.fields:
        line += "\n      " + " · ".join(f"{c.field}: [dim]{escape(c.before[:40])}[/] → {escape(c.after[:40])}"
                                       for c in change.fields)
    return line


def _plan(root: Path, episode: str | None) -> tuple[Storyboard, list[str]]:
    """The episode's storyboard as `drama plan` shows it, and the check's errors and warnings for it (as lines)."""
    from drama.check import check
    from drama.pipeline import prepare_episode
    from drama.project import Project
    from drama.storyboard import episode_ids

    project = Project.load(root)
    ids = episode_ids(project)
    wanted = episode or (ids[0] if ids else "")
    storyboard = prepare_episode(project, wanted).storyboard
    findings = [f"{f.where}: {f.severity}: {f.message}" for f in check(root, wanted) if f.severity != "info"]
    return storyboard, findings


def watch(root: Path, episode: str | None, *, zh: bool) -> int:
    """Re-plan on every save until Ctrl-C."""
    from drama.cli import console
    from drama.cli.plan import table

    console.print(f"[dim]watching {escape(str(root))} (episodes/, cast.toml, drama.toml): save to re-plan, "
                  "Ctrl-C to stop[/]")
    before: Storyboard | None = None
    known: set[str] = set()
    seen: dict[Path, tuple[int, int]] | None = None
    try:
        while True:
            now = _snapshot(root)
            if now == seen:
                time.sleep(POLL)
                continue
            seen = now
            started = time.monotonic()
            try:
                storyboard, findings = _plan(root, episode)
            except DramaError as error:
                console.print(f"[bold red]error:[/] {escape(str(error))}\n[dim]fix it and save: still watching[/]",
                              highlight=False, soft_wrap=True)
                continue
            took = time.monotonic() - started
            stamp = time.strftime("%H:%M:%S")
            summary = f"{len(storyboard.shots)} shots · {storyboard.duration:.1f} s"
            if before is None:
                console.print(table(storyboard, zh=zh))
                console.print(f"[dim]{stamp} planned in {took:.2f} s · {summary}[/]", highlight=False)
            else:
                changes = diff(before, storyboard)
                counts = ", ".join(f"{sum(c.change == kind for c in changes)} {kind}"
                                   for kind in ("changed", "added", "removed") if any(c.change == kind for c in changes))
                console.print(f"[bold]{stamp} re-planned in {took:.2f} s:[/] {counts or 'no shot changed'} · {summary}",
                              highlight=False)
                for change in changes:
                    console.print(_change_line(change), highlight=False, soft_wrap=True)
            for finding in findings:
                if finding not in known:
                    console.print(f"  [yellow]![/] {escape(finding)}", highlight=False, soft_wrap=True)
            known = set(findings)
            before = storyboard
    except KeyboardInterrupt:
        console.print("[dim]stopped watching[/]")
    return 0
