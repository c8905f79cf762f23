"""Warnings that save an episode, each on a copy of the demo: characters on screen without a portrait, no music,
guessed voices, a shot whose camera move failed the check in every draw — in `drama plan` (table and --json), and
as the state `camera check failed` in `drama status --json`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from conftest import copy_demo
from drama.cli import console, main
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render.parts import ScorePart
from drama.render.state import Candidate, StateStore
from drama.render.status import shot_key_now


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


def plan_warnings(root: Path, capsys) -> list[dict]:
    assert main(["plan", str(root), "ep01", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["warnings"]


def name_line(cast: Path, name: str) -> int:
    """The line of cast.toml that names the character."""
    return cast.read_text(encoding="utf-8").splitlines().index(f'name = "{name}"') + 1


def test_the_demo_as_shipped_warns_of_nothing(demo, capsys):
    assert plan_warnings(demo, capsys) == []
    assert main(["plan", str(demo), "ep01"]) == 0
    assert "warning" not in capsys.readouterr().out


def test_a_character_on_screen_without_a_portrait(demo, capsys):
    cast = demo / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8").replace('references = ["refs/shenqing.png"]\n', ""), encoding="utf-8")
    (demo / "refs" / "shenqing.png").unlink()
    warnings = plan_warnings(demo, capsys)
    assert [w["kind"] for w in warnings] == ["portrait"]
    assert warnings[0]["where"] == f"{cast}:{name_line(cast, '沈清')}"
    assert "沈清" in warnings[0]["message"] and 'references = ["refs/沈清.png"]' in warnings[0]["hint"]
    board = prepare_episode(Project.load(demo), "ep01").storyboard
    assert warnings[0]["shots"] == [s.id for s in board.shots if any(c.name == "沈清" for c in s.characters)] != []

    assert main(["plan", str(demo), "ep01"]) == 0
    out = capsys.readouterr().out
    assert "1 warning(s)" in out and "沈清 is on screen in" in out


@pytest.mark.parametrize("music", ["empty", "missing"])
def test_no_music_means_silence_under_the_voices(demo, capsys, music):
    for path in (demo / "music").iterdir():
        path.unlink()
    if music == "missing":
        (demo / "music").rmdir()
    warnings = plan_warnings(demo, capsys)
    assert [w["kind"] for w in warnings] == ["music"]
    assert warnings[0]["where"] == f"{demo / 'music'}/" and "silence" in warnings[0]["message"]
    assert "[edit] music" in warnings[0]["hint"] and ".ogg" in warnings[0]["hint"]


def test_a_music_file_named_in_drama_toml_that_is_not_there_is_a_warning_not_a_crash(demo, capsys):
    config = demo / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[edit]\nmusic = "gone.ogg"\n', encoding="utf-8")
    warnings = plan_warnings(demo, capsys)
    assert [w["kind"] for w in warnings] == ["music"]
    assert "gone.ogg" in warnings[0]["message"] and "tension_bed.ogg" in warnings[0]["hint"]
    assert warnings[0]["where"] == f"{config}:{len(config.read_text(encoding='utf-8').splitlines())}"
    config.write_text(config.read_text(encoding="utf-8").replace("gone.ogg", "tension_bed.mp3"), encoding="utf-8")
    assert plan_warnings(demo, capsys)[0]["hint"] == "did you mean 'tension_bed.ogg'?"


def test_a_speaker_with_a_guessed_voice_until_cast_toml_gives_a_sex(demo, capsys):
    cast = demo / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8").replace('voice = "zh-CN-XiaoyiNeural"\n', ""), encoding="utf-8")
    warnings = plan_warnings(demo, capsys)
    assert [w["kind"] for w in warnings] == ["voice"]
    assert warnings[0]["where"] == f"{cast}:{name_line(cast, '白薇')}" and "白薇" in warnings[0]["message"]
    assert "its description says 'woman': add sex = \"female\"" in warnings[0]["hint"]  # "glamorous Chinese woman, 25"

    cast.write_text(cast.read_text(encoding="utf-8").replace('name = "白薇"\n', 'name = "白薇"\nsex = "female"\n'),
                    encoding="utf-8")
    assert plan_warnings(demo, capsys) == []


def draw(project: Project, shot_id: str, shot_key: str, number: int, camera: float) -> Candidate:
    key = f"{shot_key[:16]}{number:08d}"
    return Candidate(id=f"c{number}{shot_id[:6]}", key=key, shot_key=shot_key, episode="ep01", shot_id=shot_id,
                     draw=number, seed=number, engine="previz", engine_version="test", created=time.time(),
                     path=project.renders_dir / key, score=0.8,
                     parts=[ScorePart(name="sharpness", value=0.9, weight=0.15, explanation="sharp"),
                            ScorePart(name="camera", value=camera, weight=0.25,
                                      explanation=f"crane -: {'as asked' if camera > 0.5 else 'the wrong way'}")])


def status_of(root: Path, shot_id: str, capsys) -> dict:
    assert main(["status", str(root), "ep01", "--json"]) == 0
    return next(row for row in json.loads(capsys.readouterr().out)["episodes"]["ep01"] if row["shot_id"] == shot_id)


def test_a_shot_whose_camera_check_failed_in_every_draw(demo, capsys, monkeypatch):
    """The draws are written into the state store through its public API (StateStore.add_candidate), not rendered:
    the demo's opening crane does fail the check in all three draws when rendered at this size today, but the
    previz camera and the motion estimate are being reworked, and this test is about what status and plan make of
    such draws, not about that render."""
    project = Project.load(demo)
    board = prepare_episode(project, "ep01").storyboard
    crane = next(shot for shot in board.shots if shot.move.value == "crane")
    key = shot_key_now(project, crane, "previz")
    assert key is not None
    with StateStore(project) as store:
        for number in range(3):
            store.add_candidate(draw(project, crane.id, key, number, camera=0.1 * number))

    row = status_of(demo, crane.id, capsys)
    assert (row["state"], row["camera_failed"], row["picked_by"]) == ("camera check failed", True, "auto")
    monkeypatch.setattr(console, "_width", 240)
    assert main(["status", str(demo), "ep01"]) == 0
    table = capsys.readouterr().out
    assert "camera check failed" in next(line for line in table.splitlines() if crane.id in line)
    assert re.search(r"\b1 camera check failed\b", table), "the summary under the table counts it"
    warnings = plan_warnings(demo, capsys)
    assert [(w["kind"], w["shots"]) for w in warnings] == [("camera", [crane.id])]
    assert "all 3 draw(s)" in warnings[0]["message"] and "the wrong way" in warnings[0]["message"]
    assert re.fullmatch(rf"{re.escape(str(demo / 'episodes' / 'ep01.txt'))}:\d+", warnings[0]["where"])

    with StateStore(project) as store:  # one draw that does the move: the shot is fine
        store.add_candidate(draw(project, crane.id, key, 3, camera=0.9))
    assert status_of(demo, crane.id, capsys)["state"] == "ok"
    assert plan_warnings(demo, capsys) == []


def test_a_creators_pick_accepts_a_draw_that_failed_the_camera_check(demo, capsys):
    project = Project.load(demo)
    board = prepare_episode(project, "ep01").storyboard
    crane = next(shot for shot in board.shots if shot.move.value == "crane")
    key = shot_key_now(project, crane, "previz")
    with StateStore(project) as store:
        failing = [draw(project, crane.id, key, number, camera=0.0) for number in range(2)]
        for candidate in failing:
            store.add_candidate(candidate)
    assert status_of(demo, crane.id, capsys)["state"] == "camera check failed"
    assert main(["pick", str(demo), crane.id, failing[1].id]) == 0
    capsys.readouterr()
    row = status_of(demo, crane.id, capsys)
    assert (row["state"], row["camera_failed"], row["picked_by"]) == ("ok", False, "creator")
    assert plan_warnings(demo, capsys) == []


def test_a_camera_direction_the_planner_cannot_read_is_named(demo, capsys):
    script = demo / "episodes" / "ep01.txt"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("【镜头：大特写 推】", "【镜头：飞起来】", 1), encoding="utf-8")
    line = next(n for n, row in enumerate(script.read_text(encoding="utf-8").splitlines(), 1) if "飞起来" in row)
    warnings = plan_warnings(demo, capsys)
    assert [(w["kind"], w["where"]) for w in warnings] == [("direction", f"{script}:{line}")]
    assert "飞起来" in warnings[0]["message"] and "ignored" in warnings[0]["message"]
