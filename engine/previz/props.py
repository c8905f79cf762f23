"""Props: the objects a script names (SceneContext.props), each a simple recognisable drawing in world
metres, put where such a thing is found (on a table, on the ground) or, for an insert, framed alone.

A prop is drawn by `draw(plate, x, y, k)` with its bottom centre at (x, y); `k` squashes flat things
lying on a table (1 = seen from straight above, as an insert shows them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.previz.backdrop import Stage
from engine.previz.camera import ANGLES, FOV, Framing
from engine.previz.color import RGB, shade
from engine.previz.dressing import basketball_hoop
from engine.previz.layers import Layer
from engine.previz.plate import Plate

TABLE = 0.74  # metres: where small things stand
SEAT = 0.45  # metres: where they lie when there is no table
INSERT_FILL = {"ECU": 0.85, "CU": 0.65, "MCU": 0.55, "MS": 0.5, "OTS": 0.5, "FS": 0.4, "WS": 0.3, "EWS": 0.2}  # of the frame's height


@dataclass(frozen=True)
class Prop:
    draw: Callable[[Plate, float, float, float], None]
    width: float  # metres
    height: float  # metres, as it stands (flat things: its length when seen from above)
    ground: bool = False  # stands on the ground, not on a table
    flat: bool = False  # lies flat (a letter): seen from above in an insert, foreshortened on a table
    behind: float = 0.0  # on the ground: how far behind the people it stands in a scene (m)
    outside: bool = False  # only outdoors in a scene (a bus in a living room is the script's "we are on the bus")


def _ball(p: Plate, x: float, y: float, k: float) -> None:
    r = 0.12
    p.ellipse(x, y + r, r, r, (214, 100, 36))
    p.ellipse(x - 0.03, y + r + 0.03, r * 0.55, r * 0.5, (232, 130, 60))  # highlight
    p.line([(x - r, y + r), (x + r, y + r)], (40, 24, 20), 0.008)
    p.line([(x, y), (x, y + 2 * r)], (40, 24, 20), 0.008)
    for side in (-1, 1):
        p.line([(x + side * r * 0.55, y + 0.02), (x + side * r * 0.35, y + r), (x + side * r * 0.55, y + 2 * r - 0.02)], (40, 24, 20), 0.008)


def _figurine(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.05, y, x + 0.05, y + 0.02, (60, 50, 44))
    p.poly([(x - 0.035, y + 0.02), (x + 0.035, y + 0.02), (x + 0.025, y + 0.1), (x - 0.025, y + 0.1)], (70, 120, 200))  # body
    p.rect(x - 0.03, y + 0.1, x + 0.03, y + 0.13, (230, 200, 60))  # belt / arms
    p.ellipse(x, y + 0.155, 0.026, 0.028, (240, 206, 176))  # head
    p.poly([(x - 0.03, y + 0.165), (x + 0.03, y + 0.165), (x, y + 0.2)], (200, 40, 40))  # hat
    p.line([(x + 0.035, y + 0.06), (x + 0.06, y + 0.13)], (240, 206, 176), 0.008)  # a raised arm


def _phone(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.036, y, x + 0.036, y + 0.15, (24, 24, 28))
    p.rect(x - 0.031, y + 0.008, x + 0.031, y + 0.142, (90, 150, 230), emissive=True)
    p.rect(x - 0.024, y + 0.11, x + 0.024, y + 0.13, (240, 240, 250), emissive=True)
    p.rect(x - 0.024, y + 0.08, x + 0.01, y + 0.1, (200, 230, 200), emissive=True)


def _cup(p: Plate, x: float, y: float, k: float) -> None:
    p.poly([(x - 0.045, y + 0.1), (x + 0.045, y + 0.1), (x + 0.038, y), (x - 0.038, y)], (236, 236, 230))
    p.ellipse(x, y + 0.1, 0.045, 0.012, (110, 70, 40))
    p.line([(x + 0.045, y + 0.08), (x + 0.07, y + 0.06), (x + 0.042, y + 0.03)], (236, 236, 230), 0.01)


def _beer(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.1, y, x - 0.04, y + 0.16, (110, 60, 20))  # a brown bottle
    p.poly([(x - 0.1, y + 0.16), (x - 0.04, y + 0.16), (x - 0.058, y + 0.2), (x - 0.082, y + 0.2)], (110, 60, 20))
    p.rect(x - 0.082, y + 0.2, x - 0.058, y + 0.24, (110, 60, 20))
    p.rect(x - 0.1, y + 0.05, x - 0.04, y + 0.1, (230, 220, 180))  # label
    p.poly([(x + 0.0, y + 0.15), (x + 0.09, y + 0.15), (x + 0.08, y), (x + 0.01, y)], (236, 170, 40))  # a glass of beer
    p.rect(x + 0.0, y + 0.13, x + 0.09, y + 0.17, (250, 248, 236))


def _bottle(p: Plate, x: float, y: float, k: float) -> None:
    glass = (40, 110, 60)
    p.rect(x - 0.04, y, x + 0.04, y + 0.2, glass)
    p.poly([(x - 0.04, y + 0.2), (x + 0.04, y + 0.2), (x + 0.014, y + 0.25), (x - 0.014, y + 0.25)], glass)
    p.rect(x - 0.014, y + 0.25, x + 0.014, y + 0.3, glass)
    p.rect(x - 0.04, y + 0.06, x + 0.04, y + 0.13, (240, 236, 220))
    p.line([(x - 0.025, y + 0.02), (x - 0.025, y + 0.18)], (120, 190, 140), 0.008)


def _car(p: Plate, x: float, y: float, k: float) -> None:
    body = (30, 34, 44)
    p.poly([(x - 2.3, y + 0.25), (x + 2.3, y + 0.25), (x + 2.25, y + 0.8), (x + 1.1, y + 0.95), (x + 0.6, y + 1.45), (x - 1.0, y + 1.45),
            (x - 1.6, y + 0.95), (x - 2.3, y + 0.85)], body)
    p.poly([(x + 0.5, y + 1.0), (x + 0.95, y + 1.0), (x + 0.55, y + 1.38), (x - 0.9, y + 1.38), (x - 1.4, y + 1.0)], (120, 150, 180))
    p.line([(x - 0.2, y + 1.0), (x - 0.2, y + 1.4)], body, 0.06)
    for wx in (x - 1.45, x + 1.45):
        p.ellipse(wx, y + 0.33, 0.34, 0.34, (14, 14, 16))
        p.ellipse(wx, y + 0.33, 0.16, 0.16, (170, 170, 176))
    p.ellipse(x + 2.22, y + 0.7, 0.1, 0.07, (255, 240, 200), emissive=True)


def _bus(p: Plate, x: float, y: float, k: float) -> None:
    body = (40, 120, 190)
    p.rect(x - 5.5, y + 0.35, x + 5.5, y + 3.1, body)
    p.rect(x - 5.5, y + 0.35, x + 5.5, y + 0.8, shade(body, 0.7))
    for wx in np.arange(x - 5.0, x + 4.0, 1.3):
        p.rect(wx, y + 1.6, wx + 1.1, y + 2.7, (150, 190, 220))
    p.rect(x + 4.3, y + 0.5, x + 5.3, y + 2.7, (150, 190, 220))  # the door
    p.line([(x + 4.8, y + 0.5), (x + 4.8, y + 2.7)], shade(body, 0.6), 0.05)
    p.rect(x - 4.5, y + 2.8, x - 1.5, y + 3.05, (250, 200, 60), emissive=True)  # the route sign
    for wx in (x - 3.6, x + 3.0):
        p.ellipse(wx, y + 0.48, 0.48, 0.48, (14, 14, 16))
        p.ellipse(wx, y + 0.48, 0.22, 0.22, (160, 160, 166))


def _bicycle(p: Plate, x: float, y: float, k: float) -> None:
    steel, r = (180, 40, 40), 0.34
    for wx in (x - 0.52, x + 0.52):
        p.ellipse(wx, y + r, r, r, (30, 30, 32))
        p.ellipse(wx, y + r, r - 0.04, r - 0.04, (0, 0, 0), alpha=0)
        p.line([(wx, y + r), (wx + 0.01, y + r + 0.01)], (120, 120, 120), 0.03)
    frame = [(x - 0.52, y + r), (x - 0.05, y + r), (x + 0.3, y + 0.78), (x - 0.2, y + 0.78), (x - 0.52, y + r)]
    p.line(frame, steel, 0.03)
    p.line([(x - 0.05, y + r), (x - 0.25, y + 0.86)], steel, 0.03)
    p.line([(x + 0.52, y + r), (x + 0.36, y + 0.95)], steel, 0.03)
    p.line([(x + 0.28, y + 0.95), (x + 0.46, y + 0.98)], (40, 40, 40), 0.03)
    p.rect(x - 0.34, y + 0.86, x - 0.14, y + 0.9, (40, 40, 40))


def _knife(p: Plate, x: float, y: float, k: float) -> None:
    """Seen from above, lying across: the handle low left, the point high right."""
    def at(u: float, v: float) -> tuple[float, float]:  # u along the knife from its butt, v across it
        return x - 0.1 + 0.6 * u - 0.8 * v, y + 0.01 + (0.8 * u + 0.6 * v) * k

    p.poly([at(0.11, 0.018), at(0.33, 0.018), at(0.27, -0.014), at(0.11, -0.018)], (206, 210, 216))
    p.line([at(0.12, 0.012), at(0.3, 0.012)], (250, 250, 255), 0.003)
    p.poly([at(0.0, -0.013), at(0.11, -0.015), at(0.11, 0.015), at(0.0, 0.013)], (50, 34, 26))


def _gun(p: Plate, x: float, y: float, k: float) -> None:
    metal = (40, 42, 46)
    p.rect(x - 0.09, y + 0.08, x + 0.1, y + 0.12, metal)  # slide
    p.poly([(x - 0.09, y + 0.08), (x - 0.03, y + 0.08), (x - 0.05, y), (x - 0.1, y)], shade(metal, 1.3))  # grip
    p.line([(x - 0.02, y + 0.08), (x, y + 0.05), (x + 0.02, y + 0.08)], metal, 0.006)  # trigger guard


def _document(p: Plate, x: float, y: float, k: float) -> None:
    h = 0.3 * k
    p.rect(x - 0.11, y, x + 0.11, y + h, (244, 242, 234))
    p.rect(x - 0.08, y + h * 0.82, x + 0.05, y + h * 0.9, (40, 40, 44))  # the title
    for row in range(8):
        ly = y + h * (0.72 - row * 0.08)
        p.line([(x - 0.08, ly), (x + 0.08 - 0.03 * (row % 3), ly)], (120, 120, 128), max(0.002, 0.004 * k))
    p.ellipse(x + 0.06, y + h * 0.1, 0.025, 0.025 * k, (200, 40, 40))  # a red seal


def _letter(p: Plate, x: float, y: float, k: float) -> None:
    h = 0.12 * k
    p.rect(x - 0.11, y, x + 0.11, y + h, (236, 226, 200))
    p.line([(x - 0.11, y + h), (x, y + h * 0.45), (x + 0.11, y + h)], (190, 176, 150), 0.004)
    p.rect(x + 0.06, y + h * 0.62, x + 0.095, y + h * 0.92, (200, 60, 50))  # stamp


def _book(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.1, y, x + 0.1, y + 0.05, (240, 236, 224))  # pages
    p.rect(x - 0.105, y + 0.05, x + 0.105, y + 0.065, (50, 80, 140))
    p.rect(x - 0.105, y - 0.01, x + 0.105, y, (50, 80, 140))
    p.rect(x - 0.1, y + 0.07, x + 0.1, y + 0.1, (150, 50, 40))  # a second book on top
    for row in range(4):
        p.line([(x - 0.1, y + 0.01 + row * 0.01), (x + 0.1, y + 0.01 + row * 0.01)], (200, 196, 186), 0.002)


def _laptop(p: Plate, x: float, y: float, k: float) -> None:
    p.poly([(x - 0.18, y), (x + 0.18, y), (x + 0.16, y + 0.02), (x - 0.16, y + 0.02)], (170, 172, 178))
    p.rect(x - 0.16, y + 0.02, x + 0.16, y + 0.23, (60, 62, 68))
    p.rect(x - 0.145, y + 0.035, x + 0.145, y + 0.215, (110, 160, 220), emissive=True)
    p.rect(x - 0.12, y + 0.16, x + 0.03, y + 0.19, (240, 244, 250), emissive=True)


def _ring(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.04, y, x + 0.04, y + 0.035, (120, 20, 40))  # the box
    p.rect(x - 0.035, y + 0.035, x + 0.035, y + 0.045, (240, 230, 230))
    p.ellipse(x, y + 0.058, 0.014, 0.014, (220, 180, 80))
    p.ellipse(x, y + 0.058, 0.009, 0.009, (120, 20, 40))
    p.poly([(x - 0.008, y + 0.072), (x + 0.008, y + 0.072), (x, y + 0.086)], (230, 250, 255), emissive=True)  # the stone


def _bag(p: Plate, x: float, y: float, k: float) -> None:
    leather = (140, 60, 50)
    p.poly([(x - 0.16, y), (x + 0.16, y), (x + 0.13, y + 0.22), (x - 0.13, y + 0.22)], leather)
    p.line([(x - 0.08, y + 0.22), (x - 0.06, y + 0.32), (x + 0.06, y + 0.32), (x + 0.08, y + 0.22)], shade(leather, 0.7), 0.012)
    p.rect(x - 0.02, y + 0.14, x + 0.02, y + 0.18, (220, 190, 100))


def _money(p: Plate, x: float, y: float, k: float) -> None:
    for i in range(5):
        h = 0.07 * k
        by = y + i * 0.012 * max(k, 0.3)
        p.rect(x - 0.08 + i * 0.004, by, x + 0.08 + i * 0.004, by + h, (214, 80, 80) if i % 2 else (230, 110, 100))
        p.ellipse(x + i * 0.004, by + h / 2, 0.018, 0.018 * k, (250, 220, 210))


def _flowers(p: Plate, x: float, y: float, k: float) -> None:
    p.poly([(x - 0.05, y), (x + 0.05, y), (x + 0.06, y + 0.12), (x - 0.06, y + 0.12)], (200, 220, 240))  # vase
    rng = np.random.default_rng(7)  # the same bouquet every time
    for _ in range(9):
        fx, fy = x + rng.uniform(-0.1, 0.1), y + rng.uniform(0.2, 0.32)
        p.line([(x, y + 0.12), (fx, fy)], (60, 120, 60), 0.006)
        p.ellipse(fx, fy, 0.03, 0.03, [(220, 40, 70), (240, 200, 60), (250, 250, 250)][int(rng.integers(3))])


def _umbrella(p: Plate, x: float, y: float, k: float) -> None:
    canopy = (40, 50, 110)
    p.line([(x, y), (x, y + 0.9)], (40, 40, 40), 0.02)
    p.line([(x, y), (x + 0.05, y - 0.04), (x + 0.08, y)], (40, 40, 40), 0.02)
    p.poly([(x - 0.5, y + 0.75)] + [(x + 0.5 * math.cos(a), y + 0.75 + 0.3 * math.sin(a)) for a in np.linspace(math.pi, 0, 12)], canopy)


def _cake(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.15, y, x + 0.15, y + 0.01, (230, 230, 236))  # plate
    p.rect(x - 0.12, y + 0.01, x + 0.12, y + 0.09, (250, 240, 230))
    p.rect(x - 0.08, y + 0.09, x + 0.08, y + 0.15, (250, 220, 230))
    for cx in (-0.04, 0.0, 0.04):
        p.rect(x + cx - 0.004, y + 0.15, x + cx + 0.004, y + 0.19, (120, 180, 230))
        p.ellipse(x + cx, y + 0.197, 0.006, 0.009, (255, 200, 80), emissive=True)
    p.line([(x - 0.12, y + 0.07), (x + 0.12, y + 0.07)], (220, 60, 90), 0.008)


def _key(p: Plate, x: float, y: float, k: float) -> None:
    metal = (214, 180, 90)
    p.ellipse(x - 0.04, y + 0.02, 0.02, 0.02, metal)
    p.ellipse(x - 0.04, y + 0.02, 0.008, 0.008, (0, 0, 0), alpha=0)
    p.rect(x - 0.02, y + 0.015, x + 0.05, y + 0.025, metal)
    p.rect(x + 0.03, y + 0.005, x + 0.036, y + 0.015, metal)
    p.rect(x + 0.042, y + 0.005, x + 0.048, y + 0.015, metal)


def _photo(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.08, y, x + 0.08, y + 0.2 if k >= 1 else y + 0.14, (70, 50, 40))  # a frame standing up (or the print)
    top = y + (0.19 if k >= 1 else 0.13)
    p.gradient(top, y + 0.01, (150, 190, 220), (120, 150, 110), x0=x - 0.07, x1=x + 0.07)
    for dx, tone in ((-0.025, (60, 50, 60)), (0.025, (200, 190, 200))):  # two people
        p.ellipse(x + dx, y + (top - y) * 0.6, 0.014, 0.017, (230, 200, 170))
        p.rect(x + dx - 0.02, y + 0.01, x + dx + 0.02, y + (top - y) * 0.48, tone)


def _medicine(p: Plate, x: float, y: float, k: float) -> None:
    p.rect(x - 0.03, y, x + 0.03, y + 0.08, (240, 160, 40))  # a pill bottle
    p.rect(x - 0.033, y + 0.08, x + 0.033, y + 0.1, (250, 250, 250))
    p.rect(x - 0.03, y + 0.025, x + 0.03, y + 0.055, (250, 250, 246))
    for dx in (0.06, 0.08, 0.1):  # pills
        p.ellipse(x + dx, y + 0.006, 0.008, 0.006, (250, 250, 250))


def _hoop(p: Plate, x: float, y: float, k: float) -> None:
    basketball_hoop(p, x, y)

PROPS: dict[str, Prop] = {
    "ball": Prop(_ball, 0.24, 0.24, ground=True, behind=0.4),
    "hoop": Prop(_hoop, 1.8, 3.95, ground=True, behind=3.5),
    "figurine": Prop(_figurine, 0.12, 0.2),
    "phone": Prop(_phone, 0.08, 0.15),
    "cup": Prop(_cup, 0.14, 0.11),
    "beer": Prop(_beer, 0.2, 0.24),
    "bottle": Prop(_bottle, 0.08, 0.3),
    "car": Prop(_car, 4.6, 1.45, ground=True, behind=4.5, outside=True),
    "bus": Prop(_bus, 11.0, 3.1, ground=True, behind=9.0, outside=True),
    "bicycle": Prop(_bicycle, 1.7, 1.0, ground=True, behind=1.4),
    "knife": Prop(_knife, 0.24, 0.3, flat=True),
    "gun": Prop(_gun, 0.2, 0.13),
    "document": Prop(_document, 0.22, 0.3, flat=True),
    "letter": Prop(_letter, 0.22, 0.12, flat=True),
    "book": Prop(_book, 0.21, 0.1),
    "laptop": Prop(_laptop, 0.36, 0.23),
    "ring": Prop(_ring, 0.08, 0.09),
    "bag": Prop(_bag, 0.32, 0.32),
    "money": Prop(_money, 0.18, 0.1, flat=True),
    "flowers": Prop(_flowers, 0.26, 0.34),
    "umbrella": Prop(_umbrella, 1.0, 1.05, ground=True, behind=0.8),
    "cake": Prop(_cake, 0.3, 0.2),
    "key": Prop(_key, 0.1, 0.04, flat=True),
    "photo": Prop(_photo, 0.16, 0.2),
    "medicine": Prop(_medicine, 0.14, 0.1),
}


def known(names: tuple[str, ...]) -> list[str]:
    """The props this module can draw, in order, each once."""
    return [n for n in dict.fromkeys(names) if n in PROPS]


def frame_prop(name: str, shot: str, angle: str, aspect: float, rng: np.random.Generator) -> Framing:
    """An insert: the camera frames the prop alone, filling `INSERT_FILL` of the frame, focused on it."""
    prop = PROPS[name]
    visible = max(prop.height, prop.width / aspect) / INSERT_FILL[shot] * rng.uniform(0.92, 1.08)
    distance = visible / (2 * math.tan(math.radians(FOV / 2)))
    centre = (0.0 if prop.ground else TABLE) + prop.height / 2
    tilt, roll = ANGLES[angle]
    if angle == "dutch":
        roll *= float(rng.choice((-1.0, 1.0)))
    height = max(0.05, centre - distance * math.tan(math.radians(tilt)))
    return Framing(shot, distance, height, tilt, roll, FOV, rng.uniform(-0.04, 0.04) * visible * aspect)


def insert_layer(name: str, stage: Stage, wood: RGB) -> Layer:
    """The framed prop, sharp at the focus distance, on its table (flat things seen from above on it)."""
    prop = PROPS[name]
    plate = stage.plate(f"prop:{name}", stage.subject)
    x = stage.framing.offset_x
    if prop.flat:
        plate.rect(plate.x0, plate.y0, plate.x1, plate.top, wood)
        for gx in np.arange(math.floor(plate.x0 / 0.12) * 0.12, plate.x1, 0.12):  # the grain
            plate.line([(gx, plate.y0), (gx + 0.02, plate.top)], shade(wood, 0.9), 0.004)
        prop.draw(plate, x, TABLE, 1.0)  # where frame_prop centred the camera
    else:
        if not prop.ground:
            _table(plate, stage, plate.x0, plate.x1, wood, front=stage.subject - 0.12)
        prop.draw(plate, x, 0.0 if prop.ground else TABLE, 1.0)
    plate.light(stage.look)
    return stage.finish(plate)


def scene_layers(names: list[str], stage: Stage, inside: bool, table: bool, wood: RGB, back: float, people: list[float],
                 rng: np.random.Generator) -> list[Layer]:
    """Props in the scene: small ones together on a table (or a seat, without one) behind the people (before
    the back wall at `back`), on the side of the frame with fewer of them (`people`: their places across the frame, 0–1);
    when people fill the frame (MS and closer) further back, where the table comes into view, and out at
    the frame's edge. Large ones stand on the ground (cars and buses only outside), each on its own plane."""
    lean = sum(x - 0.5 for x in people)
    side = -1.0 if lean > 0.05 else 1.0 if lean < -0.05 else float(rng.choice((-1.0, 1.0)))
    close = stage.framing.shot in ("ECU", "CU", "MCU", "MS", "OTS")
    out, behind = ((0.34, 0.42), (1.2, 1.8)) if close else ((0.18, 0.3), (0.5, 0.9))
    layers = []
    small = [n for n in names if not PROPS[n].ground][:4]
    if small:
        z = min(stage.subject + rng.uniform(*behind), max(stage.subject + 0.2, back - 0.3))
        plate = stage.plate("props", z)
        width = max(0.8, sum(PROPS[n].width + 0.08 for n in small))
        centre = _across(stage, z, 0.5 + side * rng.uniform(*out))
        if table:
            _table(plate, stage, centre - width / 2, centre + width / 2, wood, front=z - 0.25)
        x = centre - width / 2 + 0.04
        for n in small:
            prop = PROPS[n]
            prop.draw(plate, x + prop.width / 2, TABLE if table else SEAT, 0.35 if prop.flat else 1.0)
            x += prop.width + 0.08
        plate.light(stage.look)
        layers.append(stage.finish(plate))
    large = [n for n in names if PROPS[n].ground and not (inside and PROPS[n].outside)][:3]
    for i, n in enumerate(large):
        prop = PROPS[n]
        z = stage.subject + prop.behind * rng.uniform(0.9, 1.2)
        plate = stage.plate(f"prop:{n}", z)
        across = 0.5 - side * (-1) ** i * rng.uniform(0.22, 0.34)
        prop.draw(plate, _across(stage, z, across), 0.0, 1.0)
        plate.light(stage.look)
        layers.append(stage.finish(plate))
    return layers


def _across(stage: Stage, z: float, fraction: float) -> float:
    """The world x at depth z that the rest camera sees at `fraction` of the frame's width."""
    return stage.eye[0] + (fraction - 0.5) * stage.view.width * z / stage.focal


def _table(plate: Plate, stage: Stage, x0: float, x1: float, wood: RGB, front: float) -> None:
    """A table top at `TABLE` seen from the camera: its surface back to the plate's plane, and its front edge."""
    cx, h = stage.eye
    k = plate.z / max(front, 0.05)
    y_edge = h + (TABLE - h) * k
    ex0, ex1 = cx + (x0 - cx) * k, cx + (x1 - cx) * k
    plate.poly([(x0, TABLE), (x1, TABLE), (ex1, y_edge), (ex0, y_edge)], shade(wood, 1.08))
    plate.rect(ex0, y_edge - 0.05 * k, ex1, y_edge, shade(wood, 0.8))
    for lx in (ex0 + 0.04 * k, ex1 - 0.08 * k):
        plate.rect(lx, h * (1 - k), lx + 0.04 * k, y_edge - 0.05 * k, shade(wood, 0.65))
