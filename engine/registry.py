"""Engines by name: the built-ins, plus any a third-party package declares under the
`drama.engines` entry-point group (value: `module:Class`). Imports are lazy so that using the
previz engine never loads torch."""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from typing import Any

from engine.api import Engine

BUILTIN_ENGINES: dict[str, str] = {
    "previz": "engine.previz:PrevizEngine",
    "previz-image": "engine.previz.still:PrevizImageEngine",
    "wan": "engine.open_weights.wan:WanEngine",
    "ltx": "engine.open_weights.ltx:LTXEngine",
    "cogvideox": "engine.open_weights.cogvideox:CogVideoXEngine",
    "hunyuan": "engine.open_weights.hunyuan:HunyuanVideoEngine",
    "diffusers-image": "engine.open_weights.image:DiffusersImageEngine",
    "dit": "engine.dit.engine:DiTEngine",
    "kling": "engine.remote.kling:KlingEngine",
    "kling-image": "engine.remote.kling_image:KlingImageEngine",
    "kling-lipsync": "engine.remote.kling_passes:KlingLipSyncEngine",
    "kling-extend": "engine.remote.kling_passes:KlingExtendEngine",
    "seedance": "engine.remote.seedance:SeedanceEngine",
    "seedream": "engine.remote.seedream:SeedreamEngine",
    "hailuo": "engine.remote.hailuo:HailuoEngine",
    "fal": "engine.remote.fal:FalEngine",
    "fal-image": "engine.remote.fal_image:FalImageEngine",
    "comfyui": "engine.remote.comfyui:ComfyUIEngine",
    "comfyui-image": "engine.remote.comfyui_image:ComfyUIImageEngine",
}

_registered: dict[str, type[Engine]] = {}


class UnknownEngineError(LookupError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown engine {name!r}; available: {', '.join(known)}")
        self.name = name
        self.known = known


def register_engine(cls: type[Engine]) -> type[Engine]:
    """Class decorator for engines defined at run time (tests, notebooks)."""
    _registered[cls.name] = cls
    return cls


@functools.cache  # scanning the installed packages' entry points costs tens of ms; they do not change while we run
def _declared() -> dict[str, str]:
    declared = dict(BUILTIN_ENGINES)
    for ep in entry_points(group="drama.engines"):
        declared.setdefault(ep.name, ep.value)
    return declared


def available_engines() -> list[str]:
    return sorted(set(_declared()) | set(_registered))


def engine_class(name: str) -> type[Engine]:
    if name in _registered:
        return _registered[name]
    target = _declared().get(name)
    if target is None:
        raise UnknownEngineError(name, available_engines())
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def get_engine(name: str, **options: Any) -> Engine:
    """An engine instance; `options` go to its constructor (checkpoint paths, device, steps …)."""
    return engine_class(name)(**options)
