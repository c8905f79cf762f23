"""Pure parts of the voice stage: what is spoken, pauses, shot durations, word timings from eSpeak events."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drama.project.config import DramaConfig
from drama.storyboard.model import DualLine
from drama.voice import VoiceLine, WordTiming, apply_timing
from drama.voice.casting import is_spoken, spoken_text
from drama.voice.espeak import EVENT_END, EVENT_WORD, _words
from drama.voice.timing import BASE_PAUSE, BEAT, END_PAUSES, estimate_words, pause_after, units
from tests.voice_helpers import storyboard


def _line(shot_id: str, duration: float) -> VoiceLine:
    return VoiceLine(shot_id=shot_id, speaker=None, text="x", audio=Path("/nonexistent.wav"), duration=duration,
                     backend="offline", voice="cmn")


def test_spoken_text_drops_inline_directions():
    assert spoken_text("你……（哽咽）你回来了 (beat) 【音效】") == "你……你回来了"


def test_title_cards_are_spoken_only_when_narrated():
    card = storyboard().shots[2]
    assert not is_spoken(card, DramaConfig(title="t"))
    assert is_spoken(card, DramaConfig.model_validate({"title": "t", "voice": {"narrate_title_cards": True}}))
    silent = card.model_copy(update={"kind": "dialogue", "text": "……（沉默）"})
    assert not is_spoken(silent, DramaConfig(title="t"))  # nothing to say: the shot keeps its duration


@pytest.mark.parametrize(("text", "parenthetical", "pause"), [
    ("嗯", None, BASE_PAUSE),
    ("你不是已经死了吗？", None, END_PAUSES["？"]),
    ("那天桥上明明只有……", None, END_PAUSES["…"]),
    ("我知道。", "停顿", END_PAUSES["。"] + BEAT),
    ("我知道。（停顿）", None, END_PAUSES["。"] + BEAT),
    ("Wait... (beat)", None, END_PAUSES["."] + BEAT),
    ("“走吧！”", None, END_PAUSES["！"]),
])
def test_pause_follows_punctuation_and_parenthetical(text, parenthetical, pause):
    shot = storyboard().shots[3].model_copy(update={"text": text, "parenthetical": parenthetical})
    assert pause_after(shot) == pytest.approx(pause)


def test_apply_timing_sets_spoken_shots_and_keeps_the_rest():
    board = storyboard()
    lines = [_line("shot0", 4.0), _line("shot4", 0.5)]
    timed = apply_timing(board, lines)
    assert timed.shot("shot0").duration == pytest.approx(4.0 + pause_after(board.shot("shot0")))
    assert timed.shot("shot4").duration == pytest.approx(0.5 + pause_after(board.shot("shot4")))
    for shot_id in ("shot1", "shot2", "shot3", "shot5", "shot6"):
        assert timed.shot(shot_id).duration == board.shot(shot_id).duration == 3.0
    assert board.shot("shot0").duration == 3.0  # pure: the input is unchanged


def test_a_dual_dialogue_shot_lasts_as_long_as_its_longer_line():
    board = storyboard()
    board.shots[3] = board.shots[3].model_copy(update={"text": "你来了。", "parenthetical": None,
                                                       "dual": DualLine(speaker="顾承泽", text="你怎么在这儿？")})
    board.shots[4] = board.shots[4].model_copy(update={"text": "走吧！", "parenthetical": None,
                                                       "dual": DualLine(speaker="白薇", text="好。", parenthetical="停顿")})
    # shot3: the second line is the longer and ends on ？; shot4: its own line is the longer, but the second
    # line's beat (停顿) outlasts it; shot5: a dual line voiced for a shot that has no dual line is ignored
    timed = apply_timing(board, [_line("shot3", 1.0), _line("shot3^", 2.0), _line("shot4", 1.5), _line("shot4^", 1.0),
                                 _line("shot5", 1.2), _line("shot5^", 9.0)])
    assert timed.shot("shot3").duration == pytest.approx(2.0 + END_PAUSES["？"])
    assert timed.shot("shot4").duration == pytest.approx(1.0 + END_PAUSES["。"] + BEAT)
    assert timed.shot("shot5").duration == pytest.approx(1.2 + pause_after(board.shot("shot5")))
    assert [shot.id for shot in timed.shots] == [shot.id for shot in board.shots]  # a ^ line is never a shot


def test_a_dual_line_heard_alone_times_its_shot():
    board = storyboard()
    board.shots[1] = board.shots[1].model_copy(update={"dual": DualLine(speaker="白薇", text="等等……")})
    timed = apply_timing(board, [_line("shot1^", 1.0)])
    assert timed.shot("shot1").duration == pytest.approx(1.0 + END_PAUSES["…"])


@given(st.text(alphabet="你好世界沈清 abcXYZ，。！？…'-", min_size=1, max_size=60), st.floats(0.2, 30))
def test_estimated_words_cover_the_text_and_the_duration(text, duration):
    words = estimate_words(text, duration)
    assert "".join(units(text)) == text.lstrip()
    assert "".join(w.text for w in words).replace(" ", "") == text.replace(" ", "")
    if words:
        assert words[0].start == 0 and words[-1].end == pytest.approx(duration, abs=1e-3)
        assert all(a.end == pytest.approx(b.start, abs=1e-3) for a, b in zip(words, words[1:], strict=False))


def test_units_keep_latin_words_whole():
    assert units("承泽，你的 iPhone 15 呢？") == ["承", "泽，", "你", "的 ", "iPhone ", "15 ", "呢？"]
    assert units("It's well-known.") == ["It's ", "well-known."]


def test_espeak_events_become_words_covering_the_text():
    text = "你用得还顺手吗？"
    # eSpeak reports 顺手 as one word at 顺 (position 5) and a clause end after 吗
    events = [(EVENT_WORD, 1, 0), (EVENT_WORD, 2, 200), (EVENT_WORD, 3, 400), (EVENT_WORD, 4, 550),
              (EVENT_WORD, 5, 700), (EVENT_WORD, 7, 1100), (EVENT_END, 8, 1400)]
    words = _words(text, events, 1.6)
    assert [w.text for w in words] == ["你", "用", "得", "还", "顺手", "吗？"]
    assert words[4] == WordTiming(text="顺手", start=0.7, end=1.1)
    assert words[-1].end == pytest.approx(1.4)
