"""`drama new` and `drama cast init`: a new project plans as is; a proposed cast comes from the screenplays."""

import tomllib

import pytest

from conftest import DEMO, copy_demo
from drama.cli import main
from drama.project import Project
from drama.storyboard import episode_ids, plan_episode


@pytest.mark.parametrize("language", ["zh", "en"])
def test_new_project_plans_out_of_the_box(tmp_path, language, capsys):
    target = tmp_path / "series"
    assert main(["new", str(target), "--language", language]) == 0
    assert {p.name for p in target.iterdir()} >= {"drama.toml", "cast.toml", "episodes", "refs", "locations", "music"}
    project = Project.load(target)
    board = plan_episode(project, episode_ids(project)[0])
    assert board.shots and any(s.kind == "title_card" for s in board.shots) and any(s.direction for s in board.shots)
    assert {s.speaker for s in board.shots if s.kind == "dialogue"} == {c.name for c in project.cast.character}


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "keep.txt").read_text() == "mine"


def test_cast_init_proposes_the_demo_cast_and_never_overwrites_without_force(tmp_path, capsys):
    project = copy_demo(tmp_path / "demo", tiny=False)
    original = (project / "cast.toml").read_text(encoding="utf-8")
    assert main(["cast", "init", str(project)]) == 2
    assert "--force" in capsys.readouterr().err and (project / "cast.toml").read_text(encoding="utf-8") == original

    assert main(["cast", "init", str(project), "--force"]) == 0
    proposed = tomllib.loads((project / "cast.toml").read_text(encoding="utf-8"))["character"]
    assert [c["name"] for c in proposed] == ["沈清", "顾承泽", "白薇", "陈伯"]
    assert "少夫人" in proposed[0]["description"]  # from 人物小传
    # sex and age from the 人物小传 (少夫人, 丈夫, 闺蜜/未婚妻, 陈伯's 伯 and ages 26, 30, 25, 60); the voices the
    # replaced cast.toml pinned are kept, and none is guessed
    assert [(c["sex"], c["age"]) for c in proposed] == [("female", "young"), ("male", "young"), ("female", "young"),
                                                        ("male", "old")]
    assert [c["voice"] for c in proposed] == [c.voice for c in Project.load(DEMO).cast.character]
    assert len({c["color"] for c in proposed}) == 4
    Project.load(project)  # the proposal is a valid cast file
    assert plan_episode(Project.load(project), "ep01").shots


def test_cast_init_without_screenplays(tmp_path, capsys):
    (tmp_path / "drama.toml").write_text('title = "t"\n', encoding="utf-8")
    assert main(["cast", "init", str(tmp_path)]) == 2
    assert "no screenplays" in capsys.readouterr().err
