"""Contact sheets of the previz: every set (one person in a wide shot, so the scale reads) and every prop
(its insert), each tile labelled, to look at what the engine draws.

    python tools/previz_sets_sheet.py [--out /tmp/sets.png] [--props-out /tmp/props.png] [--shot WS] [--seed 1] [--time day]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.api import CharacterRef, Placement, RenderRequest, SceneContext  # noqa: E402
from engine.previz import PrevizEngine  # noqa: E402
from engine.previz.props import PROPS  # noqa: E402
from engine.previz.sets import SETS  # noqa: E402

TILE = (216, 384)
COLUMNS = 7


def poster(request: RenderRequest, work: Path) -> Image.Image:
    clip = PrevizEngine().render(request, work)
    with Image.open(clip.poster) as image:
        return image.convert("RGB")


def sheet(tiles: list[tuple[str, Image.Image]]) -> Image.Image:
    rows = -(-len(tiles) // COLUMNS)
    out = Image.new("RGB", (COLUMNS * TILE[0], rows * TILE[1]), (20, 20, 20))
    draw = ImageDraw.Draw(out)
    for i, (label, image) in enumerate(tiles):
        x, y = i % COLUMNS * TILE[0], i // COLUMNS * TILE[1]
        out.paste(image, (x, y))
        draw.rectangle((x, y, x + 8 * len(label) + 8, y + 16), fill=(0, 0, 0))
        draw.text((x + 4, y + 2), label, fill=(255, 255, 255))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/sets.png"))
    parser.add_argument("--props-out", type=Path, default=Path("/tmp/props.png"))
    parser.add_argument("--shot", default="WS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time", default="day")
    args = parser.parse_args()
    person = CharacterRef(name="A", description="a woman in a grey coat", color="#667788", placement=Placement(x=0.5, speaking=True))
    base = dict(prompt="", width=TILE[0], height=TILE[1], num_frames=1, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = [(s.name, poster(RenderRequest(**base, shot_size=args.shot, characters=(person,),
                                              scene=SceneContext(location=s.words[0], interior=s.inside, time_of_day=args.time)), work / s.name))
                for s in SETS]
        props = [(name, poster(RenderRequest(**base, shot_size="CU", scene=SceneContext(location="living room", props=(name,), time_of_day=args.time)),
                               work / f"prop-{name}")) for name in PROPS]
    sheet(sets).save(args.out)
    sheet(props).save(args.props_out)
    print(f"{len(sets)} sets -> {args.out}; {len(props)} props -> {args.props_out}")


if __name__ == "__main__":
    main()
