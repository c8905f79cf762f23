"""Render jobs: one (shot, draw) each, with a deterministic seed and a content-addressed cache key.

The key hashes everything that changes the pixels — engine name and version, every render-relevant field of
the request, the *bytes* of every image it refers to, what the engine says its options mean (`Engine.identity`:
a checkpoint's contents, a remote model's version) and the seed — so an unchanged shot is never redrawn and any
change (a reworded prompt, a retouched portrait, a new engine version, a checkpoint trained further) is.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from drama.errors import ProjectError
from drama.project import Project
from drama.render.request import build_request
from drama.storyboard.model import Shot
from engine.api import Control, RenderRequest
from engine.registry import engine_class

KEY_LENGTH = 32  # hex digits of sha256 kept in folder names
ID_LENGTH = 10  # hex digits a creator types to pick a candidate


def draw_seed(shot_id: str, draw: int) -> int:
    """Seed of draw `draw` of a shot: stable across runs and machines, so drawing more adds new seeds."""
    digest = hashlib.sha256(f"{shot_id}#{draw}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


_file_hashes: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, memoised on (path, mtime, size) so repeated keys cost one stat."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ProjectError(f"image not found: {path}", path=path,
                           hint="restore the file or fix the reference to it") from None
    memo = (str(path), stat.st_mtime_ns, stat.st_size)
    if memo not in _file_hashes:
        _file_hashes[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _file_hashes[memo]


# A frame drama took from a draw (.drama/cache/frames/<draw key>-first.png or -last.png, drama.render.keyframes): the
# draw's key already fixes the video it comes from, so the name addresses it, and is known before it is extracted.
DRAWN_FRAME = re.compile(r"[0-9a-f]{%d}-(first|last)\.png" % KEY_LENGTH)


def drawn_frame(path: Path) -> bool:
    return DRAWN_FRAME.fullmatch(path.name) is not None and path.parent.name == "frames" and \
        path.parent.parent.name == "cache" and path.parent.parent.parent.name == ".drama"


def _content_addressed(value: Any) -> Any:
    """The request as plain data with every path replaced by the hash of the file's contents (a frame of a draw by
    its name: `drawn_frame`)."""
    if isinstance(value, Path):
        return {"frame": value.name} if drawn_frame(value) else {"sha256": file_digest(value)}
    if isinstance(value, BaseModel):
        return {name: _content_addressed(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): _content_addressed(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_content_addressed(v) for v in value]
    return value


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:KEY_LENGTH]


# RenderRequest fields added after keys were first made (dotted for nested ones), with their defaults: left out of a
# key while at default.
LATER_FIELDS: dict[str, Any] = {"last_frame": None, "source_video": None, "audio": None, "scene.props": [],
                               "scene.extras": 0}


def shot_key(engine: str, engine_version: str, request: RenderRequest, identity: dict[str, str] | None = None) -> str:
    """Hash of what a shot asks for, seed aside: candidates whose shot_key differs from the current one are stale.
    `identity` is the engine's own account of its options (`Engine.identity`), e.g. a checkpoint's hash."""
    fields = _content_addressed(request)
    fields.pop("seed")
    for dotted, default in LATER_FIELDS.items():  # so adding a request field does not make every draw stale
        *parents, name = dotted.split(".")
        owner = fields
        for parent in parents:
            owner = owner.get(parent) or {}
        if owner.get(name, default) == default:
            owner.pop(name, None)
    key = {"engine": engine, "version": engine_version, "request": fields}
    if identity:
        key["identity"] = identity
    return _digest(key)


def job_key(shot_key_: str, seed: int) -> str:
    return _digest({"shot": shot_key_, "seed": seed})


class Job(BaseModel):
    """One draw to render, or found already rendered under renders/<key>/."""

    episode: str
    shot_id: str
    draw: int
    seed: int
    shot_key: str
    key: str
    engine: str
    engine_version: str
    request: RenderRequest

    @property
    def candidate_id(self) -> str:
        return self.key[:ID_LENGTH]


def current_shot_key(project: Project, shot: Shot, engine: str, engine_version: str,
                     controls: tuple[Control, ...] = (), first_frame: Path | None = None) -> str:
    request = build_request(project, shot, seed=0, engine=engine, controls=controls, first_frame=first_frame)
    return shot_key(engine, engine_version, request, engine_class(engine).identity(request))


def shot_jobs(project: Project, episode: str, shot: Shot, draws: range, engine: str, engine_version: str,
              controls: tuple[Control, ...] = (), first_frame: Path | None = None) -> list[Job]:
    """The jobs for the given draws of one shot (following `controls`, see drama.render.controls, and starting
    from `first_frame`, see drama.render.continuity)."""
    base = build_request(project, shot, seed=0, engine=engine, controls=controls, first_frame=first_frame)
    return track_jobs(episode, shot.id, base, draws, engine, engine_version)


def track_jobs(episode: str, track: str, base: RenderRequest, draws: range, engine: str,
               engine_version: str) -> list[Job]:
    """The jobs for the given draws of one track (a shot, or its keyframes: drama.render.tracks) asking for `base`:
    the track's key is computed once, each draw adds only its seed."""
    key = shot_key(engine, engine_version, base, engine_class(engine).identity(base))
    jobs = []
    for draw in draws:
        seed = draw_seed(track, draw)
        jobs.append(Job(episode=episode, shot_id=track, draw=draw, seed=seed, shot_key=key, key=job_key(key, seed),
                        engine=engine, engine_version=engine_version, request=base.model_copy(update={"seed": seed})))
    return jobs
