"""The one current storyboard of an episode: the planned storyboard, the creator's edits applied, timed by its voices.

Every command that shows or renders shots (plan, voice, status, render, review, make, export) starts from
`prepare_episode`, so they all agree on the same shots, durations and therefore the same render cache keys.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from rich.progress import Progress

from drama.project import Project
from drama.render.state import ShotOverride, StateStore
from drama.storyboard import plan_episode
from drama.storyboard.model import Storyboard
from drama.voice import Speaker, VoiceLine, apply_timing, cached_lines


class PreparedEpisode(BaseModel):
    storyboard: Storyboard
    lines: list[VoiceLine] = Field(default_factory=list)  # one per voiced shot, in shot order


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


def stored_overrides(project: Project) -> dict[str, ShotOverride]:
    """The creator's per-shot edits; a project never opened by render or review has none (and gets no store)."""
    if not (project.state_dir / "state.db").is_file():
        return {}
    with StateStore(project) as store:
        return store.overrides()


def prepare_episode(project: Project, episode_id: str, *, speak: bool | Speaker = False,
                    progress: Progress | None = None) -> PreparedEpisode:
    """plan → creator overrides → voice timing: the storyboard every command shows and renders.

    Looking (plan, status, the review page) only reads: lines in the voice cache time their shots, the others keep
    the planner's reading-speed durations. With `speak` (True, or a `Speaker` to voice with) the lines not in the
    cache are synthesised first, as voice, render, make and export need."""
    overrides = stored_overrides(project)
    storyboard = apply_overrides(plan_episode(project, episode_id), overrides)
    if speak:
        lines = (speak if isinstance(speak, Speaker) else Speaker(project)).speak(storyboard, progress)
    else:
        lines = cached_lines(project, storyboard)
    storyboard = keep_duration_overrides(apply_timing(storyboard, lines), overrides)
    return PreparedEpisode(storyboard=storyboard, lines=lines)
