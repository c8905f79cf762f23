"""`drama render`, `drama pick`, `drama status` on a tiny copy of the demo project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import render_fakes  # noqa: F401  (registers the test-squares engine)
from conftest import copy_demo
from drama.cli import main

EDITED_LINE = ("顾承泽：（淡淡）嗯。", "顾承泽：（淡淡）嗯，知道了。")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The demo at 72×128, 6 fps, one draw per shot, rendered once for the module and never changed after."""
    root = copy_demo(tmp_path_factory.mktemp("cli") / "demo", width=72, height=128, fps=6, draws=1,
                     engine="test-squares")
    assert main(["render", str(root)]) == 0
    return root


@pytest.fixture
def demo(rendered, tmp_path):
    """Each test's own copy of the rendered demo: tests rewrite its script, its drama.toml and its picks."""
    return Path(shutil.copytree(rendered, tmp_path / "demo"))


def status(root: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["status", str(root), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_render_covers_every_shot_but_title_cards(demo, capsys):
    shots = status(demo, capsys)["episodes"]["ep01"]
    rendered = [s for s in shots if s["kind"] != "title_card"]
    assert rendered and all(s["draws"] == 1 and s["picked_by"] == "auto" and not s["stale"] for s in rendered)
    assert all(s["draws"] == 0 and s["pick"] is None for s in shots if s["kind"] == "title_card")
    assert len(list((demo / "renders").iterdir())) == len(rendered)


def test_second_render_renders_nothing(demo, capsys):
    capsys.readouterr()
    assert main(["render", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "0 rendered" in out and "0 failed" in out


def test_pick_and_status(demo, capsys):
    shots = status(demo, capsys)["episodes"]["ep01"]
    shot = next(s for s in shots if s["kind"] == "dialogue")
    assert main(["render", str(demo), "--shots", shot["shot_id"], "--draws", "2"]) == 0
    capsys.readouterr()
    assert main(["pick", str(demo), shot["shot_id"][:-1] + "x", "abcd"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["pick", str(demo), shot["shot_id"], "zzzz"]) == 2
    assert "is not a candidate" in capsys.readouterr().err
    data = status(demo, capsys)
    row = next(s for s in data["episodes"]["ep01"] if s["shot_id"] == shot["shot_id"])
    assert row["draws"] == 2
    with_lower = [c for c in _candidates(demo, shot["shot_id"]) if c != row["pick"]][0]
    assert main(["pick", str(demo), shot["shot_id"], with_lower]) == 0
    data = status(demo, capsys)
    row = next(s for s in data["episodes"]["ep01"] if s["shot_id"] == shot["shot_id"])
    assert (row["pick"], row["picked_by"]) == (with_lower, "creator")
    assert data["picks"] == {shot["shot_id"]: with_lower}
    assert main(["pick", str(demo), shot["shot_id"], "auto"]) == 0
    assert status(demo, capsys)["picks"] == {}
    capsys.readouterr()
    assert main(["status", str(demo)]) == 0
    assert shot["shot_id"] in capsys.readouterr().out


def _candidates(root: Path, shot_id: str) -> list[str]:
    manifests = [json.loads((p / "candidate.json").read_text()) for p in (root / "renders").iterdir()]
    return [m["id"] for m in manifests if m["shot_id"] == shot_id]


def test_editing_one_line_rerenders_only_its_shots(demo, capsys):
    before = {s["shot_id"] for s in status(demo, capsys)["episodes"]["ep01"]}
    script = demo / "episodes" / "ep01.txt"
    script.write_text(script.read_text(encoding="utf-8").replace(*EDITED_LINE), encoding="utf-8")
    capsys.readouterr()
    assert main(["render", str(demo)]) == 0
    out = capsys.readouterr().out
    after = status(demo, capsys)["episodes"]["ep01"]
    changed = [s for s in after if s["shot_id"] not in before or s["stale_draws"]]
    assert 1 <= len(changed) <= 2, changed
    assert f"{len(changed)} rendered" in out


def test_bad_engine_and_failures_exit_nonzero(demo, capsys):
    capsys.readouterr()
    assert main(["render", str(demo), "--engine", "previx"]) == 2
    err = capsys.readouterr().err
    assert "available engines" in err and "previz" in err
    toml = demo / "drama.toml"
    original = toml.read_text(encoding="utf-8")
    toml.write_text(original.replace("[render]", "[render]\nengine_options = { fail = true }"), encoding="utf-8")
    try:
        assert main(["render", str(demo), "--draws", "1"]) == 1
        err = capsys.readouterr().err
        assert "failed" in err and "asked to fail" in err
    finally:
        toml.write_text(original, encoding="utf-8")
