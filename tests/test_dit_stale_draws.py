"""Honest cache keys for the DiT engine: `drama engine train` resumes in place, so a draw's key holds the
checkpoint's contents, not its path — one more training step and the draws of the old weights go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from drama.cli import main
from drama.project import Project
from drama.render import StateStore
from engine.api import RenderRequest
from engine.dit.engine import DiTEngine
from tests.test_dit_engine import _clip_folder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _series(root: Path) -> Path:
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "ep01.txt").write_text("第1集\n\n1-1 日 外 操场\n△ 红色方块向左移动。\n", encoding="utf-8")
    (root / "drama.toml").write_text('title = "方块"\n\n[video]\nwidth = 96\nheight = 64\nfps = 8\n\n'
                                     '[render]\ndraws = 1\n\n[voice]\nbackend = "offline"\n', encoding="utf-8")
    return root


def test_one_more_training_step_makes_the_draws_stale(tmp_path: Path):
    data, checkpoint = _clip_folder(tmp_path / "clips"), tmp_path / "ckpt"
    train = ["engine", "train", "--data", str(data), "--config", "tiny", "--out", str(checkpoint), "--vae-steps", "1",
             "--dit-steps"]
    assert main(train + ["1"]) == 0
    root = _series(tmp_path / "series")
    render = ["render", str(root), "--engine", "dit", "--checkpoint", str(checkpoint)]
    assert main(render) == 0
    with StateStore(Project.load(root)) as store:
        [first] = store.candidates()
    request = RenderRequest(prompt="x", options={"checkpoint": str(checkpoint)})
    identity = DiTEngine.identity(request)

    assert main(train + ["2"]) == 0  # resumes in place: same folder, one more DiT step
    assert main(render) == 0
    with StateStore(Project.load(root)) as store:
        drawn = {c.key: c for c in store.candidates()}
    assert len(drawn) == 2 and drawn[first.key].stale
    assert [c.shot_id for c in drawn.values() if not c.stale] == [first.shot_id]  # drawn again with the new weights
    assert DiTEngine.identity(request) != identity
    assert DiTEngine.identity(RenderRequest(prompt="x")) == {}  # no checkpoint option: nothing to add
