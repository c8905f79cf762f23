"""Where each shot of an episode stands: how many current draws, which one is used and why, and whether
the shot changed since it was drawn. Shared by `drama status` and the review page."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from drama.project import Project
from drama.render.executor import resolve_engine
from drama.render.jobs import current_shot_key
from drama.render.request import renderable
from drama.render.state import StateStore
from drama.storyboard.model import Storyboard


class ShotStatus(BaseModel):
    shot_id: str
    index: int
    kind: str
    size: str
    move: str
    duration: float
    draws: int  # candidates of the shot as it is now
    stale_draws: int  # candidates of earlier versions of the shot
    failed: int
    pick: str | None  # candidate id used for this shot
    picked_by: Literal["creator", "auto"] | None
    pick_score: float | None
    best_score: float | None  # best current candidate
    stale: bool  # the shot changed since the candidate in use was drawn (or it has no current draw yet)
    overridden: list[str]  # fields the creator edited


def episode_status(project: Project, storyboard: Storyboard, store: StateStore, engine: str | None = None) -> list[ShotStatus]:
    """One row per shot; also brings the candidates' stale flags up to date with the current storyboard."""
    engine = engine or project.config.render.engine
    version = resolve_engine(engine).version
    overrides = store.overrides()
    rows = []
    for shot in storyboard.shots:
        base = dict(shot_id=shot.id, index=shot.index, kind=shot.kind, size=shot.size.value, move=shot.move.value,
                    duration=round(shot.duration, 2),
                    overridden=sorted(overrides[shot.id].model_dump(exclude_none=True)) if shot.id in overrides else [])
        if not renderable(shot):
            rows.append(ShotStatus(**base, draws=0, stale_draws=0, failed=0, pick=None, picked_by=None,
                                   pick_score=None, best_score=None, stale=False))
            continue
        store.mark_stale(shot.id, current_shot_key(project, shot, engine, version))
        candidates = store.candidates(shot.id)
        current = [c for c in candidates if not c.stale]
        creator = store.creator_pick(shot.id)
        chosen = creator or (candidates[0] if candidates else None)
        rows.append(ShotStatus(
            **base, draws=len(current), stale_draws=len(candidates) - len(current),
            failed=len(store.failures(shot.id)), pick=chosen.id if chosen else None,
            picked_by=None if chosen is None else "creator" if creator else "auto",
            pick_score=chosen.score if chosen else None,
            best_score=max((c.score for c in current), default=None),
            stale=chosen is None or chosen.stale,
        ))
    return rows
