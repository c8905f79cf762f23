"""Video engines behind one interface. Knows nothing of screenplays: it turns a RenderRequest into a Clip."""

from engine.api import CameraMove, CharacterRef, Clip, Control, Engine, Placement, RenderRequest, SceneContext
from engine.registry import available_engines, get_engine, register_engine

__all__ = [
    "CameraMove",
    "CharacterRef",
    "Clip",
    "Control",
    "Engine",
    "Placement",
    "RenderRequest",
    "SceneContext",
    "available_engines",
    "get_engine",
    "register_engine",
]
