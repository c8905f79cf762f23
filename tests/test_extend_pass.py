"""Long shots on Kling through the CLI against the fake Kling: every take shorter than its shot is extended by
video-extend, each extension working on the one before, until it covers the shot; a rerun pays nothing; the edit
cuts the last extension; takes Kling did not draw are left to the engines that draw long shots in parts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from english_project import kling_project
from fakes.kling import EXTEND_FRAMES, KlingFake, kling_in_environment
from fakes.video_tasks import result_video

from drama.cli import main
from drama.edit.export import current_timeline
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render.extension import SLACK
from drama.render.state import StateStore
from drama.render.tracks import extend_track
from engine.video import probe

SCREENPLAY = """INT. KITCHEN - DAY

Ann pours tea by the window, slowly, watching the rain run down the glass while the kettle cools on the stove.

ANN
You came back after all these years, and you still take your tea without sugar.
"""


def make_project(root: Path) -> Path:
    return kling_project(root, "kling-extend", screenplay=SCREENPLAY)


@pytest.fixture
def kling(monkeypatch):
    with kling_in_environment(monkeypatch, latency=0.05) as fake:
        yield fake


def extensions(kling: KlingFake) -> list[str]:
    return [task_id for task_id, task in kling.tasks.items() if task.endpoint == "video-extend"]


def test_takes_shorter_than_their_shots_are_extended_until_they_cover_them(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    assert main(["render", str(root)]) == 0
    project = Project.load(root)
    prepared = prepare_episode(project, "ep01", speak=True)
    served = probe_seconds(result_video())  # what the fake serves for a text-to-video task
    added = EXTEND_FRAMES / 24  # what each of its extensions adds to the served video
    wanted = {shot.id: max(0, math.ceil((shot.duration - SLACK - served) / added - 1e-9))
              for shot in prepared.storyboard.shots}
    assert sum(wanted.values()) >= 2  # the test means something: at least one chain of two

    capsys.readouterr()
    assert main(["extend", str(root)]) == 0
    out = capsys.readouterr().out
    assert len(extensions(kling)) == sum(wanted.values())
    cut = {segment.shot_id: segment.take for segment in current_timeline(project, prepared).segments}
    with StateStore(project) as store:
        for shot in prepared.storyboard.shots:
            drawn = store.candidates(extend_track(shot.id))
            assert len(drawn) == wanted[shot.id]
            if wanted[shot.id]:
                assert f"extended {shot.id}" in out
                last = max(drawn, key=lambda c: c.draw)
                assert cut[shot.id].video == last.video  # the edit cuts the whole extended take
                assert probe_seconds(last.video.read_bytes()) >= shot.duration - SLACK
            else:
                assert cut[shot.id].video == store.pick_for(shot.id).video
    # each extension worked on the one before (the fake refuses a video_id it did not make): the parents of the
    # extensions are the text-to-video tasks and the extensions themselves, each extended once
    parents = [kling.tasks[task_id].parent.task_id for task_id in extensions(kling)]
    takes = [task_id for task_id, task in kling.tasks.items() if task.endpoint == "text2video"]
    assert len(set(parents)) == len(parents) and set(parents) <= set(takes) | set(extensions(kling))
    assert len(set(parents) - set(takes)) == sum(n - 1 for n in wanted.values() if n)

    assert main(["extend", str(root)]) == 0  # a rerun: every extension cached, nothing paid
    assert "extended before (cached)" in capsys.readouterr().out
    assert len(extensions(kling)) == sum(wanted.values())


def probe_seconds(video: bytes) -> float:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        file.write(video)
        file.flush()
        info = probe(Path(file.name))
    return info.num_frames / info.fps


def test_a_take_not_drawn_on_kling_is_left_alone(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    assert main(["render", str(root), "--engine", "previz"]) == 0
    shot_id = prepare_episode(Project.load(root), "ep01").storyboard.shots[0].id
    capsys.readouterr()
    assert main(["extend", str(root), "--shots", shot_id]) == 0
    assert f"skipped {shot_id}: the take covers the shot" in " ".join(capsys.readouterr().out.split())
    assert not kling.tasks
