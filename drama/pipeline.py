"""An episode ready to render and cut: the planned storyboard, the creator's edits applied, timed by its voices.

Every stage after planning (render, review, edit) starts from `prepare_episode`, so they all agree on the
same shots, durations and therefore the same render cache keys.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from rich.progress import Progress

from drama.project import Project
from drama.render.state import ShotOverride, StateStore
from drama.storyboard import plan_episode
from drama.storyboard.model import Storyboard
from drama.voice import VoiceLine, apply_timing, speak_storyboard


class PreparedEpisode(BaseModel):
    storyboard: Storyboard
    lines: list[VoiceLine] = Field(default_factory=list)  # one per spoken shot, in shot order


def apply_overrides(storyboard: Storyboard, overrides: dict[str, ShotOverride]) -> Storyboard:
    """The storyboard with the creator's per-shot edits; overrides of shots no longer planned are kept
    in the store but have nothing to apply to."""
    shots = []
    for shot in storyboard.shots:
        override = overrides.get(shot.id)
        if override is None:
            shots.append(shot)
            continue
        shots.append(type(shot).model_validate({**shot.model_dump(), **override.model_dump(exclude_none=True)}))
    return storyboard.model_copy(update={"shots": shots})


def keep_duration_overrides(storyboard: Storyboard, overrides: dict[str, ShotOverride]) -> Storyboard:
    """After voice timing: a duration the creator set wins, but never cuts into the spoken line."""
    shots = [shot.model_copy(update={"duration": max(shot.duration, overrides[shot.id].duration)})
             if shot.id in overrides and overrides[shot.id].duration is not None else shot
             for shot in storyboard.shots]
    return storyboard.model_copy(update={"shots": shots})


def prepare_episode(project: Project, episode_id: str, *, voice: bool = True,
                    progress: Progress | None = None) -> PreparedEpisode:
    """plan → creator overrides → voice timing (with `voice`; else the planner's reading-speed durations)."""
    storyboard = plan_episode(project, episode_id)
    with StateStore(project) as store:
        overrides = store.overrides()
    storyboard = apply_overrides(storyboard, overrides)
    if not voice:
        return PreparedEpisode(storyboard=storyboard)
    lines = speak_storyboard(project, storyboard, progress=progress)
    storyboard = keep_duration_overrides(apply_timing(storyboard, lines), overrides)
    return PreparedEpisode(storyboard=storyboard, lines=lines)
