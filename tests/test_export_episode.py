"""A whole export on hand-made inputs: the MP4's streams, sync of every line, subtitles, loudness, frames, OTIO."""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from drama.edit.export import export_episode, export_paths, up_to_date
from drama.edit.otio import read_takes
from drama.edit.segments import plan_segments
from drama.edit.timeline import build_timeline
from tests.edit_inputs import decode_audio, decode_frame, make_inputs, onsets

MUSIC = Path(__file__).resolve().parents[1] / "projects" / "demo" / "music" / "tension_bed.ogg"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    inputs = make_inputs(tmp_path_factory.mktemp("export") / "project")
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    return inputs, timeline, export_episode(inputs.project, timeline)


@pytest.fixture(scope="module")
def with_music(tmp_path_factory):
    inputs = make_inputs(tmp_path_factory.mktemp("music") / "project", music=MUSIC, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    return inputs, timeline, export_episode(inputs.project, timeline)


def test_mp4_streams_are_as_configured(exported):
    _, timeline, result = exported
    with av.open(str(result.mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert (video.width, video.height) == (144, 256)  # draft clips (72×128) scaled up
        assert video.average_rate == 30
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == timeline.frames == 285
    assert audio.codec_context.name == "aac" and audio.rate == 48_000
    assert result.duration == pytest.approx(9.5)
    assert len(decode_audio(result.mp4)) / 48_000 == pytest.approx(9.5, abs=0.03)
    assert result.mp4.read_bytes()[:64].find(b"moov") != -1 or b"moov" in result.mp4.read_bytes()[:4096]  # faststart


def test_every_shot_starts_on_a_keyframe_of_its_own_segment(exported):
    """The picture is joined from segments encoded one per shot: each starts on a keyframe, on its shot's frame."""
    _, timeline, result = exported
    with av.open(str(result.mp4)) as container:
        stream = container.streams.video[0]
        packets = [packet for packet in container.demux(stream) if packet.pts is not None]
        keyframes = {round(packet.pts * stream.time_base * timeline.fps) for packet in packets if packet.is_keyframe}
        times = sorted(packet.pts * stream.time_base for packet in packets)
        assert len(times) == timeline.frames
        assert {time * Fraction(timeline.fps) for time in times} == set(range(timeline.frames))  # on the frame grid
        assert stream.duration * stream.time_base == pytest.approx(timeline.frames / timeline.fps, abs=1e-3)
    starts = {segment.start for segment in timeline.segments}
    assert {segment.first for segment in plan_segments(timeline)} == starts
    assert starts <= keyframes
    assert result.segments == len(timeline.segments) and result.encoded == [s.shot_id for s in timeline.segments]


def test_every_line_starts_within_a_frame_of_its_shot(exported):
    _, timeline, result = exported
    found = onsets(decode_audio(result.mp4))
    starts = {segment.shot_id: segment.start / timeline.fps for segment in timeline.segments}
    expected = [starts[line.shot_id] for line in timeline.dialogue]
    assert len(found) == len(expected)
    for heard, planned in zip(found, expected, strict=False):
        assert abs(heard - planned) < 1 / timeline.fps


def _srt(path: Path) -> list[tuple[float, float, str]]:
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        _, times, *text = block.splitlines()
        start, end = [sum(float(x) * m for x, m in zip(re.split("[:,]", t.strip())[:3], (3600, 60, 1), strict=False)) +
                      int(t.strip()[-3:]) / 1000 for t in times.split("-->")]
        cues.append((start, end, "\n".join(text)))
    return cues


def test_subtitles_match_the_spoken_lines(exported):
    inputs, timeline, result = exported
    cues = _srt(result.srt)
    assert [text for _, _, text in cues] == [line.text for line in inputs.lines]
    for (start, end, _), clip in zip(cues, timeline.dialogue, strict=False):
        assert abs(start - clip.start) < 1 / timeline.fps
        assert end >= clip.end - 0.01
    assert "Noto Sans CJK SC" in result.ass.read_text(encoding="utf-8")


def test_loudness_is_on_target(exported, with_music):
    for _, timeline, result in (exported, with_music):
        assert abs(result.loudness.integrated - timeline.loudness_lufs) <= 1.0
        assert result.loudness.true_peak <= timeline.true_peak_db + 0.1


def test_music_plays_under_and_between_lines(with_music):
    _, timeline, result = with_music
    samples = decode_audio(result.mp4)
    rms = lambda a, b: float(np.sqrt(np.mean(samples[int(a * 48_000):int(b * 48_000)] ** 2)))  # noqa: E731
    gap = (timeline.dialogue[1].end + 1.0, timeline.dialogue[2].start - 0.3)  # music alone, not ducked
    assert rms(*gap) > 0.01
    assert rms(timeline.duration - 0.05, timeline.duration) < rms(*gap)  # faded out at the end
    assert result.loudness.integrated == pytest.approx(-14.0, abs=1.0)


def test_frames_show_dissolve_title_card_and_subtitles(exported):
    _, timeline, result = exported
    s1, s2, s3, s4, _ = timeline.segments
    red = decode_frame(result.mp4, 20)
    middle = decode_frame(result.mp4, s2.start + s2.transition_in.frames // 2)
    centre = lambda frame: frame[100:156, 30:114].reshape(-1, 3).mean(axis=0)  # noqa: E731
    assert centre(red)[0] > 150 and centre(red)[1] < 80
    mix = centre(middle)
    assert 60 < mix[0] < 170 and 60 < mix[1] < 150  # half red, half green
    card = decode_frame(result.mp4, s3.start + s3.frames // 2)
    assert (card[100:156].max(axis=2) > 220).sum() > 30  # white title text in the middle
    assert card[:60].mean() < 80  # over a darkened background
    assert decode_frame(result.mp4, s4.start).mean() < 30  # the dip to black
    white = lambda frame: int((frame[int(256 * 0.7):].min(axis=2) > 200).sum())  # noqa: E731
    assert white(red) > 8  # burned-in white subtitle text (the clips have no white)
    assert white(decode_frame(result.mp4, timeline.segments[-1].start + 5)) == 0  # no cue on the last shot


def test_otio_round_trips_with_alternate_takes(exported):
    inputs, timeline, result = exported
    shots = read_takes(result.otio)
    assert [shot.shot_id for shot in shots] == ["s1", "s2", "s4", "s5"]
    for shot in shots:
        assert shot.active == inputs.picks[shot.shot_id].id
        assert shot.takes == [f"{shot.shot_id}-d0", f"{shot.shot_id}-d1"]
        assert shot.scores[f"{shot.shot_id}-d1"] == pytest.approx(0.6)
    read = otio.adapters.read_from_file(str(result.otio))
    video, subtitles, voice = read.tracks[0], read.tracks[1], read.tracks[2]
    assert video.duration().to_frames() == timeline.frames  # the dissolve overlaps, as in the MP4
    assert any(isinstance(item, otio.schema.Transition) for item in video)
    assert [clip.metadata["drama"]["subtitle"] for clip in subtitles.find_clips()] == [l.text for l in inputs.lines]
    assert [round(voice.range_of_child(clip).start_time.to_seconds() * 30) for clip in voice.find_clips()] == \
        [round(clip.start * 30) for clip in timeline.dialogue]
    card = [clip for clip in video.find_clips() if clip.metadata["drama"]["kind"] == "title_card"][0]
    assert card.media_reference.parameters["text"] == "三年后"


def test_second_export_is_skipped_until_an_input_changes(tmp_path):
    inputs = make_inputs(tmp_path / "project")  # exports another cut: its own project, the module's stays as made
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    result = export_episode(inputs.project, timeline)
    again = export_episode(inputs.project, timeline)
    assert again.skipped and again.mp4 == result.mp4
    assert export_paths(inputs.project, "ep01")["stamp"].is_file()
    other = build_timeline(inputs.project, inputs.storyboard, inputs.lines,
                           {**inputs.picks, "s5": inputs.alternates["s5"][1]}, inputs.alternates)
    assert not export_episode(inputs.project, other).skipped
    leftovers = list((inputs.project.cache_dir / "export").iterdir())
    assert leftovers == []  # the scratch folder is gone
    assert sorted(p.name for p in inputs.project.exports_dir.iterdir()) == \
        [".ep01.stamp.json", "ep01.ass", "ep01.mp4", "ep01.otio", "ep01.srt", "media"]
    # the timeline's voice lines are copies kept in the project, not the hidden voice cache
    voices = [clip.media_reference.target_url for clip in otio.adapters.read_from_file(str(result.otio)).find_clips()
              if "/voice/" in getattr(clip.media_reference, "target_url", "")]
    assert voices and all(url.startswith((inputs.project.exports_dir / "media" / "ep01" / "voice").as_uri())
                          for url in voices)
    assert all(Path(url.removeprefix("file://")).is_file() for url in voices)


def test_landscape_export_crops_other_aspects(tmp_path):
    shots = [("a", "action", "cut", 1.0, None, None, None), ("b", "title_card", "dissolve", 1.0, "Later", None, None)]
    inputs = make_inputs(tmp_path / "wide", shots, draws=1, width=256, height=144, clip_size=(72, 128), burn=False)
    timeline = build_timeline(inputs.project, inputs.storyboard, [], inputs.picks)
    result = export_episode(inputs.project, timeline)
    with av.open(str(result.mp4)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (256, 144)
    frame = decode_frame(result.mp4, 5)
    assert frame[:, :, 0].mean() > 150  # the portrait clip covers the whole landscape frame (centre crop)
    assert result.loudness.integrated < -60  # silence stays silence (no music, no lines)


def _published_take(project, shot_id: str) -> str:
    return next(shot.active for shot in read_takes(project.exports_dir / "ep01.otio") if shot.shot_id == shot_id)


@pytest.mark.parametrize("renamed", [1, 4], ids=["between-renames", "before-the-stamp"])
def test_a_killed_export_never_passes_for_the_previous_cut(tmp_path, monkeypatch, renamed):
    """Export take A, start exporting take B and kill it after `renamed` of the four files are in place, pick A
    again: the export must be redone, not reported unchanged over files that (partly) hold B."""
    inputs = make_inputs(tmp_path / "project", draws=2)
    project, alternates = inputs.project, inputs.alternates
    first = build_timeline(project, inputs.storyboard, inputs.lines, inputs.picks, alternates)
    export_episode(project, first)
    other = build_timeline(project, inputs.storyboard, inputs.lines, {**inputs.picks, "s5": alternates["s5"][1]},
                           alternates)
    published = {path for kind, path in export_paths(project, "ep01").items() if kind != "stamp"}
    replace, done = os.replace, []

    def killed_after_some_renames(source, target):
        replace(source, target)
        if Path(target) in published:
            done.append(target)
            if len(done) == renamed:
                raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed_after_some_renames)
    with pytest.raises(KeyboardInterrupt):
        export_episode(project, other)
    monkeypatch.undo()
    assert up_to_date(project, first) is None and up_to_date(project, other) is None
    again = export_episode(project, first)  # the creator re-picks A
    assert not again.skipped
    assert _published_take(project, "s5") == inputs.picks["s5"].id
    assert export_episode(project, first).skipped


def test_a_published_file_that_no_longer_matches_its_manifest_is_exported_again(tmp_path):
    inputs = make_inputs(tmp_path / "project", draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    result = export_episode(inputs.project, timeline)
    assert up_to_date(inputs.project, timeline) is not None
    result.srt.write_text(result.srt.read_text(encoding="utf-8").replace("你好", "您好"), encoding="utf-8")
    assert up_to_date(inputs.project, timeline) is None
    assert not export_episode(inputs.project, timeline).skipped
