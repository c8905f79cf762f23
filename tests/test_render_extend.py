"""Long shots: drawn in parts from each part's last frame and stitched without a seam (drama.render.extend)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from drama.render.draw import draw
from drama.render.extend import part_lengths
from engine.api import Clip, Engine, RenderRequest
from engine.video import read_frames, write_mp4
from render_fakes import world

STEP = 3  # pixels the test engine's camera pans a frame


class Panning(Engine):
    """An image-to-video engine in miniature: each frame is the one before panned STEP pixels (what leaves on the
    left comes back on the right), starting from `first_frame` when given, else from a textured world. At most
    24 frames a draw."""

    name = "test-panning"
    version = "1"
    features = ("text", "first_frame", "seed")
    max_frames: ClassVar[int | None] = 24
    follows_first_frame = True

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        size = (request.width, request.height)
        if request.first_frame is not None and self.follows_first_frame:
            start = Image.open(request.first_frame).convert("RGB").resize(size)
        else:
            start = world((request.width * 2, request.height * 2), seed=request.seed).resize(size)
        pixels = np.asarray(start)
        frames = [np.roll(pixels, -STEP * i, axis=1) for i in range(request.num_frames)]
        count = write_mp4(frames, out_dir / "clip.mp4", width=request.width, height=request.height, fps=request.fps, crf=12)
        return Clip(video=out_dir / "clip.mp4", width=request.width, height=request.height, fps=request.fps,
                    num_frames=count)


class Restarting(Panning):
    """The same engine ignoring the frame it is given: every part starts afresh, as a plain text-to-video would."""

    name = "test-panning-restarting"
    follows_first_frame = False


def changes(video: Path) -> np.ndarray:
    """Mean absolute change from each frame to the next, in 0-255 grey."""
    grey = np.stack([np.asarray(frame, dtype=np.float32).mean(axis=2) for frame in read_frames(video)])
    return np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))


@pytest.mark.parametrize(("frames", "longest", "expected"), [
    (10, 24, [10]), (24, 24, [24]), (25, 24, [13, 13]), (60, 24, [21, 21, 20]), (47, 24, [24, 24]),
])
def test_parts_cover_the_shot_with_one_shared_frame_at_each_boundary(frames, longest, expected):
    lengths = part_lengths(frames, longest)
    assert lengths == expected
    assert sum(lengths) - (len(lengths) - 1) == frames and max(lengths) <= longest


def request(frames: int) -> RenderRequest:
    return RenderRequest(prompt="a long pan", width=96, height=160, fps=24, num_frames=frames, seed=3)


def test_a_long_shot_is_drawn_in_parts_and_stitched_without_a_seam():
    with tempfile.TemporaryDirectory() as folder:
        drawn = draw(Panning(), request(60), Path(folder))
        assert drawn.clip["num_frames"] == 60 and drawn.clip["meta"]["parts"] == 3
        assert drawn.clip["meta"]["part_frames"] == "21,21,20"
        assert sorted(p.name for p in Path(folder).iterdir()) == ["poster.png", "video.mp4"]  # parts cleaned up
        assert len(list(read_frames(Path(folder) / "video.mp4"))) == 60
        step = changes(Path(folder) / "video.mp4")
        seams = [20, 40]  # frame 20 -> 21 and 40 -> 41: the first new frame of parts 2 and 3
        assert max(step[s] for s in seams) <= np.median(step) * 1.05, (step[seams], np.median(step))
        assert min(step) > 0.5  # it moves on at every frame: no repeated (frozen) frame at a boundary
        duration = next(p for p in drawn.score.parts if p.name == "duration")
        assert duration.value == 1.0


def test_without_the_previous_frame_the_same_stitch_shows_its_seams():
    """The check above can see a seam: parts that do not start from the last frame jump at every boundary."""
    with tempfile.TemporaryDirectory() as folder:
        draw(Restarting(), request(60), Path(folder))
        step = changes(Path(folder) / "video.mp4")
        assert min(step[20], step[40]) > 3 * np.median(step)


def test_a_shot_within_the_longest_draw_is_one_draw(tmp_path):
    drawn = draw(Panning(), request(20), tmp_path)
    assert "parts" not in drawn.clip["meta"] and drawn.clip["num_frames"] == 20


def test_the_project_can_set_the_longest_draw(tmp_path):
    longer = request(60).model_copy(update={"options": {"max_frames": 31}})
    drawn = draw(Panning(), longer, tmp_path)
    assert drawn.clip["meta"]["part_frames"] == "31,30" and drawn.clip["num_frames"] == 60
