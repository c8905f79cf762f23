"""Name tags on generated stand-ins: a font that can draw CJK names when one is installed."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from engine.previz.color import RGB

_FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Noto Sans CJK SC Bold from the `manimgx-fonts-cjk` wheel drama depends on (so Chinese names
    draw), else DejaVu, else PIL's built-in font."""
    try:
        import manimgx_fonts_cjk  # type: ignore[import-not-found]

        face = ImageFont.truetype(str(Path(manimgx_fonts_cjk.__file__).parent / "NotoSansCJK-VF.otf.ttc"), size, index=2)
        face.set_variation_by_name("Bold")
        return face
    except (ImportError, OSError, ValueError):
        pass
    if Path(_FALLBACK).exists():
        return ImageFont.truetype(_FALLBACK, size)
    return ImageFont.load_default(size)


def draw_tag(canvas: Image.Image, text: str, *, centre: tuple[float, float], height: float, fill: RGB) -> None:
    """A rounded tag with `text` centred at `centre`, in the character's colour with readable ink."""
    draw = ImageDraw.Draw(canvas)
    face = font(max(8, int(height * 0.7)))
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=face)
    w, h = x1 - x0 + height * 0.8, height
    cx, cy = centre
    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    draw.rounded_rectangle(box, radius=h / 2, fill=(*fill, 235), outline=(255, 255, 255, 220), width=max(1, int(h * 0.06)))
    ink = (20, 20, 24) if sum(fill) > 380 else (250, 250, 250)
    draw.text((cx - (x1 - x0) / 2 - x0, cy - (y1 - y0) / 2 - y0), text, font=face, fill=ink)
