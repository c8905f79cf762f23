"""A series that reuses a set and its stock lines: two episodes with the same scene and two of the same lines
keep their shots, draws and picks apart through plan, render, review and export, and `drama pick` says what an
id is when it is not a shot of today's storyboards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import render_fakes  # noqa: F401  (registers the test-squares engine)
from drama.cli import main
from drama.edit.otio import read_takes
from drama.project import Project
from drama.render import StateStore
from drama.review.session import ReviewSession

SERIES = Path(__file__).parent / "data" / "v1_store" / "project"  # ep01 and ep02 share 1 scene and 2 lines
HEARD, EMPTY, DOOR = "你听见了吗？", "没人啊。", "门外有人。"  # shared, shared, ep01 only
V1_HEARD = "d7077e5416"  # the id schema 1 gave HEARD in both episodes (tests/data/v1_store/state-v1.sql)


@pytest.fixture
def series(tmp_path) -> Path:
    return Path(shutil.copytree(SERIES, tmp_path / "series"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def plan(root: Path, capsys, episode: str) -> dict[str, str]:
    """Line text (or shot kind) → shot id, from `drama plan --json`."""
    code, out, _ = run(capsys, "plan", str(root), episode, "--json")
    assert code == 0
    return {shot["text"] or shot["kind"]: shot["id"] for shot in json.loads(out)["shots"]}


def status(root: Path, capsys) -> dict:
    code, out, _ = run(capsys, "status", str(root), "--json")
    assert code == 0
    return json.loads(out)


def test_a_repeated_scene_keeps_its_picks_apart_from_plan_to_export(series, capsys):
    ep01, ep02 = plan(series, capsys, "ep01"), plan(series, capsys, "ep02")
    assert not set(ep01.values()) & set(ep02.values())

    assert run(capsys, "render", str(series))[0] == 0
    rows = status(series, capsys)["episodes"]
    draws = {(e, r["shot_id"]): r["draws"] for e in rows for r in rows[e] if r["kind"] != "title_card"}
    assert set(draws.values()) == {2} and len(draws) == len(ep01) + len(ep02)  # ep02 drew its shared lines itself

    # the creator picks the weaker draw of the shared line in ep01 from the command line ...
    project = Project.load(series)
    with StateStore(project) as store:
        weaker01 = min(store.candidates(ep01[HEARD]), key=lambda c: c.score)
        ep02_draws = store.candidates(ep02[HEARD])
    assert {c.episode for c in ep02_draws} == {"ep02"} and weaker01.episode == "ep01"
    assert run(capsys, "pick", str(series), ep01[HEARD], weaker01.id)[0] == 0
    # ... and the other draw of the same line in ep02 on the review page
    session = ReviewSession.start(project, "ep02")
    try:
        shown = next(s for s in session.view()["shots"] if s["id"] == ep02[HEARD])
        assert shown["pick_by"] == "auto" and {c["id"] for c in shown["candidates"]} == {c.id for c in ep02_draws}
        other02 = next(c for c in shown["candidates"] if c["id"] != shown["pick"])
        session.pick(ep02[HEARD], other02["id"])
    finally:
        session.close()
    data = status(series, capsys)
    assert data["picks"] == {ep01[HEARD]: weaker01.id, ep02[HEARD]: other02["id"]}

    assert run(capsys, "export", str(series))[0] == 0
    for episode, shot, picked in (("ep01", ep01[HEARD], weaker01.id), ("ep02", ep02[HEARD], other02["id"])):
        takes = {t.shot_id: t for t in read_takes(series / "exports" / f"{episode}.otio")}
        assert takes[shot].active == picked and len(takes[shot].takes) == 2
        assert not {shot for shot in takes} & set((ep02 if episode == "ep01" else ep01).values())


def test_pick_says_what_an_id_is_when_it_is_not_a_shot_of_today(series, capsys):
    ep01, ep02 = plan(series, capsys, "ep01"), plan(series, capsys, "ep02")
    assert run(capsys, "render", str(series))[0] == 0
    project = Project.load(series)
    with StateStore(project) as store:
        draw02 = store.candidates(ep02[HEARD])[0]

    code, _, err = run(capsys, "pick", str(series), ep01[HEARD], draw02.id)  # a draw of the same line in ep02
    assert code == 2 and f"is a draw of shot '{ep02[HEARD]}' (ep02)" in err and f"not of '{ep01[HEARD]}'" in err

    code, _, err = run(capsys, "pick", str(series), V1_HEARD, "auto")  # an id from before ids held the episode
    assert code == 2 and "earlier scheme" in err and f"{ep01[HEARD]} in ep01" in err and f"{ep02[HEARD]} in ep02" in err

    script = series / "episodes" / "ep01.txt"  # the line is rewritten after it was drawn: its id is stale
    script.write_text(script.read_text(encoding="utf-8").replace("甲：门外有人。", "甲：门外真的有人。"), encoding="utf-8")
    code, _, err = run(capsys, "pick", str(series), ep01[DOOR], "auto")
    assert code == 2 and "in no episode's storyboard now" in err and "ep01" in err and "2 draw(s) kept" in err

    code, _, err = run(capsys, "pick", str(series), ep01[EMPTY][:-1] + "x", "auto")
    assert code == 2 and "no shot" in err and "did you mean" in err
