"""The place behind (and in front of) the people: procedural rooms and streets, or a location image,
as plates at several depths so camera moves show parallax.

Everything is drawn in world metres on each plate's plane as seen from the camera at rest, in one-
point perspective (floors and side walls recede to the vanishing point at camera height). The layout
(window, door, furniture, buildings, lit windows) is drawn from the seeded generator, so draws differ.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from engine.api import CameraPose, SceneContext
from engine.previz.camera import Framing
from engine.previz.color import RGB, mix, shade
from engine.previz.layers import Layer, Motion, View, coverage
from engine.previz.look import Look
from engine.previz.plate import Plate
from engine.previz.words import mentions

CLOSE = ("ECU", "CU", "MCU", "OTS")  # shots whose floor is drawn on the back plate
APERTURE = 0.012  # metres: how strongly out-of-focus planes blur (a fast lens on a small set)

WALLS = [(226, 214, 196), (206, 208, 200), (188, 200, 186), (180, 192, 206), (222, 200, 180), (214, 206, 214)]
FLOORS = [(150, 104, 70), (122, 86, 60), (176, 140, 100), (96, 80, 72), (190, 184, 176)]
FABRICS = [(120, 60, 60), (70, 90, 120), (150, 130, 90), (90, 110, 80), (110, 80, 120), (60, 60, 70)]

THEMES = {
    "hall": ("hall", "banquet", "ballroom", "lobby", "厅", "宴", "大堂"),
    "office": ("office", "meeting", "company", "办公", "会议", "公司"),
    "bedroom": ("bedroom", "卧室", "房间", "病房", "hospital", "ward"),
    "cafe": ("cafe", "café", "coffee", "restaurant", "bar", "咖啡", "餐厅", "酒吧", "饭店"),
    "bridge": ("bridge", "river", "桥", "江", "河"),
    "gate": ("gate", "villa", "mansion", "entrance", "门口", "大门", "别墅"),
    "park": ("park", "garden", "forest", "wood", "公园", "花园", "树林", "山"),
}


INTERIOR_THEMES = ("hall", "office", "bedroom", "cafe")


def theme_of(scene: SceneContext, prompt: str) -> str:
    """The set to build: named by the location, else by the prompt (whole words: "shallow" is no hall),
    and only sets of the right kind (a villa gate outside, a banquet hall inside)."""
    for text in (scene.location.lower(), prompt.lower()):
        for theme, words in THEMES.items():
            if (theme in INTERIOR_THEMES) == scene.interior and mentions(text, words):
                return theme
    return "living" if scene.interior else "street"


RAIN_WORDS = re.compile(r"\b(rain|rains|raining|rainy|storm|stormy|downpour)\b|雨")


def is_raining(scene: SceneContext, prompt: str) -> bool:
    """Weather is for exteriors only, and matched as whole words ("film grain" is not rain)."""
    return not scene.interior and RAIN_WORDS.search(f"{scene.location} {prompt}".lower()) is not None


@dataclass
class Stage:
    """What the backdrop builders share: the rest camera, the subject depth, the light and the dice."""

    view: View
    poses: Sequence[CameraPose]
    framing: Framing
    look: Look
    rng: np.random.Generator
    focal: float  # pixels, at rest

    @property
    def subject(self) -> float:
        return self.framing.distance

    @property
    def eye(self) -> tuple[float, float]:
        return self.framing.offset_x, self.framing.height

    def plate(self, name: str, z: float, *, opaque: bool = False, fill: RGB = (0, 0, 0)) -> Plate:
        """A plate covering every frame; out-of-focus plates are drawn coarser (the blur hides it)."""
        extent, density = coverage(z, self.view, self.poses)
        screen_blur = APERTURE * self.focal * abs(1 / self.subject - 1 / z)
        return Plate(name, z, extent, density, opaque=opaque, fill=fill, coarse=float(np.clip(screen_blur / 1.5, 1.0, 4.0)))

    def blur(self, plate: Plate) -> float:
        """Depth-of-field blur for a plate, in its own pixels (sharp at the subject's depth)."""
        screen = APERTURE * self.focal * abs(1 / self.subject - 1 / plate.z)
        return min(screen * plate.ppu * plate.z / self.focal, 40.0)

    def ground(self, plate: Plate, x: float, z: float) -> tuple[float, float]:
        """A floor point (x, 0, z) as drawn on `plate`'s plane from the rest camera."""
        cx, h = self.eye
        k = plate.z / z
        return cx + (x - cx) * k, h * (1 - k)

    def finish(self, plate: Plate, *, depth=None, motion: Motion | None = None) -> Layer:
        return plate.layer(self.blur(plate), depth, motion)


def build_backdrop(scene: SceneContext, prompt: str, stage: Stage) -> tuple[list[Layer], list[Layer]]:
    """(layers behind the people far→near with the opaque base first, layers in front of them)."""
    if scene.location_image is not None:
        behind = [_location_image(scene.location_image, stage)]
    elif scene.interior:
        behind = _interior(theme_of(scene, prompt), stage)
    else:
        behind = _exterior(theme_of(scene, prompt), stage)
    front = []
    if stage.framing.shot in ("MS", "FS", "WS", "EWS") and stage.rng.random() < 0.5:
        front.append(_foreground(scene.interior, stage))
    if is_raining(scene, prompt):
        front.append(_rain(stage))
    return behind, front


# ------------------------------------------------------------------ location image


def _location_image(path: Path, stage: Stage) -> Layer:
    if not Path(path).is_file():
        raise FileNotFoundError(f"location image not found: {path} (fix the scene's location_image path)")
    z = stage.subject + 6.0
    plate = stage.plate("location", z, opaque=True)
    with Image.open(path) as source:
        fitted = ImageOps.fit(source.convert("RGB"), plate.image.size, Image.BILINEAR)
    plate.image.paste(fitted)
    plate.light(stage.look, key_strength=0.4)
    return stage.finish(plate)


# ------------------------------------------------------------------ interiors


def _interior(theme: str, stage: Stage) -> list[Layer]:
    rng, look = stage.rng, stage.look
    ceiling = 4.6 if theme == "hall" else 2.8
    wall = WALLS[rng.integers(len(WALLS))] if theme != "hall" else (226, 204, 160)
    floor = FLOORS[rng.integers(len(FLOORS))] if theme != "hall" else (216, 210, 200)
    back = stage.subject + rng.uniform(2.4, 4.0) + (3.0 if theme == "hall" else 0.0)
    half = max(rng.uniform(2.6, 4.5), 1.5) * (1.8 if theme == "hall" else 1.0)
    cx, h = stage.eye

    far = stage.plate("room", back, opaque=True, fill=shade(floor, 0.8))
    close = stage.framing.shot in CLOSE
    if close:  # the floor is out of focus and mostly hidden: painted on the back plate, one layer less per frame
        _draw_floor(far, stage, floor, back, half, theme)
    big = 60.0  # far along the receding edges

    def out(x: float, y: float) -> tuple[float, float]:
        return cx + (x - cx) * big, h + (y - h) * big

    a, b, c, d = (-half, 0.0), (half, 0.0), (half, ceiling), (-half, ceiling)
    far.poly([d, c, out(*c), out(*d)], shade(wall, 0.8))
    far.poly([d, a, out(*a), out(*d)], shade(wall, 0.86))
    far.poly([b, c, out(*c), out(*b)], shade(wall, 0.86))
    far.rect(-half, 0, half, ceiling, wall)
    far.rect(-half, 0, half, 0.12, shade(wall, 0.7))
    far.rect(-half, ceiling - 0.08, half, ceiling, shade(wall, 1.08))
    spots = list(rng.permutation(np.linspace(-half + 0.9, half - 0.9, 5)))
    window_x = float(spots.pop())
    _window(far, window_x, 0.8 if theme != "hall" else 0.3, ceiling - (0.45 if theme != "hall" else 0.8), rng.uniform(1.1, 1.8), look, rng, theme)
    door_x = float(spots.pop())
    _door(far, door_x, 2.2 if theme != "hall" else 3.0, rng)
    for x in spots[:2]:
        _picture(far, float(x), rng.uniform(1.4, 1.8) + (1.0 if theme == "hall" else 0), rng)
    far.light(look)
    if look.lamps:
        far.glow(window_x, 1.6, 1.6, (40, 36, 30) if look.night else (80, 60, 40), 0.5)
    layers = [stage.finish(far)]

    mid = stage.plate("furniture", back - 0.5)
    _furniture(theme, mid, rng, look, ceiling, avoid=stage.subject)
    mid.light(look)
    for x, y, r, color in getattr(mid, "lamps", []):
        mid.glow(x, y, r, color)
    layers.append(stage.finish(mid))

    if not close:
        layers.append(_floor(stage, floor, back, half, theme))
    return layers


def _window(plate: Plate, x: float, y0: float, y1: float, width: float, look: Look, rng, theme: str) -> None:
    x0, x1 = x - width / 2, x + width / 2
    plate.rect(x0 - 0.08, y0 - 0.08, x1 + 0.08, y1 + 0.08, shade((236, 232, 226), 0.9))
    plate.gradient(y1, y0, look.sky_top, look.sky_horizon, x0=x0, x1=x1, emissive=True)
    # outside: a few rooftops, lit at night
    skyline = mix(look.haze, (20, 24, 36), 0.55 if look.night else 0.25)
    bx = x0
    while bx < x1:
        w = rng.uniform(0.15, 0.4)
        top = y0 + rng.uniform(0.1, 0.6) * (y1 - y0)
        plate.rect(bx, y0, min(x1, bx + w), top, skyline, emissive=True)
        if look.lamps:
            for _ in range(3):
                wx, wy = rng.uniform(bx, min(x1, bx + w)), rng.uniform(y0, top)
                plate.rect(wx, wy, wx + 0.025, wy + 0.03, (255, 214, 140), emissive=True)
        bx += w
    frame = (240, 238, 232)
    plate.line([(x, y0), (x, y1)], frame, 0.05)
    plate.line([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], frame, 0.05)
    cloth = FABRICS[rng.integers(len(FABRICS))]
    for side in (-1, 1):  # curtains
        edge = x0 if side < 0 else x1
        plate.poly([(edge - side * 0.35, y1 + 0.25), (edge + side * 0.25, y1 + 0.25), (edge + side * 0.1, y0 - 0.3), (edge - side * 0.4, y0 - 0.3)], cloth)
        for k in range(3):
            fx = edge - side * 0.3 + side * 0.15 * k
            plate.line([(fx, y1 + 0.2), (fx + side * 0.02, y0 - 0.25)], shade(cloth, 0.75), 0.02)
    plate.rect(x0 - 0.5, y1 + 0.22, x1 + 0.5, y1 + 0.3, (90, 80, 70))


def _door(plate: Plate, x: float, height: float, rng) -> None:
    wood = mix((110, 72, 48), (60, 44, 36), rng.random())
    plate.rect(x - 0.55, 0, x + 0.55, height + 0.08, shade(wood, 1.2))
    plate.rect(x - 0.47, 0, x + 0.47, height, wood)
    for y0, y1 in ((0.2, height * 0.45), (height * 0.55, height - 0.15)):
        plate.rect(x - 0.35, y0, x + 0.35, y1, shade(wood, 0.85))
    plate.ellipse(x + 0.36, 1.0, 0.04, 0.04, (200, 180, 120))


def _picture(plate: Plate, x: float, y: float, rng) -> None:
    w, h = rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.7)
    plate.rect(x - w / 2 - 0.04, y - h / 2 - 0.04, x + w / 2 + 0.04, y + h / 2 + 0.04, (60, 48, 40))
    a, b = FABRICS[rng.integers(len(FABRICS))], WALLS[rng.integers(len(WALLS))]
    plate.gradient(y + h / 2, y - h / 2, b, a, x0=x - w / 2, x1=x + w / 2)


def _furniture(theme: str, plate: Plate, rng, look: Look, ceiling: float, avoid: float) -> None:
    """Silhouettes against the back wall; lamps are recorded for their glow."""
    plate.lamps = []  # type: ignore[attr-defined]
    side = float(rng.choice((-1, 1)))
    fabric = FABRICS[rng.integers(len(FABRICS))]
    wood = mix((120, 84, 56), (70, 52, 40), rng.random())
    if theme == "hall":
        for x in (-3.2, 0.0, 3.2):
            x += rng.uniform(-0.4, 0.4)
            plate.ellipse(x, 0.76, 0.9, 0.1, (246, 244, 238))
            plate.poly([(x - 0.9, 0.76), (x + 0.9, 0.76), (x + 0.95, 0.0), (x - 0.95, 0.0)], (240, 238, 232))
        tx = side * 1.6
        for row in range(5):  # champagne tower
            n = 5 - row
            for i in range(n):
                gx = tx + (i - (n - 1) / 2) * 0.12
                plate.poly([(gx - 0.05, 0.8 + row * 0.13 + 0.12), (gx + 0.05, 0.8 + row * 0.13 + 0.12), (gx, 0.8 + row * 0.13)], (236, 206, 120), emissive=True)
        for x in (-2.5, 2.5):
            _chandelier(plate, x + rng.uniform(-0.5, 0.5), ceiling, look)
        return
    if theme == "office":
        plate.rect(side * 1.8 - 0.8, 0.72, side * 1.8 + 0.8, 0.78, wood)
        plate.rect(side * 1.8 - 0.75, 0, side * 1.8 - 0.7, 0.72, shade(wood, 0.7))
        plate.rect(side * 1.8 + 0.7, 0, side * 1.8 + 0.75, 0.72, shade(wood, 0.7))
        plate.rect(side * 1.8 - 0.3, 0.8, side * 1.8 + 0.3, 1.15, (30, 32, 36))
        plate.rect(side * 1.8 - 0.26, 0.84, side * 1.8 + 0.26, 1.11, (70, 110, 150), emissive=look.night)
        plate.rect(-side * 2.2 - 0.3, 0, -side * 2.2 + 0.3, 1.3, (130, 134, 140))
    elif theme == "bedroom":
        plate.rect(side * 1.2 - 1.0, 0, side * 1.2 + 1.0, 1.1, shade(wood, 0.9))
        plate.rect(side * 1.2 - 1.05, 0.3, side * 1.2 + 1.05, 0.6, (236, 234, 228))
        plate.rect(side * 1.2 - 1.05, 0.45, side * 1.2 + 1.05, 0.62, fabric)
    elif theme == "cafe":
        plate.rect(-3.5, 0, 3.5, 1.05, wood)
        plate.rect(-3.6, 1.05, 3.6, 1.12, shade(wood, 0.6))
        for x in (-2.0, 0.0, 2.0):
            plate.line([(x, ceiling), (x, 2.1)], (40, 40, 40), 0.015)
            plate.poly([(x - 0.2, 2.1), (x + 0.2, 2.1), (x + 0.1, 2.25), (x - 0.1, 2.25)], (50, 50, 54))
            if look.lamps or look.time == "day":
                plate.lamps.append((x, 2.05, 0.9, (110, 80, 40)))  # type: ignore[attr-defined]
    else:  # living room: sofa, lamp, plant, shelf
        sx = side * rng.uniform(0.8, 1.8)
        plate.rect(sx - 1.1, 0.1, sx + 1.1, 0.85, fabric)
        plate.rect(sx - 1.25, 0.1, sx - 0.95, 0.65, shade(fabric, 0.85))
        plate.rect(sx + 0.95, 0.1, sx + 1.25, 0.65, shade(fabric, 0.85))
        plate.rect(sx - 0.9, 0.45, sx + 0.9, 0.6, shade(fabric, 1.1))
        lx = sx + side * 1.6
        plate.rect(lx - 0.25, 0, lx + 0.25, 0.55, wood)
        plate.line([(lx, 0.55), (lx, 1.25)], (60, 56, 50), 0.03)
        plate.poly([(lx - 0.22, 1.25), (lx + 0.22, 1.25), (lx + 0.14, 1.55), (lx - 0.14, 1.55)], (240, 226, 190), emissive=look.lamps)
        if look.lamps:
            plate.lamps.append((lx, 1.4, 1.3, (120, 90, 40)))  # type: ignore[attr-defined]
        bx = -side * rng.uniform(1.8, 2.6)
        plate.rect(bx - 0.5, 0, bx + 0.5, 1.9, shade(wood, 0.9))
        for shelf in range(4):
            y = 0.1 + shelf * 0.45
            plate.rect(bx - 0.45, y, bx + 0.45, y + 0.04, shade(wood, 0.7))
            x = bx - 0.42
            while x < bx + 0.4:
                w = rng.uniform(0.03, 0.07)
                plate.rect(x, y + 0.04, x + w, y + rng.uniform(0.22, 0.36), FABRICS[rng.integers(len(FABRICS))])
                x += w + 0.01
    # a plant in a pot
    px = side * rng.uniform(2.5, 3.2)
    plate.poly([(px - 0.18, 0), (px + 0.18, 0), (px + 0.22, 0.35), (px - 0.22, 0.35)], (170, 110, 80))
    for _ in range(9):
        a = rng.uniform(-1.2, 1.2)
        plate.ellipse(px + math.sin(a) * 0.35, 0.55 + math.cos(a) * 0.45, 0.16, 0.07, (60, 110, 60))


def _chandelier(plate: Plate, x: float, ceiling: float, look: Look) -> None:
    plate.line([(x, ceiling), (x, ceiling - 0.8)], (200, 180, 120), 0.03)
    for ring, (r, y) in enumerate(((0.7, ceiling - 1.0), (0.45, ceiling - 1.25), (0.25, ceiling - 1.45))):
        for k in range(9 - ring * 2):
            cx = x - r + 2 * r * k / max(1, 8 - ring * 2)
            plate.ellipse(cx, y - 0.05 * math.sin(k), 0.035, 0.07, (255, 240, 200), emissive=True)
    plate.lamps.append((x, ceiling - 1.2, 2.4, (150, 120, 70)))  # type: ignore[attr-defined]


def _floor(stage: Stage, color: RGB, back: float, half: float, theme: str) -> Layer:
    plate = stage.plate("floor", stage.subject)
    _draw_floor(plate, stage, color, back, half, theme)
    plate.light(stage.look)
    return stage.finish(plate, depth=_ground_depth(plate, stage))


def _draw_floor(plate: Plate, stage: Stage, color: RGB, back: float, half: float, theme: str) -> None:
    """Boards (or hall tiles) and a rug, in perspective as seen on `plate`'s plane."""
    z = stage.subject
    near = max(0.3, z * 0.3)
    g = lambda x, zz: stage.ground(plate, x, zz)  # noqa: E731
    plate.poly([g(-half, back), g(half, back), g(half, near), g(-half, near)], color)
    step = 0.5 if theme == "hall" else 0.18
    x = -half
    while x <= half:
        plate.line([g(x, back), g(x, near)], shade(color, 0.82), 0.01)
        x += step
    zz = back
    while zz > near:
        plate.line([g(-half, zz), g(half, zz)], shade(color, 0.85 if theme == "hall" else 0.9), 0.01)
        zz -= step * (2 if theme != "hall" else 1)
    rug = FABRICS[stage.rng.integers(len(FABRICS))]
    x0 = stage.framing.offset_x
    plate.poly([g(x0 - 1.3, z + 1.4), g(x0 + 1.3, z + 1.4), g(x0 + 1.3, z - 0.7), g(x0 - 1.3, z - 0.7)], shade(rug, 1.05))


def _ground_depth(plate: Plate, stage: Stage) -> np.ndarray:
    """World depth of each row of a ground plate (rows above the horizon get the plate's own depth)."""
    _, h = stage.eye
    rows = np.arange(plate.image.size[1])
    y = plate.top - rows / plate.ppu
    with np.errstate(divide="ignore"):
        depth = np.where(y < h - 1e-3, plate.z * h / np.maximum(h - y, 1e-3), 1e4)
    return np.clip(depth, 0.1, 1e4)


# ------------------------------------------------------------------ exteriors


def _exterior(theme: str, stage: Stage) -> list[Layer]:
    rng, look = stage.rng, stage.look
    cx, h = stage.eye
    sky = stage.plate("sky", stage.subject + 150.0, opaque=True, fill=look.haze)
    sky.gradient(sky.top, h, look.sky_top, look.sky_horizon, emissive=True)
    if look.night:
        for _ in range(160):
            sx, sy = rng.uniform(sky.x0, sky.x1), rng.uniform(h + 5, sky.top)
            sky.ellipse(sx, sy, 0.12, 0.12, (220, 226, 240), emissive=True)
    if look.sun is not None:
        sx, sy = rng.uniform(sky.x0 * 0.6, sky.x1 * 0.6), h + rng.uniform(8, 30) * (0.4 if look.time in ("dusk", "dawn") else 1)
        sky.ellipse(sx, sy, 2.2, 2.2, look.sun, emissive=True)
        sky.glow(sx, sy, 12, tuple(int(c * 0.25) for c in look.sun), 0.6)  # type: ignore[arg-type]
    if not look.night:
        for _ in range(6):
            kx, ky = rng.uniform(sky.x0, sky.x1), h + rng.uniform(10, 45)
            for j in range(4):
                sky.ellipse(kx + j * 3.5, ky + (j % 2) * 1.2, 5.0, 2.0, mix(look.sky_horizon, (255, 255, 255), 0.6), emissive=True)
    skyline = mix(look.haze, (30, 34, 48), 0.45 if look.night else 0.2)
    x = sky.x0
    while x < sky.x1:
        w = rng.uniform(8, 22)
        top = rng.uniform(6, 40) if theme not in ("park",) else rng.uniform(4, 12)
        if theme == "park":
            sky.ellipse(x + w / 2, 0, w * 0.8, top, mix(look.haze, (40, 70, 50), 0.4))
        else:
            sky.rect(x, -2, x + w, top, skyline)
            if look.lamps:
                for _ in range(int(w * top / 25)):
                    wx, wy = rng.uniform(x, x + w), rng.uniform(0, top)
                    sky.rect(wx, wy, wx + 0.8, wy + 0.8, (250, 210, 140), emissive=True)
        x += w * rng.uniform(0.7, 1.1)
    if theme == "bridge":  # the river below the horizon, with light reflections
        sky.rect(sky.x0, sky.y0, sky.x1, 0.0, mix(look.sky_horizon, (10, 20, 34), 0.6))
        for _ in range(40):
            rx = rng.uniform(sky.x0, sky.x1)
            sky.rect(rx, -rng.uniform(3, 12), rx + 0.6, 0, (200, 170, 110) if look.lamps else (200, 210, 220), emissive=True)
    else:
        sky.rect(sky.x0, sky.y0, sky.x1, 0.0, shade(look.haze, 0.8))
    sky.light(look)
    layers = [stage.finish(sky)]

    mid_z = stage.subject + (6.0 if theme == "gate" else 14.0)
    mid = stage.plate("street", mid_z)
    _street_side(theme, mid, rng, look)
    mid.light(look)
    for lx, ly, r, color in getattr(mid, "lamps", []):
        mid.glow(lx, ly, r, color)
    layers.append(stage.finish(mid))
    layers.append(_road(stage, theme, mid_z))
    return layers


def _street_side(theme: str, plate: Plate, rng, look: Look) -> None:
    plate.lamps = []  # type: ignore[attr-defined]
    lamp = (150, 120, 60)
    if theme == "bridge":
        plate.rect(plate.x0, 0.0, plate.x1, 1.1, (0, 0, 0), alpha=0)
        for y in (1.05, 0.55):
            plate.line([(plate.x0, y), (plate.x1, y)], (70, 72, 78), 0.06)
        x = math.floor(plate.x0)
        while x < plate.x1:
            plate.line([(x, 0), (x, 1.1)], (70, 72, 78), 0.05)
            x += 1.2
        x = math.floor(plate.x0 / 12) * 12
        while x < plate.x1:
            plate.line([(x, 0), (x, 5.5)], (50, 52, 58), 0.14)
            plate.ellipse(x, 5.6, 0.3, 0.18, (255, 226, 160) if look.lamps else (200, 200, 200), emissive=look.lamps)
            if look.lamps:
                plate.lamps.append((x, 5.4, 3.0, lamp))
            x += 12
        return
    if theme == "gate":
        plate.rect(plate.x0, 0, plate.x1, 2.6, (150, 140, 126))
        plate.rect(plate.x0, 2.6, plate.x1, 2.8, (120, 112, 100))
        gx = rng.uniform(-2, 2)
        plate.rect(gx - 2.6, 0, gx + 2.6, 3.4, (0, 0, 0), alpha=0)
        for k in range(27):
            bx = gx - 2.5 + k * 0.19
            plate.line([(bx, 0), (bx, 3.2 + 0.2 * math.cos(k / 26 * math.pi * 2))], (30, 30, 34), 0.035)
        for side in (-1, 1):
            plate.rect(gx + side * 2.6 - 0.35, 0, gx + side * 2.6 + 0.35, 3.8, (170, 160, 146))
            plate.ellipse(gx + side * 2.6, 4.0, 0.25, 0.25, (255, 230, 170) if look.lamps else (220, 220, 220), emissive=look.lamps)
            if look.lamps:
                plate.lamps.append((gx + side * 2.6, 4.0, 2.2, lamp))
        # the villa beyond the gate and a black car in front of it
        plate.rect(gx - 5, 2.8, gx + 5, 8.5, (210, 200, 184))
        plate.poly([(gx - 5.6, 8.5), (gx + 5.6, 8.5), (gx, 11)], (90, 70, 64))
        for wx in np.arange(gx - 4, gx + 4.1, 1.6):
            plate.rect(wx - 0.35, 4.2, wx + 0.35, 5.4, (255, 214, 140) if look.lamps else (120, 140, 160), emissive=look.lamps)
            plate.rect(wx - 0.35, 6.3, wx + 0.35, 7.5, (255, 214, 140) if look.lamps and rng.random() < 0.6 else (120, 140, 160), emissive=look.lamps)
        car = gx + rng.choice((-1, 1)) * rng.uniform(3.5, 5.5)
        plate.poly([(car - 2.4, 0.25), (car + 2.4, 0.25), (car + 2.35, 0.8), (car + 1.2, 0.95), (car + 0.7, 1.45), (car - 1.0, 1.45),
                    (car - 1.6, 0.95), (car - 2.4, 0.85)], (16, 16, 20))
        plate.poly([(car + 0.6, 1.0), (car + 1.05, 1.0), (car + 0.65, 1.38), (car - 0.9, 1.38), (car - 1.4, 1.0)], (60, 70, 84))
        for wx in (car - 1.5, car + 1.5):
            plate.ellipse(wx, 0.33, 0.35, 0.35, (10, 10, 12))
        if look.lamps:
            plate.ellipse(car + 2.3, 0.72, 0.12, 0.08, (255, 240, 200), emissive=True)
            plate.lamps.append((car + 2.6, 0.7, 1.6, (120, 110, 80)))
        return
    if theme == "park":
        x = plate.x0
        while x < plate.x1:
            _tree(plate, x, rng)
            x += rng.uniform(3, 7)
        return
    x = plate.x0
    while x < plate.x1:  # a row of buildings with shop fronts
        w = rng.uniform(6, 14)
        top = rng.uniform(9, 28)
        wall = mix(WALLS[rng.integers(len(WALLS))], (90, 90, 96), rng.uniform(0.1, 0.5))
        plate.rect(x, 0, x + w - 0.2, top, wall)
        plate.rect(x + 0.3, 0, x + w - 0.5, 2.8, (40, 44, 50) if not look.lamps else (250, 210, 150), emissive=look.lamps)
        for fy in np.arange(3.8, top - 1.5, 3.0):
            for fx in np.arange(x + 0.8, x + w - 1.2, 1.8):
                lit = look.lamps and rng.random() < 0.45
                plate.rect(fx, fy, fx + 0.9, fy + 1.4, (255, 214, 140) if lit else shade(wall, 0.55), emissive=lit)
        x += w
    x = math.floor(plate.x0 / 9) * 9
    while x < plate.x1:
        if rng.random() < 0.6:
            _tree(plate, x + 4.5, rng)
        plate.line([(x, 0), (x, 5.0)], (40, 42, 46), 0.12)
        plate.ellipse(x, 5.1, 0.3, 0.18, (255, 226, 160) if look.lamps else (200, 200, 200), emissive=look.lamps)
        if look.lamps:
            plate.lamps.append((x, 4.9, 3.2, lamp))
        x += 9


def _tree(plate: Plate, x: float, rng) -> None:
    height = rng.uniform(4, 7)
    plate.line([(x, 0), (x, height * 0.55)], (70, 52, 40), 0.3)
    green = mix((50, 100, 50), (90, 130, 60), rng.random())
    for _ in range(7):
        plate.ellipse(x + rng.uniform(-1.2, 1.2), height * rng.uniform(0.55, 0.9), rng.uniform(0.9, 1.5), rng.uniform(0.8, 1.2), shade(green, rng.uniform(0.8, 1.1)))


def _road(stage: Stage, theme: str, far_z: float) -> Layer:
    z = stage.subject
    plate = stage.plate("ground", z)
    g = lambda x, zz: stage.ground(plate, x, zz)  # noqa: E731
    near = max(0.3, z * 0.3)
    wide = 400.0
    if theme == "park":
        plate.poly([g(-wide, far_z), g(wide, far_z), g(wide, near), g(-wide, near)], (88, 130, 70))
        plate.poly([g(-1.2, far_z), g(1.2, far_z), g(1.6, near), g(-1.6, near)], (190, 170, 130))
    elif theme == "bridge":
        plate.poly([g(-wide, far_z - 1.5), g(wide, far_z - 1.5), g(wide, near), g(-wide, near)], (70, 72, 76))
        for zz in np.arange(far_z - 1.5, near, -1.2):
            plate.line([g(-wide, zz), g(wide, zz)], (60, 62, 66), 0.02)
    else:
        road = (62, 64, 70) if theme != "gate" else (120, 116, 110)
        plate.poly([g(-wide, far_z), g(wide, far_z), g(wide, near), g(-wide, near)], road)
        kerb = far_z - 3.5
        plate.poly([g(-wide, far_z), g(wide, far_z), g(wide, kerb), g(-wide, kerb)], (150, 146, 140))
        plate.line([g(-wide, kerb), g(wide, kerb)], (200, 196, 190), 0.04)
        if theme != "gate":  # the centre line, dashed
            centre = stage.framing.offset_x + stage.rng.uniform(-3, 3)
            for zz in np.arange(kerb - 4.0, near + 2.0, -4.0):
                plate.poly([g(centre - 0.08, zz), g(centre + 0.08, zz), g(centre + 0.08, zz - 2.0), g(centre - 0.08, zz - 2.0)], (226, 220, 200))
    plate.light(stage.look)
    return stage.finish(plate, depth=_ground_depth(plate, stage))


# ------------------------------------------------------------------ in front of the people


def _foreground(interior: bool, stage: Stage) -> Layer:
    """A blurred object close to the lens at one side: frames the shot and shows depth."""
    rng = stage.rng
    z = stage.subject * 0.45
    plate = stage.plate("foreground", z)
    (x0, y0, x1, y1), _ = coverage(z, stage.view, stage.poses[:1], margin=0.0)
    side = float(rng.choice((-1, 1)))
    x = x0 if side < 0 else x1
    size = (y1 - y0) * 0.28
    green = (50, 90, 50) if not stage.look.night else (20, 34, 26)
    for _ in range(10):
        plate.ellipse(x + rng.uniform(-0.5, 0.3) * size * -side, y0 + rng.uniform(0.0, 0.8) * size, 0.35 * size, 0.15 * size, shade(green, rng.uniform(0.7, 1.2)))
    plate.light(stage.look)
    return plate.layer(min(40.0, stage.blur(plate) + 4))


def _rain(stage: Stage) -> Layer:
    """Falling streaks on a plane between camera and subject, moved down a little every frame."""
    rng = stage.rng
    z = stage.subject * 0.7
    n = len(stage.poses)
    extent, density = coverage(z, stage.view, stage.poses)
    fall = 0.045 * n * (extent[3] - extent[1])  # the sheet slides ~4.5 % of the frame height per frame
    x0, y0, x1, y1 = extent
    plate = Plate("rain", z, (x0, y0, x1, y1 + fall), density * 0.5, opaque=False)
    length = (y1 - y0) * 0.04
    tone = (96, 106, 128) if stage.look.night else (196, 202, 212)  # as seen through: the streaks are cut out hard
    for _ in range(int(900 * (x1 - x0) / (y1 - y0))):
        sx, sy = rng.uniform(x0, x1), rng.uniform(y0, y1 + fall)
        plate.line([(sx, sy), (sx - length * 0.12, sy - length)], tone, length * 0.012, emissive=True)
    seconds = np.arange(n) / max(1, n - 1)
    motion = Motion(dx=np.zeros(n), dy=-fall * seconds, sy=np.ones(n), state=np.zeros(n, int))
    return Layer("rain", z, [plate.image], plate.ppu, (plate.x0, plate.top), z, motion=motion).hardened()
