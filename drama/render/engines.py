"""What each registered engine is and whether it can be used here: local or remote, keys present (never their
values), server reachable, what it takes from a request, what it charges with the project's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from drama.project import Project
from drama.project.secrets import load_secrets
from engine.api import RenderRequest
from engine.registry import available_engines, engine_class, get_engine
from engine.remote import RemoteEngine


SAMPLE_DRAW = RenderRequest(prompt="a sample shot", width=720, height=1280, fps=24, num_frames=120)  # 5 s, 9:16


class EngineInfo(BaseModel):
    name: str
    kind: Literal["local", "remote"]
    draws: Literal["video", "image"] = "video"  # what one draw is: a clip, or a still (keyframes, character sheets)
    ready: bool
    features: list[str]
    price: str = ""
    detail: str = ""


def describe_engine(name: str, project: Project | None) -> EngineInfo:
    try:
        cls = engine_class(name)
    except (ImportError, AttributeError) as error:  # an engine whose optional dependencies are not installed
        return EngineInfo(name=name, kind="local", ready=False, features=[], detail=f"cannot be loaded: {error}")
    features = list(cls.features)
    if not issubclass(cls, RemoteEngine):
        return EngineInfo(name=name, kind="local", draws=cls.kind, ready=True, features=features,
                          detail=f"needs {cls.requires}" if cls.requires else "")
    options = project.engine_options(name) if project is not None else {}
    engine = get_engine(name, **options)
    check = engine.check()
    currency = project.config.render.currency if project is not None else "USD"
    cost = engine.estimate(SAMPLE_DRAW)
    per = "image" if cls.kind == "image" else "5 s draw"
    return EngineInfo(name=name, kind="remote", draws=cls.kind, ready=check.configured, features=features,
                      price=f"{cost.amount:.2f} {currency} per {per}", detail=check.detail)


def describe_engines(project: Project | None = None) -> list[EngineInfo]:
    if project is not None:
        load_secrets(project)
    return [describe_engine(name, project) for name in available_engines()]
