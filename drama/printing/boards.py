"""Storyboard sheets: several shots a page, each its picked poster (or a crossed-out placeholder while it is not
rendered) with its number, scene, size/angle/move, duration, the line or the card, and the action or direction.
Portrait A4 for a vertical (9:16) episode: three frames across, two rows; landscape for a wide one.

`sheets` is pure (a storyboard and the posters in, pages out); `picked_posters` reads the state store.
"""

from __future__ import annotations

from pathlib import Path

from drama.printing.page import Frame, Page, Run
from drama.printing.text import wrap
from drama.project import Project
from drama.storyboard.model import Shot, Storyboard

A4 = (595.0, 842.0)
MARGIN = 36.0
HEADER = 30.0  # the title line's height
GUTTER = 14.0
TEXT_SIZE = 8.0
TEXT_LINES = 8  # lines of text under a frame: number, camera, duration, the line, the action, a direction


def _camera(shot: Shot, zh: bool) -> str:
    if shot.kind == "title_card":
        return "title card 字幕" if zh else "title card"
    parts = [(term.value, term.zh) for term in (shot.size, shot.angle, shot.move)]
    text = " · ".join(f"{en} {cn}" if zh else en for en, cn in parts)
    if shot.move.value in ("pan", "truck", "orbit"):
        text += " →" if shot.move_direction > 0 else " ←"
    elif shot.move.value in ("tilt", "crane"):
        text += " ↑" if shot.move_direction > 0 else " ↓"
    return text


def _caption(shot: Shot, zh: bool) -> list[tuple[str, bool, bool]]:
    """(text, bold, grey) lines of a shot's caption, before wrapping."""
    lines = [(f"{shot.index + 1}   scene {shot.scene}   {shot.duration:.1f} s", True, False),
             (_camera(shot, zh), False, False)]
    if shot.kind == "title_card":
        lines.append((f"【{shot.text}】" if zh else f"> {shot.text} <", True, False))
    elif shot.text:
        paren = (f"（{shot.parenthetical}）" if zh else f"({shot.parenthetical}) ") if shot.parenthetical else ""
        lines.append((f"{shot.speaker}{'：' if zh else ': '}{paren}{shot.text}", False, False))
        if shot.dual:
            lines.append((f"{shot.dual.speaker}{'：' if zh else ': '}{shot.dual.text}", False, False))
    if shot.action and shot.kind != "dialogue":
        lines.append((("△ " if zh else "") + shot.action, False, True))
    if shot.direction:
        lines.append((f"【镜头】{shot.direction}" if zh else f"[[{shot.direction}]]", False, True))
    if shot.transition_in != "cut":
        lines.append((f"→ {shot.transition_in.replace('_', ' ')}", False, True))
    return lines


def _caption_runs(shot: Shot, x: float, y: float, width: float, zh: bool) -> list[Run]:
    runs: list[Run] = []
    step = TEXT_SIZE * 1.45
    for text, bold, grey in _caption(shot, zh):
        for line in wrap(text, width, TEXT_SIZE):
            if len(runs) == TEXT_LINES:
                runs[-1] = runs[-1].model_copy(update={"text": runs[-1].text[:-1] + "…"})
                return runs
            runs.append(Run(x=x, y=y + (len(runs) + 1) * step, text=line, face="cjk", size=TEXT_SIZE, bold=bold,
                            grey=grey))
    return runs


def sheets(storyboard: Storyboard, posters: dict[str, Path], *, zh: bool = False) -> list[Page]:
    """The storyboard on pages of 3 × 2 frames of the episode's aspect ratio."""
    vertical = storyboard.height >= storyboard.width
    page_width, page_height = A4 if vertical else A4[::-1]
    columns, rows = 3, 2
    cell_width = (page_width - 2 * MARGIN - (columns - 1) * GUTTER) / columns
    cell_height = (page_height - 2 * MARGIN - HEADER - (rows - 1) * GUTTER) / rows
    text_height = TEXT_SIZE * 1.45 * (TEXT_LINES + 0.5)
    frame_height = min(cell_height - text_height, cell_width * storyboard.height / storyboard.width)
    frame_width = frame_height * storyboard.width / storyboard.height
    per_page = columns * rows
    pages = []
    title = f"{storyboard.title or storyboard.project} · {storyboard.episode}"
    count = max(1, -(-len(storyboard.shots) // per_page))
    for number in range(count):
        page = Page(width=page_width, height=page_height, runs=[
            Run(x=MARGIN, y=MARGIN + 12, text=title, face="cjk", size=12, bold=True),
            Run(x=page_width - MARGIN, y=MARGIN + 12, face="cjk", size=9, grey=True, align="right",
                text=f"{len(storyboard.shots)} shots · {storyboard.duration:.0f} s · page {number + 1}/{count}")])
        for slot, shot in enumerate(storyboard.shots[number * per_page:(number + 1) * per_page]):
            x = MARGIN + (slot % columns) * (cell_width + GUTTER)
            y = MARGIN + HEADER + (slot // columns) * (cell_height + GUTTER)
            left = x + (cell_width - frame_width) / 2
            page.frames.append(Frame(x=left, y=y, width=frame_width, height=frame_height, image=posters.get(shot.id)))
            if shot.id not in posters:
                page.runs.append(Run(x=left + frame_width / 2, y=y + frame_height / 2, face="cjk", size=9, grey=True,
                                     align="center", text="title card" if shot.kind == "title_card" else "not rendered"))
            page.runs += _caption_runs(shot, x, y + frame_height, cell_width, zh)
        pages.append(page)
    return pages


def picked_posters(project: Project, storyboard: Storyboard) -> dict[str, Path]:
    """Each rendered shot's poster: the creator's pick, else the best draw (as `drama status` picks); nothing for a
    project never rendered (no state store is created)."""
    from drama.errors import DramaError
    from drama.render.state import StateStore
    from drama.render.status import episode_status, ranked_draws

    if not (project.state_dir / "state.db").is_file():
        return {}
    posters = {}
    with StateStore(project) as store:
        try:
            picks = {row.shot_id: row.pick for row in episode_status(project, storyboard, store) if row.pick}
        except DramaError:  # the engine cannot be loaded here: the creator's pick, else the best draw recorded
            picks = {}
            for shot in storyboard.shots:
                creator = store.creator_pick(shot.id)
                best = next(iter(ranked_draws(store, shot.id, None)), None)
                if (chosen := creator or best) is not None:
                    picks[shot.id] = chosen.id
        for shot_id, pick in picks.items():
            candidate = next((c for c in store.candidates(shot_id) if c.id == pick), None)
            if candidate is not None and candidate.poster.is_file():
                posters[shot_id] = candidate.poster
    return posters
