"""Looking is read-only: `drama status`, `drama plan` and the review page's GETs read what is stored — they never
render, voice or reach the network — and show what is not known yet as such."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from drama.cli import console, main
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.review.server import create_app
from drama.review.session import ReviewSession
from engine.api import Engine
from engine.registry import register_engine
from tests.conftest import copy_demo


@register_engine
class FollowsControls(Engine):
    """A generative engine as far as drama is concerned: anything but previz takes the previz controls."""

    name = "follows-controls-for-read-only-test"
    version = "1"

    def render(self, request, out_dir):
        raise AssertionError("looking rendered a draw")


def snapshot(root: Path) -> dict[str, str]:
    """Every file's bytes (as a hash) but the state store's."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith("state.db")}


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt is recorded and refused (edge-tts would otherwise be tried with backend auto)."""
    attempts = []

    def refuse(*address):
        attempts.append(address[-1])
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def with_previz_control(root: Path) -> Path:
    """The demo rendering on a generative engine that follows previz controls, voiced with backend auto."""
    config = root / "drama.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^engine\s*=.*$', f'engine = "{FollowsControls.name}"\ncontrol = "previz"', text)
    config.write_text(re.sub(r'(?m)^backend\s*=.*$', 'backend = "auto"', text), encoding="utf-8")
    return root


def test_status_leaves_the_project_byte_identical_except_the_state_store(tmp_path, no_network, capsys, monkeypatch):
    monkeypatch.setattr(console, "_width", 200)  # the whole table, state column included
    root = with_previz_control(copy_demo(tmp_path / "demo"))
    before = snapshot(root)
    assert main(["status", str(root)]) == 0
    out = capsys.readouterr().out
    assert snapshot(root) == before, "status changed project files"
    assert not (root / "renders").exists() and not (root / ".drama" / "cache").exists(), "no draw, no voice file"
    assert no_network == []
    assert "not rendered (previz control)" in out, "a shot whose cache key is not known yet says so"

    assert main(["status", str(root), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["episodes"]["ep01"]
    drawable = [row for row in rows if row["kind"] != "title_card"]
    assert drawable and all(row["key"] is None and row["stale"] is None for row in drawable)
    assert snapshot(root) == before and no_network == []


def test_plan_reads_cached_voices_and_speaks_none(tmp_path, no_network, capsys):
    root = copy_demo(tmp_path / "demo")
    before = snapshot(root)
    assert main(["plan", str(root), "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert snapshot(root) == before and not (root / ".drama").exists() and no_network == []
    voiced = prepare_episode(Project.load(root), "ep01", speak=True).storyboard  # now the lines are in the cache
    assert main(["plan", str(root), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [s["duration"] for s in shown["shots"]] == [s.duration for s in voiced.shots] != \
        [s["duration"] for s in planned["shots"]], "plan shows the voiced durations once the lines are voiced"


def test_review_gets_only_read(tmp_path, no_network):
    root = copy_demo(tmp_path / "demo", draws=1)
    project = Project.load(root)
    first = next(shot for shot in prepare_episode(project, "ep01").storyboard.shots if shot.kind != "title_card")
    render_shots(project, prepare_episode(project, "ep01").storyboard, shot_ids=[first.id])  # speaks no line
    with StateStore(project) as store:
        store.set_override(first.id, move="pan" if first.move.value != "pan" else "tilt")  # its draw is stale now
    with_previz_control(root)
    before = snapshot(root)
    session = ReviewSession.start(Project.load(root), "ep01")
    try:
        client = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
        for _ in range(2):
            episode = client.get("/api/episode")
            assert episode.status_code == 200, episode.text
    finally:
        session.close()
    assert snapshot(root) == before and no_network == []
    shot = next(shot for shot in episode.json()["shots"] if shot["id"] == first.id)
    assert shot["stale"] is None, "its previz control is not rendered: whether the draw is current is not known"
    with StateStore(project) as store:
        assert [c.stale for c in store.candidates(first.id)] == [False], "looking wrote no stale flag"
