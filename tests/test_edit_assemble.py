"""The picture stream: takes resampled to the timeline's rate, held when short, and bad takes reported clearly."""

from __future__ import annotations

import numpy as np
import pytest

from drama.edit.assemble import clip_frames
from drama.edit.export import export_episode
from drama.edit.timeline import Take, VideoSegment, build_timeline
from drama.errors import DramaError
from engine.video import write_mp4
from tests.edit_inputs import make_inputs


def _grey_steps(path, count: int, fps: int) -> None:
    """Frame i is a flat grey of level 20 + 10·i, so each output frame tells which source frame it shows."""
    write_mp4((np.full((32, 32, 3), 20 + 10 * i, np.uint8) for i in range(count)), path, width=32, height=32, fps=fps,
              crf=0)


def _levels(frames, size: int = 32) -> list[int]:
    return [round((int(frame[: size * size].mean()) - 16) * 255 / 219 - 20) // 10 for frame in frames]


@pytest.mark.parametrize("source_fps, expected", [(15, [0, 0, 1, 1, 2, 2, 3, 3]), (30, [0, 1, 2, 3, 4, 5, 6, 7]),
                                                  (24, [0, 1, 2, 2, 3, 4, 5, 6])])
def test_takes_keep_their_speed_at_the_timeline_rate(tmp_path, source_fps, expected):
    """Output frame k shows the source frame on screen at its middle, (k + ½) / 30 s."""
    path = tmp_path / "steps.mp4"
    _grey_steps(path, 12, source_fps)
    segment = VideoSegment(shot_id="a", index=0, kind="clip", start=0, frames=8, take=Take(id="t", video=path))
    assert _levels(clip_frames(segment, 32, 32, 30.0)) == expected


def test_a_short_take_holds_its_last_frame(tmp_path):
    path = tmp_path / "steps.mp4"
    _grey_steps(path, 3, 30)
    segment = VideoSegment(shot_id="a", index=0, kind="clip", start=0, frames=6, take=Take(id="t", video=path))
    assert _levels(clip_frames(segment, 32, 32, 30.0)) == [0, 1, 2, 2, 2, 2]


def test_a_broken_take_is_a_clear_error_and_the_last_export_survives(tmp_path):
    inputs = make_inputs(tmp_path / "p", [("a", "action", "cut", 1.0, None, None, None)], draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, [], inputs.picks)
    first = export_episode(inputs.project, timeline)
    before = first.mp4.read_bytes()
    inputs.picks["a"].video.write_bytes(b"not a video")
    with pytest.raises(DramaError, match="cannot read take a-d0 of shot a") as error:
        export_episode(inputs.project, timeline)
    assert "drama pick" in error.value.hint
    assert first.mp4.read_bytes() == before  # nothing half-written over the previous export
    assert list((inputs.project.cache_dir / "export").iterdir()) == []
