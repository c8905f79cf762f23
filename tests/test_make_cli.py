"""`drama make` and `drama export` on a tiny copy of the demo: the real pipeline end to end."""

from __future__ import annotations

import re
import shutil

import av
import numpy as np
import pytest

from drama.cli import main
from drama.edit.otio import read_takes
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore
from conftest import copy_demo
from tests.edit_inputs import decode_audio

RATE = 48_000


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = copy_demo(tmp_path_factory.mktemp("make") / "demo", draws=2)
    code = main(["make", str(root), "--draws", "2"])
    return root, code


def _srt_texts(path):
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return ["".join(block.splitlines()[2:]) for block in blocks]


def test_make_exports_every_file(made, capsys):
    root, code = made
    assert code == 0
    exports = root / "exports"
    assert sorted(p.name for p in exports.iterdir()) == [".ep01.stamp.json", "ep01.ass", "ep01.mp4", "ep01.otio", "ep01.srt",
                                                         "media"]  # the voice lines the .otio reads
    project = Project.load(root)
    with av.open(str(exports / "ep01.mp4")) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, video.average_rate) == (144, 256, 12)
        assert video.codec_context.name == "h264"
        duration = container.duration / av.time_base
    storyboard = prepare_episode(project, "ep01").storyboard
    assert abs(duration - storyboard.duration) < 2.0  # shorter by the dissolves' overlaps only


def test_real_lines_start_within_a_frame_of_their_shots(made):
    """Each voice WAV is found in the export by cross-correlation; its lag from the shot's start is under a frame."""
    root, _ = made
    project = Project.load(root)
    prepared = prepare_episode(project, "ep01")
    from drama.edit.export import current_takes
    from drama.edit.timeline import build_timeline

    timeline = build_timeline(project, prepared.storyboard, prepared.lines, *current_takes(project, prepared.storyboard))
    mix = decode_audio(root / "exports" / "ep01.mp4")
    from drama.edit.assemble import read_audio

    assert timeline.dialogue
    for clip in timeline.dialogue:
        voice = read_audio(clip.audio)[: RATE // 2]
        lo = max(0, round((clip.start - 0.3) * RATE))
        window = mix[lo: lo + round(0.6 * RATE) + len(voice)]
        score = np.correlate(window, voice, mode="valid")
        heard = (lo + int(np.argmax(score))) / RATE
        assert abs(heard - clip.start) < 1 / timeline.fps, clip.text


def test_subtitles_are_the_spoken_lines(made):
    root, _ = made
    prepared = prepare_episode(Project.load(root), "ep01")
    spoken = "".join(line.text for line in prepared.lines)
    shown = "".join(_srt_texts(root / "exports" / "ep01.srt"))
    assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", spoken)


def test_second_make_does_almost_nothing(made, capsys):
    root, _ = made
    mp4 = root / "exports" / "ep01.mp4"
    before = mp4.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["make", str(root), "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "0 rendered" in out and "unchanged" in out
    assert mp4.stat().st_mtime_ns == before
    for stage in ("plan", "voice", "render", "export", "total"):
        assert re.search(rf"{stage}\s+│\s+[\d.]+", out), stage


def test_export_follows_a_new_pick(made, tmp_path, capsys):
    root = shutil.copytree(made[0], tmp_path / "demo")  # a pick and an export of its own: the module's stay as made
    project = Project.load(root)
    with StateStore(project) as store:
        shot_id = store.shot_ids()[0]
        other = [c for c in store.candidates(shot_id) if c.id != store.pick_for(shot_id).id][0]
        store.pick(shot_id, other.id)
    assert main(["export", str(root)]) == 0
    assert "unchanged" not in capsys.readouterr().out
    takes = {shot.shot_id: shot for shot in read_takes(root / "exports" / "ep01.otio")}
    assert takes[shot_id].active == other.id and len(takes[shot_id].takes) == 2


def test_export_without_renders_names_the_shot(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    assert main(["export", str(root)]) == 2
    err = capsys.readouterr().err
    assert "has no rendered take" in err and "drama render" in err and "ep01" in err


def test_unknown_episode(made, capsys):
    root, _ = made
    assert main(["make", str(root), "ep99"]) == 2
    assert "ep99" in capsys.readouterr().err


def _seconds(video) -> float:
    with av.open(str(video)) as container:
        return container.duration / av.time_base


def test_a_blank_or_far_shorter_screenplay_keeps_the_finished_export(made, tmp_path, capsys):
    root = tmp_path / "demo"
    shutil.copytree(made[0], root)
    mp4, screenplay = root / "exports" / "ep01.mp4", root / "episodes" / "ep01.txt"
    finished, full, text = mp4.read_bytes(), _seconds(mp4), screenplay.read_text(encoding="utf-8")
    for blank in ("", " \n\n\t\n"):
        screenplay.write_text(blank, encoding="utf-8")
        for command in (["export", str(root)], ["make", str(root)], ["make", str(root), "--force"]):
            assert main(command) == 2, (blank, command)
            err = capsys.readouterr().err
            assert "ep01.txt" in err and "this screenplay has no scene" in err  # refused before anything is touched
            assert mp4.read_bytes() == finished
    screenplay.write_text(text[:text.index("1-2 ")], encoding="utf-8")  # the first scene only
    assert main(["make", str(root)]) == 2
    err = capsys.readouterr().err
    assert "ep01.txt" in err and "under half its last export" in err and "--force" in err
    assert mp4.read_bytes() == finished
    assert main(["make", str(root), "--force"]) == 0
    assert _seconds(mp4) < 0.5 * full and "unchanged" not in capsys.readouterr().out


def test_a_damaged_take_is_named_by_export_and_drawn_again_by_make(made, tmp_path, capsys):
    root = tmp_path / "demo"
    shutil.copytree(made[0], root)
    project = Project.load(root)
    with StateStore(project) as store:
        pick = store.pick_for(store.shot_ids()[0])
    video = pick.video.read_bytes()
    pick.video.write_bytes(video[: len(video) // 2])  # a copy cut short
    assert main(["export", str(root), "--force"]) == 2
    err = capsys.readouterr().err
    assert pick.key in err and "is damaged" in err and "truncated" in err and "drama render" in err
    assert main(["make", str(root)]) == 0
    out = capsys.readouterr().out
    assert "1 rendered" in out and "unchanged" not in out
    assert pick.video.read_bytes() == video  # drawn again, identically
    assert [p.name.split("-")[0] for p in (root / "renders" / ".damaged").iterdir()] == [pick.key]
