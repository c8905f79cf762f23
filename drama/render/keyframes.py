"""The keyframe stage of two-stage drawing (`[render] keyframes = "IMAGE-ENGINE"`, docs/keyframes.md).

Before any video draw, an image engine draws `keyframe_draws` stills of each shot: cheap, with the characters'
references and the set's image as every request carries them, and — with `[render] control = "previz"` — the
first frame of the shot's previz draw as a `layout` control (scored for how closely the still keeps it). The
stills of shot "1-2" are the state-store track "1-2/keyframe" (drama.render.tracks), so their picks, wanted draws,
failures, paid tasks, budget and ledger are a shot's. The video draws then start from the keyframe in use: the
creator's pick, else the best-scored current still (`take_in_use`); its bytes are in their cache key, so picking
another keyframe makes exactly the video draws that started from the old one stale.

Frames of draws that later draws start from (the previz draw's first frame here, the last frame of a chained
shot's predecessor in drama.render.continuity) are extracted by a render into .drama/cache/frames/<draw key>-
<which>.png, once, written atomically. The draw's key fixes the video, so cache keys address such a frame by its
name (drama.render.jobs.drawn_frame): reading (status, the review page) knows every key without extracting
anything, and a frame extracted again on another machine changes no key.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

from rich.progress import Progress

from drama.atomic import write_bytes
from drama.errors import EngineError, did_you_mean
from drama.project import Project
from drama.project.project import toml_line
from drama.render.controls import PREVIZ, control_job
from drama.render.damage import DamagedDraw, read_draw
from drama.render.executor import JobResult, draw_jobs, render_previz_controls
from drama.render.jobs import Job, shot_key, track_jobs
from drama.render.request import build_request
from drama.render.state import Candidate, StateStore, WantedDraws
from drama.render.tracks import keyframe_track
from drama.storyboard.model import Shot, Storyboard
from engine.api import Control, Engine, RenderRequest
from engine.registry import UnknownEngineError, engine_class

STILL = "still.png"  # an image draw's picture in its folder (drama.render.draw)


def keyframe_engine(project: Project) -> str | None:
    """The image engine keyframes are drawn on, or None when video is drawn from text alone."""
    return project.config.render.keyframes or None


def image_engine(project: Project, name: str) -> type[Engine]:
    """The class of `[render] keyframes`' engine, or an EngineError at its line of drama.toml when there is no such
    engine or it draws video."""
    path = project.root / "drama.toml"
    where = {"path": path, "line": toml_line(path.read_text(encoding="utf-8-sig"), ("render", "keyframes"))}
    try:
        cls = engine_class(name)
    except UnknownEngineError as error:
        raise EngineError(f"unknown keyframe engine {name!r}; engines: {', '.join(error.known)}",
                          hint=did_you_mean(name, error.known) or "name an image engine (`drama engines` lists them)",
                          **where) from None
    except (ImportError, AttributeError) as error:
        raise EngineError(f"keyframe engine {name!r} cannot be loaded: {error}", hint="check its dependencies",
                          **where) from None
    if cls.kind != "image":
        raise EngineError(f"{name!r} draws video, not stills; [render] keyframes takes an image engine",
                          hint="name an image engine (`drama engines` lists them), or set keyframes = \"\"", **where)
    return cls


def frame_file(project: Project, key: str, which: Literal["first", "last"]) -> Path:
    return project.cache_dir / "frames" / f"{key}-{which}.png"


def extract_frame(project: Project, key: str, video: Path, which: Literal["first", "last"]) -> Path:
    """The first or last frame of the draw `key`'s `video` as a PNG (see the module's docstring), extracted unless
    it is there. ValueError when the video cannot be read."""
    path = frame_file(project, key, which)
    if path.is_file():
        return path
    from PIL import Image

    from engine.video import read_selected

    _, _, frames = read_selected(video, (lambda total: [0]) if which == "first" else (lambda total: [total - 1]))
    png = io.BytesIO()
    Image.fromarray(frames[-1]).save(png, format="PNG")
    write_bytes(path, png.getvalue())
    return path


def wants_layout(project: Project, engine: str) -> bool:
    """Whether keyframes on `engine` follow the previz layout (`[render] control = "previz"`; not a previz engine's)."""
    return project.config.render.control == PREVIZ and not engine.startswith(PREVIZ)


def layout_controls(project: Project, shot: Shot, engine: str) -> tuple[Control, ...]:
    """The controls a keyframe of `shot` follows: none, or the first frame of the shot's previz draw as `layout`
    (its path; `extract_layout` makes it)."""
    if not wants_layout(project, engine):
        return ()
    frame = frame_file(project, control_job(project, shot).key, "first")
    return (Control(kind="layout", path=frame, strength=project.config.render.control_strength),)


def extract_layout(project: Project, shot: Shot) -> None:
    """The first frame of the shot's previz draw (rendered before: `render_previz_controls`), unless it is there."""
    key = control_job(project, shot).key
    folder = project.renders_dir / key
    if not frame_file(project, key, "first").is_file():
        read_draw(folder, key)  # the checks a render makes before using a draw: DamagedDraw if it fails them
        extract_frame(project, key, folder / "video.mp4", "first")


def keyframe_request(project: Project, shot: Shot, engine: str, layout: tuple[Control, ...]) -> RenderRequest:
    """The still asked of the image engine: the shot's request (prompt, references, set) as one frame."""
    return build_request(project, shot, seed=0, engine=engine, controls=layout).model_copy(update={"num_frames": 1})


def keyframe_key_now(project: Project, shot: Shot, engine: str) -> str:
    """The key of the shot's keyframe track as it is now, by reading alone."""
    cls = engine_class(engine)
    request = keyframe_request(project, shot, engine, layout_controls(project, shot, engine))
    return shot_key(engine, cls.version, request, cls.identity(request))


def take_in_use(store: StateStore, track: str, key: str | None) -> Candidate | None:
    """What a later stage starts from: the creator's pick of the track, else its best draw current as of `key`
    (as last recorded while the key is unknown); None when there is neither."""
    picked = store.creator_pick(track)
    if picked is not None:
        return picked
    return next((c for c in store.candidates(track) if (c.shot_key == key if key is not None else not c.stale)), None)


def keyframe_in_use(project: Project, store: StateStore, shot: Shot, engine: str) -> Candidate | None:
    return take_in_use(store, keyframe_track(shot.id), keyframe_key_now(project, shot, engine))


def still_of(candidate: Candidate) -> Path:
    return candidate.path / STILL


def keyframe_jobs(project: Project, episode: str, shot: Shot, draws: range, engine: str,
                  layout: tuple[Control, ...]) -> list[Job]:
    return track_jobs(episode, keyframe_track(shot.id), keyframe_request(project, shot, engine, layout), draws,
                      engine, engine_class(engine).version)


def render_keyframes(project: Project, storyboard: Storyboard, shots: list[Shot], *, draws: int,
                     wanted: dict[str, WantedDraws], store: StateStore, progress: Progress | None = None,
                     workers: int | None = None, cluster: str | None = None,
                     notes: list[str] | None = None) -> list[JobResult]:
    """The keyframe stage for `shots`: `[render] keyframe_draws` stills each (default: `draws`), or as many as were
    asked for of their keyframe tracks; only what is missing is drawn, through the same path as every draw (local
    runners, or a remote engine's task queue with its budget and ledger)."""
    engine = project.config.render.keyframes
    image_engine(project, engine)
    draws = project.config.render.keyframe_draws or draws
    if wants_layout(project, engine):
        render_previz_controls(project, shots)
    jobs: list[Job] = []
    for shot in shots:
        if wants_layout(project, engine):
            try:
                extract_layout(project, shot)
            except (DamagedDraw, ValueError) as error:  # damaged since it was checked a moment ago
                raise EngineError(f"the previz draw of shot {shot.id} that its keyframes follow cannot be read: "
                                  f"{error}", hint="run again: a damaged draw is set aside and drawn again") from None
        asked = wanted.get(keyframe_track(shot.id))
        jobs += keyframe_jobs(project, storyboard.episode, shot, range(max(draws, asked.draws if asked else 0)),
                              engine, layout_controls(project, shot, engine))
    return draw_jobs(project, jobs, engine, store=store, progress=progress, workers=workers, cluster=cluster,
                     notes=notes) if jobs else []
