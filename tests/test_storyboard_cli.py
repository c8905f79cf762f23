"""`drama plan` on the demo project: the table a director reads and the JSON tools read."""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_demo
from drama.cli import main
from drama.project import Project
from drama.storyboard import episode_ids, plan_episode


@pytest.fixture
def demo(tmp_path):
    return copy_demo(tmp_path / "demo", tiny=False)


def test_demo_is_a_60_to_90_second_episode_with_every_kind_of_shot(demo):
    project = Project.load(demo)
    assert episode_ids(project) == ["ep01"]
    board = plan_episode(project, "ep01")
    assert 60 <= board.duration <= 90
    kinds = {shot.kind for shot in board.shots}
    assert {"establishing", "dialogue", "action", "title_card"} <= kinds
    assert any(shot.voiceover for shot in board.shots) and any(shot.direction for shot in board.shots)
    assert any(shot.transition_in == "dissolve" for shot in board.shots)
    assert {shot.size for shot in board.shots} >= {"EWS", "FS", "MCU", "OTS", "CU", "ECU"}
    assert len({s.speaker for s in board.shots if s.kind == "dialogue"}) >= 3


def test_plan_json_has_the_fields_tools_need(demo, capsys):
    assert main(["plan", str(demo), "ep01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for shot in data["shots"]:
        assert {"id", "scene", "size", "angle", "move", "duration", "characters", "speaker", "text", "prompt"} <= set(shot)
        assert shot["prompt"]


def test_plan_table(demo, capsys):
    assert main(["plan", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "ep01" in out and "OTS" in out and "三年后" in out


def test_unknown_episode_and_unknown_speaker_are_clear_errors(demo, capsys):
    assert main(["plan", str(demo), "ep1"]) == 2
    assert "did you mean 'ep01'" in capsys.readouterr().err
    episode = demo / "episodes" / "ep01.txt"
    episode.write_text(episode.read_text(encoding="utf-8").replace("顾承泽：（淡淡）嗯。", "顾成泽：（淡淡）嗯。"), encoding="utf-8")
    assert main(["plan", str(demo)]) == 2
    err = capsys.readouterr().err
    assert "ep01.txt:29" in err and "顾成泽" in err and "did you mean '顾承泽'" in err


def test_plan_shows_the_storyboard_that_renders(demo, capsys):
    """One current storyboard: plan, status and render agree on the creator's edits and the voiced durations."""
    from drama.pipeline import prepare_episode
    from drama.render import StateStore

    project = Project.load(demo)
    planned = plan_episode(project, "ep01")
    talk, still = [shot for shot in planned.shots if shot.kind == "dialogue"][:2]
    with StateStore(project) as store:
        store.set_override(talk.id, duration=30.0)
        store.set_override(still.id, prompt="a rain-streaked window, neon beyond", size="ECU")
    voiced = prepare_episode(project, "ep01", speak=True).storyboard  # what `drama render` renders
    assert main(["plan", str(demo), "ep01", "--json"]) == 0
    shown = {shot["id"]: shot for shot in json.loads(capsys.readouterr().out)["shots"]}
    assert shown[talk.id]["duration"] == 30.0
    assert (shown[still.id]["prompt"], shown[still.id]["size"]) == ("a rain-streaked window, neon beyond", "ECU")
    assert [shot["duration"] for shot in shown.values()] == [shot.duration for shot in voiced.shots]
    assert main(["status", str(demo), "ep01", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["episodes"]["ep01"]
    assert [row["duration"] for row in rows] == [round(shot.duration, 2) for shot in voiced.shots]


def test_plan_table_shows_dual_lines_dips_crowds_and_props(tmp_path, capsys, monkeypatch):
    from drama.cli import console

    monkeypatch.setattr(console, "_width", 200)
    scripts = Path(__file__).parent / "scripts"
    root = tmp_path / "ferry"
    (root / "episodes").mkdir(parents=True)
    (root / "drama.toml").write_text('title = "Last Ferry"\nlanguage = "en"\n', encoding="utf-8")
    shutil.copy(scripts / "unseen_en.toml", root / "cast.toml")
    shutil.copy(scripts / "unseen_en.fountain", root / "episodes" / "ep01.fountain")
    assert main(["plan", str(root)]) == 0
    table = capsys.readouterr().out
    assert "Nora (at once): I know." in table and "dip through #ffc0cb" in table
    assert re.search(r"\+\d+ extras", table) and "props: key" in table  # THE CROWD; "She holds up a small brass key"
