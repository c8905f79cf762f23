"""Pieces several commands share: the progress bar and the report of failed draws."""

from __future__ import annotations

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from drama.cli import console, err_console


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def print_failed_draws(report) -> int:  # noqa: ANN001 - a drama.render.RenderReport, imported lazily by callers
    """One line per failed draw, so the creator sees which seed of which shot broke and why; then the draws not
    submitted (budget, stop_at_score), once per reason."""
    for result in report.failed:
        err_console.print(f"[red]failed[/] shot {result.shot_id} draw {result.draw} (seed {result.seed}): "
                          f"{escape(result.error or '')}", highlight=False)
    skipped = [r for r in report.results if r.status == "skipped"]
    for reason in dict.fromkeys(r.error or "" for r in skipped):
        count = sum(r.error == reason for r in skipped)
        err_console.print(f"[yellow]not drawn[/] {count} draw(s): {escape(reason)}", highlight=False)
    return len(report.failed)


def print_undrawn(report) -> int:  # noqa: ANN001 - a drama.render.RenderReport, imported lazily by callers
    """One line per shot whose video could not be drawn yet (no keyframe, nothing drawn of the shot it continues)."""
    for shot_id, why in report.undrawn.items():
        err_console.print(f"[yellow]shot {shot_id}: video not drawn[/]: {escape(why)}", highlight=False)
    return len(report.undrawn)
