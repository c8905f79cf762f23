"""Stylised full-body people drawn with PIL: the stand-in for a character that has no reference image,
and the generator of the demo project's reference portraits (one drawing code for both).

A figure is described by a `FigureSpec` (read from a cast description in English or Chinese by
`spec_from_text`) and drawn front-on in head units, supersampled for clean edges. The drawing
returns an `Anatomy` (head box, mouth, feet) so framing and lip animation know where the face is.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.previz.color import RGB, hex_rgb, mix, shade, stable_hash
from engine.previz.text import draw_tag
from engine.previz.words import find, mentions

HEADS_TALL = 7.4  # top of head to soles, in head heights
ANATOMY_KEY = "drama.anatomy"  # PNG text chunk carrying the Anatomy as JSON

HairStyle = Literal["long", "short", "updo", "swept", "bob", "ponytail"]
Outfit = Literal["dress", "suit", "gown", "tailcoat", "shirt", "coat", "hoodie"]


@dataclass(frozen=True)
class FigureSpec:
    sex: Literal["f", "m"] = "f"
    age: Literal["young", "adult", "old"] = "adult"
    skin: RGB = (236, 200, 170)
    hair: RGB = (30, 26, 28)
    hair_style: HairStyle = "short"
    outfit: Outfit = "shirt"
    top: RGB = (120, 120, 130)  # main garment
    under: RGB = (240, 240, 236)  # shirt / waistcoat under the garment
    accent: RGB = (40, 40, 50)  # tie, belt, trim
    legs: RGB = (50, 50, 60)  # trousers or stockings
    shoes: RGB = (30, 28, 30)
    lips: RGB = (196, 110, 110)
    glasses: bool = False
    gloves: bool = False
    jewel: Literal["none", "bracelet", "ring", "necklace"] = "none"
    build: float = 1.0  # shoulder width factor
    label: str = ""  # drawn under the feet when set (generated stand-ins carry their name)


@dataclass(frozen=True)
class Anatomy:
    """Where the body is in an image, in pixels: framing and lip-sync read it."""

    head: tuple[float, float, float, float]  # x0, y0 (top of head), x1, y1 (chin)
    mouth: tuple[float, float]
    feet_y: float  # soles; the image may continue below (label, shadow room)
    hair: RGB = (30, 26, 28)

    @property
    def head_height(self) -> float:
        return self.head[3] - self.head[1]

    def scaled(self, sx: float, sy: float, dx: float = 0.0, dy: float = 0.0) -> "Anatomy":
        x0, y0, x1, y1 = self.head
        return Anatomy(
            (x0 * sx + dx, y0 * sy + dy, x1 * sx + dx, y1 * sy + dy),
            (self.mouth[0] * sx + dx, self.mouth[1] * sy + dy),
            self.feet_y * sy + dy,
            self.hair,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Anatomy":
        data = json.loads(text)
        return cls(tuple(data["head"]), tuple(data["mouth"]), float(data["feet_y"]), tuple(data.get("hair", (30, 26, 28))))


# ---------------------------------------------------------------- reading a description

_COLOURS: list[tuple[tuple[str, ...], RGB]] = [
    (("crimson", "深红", "绯红", "酒红"), (150, 24, 40)),
    (("navy", "藏青", "藏蓝", "深蓝"), (34, 44, 86)),
    (("red", "红"), (190, 40, 48)),
    (("pink", "粉"), (232, 150, 170)),
    (("white", "白"), (238, 236, 230)),
    (("black", "黑"), (28, 28, 32)),
    (("grey", "gray", "灰"), (120, 120, 124)),
    (("blue", "蓝"), (60, 100, 170)),
    (("green", "绿"), (60, 120, 80)),
    (("yellow", "黄"), (220, 180, 60)),
    (("purple", "紫"), (110, 70, 140)),
    (("beige", "米色", "卡其"), (200, 180, 150)),
    (("brown", "棕", "褐"), (110, 74, 48)),
]
_OUTFITS: list[tuple[tuple[str, ...], Outfit]] = [
    (("tailcoat", "燕尾服", "butler", "管家"), "tailcoat"),
    (("gown", "晚礼服", "礼服"), "gown"),
    (("suit", "西装", "西服"), "suit"),
    (("dress", "裙", "旗袍"), "dress"),
    (("hoodie", "卫衣"), "hoodie"),
    (("coat", "大衣", "外套", "风衣"), "coat"),
    (("shirt", "衬衫", "t恤", "uniform", "校服"), "shirt"),
]
_HAIR: list[tuple[tuple[str, ...], HairStyle]] = [
    (("pinned up", "updo", "bun", "盘发", "发髻"), "updo"),
    (("ponytail", "马尾"), "ponytail"),
    (("swept-back", "swept back", "背头"), "swept"),
    (("bob", "短发女", "波波头"), "bob"),
    (("long", "长发"), "long"),
    (("short", "短发", "寸头"), "short"),
]
_HAIR_COLOURS: list[tuple[tuple[str, ...], RGB]] = [
    (("grey", "gray", "silver", "white", "白", "灰", "银"), (168, 166, 162)),
    (("chestnut", "栗"), (112, 58, 34)),
    (("blond", "golden", "金"), (214, 178, 100)),
    (("brown", "棕", "褐"), (90, 60, 40)),
    (("red", "auburn", "红"), (150, 60, 30)),
    (("black", "黑"), (24, 20, 22)),
]
_FEMALE = ("woman", "girl", "female", "lady", "wife", "mother", "她", "女", "妻", "母", "妈", "姐", "妹", "小姐", "太太", "奶奶")
_MALE = ("man", "boy", "male", "husband", "father", "butler", "他", "男", "夫", "父", "爸", "哥", "弟", "先生", "爷", "伯", "叔", "总裁")
_OLD = ("elderly", "old ", "aged", "老", "奶奶", "爷爷", "伯")


def _find(text: str, table):
    for words, value in table:
        if mentions(text, words):
            return value
    return None


def _age(text: str) -> Literal["young", "adult", "old"]:
    years = [int(n) for n in re.findall(r"(\d{1,2})\s*(?:岁|years?|y/o|,|$)", text)]
    if years:
        return "old" if years[0] >= 50 else "young" if years[0] < 22 else "adult"
    if any(w in text for w in _OLD):
        return "old"
    return "young" if any(w in text for w in ("student", "teen", "学生", "少年", "少女")) else "adult"


def _phrases(text: str) -> list[str]:
    return [p for p in re.split(r"[,，、;；。]", text) if p.strip()]


def _colours_in(phrase: str) -> list[RGB]:
    found = sorted((find(w, phrase), c) for words, c in _COLOURS for w in words if find(w, phrase) >= 0)
    return [c for _, c in found]


def spec_from_text(name: str, description: str = "", color: str = "#888888") -> FigureSpec:
    """A figure for a cast entry: sex, age, hair, outfit and colours from the description's words
    (English or Chinese), the character colour for the garment when the text names none, and
    name-seeded variation (skin tone, build) so that two undescribed characters still differ."""
    text = f" {description.lower()} "
    rng = np.random.default_rng(stable_hash("figure", name))
    female = sum(w in text for w in _FEMALE) >= sum(w in text for w in _MALE) if description.strip() else bool(rng.integers(2))
    sex: Literal["f", "m"] = "f" if female else "m"
    age = _age(text)
    phrases = _phrases(text)
    hair_phrase = next((p for p in phrases if "hair" in p or "发" in p), "")
    worn = [p for p in phrases if p != hair_phrase and not any(w in p for w in ("lipstick", "口红", "红唇", "eyes", "眼"))]
    outfit = _find(text, _OUTFITS) or ("dress" if sex == "f" and rng.random() < 0.5 else "shirt")
    hair_style = _find(hair_phrase, _HAIR) or ("long" if sex == "f" else "short")
    hair = _find(hair_phrase, _HAIR_COLOURS) or ((168, 166, 162) if age == "old" else (26 + int(rng.integers(0, 20)), 22, 24))
    # The garment is the first colour named outside hair/lips, skipping the shirt under a jacket.
    garment = [c for p in worn for c in _colours_in(p) if not (outfit in ("suit", "tailcoat", "coat") and ("shirt" in p or "衬衫" in p))]
    top = garment[0] if garment else hex_rgb(color)
    skin_light = 0.92 + 0.1 * rng.random()
    if any(w in text for w in ("pale", "白皙", "苍白")):
        skin_light = 1.04
    if any(w in text for w in ("tanned", "dark skin", "黝黑", "古铜")):
        skin_light = 0.78
    skin = shade((232, 196, 166), skin_light)
    vest = next((p for p in worn if "waistcoat" in p or "vest" in p or "马甲" in p), None)
    tie = next((p for p in worn if "tie" in p or "领带" in p), "")
    lips = (200, 30, 40) if any(w in text for w in ("lipstick", "口红", "红唇")) else shade(skin, 0.82) if sex == "m" else (206, 120, 120)
    return FigureSpec(
        sex=sex,
        age=age,
        skin=skin,
        hair=hair,
        hair_style=hair_style,
        outfit=outfit,
        top=top,
        under=(_colours_in(vest) or [(110, 74, 48)])[0] if vest else (240, 240, 236),
        accent=(_colours_in(tie) or [(30, 30, 40) if "dark" in tie else shade(top, 0.55)])[0],
        legs=shade(top, 0.8) if outfit in ("suit", "tailcoat") else shade(skin, 0.95) if outfit in ("dress", "gown") else (40, 40, 48),
        shoes=(24, 22, 24) if outfit != "dress" else (200, 190, 180),
        lips=lips,
        glasses=any(w in text for w in ("glasses", "spectacles", "眼镜")),
        gloves=any(w in text for w in ("gloves", "手套")),
        jewel="bracelet" if any(w in text for w in ("bracelet", "手镯", "手链")) else "ring" if any(w in text for w in (" ring", "戒指")) else "none",
        build=(1.08 if any(w in text for w in ("tall", "broad", "高大", "魁梧")) else 1.0) * (0.96 + 0.08 * rng.random()),
    )


# ---------------------------------------------------------------- drawing


def _chaikin(points: list[tuple[float, float]], rounds: int = 3) -> list[tuple[float, float]]:
    """Round a closed polygon's corners (Chaikin's corner cutting) for organic outlines."""
    pts = points
    for _ in range(rounds):
        out = []
        for i, (x0, y0) in enumerate(pts):
            x1, y1 = pts[(i + 1) % len(pts)]
            out += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1), (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        pts = out
    return pts


class _Pen:
    """Draws in head units around a vertical centre line, on a supersampled canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, unit: float, cx: float, top: float):
        self.d, self.u, self.cx, self.top = draw, unit, cx, top

    def p(self, x: float, y: float) -> tuple[float, float]:
        return (self.cx + x * self.u, self.top + y * self.u)

    def shape(self, pts, fill: RGB, line: RGB | None = None, smooth: int = 3, width: float = 0.018, mirror: bool = False):
        for sign in ((1, -1) if mirror else (1,)):
            xy = [self.p(sign * x, y) for x, y in (_chaikin(pts, smooth) if smooth else pts)]
            self.d.polygon(xy, fill=fill, outline=line, width=max(1, int(width * self.u)) if line else 0)

    def ellipse(self, x: float, y: float, rx: float, ry: float, fill: RGB, line: RGB | None = None, width: float = 0.018):
        x0, y0 = self.p(x - rx, y - ry)
        x1, y1 = self.p(x + rx, y + ry)
        self.d.ellipse((x0, y0, x1, y1), fill=fill, outline=line, width=max(1, int(width * self.u)) if line else 0)

    def line(self, pts, fill: RGB, width: float = 0.02):
        self.d.line([self.p(x, y) for x, y in pts], fill=fill, width=max(1, int(width * self.u)), joint="curve")

    def arc(self, x: float, y: float, rx: float, ry: float, start: float, end: float, fill: RGB, width: float = 0.02):
        x0, y0 = self.p(x - rx, y - ry)
        x1, y1 = self.p(x + rx, y + ry)
        self.d.arc((x0, y0, x1, y1), start, end, fill=fill, width=max(1, int(width * self.u)))


@lru_cache(maxsize=16)
def draw_figure(spec: FigureSpec, height: int, *, width: int | None = None, supersample: int = 2) -> tuple[Image.Image, Anatomy]:
    """An RGBA image `height` pixels tall (transparent background) with the whole figure standing in it.
    Cached: a stand-in appears in many shots and draws; callers must not modify the image."""
    width = width or int(height * 0.55)
    ss = supersample
    label_room = 0.45 if spec.label else 0.12
    unit = height * ss / (HEADS_TALL + 0.25 + label_room)
    canvas = Image.new("RGBA", (width * ss, height * ss), (0, 0, 0, 0))
    pen = _Pen(ImageDraw.Draw(canvas), unit, width * ss / 2, 0.22 * unit)
    _draw_body(pen, spec)
    if spec.label:
        _draw_label(canvas, pen, spec)
    image = canvas.reduce(ss) if ss > 1 else canvas
    hw = 0.37 if spec.sex == "m" else 0.35
    s = 1 / ss
    anatomy = Anatomy(
        head=(*[v * s for v in pen.p(-hw, 0)], *[v * s for v in pen.p(hw, 1.0)]),
        mouth=tuple(v * s for v in pen.p(0, 0.8)),  # type: ignore[arg-type]
        feet_y=pen.p(0, HEADS_TALL)[1] * s,
        hair=spec.hair,
    )
    return image, anatomy


def _draw_body(pen: _Pen, s: FigureSpec) -> None:
    f = s.sex == "f"
    sw = (0.68 if f else 0.8) * s.build  # half shoulder width
    waist = 0.4 if f else 0.56
    hips = 0.6 if f else 0.6
    skin_line = shade(s.skin, 0.7)
    hair_line = shade(s.hair, 0.6)

    # hair behind the body
    if s.hair_style == "long":
        pen.shape([(-0.5, 0.3), (-0.56, 1.4), (-0.62, 2.6), (0.62, 2.6), (0.56, 1.4), (0.5, 0.3), (0, -0.05)], s.hair, hair_line)
    elif s.hair_style == "ponytail":
        pen.shape([(0.2, 0.2), (0.55, 0.5), (0.5, 1.6), (0.32, 1.7), (0.3, 0.6)], s.hair, hair_line)

    # legs and shoes (a gown hides them)
    legs = s.legs
    for sign in (-1, 1):
        pen.shape(
            [(sign * 0.05, 3.7), (sign * (hips - 0.02), 3.6), (sign * 0.36, 5.6), (sign * 0.3, 7.1), (sign * 0.12, 7.1), (sign * 0.08, 5.6)],
            legs, shade(legs, 0.6), smooth=2,
        )
        pen.shape([(sign * 0.1, 7.05), (sign * 0.34, 7.05), (sign * 0.4, 7.3), (sign * 0.06, 7.32)], s.shoes, shade(s.shoes, 0.5), smooth=2)

    # arms (sleeves in the garment colour), hands
    sleeve = s.top if s.outfit != "dress" else s.skin
    hand = (246, 246, 244) if s.gloves else s.skin
    for sign in (-1, 1):
        pen.shape(
            [(sign * (sw - 0.16), 1.34), (sign * (sw + 0.06), 1.52), (sign * (sw + 0.12), 2.9), (sign * (sw + 0.1), 3.95),
             (sign * (sw - 0.16), 3.95), (sign * (sw - 0.14), 2.9), (sign * (sw - 0.3), 1.8)],
            sleeve, shade(sleeve, 0.6), smooth=2,
        )
        pen.shape([(sign * (sw - 0.14), 3.9), (sign * (sw + 0.1), 3.9), (sign * (sw + 0.08), 4.45), (sign * (sw - 0.06), 4.55),
                   (sign * (sw - 0.16), 4.3)], hand, shade(hand, 0.72), smooth=2)
        if s.jewel == "bracelet" and sign < 0:
            pen.line([(sign * (sw - 0.15), 3.86), (sign * (sw + 0.11), 3.88)], (214, 218, 228), 0.045)
        if s.jewel == "ring" and sign > 0:
            pen.ellipse(sign * (sw - 0.02), 4.38, 0.05, 0.035, (230, 236, 255), (150, 160, 190))

    # torso garment
    hem = {"gown": 7.15, "dress": 5.5, "coat": 5.6, "tailcoat": 4.1, "hoodie": 4.0}.get(s.outfit, 3.95)
    flare = {"gown": 0.95, "dress": 0.78, "coat": 0.74, "tailcoat": 0.66}.get(s.outfit, hips + 0.02)
    body = [(-sw - 0.02, 1.5), (-sw + 0.12, 1.3), (-0.2, 1.2), (0.2, 1.2), (sw - 0.12, 1.3), (sw + 0.02, 1.5), (sw - 0.06, 2.2),
            (waist, 3.05), (hips, 3.6), (flare, hem), (-flare, hem), (-hips, 3.6), (-waist, 3.05), (-sw + 0.06, 2.2)]
    if s.outfit == "tailcoat":  # tails behind the legs
        pen.shape([(-0.7, 3.4), (0.7, 3.4), (0.6, 5.3), (0.08, 5.0), (-0.08, 5.0), (-0.6, 5.3)], s.top, shade(s.top, 0.5, ), smooth=1)
    pen.shape(body, s.top, shade(s.top, 0.55), smooth=2)
    if s.outfit in ("suit", "tailcoat", "coat"):
        # shirt V, waistcoat, lapels, tie, buttons
        pen.shape([(-0.2, 1.22), (0.2, 1.22), (0.0, 2.55)], s.under if s.outfit != "tailcoat" else (240, 240, 236), None, smooth=0)
        if s.outfit == "tailcoat" or s.under != (240, 240, 236):
            vest = s.under if s.under != (240, 240, 236) else shade(s.top, 0.85)
            pen.shape([(-0.42, 1.5), (-0.12, 1.5), (0, 2.3), (0.12, 1.5), (0.42, 1.5), (0.44, 3.2), (0, 3.4), (-0.44, 3.2)], vest, shade(vest, 0.55), smooth=1)
            for y in (2.5, 2.8, 3.1):
                pen.ellipse(0, y, 0.035, 0.035, shade(vest, 0.5))
        pen.shape([(-0.2, 1.22), (-0.1, 1.22), (0.0, 1.42), (0.1, 1.22), (0.2, 1.22), (0.14, 1.36), (0, 1.5), (-0.14, 1.36)], (246, 246, 244), None, smooth=0)
        if s.sex == "m":
            pen.shape([(-0.07, 1.4), (0.07, 1.4), (0.05, 1.52), (0.1, 2.45), (0, 2.6), (-0.1, 2.45), (-0.05, 1.52)], s.accent, shade(s.accent, 0.6), smooth=0)
        lapel = shade(s.top, 0.75)
        pen.shape([(-0.22, 1.22), (-0.5, 1.45), (-0.36, 1.7), (-0.46, 1.85), (0.0, 3.0 if s.outfit != "tailcoat" else 2.4)], lapel, shade(s.top, 0.45), smooth=0, mirror=True)
        if s.outfit != "tailcoat":
            for y in (3.15, 3.45):
                pen.ellipse(0.04, y, 0.04, 0.04, shade(s.top, 0.45))
    elif s.outfit in ("dress", "gown"):
        neck_cut = [(-0.3, 1.22), (0.3, 1.22), (0.0, 1.62 if s.outfit == "gown" else 1.45)]
        pen.shape(neck_cut, s.skin, None, smooth=1)
        pen.line([(-waist + 0.02, 3.05), (waist - 0.02, 3.05)], shade(s.top, 0.7), 0.04)
        for x in (-0.45, -0.1, 0.3):  # folds
            pen.line([(x * 0.6, 3.3), (x, hem - 0.2)], shade(s.top, 0.8), 0.02)
    elif s.outfit == "hoodie":
        pen.shape([(-0.45, 1.2), (0.45, 1.2), (0.3, 1.6), (-0.3, 1.6)], shade(s.top, 0.85), shade(s.top, 0.55), smooth=2)
        pen.line([(-0.1, 1.5), (-0.12, 2.1)], (230, 230, 230), 0.02)
        pen.line([(0.1, 1.5), (0.12, 2.1)], (230, 230, 230), 0.02)
    else:  # shirt: collar and buttons
        pen.shape([(-0.24, 1.2), (0, 1.45), (-0.06, 1.56), (-0.3, 1.32)], shade(s.top, 1.15), shade(s.top, 0.6), smooth=0, mirror=True)
        pen.line([(0, 1.45), (0, 3.9)], shade(s.top, 0.75), 0.015)

    # neck and head
    neck = 0.15 if f else 0.17
    pen.shape([(-neck, 0.8), (neck, 0.8), (neck + 0.02, 1.3), (0, 1.36), (-neck - 0.02, 1.3)], shade(s.skin, 0.88), None, smooth=1)
    if s.jewel == "necklace":
        pen.arc(0, 1.2, 0.2, 0.2, 20, 160, (230, 220, 160), 0.02)
    hw = 0.35 if f else 0.37
    for sign in (-1, 1):  # ears
        pen.ellipse(sign * (hw - 0.01), 0.52, 0.06, 0.1, s.skin, skin_line)
    pen.shape([(-hw, 0.38), (-hw + 0.02, 0.1), (0, -0.0), (hw - 0.02, 0.1), (hw, 0.38), (hw - 0.04, 0.66),
               (0.2 if f else 0.24, 0.9), (0, 1.0), (-0.2 if f else -0.24, 0.9), (-hw + 0.04, 0.66)], s.skin, skin_line, smooth=3)
    _draw_face(pen, s, hw)
    _draw_hair_front(pen, s, hw, hair_line)


def _draw_face(pen: _Pen, s: FigureSpec, hw: float) -> None:
    f = s.sex == "f"
    old = s.age == "old"
    dark = (34, 26, 26)
    brow = shade(s.hair, 0.8) if not old else (130, 128, 124)
    for sign in (-1, 1):
        ex = sign * 0.155
        pen.ellipse(ex, 0.5, 0.075, 0.036 if not old else 0.028, (248, 246, 242))
        pen.ellipse(ex, 0.5, 0.036, 0.036 if not old else 0.028, (70, 46, 36))
        pen.ellipse(ex, 0.5, 0.018, 0.018, (16, 12, 12))
        pen.ellipse(ex + 0.012, 0.49, 0.009, 0.009, (255, 255, 255))
        pen.arc(ex, 0.51, 0.08, 0.045, 195, 345, dark, 0.028 if f else 0.018)  # upper lid / lashes
        bx = [(ex - sign * 0.08, 0.425), (ex, 0.395 if not f else 0.4), (ex + sign * 0.09, 0.415)]
        pen.line(bx, brow, 0.035 if not f else 0.022)
        if f:
            pen.ellipse(sign * 0.2, 0.68, 0.06, 0.03, mix(s.skin, (235, 130, 130), 0.35))
        if old:
            pen.line([(sign * 0.13, 0.62), (sign * 0.16, 0.78)], shade(s.skin, 0.8), 0.01)
    pen.line([(0.012, 0.55), (0.03, 0.66), (-0.01, 0.69)], shade(s.skin, 0.75), 0.015)  # nose
    lips = s.lips
    if f:
        pen.shape([(-0.1, 0.8), (-0.03, 0.775), (0, 0.785), (0.03, 0.775), (0.1, 0.8), (0.04, 0.835), (-0.04, 0.835)], lips, shade(lips, 0.7), smooth=1, width=0.008)
    else:
        pen.line([(-0.09, 0.8), (0, 0.805), (0.09, 0.8)], shade(s.skin, 0.55), 0.018)
    if old:
        pen.line([(-0.15, 0.26), (0.15, 0.26)], shade(s.skin, 0.82), 0.01)
    if s.glasses:
        frame = (150, 140, 120)
        for sign in (-1, 1):
            pen.ellipse(sign * 0.155, 0.5, 0.1, 0.085, None, frame, 0.018)  # type: ignore[arg-type]
        pen.line([(-0.055, 0.49), (0.055, 0.49)], frame, 0.016)


def _draw_hair_front(pen: _Pen, s: FigureSpec, hw: float, line: RGB) -> None:
    h = s.hair
    sheen = shade(h, 1.25) if sum(h) < 300 else shade(h, 1.08)
    if s.hair_style in ("long", "bob"):
        low = 1.1 if s.hair_style == "long" else 0.85
        pen.shape([(-hw - 0.06, 0.5), (-hw - 0.04, 0.12), (-0.1, -0.06), (0.2, -0.05), (hw + 0.05, 0.15), (hw + 0.07, 0.5),
                   (hw + 0.1, low), (hw - 0.02, low + 0.05), (hw - 0.05, 0.5), (0.05, 0.2), (-hw + 0.06, 0.45), (-hw + 0.04, low + 0.05),
                   (-hw - 0.1, low)], h, line)
    elif s.hair_style == "updo":
        pen.ellipse(0.06, -0.12, 0.26, 0.18, h, line)  # bun
        pen.shape([(-hw - 0.03, 0.42), (-hw, 0.1), (-0.05, -0.05), (0.25, -0.03), (hw + 0.03, 0.2), (hw + 0.02, 0.4), (hw - 0.04, 0.3),
                   (0.1, 0.12), (-0.18, 0.22), (-hw + 0.05, 0.38)], h, line)
        for sign in (-1, 1):  # loose wavy strands at the temples
            pen.line([(sign * (hw - 0.02), 0.35), (sign * (hw + 0.02), 0.55), (sign * (hw - 0.01), 0.72), (sign * (hw + 0.02), 0.86)], h, 0.03)
    elif s.hair_style == "swept":
        pen.shape([(-hw - 0.02, 0.42), (-hw, 0.12), (-0.1, -0.05), (0.15, -0.05), (hw, 0.12), (hw + 0.02, 0.42), (hw - 0.03, 0.3),
                   (0.1, 0.1), (-0.1, 0.1), (-hw + 0.03, 0.3)], h, line)
        for x in (-0.15, 0.0, 0.15):
            pen.line([(x, 0.1), (x * 1.3, -0.02)], shade(h, 0.8), 0.012)
    elif s.hair_style == "ponytail":
        pen.shape([(-hw - 0.03, 0.42), (-hw, 0.1), (-0.05, -0.05), (0.25, -0.03), (hw + 0.03, 0.2), (hw + 0.02, 0.42), (hw - 0.04, 0.3),
                   (0.05, 0.15), (-0.2, 0.24), (-hw + 0.05, 0.4)], h, line)
    else:  # short, neat side part
        pen.shape([(-hw - 0.03, 0.48), (-hw - 0.02, 0.12), (-0.1, -0.07), (0.2, -0.06), (hw + 0.03, 0.14), (hw + 0.03, 0.48),
                   (hw - 0.02, 0.36), (0.1, 0.2), (-0.12, 0.2), (-0.2, 0.16), (-hw + 0.02, 0.36)], h, line)
        pen.line([(-0.12, 0.0), (-0.16, 0.18)], shade(h, 0.7), 0.014)
    pen.arc(0.0, 0.2, 0.22, 0.14, 200, 250, sheen, 0.03)  # highlight


def _draw_label(canvas: Image.Image, pen: _Pen, spec: FigureSpec) -> None:
    """The character's name on a tag in their colour under the feet: generated stand-ins say who they are."""
    draw_tag(canvas, spec.label, centre=pen.p(0, HEADS_TALL + 0.4), height=0.32 * pen.u, fill=spec.top)


def stand_in(name: str, description: str, color: str) -> FigureSpec:
    """The figure drawn for a character without a reference image: described, coloured and labelled."""
    return replace(spec_from_text(name, description, color), label=name)


def soft_shadow(size: tuple[int, int]) -> Image.Image:
    """A feathered dark ellipse (contact shadow) as an RGBA image."""
    w, h = size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((w * 0.1, h * 0.2, w * 0.9, h * 0.8), fill=110)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1, h * 0.15)))
    shadow = Image.new("RGBA", (w, h), (10, 8, 12, 0))
    shadow.putalpha(mask)
    return shadow
