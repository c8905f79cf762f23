"""The lip-sync pass through the CLI against the fake Kling: the audio the fake received is the line's audio, the
synced take is a draw of the shot's lip-sync track with its ledger row, a rerun pays nothing, and shots whose speaker
cannot be synced (a voice-over, off screen, facing away, no Kling take) are skipped with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from english_project import kling_project, said
from fakes.kling import KlingFake, kling_in_environment

from drama.cli import main
from drama.edit.export import current_timeline
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render.lipsync import lipsync_episode
from drama.render.state import StateStore
from drama.render.tracks import lipsync_track

SCREENPLAY = """INT. KITCHEN - DAY

Ann pours tea by the window.

ANN
You came back.

BOB (V.O.)
I never left.
"""


def make_project(root: Path) -> Path:
    return kling_project(root, "kling-lipsync", screenplay=SCREENPLAY)


@pytest.fixture
def kling(monkeypatch):
    with kling_in_environment(monkeypatch, latency=0.05) as fake:
        yield fake


def lipsync_tasks(kling: KlingFake) -> list[str]:
    return [task_id for task_id, task in kling.tasks.items() if task.endpoint == "lip-sync"]


def test_lipsync_sends_the_line_s_audio_and_a_rerun_pays_nothing(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    project = Project.load(root)
    assert main(["lipsync", str(root)]) == 0
    prepared = prepare_episode(project, "ep01")
    dialogue, voiceover = [shot for shot in prepared.storyboard.shots if shot.text]
    assert f"skipped {dialogue.id}: no take drawn yet" in said(capsys) and not kling.tasks

    assert main(["render", str(root)]) == 0
    capsys.readouterr()
    assert main(["lipsync", str(root)]) == 0
    out = said(capsys)
    assert f"synced {dialogue.id}" in out
    assert f"skipped {voiceover.id}: BOB's line is a voice-over" in out
    [task_id] = lipsync_tasks(kling)
    [line] = [line for line in prepare_episode(project, "ep01").lines if line.shot_id == dialogue.id]
    assert kling.audio[task_id] == line.audio.read_bytes()  # the audio Kling received is the line's audio
    with StateStore(project) as store:
        [synced] = store.candidates(lipsync_track(dialogue.id))
        pick = store.pick_for(dialogue.id)
        entries = [entry for entry in store.ledger() if entry.engine == "kling-lipsync"]
    assert synced.engine == "kling-lipsync" and synced.video.is_file()
    assert pick is not None and pick.engine == "kling"  # the shot's own pick is unchanged
    assert [(e.shot_id, e.outcome, e.task_id, e.units, e.cost) for e in entries] == [
        (lipsync_track(dialogue.id), "billed", task_id, 0.5, 0.07)]  # 0.5 units per 5 s × 0.14

    assert main(["lipsync", str(root)]) == 0  # a rerun: cached, nothing paid
    assert f"synced before (cached) {dialogue.id}" in said(capsys)
    assert lipsync_tasks(kling) == [task_id]
    with StateStore(project) as store:
        assert len([e for e in store.ledger() if e.engine == "kling-lipsync"]) == 1


@pytest.mark.parametrize(("change", "reason"), [
    ({"characters": []}, "the speaker ANN is off screen"),
    ({"facing": "away"}, "the speaker ANN faces away from the camera"),
])
def test_a_speaker_off_screen_or_facing_away_is_skipped(tmp_path, kling, change: dict, reason: str):
    root = make_project(tmp_path / "p")
    assert main(["render", str(root)]) == 0
    project = Project.load(root)
    prepared = prepare_episode(project, "ep01", speak=True)
    dialogue = next(shot for shot in prepared.storyboard.shots if shot.speaker == "ANN")
    if "facing" in change:
        change = {"characters": [c.model_copy(update={"facing": "away"}) for c in dialogue.characters]}
    shots = [shot.model_copy(update=change) if shot.id == dialogue.id else shot for shot in prepared.storyboard.shots]
    prepared = prepared.model_copy(update={"storyboard": prepared.storyboard.model_copy(update={"shots": shots})})
    results = {result.shot_id: result for result in lipsync_episode(project, prepared)}
    assert results[dialogue.id].status == "skipped" and results[dialogue.id].reason == reason
    assert not lipsync_tasks(kling)


def test_an_unknown_shot_id_is_refused(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    shot_id = next(shot.id for shot in prepare_episode(Project.load(root), "ep01").storyboard.shots if shot.text)
    assert main(["lipsync", str(root), "--shots", shot_id[:-1] + "x"]) == 2
    assert f"did you mean '{shot_id}'?" in said(capsys) and not kling.tasks


def test_a_take_not_drawn_on_kling_is_skipped(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    assert main(["render", str(root), "--engine", "previz"]) == 0
    capsys.readouterr()
    assert main(["lipsync", str(root)]) == 0
    assert "was drawn on previz, not on Kling: lip-sync needs a Kling-drawn take" in said(capsys)
    assert not kling.tasks


def test_the_edit_cuts_the_synced_take_while_it_is_the_pass_over_the_pick(tmp_path, kling):
    root = make_project(tmp_path / "p")
    (root / "drama.toml").write_text((root / "drama.toml").read_text().replace("draws = 1", "draws = 2"))
    assert main(["render", str(root)]) == 0
    project = Project.load(root)
    prepared = prepare_episode(project, "ep01", speak=True)
    dialogue = next(shot for shot in prepared.storyboard.shots if shot.speaker == "ANN")
    assert main(["lipsync", str(root)]) == 0
    with StateStore(project) as store:
        [synced] = store.candidates(lipsync_track(dialogue.id))
        pick = store.pick_for(dialogue.id)
        other = next(c for c in store.candidates(dialogue.id) if c.id != pick.id)
    cut = {segment.shot_id: segment.take for segment in current_timeline(project, prepared).segments}
    assert cut[dialogue.id].video == synced.video  # the mouth moves with the line

    with StateStore(project) as store:
        store.pick(dialogue.id, other.id)  # another take: the pass was over the old one
    cut = {segment.shot_id: segment.take for segment in current_timeline(project, prepared).segments}
    assert cut[dialogue.id].video == other.video
