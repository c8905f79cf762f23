""""Draw N more" from the review page is recorded in the state store as wanted draws, so it is honoured by
whichever process renders the shot next — even a `drama render` of the same shot running at that moment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import render_fakes  # noqa: F401  (registers the test-squares engine)
from drama.cli import main
from drama.project import Project
from drama.render import StateStore
from drama.review.session import ReviewSession
from drama.storyboard import plan_episode

TWO_EPISODES = Path(__file__).parent / "data" / "v1_store" / "project"  # two tiny episodes, test-squares, 2 draws
TESTS = Path(__file__).parent
LINE = "门外有人。"


@pytest.fixture
def project(tmp_path) -> Project:
    root = shutil.copytree(TWO_EPISODES, tmp_path / "two")
    toml = root / "drama.toml"  # slow enough that the page asks while the CLI is still drawing
    toml.write_text(toml.read_text(encoding="utf-8").replace("draws = 2", "draws = 2\nengine_options = { slow = 0.2 }"),
                    encoding="utf-8")
    return Project.load(root)


def shot_id(project: Project) -> str:
    return next(s.id for s in plan_episode(project, "ep01").shots if s.text == LINE)


def current_draws(project: Project, shot: str) -> list[int]:
    with StateStore(project) as store:
        return sorted(c.draw for c in store.candidates(shot) if not c.stale)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_draw_more_while_a_cli_render_of_the_shot_runs_is_not_swallowed(project):
    shot = shot_id(project)
    cli = subprocess.Popen(
        [sys.executable, "-c", "import sys, render_fakes; from drama.cli import main; sys.exit(main(sys.argv[1:]))",
         "render", str(project.root), "ep01", "--shots", shot],
        cwd=TESTS, env={**os.environ, "PYTHONPATH": str(TESTS)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: project.renders_dir.is_dir() and any(project.renders_dir.glob(".*.partial")))
        assert cli.poll() is None and len(current_draws(project, shot)) < 2  # the CLI is drawing one of its 2 now
        session = ReviewSession.start(project, "ep01")
        try:
            session.draw(shot, 1)

            def page_done() -> bool:
                jobs = [j for s in session.view()["shots"] if s["id"] == shot for j in s["jobs"]]
                assert not any(j["status"] == "failed" for j in jobs), jobs
                return bool(jobs) and all(j["status"] == "done" for j in jobs)

            wait_for(page_done)
        finally:
            session.close()
        assert cli.wait(timeout=120) == 0, cli.stdout.read().decode()
    finally:
        cli.kill()
        cli.wait()
    assert current_draws(project, shot) == [0, 1, 2]  # the two the CLI was making, and the one asked for
    with StateStore(project) as store:
        assert store.wanted() == {}


def test_draws_asked_for_are_drawn_by_the_next_cli_render(project):
    shot = shot_id(project)
    with StateStore(project) as store:
        assert store.want_draws(shot, None, 2, at_least=project.config.render.draws) == 4
    assert main(["render", str(project.root), "ep01", "--shots", shot]) == 0
    assert current_draws(project, shot) == [0, 1, 2, 3]
    with StateStore(project) as store:
        assert store.wanted() == {}
        # asked again: two more than the four it has now
        key = store.candidates(shot)[0].shot_key
        assert store.want_draws(shot, key, 2, at_least=project.config.render.draws) == 6


def test_a_request_made_while_a_render_finishes_an_earlier_one_is_kept(project):
    """The page asks for 1 more (3 draws); the creator edits the shot before that render finishes, asking for 2
    draws of the new version: finishing the first request must not take the second with it."""
    shot = shot_id(project)
    with StateStore(project) as store:
        store.want_draws(shot, None, 1, at_least=project.config.render.draws)
        first = store.wanted()[shot]
        assert store.want_draws(shot, "the edited version", 2) == 2
        store.drawn(shot, first)  # the render that planned for the first request is done
        assert store.wanted()[shot].draws == 2
        store.drawn(shot, store.wanted()[shot])
        assert store.wanted() == {}


def test_the_page_counts_its_draws_as_they_finish(project):
    shot = shot_id(project)
    session = ReviewSession.start(project, "ep01")
    seen: list[int] = []
    update = session._update

    def spy(job, **fields):
        if "done" in fields and fields.get("status") != "done":
            seen.append(fields["done"])
        update(job, **fields)

    session._update = spy
    try:
        session.draw(shot, 3)  # 2 drawn by any render + 3 more: the page's job counts the last three
        wait_for(lambda: any(j.status == "done" for j in session._jobs))
    finally:
        session.close()
    assert seen[-3:] == [1, 2, 3] and current_draws(project, shot) == [0, 1, 2, 3, 4]
