"""The review server's API and its refusals: foreign Host headers, missing tokens, files outside the project,
bad form input — each answered with a clear message, never a 500."""

from __future__ import annotations

import os
import time

import pytest
from starlette.testclient import TestClient

from drama.project import Project
from drama.render import StateStore, render_shots
from drama.pipeline import prepare_episode
from drama.review.server import create_app
from drama.review.session import ReviewSession
from engine.api import Engine
from engine.registry import register_engine

HOST = {"host": "127.0.0.1:8765"}


@pytest.fixture
def session(tiny_demo):
    project = Project.load(tiny_demo)
    prepared = prepare_episode(project, "ep01", speak=True)  # voiced, as `drama render` does
    first = next(shot for shot in prepared.storyboard.shots if shot.kind != "title_card")
    render_shots(project, prepared.storyboard, draws=2, shot_ids=[first.id])
    session = ReviewSession.start(project, None)
    yield session
    session.close()


@pytest.fixture
def client(session):
    return TestClient(create_app(session), base_url="http://127.0.0.1:8765")


def auth(session):
    return {"x-drama-token": session.token}


def first_drawn(client):
    return next(shot for shot in client.get("/api/episode").json()["shots"] if shot["candidates"])


def wait_for_jobs(client, shot_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = next(s for s in client.get("/api/episode").json()["shots"] if s["id"] == shot_id)
        if not any(job["status"] in ("queued", "running") for job in shot["jobs"]):
            return shot
        time.sleep(0.2)
    raise AssertionError("background job did not finish")


def test_page_and_episode_view(client, session):
    page = client.get("/")
    assert page.status_code == 200 and session.token in page.text and "review.js" in page.text
    episode = client.get("/api/episode").json()
    assert episode["episode"] == "ep01" and episode["width"] == 144
    kinds = {shot["kind"] for shot in episode["shots"]}
    assert "title_card" in kinds and "dialogue" in kinds
    drawn = first_drawn(client)
    assert len(drawn["candidates"]) == 2 and drawn["pick_by"] == "auto"
    ranked = [c["score"] for c in drawn["candidates"]]
    assert ranked == sorted(ranked, reverse=True), "draws are shown best first"
    assert all(part["explanation"] for part in drawn["candidates"][0]["parts"]), "every score part is explained"
    assert drawn["source"], "the card shows the script lines the shot came from"
    video = client.get(drawn["candidates"][0]["video"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert len(episode["cut"]) == len(episode["shots"])


@pytest.mark.parametrize("host", ["attacker.example:8765", "0.0.0.0:8765"])
def test_foreign_host_header_is_refused(client, session, host):
    for path in ("/", "/api/episode", "/media/drama.toml"):
        response = client.get(path, headers={"host": host})
        assert response.status_code == 400 and session.token not in response.text


def test_state_changes_need_post_and_token(client, session):
    shot = first_drawn(client)
    url = f"/api/shots/{shot['id']}/pick"
    assert client.get(url).status_code == 405
    refused = client.post(url, json={"candidate": shot["candidates"][1]["id"]})
    assert refused.status_code == 403 and "token" in refused.json()["error"]
    wrong = client.post(url, json={"candidate": shot["candidates"][1]["id"]}, headers={"x-drama-token": "guess"})
    assert wrong.status_code == 403
    with StateStore(session.project) as store:
        assert store.creator_pick(shot["id"]) is None, "a refused request changed nothing"


@pytest.mark.parametrize("path", [
    "../drama.toml", "..%2Fdrama.toml", "%2Fetc%2Fpasswd", "renders/../../outside.txt", "missing.png", "",
])
def test_media_refuses_paths_outside_the_project(client, session, path):
    (session.project.root.parent / "outside.txt").write_text("secret")
    response = client.get(f"/media/{path}")
    assert response.status_code == 404 and "secret" not in response.text


def test_media_refuses_symlinks_out_of_the_project(client, session, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, session.project.root / "refs" / "link.txt")
    assert client.get("/media/refs/link.txt").status_code == 404
    assert client.get("/media/drama.toml").status_code == 200  # inside the project: served


def test_pick_persists_at_once(client, session):
    shot = first_drawn(client)
    chosen = shot["candidates"][1]["id"]
    assert client.post(f"/api/shots/{shot['id']}/pick", json={"candidate": chosen}, headers=auth(session)).json()["ok"]
    with StateStore(session.project) as store:
        assert store.creator_pick(shot["id"]).id == chosen
    again = first_drawn(client)
    assert again["pick"] == chosen and again["pick_by"] == "creator"


def test_a_poll_shows_what_another_process_changed(client, session):
    """Polls share one cached view, but a pick made elsewhere (`drama pick` in a terminal) shows on the next one."""
    shot = first_drawn(client)
    assert client.get("/api/episode").content == client.get("/api/episode").content
    other = shot["candidates"][1]["id"]
    with StateStore(Project.load(session.project.root)) as store:
        store.pick(shot["id"], other)
    again = first_drawn(client)
    assert again["pick"] == other and again["pick_by"] == "creator"


@pytest.mark.parametrize("route,body,message", [
    ("pick", {"candidate": "nope"}, "is not a candidate"),
    ("draw", {"count": 0}, "whole number from 1"),
    ("draw", {"count": "three"}, "whole number from 1"),
    ("edit", {"size": "XXL"}, "unknown size"),
    ("edit", {"move": "dolly-inn"}, "did you mean"),
    ("edit", {"duration": -3}, "between 0.2 and 60"),
    ("edit", {"prompt": "   "}, "prompt is empty"),
    ("edit", {"move_direction": 5}, "move_direction"),
    ("edit", {"sise": "close-up"}, "unknown field 'sise' in the edit form (did you mean 'size'?)"),
    ("pick", {"candidate": "a", "shot": "b"}, "unknown field 'shot' in the pick"),
    ("draw", {"count": 10**40}, "number in the request body is longer"),
])
def test_bad_form_input_gets_a_clear_message(client, session, route, body, message):
    shot = first_drawn(client)
    response = client.post(f"/api/shots/{shot['id']}/{route}", json=body, headers=auth(session))
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_unknown_shot_and_broken_body(client, session):
    shot = first_drawn(client)
    response = client.post(f"/api/shots/{shot['id'][:-1]}x/pick", json={"candidate": "a"}, headers=auth(session))
    assert response.status_code == 400 and "no shot" in response.json()["error"]
    response = client.post(f"/api/shots/{shot['id']}/draw", content=b"{not json", headers=auth(session))
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    response = client.post(f"/api/shots/{shot['id']}/draw", content=b"[" * 5000, headers=auth(session))
    assert response.status_code == 400 and "deeper than" in response.json()["error"]
    response = client.post(f"/api/shots/{shot['id']}/draw", content=b"x" * (65 * 1024), headers=auth(session))
    assert response.status_code == 413


def test_draw_more_runs_in_the_background(client, session):
    shot = first_drawn(client)
    response = client.post(f"/api/shots/{shot['id']}/draw", json={"count": 1}, headers=auth(session))
    assert response.status_code == 200 and response.json()["job"]
    done = wait_for_jobs(client, shot["id"])
    assert len(done["candidates"]) == 3
    with StateStore(session.project) as store:
        assert len(store.candidates(shot["id"])) == 3


def test_edit_stores_an_override_and_redraws(client, session):
    shot = first_drawn(client)
    new_move = "pan" if shot["move"] != "pan" else "tilt"
    response = client.post(f"/api/shots/{shot['id']}/edit", json={"move": new_move, "count": 1}, headers=auth(session))
    assert response.status_code == 200 and response.json()["changed"] == ["move"]
    done = wait_for_jobs(client, shot["id"])
    assert done["move"] == new_move and done["override"] == {"move": new_move}
    current = [c for c in done["candidates"] if not c["stale"]]
    assert len(current) == 1 and len(done["candidates"]) == 3, "earlier draws are kept, marked stale"
    with StateStore(session.project) as store:
        assert store.override(shot["id"]).move.value == new_move


def test_edit_says_where_a_shot_starts(client, session):
    shot = first_drawn(client)
    assert shot["continuity"] == "auto"
    refused = client.post(f"/api/shots/{shot['id']}/edit", json={"continuity": "always"}, headers=auth(session))
    assert refused.status_code == 400 and "continuity" in refused.json()["error"]
    response = client.post(f"/api/shots/{shot['id']}/edit", json={"continuity": "chain", "count": 1},
                           headers=auth(session))
    assert response.status_code == 200 and response.json()["changed"] == ["continuity"]
    done = wait_for_jobs(client, shot["id"])
    assert done["continuity"] == "chain" and done["override"] == {"continuity": "chain"}
    with StateStore(session.project) as store:
        assert store.override(shot["id"]).continuity == "chain"


@register_engine
class BrokenEngine(Engine):
    name = "broken-for-review-test"
    version = "1"

    def render(self, request, out_dir):
        raise RuntimeError("the engine ran out of memory")


def test_a_failing_render_shows_its_error_on_the_card(client, session):
    shot = first_drawn(client)
    session.project.config.render.engine = BrokenEngine.name
    client.post(f"/api/shots/{shot['id']}/draw", json={"count": 1}, headers=auth(session))
    done = wait_for_jobs(client, shot["id"])
    failed = [job for job in done["jobs"] if job["status"] == "failed"]
    assert failed and "ran out of memory" in failed[0]["error"]
    assert client.get("/api/episode").status_code == 200, "the page keeps working"


def test_a_broken_project_answers_with_a_message_not_a_500(client, session):
    session.project.config.render.engine = "no-such-engine"
    response = client.get("/api/episode")
    assert response.status_code == 400 and "unknown engine" in response.json()["error"]


def test_export_from_the_page(tiny_demo):
    project = Project.load(tiny_demo)
    render_shots(project, prepare_episode(project, "ep01", speak=True).storyboard, draws=1)
    session = ReviewSession.start(project, "ep01")
    client = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
    try:
        assert client.post("/api/export", json={}, headers=auth(session)).json()["ok"]
        again = client.post("/api/export", json={}, headers=auth(session))
        assert again.status_code == 400 and "already running" in again.json()["error"]
        deadline = time.monotonic() + 240
        while (export := client.get("/api/episode").json()["export"])["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "export did not finish"
            time.sleep(0.5)
        assert export["status"] == "done", export["error"]
        assert export["url"] == "/media/exports/ep01.mp4" and (tiny_demo / "exports" / "ep01.mp4").is_file()
        assert client.get(export["url"]).content[4:8] == b"ftyp"
    finally:
        session.close()
