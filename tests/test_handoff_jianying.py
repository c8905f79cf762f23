"""The 剪映 draft, read back (with pyJianYingDraft, and as the JSON 剪映 reads), holds the cut: the picks end to end
at the timeline's frames, dissolves and dips as 叠化 / 闪黑, every line at its shot's first frame, the subtitles and
the title card as text, the music ducked under speech by volume keyframes. The CapCut draft is the same cut."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PIL import Image

from drama.edit.handoff import export_handoff
from drama.edit.timeline import build_timeline
from drama.edit.titles import DARKEN
from drama.errors import ExportError
from tests.edit_inputs import COLOURS, make_inputs
from tests.test_export_episode import MUSIC

pytest.importorskip("pyJianYingDraft", reason="pip install -e '.[editors]' (or '.[dev]') brings pyJianYingDraft")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    root = tmp_path_factory.mktemp("jianying")
    inputs = make_inputs(root / "project", music=MUSIC)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    result = export_handoff(inputs.project, timeline, "jianying", to=root / "drafts")
    content = json.loads((result.path / "draft_content.json").read_text(encoding="utf-8"))
    return inputs, timeline, result, content


def us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _track(content, name):
    return next(track for track in content["tracks"] if track["name"] == name)


def _by_id(content, kind):
    return {material["id"]: material for material in content["materials"][kind]}


def test_the_library_reads_the_draft_back(drafted):
    import pyJianYingDraft

    _, _, result, content = drafted
    script = pyJianYingDraft.DraftFolder(str(result.path.parent)).load_template(result.path.name)
    assert [track.name for track in script.imported_tracks] == ["video", "titles", "subtitles", "voice", "music"]
    assert (script.width, script.height, script.fps) == (144, 256, 30)
    assert (result.path / "draft_meta_info.json").is_file() and result.path.name == "test ep01"


def test_the_picks_lie_end_to_end_at_the_timelines_frames(drafted):
    inputs, timeline, _, content = drafted
    fps, segments = timeline.fps, timeline.segments
    placed = _track(content, "video")["segments"]
    assert len(placed) == len(segments)
    ranges = [(s["target_timerange"]["start"], s["target_timerange"]["start"] + s["target_timerange"]["duration"])
              for s in placed]
    assert ranges[0][0] == 0 and ranges[-1][1] == us(timeline.frames / fps)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # end to end
    for i, (segment, (start, end)) in enumerate(zip(segments, ranges, strict=True)):
        dissolve_in = segment.transition_in.kind == "dissolve"
        dissolve_out = i + 1 < len(segments) and segments[i + 1].transition_in.kind == "dissolve"
        if not dissolve_in:
            assert start == us(segment.start / fps)
        else:  # the cut in the middle of the dissolve's overlap, to the frame
            assert abs(start - us((segment.start + segments[i - 1].end) / 2 / fps)) <= us(1 / fps)
        if not dissolve_out:
            assert end == us(segment.end / fps)
        if segment.kind == "clip":  # each picture at its timeline place: source = record - the shot's start
            assert placed[i]["source_timerange"]["start"] == pytest.approx(start - us(segment.start / fps), abs=1)
    videos = _by_id(content, "videos")
    for segment, clip in zip(segments, placed, strict=True):
        material = videos[clip["material_id"]]
        assert material["path"].startswith(str(_draft(drafted) / "media"))
        if segment.kind == "clip":
            copied = _draft(drafted) / "media" / "video" / material["path"].rsplit("/", 1)[1]
            assert copied.read_bytes() == inputs.picks[segment.shot_id].video.read_bytes()
        else:  # the card's background: the previous shot's last frame (green s2) blurred and darkened, no text
            assert material["type"] == "photo"
            background = np.asarray(Image.open(material["path"]).convert("RGB"), dtype=float).mean(axis=(0, 1))
            previous = np.array(COLOURS[1], dtype=float) * DARKEN
            assert np.abs(background - previous).max() < 12


def _draft(drafted):
    return drafted[2].path


def test_transitions_map_to_jianyings_own(drafted):
    _, timeline, _, content = drafted
    fps, segments = timeline.fps, timeline.segments
    transitions = _by_id(content, "transitions")
    placed = _track(content, "video")["segments"]
    found = {}
    for i, clip in enumerate(placed):
        for ref in clip["extra_material_refs"]:
            if ref in transitions:
                found[segments[i + 1].shot_id] = (transitions[ref]["name"], transitions[ref]["duration"])
    s2, s4 = segments[1], segments[3]  # s2 dissolves in; s4 comes after a fade to black
    assert found == {"s2": ("叠化", us(s2.transition_in.frames / fps)),
                     "s4": ("闪黑", us((segments[2].fade_out + s4.transition_in.frames) / fps))}
    animations = [a for m in content["materials"]["material_animations"] for a in m["animations"]]
    assert [(a["name"], a["duration"]) for a in animations] == [("渐隐", us(segments[-1].fade_out / fps))]


def _texts(content, name):
    texts = _by_id(content, "texts")
    return [(json.loads(texts[s["material_id"]]["content"])["text"], s["target_timerange"]["start"],
             s["target_timerange"]["duration"]) for s in _track(content, name)["segments"]]


def test_subtitles_and_the_title_card_are_text(drafted):
    _, timeline, _, content = drafted
    assert [(text, start) for text, start, _ in _texts(content, "subtitles")] == \
        [(cue.text, us(cue.start)) for cue in timeline.cues]
    for (_, start, duration), cue in zip(_texts(content, "subtitles"), timeline.cues, strict=True):
        assert abs(start + duration - min(us(cue.end), us(timeline.duration))) <= 1
    card = next(s for s in timeline.segments if s.kind == "title_card")
    assert _texts(content, "titles") == [("三年后", us(card.start / timeline.fps), us(card.frames / timeline.fps))]
    style = json.loads(_by_id(content, "texts")[_track(content, "subtitles")["segments"][0]["material_id"]]["content"])
    assert style["styles"][0]["bold"] and style["styles"][0]["strokes"]  # white bold with an outline, as burned


def test_every_line_starts_on_its_shot_and_the_music_ducks_under_it(drafted):
    _, timeline, _, content = drafted
    audios = _by_id(content, "audios")
    voice = _track(content, "voice")["segments"]
    assert [s["target_timerange"]["start"] for s in voice] == [us(clip.start) for clip in timeline.dialogue]
    assert all(audios[s["material_id"]]["path"].startswith(str(_draft(drafted) / "media" / "voice")) for s in voice)
    music = _track(content, "music")["segments"]
    assert music[-1]["target_timerange"]["start"] + music[-1]["target_timerange"]["duration"] == \
        us(timeline.frames / timeline.fps)
    keyframes = sorted((s["target_timerange"]["start"] + k["time_offset"], k["values"][0])
                       for s in music for track in s["common_keyframes"] for k in track["keyframe_list"])

    def gain(t: int) -> float:  # what 剪映 plays: linear between keyframes
        for (t0, g0), (t1, g1) in zip(keyframes, keyframes[1:], strict=False):
            if t0 <= t <= t1 and t1 > t0:
                return g0 + (g1 - g0) * (t - t0) / (t1 - t0)
        raise AssertionError(t)

    bed = timeline.music
    level, ducked = 10 ** (bed.gain_db / 20), 10 ** ((bed.gain_db + bed.duck_db) / 20)
    for clip in timeline.dialogue:
        assert gain(us(clip.start + clip.duration / 2)) == pytest.approx(ducked)
    last = max(clip.end for clip in timeline.dialogue)
    assert gain(us((last + 1.0 + timeline.duration) / 2)) == pytest.approx(level)  # well after the last line


def test_capcut_gets_the_same_cut(drafted, tmp_path):
    pytest.importorskip("pycapcut")
    inputs, timeline, jianying, content = drafted
    result = export_handoff(inputs.project, timeline, "capcut", to=tmp_path)
    capcut = json.loads((result.path / "draft_content.json").read_text(encoding="utf-8"))
    for name in ("video", "voice", "subtitles", "titles", "music"):
        assert [s["target_timerange"] for s in _track(capcut, name)["segments"]] == \
            [s["target_timerange"] for s in _track(content, name)["segments"]]
    assert _texts(capcut, "subtitles") == _texts(content, "subtitles")


def test_a_missing_library_says_what_to_install(drafted, tmp_path, monkeypatch):
    inputs, timeline, _, _ = drafted
    monkeypatch.setitem(sys.modules, "pyJianYingDraft", None)  # as if not installed
    with pytest.raises(ExportError, match="needs pyJianYingDraft") as error:
        export_handoff(inputs.project, timeline, "jianying", to=tmp_path / "drafts")
    assert "pip install pyJianYingDraft" in error.value.hint
    assert list((tmp_path / "drafts").iterdir()) == []


def test_a_take_shorter_than_its_shot_is_slowed_to_fill_it_and_said(tmp_path):
    from tests.edit_inputs import write_clip

    inputs = make_inputs(tmp_path / "project", draws=1)
    short = inputs.picks["s1"].model_copy(update={"video": write_clip(tmp_path / "short.mp4", (90, 90, 90), 30, 72, 128)})
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, {**inputs.picks, "s1": short})
    result = export_handoff(inputs.project, timeline, "jianying", to=tmp_path / "drafts")
    content = json.loads((result.path / "draft_content.json").read_text(encoding="utf-8"))
    first = _track(content, "video")["segments"][0]
    s1, s2 = timeline.segments[:2]  # s2 dissolves in: s1 runs to the middle of the overlap
    assert first["target_timerange"] == {"start": 0, "duration": us((s1.end - s2.transition_in.frames // 2) / timeline.fps)}
    assert first["source_timerange"]["start"] == 0 and first["source_timerange"]["duration"] == pytest.approx(1e6, abs=2e4)
    assert first["speed"] == pytest.approx(first["source_timerange"]["duration"] / first["target_timerange"]["duration"])
    assert any(note.startswith("shot s1: its take is 1.00s for 2.00s, slowed") for note in result.notes)
