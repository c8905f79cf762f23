"""`drama voice` from the command line, offline."""

from __future__ import annotations

from drama.cli import main
from tests.voice_helpers import demo_project


def test_voice_command_speaks_the_demo_episode(tmp_path, capsys):
    project = demo_project(tmp_path)
    assert main(["voice", str(project.root), "ep01", "--backend", "offline"]) == 0
    out = capsys.readouterr().out
    assert "白薇" in out and "cmn+f" in out and "offline" in out
    assert "synthesised" in out and ", 0 from the cache" in out
    assert main(["voice", str(project.root), "--backend", "offline"]) == 0
    assert "synthesised 0 line(s)" in capsys.readouterr().out


def test_voice_command_names_a_missing_episode(tmp_path, capsys):
    project = demo_project(tmp_path)
    assert main(["voice", str(project.root), "ep1"]) == 2
    err = capsys.readouterr().err
    assert "no episode 'ep1'" in err and "ep01" in err


def test_voice_command_times_the_storyboard_with_the_creator_edits(tmp_path, capsys, monkeypatch):
    from drama.cli import console
    from drama.render import StateStore
    from drama.storyboard import plan_episode

    monkeypatch.setattr(console, "_width", 240)  # the whole table
    project = demo_project(tmp_path)
    talk = next(shot for shot in plan_episode(project, "ep01").shots if shot.kind == "dialogue")
    with StateStore(project) as store:
        store.set_override(talk.id, duration=30.0)  # a held beat the creator set in review
    assert main(["voice", str(project.root), "ep01", "--backend", "offline"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if talk.id in line)
    assert "30.00" in row, "the shot lasts what the creator set, not just its line"
