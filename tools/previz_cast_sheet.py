"""A line-up sheet of previz stand-in figures, to check by eye what descriptions draw: everyone at one scale
(a taller character stands taller), named, told apart the way the engine tells a picture's people apart.

    python tools/previz_cast_sheet.py [--cast projects/demo/cast.toml] [--out /tmp/cast.png] [--height 480]

Without --cast it draws a built-in line-up (five schoolgirls, English and Chinese descriptions, ages and builds).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.previz.figure import DEFAULT_COLOR, cast_of, draw_figure  # noqa: E402

LINE_UP = [
    ("Lin", "a girl with a ponytail, 17, school uniform"),
    ("Mei", "a girl with a bob, 17, school uniform"),
    ("Xia", "a girl with braids, 17, school uniform"),
    ("Yu", "a girl, 17, half a head taller than the others, school uniform"),
    ("Fang", "a girl, 17, school uniform"),
    ("Zoe", "a woman in a red dress"),
    ("李娜", "高挑的女生，马尾，白色连衣裙"),
    ("王总", "矮胖的中年男人，光头，戴眼镜，灰色西装"),
    ("奶奶", "白发老人，盘发，蓝色外套"),
    ("Tom", "a 7-year-old boy in a yellow T-shirt, curly hair"),
    ("Sam", "tall slim man, 30, black hoodie"),
    ("Ann", "middle-aged woman, short grey hair, glasses, beige coat"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cast", type=Path, help="a cast.toml to draw instead of the built-in line-up")
    parser.add_argument("--out", type=Path, default=Path("/tmp/cast.png"))
    parser.add_argument("--height", type=int, default=480, help="pixels per figure cell (one scale for all)")
    args = parser.parse_args()
    if args.cast:
        entries = tomllib.loads(args.cast.read_text(encoding="utf-8")).get("character", [])
        people = [(c["name"], c.get("description", ""), c.get("color", DEFAULT_COLOR)) for c in entries]
    else:
        people = [(name, description, DEFAULT_COLOR) for name, description in LINE_UP]
    specs = cast_of(people)
    images = [draw_figure(replace(specs[name], label=name), args.height)[0] for name, _, _ in people]
    sheet = Image.new("RGBA", (sum(i.width for i in images), args.height), (206, 206, 202, 255))
    x = 0
    for image in images:
        sheet.alpha_composite(image, (x, 0))
        x += image.width
    sheet.convert("RGB").save(args.out)
    for name, description, _ in people:
        spec = specs[name]
        print(f"{name}: {spec.sex} {spec.age} {spec.height_m:.2f} m, hair {spec.hair_style}{' curly' if spec.curly else ''}, "
              f"{spec.outfit}{', glasses' if spec.glasses else ''} — {description}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
