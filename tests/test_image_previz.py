"""previz-image: the previz's keyframe of a shot is the first frame its video engine draws for the same request, as
a PNG of the request's size, fast; character-sheet views; clear errors; published and scored as a still draw."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drama.render.draw import draw
from drama.render.engines import describe_engine
from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext
from engine.previz import PrevizEngine
from engine.previz.still import PrevizImageEngine
from engine.registry import engine_class, get_engine
from engine.video import read_frames

REFS = Path(__file__).resolve().parents[1] / "projects" / "demo" / "refs"
CAST = (
    CharacterRef(name="沈清", reference_images=(REFS / "shenqing.png",), placement=Placement(x=0.35, speaking=True)),
    CharacterRef(name="顾承泽", description="a man in a navy suit", color="#2c3e66", placement=Placement(x=0.7)),
)
LUMA = np.array([0.299, 0.587, 0.114])


def request(**fields) -> RenderRequest:
    base = dict(prompt="two people talk", width=180, height=320, num_frames=24, seed=4, shot_size="MS",
                camera=CameraMove(kind="dolly_in"), characters=CAST, scene=SceneContext(location="living room"))
    return RenderRequest(**(base | fields))


def still(tmp_path: Path, label: str, **fields) -> tuple[dict, np.ndarray]:
    result = PrevizImageEngine().render(request(**fields), tmp_path / label)
    with Image.open(result.image) as image:
        assert image.format == "PNG"
        return result.meta, np.asarray(image.convert("RGB")).astype(np.int16)


def test_registry_serves_an_image_engine_and_drama_engines_says_so():
    assert engine_class("previz-image").kind == "image"
    assert isinstance(get_engine("previz-image"), PrevizImageEngine)
    assert (describe_engine("previz-image", None).draws, describe_engine("previz", None).draws) == ("image", "video")


def test_still_is_the_videos_first_frame(tmp_path):
    """A dolly moves every frame, so the video's first frame is the one the still must match: within the loss of
    H.264 (lossless at crf 0, yet yuv420p halves the chroma: a mean luma difference of ~1.3 of 255 levels measured,
    2 allowed) and nearer to it than to any later frame (frame 1 is already ~4 levels away)."""
    fields = dict(options={"crf": 0})
    _, picture = still(tmp_path, "still", **fields)
    clip = PrevizEngine().render(request(**fields), tmp_path / "video")
    frames = np.stack(list(read_frames(clip.video))).astype(np.int16)
    luma = [float(np.abs((picture - frame) @ LUMA).mean()) for frame in frames]
    assert luma[0] < 2.0, f"the still is {luma[0]:.2f} levels from the video's first frame"
    assert int(np.argmin(luma)) == 0 and luma[1] > luma[0] + 1.0


def test_one_frame_shot_still_equals_the_lossless_poster(tmp_path):
    """With one frame the video engine's poster (a PNG, no codec in the way) is frame 0: equal to the still bit for bit."""
    _, picture = still(tmp_path, "still", num_frames=1)
    clip = PrevizEngine().render(request(num_frames=1), tmp_path / "video")
    assert clip.poster is not None
    assert np.array_equal(picture, np.asarray(Image.open(clip.poster).convert("RGB")))


def test_requested_size_any_parity_and_seeds(tmp_path):
    meta, a = still(tmp_path, "a", width=95, height=161)  # no H.264 here: odd sizes are fine
    _, again = still(tmp_path, "again", width=95, height=161)
    _, other = still(tmp_path, "other", width=95, height=161, seed=5)
    assert a.shape == (161, 95, 3)
    assert np.array_equal(a, again)
    assert float(np.abs(a - other).mean()) > 8, "another seed is another draw (lens, light, room)"
    assert meta["engine"] == "previz-image-1" and meta["shot_size"] == "MS" and meta["move"] == "dolly_in"


def test_a_keyframe_at_draft_size_takes_well_under_a_second(tmp_path):
    """540x960, 150 frames of a dolly (plates prepared for the whole path), two people: CPU time of the render
    (the process's, so other work on a shared machine does not count), after a warm-up that loads fonts and code."""
    fields = dict(width=540, height=960, num_frames=150)
    still(tmp_path, "warm", **fields)
    started = time.process_time()
    still(tmp_path, "timed", seed=9, **fields)
    assert time.process_time() - started < 1.0


def test_character_sheet_views(tmp_path):
    one = dict(characters=(CAST[0],), shot_size="FS", camera=CameraMove())
    front_meta, front = still(tmp_path, "front", options={"view": "front"}, **one)
    quarter_meta, quarter = still(tmp_path, "quarter", options={"view": "three_quarter"}, **one)
    side_meta, side = still(tmp_path, "side", options={"view": "side"}, **one)
    _, placed = still(tmp_path, "placed", **one)
    assert np.array_equal(front, placed)  # the reference faces front already
    assert float(np.abs(front - quarter).mean()) > 0.5  # the cut-out squeezed to a three-quarter turn
    assert np.array_equal(side, quarter)  # no profile in the previz: said in the meta, not hidden
    assert (front_meta["view"], quarter_meta["view"]) == ("front", "three_quarter")
    assert (side_meta["view"], side_meta["view_asked"]) == ("three_quarter", "side")
    with pytest.raises(ValueError, match="unknown view 'back'.*front, three_quarter, side"):
        still(tmp_path, "back", options={"view": "back"}, **one)


def test_bad_requests_are_clear_errors_and_write_nothing(tmp_path):
    missing = CharacterRef(name="林晚", reference_images=(tmp_path / "nowhere.png",))
    with pytest.raises(FileNotFoundError, match="nowhere.png"):
        still(tmp_path, "missing", characters=(missing,))
    with pytest.raises(ValueError, match="unknown shot size 'XL'"):
        still(tmp_path, "size", shot_size="XL")
    assert not (tmp_path / "missing").exists() and not (tmp_path / "size").exists()


def test_a_draw_publishes_and_scores_the_still(tmp_path):
    folder = tmp_path / "draw"
    folder.mkdir()
    drawn = draw(get_engine("previz-image"), request(), folder)
    assert drawn.clip["still"] == "still.png" and (drawn.clip["width"], drawn.clip["height"]) == (180, 320)
    assert (folder / "poster.png").read_bytes() == (folder / "still.png").read_bytes()
    assert {part.name for part in drawn.score.parts} >= {"exposure", "sharpness", "likeness"}
