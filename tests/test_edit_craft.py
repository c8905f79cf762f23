"""The edit keeps the script's craft: colour dips, emphasis in the subtitles, Chinese lines broken between words,
dual dialogue heard and shown at once."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from drama.edit.assemble import write_dialogue_stem
from drama.edit.export import export_episode
from drama.edit.otio import build_otio
from drama.edit.subtitles import MAX_UNITS, Cue, break_lines, cues_for, split_text, width, write_ass, write_srt
from drama.edit.timeline import build_timeline
from drama.fonts import fontconfig_env
from drama.screenplay import parse_text
from drama.screenplay.inline import emphasis
from drama.screenplay.model import Span
from drama.storyboard.model import DualLine, Shot, Storyboard
from drama.voice.model import VoiceLine
from engine.video import ffmpeg_exe
from tests.edit_inputs import RATE, decode_frame, make_inputs, write_tone

HOT_PINK = (255, 105, 180)
NO_LINE_START = set("，。！？、；：」』）》")


def _centre(frame: np.ndarray) -> np.ndarray:
    return frame[100:156, 30:114].reshape(-1, 3).mean(axis=0)


# --- colour dips ----------------------------------------------------------------------------------------

def test_burn_to_pink_is_a_dip_through_pink():
    script = parse_text("INT. ROOM - DAY\n\nShe waits.\n\n> BURN TO PINK.\n\nINT. HALL - DAY\n\nShe runs.\n",
                        dialect="fountain")
    transition = next(e for scene in script.episodes[0].scenes for e in scene.elements if e.type == "transition")
    assert (transition.kind, transition.color) == ("dip", "#ffc0cb")


@pytest.fixture(scope="module")
def dipped(tmp_path_factory):
    """Two shots, red then green, with a dip through hot pink between them, exported."""
    shots = [("a", "action", "cut", 1.0, None, None, None), ("b", "action", "dip", 1.0, None, None, None)]
    inputs = make_inputs(tmp_path_factory.mktemp("dip") / "project", shots, draws=1)
    board = inputs.storyboard
    board.shots[1] = board.shots[1].model_copy(update={"transition_color": "#ff69b4"})
    timeline = build_timeline(inputs.project, board, [], inputs.picks)
    return timeline, export_episode(inputs.project, timeline)


def test_a_dip_fades_out_to_its_colour_and_in_from_it(dipped):
    timeline, _ = dipped
    a, b = timeline.segments
    assert b.start == a.end  # a dip does not overlap the shots
    assert (a.fade_out, a.fade_out_color) == (15, "#ff69b4")
    assert (b.transition_in.kind, b.transition_in.frames, b.transition_in.color) == ("fade", 15, "#ff69b4")
    assert timeline.segments[-1].fade_out_color == "#000000"  # the episode still ends on black


def test_the_frames_at_a_dip_are_its_colour_not_black(dipped):
    timeline, result = dipped
    a, b = timeline.segments
    for index in (a.end - 1, b.start):  # the last frame out and the first frame in: all colour
        assert np.abs(_centre(decode_frame(result.mp4, index)) - HOT_PINK).max() < 25
    red = _centre(decode_frame(result.mp4, 2))
    assert red[0] > 150 and red[2] < 80  # the clip itself before the dip
    halfway = _centre(decode_frame(result.mp4, a.end - 8))
    assert red[2] + 40 < halfway[2] < HOT_PINK[2] - 40  # blending from the clip to pink


def test_the_otio_carries_the_dip(dipped):
    timeline, result = dipped
    video = otio.adapters.read_from_file(str(result.otio)).tracks[0]
    (dip,) = [item for item in video if isinstance(item, otio.schema.Transition)]
    assert dip.transition_type == otio.schema.TransitionTypes.Custom
    assert dip.metadata["drama"]["kind"] == "dip" and dip.metadata["drama"]["color"] == "#ff69b4"
    assert (dip.in_offset.to_frames(), dip.out_offset.to_frames()) == (15, 15)
    assert [item.name for item in video] == ["a", "dip to #ff69b4", "b"]  # between the two shots, centred on the cut
    assert video.duration().to_frames() == timeline.frames
    a, b = video.find_clips()
    assert a.metadata["drama"]["fade_out_color"] == b.metadata["drama"]["fade_in_color"] == "#ff69b4"


# --- emphasis -------------------------------------------------------------------------------------------

def _line(shot_id: str, text: str, duration: float, speaker: str = "ADA") -> VoiceLine:
    return VoiceLine(shot_id=shot_id, speaker=speaker, text=text, audio=Path("/nonexistent.wav"), duration=duration,
                     backend="offline", voice="en-us")


def _board(*shots: Shot) -> Storyboard:
    return Storyboard(project="t", episode="ep01", width=1080, height=1920, fps=30, shots=list(shots))


def _shot(shot_id: str, written: str, duration: float, **extra) -> Shot:
    text, spans = emphasis(written)
    return Shot(id=shot_id, index=0, kind="dialogue", scene="1", size="MS", duration=duration, speaker="ADA",
                text=text, spans=spans, **extra)


def _untagged(text: str) -> str:
    return re.sub(r"\{\\[ibu][01]\}|</?[ibu]>", "", text)


def _events(ass: str) -> list[str]:
    return [line.split(",", 9)[9] for line in ass.splitlines() if line.startswith("Dialogue:")]


def test_italic_and_underline_reach_the_ass_and_the_srt(tmp_path):
    shot = _shot("s1", "You *never* listen, _Tomas_.", 3.0)
    cues = cues_for(_board(shot), [_line("s1", shot.text, 2.0)], {"s1": 0.0})
    write_ass(cues, tmp_path / "ep.ass", 1080, 1920)
    write_srt(cues, tmp_path / "ep.srt")
    (event,) = _events((tmp_path / "ep.ass").read_text(encoding="utf-8"))
    assert event == "You {\\i1}never{\\i0} listen, {\\u1}Tomas{\\u0}."
    assert "You <i>never</i> listen, <u>Tomas</u>." in (tmp_path / "ep.srt").read_text(encoding="utf-8")


def test_emphasis_survives_a_line_split_into_cues_and_lines(tmp_path):
    written = ("I told you a hundred times that I would *never, ever come back to this miserable little town* "
               "and here I am again, standing in the rain like a fool.")
    shot = _shot("s1", written, 9.0)
    italic = next(span.text for span in shot.spans if span.styles == ("italic",))
    cues = cues_for(_board(shot), [_line("s1", shot.text, 8.0)], {"s1": 0.0})
    assert len(cues) > 1
    write_ass(cues, tmp_path / "ep.ass", 1080, 1920)
    events = _events((tmp_path / "ep.ass").read_text(encoding="utf-8"))
    shown = [line for event in events for line in event.split("\\N")]
    assert [_untagged(line) for line in shown] == [line for cue in cues for line in cue.lines]
    inside = " ".join(part for line in shown for part in re.findall(r"\{\\i1\}(.*?)\{\\i0\}", line))
    assert inside.split() == italic.split()  # exactly the italic words are tagged, on however many lines
    assert all(line.count("{\\i1}") == line.count("{\\i0}") for line in shown)  # closed on the line it opens


def test_emphasis_lands_on_the_right_words_when_a_direction_is_not_spoken(tmp_path):
    shot = _shot("s1", "I (quietly) *never* said that.", 3.0)
    cues = cues_for(_board(shot), [_line("s1", "I never said that.", 2.0)], {"s1": 0.0})  # as casting speaks it
    write_ass(cues, tmp_path / "ep.ass", 1080, 1920)
    assert _events((tmp_path / "ep.ass").read_text(encoding="utf-8")) == ["I {\\i1}never{\\i0} said that."]


def test_a_line_without_emphasis_has_no_tags(tmp_path):
    shot = _shot("s1", "Plain words, no stress.", 3.0)
    cues = cues_for(_board(shot), [_line("s1", shot.text, 2.0)], {"s1": 0.0})
    assert cues[0].spans == []
    write_srt(cues, tmp_path / "ep.srt")
    assert "<" not in (tmp_path / "ep.srt").read_text(encoding="utf-8")


def _burn(cue: Cue, folder: Path) -> np.ndarray:
    """The cue burned by libass (as the export does) on a grey frame, as a mask of its white pixels."""
    folder.mkdir()
    write_ass([cue], folder / "subs.ass", 540, 960)
    command = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=0x404040:s=540x960", "-frames:v", "1",
               "-vf", "ass=subs.ass", "-y", "frame.png"]
    subprocess.run(command, cwd=folder, env={**os.environ, **fontconfig_env(folder / "cache")}, check=True)
    return np.asarray(Image.open(folder / "frame.png").convert("L")) > 220


def test_libass_obeys_the_emphasis_tags(tmp_path):
    plain = Cue(index=1, start=0.0, end=2.0, lines=["中文字幕"], shot_id="s1")
    slanted = plain.model_copy(update={"spans": [[Span(text="中文字幕", styles=("italic",))]]})
    upright, italic = _burn(plain, tmp_path / "plain"), _burn(slanted, tmp_path / "italic")
    assert abs(int(italic.sum()) - int(upright.sum())) < 0.1 * upright.sum()  # the same four glyphs, no tag text
    assert (italic != upright).sum() > 0.2 * upright.sum()  # drawn slanted


# --- Chinese line breaks --------------------------------------------------------------------------------

# Each sentence is wider than a line, and its whole word straddles the sentence's middle: a break balanced by
# width alone would fall inside it.
WHOLE_WORDS = [
    ("听说咱们学校要打城市联赛级别的比赛", "城市联赛"),
    ("妈妈偷偷塞给我五百元让我买件新衣服", "五百元"),
    ("他把那份离婚协议书狠狠地摔在了桌上", "离婚协议书"),
    ("顾承泽一个人站在医院走廊尽头一言不发", "医院走廊"),
    ("你以为拿走我的公司股份就能让我离开吗", "公司股份"),
]


@pytest.mark.parametrize("text, word", WHOLE_WORDS)
def test_chinese_lines_break_between_words(text, word):
    assert width(text) > MAX_UNITS
    middle = len(text) / 2
    assert text.index(word) < middle < text.index(word) + len(word)
    lines = break_lines(text)
    assert "".join(lines) == text and len(lines) == 2
    assert any(word in line for line in lines)
    assert all(width(line) <= MAX_UNITS for line in lines)


def test_the_words_testers_saw_split_stay_whole_across_cues():
    text = "他们说这次城市联赛级的比赛奖金有五百元，可我连报名费都交不起，你说我还能怎么办才好呢？"
    pieces = [text[a:b] for a, b in split_text(text)]
    lines = [line for piece in pieces for line in break_lines(piece)]
    assert "".join(lines) == text
    assert any("城市联赛" in line for line in lines) and any("五百元" in line for line in lines)


@pytest.mark.parametrize("text", [
    "他看了我很久才说：「你终于回来了吗」",
    "妈妈看了很久才说：“我不同意这件事”",
    "我们都读过他的书《围城》和《边城》了吧",
    "他看着我说：「你终于回来了，这些年你到底去了哪里？」",
    "你听我解释（她拉住他的手）我真的不是故意的！好不好？",
    "对不起，对不起，对不起，我错了，我真的错了，求你原谅我。",
])
def test_punctuation_never_starts_a_line_and_an_opening_mark_never_ends_one(text):
    lines = [line for a, b in split_text(text) for line in break_lines(text[a:b])]
    assert "".join(lines) == text
    assert len(lines) > 1
    for line in lines:
        assert line[0] not in NO_LINE_START
        assert line[-1] not in "「『（《“"


@settings(deadline=None)  # the first example loads jieba's dictionary
@given(st.text(alphabet="你好世界城市联赛五百元沈清顾承泽，。！？、；：」』）》「『（《", min_size=1, max_size=80)
       .filter(lambda text: text[0] not in NO_LINE_START))
def test_kinsoku_holds_for_any_text(text):
    lines = [line for a, b in split_text(text) for line in break_lines(text[a:b])]
    assert "".join(lines) == text
    assert all(line[0] not in NO_LINE_START for line in lines)
    assert all(line[-1] not in "「『（《" for line in lines[:-1])


# --- dual dialogue --------------------------------------------------------------------------------------

@pytest.fixture
def dual(tmp_path):
    shots = [("s1", "dialogue", "cut", 1.5, "你好。", 440.0, 0.6),
             ("s2", "dialogue", "cut", 1.5, "我不走。", 660.0, 0.8),
             ("s3", "dialogue", "cut", 1.5, "再见。", 550.0, 0.6)]
    inputs = make_inputs(tmp_path / "project", shots, draws=1)
    board = inputs.storyboard
    board.shots[1] = board.shots[1].model_copy(update={"dual": DualLine(speaker="周屿", text="你必须走！")})
    second = VoiceLine(shot_id="s2^", speaker="周屿", text="你必须走！", audio=write_tone(tmp_path / "dual.wav", 990.0, 1.8),
                       duration=1.8, backend="offline", voice="test")
    lines = [*inputs.lines, second]
    return inputs, build_timeline(inputs.project, board, lines, inputs.picks)


def test_dual_lines_start_together_and_the_shot_holds_the_longer(dual):
    _, timeline = dual
    s2 = timeline.segments[1]
    together = [clip for clip in timeline.dialogue if clip.shot_id in ("s2", "s2^")]
    assert [clip.start * timeline.fps for clip in together] == [s2.start, s2.start]
    assert s2.frames >= 1.8 * timeline.fps  # the longer line is heard whole before the cut
    assert timeline.segments[2].start == s2.end


def test_dual_lines_are_heard_at_once(dual, tmp_path):
    _, timeline = dual
    stem = tmp_path / "stem.f32"
    write_dialogue_stem(timeline.dialogue, timeline.duration, stem)
    start = round(timeline.segments[1].start / timeline.fps * RATE)
    window = np.fromfile(stem, "<f4")[start + 2400:start + 2400 + 9600]  # 50–250 ms into the shot
    spectrum = np.abs(np.fft.rfft(window))
    frequencies = np.fft.rfftfreq(len(window), 1 / RATE)
    peaks = {round(frequencies[i]) for i in np.argsort(spectrum)[-2:]}
    assert peaks == {660, 990}  # the shot's line and the dual line, both sounding


def test_dual_lines_share_one_cue(dual, tmp_path):
    _, timeline = dual
    s2_start = timeline.segments[1].start / timeline.fps
    cues = [cue for cue in timeline.cues if cue.shot_id == "s2"]
    assert cues[0].start == pytest.approx(s2_start, abs=1e-3)
    assert cues[0].lines == ["A：我不走。", "周屿：你必须走！"]
    assert all(cue.lines[-1] == "周屿：你必须走！" for cue in cues)  # the longer line stays up after the other ends
    write_srt(timeline.cues, tmp_path / "ep.srt")
    assert "A：我不走。\n周屿：你必须走！\n" in (tmp_path / "ep.srt").read_text(encoding="utf-8")
    assert all(a.end <= b.start + 1e-9 for a, b in zip(timeline.cues, timeline.cues[1:], strict=False))


def test_the_otio_puts_overlapping_lines_on_two_voice_tracks(dual):
    _, timeline = dual
    result = build_otio(timeline)
    voices = [track for track in result.tracks if track.name.startswith("Voice")]
    assert [track.name for track in voices] == ["Voice", "Voice 2"]
    starts = {clip.metadata["drama"]["shot_id"]: round(track.range_of_child(clip).start_time.to_frames())
              for track in voices for clip in track.find_clips()}
    assert starts["s2"] == starts["s2^"] == timeline.segments[1].start


def test_spans_of_a_dual_line_are_its_own():
    shot = Shot(id="s1", index=0, kind="dialogue", scene="1", size="MS", duration=3.0, speaker="ADA", text="Stay.",
                dual=DualLine(speaker="TOMAS", text="Go now.", spans=[Span(text="Go", styles=("italic",)),
                                                                      Span(text=" now.")]))
    cues = cues_for(_board(shot), [_line("s1", "Stay.", 1.0), _line("s1^", "Go now.", 1.2, speaker="TOMAS")],
                    {"s1": 0.0})
    assert cues[0].lines == ["ADA: Stay.", "TOMAS: Go now."]
    assert [(run.text, run.styles) for run in cues[0].spans[1]] == [("TOMAS: ", ()), ("Go", ("italic",)), (" now.", ())]
    alone = cues_for(_board(shot), [_line("s1^", "Go now.", 1.2, speaker="TOMAS")], {"s1": 0.0})  # own line wordless
    assert [(run.text, run.styles) for run in alone[0].spans[0]] == [("Go", ("italic",)), (" now.", ())]
