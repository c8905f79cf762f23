"""Contact sheets of a two-stage render: the keyframe stage (every still of every shot, the one in use framed) and
the video stage (the first, middle and last frame of each shot's take in use, chained shots marked).

    python tools/stage_sheets.py PROJECT [EPISODE] --out DIR     # writes DIR/keyframes.png and DIR/video.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from drama.fonts import pil_font
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render.continuity import Starts
from drama.render.keyframes import keyframe_engine, keyframe_in_use, still_of
from drama.render.request import renderable
from drama.render.state import StateStore
from drama.render.tracks import keyframe_track
from engine.video import read_selected

THUMB = 120  # px wide
LABEL = 150  # px of the label column
GAP = 6
IN_USE = (250, 200, 40)


def thumb(image: Image.Image) -> Image.Image:
    return image.convert("RGB").resize((THUMB, round(image.height * THUMB / image.width)), Image.BILINEAR)


def frames_of(video: Path) -> list[Image.Image]:
    """The first, middle and last frame of a video."""
    _, _, frames = read_selected(video, lambda total: sorted({0, total // 2, total - 1}))
    return [Image.fromarray(frame) for frame in frames]


def grid(rows: list[tuple[str, list[tuple[Image.Image, str, bool]]]], title: str) -> Image.Image:
    """Rows of (label, [(thumbnail, caption, framed)]) on a dark sheet."""
    height = max((t.height for _, cells in rows for t, _, _ in cells), default=THUMB) + 20
    columns = max((len(cells) for _, cells in rows), default=1)
    sheet = Image.new("RGB", (LABEL + columns * (THUMB + GAP) + GAP, 40 + len(rows) * (height + GAP)), (18, 18, 18))
    draw = ImageDraw.Draw(sheet)
    font, small = pil_font(18), pil_font(13)
    draw.text((GAP, 8), title, fill=(235, 235, 235), font=font)
    for r, (label, cells) in enumerate(rows):
        y = 40 + r * (height + GAP)
        for line, text in enumerate(label.split("\n")):
            draw.text((GAP, y + 4 + 17 * line), text, fill=(220, 220, 220), font=small)
        for c, (image, caption, framed) in enumerate(cells):
            x = LABEL + c * (THUMB + GAP)
            sheet.paste(image, (x, y))
            if framed:
                draw.rectangle([x - 2, y - 2, x + image.width + 1, y + image.height + 1], outline=IN_USE, width=3)
            draw.text((x + 2, y + image.height + 3), caption, fill=IN_USE if framed else (170, 170, 170), font=small)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("episode", nargs="?", default="ep01")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    project = Project.load(args.project)
    storyboard = prepare_episode(project, args.episode).storyboard
    engine, image_engine = project.config.render.engine, keyframe_engine(project)
    args.out.mkdir(parents=True, exist_ok=True)
    stills, takes = [], []
    with StateStore(project) as store:
        starts = Starts(project, storyboard, store, engine)
        for shot in (shot for shot in storyboard.shots if renderable(shot)):
            label = f"{shot.id}\n{shot.size.value} {shot.location[:6]}"
            chained = starts.chained_to(shot) is not None
            if image_engine and not chained:
                used = keyframe_in_use(project, store, shot, image_engine)
                cells = [(thumb(Image.open(still_of(c))), f"{c.id[:6]} {c.score:.2f}", used is not None and c.id == used.id)
                         for c in store.candidates(keyframe_track(shot.id)) if not c.stale]
                stills.append((label, cells))
            take = store.pick_for(shot.id)
            if take is None:
                continue
            first, middle, last = (frames_of(take.video) + [None] * 3)[:3]
            captions = ["first" + (" = chain" if chained else ""), "middle", "last"]
            takes.append((label + ("\nchained" if chained else ""),
                          [(thumb(f), caption, chained and i == 0) for i, (f, caption) in
                           enumerate(zip((first, middle, last), captions, strict=True)) if f is not None]))
    if stills:
        grid(stills, f"{project.config.title} {args.episode}: keyframes on {image_engine} (framed: in use)").save(
            args.out / "keyframes.png")
    grid(takes, f"{project.config.title} {args.episode}: video on {engine}, the take in use").save(args.out / "video.png")
    print(f"wrote {args.out}/keyframes.png and video.png" if stills else f"wrote {args.out}/video.png")


if __name__ == "__main__":
    main()
