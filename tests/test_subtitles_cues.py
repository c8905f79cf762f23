"""Subtitle line breaking, cue timing from the spoken lines, and the SRT/ASS files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drama.edit.subtitles import MAX_UNITS, break_lines, cues_for, split_text, width, write_ass, write_srt
from drama.fonts import CJK_FONT_FAMILY, line_height_ratio
from drama.voice import Speaker, VoiceLine, WordTiming
from tests.voice_helpers import demo_project, storyboard

LATIN_WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), min_size=1, max_size=30)


def test_chinese_breaks_at_punctuation_within_16_characters():
    assert break_lines("白薇，我的丈夫，我的房子，你用得还顺手吗？") == ["白薇，我的丈夫，", "我的房子，你用得还顺手吗？"]
    assert break_lines("三年前那晚，桥上不止我一个人。这支笔，全都录下来了。") == [
        "三年前那晚，桥上不止我一个人。", "这支笔，全都录下来了。"]
    assert break_lines("嗯。") == ["嗯。"]


@given(LATIN_WORDS)
def test_latin_lines_never_split_a_word_and_fit_32_letters(words):
    text = " ".join(words)
    for first, last in split_text(text):
        lines = break_lines(text[first:last])
        assert len(lines) <= 2
        for line in lines:
            assert all(word in words for word in line.split())
            assert width(line) <= MAX_UNITS or len(line.split()) == 1
    assert " ".join(" ".join(break_lines(text[a:b])) for a, b in split_text(text)).split() == words


@settings(deadline=None)  # the first example loads jieba's dictionary
@given(st.text(alphabet="你好世界沈清顾承泽白薇陈伯，。！？", min_size=1, max_size=120))
def test_cjk_cues_hold_two_lines_of_at_most_16(text):
    spans = split_text(text)
    assert "".join(text[a:b] for a, b in spans) == text
    for first, last in spans:
        lines = break_lines(text[first:last])
        assert 1 <= len(lines) <= 2 and all(width(line) <= MAX_UNITS for line in lines)


def _line(shot_id: str, text: str, duration: float, words: list[tuple[str, float, float]]) -> VoiceLine:
    return VoiceLine(shot_id=shot_id, speaker="沈清", text=text, audio=Path("/nonexistent.wav"), duration=duration,
                     words=[WordTiming(text=t, start=s, end=e) for t, s, e in words], backend="offline", voice="cmn+f3")


def test_long_line_becomes_several_cues_timed_by_its_words():
    text = "三年前那晚，桥上不止我一个人。这支笔，全都录下来了。我知道你们做了什么，谁也别想逃。"
    words = [(ch, i * 0.2, i * 0.2 + 0.2) for i, ch in enumerate(text)]  # one word per character, 0.2 s each
    board = storyboard()
    line = _line("shot6", text, len(text) * 0.2, words)
    starts = {"shot6": 10.0}
    cues = cues_for(board, [line], starts)
    assert len(cues) == 2
    assert cues[0].start == 10.0  # the first cue starts with the shot (and the audio)
    second = text.index("我知道")
    assert cues[1].start == pytest.approx(10.0 + second * 0.2, abs=1e-3)
    assert cues[0].end == pytest.approx(cues[1].start)
    assert cues[1].end == pytest.approx(10.0 + line.duration)  # untimed 3 s shot: the cue holds to the line's end
    assert "".join("".join(c.lines) for c in cues) == text


def test_cues_for_real_offline_lines(tmp_path):
    project = demo_project(tmp_path)
    board = storyboard()
    lines = Speaker(project, "offline").speak(board)
    from drama.voice import apply_timing
    timed = apply_timing(board, lines)
    cues = cues_for(timed, lines)
    starts, clock = {}, 0.0
    for shot in timed.shots:
        starts[shot.id] = clock
        clock += shot.duration
    assert {c.shot_id for c in cues} == {line.shot_id for line in lines}  # title card: drawn, not a cue
    for line in lines:
        own = [c for c in cues if c.shot_id == line.shot_id]
        assert own[0].start == pytest.approx(starts[line.shot_id])
        assert own[-1].end <= starts[line.shot_id] + timed.shot(line.shot_id).duration + 1e-3
    assert all(a.end <= b.start + 1e-9 and a.start < a.end for a, b in zip(cues, cues[1:], strict=False))


def test_srt_and_ass_files(tmp_path):
    lines = [_line("shot3", "白薇，我的丈夫，我的房子，你用得还顺手吗？", 3.25, []), _line("shot4", "{\\b1}嗯", 0.5, [])]
    cues = cues_for(storyboard(), lines, {"shot3": 61.5, "shot4": 65.0})
    write_srt(cues, tmp_path / "ep.srt")
    srt = (tmp_path / "ep.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:01:01,500 --> 00:01:0")
    assert "白薇，我的丈夫，\n" in srt
    write_ass(cues, tmp_path / "ep.ass", 1080, 1920)
    ass = (tmp_path / "ep.ass").read_text(encoding="utf-8")
    assert "PlayResX: 1080\nPlayResY: 1920" in ass
    style = re.search(r"^Style: Default,(.*)$", ass, re.M).group(1).split(",")
    assert style[0] == CJK_FONT_FAMILY and style[-2] == str(round(1920 * 0.12))
    em = int(style[1]) / line_height_ratio()  # libass sizes by line height; a CJK character is one em wide
    assert 0.9 * (1080 - 2 * int(style[-4])) <= em * MAX_UNITS <= 1080 - 2 * int(style[-4])  # a full line fills the width
    event = re.search(r"^Dialogue: 0,0:01:01.50,0:01:0\d.\d\d,Default,沈清,0,0,0,,(.*)$", ass, re.M).group(1)
    assert event == "白薇，我的丈夫，\\N我的房子，你用得还顺手吗？"
    assert ass.rstrip().endswith(",,｛＼b1｝嗯")  # override braces shown, not obeyed
