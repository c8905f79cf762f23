"""Stand-in figures are drawn from their descriptions (English and Chinese), people of one picture never look
alike unless the text says so, a taller character is drawn taller, and name tags read the right way round."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext
from engine.previz import PrevizEngine
from engine.previz.cast import load_portrait, turned
from engine.previz.figure import alike, cast_of, draw_figure, spec_from_text
from engine.video import read_frames

# description → what the figure must show (attribute: value). Names are fixed so the free parts are too.
READINGS = [
    ("a woman in a red dress", {"sex": "f", "outfit": "dress"}),
    ("a man in a grey suit", {"sex": "m", "outfit": "suit"}),
    ("a girl with a ponytail", {"sex": "f", "hair_style": "ponytail"}),
    ("a girl with a bob", {"hair_style": "bob"}),
    ("a girl with braids", {"hair_style": "braids"}),
    ("long straight black hair", {"hair_style": "long"}),
    ("a boy with short hair", {"sex": "m", "hair_style": "short"}),
    ("a bald man", {"hair_style": "bald"}),
    ("a woman with her hair in a bun", {"hair_style": "updo"}),
    ("wavy chestnut hair pinned up", {"hair_style": "updo", "curly": True}),
    ("a boy with curly hair", {"curly": True}),
    ("a 7-year-old boy", {"sex": "m", "age": "child"}),
    ("a twenty-year-old student", {"age": "young"}),  # "year-old" is no old age
    ("man in his forties, grey beard, brown wool coat", {"sex": "m", "age": "middle", "outfit": "coat", "top": (110, 74, 48)}),
    ("woman in her sixties", {"sex": "f", "age": "old"}),
    ("DETECTIVE (30s)", {"age": "young"}),
    ("四十多岁的男人", {"sex": "m", "age": "middle"}),
    ("a teenage girl", {"age": "teen"}),
    ("a middle-aged woman", {"age": "middle"}),  # "aged" alone would say old
    ("elderly butler, 60", {"sex": "m", "age": "old"}),
    ("young Chinese woman, 26", {"age": "young"}),
    ("female, teen", {"sex": "f", "age": "teen"}),  # a cast's sex and age, when they reach the description
    ("male, middle", {"sex": "m", "age": "middle"}),
    ("male, child", {"sex": "m", "age": "child"}),
    ("female, old", {"sex": "f", "age": "old"}),
    ("a student in a school uniform", {"outfit": "uniform"}),
    ("a man in a black hoodie", {"outfit": "hoodie"}),
    ("a girl in a white T-shirt", {"outfit": "tshirt"}),  # not a shirt
    ("a man in a leather jacket", {"outfit": "jacket"}),
    ("a woman in a pleated skirt", {"outfit": "skirt"}),
    ("a man with round glasses", {"glasses": True}),
    ("穿红色连衣裙的女人", {"sex": "f", "outfit": "dress"}),
    ("穿灰色西装的男人", {"sex": "m", "outfit": "suit"}),
    ("扎马尾的少女", {"sex": "f", "age": "teen", "hair_style": "ponytail"}),
    ("波波头女生", {"hair_style": "bob"}),
    ("梳着两条辫子的小女孩", {"age": "child", "hair_style": "braids"}),
    ("光头男人", {"sex": "m", "hair_style": "bald"}),
    ("白发老人，盘发", {"age": "old", "hair_style": "updo"}),
    ("卷发少年", {"sex": "m", "age": "teen", "curly": True}),
    ("黑色长发", {"hair_style": "long"}),
    ("短发，中年男人", {"age": "middle", "hair_style": "short"}),
    ("穿校服的学生", {"outfit": "uniform"}),
    ("穿黑色卫衣", {"outfit": "hoodie"}),
    ("白色T恤", {"outfit": "tshirt"}),
    ("戴眼镜的老师", {"glasses": True}),
]


@pytest.mark.parametrize(("description", "expected"), READINGS, ids=[d for d, _ in READINGS])
def test_the_description_decides(description, expected):
    spec = spec_from_text("Someone", description)
    assert {key: getattr(spec, key) for key in expected} == expected


def test_a_named_colour_dresses_the_figure():
    for description in ("a woman in a red dress", "穿红色连衣裙的女人"):
        r, g, b = spec_from_text("A", description).top
        assert r > 150 and g < 80 and b < 80, description


def test_hair_colour_is_read_from_the_words_about_hair():
    grey = spec_from_text("A", "a man in a white shirt, grey hair").hair
    white = spec_from_text("A", "白发老人").hair
    black = spec_from_text("A", "穿白色连衣裙，黑色长发").hair  # the dress is white, the hair is not
    assert min(grey) > 120 and min(white) > 180 and max(black) < 60


def average(description: str, names=("A", "B", "C", "D", "E", "F")) -> float:
    """Mean height (in heads × head size = metres) over several names, so the free variation averages out."""
    return float(np.mean([spec_from_text(n, description).height_m for n in names]))


@pytest.mark.parametrize(("taller", "shorter"), [
    ("a tall man", "a man"),
    ("高挑的女人", "女人"),
    ("a woman, half a head taller than her sister", "a woman"),
    ("比她高半个头的女人", "女人"),
    ("a man", "a short man"),
    ("女人", "矮个子女人"),
    ("a woman", "a girl of 15"),
    ("a teenage boy", "a little boy"),
])
def test_stature_words_make_people_taller_or_shorter(taller, shorter):
    assert average(taller) > average(shorter) + 0.05


@pytest.mark.parametrize(("description", "plain"), [
    ("a man who likes to install shelves", "a man"),  # no "tall" in "install"
    ("a woman with short hair", "a woman"),  # short hair is not a short woman
    ("a girl in a short skirt", "a girl in a skirt"),
    ("a woman in a red dress", "a woman in a dress"),
])
def test_words_inside_other_words_do_not_count(description, plain):
    assert average(description) == pytest.approx(average(plain), abs=0.02)
    assert spec_from_text("A", description).sex == spec_from_text("A", plain).sex


def test_build_words_widen_or_narrow():
    assert spec_from_text("A", "a heavy man").build > spec_from_text("A", "a man").build + 0.1
    assert spec_from_text("A", "矮胖的男人").build > spec_from_text("A", "男人").build + 0.1
    assert spec_from_text("A", "a slim woman").build < spec_from_text("A", "a woman").build - 0.06
    assert spec_from_text("A", "瘦高的女人").build < spec_from_text("A", "女人").build - 0.06


def test_a_character_looks_the_same_in_every_shot():
    """Free parts come from the name and description only: no seed, no order, no unrelated company."""
    description = "a girl, 17, school uniform"
    alone = cast_of([("Lin", description, "#888888")])["Lin"]
    assert alone == spec_from_text("Lin", description)
    with_stranger = cast_of([("Old Wang", "a bald old man in a grey suit", "#888888"), ("Lin", description, "#888888")])
    assert with_stranger["Lin"] == alone


def head_region(spec, height: int = 600) -> np.ndarray:
    """The drawn head and hair (down to the shoulders), resized to a common grid, as RGB floats on white."""
    image, anatomy = draw_figure(spec, height)
    x0, y0, x1, y1 = anatomy.head
    w = x1 - x0
    box = (round(x0 - 0.9 * w), round(y0 - 0.4 * w), round(x1 + 0.9 * w), round(y1 + 1.2 * w))
    crop = image.crop(box).resize((48, 64), Image.BILINEAR)
    white = Image.new("RGBA", crop.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, crop).convert("RGB"), dtype=np.float32)


def difference(a, b) -> float:
    """Mean absolute difference of two head regions, 0–255, after a blur (what a glance tells apart)."""
    blur = lambda x: np.asarray(Image.fromarray(x.astype(np.uint8)).resize((24, 32), Image.BILINEAR), dtype=np.float32)  # noqa: E731
    return float(np.abs(blur(a) - blur(b)).mean())


FIVE_GIRLS = [
    ("Lin", "a girl with a ponytail, 17, school uniform"),
    ("Mei", "a girl with a bob, 17, school uniform"),
    ("Xia", "a girl with braids, 17, school uniform"),
    ("Yu", "a girl, 17, half a head taller than the others, school uniform"),
    ("Fang", "a girl, 17, school uniform"),
]


def test_five_girls_are_five_different_people():
    specs = cast_of([(name, description, "#888888") for name, description in FIVE_GIRLS])
    heads = {name: head_region(spec) for name, spec in specs.items()}
    same = difference(heads["Lin"], head_region(specs["Lin"], height=500))
    assert same < 3.0, "one figure drawn at two sizes measures as the same"
    for a, b in combinations(specs, 2):
        assert not alike(specs[a], specs[b]), (a, b)
        assert difference(heads[a], heads[b]) > 8.0, (a, b)


def test_two_people_with_one_description_still_differ_unless_twins():
    plain = cast_of([("A", "a girl, 17, school uniform", "#888888"), ("B", "a girl, 17, school uniform", "#888888")])
    assert not alike(plain["A"], plain["B"])
    assert difference(head_region(plain["A"]), head_region(plain["B"])) > 8.0
    twins = "identical twin girls, 17, school uniform"
    pair = cast_of([("A", twins, "#888888"), ("B", twins, "#888888")])
    assert pair["A"] == pair["B"], "twins keep one look"


def test_ponytail_bob_and_braids_draw_differently():
    heads = [head_region(spec_from_text("Lin", f"a girl with {hair}")) for hair in ("a ponytail", "a bob", "braids")]
    for a, b in combinations(heads, 2):
        assert difference(a, b) > 6.0


def mask_height(tmp_path, name: str, description: str) -> float:
    """Pixel height of one standing character in a rendered full shot (the same camera for every call)."""
    person = CharacterRef(name=name, description=description, placement=Placement(x=0.5))
    request = RenderRequest(prompt="", width=144, height=256, num_frames=2, seed=5, shot_size="FS", characters=(person,),
                            scene=SceneContext(location="living room"), camera=CameraMove(kind="static"),
                            options={"side_channels": True, "side_scale": 1.0})
    clip = PrevizEngine().render(request, tmp_path / name)
    mask = next(iter(read_frames(clip.masks[name])))[..., 0] > 128
    rows = np.nonzero(mask.any(axis=1))[0]
    return float(rows.max() - rows.min() + 1)


def test_half_a_head_taller_is_drawn_taller(tmp_path):
    base = mask_height(tmp_path, "Fang", "a girl, 17, school uniform")
    tall = mask_height(tmp_path, "Yu", "a girl, 17, half a head taller than the others, school uniform")
    # half a head on a body of about seven heads, give or take the free variation of a few per cent
    assert tall > base * 1.04, (tall, base)


def tag_pixels(image: Image.Image, anatomy) -> np.ndarray:
    """The name tag under the feet, cropped to its own bounding box."""
    below = image.crop((0, round(anatomy.feet_y + 2), image.width, image.height))
    box = below.getchannel("A").getbbox()
    assert box is not None, "no tag under the feet"
    return np.asarray(below.crop(box).convert("RGB"), dtype=np.float32)


def test_a_figure_facing_left_wears_a_readable_name():
    portrait = load_portrait(CharacterRef(name="Lin", description="a girl with a ponytail"), stand_in_height=500)
    right, left = turned(portrait, "right"), turned(portrait, "left")
    a, b = tag_pixels(right.image, right.anatomy), tag_pixels(left.image, left.anatomy)
    assert a.shape == b.shape
    mirrored = a[:, ::-1]
    assert np.abs(a - b).mean() < 1, "the same tag whichever way the figure faces"
    assert np.abs(mirrored - b).mean() > 10, "and not its mirror image (the test can tell them apart)"


def test_a_portrait_only_a_few_pixels_tall_is_drawn(tmp_path):
    """Its hair is read from the pixel rows it has (the patch under the top of the head was empty: NaN)."""
    disc = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    ImageDraw.Draw(disc).ellipse((2, 2, 38, 38), fill=(200, 60, 60, 255))
    disc.save(tmp_path / "disc.png")
    portrait = load_portrait(CharacterRef(name="Ann", reference_images=(tmp_path / "disc.png",)))
    assert portrait.anatomy.hair == (200, 60, 60)  # the disc's own colour at its top
    request = RenderRequest(prompt="Ann waits", width=64, height=112, fps=12, num_frames=4,
                            characters=(CharacterRef(name="Ann", reference_images=(tmp_path / "disc.png",)),))
    (tmp_path / "out").mkdir()
    assert PrevizEngine().render(request, tmp_path / "out").num_frames == 4
