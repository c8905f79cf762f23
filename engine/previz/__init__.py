"""Procedural previz: layered 2.5D scenes with reference portraits and real camera moves (the CPU default engine)."""

from engine.previz.engine import PrevizEngine

__all__ = ["PrevizEngine"]
