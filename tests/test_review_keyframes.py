"""The review page's stills: each shot's keyframes listed above its video draws, picked with the same pick call as
draws (the video draws that started from the old keyframe then say why they are stale), more stills asked for
like more draws; the Cast section's sheet views, whose pick writes the character's references into cast.toml.
Every new call is behind the same token and field checks as the others."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import render_fakes  # noqa: F401  (registers test-stills and test-i2v)
from test_looking_read_only import snapshot
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render.sheets import draw_sheet
from drama.render.tracks import keyframe_track, sheet_track
from drama.review.server import create_app
from drama.review.session import ReviewSession

NEWCOMER = '\n[[character]]\nname = "林晚"\ndescription = "young woman, short bob, grey wool coat"\ncolor = "#4a7a5c"\n'


def two_stage(root: Path, *, draws: int = 2) -> tuple[Project, list[str]]:
    """The tiny demo drawing video on test-i2v from keyframes on test-stills (`draws` of each), two shots drawn."""
    config = root / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('engine = "previz"', 'engine = "test-i2v"')
                      .replace("[render]", '[render]\nkeyframes = "test-stills"'), encoding="utf-8")
    project = Project.load(root)
    storyboard = prepare_episode(project, "ep01", speak=True).storyboard  # voiced, as `drama render` draws
    drawn = [shot.id for shot in storyboard.shots if shot.kind != "title_card"][:2]
    render_shots(project, storyboard, draws=draws, shot_ids=drawn, workers=1)
    return project, drawn


@pytest.fixture
def stills(tiny_demo):
    project, drawn = two_stage(tiny_demo)
    session = ReviewSession.start(project, "ep01")
    yield session, TestClient(create_app(session), base_url="http://127.0.0.1:8765"), drawn
    session.close()


def token(session: ReviewSession) -> dict[str, str]:
    return {"x-drama-token": session.token}


def card(client: TestClient, shot_id: str) -> dict:
    return next(shot for shot in client.get("/api/episode").json()["shots"] if shot["id"] == shot_id)


def wait_for_jobs(client: TestClient, shot_id: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = card(client, shot_id)
        if not any(job["status"] in ("queued", "running") for job in shot["jobs"]):
            return shot
        time.sleep(0.2)
    raise AssertionError("background job did not finish")


def test_each_shot_lists_its_keyframe_stills(stills):
    session, client, (first, second) = stills
    shots = client.get("/api/episode").json()["shots"]
    with StateStore(session.project) as store:
        recorded = {shot_id: store.candidates(keyframe_track(shot_id)) for shot_id in (first, second)}
    for shot in shots:
        if shot["kind"] == "title_card":
            assert shot["keyframes"] is None
        elif shot["id"] not in (first, second):
            assert shot["keyframes"] == {"pick": None, "pick_by": None, "candidates": []}, "keyframes set: row shown"
    for shot_id in (first, second):
        keyframes = next(s for s in shots if s["id"] == shot_id)["keyframes"]
        best = max(recorded[shot_id], key=lambda c: c.score)
        assert [c["id"] for c in keyframes["candidates"]] == [c.id for c in recorded[shot_id]]  # best first
        assert keyframes["pick"] == best.id and keyframes["pick_by"] == "auto"
        tile = keyframes["candidates"][0]
        assert tile["score"] == best.score and {p["name"] for p in tile["parts"]} >= {"exposure", "sharpness"}
        assert all(p["explanation"] for p in tile["parts"])
        still = client.get(tile["still"])
        assert still.status_code == 200 and still.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert still.content == (best.path / "still.png").read_bytes()
        assert client.get(tile["poster"]).status_code == 200


def test_looking_at_stills_writes_nothing(stills):
    """A poll reads the keyframes and the reasons draws are stale; it extracts no frame and marks nothing stale."""
    session, client, (first, _) = stills
    with StateStore(session.project) as store:
        store.pick(keyframe_track(first), store.candidates(keyframe_track(first))[1].id)  # its draws are stale now
        recorded = [(c.id, c.stale) for c in store.candidates(first)]
    before = snapshot(session.project.root)
    shot = card(client, first)
    assert all(c["stale"] and c["stale_reason"] for c in shot["candidates"])
    assert snapshot(session.project.root) == before
    with StateStore(session.project) as store:
        assert [(c.id, c.stale) for c in store.candidates(first)] == recorded, "looking wrote no stale flag"


def test_picking_a_still_uses_the_pick_call_and_says_why_video_draws_are_stale(stills):
    session, client, (first, _) = stills
    before = card(client, first)
    used, other = before["keyframes"]["pick"], before["keyframes"]["candidates"][1]["id"]
    assert not any(c["stale"] for c in before["candidates"]) and len(before["candidates"]) == 2
    url = f"/api/shots/{first}/pick"
    assert client.post(url, json={"candidate": other}).status_code == 403, "the token guards it as every change"
    answer = client.post(url, json={"candidate": other}, headers=token(session))
    assert answer.status_code == 200 and answer.json() == {"ok": True, "pick": other, "track": keyframe_track(first)}
    with StateStore(session.project) as store:
        assert store.creator_pick(keyframe_track(first)).id == other
        assert store.creator_pick(first) is None, "the video pick is its own"
    after = card(client, first)
    assert after["keyframes"]["pick"] == other and after["keyframes"]["pick_by"] == "creator"
    assert all(c["stale"] for c in after["candidates"])
    assert {c["stale_reason"] for c in after["candidates"]} == \
        {f"drawn from keyframe {used}; the keyframe pick is now {other}"}
    # a video draw is still picked by the same call
    video = after["candidates"][0]["id"]
    assert client.post(url, json={"candidate": video}, headers=token(session)).json()["track"] == first


def test_more_stills_are_drawn_on_the_keyframe_track(stills):
    session, client, (first, _) = stills
    videos = len(card(client, first)["candidates"])
    url = f"/api/shots/{first}/draw"
    refused = client.post(url, json={"count": 1, "track": "stills"}, headers=token(session))
    assert refused.status_code == 400 and "unknown track 'stills'" in refused.json()["error"]
    assert client.post(url, json={"count": 1, "track": "keyframe"}, headers=token(session)).json()["ok"]
    shot = wait_for_jobs(client, first)
    assert not [job for job in shot["jobs"] if job["status"] == "failed"], shot["jobs"]
    assert len(shot["keyframes"]["candidates"]) == 3 and len(shot["candidates"]) == videos, "stills only"
    with StateStore(session.project) as store:
        assert sorted(c.draw for c in store.candidates(keyframe_track(first))) == [0, 1, 2]
        assert store.wanted() == {}


def test_without_keyframes_no_row_is_shown_and_none_can_be_asked_for(tiny_demo):
    session = ReviewSession.start(Project.load(tiny_demo), "ep01")
    try:
        client = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
        shots = client.get("/api/episode").json()["shots"]
        assert all(shot["keyframes"] is None for shot in shots)
        drawable = next(shot["id"] for shot in shots if shot["kind"] != "title_card")
        refused = client.post(f"/api/shots/{drawable}/draw", json={"count": 1, "track": "keyframe"},
                              headers=token(session))
        assert refused.status_code == 400 and "draws no keyframes" in refused.json()["error"]
    finally:
        session.close()


def test_a_sheet_pick_on_the_page_writes_the_reference_into_cast_toml(tiny_demo):
    cast = tiny_demo / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8") + NEWCOMER, encoding="utf-8")
    project = Project.load(tiny_demo)
    draw_sheet(project, "林晚", engine="test-stills", draws=2)
    draw_sheet(project, "沈清", engine="test-stills", draws=1, force=True)
    session = ReviewSession.start(project, "ep01")
    try:
        client = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
        sheets = {c["name"]: c for c in client.get("/api/episode").json()["cast"]}
        assert list(sheets) == ["沈清", "林晚"], "only characters with sheet draws, in cast.toml order"
        lin = sheets["林晚"]
        assert lin["references"] == [] and [v["view"] for v in lin["views"]] == ["front", "three_quarter", "side"]
        assert [v["label"] for v in lin["views"]] == ["front", "three quarter", "side"]
        assert all(len(v["candidates"]) == 2 and v["pick"] is None for v in lin["views"])
        front = lin["views"][0]["candidates"][1]["id"]

        assert client.post("/api/cast/pick", json={"candidate": front}).status_code == 403
        unknown = client.post("/api/cast/pick", json={"candidate": front, "view": "front"}, headers=token(session))
        assert unknown.status_code == 400 and "unknown field 'view'" in unknown.json()["error"]
        answer = client.post("/api/cast/pick", json={"candidate": front}, headers=token(session))
        assert answer.json() == {"ok": True, "references": ["refs/林晚-front.png"]}
        assert tomllib.loads(cast.read_text(encoding="utf-8"))["character"][-1]["references"] == ["refs/林晚-front.png"]
        with StateStore(project) as store:
            assert store.creator_pick(sheet_track("林晚", "front")).id == front
            assert (tiny_demo / "refs/林晚-front.png").read_bytes() == \
                (store.candidate(front).path / "still.png").read_bytes()
        side = lin["views"][2]["candidates"][0]["id"]  # picked at once, before any poll saw the first pick
        assert client.post("/api/cast/pick", json={"candidate": side}, headers=token(session)).json()["references"] \
            == ["refs/林晚-front.png", "refs/林晚-side.png"]
        lin = next(c for c in client.get("/api/episode").json()["cast"] if c["name"] == "林晚")
        assert lin["references"] == ["/media/refs/林晚-front.png", "/media/refs/林晚-side.png"]
        assert lin["views"][0]["pick"] == front and lin["views"][2]["pick"] == side

        # 沈清 has a portrait of her own: 409 until the page confirms the replacement
        hers = next(c for c in client.get("/api/episode").json()["cast"] if c["name"] == "沈清")["views"][2]
        side = hers["candidates"][0]["id"]
        conflict = client.post("/api/cast/pick", json={"candidate": side}, headers=token(session))
        assert conflict.status_code == 409 and "already has references: refs/shenqing.png" in conflict.json()["error"]
        assert client.post("/api/cast/pick", json={"candidate": side, "replace": "yes"},
                           headers=token(session)).status_code == 400
        assert client.post("/api/cast/pick", json={"candidate": side, "replace": True},
                           headers=token(session)).json()["references"] == ["refs/沈清-side.png"]
        assert Project.load(tiny_demo).cast.find("沈清").references == ["refs/沈清-side.png"]
    finally:
        session.close()
