"""Previz as control for generative engines (`[render] control = "previz"`).

A generative draw follows the shot's previz draw: its depth video (camera, framing, blocking), its picture
as layout, each character's mask and, for an engine that takes a camera path (dit), the path the previz drew
with. Rendering those previz draws is a stage of its own that runs before any job is built
(`drama.render.executor.render_controls`), into renders/<key>/ through the same content-addressed jobs as any
candidate, so every later run and every draw of the shot reuses it; it is not a candidate of the shot (the state
store never sees it). Building a request only looks the controls up (`stored_controls`): it
never renders, so `drama status` and the review page can compute cache keys by reading alone.
"""

from __future__ import annotations

import json

from drama.project import Project
from drama.render.damage import CANDIDATE_FILE, DamagedDraw, read_draw
from drama.render.jobs import Job, draw_seed, job_key, shot_key
from drama.render.request import build_request
from drama.storyboard.model import Shot
from engine.api import Control, ControlKind
from engine.registry import engine_class

PREVIZ = "previz"
CONTROL_DRAW = 0  # the previz draw the controls come from: the shot's first previz seed


def wants_controls(project: Project, engine: str) -> bool:
    """Whether draws on `engine` follow the shots' previz draws."""
    return project.config.render.control == PREVIZ and engine != PREVIZ


def control_job(project: Project, shot: Shot) -> Job:
    """The previz draw the shot's controls come from, asking for its side channels (depth and masks)."""
    request = build_request(project, shot, seed=draw_seed(shot.id, CONTROL_DRAW), engine=PREVIZ)
    request = request.model_copy(update={"options": {"side_channels": True}})
    version = engine_class(PREVIZ).version
    base = shot_key(PREVIZ, version, request)
    return Job(episode="", shot_id=shot.id, draw=CONTROL_DRAW, seed=request.seed, shot_key=base,
               key=job_key(base, request.seed), engine=PREVIZ, engine_version=version, request=request)


def stored_controls(project: Project, shot: Shot, engine: str) -> tuple[Control, ...] | None:
    """The controls a draw of `shot` on `engine` follows, read from renders/: () when the engine takes none,
    None while the shot's previz draw is not rendered, or damaged (so the draw's cache key is not known yet)."""
    if not wants_controls(project, engine):
        return ()
    key = control_job(project, shot).key
    folder = project.renders_dir / key
    try:
        read_draw(folder, key)  # the checks a render makes before using a draw; setting it aside is the render's job
        clip = json.loads((folder / CANDIDATE_FILE).read_text(encoding="utf-8"))["clip"]
        videos: list[tuple[ControlKind, str | None]] = [("depth", clip["depth"]), ("layout", clip["video"])]
        videos += [("masks", path) for _, path in sorted(clip["masks"].items())]
        camera = clip.get("camera") if follows_camera(engine) else None
    except (DamagedDraw, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    strength = project.config.render.control_strength
    controls = tuple(Control(kind=kind, path=folder / path, strength=strength) for kind, path in videos if path)
    # the path the previz drew with, as drama/render/draw.py published it (read by engine.dit.camera.load_camera_path)
    return controls + ((Control(kind="camera", path=folder / camera, strength=strength),) if camera else ())


def follows_camera(engine: str) -> bool:
    """Whether `engine` takes the previz camera path as a control: only an engine that takes both a camera and
    controls, so every other engine's request, hence its cache keys, stays as it was."""
    features = engine_class(engine).features
    return "camera" in features and "controls" in features
