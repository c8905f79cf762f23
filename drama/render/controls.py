"""Previz as control for generative engines (`[render] control = "previz"`).

A generative draw follows the shot's previz draw: its depth video (camera, framing, blocking), its picture
as layout and each character's mask. The previz draw is rendered once into renders/<key>/ through the same
content-addressed jobs as any candidate, so every later run and every draw of the shot reuses it; it is not
a candidate of the shot (the state store never sees it).
"""

from __future__ import annotations

import json

from drama.errors import DramaError
from drama.project import Project
from drama.render.executor import candidate_dir, load_candidate, render_lock, resolve_engine, run_job
from drama.render.jobs import Job, draw_seed, job_key, shot_key
from drama.render.request import build_request
from drama.storyboard.model import Shot
from engine.api import Control, ControlKind, RenderRequest
from engine.registry import get_engine

PREVIZ = "previz"
CONTROL_DRAW = 0  # the previz draw the controls come from: the shot's first previz seed


def previz_request(project: Project, shot: Shot) -> RenderRequest:
    """The previz draw the controls come from, asking for its side channels (depth and masks)."""
    request = build_request(project, shot, seed=draw_seed(shot.id, CONTROL_DRAW), engine=PREVIZ)
    return request.model_copy(update={"options": {"side_channels": True}})


def previz_controls(project: Project, shot: Shot, strength: float = 1.0) -> tuple[Control, ...]:
    """Render the shot's previz draw unless it is in the cache, and return its depth, layout and mask videos."""
    request = previz_request(project, shot)
    version = resolve_engine(PREVIZ).version
    base = shot_key(PREVIZ, version, request)
    key = job_key(base, request.seed)
    if load_candidate(project, key) is None:
        job = Job(episode="", shot_id=shot.id, draw=CONTROL_DRAW, seed=request.seed, shot_key=base, key=key,
                  engine=PREVIZ, engine_version=version, request=request)
        with render_lock(project):
            if load_candidate(project, key) is None:  # another process may have drawn it meanwhile
                try:
                    run_job(project, get_engine(PREVIZ), job)
                except Exception as error:  # the generative draws cannot be planned without it
                    raise DramaError(f"the previz control of shot {shot.id} failed: {type(error).__name__}: {error}",
                                     path=project.root / "drama.toml",
                                     hint='fix the shot, or set [render] control = "none"') from error
    folder = candidate_dir(project, key)
    clip = json.loads((folder / "candidate.json").read_text(encoding="utf-8"))["clip"]
    videos: list[tuple[ControlKind, str | None]] = [("depth", clip["depth"]), ("layout", clip["video"])]
    videos += [("masks", path) for _, path in sorted(clip["masks"].items())]
    return tuple(Control(kind=kind, path=folder / path, strength=strength) for kind, path in videos if path)
