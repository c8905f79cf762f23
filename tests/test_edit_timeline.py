"""The timeline's layout: transitions, frame grid, line placement, title cards, music choice, ducking."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from drama.edit.assemble import write_dialogue_stem
from drama.edit.music import duck_expressions, music_chain, music_file
from drama.edit.timeline import DialogueClip, build_timeline
from drama.errors import DramaError
from engine.video import ffmpeg_exe
from tests.edit_inputs import DEFAULT_SHOTS, make_inputs, make_project, write_tone

MUSIC = Path(__file__).resolve().parents[1] / "projects" / "demo" / "music" / "tension_bed.ogg"


def test_transitions_become_cuts_dissolves_and_fades(tmp_path):
    inputs = make_inputs(tmp_path, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    s1, s2, s3, s4, s5 = timeline.segments
    assert (s1.start, s1.frames) == (0, 60)
    assert s2.transition_in.kind == "dissolve" and s2.transition_in.frames == 15
    assert s2.start == s1.end - 15  # a dissolve overlaps the two shots
    assert s3.kind == "title_card" and s3.background == "blur" and s3.text == "三年后"
    assert s3.start == s2.end and s3.transition_in.kind == "cut"
    assert s4.transition_in.kind == "fade" and s4.transition_in.frames == 15 and s3.fade_out == 15  # dip to black
    assert s5.transition_in.kind == "cut" and s5.transition_in.source == "smash_cut"
    assert s5.fade_out == 18  # the episode ends on a fade to black
    expected = sum(round(shot[3] * 30) for shot in DEFAULT_SHOTS) - 15
    assert timeline.frames == expected == s5.end
    assert timeline.duration == pytest.approx(expected / 30)


def test_every_line_starts_on_its_shots_first_frame(tmp_path):
    inputs = make_inputs(tmp_path, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    starts = {segment.shot_id: segment.start for segment in timeline.segments}
    assert [clip.shot_id for clip in timeline.dialogue] == ["s1", "s2", "s4"]
    for clip in timeline.dialogue:
        assert clip.start * timeline.fps == pytest.approx(starts[clip.shot_id])
    for before, after in zip(timeline.dialogue, timeline.dialogue[1:], strict=False):
        assert before.end <= after.start  # the dissolve never runs over the previous line
    assert [cue.lines for cue in timeline.cues] == [["你好，世界。"], ["我回来了。"], ["再见。"]]
    assert [round(cue.start * 30) for cue in timeline.cues] == [starts["s1"], starts["s2"], starts["s4"]]


def test_dissolve_without_room_after_the_line_is_a_cut(tmp_path):
    shots = [("a", "dialogue", "cut", 1.0, "一二三四。", 300.0, 1.0), ("b", "dialogue", "dissolve", 2.0, "五。", 500.0, 0.5)]
    inputs = make_inputs(tmp_path, shots, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    assert timeline.segments[1].transition_in.kind == "cut"
    assert timeline.segments[1].start == 30


def test_first_shot_fade_in_and_missing_take(tmp_path):
    shots = [("a", "action", "fade_in", 1.0, None, None, None), ("b", "action", "cut", 1.0, None, None, None)]
    inputs = make_inputs(tmp_path, shots, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, [], inputs.picks)
    assert timeline.segments[0].transition_in.kind == "fade"
    del inputs.picks["b"]
    with pytest.raises(DramaError, match="shot b .* has no rendered take") as error:
        build_timeline(inputs.project, inputs.storyboard, [], inputs.picks)
    assert "drama render" in error.value.hint


def test_alternates_always_include_the_pick(tmp_path):
    inputs = make_inputs(tmp_path, draws=3)
    inputs.picks["s2"] = inputs.alternates["s2"][2]
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    segment = timeline.segments[1]
    assert segment.take.id == "s2-d2"
    assert [take.id for take in segment.alternates] == ["s2-d0", "s2-d1", "s2-d2"]


def test_music_file_choice(tmp_path):
    project = make_project(tmp_path / "none")
    assert music_file(project) is None
    project = make_project(tmp_path / "one", music=MUSIC)
    assert music_file(project) == project.root / "music" / MUSIC.name
    config = project.root / "drama.toml"
    config.write_text(config.read_text() + 'music = "missing.ogg"\n')
    from drama.project import Project

    with pytest.raises(DramaError, match="missing.ogg") as error:
        music_file(Project.load(project.root))
    assert MUSIC.name in error.value.hint


def _gain(expressions: list[str], t: float) -> float:
    functions = {"clip": lambda x, lo, hi: min(max(x, lo), hi), "min": min, "t": t}
    return math.prod(eval(expression, functions) for expression in expressions)  # noqa: S307


def test_music_ducks_under_speech_and_recovers():
    expressions = duck_expressions([(2.0, 3.0), (3.5, 4.0), (10.0, 11.0)], -10.0)
    ducked = 10 ** (-10 / 20)
    assert _gain(expressions, 0.5) == pytest.approx(1.0)
    assert _gain(expressions, 2.5) == pytest.approx(ducked, abs=1e-3)
    assert _gain(expressions, 3.25) == pytest.approx(ducked, abs=1e-3)  # short gaps stay down
    assert ducked < _gain(expressions, 4.3) < 1.0  # release ramp
    assert _gain(expressions, 6.0) == pytest.approx(1.0)
    assert _gain(expressions, 9.9) < 1.0  # goes down just before the line
    assert duck_expressions([], -10) == []


def test_ducking_a_long_episode_stays_within_ffmpegs_expression_limits():
    """300 lines (a long episode): the automation is split over several volume filters, and the product is right."""
    spans = [(i * 3.0, i * 3.0 + 1.5) for i in range(300)]
    expressions = duck_expressions(spans, -10.0)
    assert len(expressions) > 1
    assert _gain(expressions, 600.75) == pytest.approx(10 ** (-0.5), abs=1e-3)
    assert _gain(expressions, 602.7) == pytest.approx(1.0)
    chain = music_chain(900.0, -16.0, -10.0, 1.5, 2.5, spans)
    result = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-af", chain,
                             "-f", "null", "-"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_dialogue_stem_places_every_sample(tmp_path):
    a = write_tone(tmp_path / "a.wav", 440, 0.5)
    b = write_tone(tmp_path / "b.wav", 660, 0.5)
    clips = [DialogueClip(shot_id="a", speaker=None, text="a", audio=a, start=0.25, duration=0.5),
             DialogueClip(shot_id="b", speaker=None, text="b", audio=b, start=0.5, duration=0.5),  # overlaps a
             DialogueClip(shot_id="c", speaker=None, text="c", audio=a, start=2.5, duration=0.5)]  # past the end
    stem = tmp_path / "stem.f32"
    write_dialogue_stem(clips, 2.0, stem)
    samples = np.fromfile(stem, "<f4")
    assert len(samples) == 96_000
    assert not samples[:12_000].any() and samples[12_000] == 0.0 and samples[12_001] != 0.0
    t = np.arange(24_000) / 48_000
    expected = np.zeros(96_000, np.float32)
    expected[12_000:36_000] += (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16) / 32768
    expected[24_000:48_000] += (0.3 * np.sin(2 * np.pi * 660 * t) * 32767).astype(np.int16) / 32768
    assert np.abs(samples - expected).max() < 1e-4  # overlapping lines add up
    assert not samples[48_000:].any()
    assert math.isclose(len(samples) / 48_000, 2.0)
