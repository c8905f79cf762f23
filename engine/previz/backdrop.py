"""The place behind (and in front of) the people: the set chosen for the scene (engine/previz/sets.py)
built as plates at several depths so camera moves show parallax, or a location image.

Everything is drawn in world metres on each plate's plane as seen from the camera at rest, in one-
point perspective (floors and side walls recede to the vanishing point at camera height). The set's
palette and the layout of its elements (engine/previz/dressing.py) are drawn from the seeded
generator, so draws of one shot differ while staying the same place.
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
from engine.previz.dressing import ELEMENTS, FABRICS, Space, passerby
from engine.previz.layers import Layer, Motion, View, coverage
from engine.previz.look import Look
from engine.previz.plate import Plate
from engine.previz.sets import Set

CLOSE = ("ECU", "CU", "MCU", "OTS")  # shots whose floor is drawn on the back plate
APERTURE = 0.012  # metres: how strongly out-of-focus planes blur (a fast lens on a small set)


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


def build_backdrop(scene: SceneContext, prompt: str, chosen: Set, stage: Stage) -> tuple[list[Layer], list[Layer], Space | None]:
    """(layers behind the people far→near with the opaque base first, layers in front of them, the
    room or site they are in — None for a location image)."""
    space = None
    if scene.location_image is not None:
        behind = [_location_image(scene.location_image, stage)]
    elif chosen.inside:
        behind, space = _interior(chosen, stage, scene.extras)
    else:
        behind, space = _exterior(chosen, stage, scene.extras)
    front = []
    if stage.framing.shot in ("MS", "FS", "WS", "EWS") and stage.rng.random() < 0.5:
        front.append(_foreground(scene.interior, stage))
    if is_raining(scene, prompt):
        front.append(_rain(stage))
    return behind, front, space


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


def _interior(chosen: Set, stage: Stage, extras: int) -> tuple[list[Layer], Space]:
    rng, look = stage.rng, stage.look
    wall = chosen.walls[rng.integers(len(chosen.walls))]
    floor = chosen.floors[rng.integers(len(chosen.floors))]
    back = stage.subject + rng.uniform(*chosen.depth)
    half = rng.uniform(*chosen.half)
    ceiling = chosen.ceiling
    cx, h = stage.eye
    space = Space(rng, look, stage.eye, stage.subject, half, ceiling, back, wall,
                  wood=mix((120, 84, 56), (70, 52, 40), rng.random()), fabric=FABRICS[rng.integers(len(FABRICS))])

    far = stage.plate("room", back, opaque=True, fill=shade(floor, 0.8))
    close = stage.framing.shot in CLOSE
    if close:  # the floor is out of focus and mostly hidden: painted on the back plate, one layer less per frame
        _draw_floor(far, stage, chosen.floor, floor, back, half)
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
    for name in chosen.side:
        ELEMENTS[name](far, 0.0, space)
    seen = stage.view.width / 2 * back / stage.focal  # half the frame's width at the back wall
    for name, x in zip(chosen.back, _slots(rng, min(half, seen), len(chosen.back)), strict=True):
        ELEMENTS[name](far, x, space)
    _lit(far, space)
    layers = [stage.finish(far)]

    if chosen.furniture or extras:
        mid = stage.plate("furniture", max(stage.subject + 0.05, back - 0.5))
        for name, x in zip(chosen.furniture, _slots(rng, min(half, seen), len(chosen.furniture)), strict=True):
            ELEMENTS[name](mid, x, space)
        _crowd(mid, space, extras, min(half, seen))
        _lit(mid, space)
        layers.append(stage.finish(mid))

    if not close:
        layers.append(_floor(stage, chosen.floor, floor, back, half))
    return layers, space


def _crowd(plate: Plate, space: Space, extras: int, half: float) -> None:
    """The scene's extras standing about the far side of the set (at most a dozen are drawn)."""
    for x in np.sort(space.rng.uniform(-half, half, min(extras, 12))):
        passerby(plate, float(x), space)


def _slots(rng: np.random.Generator, half: float, n: int) -> list[float]:
    """Seeded places for n elements, apart from each other, across `half` each side of the middle."""
    inner = max(0.3, half - 0.6)
    spots = np.linspace(-inner, inner, max(n, 4))
    return [float(x) for x in rng.permutation(spots)[:n] + rng.uniform(-0.25, 0.25, n)]


def _lit(plate: Plate, space: Space) -> None:
    """The scene light on a plate, then the glow of the lamps its elements put up."""
    plate.light(space.look)
    for x, y, r, color in space.lamps:
        plate.glow(x, y, r, color)
    space.lamps.clear()


def _floor(stage: Stage, style: str, color: RGB, back: float, half: float) -> Layer:
    plate = stage.plate("floor", stage.subject)
    _draw_floor(plate, stage, style, color, back, half)
    plate.light(stage.look)
    return stage.finish(plate, depth=_ground_depth(plate, stage))


def _draw_floor(plate: Plate, stage: Stage, style: str, color: RGB, back: float, half: float) -> None:
    """The floor in perspective as seen on `plate`'s plane: boards, tiles, stone, carpet, metal or a court."""
    z = stage.subject
    near = max(0.3, z * 0.3)
    g = lambda x, zz: stage.ground(plate, x, zz)  # noqa: E731
    plate.poly([g(-half, back), g(half, back), g(half, near), g(-half, near)], color)
    across, along = {"boards": (0.18, 0.36), "tiles": (0.6, 0.6), "stone": (1.0, 1.0), "metal": (0.12, 0.0),
                     "carpet": (0.0, 0.0), "court": (0.0, 0.0)}[style]
    line = shade(color, 0.82)
    if across:
        for x in np.arange(-half, half + 1e-6, across):
            plate.line([g(x, back), g(x, near)], line, 0.01)
    if along:
        for zz in np.arange(back, near, -along):
            plate.line([g(-half, zz), g(half, zz)], shade(color, 0.88), 0.01)
    if style == "court":
        _court_lines(plate, stage, 0.0, back, near)
    elif style in ("boards", "carpet"):  # a rug under the people
        rug = FABRICS[stage.rng.integers(len(FABRICS))]
        x0 = stage.framing.offset_x
        plate.poly([g(x0 - 1.3, z + 1.4), g(x0 + 1.3, z + 1.4), g(x0 + 1.3, z - 0.7), g(x0 - 1.3, z - 0.7)], shade(rug, 1.05))


def _court_lines(plate: Plate, stage: Stage, x: float, baseline: float, near: float) -> None:
    """A basketball court's markings below a hoop at x over the baseline: the key, the free-throw circle
    and the three-point arc, painted 5 cm wide on the ground."""
    g = lambda px, zz: stage.ground(plate, px, zz)  # noqa: E731
    key = baseline - 5.8
    plate.poly([g(x - 2.45, baseline), g(x + 2.45, baseline), g(x + 2.45, max(key, near)), g(x - 2.45, max(key, near))], (176, 70, 50))
    lines = [[(x - 40, baseline), (x + 40, baseline)], [(x - 2.45, baseline), (x - 2.45, key), (x + 2.45, key), (x + 2.45, baseline)]]
    for arc, radius, centre in ((np.linspace(0, math.pi, 24), 1.8, key), (np.linspace(0.1, math.pi - 0.1, 40), 6.75, baseline - 1.6)):
        lines.append([(x + radius * math.cos(t), centre - radius * math.sin(t)) for t in arc])
    for points in lines:
        for (x0, z0), (x1, z1) in zip(points, points[1:], strict=False):
            if min(z0, z1) <= near:
                continue
            length = math.hypot(x1 - x0, z1 - z0)
            nx, nz = -(z1 - z0) / length * 0.025, (x1 - x0) / length * 0.025
            plate.poly([g(x0 + nx, z0 + nz), g(x1 + nx, z1 + nz), g(x1 - nx, z1 - nz), g(x0 - nx, z0 - nz)], (244, 240, 230))


def _ground_depth(plate: Plate, stage: Stage) -> np.ndarray:
    """World depth of each row of a ground plate (rows above the horizon get the plate's own depth)."""
    _, h = stage.eye
    rows = np.arange(plate.image.size[1])
    y = plate.top - rows / plate.ppu
    with np.errstate(divide="ignore"):
        depth = np.where(y < h - 1e-3, plate.z * h / np.maximum(h - y, 1e-3), 1e4)
    return np.clip(depth, 0.1, 1e4)


# ------------------------------------------------------------------ exteriors


def _exterior(chosen: Set, stage: Stage, extras: int) -> tuple[list[Layer], Space]:
    rng, look = stage.rng, stage.look
    cx, h = stage.eye
    mid_z = stage.subject + rng.uniform(*chosen.depth)
    anchor = cx + rng.uniform(-2.5, 2.5)  # where the set's centrepiece stands (a gate, a hoop)
    space = Space(rng, look, stage.eye, stage.subject, 400.0, 0.0, mid_z, chosen.walls[rng.integers(len(chosen.walls))],
                  wood=(130, 90, 60), fabric=FABRICS[rng.integers(len(FABRICS))])
    sky = stage.plate("sky", stage.subject + 150.0, opaque=True, fill=look.haze)
    _sky(sky, chosen.far, stage)
    layers = [stage.finish(sky)]

    mid = stage.plate("site", mid_z)
    for name in chosen.furniture:
        ELEMENTS[name](mid, anchor, space)
    _crowd(mid, space, extras, stage.view.width / 2 * mid_z / stage.focal)
    _lit(mid, space)
    layers.append(stage.finish(mid))
    layers.append(_ground(stage, chosen, mid_z, anchor))
    return layers, space


def _sky(sky: Plate, far: str, stage: Stage) -> None:
    """Sky, sun or moon and stars, clouds, and the distant view: a city, trees, mountains, the sea, a river,
    or the city's roofs seen from above."""
    rng, look = stage.rng, stage.look
    _, h = stage.eye
    sky.gradient(sky.top, h, look.sky_top, look.sky_horizon, emissive=True)
    if look.night and sky.top > h + 5:
        for _ in range(160):
            sx, sy = rng.uniform(sky.x0, sky.x1), rng.uniform(h + 5, sky.top)
            sky.ellipse(sx, sy, 0.12, 0.12, (220, 226, 240), emissive=True)
    if look.sun is not None:
        sx, sy = rng.uniform(sky.x0 * 0.6, sky.x1 * 0.6), h + rng.uniform(8, 30) * (0.4 if look.time in ("dusk", "dawn") else 1)
        sky.ellipse(sx, sy, 2.2, 2.2, look.sun, emissive=True)
        sky.glow(sx, sy, 12, tuple(int(c * 0.25) for c in look.sun), 0.6)  # type: ignore[arg-type]
    if not look.night:
        for _ in range(int(rng.integers(3, 9))):
            kx, ky = rng.uniform(sky.x0, sky.x1), h + rng.uniform(10, 45)
            for j in range(4):
                sky.ellipse(kx + j * 3.5, ky + (j % 2) * 1.2, 5.0, 2.0, mix(look.sky_horizon, (255, 255, 255), 0.6), emissive=True)
    skyline = mix(look.haze, (30, 34, 48), 0.45 if look.night else 0.2)
    water = mix(look.sky_horizon, (10, 40, 70), 0.5)
    if far == "mountains":
        for layer, tone in enumerate((0.25, 0.45)):
            points, x = [(sky.x0, -5.0)], sky.x0
            while x < sky.x1:
                points.append((x, rng.uniform(15, 45) * (1 - 0.35 * layer)))
                x += rng.uniform(8, 25)
            points.append((sky.x1, -5.0))
            sky.poly(points, mix(look.haze, (50, 70, 70), tone))
    elif far == "below":  # the city's towers round the rooftop, most of them lower
        towers = mix(look.haze, (70, 76, 92), 0.5 if look.night else 0.35)
        x = sky.x0
        while x < sky.x1:
            w, top = rng.uniform(5, 18), rng.uniform(-20, 30)
            sky.rect(x, sky.y0, x + w, top, shade(towers, rng.uniform(0.8, 1.15)))
            for fy in np.arange(top - 3, max(sky.y0, top - 40), -3.5):
                sky.line([(x + 1, fy), (x + w - 1, fy)], shade(towers, 0.8), 0.4)
            if look.lamps and top > sky.y0:  # a tower whose top is below the plate (a low angle) shows no windows
                for _ in range(int(w * 1.5)):
                    wx, wy = rng.uniform(x, x + w), rng.uniform(sky.y0, top)
                    sky.rect(wx, wy, wx + 0.8, wy + 0.8, (250, 210, 140), emissive=True)
            x += w * rng.uniform(0.8, 1.1)
    elif far in ("city", "trees", "river"):
        x = sky.x0
        while x < sky.x1:
            w = rng.uniform(8, 22)
            if far == "trees":
                sky.ellipse(x + w / 2, 0, w * 0.8, rng.uniform(4, 12), mix(look.haze, (40, 70, 50), 0.4))
            else:
                top = rng.uniform(6, 40)
                sky.rect(x, -2, x + w, top, skyline)
                if look.lamps:
                    for _ in range(int(w * top / 25)):
                        wx, wy = rng.uniform(x, x + w), rng.uniform(0, top)
                        sky.rect(wx, wy, wx + 0.8, wy + 0.8, (250, 210, 140), emissive=True)
            x += w * rng.uniform(0.7, 1.1)
    if far in ("river", "sea"):  # water below the horizon, with glints
        sky.rect(sky.x0, sky.y0, sky.x1, 0.0, water)
        for _ in range(60):
            rx = rng.uniform(sky.x0, sky.x1)
            ry = -rng.uniform(1, 14)
            sky.rect(rx, ry, rx + rng.uniform(0.6, 3), ry + 0.25, (200, 170, 110) if look.lamps else mix(look.sky_horizon, (255, 255, 255), 0.5),
                     emissive=True)
    elif far != "below":
        sky.rect(sky.x0, sky.y0, sky.x1, 0.0, shade(look.haze, 0.8))
    sky.light(look)


def _ground(stage: Stage, chosen: Set, far_z: float, anchor: float) -> Layer:
    """The ground from the far side of the set to the lens: a road, a drive, a bridge deck, grass, a
    court, sand, a roof or a mountain road."""
    z = stage.subject
    plate = stage.plate("ground", z)
    g = lambda x, zz: stage.ground(plate, x, zz)  # noqa: E731
    near = max(0.3, z * 0.3)
    wide = 400.0
    style, rng = chosen.floor, stage.rng
    colour = chosen.floors[rng.integers(len(chosen.floors))]
    whole = [g(-wide, far_z), g(wide, far_z), g(wide, near), g(-wide, near)]
    if style == "grass":
        plate.poly(whole, colour)
        path = anchor + rng.uniform(-1.5, 1.5)
        plate.poly([g(path - 1.2, far_z), g(path + 1.2, far_z), g(path + 1.6, near), g(path - 1.6, near)], (190, 170, 130))
    elif style == "deck":
        plate.poly([g(-wide, far_z - 1.5), g(wide, far_z - 1.5), g(wide, near), g(-wide, near)], colour)
        for zz in np.arange(far_z - 1.5, near, -1.2):
            plate.line([g(-wide, zz), g(wide, zz)], shade(colour, 0.86), 0.02)
    elif style == "court":
        plate.poly(whole, (110, 112, 110))
        plate.poly([g(anchor - 7.5, far_z), g(anchor + 7.5, far_z), g(anchor + 7.5, near), g(anchor - 7.5, near)], colour)
        _court_lines(plate, stage, anchor, far_z - 1.2, near)
    elif style == "sand":
        plate.poly(whole, colour)
        plate.poly([g(-wide, far_z), g(wide, far_z), g(wide, far_z - 2.5), g(-wide, far_z - 2.5)], shade(colour, 0.82))  # wet sand
        for _ in range(40):
            px, pz = rng.uniform(-12, 12), rng.uniform(near, far_z)
            plate.ellipse(*g(px, pz), 0.05 * plate.z / pz, 0.02 * plate.z / pz, shade(colour, 0.9))
    elif style == "roof":
        plate.poly(whole, colour)
        for x in np.arange(-20, 20, 1.0):
            plate.line([g(x, far_z), g(x, near)], shade(colour, 0.85), 0.01)
        for zz in np.arange(far_z, near, -1.0):
            plate.line([g(-20, zz), g(20, zz)], shade(colour, 0.85), 0.01)
    elif style == "mountain":
        plate.poly(whole, (104, 120, 84))
        bend = rng.uniform(-0.25, 0.25)
        centre = lambda zz: anchor + bend * (zz - z) ** 2 / 4  # noqa: E731
        depths = np.linspace(near, far_z, 24)
        left = [g(centre(zz) - 3.5, zz) for zz in depths]
        right = [g(centre(zz) + 3.5, zz) for zz in depths[::-1]]
        plate.poly(left + right, (78, 80, 86))
        for zz in np.arange(far_z - 1.0, near + 2.0, -3.0):
            plate.poly([g(centre(zz) - 0.08, zz), g(centre(zz) + 0.08, zz), g(centre(zz - 1.5) + 0.08, zz - 1.5), g(centre(zz - 1.5) - 0.08, zz - 1.5)],
                       (230, 200, 80))
    else:  # road or drive: a kerb along the far side, a dashed centre line on a road
        plate.poly(whole, colour)
        kerb = far_z - 3.5
        plate.poly([g(-wide, far_z), g(wide, far_z), g(wide, kerb), g(-wide, kerb)], (150, 146, 140))
        plate.line([g(-wide, kerb), g(wide, kerb)], (200, 196, 190), 0.04)
        if style == "road":
            centre = stage.framing.offset_x + rng.uniform(-3, 3)
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
