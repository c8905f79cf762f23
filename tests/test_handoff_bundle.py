"""The otioz / otiod bundle travels alone: with the project folder gone and the bundle moved elsewhere, OTIO opens
it and every media reference — each take, voice line, the music and the title-card still — names a file in it."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import av
import opentimelineio as otio
import pytest

from drama.edit.handoff import export_handoff
from drama.edit.timeline import build_timeline
from tests.edit_inputs import make_inputs
from tests.test_export_episode import MUSIC


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """Both bundles written, the project deleted, the bundles moved to another folder."""
    root = tmp_path_factory.mktemp("bundle")
    inputs = make_inputs(root / "project", music=MUSIC)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    zipped = export_handoff(inputs.project, timeline, "otioz", to=root / "out")
    folder = export_handoff(inputs.project, timeline, "otiod", to=root / "out", alternates=True)
    shutil.rmtree(root / "project")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    shutil.move(zipped.path, elsewhere / zipped.path.name)
    shutil.move(folder.path, elsewhere / folder.path.name)
    return inputs, timeline, elsewhere, zipped, folder


def _references(result: otio.schema.Timeline) -> list[otio.schema.ExternalReference]:
    return [reference for clip in result.find_clips() for reference in clip.media_references().values()
            if isinstance(reference, otio.schema.ExternalReference)]


def _resolve(base: Path, reference: otio.schema.ExternalReference) -> Path:
    assert not reference.target_url.startswith(("file:", "/")), reference.target_url
    return base / otio.url_utils.filepath_from_url(reference.target_url)


def test_the_otioz_opens_elsewhere_and_every_reference_resolves(moved, tmp_path):
    inputs, timeline, elsewhere, zipped, _ = moved
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    result = otio.adapters.read_from_file(str(elsewhere / "ep01.otioz"), extract_to_directory=str(unpacked))
    references = _references(result)
    kinds = {Path(otio.url_utils.filepath_from_url(r.target_url)).parts[:2] for r in references}
    assert kinds == {("media", "video"), ("media", "voice"), ("media", "music"), ("media", "cards")}
    for reference in references:
        assert _resolve(unpacked, reference).is_file(), reference.target_url
    video = result.video_tracks()[0]
    takes = [clip.media_references() for clip in video.find_clips() if clip.metadata["drama"]["kind"] == "clip"]
    assert [len(refs) for refs in takes] == [1] * len(inputs.picks)  # the picks only, without --alternates
    with zipfile.ZipFile(elsewhere / "ep01.otioz") as archive:
        assert archive.read("version.txt") and "content.otio" in archive.namelist()
        stored = {info.compress_type for info in archive.infolist() if info.filename.startswith("media/")}
    assert stored == {zipfile.ZIP_STORED}
    assert zipped.media_bytes > 0


def test_the_folder_bundle_carries_every_alternate_and_they_play(moved):
    inputs, timeline, elsewhere, _, folder = moved
    bundle = elsewhere / "ep01.otiod"
    result = otio.adapters.read_from_file(str(bundle / "content.otio"))
    clips = [clip for clip in result.video_tracks()[0].find_clips() if clip.metadata["drama"]["kind"] == "clip"]
    for clip in clips:
        references = clip.media_references()
        assert sorted(references) == sorted(take.id for take in inputs.alternates[clip.name])
        assert clip.active_media_reference_key == inputs.picks[clip.name].id
        for reference in references.values():
            with av.open(str(_resolve(bundle, reference))) as container:  # a real, whole video
                assert container.streams.video[0].frames > 0
    voices = [clip for track in result.audio_tracks() for clip in track.find_clips() if track.name.startswith("Voice")]
    assert [clip.name for clip in voices] == [line.text for line in inputs.lines]
    for clip in voices:
        assert _resolve(bundle, clip.media_reference).read_bytes()[:4] == b"RIFF"
    assert folder.media_bytes == sum(p.stat().st_size for p in (bundle / "media").rglob("*") if p.is_file())


def test_a_second_bundle_replaces_the_first_whole(tmp_path):
    inputs = make_inputs(tmp_path / "project", draws=2)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    first = export_handoff(inputs.project, timeline, "otiod", to=tmp_path / "out", alternates=True)
    before = sorted(p.relative_to(first.path) for p in first.path.rglob("*"))
    second = export_handoff(inputs.project, timeline, "otiod", to=tmp_path / "out")  # picks only now
    after = sorted(p.relative_to(second.path) for p in second.path.rglob("*"))
    assert second.path == first.path and len(after) < len(before)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ep01.otiod"]  # nothing staged left behind


def test_a_missing_alternate_is_named_and_nothing_is_left_half_written(tmp_path):
    from drama.errors import ExportError

    inputs = make_inputs(tmp_path / "project", draws=2)
    timeline = build_timeline(inputs.project, inputs.storyboard, inputs.lines, inputs.picks, inputs.alternates)
    gone = inputs.alternates["s4"][1].video
    gone.unlink()
    for fmt in ("otioz", "otiod"):
        with pytest.raises(ExportError, match="missing") as error:
            export_handoff(inputs.project, timeline, fmt, to=tmp_path / "out", alternates=True)
        assert error.value.path == gone
    assert list((tmp_path / "out").iterdir()) == []
