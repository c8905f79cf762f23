"""Paid draws through drama's executor against the fake Kling: end to end from the CLI, a `kill -9` between
submit and download, the budget, the concurrency limit, refusals, stuck tasks, and keys that never leak."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drama.cli import main
from drama.project import Project
from drama.render.state import StateStore
from english_project import SCREENPLAY, SHOTS, english_project, said
from fakes.kling import ACCESS_KEY, SECRET_KEY, KlingFake, kling_in_environment

def make_project(root: Path, *, draws: int = 2, render: str = "", engine: str = "") -> Path:
    """A three-shot English project on the kling engine, polled fast (the fake answers in fractions of a second)."""
    return english_project(root, f'[video]\nwidth = 144\nheight = 256\nfps = 12\n'
                                 f'[render]\nengine = "kling"\ndraws = {draws}\n{render}\n[voice]\nbackend = "offline"\n'
                                 f'[engines.kling]\npoll_interval = 0.05\n{engine}\n', title="remote")


@pytest.fixture
def kling(monkeypatch):
    with kling_in_environment(monkeypatch, latency=0.2) as fake:
        yield fake


def ledger(root: Path):
    with StateStore(Project.load(root)) as store:
        return store.ledger()


def candidates(root: Path):
    with StateStore(Project.load(root)) as store:
        return store.candidates()


def test_render_on_kling_end_to_end(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p")
    assert main(["render", str(root)]) == 0
    found = candidates(root)
    assert len(found) == SHOTS * 2 and len(kling.tasks) == SHOTS * 2
    for candidate in found:
        manifest = json.loads((candidate.path / "candidate.json").read_text(encoding="utf-8"))
        assert manifest["clip"]["meta"]["provider"] == "kling" and candidate.video.stat().st_size > 0
    entries = ledger(root)
    assert len(entries) == SHOTS * 2 and {e.outcome for e in entries} == {"billed"}
    assert all(e.task_id and e.cost > 0 for e in entries)
    # a second run finds every draw and submits nothing
    assert main(["render", str(root)]) == 0
    assert len(kling.tasks) == SHOTS * 2 and "0 rendered" in capsys.readouterr().out
    # status shows the spend per shot and episode
    capsys.readouterr()
    assert main(["status", str(root), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert sum(status["spend"]["ep01"].values()) == pytest.approx(sum(e.cost for e in entries), abs=1e-3)


def _fake(engine: str):
    """Each provider's fake and the environment that points the engine at it (keys are the fakes' own)."""
    from fakes.ark import ArkFake
    from fakes.comfyui import ComfyUIFake
    from fakes.fal import FalFake
    from fakes.minimax import MiniMaxFake

    if engine == "kling":
        fake = KlingFake(latency=0.1)
        return fake, fake.environ
    fake, variables = {"seedance": (ArkFake(latency=0.1), ("ARK_API_KEY", "ARK_API_BASE")),
                       "hailuo": (MiniMaxFake(latency=0.1), ("MINIMAX_API_KEY", "MINIMAX_API_BASE")),
                       "fal": (FalFake(latency=0.1), ("FAL_KEY", "FAL_QUEUE_BASE")),
                       "comfyui": (ComfyUIFake(latency=0.1), (None, "COMFYUI_URL"))}[engine]
    key = getattr(fake, "key", None)
    base = fake.url + ("/v1" if engine == "hailuo" else "/api/v3" if engine == "seedance" else "")
    return fake, lambda: {name: value for name, value in zip(variables, (key, base), strict=False) if name}


@pytest.mark.parametrize("engine", ["kling", "seedance", "hailuo", "fal", "comfyui"])
def test_every_remote_engine_renders_through_drama_render(tmp_path, engine, monkeypatch, capsys):
    fake, environ = _fake(engine)
    with fake:
        for name, value in environ().items():
            monkeypatch.setenv(name, value)
        root = make_project(tmp_path / "p", draws=1)
        assert main(["render", str(root), "--engine", engine]) == 0, said(capsys)
        found = candidates(root)
        assert len(found) == SHOTS and {c.engine for c in found} == {engine}
        assert {e.outcome for e in ledger(root)} == {"billed"} and len(ledger(root)) == SHOTS


def test_make_cuts_an_episode_from_kling_draws(tmp_path, kling):
    root = make_project(tmp_path / "p", draws=1)
    assert main(["make", str(root)]) == 0
    from engine.video import probe

    cut = probe(root / "exports" / "ep01.mp4")
    assert (cut.width, cut.height) == (144, 256) and cut.num_frames / cut.fps > 5  # three shots, about 6.5 s
    assert len(kling.tasks) == SHOTS


@pytest.mark.parametrize("engine", ["kling", "kling-image"])
def test_kill_9_between_submit_and_download_submits_each_job_once(tmp_path, kling, engine):
    """The render is killed while every task is still running; the rerun downloads their results and
    submits nothing again: video draws, and stills (keyframes, sheets) on Kling's image API alike."""
    root = make_project(tmp_path / "p", engine=f"concurrency = {SHOTS * 2}")
    if engine != "kling":  # the project polls and fans out as fast on it
        config = root / "drama.toml"
        config.write_text(config.read_text(encoding="utf-8").replace('engine = "kling"', f'engine = "{engine}"')
                          + f"[engines.{engine}]\npoll_interval = 0.05\nconcurrency = {SHOTS * 2}\n", encoding="utf-8")
    kling.latency = 6.0
    env = {**os.environ, **kling.environ()}
    driver = subprocess.Popen([sys.executable, "-m", "drama", "render", str(root)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(kling.tasks) < SHOTS * 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.05)
    assert len(kling.tasks) == SHOTS * 2, driver.stderr.read().decode() if driver.poll() is not None else "timeout"
    time.sleep(0.3)  # let the last task record reach the state store (it is written right after the create)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert not candidates(root), "the kill came before any task finished"
    kling.latency = 0.2
    assert main(["render", str(root)]) == 0
    assert len(candidates(root)) == SHOTS * 2
    assert len(kling.tasks) == SHOTS * 2 and all(count == 1 for count in kling.creates.values())
    assert {e.outcome for e in ledger(root)} == {"billed"} and len(ledger(root)) == SHOTS * 2


def test_tasks_of_a_shot_edited_while_they_ran_are_still_collected(tmp_path, kling):
    """Paid for is kept: a run killed while tasks run, the screenplay edited, the next run downloads the old
    tasks' results (as draws of the old shot) besides drawing the new one."""
    root = make_project(tmp_path / "p", draws=1, engine=f"concurrency = {SHOTS}")
    kling.latency = 30.0
    driver = subprocess.Popen([sys.executable, "-m", "drama", "render", str(root)], env={**os.environ, **kling.environ()},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(kling.tasks) < SHOTS and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    screenplay = root / "episodes" / "ep01.fountain"
    screenplay.write_text(screenplay.read_text().replace("Rain falls", "Snow falls"), encoding="utf-8")
    for task in kling.tasks.values():
        task.ready = time.monotonic()
    kling.latency = 0.1
    assert main(["render", str(root)]) == 0
    assert len(kling.tasks) == SHOTS + 1  # the edited shot drawn anew, nothing else submitted again
    drawn = candidates(root)
    assert len(drawn) == SHOTS + 1  # and the task of the shot as it was is downloaded, not lost
    with StateStore(Project.load(root)) as store:
        assert {row.state for row in store.tasks()} == {"done"}
        assert {e.outcome for e in store.ledger()} == {"billed"}


def test_ctrl_c_while_tasks_run_stops_promptly_and_the_rerun_submits_nothing_again(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p", engine=f"concurrency = {SHOTS * 2}")
    kling.latency = 30.0
    driver = subprocess.Popen([sys.executable, "-m", "drama", "render", str(root)], env={**os.environ, **kling.environ()},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(kling.tasks) < SHOTS * 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    interrupted = time.monotonic()
    driver.send_signal(signal.SIGINT)
    assert driver.wait(timeout=20) == 130
    assert time.monotonic() - interrupted < 5, "workers must leave at their next wait"
    assert "interrupted" in driver.stderr.read().decode()
    with StateStore(Project.load(root)) as store:
        rows = store.tasks()
    assert len(rows) == SHOTS * 2 and {row.state for row in rows} <= {"queued", "running"}
    # the review page's cards show each shot's paid tasks and their phase (read from the store, nothing rendered)
    from drama.review.session import ReviewSession

    session = ReviewSession.start(Project.load(root), "ep01")
    try:
        cards = session.view()["shots"]
    finally:
        session.close()
    phases = sorted(job["name"] for card in cards for job in card["jobs"] if job["id"].startswith("task-"))
    assert len(phases) == SHOTS * 2 and all(name.startswith("kling draw ") for name in phases)
    assert {name.rsplit(": ", 1)[1] for name in phases} <= {"queued", "running"} and len(kling.tasks) == SHOTS * 2
    # and drama status counts them per shot
    capsys.readouterr()
    assert main(["status", str(root), "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["paid_tasks_in_flight"].values()) == [2] * SHOTS
    for task in kling.tasks.values():  # the provider finishes them meanwhile
        task.ready = time.monotonic()
    assert main(["render", str(root)]) == 0
    assert len(candidates(root)) == SHOTS * 2 and len(kling.tasks) == SHOTS * 2


def test_budget_is_never_exceeded(tmp_path, kling, capsys):
    per_draw = 0.5
    budget = 4 * per_draw + 0.01  # room for four draws of nine
    root = make_project(tmp_path / "p", draws=3, render=f"budget = {budget}", engine=f"price_per_task = {per_draw}")
    assert main(["render", str(root)]) == 0  # the render did all the budget allows
    out = said(capsys)
    entries = ledger(root)
    spent = sum(e.cost for e in entries if e.outcome != "not_billed")
    assert spent <= budget + 1e-9
    assert len(kling.tasks) == len(entries) == 4
    assert f"not drawn {SHOTS * 3 - 4} draw(s): the budget of episode ep01" in out


def test_in_flight_tasks_never_exceed_the_concurrency_limit(tmp_path, kling):
    root = make_project(tmp_path / "p", draws=3, engine="concurrency = 2")
    kling.latency = 0.5
    assert main(["render", str(root)]) == 0
    assert kling.max_in_flight == 2  # reached, never exceeded
    assert len(candidates(root)) == SHOTS * 3


def test_a_refused_draw_fails_alone_and_is_not_billed(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p", engine="concurrency = 1")
    kling.fail_next("Failure to pass the risk control system")
    assert main(["render", str(root)]) == 1
    assert "risk control system" in said(capsys)
    assert len(candidates(root)) == SHOTS * 2 - 1
    outcomes = sorted(e.outcome for e in ledger(root))
    assert outcomes.count("not_billed") == 1 and outcomes.count("billed") == SHOTS * 2 - 1
    # the rerun draws the failed one again under a new external id (Kling keeps the failed task under the old one)
    assert main(["render", str(root)]) == 0
    assert len(candidates(root)) == SHOTS * 2


def test_a_stuck_task_times_out_and_is_waited_for_again_not_resubmitted(tmp_path, kling, capsys):
    root = make_project(tmp_path / "p", draws=1, engine="concurrency = 1\ntimeout = 1.0")
    kling.stick_next()
    assert main(["render", str(root)]) == 1
    assert "not finished after 1s" in said(capsys)
    created = len(kling.tasks)
    assert created == SHOTS and len(candidates(root)) == SHOTS - 1
    assert main(["render", str(root)]) == 1  # still stuck: polled again, not submitted again
    assert len(kling.tasks) == created


def test_stop_at_score_spares_later_draws(tmp_path, kling):
    root = make_project(tmp_path / "p", draws=3, render="stop_at_score = 0.0", engine="concurrency = 1")
    assert main(["render", str(root)]) == 0
    assert len(kling.tasks) == SHOTS  # one draw per shot was enough


def test_a_wrong_key_names_the_variable_and_no_key_reaches_any_file(tmp_path, kling, monkeypatch, capsys):
    root = make_project(tmp_path / "p", draws=1)
    assert main(["render", str(root)]) == 0
    monkeypatch.setenv("KLING_SECRET_KEY", "wrong-secret-" + SECRET_KEY[::-1])
    (root / "episodes" / "ep01.fountain").write_text(SCREENPLAY + "\nA bird lands.\n", encoding="utf-8")
    submitted = len(kling.tasks)
    assert main(["render", str(root)]) == 1
    out = capsys.readouterr()
    assert "KLING_SECRET_KEY" in out.err and len(kling.tasks) == submitted
    monkeypatch.delenv("KLING_ACCESS_KEY")
    assert main(["engines", str(root)]) == 0
    out = out.out + out.err + "".join(capsys.readouterr())
    secrets = (ACCESS_KEY, SECRET_KEY, "wrong-secret-")
    for secret in secrets:
        assert secret not in out
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret.encode() in data for secret in secrets), path


def test_keys_from_an_env_file_outside_the_project_never_one_inside(tmp_path, kling, monkeypatch, capsys):
    root = make_project(tmp_path / "p", draws=1)
    outside = tmp_path / "drama.env"
    outside.write_text(f"# kling\nKLING_ACCESS_KEY={ACCESS_KEY}\nexport KLING_SECRET_KEY='{SECRET_KEY}'\n", encoding="utf-8")
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"):
        monkeypatch.delenv(name)
    inside = root / "keys.env"
    inside.write_text(outside.read_text(), encoding="utf-8")
    monkeypatch.setenv("DRAMA_ENV_FILE", str(inside))
    assert main(["render", str(root)]) == 2
    assert "DRAMA_ENV_FILE points inside the project" in said(capsys)
    inside.unlink()
    monkeypatch.setenv("DRAMA_ENV_FILE", str(outside))
    assert main(["render", str(root)]) == 0
    assert len(candidates(root)) == SHOTS
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET_KEY.encode() not in path.read_bytes(), path

