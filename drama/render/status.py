"""Where each shot of an episode stands: how many current draws, which one is used and why, and whether
the shot changed since it was drawn. Shared by `drama status` and the review page.

A shot whose current draws all failed the camera check (drama.project.warnings.camera_failed) is not "ok" but
"camera check failed" while no creator's pick says it will do: the episode would use a move that is not the one
asked.

Only reads: a candidate is stale when its shot key differs from the shot's key now, computed here and never
written back (the render that draws the shot again records it). A key that cannot be known by reading — a
shot whose previz control is not rendered yet, or whose keyframe or chain frame is not there yet
(drama.render.continuity) — is reported as unknown, not rendered to find out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from drama.errors import DramaError
from drama.project import Project
from drama.project.warnings import camera_failed
from drama.render.continuity import Starts, starts_for
from drama.render.keyframes import keyframe_key_now, take_in_use
from drama.render.request import renderable
from drama.render.state import Candidate, StateStore
from drama.render.tracks import keyframe_track
from drama.storyboard.model import Shot, Storyboard


class ShotStatus(BaseModel):
    shot_id: str
    index: int
    kind: str
    size: str
    move: str
    duration: float
    key: str | None  # the shot's cache key now; None while unknown (its previz control is not rendered yet)
    draws: int  # candidates of the shot as it is now
    stale_draws: int  # candidates of earlier versions of the shot
    failed: int
    pick: str | None  # candidate id used for this shot
    picked_by: Literal["creator", "auto"] | None
    pick_score: float | None
    best_score: float | None  # best current candidate
    stale: bool | None  # the shot changed since the candidate in use was drawn (or it has none); None: unknown yet
    overridden: list[str]  # fields the creator edited
    camera_failed: bool = False  # auto-picked, and every current draw measured a move other than the one asked
    keyframes: int = 0  # current keyframe stills (two-stage drawing)
    keyframe: str | None = None  # the keyframe in use (its video draws start from it unless the shot is chained)
    keyframe_picked_by: Literal["creator", "auto"] | None = None
    starts_from: str | None = None  # what its video draws start from now: "keyframe ID", "shot 1-1's draw ID"
    continues: str | None = None  # the shot it is chained to ([render] continuity = "chain")
    waiting: str | None = None  # why the key is unknown when it is for want of the image the draws start from
    state: Literal["title card", "not rendered", "stale", "camera check failed", "ok"]


def shot_key_now(project: Project, shot: Shot, engine: str, *, starts: Starts | None = None) -> str | None:
    """The cache key of the shot as it is now on `engine`, by reading alone; None while it cannot be known. Where
    draws start from keyframes or chain frames, pass the episode's `starts` (else the episode is planned again)."""
    if starts is not None:
        return starts.key(shot)
    with starts_for(project, shot, engine) as around:
        return around.key(shot)


def ranked_draws(store: StateStore, shot_id: str, key: str | None) -> list[Candidate]:
    """The shot's candidates, stale as of its `key` now (as last recorded while the key is unknown), current ones
    first, best score first."""
    candidates = store.candidates(shot_id)
    if key is not None:
        candidates = [c.model_copy(update={"stale": c.shot_key != key}) for c in candidates]
    return sorted(candidates, key=lambda c: (c.stale, -c.score, c.draw))


def episode_status(project: Project, storyboard: Storyboard, store: StateStore, engine: str | None = None) -> list[ShotStatus]:
    """One row per shot."""
    engine = engine or project.config.render.engine
    overrides = store.overrides()
    starts = Starts(project, storyboard, store, engine)
    rows = []
    for shot in storyboard.shots:
        base = dict(shot_id=shot.id, index=shot.index, kind=shot.kind, size=shot.size.value, move=shot.move.value,
                    duration=round(shot.duration, 2),
                    overridden=sorted(overrides[shot.id].model_dump(exclude_none=True)) if shot.id in overrides else [])
        if not renderable(shot):
            rows.append(ShotStatus(**base, key=None, draws=0, stale_draws=0, failed=0, pick=None, picked_by=None,
                                   pick_score=None, best_score=None, stale=False, state="title card"))
            continue
        key = starts.key(shot)
        candidates = ranked_draws(store, shot.id, key)
        current = [c for c in candidates if not c.stale]
        creator = store.creator_pick(shot.id)
        chosen = next((c for c in candidates if c.id == creator.id), creator) if creator else next(iter(candidates), None)
        stale = None if key is None else chosen is None or chosen.stale
        failed_camera = key is not None and creator is None and camera_failed(current)
        state = "not rendered" if key is None or chosen is None else "stale" if stale else \
            "camera check failed" if failed_camera else "ok"
        rows.append(ShotStatus(
            **base, key=key, draws=len(current), stale_draws=len(candidates) - len(current),
            failed=len(store.failures(shot.id)), pick=chosen.id if chosen else None,
            picked_by=None if chosen is None else "creator" if creator else "auto",
            pick_score=chosen.score if chosen else None,
            best_score=max((c.score for c in current), default=None),
            stale=stale, camera_failed=failed_camera, state=state, **_starting(project, store, starts, shot),
        ))
    return rows


def _starting(project: Project, store: StateStore, starts: Starts, shot: Shot) -> dict:
    """The ShotStatus fields of where the shot's video draws start, and of its keyframes."""
    start = starts.start(shot)
    fields: dict = {"starts_from": None if start.kind == "none" else start.describe(), "waiting": start.missing,
                    "continues": start.after}
    if starts.keyframes is not None and starts.chained_to(shot) is None:
        track = keyframe_track(shot.id)
        key = keyframe_key_now(project, shot, starts.keyframes)
        current = [c for c in store.candidates(track) if c.shot_key == key]
        chosen = take_in_use(store, track, key)
        fields.update(keyframes=len(current), keyframe=chosen.id if chosen else None,
                      keyframe_picked_by=None if chosen is None else "creator" if store.creator_pick(track) else "auto")
    return fields


def episode_draws(project: Project, storyboard: Storyboard, engine: str | None = None) -> dict[str, list[Candidate]]:
    """The candidates of each renderable shot the creator has not picked (those are picked automatically), stale
    ones marked as of now, read from the state store; none for a project never rendered (no store is created).
    Where the engine cannot be loaded here (`drama render` says why), stale is as last recorded."""
    if not (project.state_dir / "state.db").is_file():
        return {}
    engine = engine or project.config.render.engine
    shots = [shot for shot in storyboard.shots if renderable(shot)]
    with StateStore(project) as store:
        try:
            starts = Starts(project, storyboard, store, engine)
            keys = {shot.id: starts.key(shot) for shot in shots}
        except DramaError:
            keys = {}
        return {shot.id: ranked_draws(store, shot.id, keys.get(shot.id)) for shot in shots
                if store.creator_pick(shot.id) is None}
