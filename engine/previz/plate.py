"""A plate: an image on a plane at one depth, drawn in world metres, lit once, blurred by depth of field."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.previz.color import RGB
from engine.previz.layers import Layer, Motion
from engine.previz.look import Look, light_pixels

MAX_SIDE = 4096  # pixels; wider plates are drawn coarser


class Plate:
    def __init__(self, name: str, z: float, extent: tuple[float, float, float, float], density: float, *, opaque: bool, fill: RGB = (0, 0, 0),
                 coarse: float = 1.0):
        """`coarse` > 1 draws (and blurs) at 1/coarse of `density`, then scales up once: for out-of-focus plates."""
        x0, y0, x1, y1 = extent
        self.coarse = coarse
        ppu = density / coarse
        longest = max(x1 - x0, y1 - y0) * ppu
        if longest > MAX_SIDE:
            ppu *= MAX_SIDE / longest
        self.name, self.z, self.ppu = name, z, ppu
        self.x0, self.y0, self.x1, self.top = x0, y0, x1, y1
        size = (max(2, math.ceil((x1 - x0) * ppu)), max(2, math.ceil((y1 - y0) * ppu)))
        self.image = Image.new("RGB" if opaque else "RGBA", size, fill if opaque else (0, 0, 0, 0))
        self.lit = Image.new("L", size, 255 if opaque else 0)  # which pixels take the scene light
        self._draw = ImageDraw.Draw(self.image)
        self._mask = ImageDraw.Draw(self.lit)

    # drawing in metres -------------------------------------------------------------
    def xy(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.x0) * self.ppu, (self.top - y) * self.ppu)

    def poly(self, points, fill: RGB, *, alpha: int = 255, emissive: bool = False) -> None:
        xy = [self.xy(x, y) for x, y in points]
        self._draw.polygon(xy, fill=(*fill, alpha) if self.image.mode == "RGBA" else fill)
        self._mask.polygon(xy, fill=0 if emissive else 255)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB, **kw) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fill, **kw)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: RGB, *, alpha: int = 255, emissive: bool = False) -> None:
        (a, b), (c, d) = self.xy(cx - rx, cy + ry), self.xy(cx + rx, cy - ry)
        self._draw.ellipse((a, b, c, d), fill=(*fill, alpha) if self.image.mode == "RGBA" else fill)
        self._mask.ellipse((a, b, c, d), fill=0 if emissive else 255)

    def line(self, points, fill: RGB, width: float, *, emissive: bool = False) -> None:
        xy = [self.xy(x, y) for x, y in points]
        px = max(1, int(round(width * self.ppu)))
        self._draw.line(xy, fill=(*fill, 255) if self.image.mode == "RGBA" else fill, width=px)
        self._mask.line(xy, fill=0 if emissive else 255, width=px)

    def gradient(self, y_top: float, y_bottom: float, c_top: RGB, c_bottom: RGB, *, x0: float | None = None, x1: float | None = None,
                 emissive: bool = False) -> None:
        """A vertical gradient between two heights, over the plate's width or from x0 to x1."""
        left, a = self.xy(self.x0 if x0 is None else x0, y_top)
        right, b = self.xy(self.x1 if x1 is None else x1, y_bottom)
        a, b = int(max(0, a)), int(min(self.image.size[1], math.ceil(b)))
        left, right = int(max(0, left)), int(min(self.image.size[0], math.ceil(right)))
        if b <= a or right <= left:
            return
        ramp = np.linspace(0, 1, b - a, dtype=np.float32)[:, None]
        strip = (np.asarray(c_top, np.float32) * (1 - ramp) + np.asarray(c_bottom, np.float32) * ramp).astype(np.uint8)
        band = Image.fromarray(strip[:, None, :]).resize((right - left, b - a))
        if self.image.mode == "RGBA":
            band = band.convert("RGBA")
        self.image.paste(band, (left, a))
        self._mask.rectangle((left, a, right, b), fill=0 if emissive else 255)

    def glow(self, x: float, y: float, radius: float, color: RGB, strength: float = 0.8) -> None:
        """Light falling around a lamp or window: a soft additive disc (not lit again by the scene)."""
        r = max(2, int(radius * self.ppu))
        size = 64
        yy, xx = np.mgrid[-1:1:size * 1j, -1:1:size * 1j]
        falloff = np.clip(1 - np.sqrt(xx**2 + yy**2), 0, 1) ** 2 * strength
        disc = Image.fromarray((falloff[..., None] * np.asarray(color, np.float32)).astype(np.uint8)).resize((2 * r, 2 * r), Image.BILINEAR)
        cx, cy = self.xy(x, y)
        box = (int(cx - r), int(cy - r))
        region = self.image.crop((*box, box[0] + 2 * r, box[1] + 2 * r))
        rgb = np.asarray(region.convert("RGB"), np.int16) + np.asarray(disc, np.int16)
        lit = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
        if self.image.mode == "RGBA":
            lit.putalpha(region.getchannel("A"))
        self.image.paste(lit, box)

    # finishing -----------------------------------------------------------------------
    def light(self, look: Look, key_strength: float = 1.0) -> None:
        """Apply the scene light to everything drawn as a surface (sky, lamps and lit windows keep their colour),
        working only on the part of the plate that has surfaces (a prop's table, not the whole frame)."""
        box = self.lit.getbbox()
        if box is None:
            return
        region = np.asarray(self.image.crop(box))
        rgb = region[..., :3]
        surface = np.asarray(self.lit.crop(box))[..., None] > 127
        dim = replace(look, ambient=tuple(a * look.places for a in look.ambient))
        lit = np.where(surface, light_pixels(rgb, dim, key_strength, columns=(box[0], self.image.size[0])), rgb)
        if self.image.mode == "RGBA":
            lit = np.dstack([lit, region[..., 3]])
        self.image.paste(Image.fromarray(lit), box[:2])

    def layer(self, blur_px: float = 0.0, depth: np.ndarray | float | None = None, motion: Motion | None = None) -> Layer:
        """The finished layer; `blur_px` is the depth-of-field blur in plate pixels."""
        image, ppu = self.image, self.ppu
        if blur_px >= 0.6:
            if image.mode == "RGBA":  # blur premultiplied so transparent edges do not turn dark
                image = _blur_rgba(image, blur_px)
            else:
                image = image.filter(ImageFilter.GaussianBlur(blur_px))
        if self.coarse > 1.01:  # smooth upscale now, so per-frame nearest sampling shows no blocks
            image = image.resize((round(image.size[0] * self.coarse), round(image.size[1] * self.coarse)), Image.BILINEAR)
            ppu = image.size[0] / (self.image.size[0] / self.ppu)
            if isinstance(depth, np.ndarray):
                depth = np.interp(np.linspace(0, len(depth) - 1, image.size[1]), np.arange(len(depth)), depth)
        layer = Layer(self.name, self.z, [image], ppu, (self.x0, self.top), self.z if depth is None else depth, motion=motion)
        return layer.hardened() if image.mode == "RGBA" and blur_px < 0.6 and self.coarse <= 1.01 else layer


def _blur_rgba(image: Image.Image, radius: float) -> Image.Image:
    premul = image.convert("RGBa").filter(ImageFilter.GaussianBlur(radius))
    return premul.convert("RGBA")
