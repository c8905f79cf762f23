"""On real previz renders, the scorer's motion estimate recovers every requested camera move."""

from __future__ import annotations

import pytest

from drama.render.frames import load_video
from drama.render.motion import adherence, dominant_move, estimate_motion, expected_signature
from drama.render.scoring import characters_mask, score_clip
from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext
from engine.registry import get_engine
from render_fakes import MOVES

UNDIRECTED = ("static", "dolly_in", "dolly_out", "handheld")
CASES = [(move, 1) for move in MOVES] + [(move, -1) for move in MOVES if move not in UNDIRECTED]


def request(move: str, direction: int, size: str, seed: int = 1) -> RenderRequest:
    return RenderRequest(prompt="a woman waits in the living room", width=144, height=256, fps=12, num_frames=30,
                         seed=seed, shot_size=size, camera=CameraMove(kind=move, direction=direction),
                         characters=(CharacterRef(name="Ann", color="#c0392b", placement=Placement(x=0.5)),),
                         scene=SceneContext(location="客厅", interior=True, time_of_day="night"),
                         options={"side_channels": True})


@pytest.mark.parametrize("size", ["FS"])  # WS passes too; one framing keeps the suite fast
@pytest.mark.parametrize(("move", "direction"), CASES)
def test_previz_move_is_recovered(tmp_path, move, direction, size):
    clip = get_engine("previz").render(request(move, direction, size), tmp_path)
    sample = load_video(clip.video)
    motion = estimate_motion(sample.gray, ignore=characters_mask(sample, clip))
    assert dominant_move(motion) == expected_signature(move, direction), motion
    value, reason = adherence(motion, move, direction)
    assert value > 0.5, reason


def test_previz_candidate_scores_with_explained_parts(tmp_path):
    asked = request("pan", 1, "FS")
    clip = get_engine("previz").render(asked, tmp_path)
    score = score_clip(asked, clip)
    parts = {part.name: part for part in score.parts}
    assert set(parts) == {"flicker", "sharpness", "exposure", "motion", "camera", "likeness", "duration"}
    assert parts["camera"].value > 0.8 and "as asked" in parts["camera"].explanation
    assert parts["duration"].value == 1.0
    assert parts["likeness"].value is None and "reference" in parts["likeness"].explanation  # no portrait given
    assert 0.5 < score.total <= 1.0
