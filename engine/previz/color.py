"""Colour helpers shared by the figure, backdrop and lighting code (RGB tuples of 0–255 ints)."""

from __future__ import annotations

import zlib

RGB = tuple[int, int, int]


def hex_rgb(text: str) -> RGB:
    """'#rrggbb' or 'rrggbb' → (r, g, b); raises ValueError naming the bad value."""
    value = text.strip().lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour {text!r} is not #rrggbb")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def rgb_hex(color: RGB) -> str:
    return "#%02x%02x%02x" % color


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from a (t=0) to b (t=1)."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=False))  # type: ignore[return-value]


def shade(color: RGB, factor: float) -> RGB:
    """Darker (<1) or lighter (>1, towards white) version of a colour."""
    if factor <= 1:
        return tuple(int(round(c * factor)) for c in color)  # type: ignore[return-value]
    return mix(color, (255, 255, 255), min(1.0, factor - 1))


def tint(color: RGB, light: tuple[float, float, float]) -> RGB:
    """A surface colour under a light given as per-channel multipliers."""
    return tuple(max(0, min(255, int(round(c * m)))) for c, m in zip(color, light, strict=False))  # type: ignore[return-value]


def stable_hash(*parts: object) -> int:
    """A process-independent hash (Python's hash() is salted per run), for seeding from names."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))
