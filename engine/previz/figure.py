"""Stylised full-body people drawn with PIL: the stand-in for a character that has no reference image,
and the generator of the demo project's reference portraits (one drawing code for both).

A figure is described by a `FigureSpec`, read from a cast description in English or Chinese by
`spec_from_text` (sex, age, height and build, hair, face, clothes, glasses), and drawn front-on in head
units, supersampled for clean edges. What the text leaves open (face shape, hair shade, skin tone, an
unnamed hair style or garment colour) is drawn from the name and description, so a character looks the
same in every shot; `cast_of` re-draws those free parts when two people of one picture would look alike.
The drawing returns an `Anatomy` (head box, mouth, feet) so framing and lip animation know where the face is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.previz.color import RGB, hex_rgb, mix, shade, stable_hash
from engine.previz.text import draw_tag
from engine.previz.words import find, mentions

HEADS_TALL = 7.4  # the body is designed this many head heights tall; a spec's `heads` stretches it below the chin
HEAD_M = 0.23  # an adult's head, top to chin, in metres
CANVAS_M = 2.3  # metres of world the height of a drawing holds: every figure drawn at one size shares one scale
FLOOR_M = 0.12  # room under the soles for the name tag
ANATOMY_KEY = "drama.anatomy"  # PNG text chunk carrying the Anatomy as JSON
DEFAULT_COLOR = "#888888"  # a cast entry without a colour of its own: the garment colour is drawn from the name

Sex = Literal["f", "m"]
Age = Literal["child", "teen", "young", "middle", "old"]
HairStyle = Literal["long", "short", "updo", "swept", "bob", "ponytail", "braids", "bald"]
Outfit = Literal["dress", "gown", "suit", "tailcoat", "uniform", "shirt", "tshirt", "skirt", "jacket", "coat", "hoodie"]
Face = Literal["oval", "round", "long", "square", "heart"]


@dataclass(frozen=True)
class FigureSpec:
    sex: Sex = "f"
    age: Age = "young"
    heads: float = 7.1  # top of the head to the soles, in head heights
    head_m: float = HEAD_M
    build: float = 1.0  # width of the body below the chin
    face: Face = "oval"
    skin: RGB = (236, 200, 170)
    hair: RGB = (30, 26, 28)
    hair_style: HairStyle = "short"
    curly: bool = False
    outfit: Outfit = "shirt"
    top: RGB = (120, 120, 130)  # main garment (the skirt of a skirt outfit)
    under: RGB = (240, 240, 236)  # shirt / waistcoat under the garment, the blouse over a skirt
    accent: RGB = (40, 40, 50)  # tie, belt, trim
    legs: RGB = (50, 50, 60)  # trousers or stockings
    shoes: RGB = (30, 28, 30)
    lips: RGB = (196, 110, 110)
    glasses: bool = False
    gloves: bool = False
    jewel: Literal["none", "bracelet", "ring", "necklace"] = "none"
    label: str = ""  # drawn under the feet when set (a cast sheet names its people)

    @property
    def height_m(self) -> float:
        return self.heads * self.head_m


@dataclass(frozen=True)
class Anatomy:
    """Where the body is in an image, in pixels: framing and lip-sync read it."""

    head: tuple[float, float, float, float]  # x0, y0 (top of head), x1, y1 (chin)
    mouth: tuple[float, float]
    feet_y: float  # soles; the image may continue below (label, shadow room)
    hair: RGB = (30, 26, 28)
    head_m: float = HEAD_M  # how tall the head is in the world (a child's is smaller)

    @property
    def head_height(self) -> float:
        return self.head[3] - self.head[1]

    def scaled(self, sx: float, sy: float, dx: float = 0.0, dy: float = 0.0) -> "Anatomy":
        x0, y0, x1, y1 = self.head
        return replace(
            self,
            head=(x0 * sx + dx, y0 * sy + dy, x1 * sx + dx, y1 * sy + dy),
            mouth=(self.mouth[0] * sx + dx, self.mouth[1] * sy + dy),
            feet_y=self.feet_y * sy + dy,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Anatomy":
        data = json.loads(text)
        return cls(tuple(data["head"]), tuple(data["mouth"]), float(data["feet_y"]), tuple(data.get("hair", (30, 26, 28))),
                   float(data.get("head_m", HEAD_M)))


# ---------------------------------------------------------------- reading a description
# Vocabularies: (words, value), first match wins. English words match whole (see words.py), Chinese as substrings.

_FEMALE = ("woman", "women", "girl", "female", "lady", "wife", "mother", "mom", "mum", "daughter", "sister", "grandmother",
           "grandma", "queen", "princess", "actress", "waitress", "schoolgirl", "she", "her",
           "她", "女", "妻", "母", "妈", "姐", "妹", "小姐", "太太", "奶奶", "婆", "姑娘", "夫人", "媳")
_MALE = ("man", "men", "boy", "male", "gentleman", "husband", "father", "dad", "son", "brother", "grandfather", "grandpa",
         "king", "prince", "butler", "schoolboy", "he", "his", "him",
         "他", "男", "丈夫", "父", "爸", "哥", "弟", "先生", "爷", "伯", "叔", "少爷", "公子", "小伙")
_AGES: list[tuple[tuple[str, ...], Age]] = [
    (("child", "kid", "little girl", "little boy", "toddler", "小孩", "孩子", "儿童", "小女孩", "小男孩", "女童", "男童", "小学生", "幼儿"), "child"),
    (("teen", "teenager", "teenage", "adolescent", "schoolgirl", "schoolboy", "high school", "high schooler",
      "少女", "少年", "高中", "中学生", "初中"), "teen"),
    (("middle aged", "middle age", "middle", "midlife", "中年", "大叔", "大妈"), "middle"),  # before "aged"
    (("elderly", "old", "aged", "senior", "grandmother", "grandfather", "grandma", "grandpa",
      "老人", "老太", "老头", "老奶奶", "老爷爷", "老年", "年迈", "年老", "苍老", "奶奶", "爷爷", "老妇", "老伯", "大爷"), "old"),
    (("young", "youth", "student", "年轻", "青年", "学生"), "young"),
]
_YEARS = re.compile(r"(?<!\d)(\d{1,2})[\s-]*(?:岁|周岁|years?\b|y\s*/\s*o\b|yo\b|[,，、;；]|$)")
# "in her thirties", "(40s)", "三十多岁": the decade's middle
_DECADES = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70, "eighties": 80,
            "20s": 20, "30s": 30, "40s": 40, "50s": 50, "60s": 60, "70s": 70, "80s": 80,
            "二十": 20, "三十": 30, "四十": 40, "五十": 50, "六十": 60, "七十": 70, "八十": 80}
_DECADE = re.compile(r"\b(twenties|thirties|forties|fifties|sixties|seventies|eighties|[2-8]0s)\b|(二十|三十|四十|五十|六十|七十|八十)多?岁")
# age → (head height in metres, heads tall female, heads tall male)
_PROPORTIONS: dict[Age, tuple[float, float, float]] = {
    "child": (0.19, 5.5, 5.6), "teen": (0.22, 6.9, 7.1), "young": (HEAD_M, 7.1, 7.6), "middle": (HEAD_M, 7.05, 7.5),
    "old": (HEAD_M, 6.85, 7.3),
}
# Height relative to the average, in heads. Relative phrases first: "half a head taller" is not just "tall".
_STATURE: list[tuple[tuple[str, ...], float]] = [
    (("half a head taller", "half a head higher", "高半个头", "高出半个头"), 0.5),
    (("a head taller", "head taller", "高一个头", "高出一个头", "高一头", "高出一头"), 1.0),
    (("half a head shorter", "矮半个头"), -0.5),
    (("a head shorter", "head shorter", "矮一个头", "矮一头"), -1.0),
    (("very tall", "towering", "很高", "高挑", "高大", "高个", "个子高", "身材高"), 0.55),
    (("tall", "lanky", "leggy"), 0.45),
    (("petite", "tiny", "very short", "娇小", "矮小", "个子小", "矮"), -0.5),
    (("short", "small"), -0.45),  # of a person: "short hair", "a short skirt" are taken out first (see _stature)
]
_NOT_STATURE = re.compile(r"\b(short|small)(?=[\s-]+(?:[a-z]+[\s-]+){0,2}?(?:hair|haired|bob|cut|skirt|sleeves?|sleeved|dress|shorts|"
                          r"coat|jacket|trousers|pants|boots|heels|beard|fringe|bangs)\b)")
_BUILDS: list[tuple[tuple[str, ...], float]] = [
    (("heavy", "heavyset", "fat", "stout", "chubby", "plump", "overweight", "portly", "rotund", "big-bellied",
      "胖", "肥", "圆润", "发福"), 1.24),
    (("burly", "broad", "broad shouldered", "muscular", "stocky", "brawny", "athletic", "魁梧", "健壮", "强壮", "壮"), 1.13),
    (("slim", "slender", "thin", "skinny", "lean", "willowy", "瘦", "苗条", "纤细", "清瘦", "骨感"), 0.86),
]
_HAIR: list[tuple[tuple[str, ...], HairStyle]] = [
    (("bald", "shaved head", "shaven head", "光头", "秃头", "秃顶", "谢顶"), "bald"),
    (("ponytail", "pony tail", "马尾"), "ponytail"),
    (("braids", "braid", "braided", "plaits", "plait", "pigtails", "辫"), "braids"),
    (("bun", "updo", "pinned up", "chignon", "topknot", "盘发", "发髻", "丸子头", "盘起"), "updo"),
    (("bob", "bobbed", "波波头", "齐耳短发", "齐肩短发"), "bob"),
    (("swept back", "slicked back", "背头"), "swept"),
    (("crew cut", "buzz cut", "buzzcut", "寸头", "平头", "短发"), "short"),
    (("长发", "披肩发", "长直发", "长卷发"), "long"),
]
_HAIR_LENGTH: list[tuple[tuple[str, ...], HairStyle]] = [(("long",), "long"), (("short", "cropped"), "short")]  # in the hair phrase
_CURLY = ("curly", "curls", "wavy", "permed", "perm", "frizzy", "afro", "卷发", "卷", "波浪", "烫发")
_HAIR_COLOURS: list[tuple[tuple[str, ...], RGB]] = [  # read in the phrase about the hair
    (("grey", "gray", "silver", "greying", "graying", "salt and pepper", "花白", "灰", "银"), (160, 158, 154)),
    (("white", "snow white", "白"), (222, 220, 214)),
    (("blond", "blonde", "golden", "platinum", "金", "黄"), (214, 178, 100)),
    (("chestnut", "栗"), (112, 58, 34)),
    (("brown", "棕", "褐", "茶色"), (90, 60, 40)),
    (("red", "auburn", "ginger", "红"), (150, 60, 30)),
    (("black", "jet black", "黑", "乌"), (24, 20, 22)),
]
_FACES: list[tuple[tuple[str, ...], Face]] = [
    (("round face", "round faced", "chubby cheeks", "圆脸", "娃娃脸", "婴儿肥"), "round"),
    (("square jaw", "strong jaw", "square face", "方脸", "国字脸"), "square"),
    (("long face", "narrow face", "长脸"), "long"),
    (("heart shaped", "pointed chin", "瓜子脸", "尖下巴"), "heart"),
    (("oval face", "鹅蛋脸"), "oval"),
]
_OUTFITS: list[tuple[tuple[str, ...], Outfit]] = [
    (("tailcoat", "tails", "butler", "燕尾服", "管家"), "tailcoat"),
    (("gown", "evening dress", "ball gown", "晚礼服", "礼服"), "gown"),
    (("school uniform", "uniform", "sailor suit", "校服", "制服"), "uniform"),
    (("suit", "tuxedo", "西装", "西服"), "suit"),
    (("hoodie", "hooded sweatshirt", "sweatshirt", "卫衣"), "hoodie"),
    (("t shirt", "tee", "tshirt", "t恤", "短袖"), "tshirt"),
    (("skirt", "短裙", "半身裙", "百褶裙", "长裙"), "skirt"),
    (("dress", "qipao", "cheongsam", "sundress", "连衣裙", "旗袍", "裙"), "dress"),
    (("jacket", "blazer", "bomber", "夹克", "外套", "皮衣", "西装外套"), "jacket"),
    (("coat", "overcoat", "trench", "trench coat", "大衣", "风衣"), "coat"),
    (("shirt", "blouse", "sweater", "jumper", "cardigan", "衬衫", "毛衣", "针织衫"), "shirt"),
]
_COLOURS: list[tuple[tuple[str, ...], RGB]] = [
    (("crimson", "burgundy", "wine red", "深红", "绯红", "酒红"), (150, 24, 40)),
    (("navy", "navy blue", "藏青", "藏蓝", "深蓝"), (34, 44, 86)),
    (("red", "scarlet", "红"), (190, 40, 48)),
    (("pink", "粉"), (232, 150, 170)),
    (("white", "ivory", "白"), (238, 236, 230)),
    (("black", "黑"), (28, 28, 32)),
    (("grey", "gray", "charcoal", "灰"), (120, 120, 124)),
    (("blue", "denim", "蓝"), (60, 100, 170)),
    (("green", "olive", "绿"), (60, 120, 80)),
    (("yellow", "mustard", "黄"), (220, 180, 60)),
    (("orange", "橙", "橘"), (226, 120, 50)),
    (("purple", "violet", "lilac", "紫"), (110, 70, 140)),
    (("beige", "cream", "khaki", "tan", "米色", "米白", "卡其"), (200, 180, 150)),
    (("brown", "camel", "棕", "褐", "咖啡色"), (110, 74, 48)),
]
_GLASSES = ("glasses", "spectacles", "eyeglasses", "sunglasses", "specs", "眼镜", "墨镜")
_TWINS = ("twin", "twins", "identical", "双胞胎", "孪生")  # descriptions that ask for one look
# What the text leaves open is drawn from the name: plausible choices per sex.
_FREE_HAIR: dict[Sex, tuple[HairStyle, ...]] = {"f": ("long", "bob", "ponytail", "updo", "long", "braids"), "m": ("short", "swept", "short")}
_FREE_OUTFIT: dict[Sex, tuple[Outfit, ...]] = {"f": ("dress", "shirt", "jacket", "tshirt", "skirt", "coat"),
                                              "m": ("shirt", "jacket", "tshirt", "hoodie", "coat", "suit")}
_GARMENTS: list[RGB] = [(176, 58, 72), (58, 92, 150), (70, 120, 90), (200, 160, 70), (120, 80, 150), (226, 140, 150),
                        (60, 60, 70), (220, 215, 200), (150, 96, 60), (60, 140, 150), (230, 120, 60), (90, 110, 160)]
_FACE_SHAPES: tuple[Face, ...] = ("oval", "round", "long", "square", "heart")
# Face geometry: (half width, jaw half width, cheek inset, chin y) in head units.
_FACE_GEOMETRY: dict[Face, tuple[float, float, float, float]] = {
    "oval": (0.35, 0.2, 0.04, 1.0), "round": (0.37, 0.26, 0.02, 0.98), "long": (0.33, 0.19, 0.04, 1.0),
    "square": (0.36, 0.28, 0.01, 0.99), "heart": (0.36, 0.15, 0.06, 1.0),
}


def _first(text: str, table):
    for words, value in table:
        if mentions(text, words):
            return value
    return None


def _count(text: str, words: Iterable[str]) -> int:
    return sum(find(w, text) >= 0 for w in words)


def _age(text: str) -> Age | None:
    years = _YEARS.search(text)
    decade = _DECADE.search(text)
    if years or decade:
        n = int(years.group(1)) if years else _DECADES[decade.group(1) or decade.group(2)] + 5
        return "child" if n < 13 else "teen" if n < 18 else "young" if n < 36 else "middle" if n < 56 else "old"
    return _first(re.sub(r"years?[\s-]+old", " ", text), _AGES)  # "a twenty-year-old" is not old


def _stature(text: str, hair_phrase: str) -> float | None:
    """Heads taller (+) or shorter (−) than the average, from words about the person, not their hair or skirt."""
    about_body = _NOT_STATURE.sub(" ", text.replace(hair_phrase, " ") if hair_phrase else text)
    return _first(about_body, _STATURE)


def _phrases(text: str) -> list[str]:
    return [p for p in re.split(r"[,，、;；。]|\bwith\b|\band\b", text) if p.strip()]


def _colours_in(phrase: str) -> list[RGB]:
    found = sorted((at, c) for words, c in _COLOURS for w in words if (at := find(w, phrase)) >= 0)
    return [c for _, c in found]


@lru_cache(maxsize=512)
def spec_from_text(name: str, description: str = "", color: str = DEFAULT_COLOR, salt: int = 0) -> FigureSpec:
    """A figure for a cast entry. What the description says (English or Chinese) decides; what it leaves open
    is drawn from a generator seeded by the name and description (plus `salt`, which `cast_of` raises to
    make two people of one picture differ), never from a render seed: the same character looks the same in
    every shot. Twins (the word in the description) share their free parts."""
    text = f" {description.lower()} "
    twin = mentions(text, _TWINS)
    rng = np.random.default_rng(stable_hash("figure", "" if twin else name, description, salt))
    free = {key: rng.random() for key in ("sex", "face", "hair", "style", "curl", "outfit", "garment", "skin", "warm", "tall", "wide")}
    pick = lambda options, key: options[int(free[key] * len(options))]  # noqa: E731

    females, males = _count(text, _FEMALE), _count(text, _MALE)
    sex: Sex = ("f" if females >= males else "m") if females or males else ("f" if free["sex"] < 0.5 else "m")
    age = _age(text) or "young"
    phrases = _phrases(text)
    hair_phrase = next((p for p in phrases if mentions(p, ("hair", "haired", "头发", "发"))), "")
    hair_style = _first(text, _HAIR) or _first(hair_phrase, _HAIR_LENGTH) or pick(_FREE_HAIR[sex], "style")
    named_hair = _first(hair_phrase, _HAIR_COLOURS)
    base = mix((22, 18, 20), (86, 58, 40), free["hair"] ** 2)  # black to dark brown
    hair = named_hair or ((200, 198, 192) if age == "old" else mix(base, (160, 158, 154), 0.3) if age == "middle" and free["hair"] > 0.7 else base)
    curly = mentions(text, _CURLY) or (hair_style in ("short", "long", "bob") and free["curl"] < 0.12)

    head_m, heads_f, heads_m = _PROPORTIONS[age]
    heads = (heads_f if sex == "f" else heads_m) + (_stature(text, hair_phrase) or (free["tall"] - 0.5) * 0.3)
    build = (_first(text, _BUILDS) or 1.0) * (0.96 + 0.08 * free["wide"])

    worn = [p for p in phrases if p != hair_phrase and not mentions(p, ("lipstick", "口红", "红唇", "eyes", "眼睛", "眼神", "skin", "皮肤",
                                                                        "beard", "moustache", "mustache", "stubble", "胡子", "胡须"))]
    outfit = _first(text, _OUTFITS) or pick(_FREE_OUTFIT[sex], "outfit")
    # The garment is the first colour named outside hair, lips and eyes, skipping the shirt under a jacket.
    layered = outfit in ("suit", "tailcoat", "coat", "jacket")
    garment = [c for p in worn for c in _colours_in(p) if not (layered and mentions(p, ("shirt", "blouse", "衬衫")))]
    if garment:
        top = garment[0]
    elif color.strip().lower() != DEFAULT_COLOR:
        top = hex_rgb(color)
    else:
        top = (34, 44, 86) if outfit == "uniform" else pick(_GARMENTS, "garment")

    skin_light = 0.86 + 0.16 * free["skin"]
    if mentions(text, ("pale", "fair skinned", "白皙", "苍白")):
        skin_light = 1.04
    if mentions(text, ("tanned", "dark skinned", "dark skin", "黝黑", "古铜")):
        skin_light = 0.74
    skin = shade(mix((232, 196, 166), (236, 190, 150), free["warm"]), skin_light)
    vest = next((p for p in worn if mentions(p, ("waistcoat", "vest", "马甲"))), None)
    tie = next((p for p in worn if mentions(p, ("tie", "necktie", "领带"))), "")
    lips = (200, 30, 40) if mentions(text, ("lipstick", "口红", "红唇")) else \
        shade(skin, 0.82) if sex == "m" or age == "child" else (206, 120, 120)
    skirted = outfit in ("dress", "gown", "skirt") or (outfit == "uniform" and sex == "f")
    return FigureSpec(
        sex=sex,
        age=age,
        heads=float(np.clip(heads, 4.8, 9.2)),
        head_m=head_m,
        build=build,
        face=_first(text, _FACES) or ("round" if age == "child" else pick(_FACE_SHAPES, "face")),
        skin=skin,
        hair=hair,
        hair_style=hair_style,
        curly=curly,
        outfit=outfit,
        top=top,
        under=(_colours_in(vest) or [(110, 74, 48)])[0] if vest else (240, 240, 236),
        accent=(_colours_in(tie) or [(30, 30, 40) if "dark" in tie else shade(top, 0.55)])[0] if outfit != "uniform" else (170, 40, 50),
        legs=shade(skin, 0.95) if skirted else shade(top, 0.8) if outfit in ("suit", "tailcoat", "uniform") else (40, 40, 48),
        shoes=(24, 22, 24) if outfit != "dress" else (200, 190, 180),
        lips=lips,
        glasses=mentions(text, _GLASSES),
        gloves=mentions(text, ("gloves", "手套")),
        jewel="bracelet" if mentions(text, ("bracelet", "手镯", "手链")) else "ring" if mentions(text, ("ring", "戒指")) else
        "necklace" if mentions(text, ("necklace", "pendant", "项链")) else "none",
    )


def differences(a: FigureSpec, b: FigureSpec) -> int:
    """How many things tell two figures apart at a glance (hair, clothes, sex and age count double)."""
    def far(x: RGB, y: RGB, limit: float) -> bool:
        return float(np.linalg.norm(np.subtract(x, y))) > limit

    return (3 * (a.sex != b.sex) + 2 * (a.age != b.age) + 2 * (a.hair_style != b.hair_style) + 2 * (a.outfit != b.outfit)
            + (a.curly != b.curly) + (a.glasses != b.glasses) + (abs(a.heads - b.heads) > 0.35) + (abs(a.build - b.build) > 0.12)
            + far(a.hair, b.hair, 60) + far(a.top, b.top, 90) + far(a.skin, b.skin, 30) + (a.face != b.face))


def alike(a: FigureSpec, b: FigureSpec) -> bool:
    """Whether two figures would be hard to tell apart at a glance."""
    return differences(a, b) < 3


def cast_of(people: Sequence[tuple[str, str, str]]) -> dict[str, FigureSpec]:
    """Figures for everyone in one picture, from (name, description, colour). Whoever the text pins down most
    is placed first; when someone would look like a person already placed, their free parts are re-drawn
    (salted) and the most different draw kept, unless both have one description that calls them twins.
    Deterministic, and a character without a look-alike in the picture keeps their own free parts."""
    def pinned(person: tuple[str, str, str]) -> tuple[int, str]:
        free = sum(differences(spec_from_text(*person), spec_from_text(*person, salt=k)) for k in (1, 2))
        return free, person[0]

    specs: dict[str, FigureSpec] = {}
    descriptions = {name: description for name, description, _ in people}
    for name, description, color in sorted(people, key=pinned):
        twin = mentions(description.lower(), _TWINS)
        others = [s for o, s in specs.items() if not (twin and descriptions[o] == description)]

        def apart(spec: FigureSpec, others=others) -> int:
            return min((differences(spec, s) for s in others), default=99)

        spec = spec_from_text(name, description, color)
        if any(alike(spec, other) for other in others):
            spec = max((spec_from_text(name, description, color, salt) for salt in range(16)), key=apart)
        specs[name] = spec
    return specs


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
    """Draws in head units around a vertical centre line, on a supersampled canvas. Below the chin (y > 1)
    the body is designed `HEADS_TALL` heads tall and `tall` stretches it to the figure's own length, `wide`
    widens it (build)."""

    def __init__(self, draw: ImageDraw.ImageDraw, unit: float, cx: float, top: float, tall: float = 1.0, wide: float = 1.0):
        self.d, self.u, self.cx, self.top, self.tall, self.wide = draw, unit, cx, top, tall, wide

    def p(self, x: float, y: float) -> tuple[float, float]:
        if y > 1.0:
            x, y = x * self.wide, 1.0 + (y - 1.0) * self.tall
        return (self.cx + x * self.u, self.top + y * self.u)

    def shape(self, pts, fill: RGB, line: RGB | None = None, smooth: int = 3, width: float = 0.018, mirror: bool = False):
        for sign in ((1, -1) if mirror else (1,)):
            xy = [self.p(sign * x, y) for x, y in (_chaikin(pts, smooth) if smooth else pts)]
            self.d.polygon(xy, fill=fill, outline=line, width=max(1, int(width * self.u)) if line else 0)

    def ellipse(self, x: float, y: float, rx: float, ry: float, fill: RGB | None, line: RGB | None = None, width: float = 0.018):
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
    """An RGBA image `height` pixels tall (transparent background) holding `CANVAS_M` metres of world, with
    the figure standing on a line `FLOOR_M` above the bottom: figures drawn at one height share one scale,
    so a tall one is drawn taller. Cached: a stand-in appears in many shots and draws; callers must not
    modify the image."""
    width = width or int(height * 0.55)
    ss = supersample
    per_metre = height * ss / CANVAS_M
    unit = per_metre * spec.head_m
    soles = height * ss - FLOOR_M * per_metre
    canvas = Image.new("RGBA", (width * ss, height * ss), (0, 0, 0, 0))
    pen = _Pen(ImageDraw.Draw(canvas), unit, width * ss / 2, soles - spec.heads * unit,
               tall=(spec.heads - 1) / (HEADS_TALL - 1), wide=spec.build)
    _draw_body(pen, spec)
    image = canvas.reduce(ss) if ss > 1 else canvas
    hw = _FACE_GEOMETRY[spec.face][0]
    s = 1 / ss
    anatomy = Anatomy(
        head=(*[v * s for v in pen.p(-hw, 0)], *[v * s for v in pen.p(hw, 1.0)]),
        mouth=tuple(v * s for v in pen.p(0, 0.8)),  # type: ignore[arg-type]
        feet_y=soles * s,
        hair=spec.hair,
        head_m=spec.head_m,
    )
    if spec.label:
        image = with_tag(image, anatomy, spec.label, spec.top)
    return image, anatomy


def with_tag(image: Image.Image, anatomy: Anatomy, text: str, fill: RGB) -> Image.Image:
    """A copy of a figure's image with its name on a tag under the feet, upright whatever way the figure
    was turned (draw it after any flip)."""
    per_metre = anatomy.head_height / anatomy.head_m
    x0, _, x1, _ = anatomy.head
    tagged = image.copy()
    centre = (round((x0 + x1) / 2), round(anatomy.feet_y + 0.5 * FLOOR_M * per_metre))  # whole pixels: one tag, one look
    draw_tag(tagged, text, centre=centre, height=0.7 * FLOOR_M * per_metre, fill=fill)
    return tagged


def _draw_body(pen: _Pen, s: FigureSpec) -> None:
    f = s.sex == "f"
    sw = 0.68 if f else 0.8  # half shoulder width
    if s.age == "child":
        sw *= 0.85
    heavy = max(0.0, s.build - 1.0)
    waist = (0.4 if f else 0.56) + 0.6 * heavy
    hips = 0.6 + 0.3 * heavy
    skin_line = shade(s.skin, 0.7)
    hair_line = shade(s.hair, 0.6)
    hw = _FACE_GEOMETRY[s.face][0]

    _draw_hair_back(pen, s, hw, hair_line)

    # legs and shoes (a gown hides them)
    legs = s.legs
    for sign in (-1, 1):
        pen.shape(
            [(sign * 0.05, 3.7), (sign * (hips - 0.02), 3.6), (sign * 0.36, 5.6), (sign * 0.3, 7.1), (sign * 0.12, 7.1), (sign * 0.08, 5.6)],
            legs, shade(legs, 0.6), smooth=2,
        )
        pen.shape([(sign * 0.1, 7.05), (sign * 0.34, 7.05), (sign * 0.4, 7.3), (sign * 0.06, 7.32)], s.shoes, shade(s.shoes, 0.5), smooth=2)

    # arms (sleeves in the garment colour, bare below a T-shirt's), hands
    blouse = s.outfit in ("skirt", "uniform")  # the top is the light shirt, the garment colour is below
    sleeve = s.skin if s.outfit in ("dress", "gown") else s.under if blouse else s.top
    hand = (246, 246, 244) if s.gloves else s.skin
    for sign in (-1, 1):
        arm = [(sign * (sw - 0.16), 1.34), (sign * (sw + 0.06), 1.52), (sign * (sw + 0.12), 2.9), (sign * (sw + 0.1), 3.95),
               (sign * (sw - 0.16), 3.95), (sign * (sw - 0.14), 2.9), (sign * (sw - 0.3), 1.8)]
        if s.outfit == "tshirt":
            pen.shape(arm, s.skin, skin_line, smooth=2)
            pen.shape([(sign * (sw - 0.2), 1.34), (sign * (sw + 0.08), 1.5), (sign * (sw + 0.16), 2.25), (sign * (sw - 0.18), 2.3)],
                      s.top, shade(s.top, 0.6), smooth=1)
        else:
            pen.shape(arm, sleeve, shade(sleeve, 0.6), smooth=2)
        pen.shape([(sign * (sw - 0.14), 3.9), (sign * (sw + 0.1), 3.9), (sign * (sw + 0.08), 4.45), (sign * (sw - 0.06), 4.55),
                   (sign * (sw - 0.16), 4.3)], hand, shade(hand, 0.72), smooth=2)
        if s.jewel == "bracelet" and sign < 0:
            pen.line([(sign * (sw - 0.15), 3.86), (sign * (sw + 0.11), 3.88)], (214, 218, 228), 0.045)
        if s.jewel == "ring" and sign > 0:
            pen.ellipse(sign * (sw - 0.02), 4.38, 0.05, 0.035, (230, 236, 255), (150, 160, 190))

    # torso garment
    hem = {"gown": 7.15, "dress": 5.5, "coat": 5.6, "tailcoat": 4.1, "hoodie": 4.0, "jacket": 3.8}.get(s.outfit, 3.95)
    flare = {"gown": 0.95, "dress": 0.78, "coat": 0.74, "tailcoat": 0.66}.get(s.outfit, hips + 0.02)
    body = [(-sw - 0.02, 1.5), (-sw + 0.12, 1.3), (-0.2, 1.2), (0.2, 1.2), (sw - 0.12, 1.3), (sw + 0.02, 1.5), (sw - 0.06, 2.2),
            (waist, 3.05), (hips, 3.6), (flare, hem), (-flare, hem), (-hips, 3.6), (-waist, 3.05), (-sw + 0.06, 2.2)]
    if s.outfit == "tailcoat":  # tails behind the legs
        pen.shape([(-0.7, 3.4), (0.7, 3.4), (0.6, 5.3), (0.08, 5.0), (-0.08, 5.0), (-0.6, 5.3)], s.top, shade(s.top, 0.5), smooth=1)
    if blouse and f:  # a pleated skirt from the waist to the knee, under the blouse
        pen.shape([(-waist, 3.0), (waist, 3.0), (hips + 0.18, 5.0), (-hips - 0.18, 5.0)], s.top, shade(s.top, 0.55), smooth=1)
        for x in (-0.4, -0.15, 0.1, 0.35):
            pen.line([(x * 0.8, 3.2), (x * 1.2, 4.95)], shade(s.top, 0.7), 0.015)
    pen.shape(body, s.under if blouse else s.top, shade(s.under if blouse else s.top, 0.55), smooth=2)
    if s.outfit in ("suit", "tailcoat", "coat", "jacket"):
        # shirt V, waistcoat, lapels, tie, buttons
        pen.shape([(-0.2, 1.22), (0.2, 1.22), (0.0, 2.55)], s.under if s.outfit != "tailcoat" else (240, 240, 236), None, smooth=0)
        if s.outfit == "tailcoat" or s.under != (240, 240, 236):
            vest = s.under if s.under != (240, 240, 236) else shade(s.top, 0.85)
            pen.shape([(-0.42, 1.5), (-0.12, 1.5), (0, 2.3), (0.12, 1.5), (0.42, 1.5), (0.44, 3.2), (0, 3.4), (-0.44, 3.2)], vest, shade(vest, 0.55), smooth=1)
            for y in (2.5, 2.8, 3.1):
                pen.ellipse(0, y, 0.035, 0.035, shade(vest, 0.5))
        pen.shape([(-0.2, 1.22), (-0.1, 1.22), (0.0, 1.42), (0.1, 1.22), (0.2, 1.22), (0.14, 1.36), (0, 1.5), (-0.14, 1.36)], (246, 246, 244), None, smooth=0)
        if s.sex == "m" and s.outfit != "jacket":
            pen.shape([(-0.07, 1.4), (0.07, 1.4), (0.05, 1.52), (0.1, 2.45), (0, 2.6), (-0.1, 2.45), (-0.05, 1.52)], s.accent, shade(s.accent, 0.6), smooth=0)
        lapel = shade(s.top, 0.75)
        pen.shape([(-0.22, 1.22), (-0.5, 1.45), (-0.36, 1.7), (-0.46, 1.85), (0.0, 3.0 if s.outfit != "tailcoat" else 2.4)], lapel, shade(s.top, 0.45), smooth=0, mirror=True)
        if s.outfit == "jacket":  # open front: the shirt shows down to the hem
            pen.shape([(-0.16, 1.5), (0.16, 1.5), (0.2, 3.8), (-0.2, 3.8)], s.under, None, smooth=0)
        elif s.outfit != "tailcoat":
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
        pen.shape([(-0.3, 2.9), (0.3, 2.9), (0.36, 3.5), (-0.36, 3.5)], shade(s.top, 0.9), shade(s.top, 0.6), smooth=1)  # pocket
    elif s.outfit == "tshirt":
        pen.arc(0, 1.18, 0.2, 0.14, 0, 180, shade(s.top, 0.7), 0.03)
    elif s.outfit == "uniform":  # sailor collar (a blazer's lapels for boys) and a red bow or tie
        if f:
            pen.shape([(-0.34, 1.22), (0.34, 1.22), (0.5, 1.5), (0.0, 2.05), (-0.5, 1.5)], s.top, shade(s.top, 0.5), smooth=0)
            pen.shape([(-0.2, 1.26), (0.2, 1.26), (0.0, 1.8)], s.under, None, smooth=0)
            pen.shape([(0, 1.85), (-0.2, 1.75), (-0.22, 2.0), (0, 1.9), (0.22, 2.0), (0.2, 1.75)], s.accent, shade(s.accent, 0.6), smooth=0)
        else:
            pen.shape([(-0.07, 1.4), (0.07, 1.4), (0.1, 2.45), (0, 2.6), (-0.1, 2.45)], s.accent, shade(s.accent, 0.6), smooth=0)
            pen.shape([(-0.22, 1.22), (-0.55, 1.45), (-0.5, 3.9), (-0.16, 3.9), (-0.1, 2.6)], s.top, shade(s.top, 0.5), smooth=0, mirror=True)
    else:  # shirt or a skirt's blouse: collar and buttons
        top = s.under if blouse else s.top
        pen.shape([(-0.24, 1.2), (0, 1.45), (-0.06, 1.56), (-0.3, 1.32)], shade(top, 1.15), shade(top, 0.6), smooth=0, mirror=True)
        pen.line([(0, 1.45), (0, 2.95 if blouse else 3.9)], shade(top, 0.75), 0.015)

    # neck and head
    neck = 0.15 if f else 0.17
    pen.shape([(-neck, 0.8), (neck, 0.8), (neck + 0.02, 1.3), (0, 1.36), (-neck - 0.02, 1.3)], shade(s.skin, 0.88), None, smooth=1)
    if s.jewel == "necklace":
        pen.arc(0, 1.2, 0.2, 0.2, 20, 160, (230, 220, 160), 0.02)
    _, jaw, inset, chin = _FACE_GEOMETRY[s.face]
    for sign in (-1, 1):  # ears
        pen.ellipse(sign * (hw - 0.01), 0.52, 0.06, 0.1, s.skin, skin_line)
    pen.shape([(-hw, 0.38), (-hw + 0.02, 0.1), (0, -0.0), (hw - 0.02, 0.1), (hw, 0.38), (hw - inset, 0.66),
               (jaw, 0.9), (0, chin), (-jaw, 0.9), (-hw + inset, 0.66)], s.skin, skin_line, smooth=3)
    _draw_face(pen, s)
    _draw_hair_front(pen, s, hw, hair_line)


def _draw_face(pen: _Pen, s: FigureSpec) -> None:
    f = s.sex == "f"
    old = s.age == "old"
    eye = 1.18 if s.age == "child" else 1.0
    dark = (34, 26, 26)
    brow = shade(s.hair, 0.8) if not old and s.hair_style != "bald" else (130, 128, 124)
    for sign in (-1, 1):
        ex = sign * 0.155
        pen.ellipse(ex, 0.5, 0.075 * eye, (0.036 if not old else 0.028) * eye, (248, 246, 242))
        pen.ellipse(ex, 0.5, 0.036 * eye, (0.036 if not old else 0.028) * eye, (70, 46, 36))
        pen.ellipse(ex, 0.5, 0.018 * eye, 0.018 * eye, (16, 12, 12))
        pen.ellipse(ex + 0.012, 0.49, 0.009, 0.009, (255, 255, 255))
        pen.arc(ex, 0.51, 0.08 * eye, 0.045 * eye, 195, 345, dark, 0.028 if f else 0.018)  # upper lid / lashes
        bx = [(ex - sign * 0.08, 0.425), (ex, 0.395 if not f else 0.4), (ex + sign * 0.09, 0.415)]
        pen.line(bx, brow, 0.035 if not f else 0.022)
        if f or s.age == "child":
            pen.ellipse(sign * 0.2, 0.68, 0.06, 0.03, mix(s.skin, (235, 130, 130), 0.35))
        if s.age in ("middle", "old"):  # lines from the nose to the mouth
            pen.line([(sign * 0.1, 0.64), (sign * 0.13, 0.78)], shade(s.skin, 0.82), 0.01)
    pen.line([(0.012, 0.55), (0.03, 0.66), (-0.01, 0.69)], shade(s.skin, 0.75), 0.015)  # nose
    lips = s.lips
    if f and s.age != "child":
        pen.shape([(-0.1, 0.8), (-0.03, 0.775), (0, 0.785), (0.03, 0.775), (0.1, 0.8), (0.04, 0.835), (-0.04, 0.835)], lips, shade(lips, 0.7), smooth=1, width=0.008)
    else:
        pen.line([(-0.09, 0.8), (0, 0.805), (0.09, 0.8)], shade(s.skin, 0.55), 0.018)
    if old:
        for y in (0.22, 0.27):
            pen.line([(-0.15, y), (0.15, y)], shade(s.skin, 0.82), 0.01)
    if s.glasses:
        frame = (150, 140, 120)
        for sign in (-1, 1):
            pen.ellipse(sign * 0.155, 0.5, 0.1, 0.085, None, frame, 0.018)
        pen.line([(-0.055, 0.49), (0.055, 0.49)], frame, 0.016)


def _curls(pen: _Pen, points: Sequence[tuple[float, float]], color: RGB, line: RGB, r: float = 0.075) -> None:
    for x, y in points:
        pen.ellipse(x, y, r, r, color, line, 0.012)


def _draw_hair_back(pen: _Pen, s: FigureSpec, hw: float, line: RGB) -> None:
    """Hair that falls behind the neck and shoulders (drawn before the body)."""
    h = s.hair
    if s.hair_style == "long":
        outline = [(-0.5, 0.3), (-0.56, 1.4), (-0.62, 2.6), (0.62, 2.6), (0.56, 1.4), (0.5, 0.3), (0, -0.05)]
        pen.shape(outline, h, line)
        if s.curly:
            _curls(pen, [(sign * (0.52 + 0.05 * (i % 2)), 0.5 + 0.3 * i) for sign in (-1, 1) for i in range(7)], h, line, 0.1)
    elif s.hair_style == "ponytail":  # tied high at the back, swinging out beside the head
        pen.shape([(0.12, -0.02), (0.42, -0.04), (0.66, 0.3), (0.7, 0.9), (0.6, 1.3), (0.52, 0.9), (0.44, 0.4), (0.2, 0.15)], h, line, smooth=2)


def _draw_hair_front(pen: _Pen, s: FigureSpec, hw: float, line: RGB) -> None:
    h = s.hair
    sheen = shade(h, 1.25) if sum(h) < 300 else shade(h, 1.08)
    style = s.hair_style
    if style == "bald":
        pen.arc(-0.08, 0.12, 0.14, 0.07, 200, 290, shade(s.skin, 1.2), 0.03)  # shine
        if s.age in ("middle", "old"):  # what is left above the ears
            for sign in (-1, 1):
                pen.shape([(sign * (hw + 0.03), 0.3), (sign * (hw + 0.05), 0.56), (sign * (hw - 0.02), 0.6), (sign * (hw - 0.04), 0.34)], h, line, smooth=1)
        return
    if style in ("long", "bob"):
        low = 1.1 if style == "long" else 0.92
        pen.shape([(-hw - 0.06, 0.5), (-hw - 0.04, 0.12), (-0.1, -0.06), (0.2, -0.05), (hw + 0.05, 0.15), (hw + 0.07, 0.5),
                   (hw + 0.1, low), (hw - 0.02, low + 0.05), (hw - 0.05, 0.5), (0.05, 0.2), (-hw + 0.06, 0.45), (-hw + 0.04, low + 0.05),
                   (-hw - 0.1, low)], h, line)
        if style == "bob":  # a straight fringe across the forehead and a rounded outline
            pen.shape([(-hw + 0.02, 0.32), (-hw + 0.02, 0.1), (0, -0.02), (hw - 0.02, 0.1), (hw - 0.02, 0.32), (0, 0.3)], h, line, smooth=1)
            for sign in (-1, 1):
                pen.shape([(sign * (hw + 0.02), 0.2), (sign * (hw + 0.14), 0.6), (sign * (hw + 0.12), 0.95), (sign * (hw - 0.02), 0.95)], h, line, smooth=2)
    elif style == "updo":
        pen.ellipse(0.06, -0.12, 0.26, 0.18, h, line)  # bun
        pen.shape([(-hw - 0.03, 0.42), (-hw, 0.1), (-0.05, -0.05), (0.25, -0.03), (hw + 0.03, 0.2), (hw + 0.02, 0.4), (hw - 0.04, 0.3),
                   (0.1, 0.12), (-0.18, 0.22), (-hw + 0.05, 0.38)], h, line)
        for sign in (-1, 1):  # loose wavy strands at the temples
            pen.line([(sign * (hw - 0.02), 0.35), (sign * (hw + 0.02), 0.55), (sign * (hw - 0.01), 0.72), (sign * (hw + 0.02), 0.86)], h, 0.03)
    elif style == "swept":
        pen.shape([(-hw - 0.02, 0.42), (-hw, 0.12), (-0.1, -0.05), (0.15, -0.05), (hw, 0.12), (hw + 0.02, 0.42), (hw - 0.03, 0.3),
                   (0.1, 0.1), (-0.1, 0.1), (-hw + 0.03, 0.3)], h, line)
        for x in (-0.15, 0.0, 0.15):
            pen.line([(x, 0.1), (x * 1.3, -0.02)], shade(h, 0.8), 0.012)
    elif style in ("ponytail", "braids"):  # pulled back smooth, a centre parting
        pen.shape([(-hw - 0.03, 0.42), (-hw, 0.1), (-0.05, -0.05), (0.25, -0.03), (hw + 0.03, 0.2), (hw + 0.02, 0.42), (hw - 0.04, 0.3),
                   (0.05, 0.15), (-0.2, 0.24), (-hw + 0.05, 0.4)], h, line)
        if style == "ponytail":
            pen.ellipse(0.3, 0.0, 0.06, 0.05, (200, 60, 80))  # the hair tie
        else:  # two plaits over the shoulders, knot by knot, tied at the ends
            for sign in (-1, 1):
                for i in range(9):
                    pen.ellipse(sign * (hw + 0.02 + 0.012 * i), 0.55 + 0.2 * i, 0.085, 0.11, h, line, 0.014)
                pen.ellipse(sign * (hw + 0.12), 2.28, 0.05, 0.04, (200, 60, 80))
    else:  # short, neat side part
        pen.shape([(-hw - 0.03, 0.48), (-hw - 0.02, 0.12), (-0.1, -0.07), (0.2, -0.06), (hw + 0.03, 0.14), (hw + 0.03, 0.48),
                   (hw - 0.02, 0.36), (0.1, 0.2), (-0.12, 0.2), (-0.2, 0.16), (-hw + 0.02, 0.36)], h, line)
        pen.line([(-0.12, 0.0), (-0.16, 0.18)], shade(h, 0.7), 0.014)
    if s.curly and style in ("long", "bob", "short"):
        crown = [(hw * 1.05 * np.cos(a), 0.42 - 0.5 * np.sin(a)) for a in np.linspace(0.15, np.pi - 0.15, 9)]
        _curls(pen, crown, h, line)
    pen.arc(0.0, 0.2, 0.22, 0.14, 200, 250, sheen, 0.03)  # highlight


def soft_shadow(size: tuple[int, int]) -> Image.Image:
    """A feathered dark ellipse (contact shadow) as an RGBA image."""
    w, h = size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((w * 0.1, h * 0.2, w * 0.9, h * 0.8), fill=110)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1, h * 0.15)))
    shadow = Image.new("RGBA", (w, h), (10, 8, 12, 0))
    shadow.putalpha(mask)
    return shadow
