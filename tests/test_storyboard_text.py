"""The words a planner reads (directions, emotions, action verbs), reading-speed timing and prompt rendering."""

import pytest

from drama.storyboard.cues import action_cue, emotion
from drama.storyboard.directions import parse_direction
from drama.storyboard.prompts import load_style
from drama.storyboard.timing import action_duration, line_duration, reading_seconds
from drama.storyboard.vocabulary import Angle, Move, ShotSize
from drama.templates import style_names, template_dir


@pytest.mark.parametrize("text, size, angle, move, sign", [
    ("CU, dolly in", ShotSize.CU, None, Move.DOLLY_IN, None),
    ("特写 推", ShotSize.CU, None, Move.DOLLY_IN, None),
    ("大特写推", ShotSize.ECU, None, Move.DOLLY_IN, None),
    ("low angle, pan left", None, Angle.LOW, Move.PAN, -1),
    ("俯拍 降", None, Angle.HIGH, Move.CRANE, -1),
    ("extreme close-up", ShotSize.ECU, None, None, None),
])
def test_directions_in_both_languages(text, size, angle, move, sign):
    direction = parse_direction(text)
    assert (direction.size, direction.angle, direction.move, direction.move_direction) == (size, angle, move, sign)


def test_a_note_that_is_not_a_direction_is_ignored_unless_marked_as_camera():
    assert parse_direction("check the dates with Anna") is None
    assert parse_direction("镜头：慢慢推到她的眼睛，特写", explicit=True).size == ShotSize.CU


def test_emotions_choose_the_tightest_size_named():
    assert emotion("（冷笑）").size == ShotSize.CU
    assert emotion("愤怒地尖叫").size == ShotSize.ECU
    assert emotion("smiling").size is None and emotion("smiling").gloss == "smiling"
    assert emotion("对着镜子").gloss == "对着镜子" and emotion(None) is None


def test_action_cues():
    assert action_cue("他抬头看天").move == Move.TILT
    assert action_cue("她追了出去").move == Move.FOLLOW and action_cue("她追了出去").full_body
    assert action_cue("Maya looks down at the street").angle == Angle.HIGH
    assert action_cue("He stands still.").move is None


def test_reading_speed():
    assert reading_seconds("一二三四五六七八九") == pytest.approx(2.0)
    assert reading_seconds("we can't stay, " * 9) == pytest.approx(10.0)  # 27 words, "can't" is one
    assert line_duration("嗯。") == 1.2  # clamped up
    assert line_duration("你……你不是已经死了吗？") > line_duration("你你不是已经死了吗？")
    assert 2.0 <= action_duration("他走了。") <= action_duration("很长的一段动作描写" * 5) <= 5.0


def test_every_style_preset_loads():
    assert {"cinematic", "anime", "noir"} <= set(style_names())
    for name in style_names():
        style = load_style(name)
        assert style.prompt and style.negative
    assert (template_dir() / "prompts" / "shot.j2").is_file()
