"""Incremental export: a change re-encodes only the segments of the picture it touches, and the episode comes out
as a full export of the same state would make it (frames, length, loudness, sync); a Ctrl-C keeps what was there."""

from __future__ import annotations

import shutil

import av
import numpy as np
import pytest

from conftest import copy_demo
from drama.cli import main
from drama.edit import segments as segments_module
from drama.edit.assemble import video_frames
from drama.edit.export import export_episode, export_paths, read_stamp, up_to_date
from drama.edit.loudness import measure_file
from drama.edit.segments import SegmentCache, plan_segments
from drama.edit.timeline import build_timeline
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore
from tests.edit_inputs import decode_audio, make_inputs, onsets

# a dissolve into a title card over the blur of the shot before (b's subtitle is still up as it starts), a
# dissolve out of it, a dip, a card that dissolves in, a fade from black, cuts
SHOTS = [
    ("a", "dialogue", "cut", 2.0, "你好，世界。", 440.0, 1.0),
    ("b", "dialogue", "dissolve", 2.0, "我回来了。", 660.0, 1.2),
    ("c", "title_card", "dissolve", 1.5, "三年后", None, None),
    ("d", "dialogue", "dissolve", 2.0, "再见。", 880.0, 0.8),
    ("e", "action", "dip", 1.5, None, None, None),
    ("f", "title_card", "dissolve", 1.2, "那天夜里", None, None),
    ("g", "dialogue", "fade_in", 1.5, "走吧。", 550.0, 0.7),
]


def _timeline(inputs, picks=None, storyboard=None):
    return build_timeline(inputs.project, storyboard or inputs.storyboard, inputs.lines, picks or inputs.picks,
                          inputs.alternates)


def _frames(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_each_segment_alone_has_the_frames_of_the_whole_cut(tmp_path):
    """Every segment computed on its own (from the shots it depends on) is exactly that stretch of the whole cut."""
    inputs = make_inputs(tmp_path / "project", SHOTS, draws=1)
    timeline = _timeline(inputs)
    assert {s.transition_in.kind for s in timeline.segments} == {"cut", "dissolve", "fade"}
    assert [s.background for s in timeline.segments if s.kind == "title_card"] == ["blur", "blur"]
    whole = list(video_frames(timeline))
    assert len(whole) == timeline.frames
    planned = plan_segments(timeline)
    assert [s.first for s in planned] == [s.start for s in timeline.segments]
    assert sum(s.frames for s in planned) == timeline.frames
    for segment in planned:
        alone = list(video_frames(timeline, segment.index, segment.index + 1))
        assert len(alone) == segment.frames
        assert all(np.array_equal(a, b) for a, b in zip(alone, whole[segment.first:], strict=False)), segment.shot_id


def _compare(incremental, full, timeline):
    """The incremental export against a full one of the same state: every frame, the sound, length, loudness, sync."""
    assert incremental.duration == full.duration == pytest.approx(timeline.frames / timeline.fps)
    ours, theirs = _frames(incremental.mp4), _frames(full.mp4)
    assert len(ours) == len(theirs) == timeline.frames
    for segment in plan_segments(timeline):  # the frames either side of every boundary, then all of them
        for index in (segment.first, segment.first + segment.frames - 1):
            assert np.array_equal(ours[index], theirs[index]), (segment.shot_id, index)
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    sound, reference = decode_audio(incremental.mp4), decode_audio(full.mp4)
    assert len(sound) == len(reference)
    assert abs(len(sound) / 48_000 - len(ours) / timeline.fps) <= 1 / timeline.fps  # sync: same length within a frame
    assert abs(measure_file(incremental.mp4).integrated - measure_file(full.mp4).integrated) <= 0.1
    assert abs(incremental.loudness.integrated - full.loudness.integrated) <= 0.1
    heard = onsets(sound)
    planned = [clip.start for clip in timeline.dialogue]
    assert len(heard) == len(planned) and all(abs(h - p) < 1 / timeline.fps for h, p in zip(heard, planned, strict=True))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    inputs = make_inputs(tmp_path_factory.mktemp("incremental") / "project", SHOTS, draws=2)
    first = export_episode(inputs.project, _timeline(inputs))
    return inputs, first


def test_the_first_export_encodes_every_segment(project):
    inputs, first = project
    assert first.encoded == [shot[0] for shot in SHOTS] and first.segments == len(SHOTS)


def test_a_changed_pick_re_encodes_its_segment_and_the_dissolve_out_of_it(project):
    inputs, _ = project
    before = _frames(export_episode(inputs.project, _timeline(inputs)).mp4)
    picks = {**inputs.picks, "a": inputs.alternates["a"][1]}
    timeline = _timeline(inputs, picks)
    again = export_episode(inputs.project, timeline)
    assert again.encoded == ["a", "b"]  # b dissolves in from a: its first frames hold a's last ones
    after = _frames(again.mp4)
    untouched = [s for s in plan_segments(timeline) if s.shot_id not in again.encoded]
    assert all(np.array_equal(after[i], before[i]) for s in untouched for i in range(s.first, s.first + s.frames))
    assert not np.array_equal(after[0], before[0])
    kept = export_paths(inputs.project, "ep01")["mp4"].with_name("incremental.mp4")
    kept.write_bytes(again.mp4.read_bytes())
    full = export_episode(inputs.project, timeline, force=True, incremental=False)
    assert full.encoded == [shot[0] for shot in SHOTS]
    _compare(again.model_copy(update={"mp4": kept}), full, timeline)
    kept.unlink()
    cue = next(cue for cue in timeline.cues if cue.shot_id == "b")
    card = next(segment for segment in plan_segments(timeline) if segment.shot_id == "c")
    assert card.first / timeline.fps < cue.end < (card.first + card.frames) / timeline.fps  # it spans the boundary
    subtitled = lambda frame: int((frame[int(frame.shape[0] * 0.7):].min(axis=2) > 200).sum()) > 8  # noqa: E731
    assert subtitled(after[card.first - 1]) and subtitled(after[card.first])  # burned in both segments
    assert not subtitled(after[round(cue.end * timeline.fps) + 1])


def test_a_retimed_shot_keeps_the_segments_it_moves(project):
    """A shot made longer moves every later shot: those are reused. Encoded: the shot, the card over a blur of its
    last frame (which dissolves in from it), and the shot dissolving in from that card."""
    inputs, _ = project
    shots = [shot.model_copy(update={"duration": 2.6}) if shot.id == "b" else shot for shot in inputs.storyboard.shots]
    storyboard = inputs.storyboard.model_copy(update={"shots": shots})
    export_episode(inputs.project, _timeline(inputs))
    timeline = _timeline(inputs, storyboard=storyboard)
    assert timeline.segments[4].start > _timeline(inputs).segments[4].start
    again = export_episode(inputs.project, timeline)
    assert again.encoded == ["b", "c", "d"]
    kept = export_paths(inputs.project, "ep01")["mp4"].with_name("incremental.mp4")
    kept.write_bytes(again.mp4.read_bytes())
    full = export_episode(inputs.project, timeline, force=True, incremental=False)
    _compare(again.model_copy(update={"mp4": kept}), full, timeline)
    kept.unlink()


def test_ctrl_c_mid_export_keeps_the_last_export_and_every_finished_segment(tmp_path, monkeypatch):
    inputs = make_inputs(tmp_path / "project", SHOTS, draws=2)
    first_timeline = _timeline(inputs)
    first = export_episode(inputs.project, first_timeline)
    published = {kind: path.read_bytes() for kind, path in export_paths(inputs.project, "ep01").items()}
    picks = {**inputs.picks, "a": inputs.alternates["a"][1], "e": inputs.alternates["e"][1]}
    timeline = _timeline(inputs, picks)
    encode, calls = segments_module.encode_picture, []

    def interrupted_on_the_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        encode(*args, **kwargs)

    monkeypatch.setattr(segments_module, "encode_picture", interrupted_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        export_episode(inputs.project, timeline)
    monkeypatch.undo()
    assert {kind: path.read_bytes() for kind, path in export_paths(inputs.project, "ep01").items()} == published
    assert up_to_date(inputs.project, first_timeline) is not None
    cache = SegmentCache(inputs.project, "ep01")
    assert all(cache.holds(segment) for segment in plan_segments(first_timeline))
    stored = [path.name for path in cache.folder.iterdir()]
    assert all(name.endswith(".mp4") for name in stored)  # no partial file
    new = {segment.key: segment.shot_id for segment in plan_segments(timeline)}
    for segment in plan_segments(first_timeline):
        new.pop(segment.key, None)
    assert [new[name[:-4]] for name in stored if name[:-4] in new] == ["a"]  # finished before the Ctrl-C
    resumed = export_episode(inputs.project, timeline)
    assert first.encoded == [shot[0] for shot in SHOTS]
    assert resumed.encoded == ["b", "e", "f"]  # b dissolves in from a, f from e (over a blur of its last frame)


def test_a_damaged_segment_in_the_cache_is_encoded_again(tmp_path):
    inputs = make_inputs(tmp_path / "project", SHOTS[:3], draws=1)
    timeline = _timeline(inputs)
    export_episode(inputs.project, timeline)
    cache = SegmentCache(inputs.project, "ep01")
    damaged = cache.path(plan_segments(timeline)[1])
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    again = export_episode(inputs.project, timeline, force=True)
    assert again.encoded == ["b"]
    assert len(_frames(again.mp4)) == timeline.frames


def test_segments_no_export_uses_are_swept_after_the_next_two(tmp_path):
    """The cache keeps the segments of the last export and the one before (picking back and forth is cheap)."""
    inputs = make_inputs(tmp_path / "project", SHOTS[:2], draws=2)
    cache = SegmentCache(inputs.project, "ep01")
    cuts = [_timeline(inputs, {**inputs.picks, "a": inputs.alternates["a"][draw]}) for draw in (0, 1)]
    export_episode(inputs.project, cuts[0])
    export_episode(inputs.project, cuts[1])
    keys = lambda timeline: {segment.key for segment in plan_segments(timeline)}  # noqa: E731
    assert {path.stem for path in cache.folder.iterdir()} == keys(cuts[0]) | keys(cuts[1])
    assert export_episode(inputs.project, cuts[0]).encoded == []  # back to the first pick: nothing to encode
    longer = inputs.storyboard.model_copy(update={"shots": [shot.model_copy(update={"duration": 2.4})
                                                            if shot.id == "b" else shot
                                                            for shot in inputs.storyboard.shots]})
    third = _timeline(inputs, storyboard=longer)
    export_episode(inputs.project, third)
    assert {path.stem for path in cache.folder.iterdir()} == keys(cuts[0]) | keys(third)


def test_drama_export_after_drama_pick_encodes_only_that_shot(tmp_path):
    """Through the CLI on a tiny demo: `drama pick` another draw of a shot followed by a plain cut, `drama export`;
    only that shot's segment is encoded, and the MP4 is the one a full export of the same state makes."""
    root = copy_demo(tmp_path / "demo", draws=1)
    assert main(["make", str(root), "--draws", "1"]) == 0
    project = Project.load(root)
    shots = prepare_episode(project, "ep01").storyboard.shots
    shot = next(shot.id for shot, after in zip(shots, shots[1:], strict=False)
                if shot.kind != "title_card" and after.transition_in == "cut" and after.kind != "title_card")
    with StateStore(project) as store:
        exported = store.pick_for(shot).id
    assert main(["render", str(root), "--shots", shot, "--draws", "2"]) == 0
    with StateStore(project) as store:
        other = next(candidate.id for candidate in store.candidates(shot) if candidate.id != exported)
    assert main(["pick", str(root), shot, other]) == 0
    assert main(["export", str(root)]) == 0
    result = read_stamp(project, "ep01").result
    assert result.encoded == [shot] and result.segments == len(shots)
    incremental = root / "incremental.mp4"
    incremental.write_bytes(result.mp4.read_bytes())
    shutil.rmtree(project.cache_dir / "segments")
    assert main(["export", str(root), "--force"]) == 0
    full = read_stamp(project, "ep01").result
    assert len(full.encoded) == len(shots)
    assert all(np.array_equal(a, b) for a, b in zip(_frames(incremental), _frames(full.mp4), strict=True))
    assert np.array_equal(decode_audio(incremental), decode_audio(full.mp4))
