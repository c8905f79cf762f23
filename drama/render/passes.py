"""What the passes over a shot's take share (lip-sync, drama.render.lipsync; extension, drama.render.extension): a
pass is a remote job on a track of the shot ("1-2/lipsync", "1-2/extend") whose request names the take it works on
(`source_video`), so drama's task queue records, resumes, budgets, books and caches it like a draw."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel

from drama.errors import DramaError, did_you_mean
from drama.project import Project
from drama.render.damage import CANDIDATE_FILE
from drama.render.executor import resolve_engine
from drama.render.jobs import Job, job_key, shot_key
from drama.render.state import Candidate
from drama.storyboard.model import Storyboard
from engine.api import RenderRequest


class PassResult(BaseModel):
    """What a pass did for one shot: done (a new task), cached (done before), failed, or skipped with the reason."""

    shot_id: str
    status: Literal["done", "cached", "failed", "skipped"]
    reason: str = ""
    take: str | None = None  # the pick's candidate id
    key: str | None = None  # the pass's (last) job key: its draw under renders/
    score: float | None = None


def check_shot_ids(storyboard: Storyboard, shot_ids: list[str] | None) -> None:
    known = {shot.id for shot in storyboard.shots}
    for shot_id in shot_ids or ():
        if shot_id not in known:
            raise DramaError(f"no shot {shot_id!r} in episode {storyboard.episode}",
                             hint=did_you_mean(shot_id, known) or "`drama status PROJECT` lists the shot ids")


def read_record(candidate: Candidate) -> dict:
    """A draw's candidate.json (its request, its clip: size, frames, the engine's meta)."""
    return json.loads((candidate.path / CANDIDATE_FILE).read_text(encoding="utf-8"))


def read_clip(candidate: Candidate) -> dict:
    return read_record(candidate).get("clip", {})


def pass_job(project: Project, engine: str, episode: str, track: str, draw: int, request: RenderRequest) -> Job:
    """The job of one pass on `track` (draw `draw` of it), keyed like any draw: by the request, files as bytes."""
    cls = resolve_engine(engine, project)
    key = shot_key(engine, cls.version, request, cls.identity(request))
    return Job(episode=episode, shot_id=track, draw=draw, seed=0, shot_key=key, key=job_key(key, 0), engine=engine,
               engine_version=cls.version, request=request)


def made_from(candidates: list[Candidate], source: Candidate) -> Candidate | None:
    """The current draw among `candidates` whose request worked on `source`'s video, else None."""
    for candidate in candidates:
        if candidate.stale:
            continue
        try:
            request = read_record(candidate)["request"]
        except (OSError, ValueError, KeyError):
            continue
        if request.get("source_video") == str(source.video):
            return candidate
    return None
