"""FCP 7 XML, FCPXML, EDL and OTIO hand-offs read back through OpenTimelineIO's adapters give the same cut: the same
shots in order, each one's first and last frame on the record side and its first source frame, to the frame."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from drama.edit.handoff import export_handoff
from drama.edit.interchange import ADAPTERS
from drama.edit.timeline import build_timeline
from tests.edit_inputs import make_inputs
from tests.test_export_episode import MUSIC


@pytest.fixture(scope="module")
def handed(tmp_path_factory):
    root = tmp_path_factory.mktemp("interchange")
    inputs = make_inputs(root / "project", music=MUSIC)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    results = {fmt: export_handoff(inputs.project, timeline, fmt, to=root / "out") for fmt in ADAPTERS}
    return inputs, timeline, results


def _read(path: Path, fmt: str, fps: float) -> otio.schema.Timeline:
    options = {"rate": fps} if fmt == "edl" else {}  # an EDL does not say its rate
    return otio.adapters.read_from_file(str(path), ADAPTERS[fmt].name, **options)


def _is_dip(item) -> bool:
    return item.transition_type == otio.schema.TransitionTypes.Custom or item.name.startswith("dip")


def _cut(track: otio.schema.Track) -> list[tuple[str, int, int, int]]:
    """(name, first record frame, record end, first source frame) of each clip as seen, a dissolve's overlap included."""
    items = list(track)
    cut = []
    for i, item in enumerate(items):
        if not isinstance(item, otio.schema.Clip):
            continue
        before = items[i - 1] if i and isinstance(items[i - 1], otio.schema.Transition) and not _is_dip(items[i - 1]) else None
        after = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], otio.schema.Transition) and \
            not _is_dip(items[i + 1]) else None
        pre = before.in_offset.to_frames() if before else 0
        post = after.out_offset.to_frames() if after else 0
        record = track.range_of_child_at_index(i)
        source = item.source_range.start_time.to_frames()
        if item.media_reference.available_range is not None:
            source -= item.media_reference.available_range.start_time.to_frames()
        cut.append((item.name, record.start_time.to_frames() - pre, record.end_time_exclusive().to_frames() + post,
                    source - pre))
    return cut


def _planned(timeline, *, transitions: bool) -> list[tuple[str, int, int, int]]:
    """The cut from the timeline itself: each shot from its first frame for its length. A format without transitions
    cuts each dissolve in its middle (the incoming shot's frames before the cut are its longer half)."""
    cut = []
    for i, segment in enumerate(timeline.segments):
        name = segment.text if segment.kind == "title_card" else segment.shot_id
        start, end, source = segment.start, segment.end, 0
        if not transitions:
            overlap = segment.transition_in.frames if segment.transition_in.kind == "dissolve" else 0
            following = timeline.segments[i + 1] if i + 1 < len(timeline.segments) else None
            outgoing = following.transition_in.frames if following and following.transition_in.kind == "dissolve" else 0
            head = overlap - overlap // 2
            start, end, source = start + head, end - outgoing // 2, head
        cut.append((name, start, end, source))
    return cut


@pytest.mark.parametrize("fmt", ["fcp7", "edl", "otio"])
def test_formats_with_dissolves_give_back_the_cut_to_the_frame(handed, fmt):
    _, timeline, results = handed
    back = _read(results[fmt].path, fmt, timeline.fps)
    video = back.video_tracks()[0]
    assert _cut(video) == _planned(timeline, transitions=True)
    dissolves = [item for item in video if isinstance(item, otio.schema.Transition) and not _is_dip(item)]
    assert [d.in_offset.to_frames() + d.out_offset.to_frames() for d in dissolves] == \
        [s.transition_in.frames for s in timeline.segments if s.transition_in.kind == "dissolve"]


def test_fcpxml_gives_back_the_cut_with_dissolves_as_cuts(handed):
    _, timeline, results = handed
    back = _read(results["fcpxml"].path, "fcpxml", timeline.fps)
    assert _cut(back.video_tracks()[0]) == _planned(timeline, transitions=False)
    assert any("became cuts" in note for note in results["fcpxml"].notes)


@pytest.mark.parametrize("fmt", ["fcp7", "fcpxml", "edl"])
def test_each_clip_is_the_picked_take_and_alternates_are_noted(handed, fmt):
    inputs, timeline, results = handed
    back = _read(results[fmt].path, fmt, timeline.fps)
    clips = {clip.name: clip for clip in back.video_tracks()[0].find_clips()}
    for shot_id, pick in inputs.picks.items():
        reference = clips[shot_id].media_reference
        url = reference.target_url if isinstance(reference, otio.schema.ExternalReference) else \
            clips[shot_id].metadata["cmx_3600"]["reel"]  # an EDL keeps the file in a comment the reader may drop
        assert fmt == "edl" or otio.url_utils.filepath_from_url(url) == str(pick.video)
    dropped = sum(len(takes) - 1 for takes in inputs.alternates.values())
    assert any(note.startswith(f"{dropped} alternate take(s) dropped") for note in results[fmt].notes)
    assert results[fmt].extra == [results[fmt].path.parent / "ep01.srt"]
    assert results[fmt].extra[0].read_text(encoding="utf-8").count("-->") == len(timeline.cues)


@pytest.mark.parametrize("fmt", ["fcp7", "fcpxml"])
def test_voice_lines_start_on_their_shots_and_live_in_the_project(handed, fmt):
    inputs, timeline, results = handed
    back = _read(results[fmt].path, fmt, timeline.fps)
    audio = [track for track in back.audio_tracks() if any(c.name in {"你好，世界。"} for c in track.find_clips())]
    assert len(audio) == 1
    starts = [(clip.name, clip.range_in_parent().start_time.to_frames()) for clip in audio[0].find_clips()]
    assert starts == [(line.text, round(line.start * timeline.fps)) for line in timeline.dialogue]
    for clip in audio[0].find_clips():
        path = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))
        assert path.is_file() and inputs.project.exports_dir / "media" / "ep01" / "voice" in path.parents


def test_the_otio_keeps_every_take_and_the_title_card_still(handed):
    inputs, timeline, results = handed
    back = _read(results["otio"].path, "otio", timeline.fps)
    video = back.video_tracks()[0]
    for clip in video.find_clips():
        references = clip.media_references()
        if clip.metadata["drama"]["kind"] == "clip":
            assert sorted(references) == sorted(take.id for take in inputs.alternates[clip.name])
        else:
            assert clip.media_reference.metadata["drama"]["title_card"] == "三年后"
            assert Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url)).suffix == ".png"
    assert [track.name for track in back.tracks] == ["Video", "Subtitles", "Voice", "Music"]
    assert results["otio"].notes == []


def test_an_edl_says_what_it_leaves_out(handed):
    _, _, results = handed
    notes = " ".join(results["edl"].notes)
    assert "Voice" in notes and "Music" in notes and "1 dip(s) to a colour became cuts" in notes


def test_a_frame_rate_without_timecode_is_refused_with_what_to_do(tmp_path):
    from drama.errors import ExportError

    inputs = make_inputs(tmp_path / "project", fps=12, draws=1)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks)
    for fmt in ("fcp7", "fcpxml", "edl"):
        with pytest.raises(ExportError, match="no 12 fps") as error:
            export_handoff(inputs.project, timeline, fmt, to=tmp_path / "out")
        assert "[video] fps" in error.value.hint
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
    assert export_handoff(inputs.project, timeline, "otio", to=tmp_path / "out").path.is_file()


def test_alternates_asked_of_a_format_that_holds_picks_is_noted(handed, tmp_path):
    inputs, timeline, _ = handed
    result = export_handoff(inputs.project, timeline, "fcpxml", to=tmp_path, alternates=True)
    assert result.notes[-1] == "--alternates changes only otioz and otiod: fcpxml holds the picks"
