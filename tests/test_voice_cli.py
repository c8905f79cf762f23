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


def test_voice_command_lists_a_dual_line_with_its_shot(tmp_path, capsys, monkeypatch):
    """Fountain dual dialogue is voiced as a second line of one shot; the table shows it against that shot."""
    from drama.cli import console
    from tests.test_review_notes import CAST, CONFIG, SCRIPT

    monkeypatch.setattr(console, "_width", 240)
    root = tmp_path / "dual"
    (root / "episodes").mkdir(parents=True)
    (root / "drama.toml").write_text(CONFIG, encoding="utf-8")
    (root / "cast.toml").write_text(CAST, encoding="utf-8")
    (root / "episodes" / "ep01.fountain").write_text(SCRIPT, encoding="utf-8")
    assert main(["voice", str(root), "--backend", "offline"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "Sorry." in line or "sirens" in line]
    assert len(rows) == 2
    shot_id = rows[0].split("│")[1].strip()
    assert rows[1].split("│")[1].strip() == f"{shot_id}^"
    assert rows[0].split("│")[-3].strip() == rows[1].split("│")[-3].strip(), "both rows show the one shot's length"
