"""`drama cast sheet`: a character without portraits drawn from their description, front / three-quarter / side,
on an image engine; the picks copied to refs/ and written into cast.toml's `references` with every other line as
it was; reruns cached; clear refusals naming cast.toml and its line."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import render_fakes  # noqa: F401  (registers test-stills, an image engine)
from drama.cli import main
from drama.errors import ProjectError, RenderError
from drama.project import Project
from drama.render import StateStore
from drama.render.sheets import draw_sheet, pick_sheet, set_references
from drama.render.tracks import VIEWS, character_of, sheet_track, view_of

NEWCOMER = '''
# 林晚 joins in episode 2; no portrait yet
[[character]]
name = "林晚"
aliases = ["Lin Wan"]
description = "young Chinese woman, 26, short bob, round glasses, grey wool coat"  # her look
color = "#4a7a5c"
'''


@pytest.fixture
def project(tiny_demo) -> Project:
    cast = tiny_demo / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8") + NEWCOMER, encoding="utf-8")
    return Project.load(tiny_demo)


def current(project: Project, name: str) -> dict[str, list[str]]:
    with StateStore(project) as store:
        return {view: [c.id for c in store.candidates(sheet_track(name, view)) if not c.stale] for view in VIEWS}


def test_tracks_of_a_sheet_name_their_character_and_view():
    assert sheet_track("沈清", "three_quarter") == "cast/沈清/three_quarter"
    assert (character_of("cast/沈清/side"), view_of("cast/沈清/side")) == ("沈清", "side")
    assert (character_of("cast/沈清"), view_of("cast/沈清")) == ("沈清", None)
    assert (character_of("cast/side"), view_of("cast/side")) == ("side", None)  # a character named like a view
    assert character_of("1-2/keyframe") is None and view_of("1-2/keyframe") is None


def test_a_sheet_draws_every_view_from_the_description_and_a_rerun_is_cached(project):
    report = draw_sheet(project, "Lin Wan", engine="test-stills", draws=2)  # an alias finds her
    assert report.name == "林晚" and [r.status for r in report.results] == ["rendered"] * 6
    assert [r.shot_id for r in report.results] == [sheet_track("林晚", v) for v in VIEWS for _ in range(2)]
    asked = [json.loads((project.renders_dir / r.key / "candidate.json").read_text(encoding="utf-8"))["request"]
             for r in report.results]
    assert [request["options"]["view"] for request in asked] == \
        ["front", "front", "three_quarter", "three_quarter", "side", "side"]
    for request in asked:
        assert "short bob, round glasses, grey wool coat" in request["prompt"] and "neutral grey" in request["prompt"]
        assert [c["name"] for c in request["characters"]] == ["林晚"] and request["num_frames"] == 1
    assert [request["shot_size"] for request in asked[::2]] == ["MS", "MS", "FS"]
    assert len({r.seed for r in report.results}) == 6
    drawn = current(project, "林晚")
    assert all(len(ids) == 2 for ids in drawn.values())
    with StateStore(project) as store:
        for candidate in store.candidates(episode="cast"):
            assert (candidate.path / "still.png").is_file() and (candidate.path / "poster.png").is_file()

    again = draw_sheet(project, "林晚", engine="test-stills", draws=2)
    assert [r.status for r in again.results] == ["cached"] * 6
    assert current(project, "林晚") == drawn


def test_a_changed_description_draws_anew_and_marks_the_old_sheet_stale(project):
    draw_sheet(project, "林晚", engine="test-stills", draws=1)
    before = current(project, "林晚")
    cast = project.root / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8").replace("grey wool coat", "red raincoat"), encoding="utf-8")
    draw_sheet(Project.load(project.root), "林晚", engine="test-stills", draws=1)
    with StateStore(project) as store:
        stale = {c.id for c in store.candidates(episode="cast") if c.stale}
    assert stale == {i for ids in before.values() for i in ids} and current(project, "林晚") != before


def test_picks_become_references_in_refs_and_cast_toml(project, capsys):
    root = project.root
    original = (root / "cast.toml").read_text(encoding="utf-8")
    assert main(["cast", "sheet", str(root), "林晚", "--engine", "test-stills", "--draws", "2"]) == 0
    drawn = current(project, "林晚")
    listed = capsys.readouterr().out
    assert all(i in listed for ids in drawn.values() for i in ids), "the command lists the draws to pick from"

    front, side = drawn["front"][1], drawn["side"][0]
    assert main(["cast", "sheet", str(root), "林晚", "--pick", front, side[:6]]) == 0  # a prefix is enough
    with StateStore(project) as store:
        stills = {view: store.candidate(i).path / "still.png" for view, i in (("front", front), ("side", side))}
        assert store.creator_pick(sheet_track("林晚", "front")).id == front
        assert store.creator_pick(sheet_track("林晚", "side")).id == side
    for view, still in stills.items():
        assert (root / f"refs/林晚-{view}.png").read_bytes() == still.read_bytes()
    text = (root / "cast.toml").read_text(encoding="utf-8")
    added = 'references = ["refs/林晚-front.png", "refs/林晚-side.png"]\n'
    assert text == original + added, "one line added at the end of her table, every other line as it was"
    assert Project.load(root).cast.find("林晚").references == ["refs/林晚-front.png", "refs/林晚-side.png"]

    # a view picked later joins them in view order; picking front again replaces its file, not the list
    quarter, front_again = drawn["three_quarter"][0], drawn["front"][0]
    assert main(["cast", "sheet", str(root), "林晚", "--pick", quarter, front_again]) == 0
    assert tomllib.loads((root / "cast.toml").read_text(encoding="utf-8"))["character"][-1]["references"] == \
        ["refs/林晚-front.png", "refs/林晚-three_quarter.png", "refs/林晚-side.png"]
    with StateStore(project) as store:
        assert (root / "refs/林晚-front.png").read_bytes() == \
            (store.candidate(front_again).path / "still.png").read_bytes()
    assert (root / "cast.toml").read_text(encoding="utf-8").count("references = [\"refs/林晚") == 1


def test_an_unknown_character_is_refused_naming_cast_toml(project, capsys):
    with pytest.raises(ProjectError) as refused:
        draw_sheet(project, "林挽", engine="test-stills")
    assert refused.value.path == project.root / "cast.toml" and "林晚" in refused.value.hint
    assert main(["cast", "sheet", str(project.root), "林挽", "--engine", "test-stills"]) == 2
    err = capsys.readouterr().err
    assert "cast.toml" in err and "no character '林挽'" in err and "林晚" in err
    assert not (project.state_dir / "state.db").exists() or not current(project, "林挽")["front"]


def test_a_character_with_portraits_is_drawn_only_with_force(project):
    with pytest.raises(ProjectError) as refused:
        draw_sheet(project, "沈清", engine="test-stills", draws=1)
    lines = (project.root / "cast.toml").read_text(encoding="utf-8").splitlines()
    assert "already has portraits" in refused.value.message and "--force" in refused.value.hint
    assert lines[refused.value.line - 1] == 'references = ["refs/shenqing.png"]'
    report = draw_sheet(project, "沈清", engine="test-stills", draws=1, force=True)
    assert [r.status for r in report.results] == ["rendered"] * 3

    # picking for her needs --replace; refused, nothing is written
    before = (project.root / "cast.toml").read_bytes()
    front = current(project, "沈清")["front"][0]
    with pytest.raises(ProjectError) as kept:
        pick_sheet(project, "沈清", [front])
    assert "--replace" in kept.value.hint and kept.value.line == refused.value.line
    assert (project.root / "cast.toml").read_bytes() == before and not (project.root / "refs/沈清-front.png").exists()
    assert pick_sheet(project, "沈清", [front], replace=True) == ["refs/沈清-front.png"]
    assert Project.load(project.root).cast.find("沈清").references == ["refs/沈清-front.png"]
    assert (project.root / "refs/shenqing.png").is_file(), "the old portrait stays in refs/"


def test_picks_refused_before_anything_is_written(project):
    draw_sheet(project, "林晚", engine="test-stills", draws=2)
    drawn = current(project, "林晚")
    before = (project.root / "cast.toml").read_bytes()
    with pytest.raises(RenderError, match="two picks of the front view"):
        pick_sheet(project, "林晚", drawn["front"])
    with pytest.raises(RenderError, match="is not one of the character sheets' draws"):
        pick_sheet(project, "林晚", ["0123456789"])
    with pytest.raises(RenderError, match="not a draw of 沈清's sheet"):
        pick_sheet(project, "沈清", [drawn["side"][0]])
    mine = project.root / "refs" / "林晚-front.png"
    mine.write_bytes(b"the creator's own drawing")
    with pytest.raises(ProjectError, match="is already there") as refused:
        pick_sheet(project, "林晚", [drawn["front"][0]])
    assert refused.value.path == mine and mine.read_bytes() == b"the creator's own drawing"
    assert (project.root / "cast.toml").read_bytes() == before


def test_a_video_engine_is_refused(project):
    with pytest.raises(RenderError, match="draws video"):
        draw_sheet(project, "林晚", engine="previz")


def test_set_references_edits_only_that_key():
    path = Path("cast.toml")
    multi = ('[[character]]\nname = "A"\n\n[[character]]\nname = "B"\nreferences = [\n  "refs/b.png",  # old ]\n'
             '  "refs/b2.png",\n]  # kept\ncolor = "#123456"\n')
    assert set_references(multi, 1, ["refs/B-front.png"], path=path) == \
        '[[character]]\nname = "A"\n\n[[character]]\nname = "B"\nreferences = ["refs/B-front.png"]  # kept\ncolor = "#123456"\n'
    hinted = '[[character]]\r\nname = "C"\r\n# references = ["refs/C.png"]\r\n\r\n# next\r\n[[character]]\r\nname = "D"\r\n'
    assert set_references(hinted, 0, ["refs/C-side.png"], path=path) == \
        '[[character]]\r\nname = "C"\r\nreferences = ["refs/C-side.png"]\r\n\r\n# next\r\n[[character]]\r\nname = "D"\r\n'
    appended = '[[character]]\nname = "E"\ncolor = "#111111"\n\n# the next one\n[[character]]\nname = "F"'
    assert set_references(appended, 1, ["refs/F-front.png"], path=path) == \
        '[[character]]\nname = "E"\ncolor = "#111111"\n\n# the next one\n[[character]]\nname = "F"\nreferences = ["refs/F-front.png"]\n'
    with pytest.raises(ProjectError, match="by hand"):
        set_references('[[character]]\nname = "G"\n', 3, ["x"], path=path)


def test_the_engine_is_the_keyframe_engine_else_previz_image(project):
    report = draw_sheet(project, "林晚", draws=1)
    assert report.engine == "previz-image" and [r.status for r in report.results] == ["rendered"] * 3
    toml = project.root / "drama.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[render]", '[render]\nkeyframes = "test-stills"'),
                    encoding="utf-8")
    assert draw_sheet(Project.load(project.root), "林晚", draws=1).engine == "test-stills"


def test_a_character_without_a_description_is_refused_at_their_line(project):
    cast = project.root / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8") + '\n[[character]]\nname = "路人"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="路人 has no description") as refused:
        draw_sheet(Project.load(project.root), "路人", engine="test-stills")
    assert cast.read_text(encoding="utf-8").splitlines()[refused.value.line - 1] == 'name = "路人"'


def test_a_draw_whose_still_is_gone_is_refused_and_replace_needs_pick(project):
    draw_sheet(project, "林晚", engine="test-stills", draws=1)
    front = current(project, "林晚")["front"][0]
    with StateStore(project) as store:
        (store.candidate(front).path / "still.png").unlink()
    before = (project.root / "cast.toml").read_bytes()
    with pytest.raises(RenderError, match=f"draw {front} has no still.png"):
        pick_sheet(project, "林晚", [front])
    assert (project.root / "cast.toml").read_bytes() == before and not (project.root / "refs/林晚-front.png").exists()
    assert main(["cast", "sheet", str(project.root), "林晚", "--replace"]) == 2
