"""Set dressing: the elements that make a set read as what it is (a blackboard, bus seats, a hoop …),
each drawn in world metres on a plate by a function named in engine/previz/sets.py.

An element is `draw(plate, x, space)`: `x` is the slot the seeded layout gave it (pieces that fill the
room, like rows of desks, take it as a phase), `space` the room or site it stands in. Pieces at
other depths than the plate's are projected onto it from the rest camera with `space.at`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.previz.color import RGB, mix, shade
from engine.previz.look import Look
from engine.previz.plate import Plate

FABRICS: tuple[RGB, ...] = ((120, 60, 60), (70, 90, 120), (150, 130, 90), (90, 110, 80), (110, 80, 120), (60, 60, 70))
LIT: RGB = (255, 214, 140)  # a lit window at night
LAMP: RGB = (150, 120, 60)  # the glow around a street lamp


@dataclass
class Space:
    """A room (x from -half to half, floor to ceiling, back wall at depth `back`) or an exterior site
    (`back` is the far side), seen from the rest camera at `eye`."""

    rng: np.random.Generator
    look: Look
    eye: tuple[float, float]
    subject: float
    half: float
    ceiling: float
    back: float
    wall: RGB
    wood: RGB
    fabric: RGB
    lamps: list[tuple[float, float, float, RGB]] = field(default_factory=list)  # glows to add after lighting: x, y, radius, colour

    def at(self, plate: Plate, x: float, y: float, z: float) -> tuple[float, float]:
        """The world point (x, y, z) as drawn on `plate`'s plane."""
        cx, h = self.eye
        k = plate.z / max(z, 1e-3)
        return cx + (x - cx) * k, h + (y - h) * k

    def box(self, plate: Plate, x0: float, y0: float, x1: float, y1: float, z: float, color: RGB, **kw) -> None:
        """An upright rectangle facing the camera at depth z."""
        plate.poly([self.at(plate, x0, y0, z), self.at(plate, x1, y0, z), self.at(plate, x1, y1, z), self.at(plate, x0, y1, z)], color, **kw)

    def top(self, plate: Plate, x0: float, x1: float, y: float, z0: float, z1: float, color: RGB, **kw) -> None:
        """A level surface (a table top, a step) from depth z0 to z1."""
        plate.poly([self.at(plate, x0, y, z1), self.at(plate, x1, y, z1), self.at(plate, x1, y, z0), self.at(plate, x0, y, z0)], color, **kw)

    def side(self, plate: Plate, x: float, y0: float, y1: float, z0: float, z1: float, color: RGB, **kw) -> None:
        """A patch of the side wall at x (±half) from depth z0 to z1."""
        plate.poly([self.at(plate, x, y0, z0), self.at(plate, x, y0, z1), self.at(plate, x, y1, z1), self.at(plate, x, y1, z0)], color, **kw)

    def depths(self, step: float, start: float = 0.6) -> np.ndarray:
        """Depths from just behind the subject to the back, `step` apart (rows of seats, desks, lights)."""
        return np.arange(self.back - 0.4, self.subject + start, -step)


Element = Callable[[Plate, float, Space], None]


# ------------------------------------------------------------------ on the back wall


def window(plate: Plate, x: float, space: Space, *, curtains: bool = True, width: float | None = None, y0: float = 0.8) -> None:
    rng, look = space.rng, space.look
    width = rng.uniform(1.1, 1.8) if width is None else width
    y1 = space.ceiling - 0.45
    x0, x1 = x - width / 2, x + width / 2
    plate.rect(x0 - 0.08, y0 - 0.08, x1 + 0.08, y1 + 0.08, shade((236, 232, 226), 0.9))
    plate.gradient(y1, y0, look.sky_top, look.sky_horizon, x0=x0, x1=x1, emissive=True)
    skyline = mix(look.haze, (20, 24, 36), 0.55 if look.night else 0.25)
    bx = x0
    while bx < x1:  # outside: rooftops, lit at night
        w = rng.uniform(0.15, 0.4)
        top = y0 + rng.uniform(0.1, 0.6) * (y1 - y0)
        plate.rect(bx, y0, min(x1, bx + w), top, skyline, emissive=True)
        if look.lamps:
            for _ in range(3):
                wx, wy = rng.uniform(bx, min(x1, bx + w)), rng.uniform(y0, top)
                plate.rect(wx, wy, wx + 0.025, wy + 0.03, LIT, emissive=True)
        bx += w
    frame = (240, 238, 232)
    for mx in np.arange(x0 + 0.9, x1 - 0.3, 0.9) if not curtains else (x,):
        plate.line([(mx, y0), (mx, y1)], frame, 0.05)
    plate.line([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], frame, 0.05)
    if not curtains:
        return
    cloth = FABRICS[rng.integers(len(FABRICS))]
    for side in (-1, 1):
        edge = x0 if side < 0 else x1
        plate.poly([(edge - side * 0.35, y1 + 0.25), (edge + side * 0.25, y1 + 0.25), (edge + side * 0.1, y0 - 0.3), (edge - side * 0.4, y0 - 0.3)], cloth)
        for k in range(3):
            fx = edge - side * 0.3 + side * 0.15 * k
            plate.line([(fx, y1 + 0.2), (fx + side * 0.02, y0 - 0.25)], shade(cloth, 0.75), 0.02)
    plate.rect(x0 - 0.5, y1 + 0.22, x1 + 0.5, y1 + 0.3, (90, 80, 70))


def city_window(plate: Plate, x: float, space: Space) -> None:
    """Floor-to-ceiling glass over the city (an office)."""
    window(plate, x, space, curtains=False, width=min(2 * space.half - 1.0, space.rng.uniform(3.0, 4.5)), y0=0.25)


def door(plate: Plate, x: float, space: Space) -> None:
    height = 2.2 if space.ceiling < 4 else 3.0
    wood = mix((110, 72, 48), (60, 44, 36), space.rng.random())
    plate.rect(x - 0.55, 0, x + 0.55, height + 0.08, shade(wood, 1.2))
    plate.rect(x - 0.47, 0, x + 0.47, height, wood)
    for y0, y1 in ((0.2, height * 0.45), (height * 0.55, height - 0.15)):
        plate.rect(x - 0.35, y0, x + 0.35, y1, shade(wood, 0.85))
    plate.ellipse(x + 0.36, 1.0, 0.04, 0.04, (200, 180, 120))


def picture(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    y = rng.uniform(1.4, 1.8) + (1.0 if space.ceiling > 4 else 0.0)
    w, h = rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.7)
    plate.rect(x - w / 2 - 0.04, y - h / 2 - 0.04, x + w / 2 + 0.04, y + h / 2 + 0.04, (60, 48, 40))
    plate.gradient(y + h / 2, y - h / 2, shade(space.wall, 1.2), FABRICS[rng.integers(len(FABRICS))], x0=x - w / 2, x1=x + w / 2)


def cabinets(plate: Plate, x: float, space: Space) -> None:
    """Kitchen: a tiled splashback and a row of wall cupboards."""
    h = space.half
    plate.rect(-h, 0.9, h, 1.5, (226, 230, 232))
    for ty in np.arange(0.9, 1.5, 0.15):
        plate.line([(-h, ty), (h, ty)], (190, 196, 200), 0.008)
    door_colour = mix(space.wood, (236, 232, 224), space.rng.uniform(0.3, 0.9))
    cx = x - 1.8
    while cx < x + 1.8:
        plate.rect(cx, 1.55, cx + 0.58, 2.3, door_colour)
        plate.rect(cx + 0.48, 1.62, cx + 0.52, 1.8, (120, 120, 120))
        cx += 0.6


def blackboard(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    w = min(space.half * 1.6, 3.6)
    plate.rect(x - w / 2 - 0.06, 0.86, x + w / 2 + 0.06, 2.16, (150, 120, 80))
    plate.rect(x - w / 2, 0.92, x + w / 2, 2.1, (40, 70, 56))
    for _ in range(int(rng.integers(4, 8))):  # chalk lines
        ly, lx = rng.uniform(1.1, 1.95), rng.uniform(x - w / 2 + 0.2, x)
        plate.line([(lx, ly), (lx + rng.uniform(0.4, 1.4), ly)], (220, 226, 220), 0.02)
    plate.rect(x - w / 2, 0.84, x + w / 2, 0.9, (170, 160, 150))


def clock(plate: Plate, x: float, space: Space) -> None:
    y = space.ceiling - 0.45
    plate.ellipse(x, y, 0.18, 0.18, (40, 40, 44))
    plate.ellipse(x, y, 0.15, 0.15, (246, 246, 240))
    angle = space.rng.uniform(0, 2 * math.pi)
    plate.line([(x, y), (x + 0.1 * math.sin(angle), y + 0.1 * math.cos(angle))], (20, 20, 20), 0.015)
    plate.line([(x, y), (x, y + 0.07)], (20, 20, 20), 0.02)


def curtain_rail(plate: Plate, x: float, space: Space) -> None:
    """A hospital privacy curtain, half drawn."""
    cloth = (170, 200, 210)
    plate.line([(x - 1.4, space.ceiling - 0.15), (x + 1.4, space.ceiling - 0.15)], (180, 180, 186), 0.03)
    for k in range(6):
        fx = x - 1.4 + k * 0.22
        plate.rect(fx, 0.35, fx + 0.2, space.ceiling - 0.18, shade(cloth, 0.9 + 0.1 * (k % 2)))


def emblem(plate: Plate, x: float, space: Space) -> None:
    """Courtroom: panelled wall and a round emblem over the bench."""
    h = space.half
    plate.rect(-h, 0, h, 2.4, shade(space.wall, 0.8))
    for px in np.arange(-h, h, 0.6):
        plate.line([(px, 0), (px, 2.4)], shade(space.wall, 0.6), 0.02)
    plate.ellipse(0, 3.1, 0.5, 0.5, (200, 160, 60))
    plate.ellipse(0, 3.1, 0.38, 0.38, (170, 40, 40))
    plate.ellipse(0, 3.1, 0.15, 0.15, (230, 200, 90))


def menu_board(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.9, 1.7, x + 0.9, 2.45, (36, 36, 34))
    for row in range(4):
        y = 2.3 - row * 0.16
        plate.line([(x - 0.8, y), (x - 0.8 + space.rng.uniform(0.5, 1.0), y)], (230, 226, 210), 0.025)
        plate.line([(x + 0.55, y), (x + 0.75, y)], (230, 200, 120), 0.025)


def lanterns(plate: Plate, x: float, space: Space) -> None:
    for lx in (x - 1.2, x, x + 1.2):
        plate.line([(lx, space.ceiling), (lx, space.ceiling - 0.35)], (60, 40, 30), 0.015)
        plate.ellipse(lx, space.ceiling - 0.55, 0.22, 0.2, (210, 40, 30), emissive=space.look.lamps)
        plate.rect(lx - 0.12, space.ceiling - 0.78, lx + 0.12, space.ceiling - 0.74, (230, 190, 80))
        if space.look.lamps:
            space.lamps.append((lx, space.ceiling - 0.55, 0.8, (120, 40, 20)))


def bottle_shelf(plate: Plate, x: float, space: Space) -> None:
    """Bar: a back-lit wall of bottles on glass shelves."""
    rng, w = space.rng, min(space.half * 1.5, 4.0)
    plate.rect(x - w / 2, 1.05, x + w / 2, 2.45, (120, 86, 50), emissive=True)
    for y in (1.1, 1.55, 2.0):
        plate.rect(x - w / 2, y - 0.02, x + w / 2, y, (200, 200, 190), emissive=True)
        bx = x - w / 2 + 0.05
        while bx < x + w / 2 - 0.08:
            tall, colour = rng.uniform(0.22, 0.36), (rng.choice([40, 90, 140]), rng.choice([60, 100, 40]), rng.choice([30, 50, 80]))
            plate.rect(bx, y, bx + 0.07, y + tall * 0.7, colour, emissive=True)
            plate.rect(bx + 0.025, y + tall * 0.7, bx + 0.045, y + tall, colour, emissive=True)
            bx += rng.uniform(0.09, 0.14)
    space.lamps.append((x, 1.8, 2.0, (90, 60, 30)))


def neon(plate: Plate, x: float, space: Space) -> None:
    colour = [(255, 80, 180), (80, 200, 255), (255, 160, 60)][int(space.rng.integers(3))]
    y = space.ceiling - 0.35
    plate.line([(x - 0.6, y), (x + 0.6, y), (x + 0.6, y - 0.3), (x - 0.6, y - 0.3), (x - 0.6, y)], colour, 0.03, emissive=True)
    plate.line([(x - 0.45, y - 0.08), (x - 0.2, y - 0.22), (x, y - 0.08), (x + 0.2, y - 0.22), (x + 0.45, y - 0.08)], colour, 0.03, emissive=True)
    space.lamps.append((x, y - 0.15, 1.0, tuple(c // 3 for c in colour)))  # type: ignore[arg-type]


def goods_shelf(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    plate.rect(x - 0.9, 0, x + 0.9, 2.0, (200, 200, 204))
    for y in np.arange(0.1, 1.9, 0.38):
        plate.rect(x - 0.9, y, x + 0.9, y + 0.03, (150, 150, 156))
        bx = x - 0.86
        while bx < x + 0.8:
            w = rng.uniform(0.08, 0.18)
            plate.rect(bx, y + 0.03, bx + w, y + rng.uniform(0.16, 0.3), tuple(int(c) for c in rng.integers(40, 240, 3)))  # type: ignore[arg-type]
            bx += w + 0.02


def screen_wall(plate: Plate, x: float, space: Space) -> None:
    """Palace: a gold folding screen behind the throne, panels with dragons suggested by swirls."""
    for k in range(-3, 4):
        px = k * 0.9
        plate.rect(px - 0.44, 0.6, px + 0.44, 3.8, (200, 160, 70))
        plate.rect(px - 0.38, 0.7, px + 0.38, 3.7, (176, 120, 40))
        plate.ellipse(px, 2.4, 0.25, 0.5, (220, 190, 100))
    plate.rect(-3.2, 3.8, 3.2, 4.1, (120, 20, 20))


def wall_hoop(plate: Plate, x: float, space: Space) -> None:
    basketball_hoop(plate, x, pole=False)


def scoreboard(plate: Plate, x: float, space: Space) -> None:
    y = space.ceiling - 1.2
    plate.rect(x - 1.0, y - 0.5, x + 1.0, y + 0.5, (20, 20, 24))
    for dx, colour in ((-0.5, (255, 60, 40)), (0.5, (255, 200, 60))):
        plate.rect(x + dx - 0.25, y - 0.25, x + dx + 0.25, y + 0.25, colour, emissive=True)
        plate.rect(x + dx - 0.12, y - 0.12, x + dx + 0.12, y + 0.12, (20, 20, 24))


def exit_sign(plate: Plate, x: float, space: Space) -> None:
    door(plate, x, space)
    plate.rect(x - 0.25, 2.35, x + 0.25, 2.55, (40, 200, 100), emissive=True)
    plate.rect(x - 0.08, 2.4, x + 0.06, 2.5, (240, 250, 240), emissive=True)
    space.lamps.append((x, 2.45, 0.5, (20, 80, 40)))


def windshield(plate: Plate, x: float, space: Space) -> None:
    """The front of a bus seen down the aisle: the windscreen over the road ahead, the dashboard below."""
    look, h, top = space.look, space.half, space.ceiling - 0.15
    plate.rect(-h, 0, h, space.ceiling, (60, 62, 66))
    plate.gradient(top, 1.05, look.sky_top, look.sky_horizon, x0=-h + 0.1, x1=h - 0.1, emissive=True)
    ground = mix(look.haze, (60, 70, 50), 0.5)
    plate.rect(-h + 0.1, 1.05, h - 0.1, 1.35, ground, emissive=True)
    plate.poly([(-0.1, 1.35), (0.1, 1.35), (0.6, 1.05), (-0.6, 1.05)], (90, 90, 96), emissive=True)
    plate.rect(-h, 0.55, h, 1.05, (36, 36, 40))
    plate.ellipse(-h * 0.45, 1.0, 0.22, 0.22, (20, 20, 22))  # the steering wheel
    plate.line([(0, 1.05), (0, top)], (50, 50, 54), 0.06)


def car_window(plate: Plate, x: float, space: Space) -> None:
    """Inside a car: the far doors, their windows slanting to the roof, the world outside going by."""
    look, rng, h = space.look, space.rng, space.half
    trim = shade(space.wall, 0.9)
    plate.rect(-h, 0, h, space.ceiling, trim)
    low, high = 0.95, 1.68
    glass = [(x - 1.05, low), (x + 0.95, low), (x + 0.75, high), (x - 0.7, high)]
    plate.poly(glass, look.sky_horizon, emissive=True)
    outside = mix(look.haze, (40, 60, 44), 0.5)
    tx = x - 1.05
    while tx < x + 0.95:  # trees or buildings going by
        w = rng.uniform(0.08, 0.25)
        plate.rect(tx, low, min(x + 0.95, tx + w), low + rng.uniform(0.1, 0.4), outside, emissive=True)
        tx += w + rng.uniform(0.0, 0.12)
    for edge in ((x - 1.6, x - 1.05, x - 0.7), (x + 1.5, x + 0.95, x + 0.75)):  # pillars slanting in to the roof
        plate.poly([(edge[0], low), (edge[1], low), (edge[2], high), (edge[2] + (edge[0] - edge[1]), high)], trim)
    plate.rect(x - 0.06, low, x + 0.06, high, shade(space.wall, 0.55))  # the B pillar between the doors
    plate.rect(-h, high, h, space.ceiling, shade(space.wall, 1.25))  # the headliner
    plate.rect(-h, 0.82, h, low, shade(space.wall, 0.7))  # the door's top edge
    for dx in (x - 0.5, x + 0.5):
        plate.rect(dx - 0.12, 0.7, dx + 0.12, 0.74, (170, 170, 176))  # door handles
    plate.rect(-h, 0.5, h, 0.58, shade(space.wall, 1.15))  # armrest


# ------------------------------------------------------------------ on the side walls and the ceiling


def bus_windows(plate: Plate, x: float, space: Space) -> None:
    look = space.look
    for wx in (-space.half, space.half):
        for z in space.depths(1.1, start=-0.4):
            space.side(plate, wx, 1.0, 1.95, z - 0.05, z - 1.0, look.sky_horizon, emissive=True)
            space.side(plate, wx, 1.0, 1.25, z - 0.05, z - 1.0, mix(look.haze, (60, 80, 56), 0.5), emissive=True)
        space.side(plate, wx, 0.95, 1.0, space.subject - 1.0, space.back, (70, 72, 78))


def side_doors(plate: Plate, x: float, space: Space) -> None:
    wood = mix((110, 72, 48), (150, 140, 130), space.rng.random())
    for wx in (-space.half, space.half):
        for z in space.depths(2.6, start=0.0)[int(space.rng.integers(2)):: 1]:
            space.side(plate, wx, 0.0, 2.1, z, z - 0.9, wood)
            space.side(plate, wx, 0.95, 1.02, z - 0.75, z - 0.8, (200, 180, 120))


def ceiling_lights(plate: Plate, x: float, space: Space) -> None:
    cx, _ = space.eye
    for z in space.depths(1.8, start=-0.5):
        for lx in ((cx,) if space.half < 2 else (-space.half / 2, space.half / 2)):
            space.top(plate, lx - 0.5, lx + 0.5, space.ceiling - 0.01, z, z - 0.25, (250, 250, 240), emissive=True)


# ------------------------------------------------------------------ furniture (on the furniture plate)


def sofa(plate: Plate, x: float, space: Space) -> None:
    f = space.fabric
    plate.rect(x - 1.1, 0.1, x + 1.1, 0.85, f)
    plate.rect(x - 1.25, 0.1, x - 0.95, 0.65, shade(f, 0.85))
    plate.rect(x + 0.95, 0.1, x + 1.25, 0.65, shade(f, 0.85))
    plate.rect(x - 0.9, 0.45, x + 0.9, 0.6, shade(f, 1.1))


def floor_lamp(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.25, 0, x + 0.25, 0.55, space.wood)
    plate.line([(x, 0.55), (x, 1.25)], (60, 56, 50), 0.03)
    plate.poly([(x - 0.22, 1.25), (x + 0.22, 1.25), (x + 0.14, 1.55), (x - 0.14, 1.55)], (240, 226, 190), emissive=space.look.lamps)
    if space.look.lamps:
        space.lamps.append((x, 1.4, 1.3, (120, 90, 40)))


def bookshelf(plate: Plate, x: float, space: Space) -> None:
    rng, wood = space.rng, space.wood
    plate.rect(x - 0.5, 0, x + 0.5, 1.9, shade(wood, 0.9))
    for shelf in range(4):
        y = 0.1 + shelf * 0.45
        plate.rect(x - 0.45, y, x + 0.45, y + 0.04, shade(wood, 0.7))
        bx = x - 0.42
        while bx < x + 0.4:
            w = rng.uniform(0.03, 0.07)
            plate.rect(bx, y + 0.04, bx + w, y + rng.uniform(0.22, 0.36), FABRICS[rng.integers(len(FABRICS))])
            bx += w + 0.01


def plant(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    plate.poly([(x - 0.18, 0), (x + 0.18, 0), (x + 0.22, 0.35), (x - 0.22, 0.35)], (170, 110, 80))
    for _ in range(9):
        a = rng.uniform(-1.2, 1.2)
        plate.ellipse(x + math.sin(a) * 0.35, 0.55 + math.cos(a) * 0.45, 0.16, 0.07, (60, 110, 60))


def bed(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 1.0, 0, x + 1.0, 1.1, shade(space.wood, 0.9))  # headboard
    plate.rect(x - 1.05, 0.3, x + 1.05, 0.6, (236, 234, 228))
    plate.rect(x - 1.05, 0.45, x + 1.05, 0.62, space.fabric)
    for px in (x - 0.5, x + 0.5):
        plate.ellipse(px, 0.72, 0.32, 0.12, (244, 242, 236))


def nightstand(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.25, 0, x + 0.25, 0.55, space.wood)
    plate.rect(x - 0.2, 0.3, x + 0.2, 0.33, shade(space.wood, 0.7))
    plate.poly([(x - 0.15, 0.75), (x + 0.15, 0.75), (x + 0.1, 0.95), (x - 0.1, 0.95)], (240, 226, 190), emissive=space.look.lamps)
    plate.rect(x - 0.02, 0.55, x + 0.02, 0.75, (80, 70, 60))
    if space.look.lamps:
        space.lamps.append((x, 0.85, 0.9, (120, 90, 40)))


def wardrobe(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.6, 0, x + 0.6, 2.1, shade(space.wood, 1.05))
    plate.line([(x, 0.05), (x, 2.05)], shade(space.wood, 0.6), 0.02)
    for hx in (x - 0.08, x + 0.08):
        plate.rect(hx - 0.015, 0.9, hx + 0.015, 1.2, (200, 190, 160))


def counter(plate: Plate, x: float, space: Space) -> None:
    h = space.half
    plate.rect(-h, 0, h, 0.9, shade(space.wood, 0.95))
    plate.rect(-h, 0.9, h, 0.96, (210, 206, 200))
    for dx in np.arange(-h + 0.3, h, 0.6):
        plate.rect(dx, 0.1, dx + 0.55, 0.8, shade(space.wood, 0.85))


def stove(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.45, 0.96, x + 0.45, 1.0, (30, 30, 32))
    plate.poly([(x - 0.5, 2.0), (x + 0.5, 2.0), (x + 0.3, 2.4), (x - 0.3, 2.4)], (170, 172, 176))  # hood
    plate.ellipse(x - 0.2, 1.08, 0.16, 0.08, (60, 60, 64))  # a pot
    plate.rect(x - 0.34, 1.0, x - 0.06, 1.12, (60, 60, 64))


def fridge(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.4, 0, x + 0.4, 1.85, (236, 236, 234))
    plate.line([(x - 0.4, 1.15), (x + 0.4, 1.15)], (180, 180, 180), 0.015)
    plate.rect(x + 0.28, 1.25, x + 0.31, 1.6, (160, 160, 160))


def desk(plate: Plate, x: float, space: Space) -> None:
    wood = space.wood
    plate.rect(x - 0.8, 0.72, x + 0.8, 0.78, wood)
    plate.rect(x - 0.75, 0, x - 0.7, 0.72, shade(wood, 0.7))
    plate.rect(x + 0.7, 0, x + 0.75, 0.72, shade(wood, 0.7))
    plate.rect(x - 0.3, 0.8, x + 0.3, 1.15, (30, 32, 36))
    plate.rect(x - 0.26, 0.84, x + 0.26, 1.11, (70, 110, 150), emissive=space.look.night)
    if space.rng.random() < 0.5:  # an office chair's back
        plate.rect(x - 0.3 + 0.9, 0.4, x + 0.3 + 0.9, 1.2, (40, 40, 44))


def cabinet(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.3, 0, x + 0.3, 1.3, (130, 134, 140))
    for y in (0.35, 0.75, 1.15):
        plate.rect(x - 0.08, y, x + 0.08, y + 0.03, (90, 92, 96))


def school_desks(plate: Plate, x: float, space: Space) -> None:
    """Rows of desks facing the front, each with its chair, from behind the subject to the front of the class."""
    top, chair, metal = (196, 168, 120), (70, 110, 150), (90, 94, 100)
    for z in space.depths(1.3, start=0.3):
        for dx in np.arange(-space.half + 0.4 + (x % 1.3), space.half - 0.7, 1.3):
            near = z - 0.4
            for lx in (dx, dx + 0.56):
                space.box(plate, lx, 0.0, lx + 0.04, 0.72, near, metal)
            space.box(plate, dx, 0.5, dx + 0.6, 0.72, near, shade(top, 0.75))
            space.top(plate, dx, dx + 0.6, 0.74, z, near, top)
            seat = near - 0.45
            for lx in (dx + 0.1, dx + 0.47):
                space.box(plate, lx, 0.0, lx + 0.03, 0.44, seat, metal)
            space.box(plate, dx + 0.08, 0.44, dx + 0.52, 0.86, seat, chair)


def teacher_desk(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.6, 0, x + 0.6, 1.0, shade(space.wood, 0.85))
    plate.rect(x - 0.65, 1.0, x + 0.65, 1.06, shade(space.wood, 0.7))


def hospital_bed(plate: Plate, x: float, space: Space) -> None:
    steel = (190, 194, 200)
    plate.rect(x - 1.0, 0.0, x - 0.95, 0.95, steel)
    plate.rect(x + 0.95, 0.0, x + 1.0, 0.75, steel)
    plate.rect(x - 1.0, 0.5, x + 1.0, 0.62, (230, 232, 234))
    plate.poly([(x - 0.95, 0.62), (x - 0.3, 0.62), (x - 0.4, 0.9), (x - 0.95, 0.95)], (240, 242, 244))  # raised back
    plate.rect(x - 0.3, 0.62, x + 0.95, 0.72, (150, 190, 214))  # blanket
    plate.line([(x - 0.2, 0.78), (x + 0.8, 0.78)], steel, 0.025)  # side rail
    plate.ellipse(x - 0.7, 0.97, 0.22, 0.08, (250, 250, 250))


def iv_stand(plate: Plate, x: float, space: Space) -> None:
    plate.line([(x, 0.02), (x, 1.9)], (180, 184, 190), 0.025)
    plate.line([(x - 0.2, 0.02), (x + 0.2, 0.02)], (160, 164, 170), 0.04)
    plate.rect(x - 0.08, 1.55, x + 0.08, 1.85, (220, 236, 240))
    plate.line([(x, 1.55), (x + 0.05, 0.9)], (220, 236, 240), 0.008)


def bedside_monitor(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.05, 0, x + 0.05, 1.2, (150, 152, 158))
    plate.rect(x - 0.25, 1.2, x + 0.25, 1.55, (40, 42, 46))
    trace = [(x - 0.2 + 0.04 * k, 1.38 + (0.1 if k % 4 == 2 else 0.0)) for k in range(11)]
    plate.line(trace, (80, 255, 120), 0.012, emissive=True)


def judge_bench(plate: Plate, x: float, space: Space) -> None:
    wood = shade(space.wood, 0.9)
    plate.rect(-2.2, 0, 2.2, 1.5, wood)
    plate.rect(-2.3, 1.5, 2.3, 1.6, shade(wood, 0.7))
    plate.rect(-0.35, 1.6, 0.35, 2.3, (40, 30, 30))  # the judge's chair back
    for px in np.arange(-2.0, 2.1, 0.8):
        plate.rect(px, 0.15, px + 0.6, 1.35, shade(wood, 1.1))


def benches(plate: Plate, x: float, space: Space) -> None:
    wood = shade(space.wood, 0.85)
    for z in space.depths(1.6, start=0.8)[1:]:
        for side in (-1, 1):
            x0, x1 = sorted((side * 0.6, side * (space.half - 0.3)))
            space.box(plate, x0, 0.0, x1, 0.95, z, wood)
            space.top(plate, x0, x1, 0.95, z, z - 0.1, shade(wood, 1.2))


def pendant_lamps(plate: Plate, x: float, space: Space) -> None:
    for lx in (-2.0, 0.0, 2.0):
        plate.line([(lx, space.ceiling), (lx, 2.1)], (40, 40, 40), 0.015)
        plate.poly([(lx - 0.2, 2.1), (lx + 0.2, 2.1), (lx + 0.1, 2.25), (lx - 0.1, 2.25)], (50, 50, 54))
        if space.look.lamps or space.look.time == "day":
            space.lamps.append((lx, 2.05, 0.9, (110, 80, 40)))


def dining_tables(plate: Plate, x: float, space: Space) -> None:
    cloth = [(244, 240, 232), (200, 40, 40), (236, 226, 200)][int(space.rng.integers(3))]
    chair = shade(space.wood, 0.7)
    for i, z in enumerate(space.depths(1.8, start=0.6)):
        for tx in np.arange(-space.half + 1.0 + (x + i * 0.7) % 1.6, space.half - 0.6, 2.4):
            space.box(plate, tx - 0.35, 0.4, tx - 0.05, 1.0, z + 0.5, chair)
            space.box(plate, tx + 0.55, 0.4, tx + 0.85, 1.0, z + 0.5, chair)
            space.top(plate, tx - 0.15, tx + 0.95, 0.76, z + 0.35, z - 0.35, cloth)
            space.box(plate, tx - 0.15, 0.45, tx + 0.95, 0.76, z - 0.35, shade(cloth, 0.85))


def bar_counter(plate: Plate, x: float, space: Space) -> None:
    h = space.half
    plate.rect(-h, 0, h, 1.05, (60, 40, 30))
    plate.rect(-h, 1.05, h, 1.12, (120, 90, 60))
    plate.rect(-h, 0.1, h, 0.14, (180, 150, 90), emissive=True)  # the foot rail's light strip


def stools(plate: Plate, x: float, space: Space) -> None:
    for sx in np.arange(-space.half + 0.6 + (x % 0.9), space.half - 0.4, 0.9):
        plate.line([(sx, 0), (sx, 0.72)], (120, 120, 124), 0.04)
        plate.ellipse(sx, 0.75, 0.2, 0.05, (150, 40, 40))


def shop_counter(plate: Plate, x: float, space: Space) -> None:
    plate.rect(x - 0.9, 0, x + 0.9, 0.95, (220, 220, 226))
    plate.rect(x - 0.95, 0.95, x + 0.95, 1.0, (120, 124, 130))
    plate.rect(x - 0.25, 1.0, x + 0.15, 1.25, (50, 50, 56))  # the till
    plate.rect(x - 0.2, 1.12, x + 0.1, 1.22, (90, 200, 140), emissive=True)


def goods_rack(plate: Plate, x: float, space: Space) -> None:
    """Aisles of shelving along both side walls, receding."""
    rng = space.rng
    for wx in (-space.half + 0.3, space.half - 0.3):
        for z in space.depths(1.0, start=0.4):
            space.side(plate, wx, 0.0, 1.9, z, z - 0.98, (200, 200, 204))
            for y in (0.3, 0.75, 1.2, 1.6):
                space.side(plate, wx, y, y + 0.25, z - 0.05, z - 0.93, tuple(int(c) for c in rng.integers(40, 240, 3)))  # type: ignore[arg-type]


def banquet_tables(plate: Plate, x: float, space: Space) -> None:
    for tx in (-3.2, 0.0, 3.2):
        tx += space.rng.uniform(-0.4, 0.4)
        plate.ellipse(tx, 0.76, 0.9, 0.1, (246, 244, 238))
        plate.poly([(tx - 0.9, 0.76), (tx + 0.9, 0.76), (tx + 0.95, 0.0), (tx - 0.95, 0.0)], (240, 238, 232))


def champagne(plate: Plate, x: float, space: Space) -> None:
    for row in range(5):
        n = 5 - row
        for i in range(n):
            gx = x + (i - (n - 1) / 2) * 0.12
            plate.poly([(gx - 0.05, 0.8 + row * 0.13 + 0.12), (gx + 0.05, 0.8 + row * 0.13 + 0.12), (gx, 0.8 + row * 0.13)], (236, 206, 120), emissive=True)


def chandeliers(plate: Plate, x: float, space: Space) -> None:
    for cx in (-2.5, 2.5):
        cx += space.rng.uniform(-0.5, 0.5)
        top = space.ceiling
        plate.line([(cx, top), (cx, top - 0.8)], (200, 180, 120), 0.03)
        for ring, (r, y) in enumerate(((0.7, top - 1.0), (0.45, top - 1.25), (0.25, top - 1.45))):
            for k in range(9 - ring * 2):
                bx = cx - r + 2 * r * k / max(1, 8 - ring * 2)
                plate.ellipse(bx, y - 0.05 * math.sin(k), 0.035, 0.07, (255, 240, 200), emissive=True)
        space.lamps.append((cx, top - 1.2, 2.4, (150, 120, 70)))


def throne(plate: Plate, x: float, space: Space) -> None:
    gold, red = (214, 170, 60), (160, 30, 30)
    for step in range(3):  # the dais
        plate.rect(-2.0 + step * 0.4, step * 0.18, 2.0 - step * 0.4, (step + 1) * 0.18, shade((170, 140, 100), 1 - step * 0.08))
    plate.rect(-0.7, 0.54, 0.7, 1.0, gold)
    plate.rect(-0.55, 1.0, 0.55, 2.2, gold)
    plate.rect(-0.42, 1.05, 0.42, 2.0, red)
    plate.ellipse(0, 2.25, 0.5, 0.2, gold)


def pillars(plate: Plate, x: float, space: Space) -> None:
    for z in space.depths(2.5, start=1.0):
        for px in (-space.half * 0.7, space.half * 0.7):
            space.box(plate, px - 0.3, 0.0, px + 0.3, space.ceiling, z, (170, 30, 26))
            space.box(plate, px - 0.38, 0.0, px + 0.38, 0.3, z, (200, 170, 110))


def stairs(plate: Plate, x: float, space: Space) -> None:
    """A flight rising away to one side, with its handrail."""
    side = 1.0 if x >= 0 else -1.0
    x0, x1 = sorted((side * 0.1, side * space.half))
    concrete = (176, 174, 168)
    steps = 12
    z0 = space.subject + 0.8
    for k in range(steps):
        z, y = z0 + k * 0.28, (k + 1) * 0.17
        space.box(plate, x0, y - 0.17, x1, y, z, shade(concrete, 0.85))
        space.top(plate, x0, x1, y, z, z + 0.28, concrete)
    rail = (80, 90, 100)
    inner = x0 if side > 0 else x1
    plate.line([space.at(plate, inner, 0.9, z0), space.at(plate, inner, 0.9 + steps * 0.17, z0 + steps * 0.28)], rail, 0.04)
    for k in range(0, steps, 3):
        z, y = z0 + k * 0.28, k * 0.17
        plate.line([space.at(plate, inner, y, z), space.at(plate, inner, y + 0.9, z)], rail, 0.025)


def bus_seats(plate: Plate, x: float, space: Space) -> None:
    fabric = [(40, 70, 140), (140, 40, 50), (60, 60, 70)][int(space.rng.integers(3))]
    pole = (200, 200, 90)
    for z in space.depths(0.9, start=0.2):
        for x0, x1 in ((-space.half + 0.05, -0.3), (0.3, space.half - 0.05)):
            space.box(plate, x0, 0.45, x1, 1.15, z, fabric)
            space.box(plate, x0 + 0.05, 1.0, x1 - 0.05, 1.25, z, shade(fabric, 0.8))
            space.top(plate, x0, x1, 0.45, z, z - 0.45, shade(fabric, 1.15))
            plate.line([space.at(plate, x1 - 0.02, 1.15, z), space.at(plate, x1 - 0.02, space.ceiling, z)], pole, 0.03)
    plate.line([space.at(plate, -space.half + 0.3, space.ceiling - 0.25, space.subject),
                space.at(plate, -space.half + 0.3, space.ceiling - 0.25, space.back)], pole, 0.03)


def car_seat(plate: Plate, x: float, space: Space) -> None:
    seat = shade(space.wall, 1.3)
    side = 1.0 if x >= 0 else -1.0
    sx = side * space.half * 0.6
    plate.rect(sx - 0.3, 0.5, sx + 0.3, 1.3, seat)
    plate.rect(sx - 0.17, 1.35, sx + 0.17, 1.58, seat)
    plate.line([(sx, 1.3), (sx, 1.35)], (90, 90, 90), 0.03)
    plate.line([(sx - side * 0.3, 1.45), (sx + side * 0.35, 0.5)], (30, 30, 30), 0.05)  # a seat belt


# ------------------------------------------------------------------ exteriors: along the far side


def shopfronts(plate: Plate, x: float, space: Space) -> None:
    rng, look = space.rng, space.look
    bx = plate.x0
    while bx < plate.x1:
        w, top = rng.uniform(6, 14), rng.uniform(9, 28)
        wall = mix(space.wall if rng.random() < 0.3 else FABRICS[rng.integers(len(FABRICS))], (200, 196, 190), rng.uniform(0.3, 0.7))
        plate.rect(bx, 0, bx + w - 0.2, top, wall)
        plate.rect(bx + 0.3, 0, bx + w - 0.5, 2.8, (120, 132, 142) if not look.lamps else (196, 150, 100), emissive=look.lamps)  # glass
        plate.rect(bx + 0.3, 2.9, bx + w - 0.5, 3.5, FABRICS[rng.integers(len(FABRICS))])  # a sign board
        for fy in np.arange(3.8, top - 1.5, 3.0):
            for fx in np.arange(bx + 0.8, bx + w - 1.2, 1.8):
                lit = look.lamps and rng.random() < 0.45
                plate.rect(fx, fy, fx + 0.9, fy + 1.4, LIT if lit else shade(wall, 0.55), emissive=lit)
        bx += w


def street_lamps(plate: Plate, x: float, space: Space) -> None:
    look = space.look
    lx = math.floor(plate.x0 / 9) * 9 + x % 9
    while lx < plate.x1:
        if space.rng.random() < 0.6:
            tree(plate, lx + 4.5, space)
        plate.line([(lx, 0), (lx, 5.0)], (40, 42, 46), 0.12)
        plate.ellipse(lx, 5.1, 0.3, 0.18, (255, 226, 160) if look.lamps else (200, 200, 200), emissive=look.lamps)
        if look.lamps:
            space.lamps.append((lx, 4.9, 3.2, LAMP))
        lx += 9


def tree(plate: Plate, x: float, space: Space, height: float | None = None) -> None:
    rng = space.rng
    height = rng.uniform(4, 7) if height is None else height
    plate.line([(x, 0), (x, height * 0.55)], (70, 52, 40), 0.3 * height / 5.5)
    green = mix((50, 100, 50), (90, 130, 60), rng.random())
    for _ in range(7):
        plate.ellipse(x + rng.uniform(-1.2, 1.2) * height / 5.5, height * rng.uniform(0.55, 0.9), rng.uniform(0.9, 1.5) * height / 5.5,
                      rng.uniform(0.8, 1.2) * height / 5.5, shade(green, rng.uniform(0.8, 1.1)))


def trees(plate: Plate, x: float, space: Space) -> None:
    tx = plate.x0 + x % 3
    while tx < plate.x1:
        tree(plate, tx, space)
        tx += space.rng.uniform(3, 7)


def dense_trees(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    plate.rect(plate.x0, 2.5, plate.x1, plate.top, (34, 54, 34))  # the canopy closes overhead
    tx = plate.x0 + x % 1.5
    while tx < plate.x1:
        w = rng.uniform(0.25, 0.6)
        plate.rect(tx, 0, tx + w, plate.top, shade((84, 66, 50), rng.uniform(0.6, 1.1)))
        tx += rng.uniform(0.8, 2.2)
    for _ in range(int((plate.x1 - plate.x0) * 2)):
        plate.ellipse(rng.uniform(plate.x0, plate.x1), rng.uniform(2.0, plate.top), rng.uniform(0.8, 2.0), rng.uniform(0.5, 1.2),
                      shade((50, 90, 46), rng.uniform(0.7, 1.2)))


def bench(plate: Plate, x: float, space: Space) -> None:
    bx = x + float(space.rng.choice((-1.0, 1.0))) * space.rng.uniform(2.5, 4.5)
    wood = (130, 90, 60)
    plate.rect(bx - 0.9, 0.42, bx + 0.9, 0.48, wood)
    plate.rect(bx - 0.9, 0.6, bx + 0.9, 0.85, wood)
    for lx in (bx - 0.75, bx + 0.75):
        plate.rect(lx - 0.04, 0, lx + 0.04, 0.85, (50, 50, 54))


def villa_gate(plate: Plate, x: float, space: Space) -> None:
    rng, look = space.rng, space.look
    plate.rect(plate.x0, 0, plate.x1, 2.6, (150, 140, 126))
    plate.rect(plate.x0, 2.6, plate.x1, 2.8, (120, 112, 100))
    gx = x
    plate.rect(gx - 2.6, 0, gx + 2.6, 3.4, (0, 0, 0), alpha=0)
    plate.rect(gx - 5, 2.8, gx + 5, 8.5, (210, 200, 184))  # the villa beyond the gate
    plate.poly([(gx - 5.6, 8.5), (gx + 5.6, 8.5), (gx, 11)], (90, 70, 64))
    for wx in np.arange(gx - 4, gx + 4.1, 1.6):
        plate.rect(wx - 0.35, 4.2, wx + 0.35, 5.4, LIT if look.lamps else (120, 140, 160), emissive=look.lamps)
        plate.rect(wx - 0.35, 6.3, wx + 0.35, 7.5, LIT if look.lamps and rng.random() < 0.6 else (120, 140, 160), emissive=look.lamps)
    for k in range(27):
        bx = gx - 2.5 + k * 0.19
        plate.line([(bx, 0), (bx, 3.2 + 0.2 * math.cos(k / 26 * math.pi * 2))], (30, 30, 34), 0.035)
    for side in (-1, 1):
        plate.rect(gx + side * 2.6 - 0.35, 0, gx + side * 2.6 + 0.35, 3.8, (170, 160, 146))
        plate.ellipse(gx + side * 2.6, 4.0, 0.25, 0.25, (255, 230, 170) if look.lamps else (220, 220, 220), emissive=look.lamps)
        if look.lamps:
            space.lamps.append((gx + side * 2.6, 4.0, 2.2, LAMP))


def railing(plate: Plate, x: float, space: Space) -> None:
    look = space.look
    for y in (1.05, 0.55):
        plate.line([(plate.x0, y), (plate.x1, y)], (70, 72, 78), 0.06)
    px = math.floor(plate.x0)
    while px < plate.x1:
        plate.line([(px, 0), (px, 1.1)], (70, 72, 78), 0.05)
        px += 1.2
    px = math.floor(plate.x0 / 12) * 12 + x % 12
    while px < plate.x1:
        plate.line([(px, 0), (px, 5.5)], (50, 52, 58), 0.14)
        plate.ellipse(px, 5.6, 0.3, 0.18, (255, 226, 160) if look.lamps else (200, 200, 200), emissive=look.lamps)
        if look.lamps:
            space.lamps.append((px, 5.4, 3.0, LAMP))
        px += 12


def guard_rail(plate: Plate, x: float, space: Space) -> None:
    """A mountain road's far edge: a steel crash barrier on posts, rock rising behind it on one side."""
    rng = space.rng
    side = float(rng.choice((-1.0, 1.0)))
    rock = (120, 112, 100)
    edge = x + side * rng.uniform(2, 6)
    pts = [(edge, 0.0)]
    for k in range(1, 9):
        pts.append((edge + side * k * 3.0, rng.uniform(3, 9) + k * 1.5))
    pts.append((edge + side * 40, 0.0))
    plate.poly(pts, shade(rock, rng.uniform(0.8, 1.1)))
    for _ in range(14):
        plate.ellipse(edge + side * rng.uniform(1, 24), rng.uniform(1, 8), rng.uniform(0.6, 1.6), rng.uniform(0.4, 1.0), (70, 100, 60))
    plate.rect(plate.x0, 0.55, plate.x1, 0.8, (200, 200, 204))
    plate.line([(plate.x0, 0.67), (plate.x1, 0.67)], (150, 150, 156), 0.04)
    px = math.floor(plate.x0 / 2) * 2
    while px < plate.x1:
        plate.rect(px - 0.06, 0, px + 0.06, 0.8, (110, 110, 116))
        px += 2.0


def palms(plate: Plate, x: float, space: Space) -> None:
    rng = space.rng
    px = plate.x0 + x % 8
    while px < plate.x1:
        lean = rng.uniform(-0.8, 0.8)
        top = (px + lean * 1.5, rng.uniform(5, 8))
        plate.line([(px, 0), ((px + top[0]) / 2 + lean * 0.3, top[1] * 0.5), top], (110, 86, 60), 0.3)
        for k in range(7):
            a = k / 7 * 2 * math.pi
            plate.line([top, (top[0] + 2.0 * math.cos(a), top[1] + 0.8 * math.sin(a) - 0.6)], (50, 110, 60), 0.22)
        px += rng.uniform(9, 20)


def parapet(plate: Plate, x: float, space: Space) -> None:
    """The roof's edge: a low wall with a steel rail on it."""
    plate.rect(plate.x0, 0, plate.x1, 1.1, (176, 174, 168))
    plate.rect(plate.x0, 1.1, plate.x1, 1.2, (200, 198, 192))
    plate.line([(plate.x0, 1.55), (plate.x1, 1.55)], (90, 96, 104), 0.05)
    for px in np.arange(math.floor(plate.x0 / 1.5) * 1.5, plate.x1, 1.5):
        plate.line([(px, 1.2), (px, 1.55)], (90, 96, 104), 0.04)
    px = math.floor(plate.x0 / 3) * 3
    while px < plate.x1:
        plate.line([(px, 0), (px, 1.1)], (150, 148, 142), 0.02)
        px += 3


def water_tank(plate: Plate, x: float, space: Space) -> None:
    tx = x + float(space.rng.choice((-1.0, 1.0))) * space.rng.uniform(3.0, 5.0)
    for lx in (tx - 0.8, tx + 0.8):
        plate.line([(lx, 0), (lx, 1.6)], (90, 90, 96), 0.08)
    plate.rect(tx - 1.1, 1.6, tx + 1.1, 3.6, (200, 200, 206))
    plate.ellipse(tx, 3.6, 1.1, 0.2, (220, 220, 226))


def fence(plate: Plate, x: float, space: Space) -> None:
    """A tall chain-link fence round the court."""
    plate.rect(plate.x0, 0, plate.x1, 4.0, (120, 130, 130), alpha=70)
    px = math.floor(plate.x0 / 3) * 3
    while px < plate.x1:
        plate.line([(px, 0), (px, 4.0)], (80, 90, 90), 0.08)
        px += 3
    plate.line([(plate.x0, 4.0), (plate.x1, 4.0)], (80, 90, 90), 0.06)


def hoop(plate: Plate, x: float, space: Space) -> None:
    basketball_hoop(plate, x)


def basketball_hoop(plate: Plate, x: float, y: float = 0.0, *, pole: bool = True) -> None:
    """Backboard with its square, orange ring and net at regulation height (3.05 m), on a pole or a wall."""
    if pole:
        plate.line([(x, y), (x, y + 3.3)], (60, 64, 70), 0.14)
    y += 2.9
    plate.rect(x - 0.9, y, x + 0.9, y + 1.05, (244, 244, 244))
    plate.line([(x - 0.9, y), (x + 0.9, y), (x + 0.9, y + 1.05), (x - 0.9, y + 1.05), (x - 0.9, y)], (200, 60, 40), 0.04)
    plate.line([(x - 0.3, y + 0.15), (x - 0.3, y + 0.6), (x + 0.3, y + 0.6), (x + 0.3, y + 0.15)], (200, 60, 40), 0.04)
    plate.ellipse(x, y + 0.15, 0.24, 0.05, (230, 90, 30))
    for k in range(5):
        nx = x - 0.2 + k * 0.1
        plate.line([(nx, y + 0.13), (x + (nx - x) * 0.6, y - 0.25)], (240, 240, 240), 0.015)


# ------------------------------------------------------------------ people in the background


def passerby(plate: Plate, x: float, space: Space) -> None:
    """An extra: a simple standing figure in a coat of a muted colour, facing a seeded way."""
    rng = space.rng
    tall = rng.uniform(1.55, 1.85)
    coat = mix(FABRICS[rng.integers(len(FABRICS))], (120, 120, 124), 0.35)
    trousers = shade(coat, 0.55) if rng.random() < 0.6 else (40, 42, 50)
    head = tall * 0.065
    hip, shoulder = tall * 0.47, tall * 0.81
    plate.rect(x - 0.1, 0, x - 0.02, hip, trousers)
    plate.rect(x + 0.02, 0, x + 0.1, hip, trousers)
    plate.poly([(x - 0.2, shoulder), (x + 0.2, shoulder), (x + 0.17, hip - 0.12), (x - 0.17, hip - 0.12)], coat)
    plate.rect(x - 0.04, shoulder, x + 0.04, shoulder + 0.05, (196, 160, 130))
    plate.ellipse(x, tall - head, head * 0.8, head, (196, 160, 130))
    plate.ellipse(x + float(rng.uniform(-0.03, 0.03)), tall - head * 0.55, head * 0.85, head * 0.6, (40, 32, 28))  # hair


ELEMENTS: dict[str, Element] = {f.__name__: f for f in (
    window, city_window, door, picture, cabinets, blackboard, clock, curtain_rail, emblem, menu_board, lanterns, bottle_shelf, neon,
    goods_shelf, screen_wall, wall_hoop, scoreboard, exit_sign, windshield, car_window,
    bus_windows, side_doors, ceiling_lights,
    sofa, floor_lamp, bookshelf, plant, bed, nightstand, wardrobe, counter, stove, fridge, desk, cabinet, school_desks, teacher_desk,
    hospital_bed, iv_stand, bedside_monitor, judge_bench, benches, pendant_lamps, dining_tables, bar_counter, stools, shop_counter,
    goods_rack, banquet_tables, champagne, chandeliers, throne, pillars, stairs, bus_seats, car_seat,
    shopfronts, street_lamps, trees, dense_trees, bench, villa_gate, railing, guard_rail, palms, parapet, water_tank, fence, hoop,
)}
