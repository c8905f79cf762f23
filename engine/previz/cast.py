"""People as layers: a reference portrait (alpha kept, or a soft oval matte), else a drawn stand-in,
placed by the placement hints, lit like the scene, and animated (breathing; the speaker's lips and head).

Portraits are measured in head heights: an `Anatomy` (from the PNG's `drama.anatomy` text chunk,
which drama's own portraits carry, or estimated from the alpha) says where the head is and how tall it
is in the world (`HEAD_M` for an adult; a drawn child's is smaller).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.api import CameraPose, CharacterRef
from engine.previz.color import RGB, hex_rgb, shade
from engine.previz.figure import HEAD_M as HEAD_M  # the engine frames an adult's head with it
from engine.previz.figure import ANATOMY_KEY, CANVAS_M, HEADS_TALL, Anatomy, FigureSpec, cast_of, draw_figure, soft_shadow, with_tag
from engine.previz.layers import Layer, Motion, View, coverage
from engine.previz.look import Look, light_pixels


@dataclass
class Portrait:
    image: Image.Image  # RGBA
    anatomy: Anatomy
    tag: tuple[str, RGB] | None = None  # a drawn stand-in's name and tag colour, put on after the figure is turned

    @property
    def metres_per_px(self) -> float:
        return self.anatomy.head_m / self.anatomy.head_height

    @property
    def height_m(self) -> float:
        """Top of the head above the soles."""
        return (self.anatomy.feet_y - self.anatomy.head[1]) * self.metres_per_px


def figure_for(ref: CharacterRef, company: Sequence[CharacterRef] = ()) -> FigureSpec:
    """The stand-in figure of a character without a reference image, drawn from their description and
    told apart from the `company` they share the picture with."""
    people = {(c.name, c.description, c.color) for c in (ref, *company)}
    return cast_of(sorted(people))[ref.name]


def load_portrait(ref: CharacterRef, stand_in_height: int = 1400, company: Sequence[CharacterRef] = ()) -> Portrait:
    """The character's first reference image, or a drawn stand-in (`stand_in_height` pixels tall, unlike
    anyone in `company`) wearing a name tag when there is none."""
    if not ref.reference_images:
        spec = figure_for(ref, company)
        image, anatomy = draw_figure(spec, round(stand_in_height * CANVAS_M / spec.height_m))
        return Portrait(image, anatomy, tag=(ref.name, spec.top))
    path = Path(ref.reference_images[0])
    if not path.is_file():
        raise FileNotFoundError(f"reference image for {ref.name!r} not found: {path} (fix the path in the cast file or remove it)")
    stat = path.stat()
    return _read_portrait(ref.name, str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _read_portrait(name: str, path: str, mtime_ns: int, size: int) -> Portrait:
    """Decoded once per file version: every shot and draw of a character reuses it (never modified)."""
    try:
        with Image.open(path) as source:
            source.load()
            text = source.info.get(ANATOMY_KEY)
            has_alpha = source.mode in ("RGBA", "LA", "PA") or "transparency" in source.info
            image = source.convert("RGBA")
    except OSError as error:
        raise ValueError(f"reference image for {name!r} is not a readable image: {path} ({error})") from None
    if not has_alpha or image.getchannel("A").getextrema()[0] == 255:
        image = _oval_matte(image)
    try:
        anatomy = Anatomy.from_json(text) if text else _estimate_anatomy(image)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"reference image for {name!r} cannot be used: {path} ({error})") from None
    return Portrait(image, anatomy)


def _oval_matte(image: Image.Image) -> Image.Image:
    """A feathered ellipse as alpha for a photo without transparency."""
    w, h = image.size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((w * 0.08, h * 0.03, w * 0.92, h * 1.25), fill=255)
    image = image.copy()
    image.putalpha(mask.filter(ImageFilter.GaussianBlur(min(w, h) * 0.05)))
    return image


def _estimate_anatomy(image: Image.Image) -> Anatomy:
    """Head box for a portrait without metadata: a tall cut-out is a whole body (7.4 heads), else a bust."""
    alpha = np.asarray(image.getchannel("A")) > 32
    rows, cols = np.nonzero(alpha)
    if len(rows) == 0:
        raise ValueError("the reference image is fully transparent")
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    tall = (bottom - top) / max(1, right - left) > 2.0
    head = (bottom - top) / HEADS_TALL if tall else (bottom - top) * 0.34
    band = alpha[top : int(top + head * 0.6)]
    centre = float(np.nonzero(band.any(axis=0))[0].mean()) if band.any() else (left + right) / 2
    # the hair: a patch at the top of the head (at least a pixel of it, on a portrait only a few pixels tall)
    first = top + 2 if head * 0.15 > 3 else top
    patch = np.asarray(image.convert("RGB"))[first : max(first + 1, int(top + head * 0.15)),
                                             max(0, int(centre) - 2) : int(centre) + 3]
    hair = tuple(int(c) for c in patch.reshape(-1, 3).mean(axis=0))
    return Anatomy(
        (centre - head * 0.38, float(top), centre + head * 0.38, float(top + head)),
        (centre, float(top + head * 0.8)),
        float(bottom if tall else top + head * HEADS_TALL),
        hair,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ dressing a portrait for a shot


def _facing(portrait: Portrait, facing: str) -> Portrait:
    """Front portraits turned: squeezed for a three-quarter view, the back of the head for 'away'."""
    image, a = portrait.image, portrait.anatomy
    if facing in ("left", "right"):
        w, h = image.size
        squeezed = image.resize((int(w * 0.9), h), Image.BILINEAR)
        if facing == "left":
            squeezed = squeezed.transpose(Image.FLIP_LEFT_RIGHT)
            a = a.scaled(-0.9, 1.0, int(w * 0.9))
            x0, y0, x1, y1 = a.head
            a = replace(a, head=(x1, y0, x0, y1))
        else:
            a = a.scaled(0.9, 1.0)
        return Portrait(squeezed, a)
    if facing == "away":
        back = Image.new("RGBA", image.size, (0, 0, 0, 0))
        rgb = image.convert("RGB").point(lambda v: int(v * 0.72))
        back.paste(rgb, (0, 0), image.getchannel("A"))
        x0, y0, x1, y1 = a.head
        hair = Image.new("L", image.size, 0)
        ImageDraw.Draw(hair).ellipse((x0 - (x1 - x0) * 0.04, y0, x1 + (x1 - x0) * 0.04, y1 + (y1 - y0) * 0.08), fill=255)
        back.paste(Image.new("RGBA", image.size, (*a.hair, 255)), (0, 0), Image.fromarray(np.minimum(np.asarray(hair), np.asarray(image.getchannel("A")))))
        return Portrait(back, a)
    return portrait


def turned(portrait: Portrait, facing: str, tagged: bool = True) -> Portrait:
    """The portrait turned to `facing`, then (if `tagged`) wearing its name tag: the tag goes on after the
    turn, so a figure facing left does not wear a mirrored name."""
    result = _facing(portrait, facing)
    if portrait.tag and tagged:
        result = Portrait(with_tag(result.image, result.anatomy, *portrait.tag), result.anatomy)
    return result


def _keystone(image: Image.Image, angle: str) -> Image.Image:
    """Perspective of a person seen from above (head big, feet small) or below."""
    squeeze = {"high": 0.8, "overhead": 0.6, "low": 1.18}.get(angle)
    if squeeze is None:
        return image
    w, h = image.size
    if squeeze < 1:  # feet narrower: sample a wider span at the bottom
        d = w * (1 / squeeze - 1) / 2
        quad = (0, 0, -d, h, w + d, h, w, 0)
    else:
        d = w * (squeeze - 1) / 2
        quad = (-d, 0, 0, h, w, h, w + d, 0)
    return image.transform((w, h), Image.QUAD, quad, Image.BILINEAR)


def _light(image: Image.Image, look: Look) -> Image.Image:
    out = Image.fromarray(light_pixels(np.asarray(image)[..., :3], look, key_strength=1.4))
    out.putalpha(image.getchannel("A"))
    return out


def _mouths(image: Image.Image, mouth: tuple[float, float], head_px: float, lips: tuple[int, int, int]) -> list[Image.Image]:
    """The image with the mouth closed (as drawn), half open and open: the speaker's visemes."""
    states = [image]
    x, y = mouth
    for opening in (0.045, 0.085):
        state = image.copy()
        draw = ImageDraw.Draw(state)
        rx, ry = head_px * 0.085, head_px * opening / 2
        draw.ellipse((x - rx, y - ry * 0.6, x + rx, y + ry * 1.4), fill=(*shade(lips, 0.8), 255))
        draw.ellipse((x - rx * 0.75, y - ry * 0.3, x + rx * 0.75, y + ry * 1.1), fill=(70, 24, 30, 255))
        states.append(state)
    return states


@dataclass(frozen=True)
class Casting:
    """Where each person stands: depth, world x, and which one the camera frames."""

    ref: CharacterRef
    portrait: Portrait
    z: float
    x: float
    foreground: bool
    subject: bool = False  # drawn in front of others at the same depth


def cast_layers(
    castings: Sequence[Casting], view: View, poses: Sequence[CameraPose], look: Look, angle: str, walk: np.ndarray,
    rng: np.random.Generator, fps: float, breathe: bool = True, sway: float = 1.0,
) -> list[Layer]:
    """One layer per person, far to near, each prepared at the largest size it reaches on screen."""
    n = len(poses)
    seconds = np.arange(n) / fps
    layers = []
    for c in sorted(castings, key=lambda c: (-c.z, c.subject)):
        p = c.ref.placement
        portrait = turned(c.portrait, "away" if c.foreground else p.facing, tagged=not c.foreground)
        m = portrait.metres_per_px
        a = portrait.anatomy
        # the sprite plane: soles at Y = 0, head centre at x
        head_cx = (a.head[0] + a.head[2]) / 2
        origin = (c.x - head_cx * m, a.feet_y * m)
        # Breathing shows only to a still camera; on a move it would cost a resample per frame for nothing.
        breathing = 1 + 0.0025 * sway * breathe * np.sin(2 * math.pi * seconds / rng.uniform(3.2, 4.2) + rng.uniform(0, 2 * math.pi))
        dy = 0.012 * np.abs(np.sin(2 * math.pi * 0.9 * seconds)) * (walk != 0)
        dx = walk.copy()
        state = np.zeros(n, int)
        if p.speaking and not c.foreground:
            phase = rng.uniform(0, 2 * math.pi)
            dy = dy + 0.004 * sway * np.sin(2 * math.pi * 1.7 * seconds + phase)
            dx = dx + 0.003 * sway * np.sin(2 * math.pi * 0.8 * seconds + phase)
            syllables = np.sin(2 * math.pi * rng.uniform(3.8, 5.0) * seconds + phase) + 0.6 * np.sin(2 * math.pi * 1.3 * seconds)
            state = np.digitize(syllables, (0.2, 0.9))
        motion = Motion(dx=dx, dy=dy, sy=breathing, state=state, anchor_y=0.0)
        # crop to what any frame can show, then scale once to the sharpest on-screen density
        (x0, y0, x1, y1), density = coverage(c.z, view, poses, margin=0.0)
        x0, x1 = x0 - abs(dx).max() - 0.05, x1 + abs(dx).max() + 0.05
        y0, y1 = y0 - 0.05, y1 + 0.05
        src = portrait.image
        box = (
            max(0, math.floor((x0 - origin[0]) / m)), max(0, math.floor((origin[1] - y1) / m)),
            min(src.size[0], math.ceil((x1 - origin[0]) / m)), min(src.size[1] + int(0.08 / m), math.ceil((origin[1] - y0) / m)),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            continue  # never in frame
        crop = src.crop(box)
        scale = density * m  # screen px per source px at the sharpest frame (smooth resize once, nearest per frame)
        size = (max(1, round(crop.size[0] * scale)), max(1, round(crop.size[1] * scale)))
        sprite = crop.resize(size, Image.BILINEAR, reducing_gap=2.0)
        ppu = size[0] / (crop.size[0] * m)
        to_sprite = lambda x, y, box=box, scale=scale: ((x - box[0]) * scale, (y - box[1]) * scale)  # noqa: E731
        sprite = _light(_keystone(sprite, angle), look)
        if c.z > 0 and not c.foreground:
            fx, fy = to_sprite(head_cx, a.feet_y)
            shadow = soft_shadow((int(a.head_height * scale * 2.6), max(2, int(a.head_height * scale * 0.5))))
            under = Image.new("RGBA", sprite.size, (0, 0, 0, 0))
            under.paste(shadow, (int(fx - shadow.size[0] / 2), int(fy - shadow.size[1] / 2)))
            sprite = Image.alpha_composite(under, sprite)
        if c.foreground:
            sprite = sprite.filter(ImageFilter.GaussianBlur(max(1.0, 0.012 * sprite.size[1])))
        images = [sprite]
        if p.speaking and not c.foreground:
            lips = hex_rgb("#b4646e")
            images = _mouths(sprite, to_sprite(*a.mouth), a.head_height * scale, lips)
        origin_px = (origin[0] + box[0] * m, origin[1] - box[1] * m)
        layer = Layer(c.ref.name, c.z, images, ppu, origin_px, c.z, character=c.ref.name, motion=motion)
        layers.append(layer if c.foreground else layer.hardened())  # the blurred shoulder keeps its soft edge
    return layers
