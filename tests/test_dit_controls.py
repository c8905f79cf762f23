"""The DiT learns its controls: `drama engine data previz` writes labelled examples the trainer reads, and each
conditioning path (depth control, camera rays, reference image) is trained: after a few steps on two clips that
differ only in that condition, the condition alone decides which clip is drawn. The proof on held-out shots is
bench/dit_controls.py (run by hand; its table is in engine/dit/README.md)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from drama.cli import main
from engine.dit import previz_data as P
from engine.dit.config import load_config
from engine.dit.data import ClipFolder, LatentBatch
from engine.dit.pipeline import DiTPipeline
from engine.dit.training import Trainer, folder_batches

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MOVE_WORDS = ("pan", "tilt", "dolly", "truck", "zoom", "static")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("previz-data")
    assert main(["engine", "data", "previz", "--count", "4", "--size", "16", "--frames", "9", "--workers", "1", "--out", str(out)]) == 0
    return out


def test_the_data_command_writes_labelled_examples_with_their_side_channels(dataset: Path):
    paths = P.example_paths(dataset)
    assert len(paths) == 4 and (dataset / "preview.png").is_file()
    for path in paths:
        e = P.load_example(path)
        assert e.video.shape == (9, 16, 16, 3) and e.depth.shape == e.mask.shape == (9, 16, 16)
        assert e.reference.shape == (16, 16, 3) and len(e.poses) == 9
        labels = e.labels
        assert (labels["move"], labels["direction"]) in P.MOVES and labels["colour"] in P.COLOURS
        # the prompt says where and who, never how the camera moves or what the character wears
        assert not any(word in e.prompt for word in MOVE_WORDS + tuple(P.COLOURS)), e.prompt
        assert (labels["set"], labels["move"], labels["direction"]) not in P.HELD_OUT_MOVES
        assert (labels["set"], labels["colour"]) not in P.HELD_OUT_COLOURS
        moved = np.abs(np.diff([[p.x, p.y, p.z, p.pan, p.tilt, p.fov] for p in e.poses], axis=0)).sum()
        assert (moved == 0) == (labels["move"] == "static")  # the path is the move that was asked for
        # the reference is the subject on grey: its corners are the grey backdrop
        assert all(abs(int(v) - 128) <= 2 for v in e.reference[[0, 0, -1, -1], [0, -1, 0, -1]].ravel())


def test_the_data_command_resumes_and_makes_held_out_combinations_on_request(dataset: Path, tmp_path: Path):
    before = {p.name: p.stat().st_mtime_ns for p in dataset.iterdir()}
    assert main(["engine", "data", "previz", "--count", "5", "--size", "16", "--frames", "9", "--workers", "1", "--out", str(dataset)]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in dataset.iterdir()}
    assert {k: after[k] for k in before if k != "preview.png"} == {k: v for k, v in before.items() if k != "preview.png"}
    assert len(P.example_paths(dataset)) == 5
    held = tmp_path / "held"
    assert main(["engine", "data", "previz", "--count", "6", "--size", "16", "--frames", "9", "--workers", "2", "--held-out", "--out", str(held)]) == 0
    for path in P.example_paths(held):
        labels = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["labels"]
        assert (labels["set"], labels["move"], labels["direction"]) in P.HELD_OUT_MOVES or (labels["set"], labels["colour"]) in P.HELD_OUT_COLOURS


def test_the_data_command_refuses_sizes_off_the_latent_grid(tmp_path: Path, capsys):
    assert main(["engine", "data", "previz", "--count", "2", "--size", "20", "--out", str(tmp_path / "d")]) != 0
    assert "--size must be a multiple of 16" in capsys.readouterr().err
    assert main(["engine", "data", "previz", "--count", "2", "--frames", "10", "--out", str(tmp_path / "d")]) != 0
    assert "1 + 4k" in capsys.readouterr().err


def test_the_trainer_reads_the_examples_with_their_conditions(dataset: Path):
    config = load_config("tiny")
    trainer = Trainer(config)
    folder = ClipFolder(dataset, config.data, config.dit, config.latent_multiple)
    clips = [c for bucket in folder.buckets.values() for c in bucket]
    assert len(clips) == len(P.example_paths(dataset)) and all(c.depth is not None and c.poses and c.reference is not None for c in clips)
    batch = next(folder_batches(folder, trainer))
    b, c, t, h, w = batch.latents.shape
    kinds = len(config.dit.control_kinds)
    assert batch.controls.shape == (b, kinds * c, t, h, w) and batch.camera.shape == (b, 6, t, h, w)
    assert batch.references.shape == (b, c, 1, h, w)
    depth = config.dit.control_kinds.index("depth")
    assert batch.controls[:, depth * c : (depth + 1) * c].abs().sum() > 0  # the depth is there …
    assert batch.controls[:, :depth * c].abs().sum() + batch.controls[:, (depth + 1) * c :].abs().sum() == 0  # … and nothing else
    assert trainer.dit_train_step(batch)["loss"] > 0


# each conditioning path learns --------------------------------------------------------------------------------

def _trainer() -> Trainer:
    cfg = load_config("tiny")
    return Trainer(cfg.model_copy(update={
        "train": cfg.train.model_copy(update={"dit_lr": 1e-2, "warmup": 10, "ema_decay": 0.0, "condition_dropout": 0.0, "i2v_prob": 0.0}),
        "flow": cfg.flow.model_copy(update={"cond_dropout": 0.0}),
    }))


def _conditioned(trainer: Trainer, condition: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Two clips with the same prompt that differ in one condition; the condition tensors of each."""
    g = torch.Generator().manual_seed(0)
    c, kinds = trainer.config.vae.latent_channels, len(trainer.config.dit.control_kinds)
    x0 = torch.randn(2, c, 3, 4, 4, generator=g)
    shape = {"controls": (2, kinds * c, 3, 4, 4), "camera": (2, 6, 3, 4, 4), "references": (2, c, 1, 4, 4)}[condition]
    return x0, {condition: torch.randn(*shape, generator=g)}


def _sample(trainer: Trainer, conditions: dict[str, torch.Tensor], index: int) -> torch.Tensor:
    pipe = DiTPipeline(trainer.config, trainer.vae, trainer.dit.eval(), trainer.text.eval())
    picked = {k: v[index : index + 1] for k, v in conditions.items()}
    return pipe.sample_latents(["the same prompt"], (3, 4, 4), [7], 8.0, 1, steps=8, guidance=1.0, **picked)[0]


# A reference is read through an attention gate that opens slower than the additive control and camera paths.
@pytest.mark.parametrize(("condition", "steps"), [("controls", 150), ("camera", 150), ("references", 500)])
def test_each_condition_alone_decides_the_sample_after_a_few_steps(condition: str, steps: int):
    torch.manual_seed(0)
    trainer = _trainer()
    x0, conditions = _conditioned(trainer, condition)
    before = [_sample(trainer, conditions, i) for i in (0, 1)]
    assert torch.equal(before[0], before[1])  # zero-initialised: an untrained path does not change the sample
    batch = LatentBatch(
        latents=x0, prompts=["the same prompt"] * 2, fps=torch.full((2,), 8.0), motion=torch.ones(2, dtype=torch.long),
        aspect=torch.full((2,), 2, dtype=torch.long), context=torch.zeros(2, dtype=torch.long), **conditions,
    )
    random.seed(0)
    for _ in range(steps):
        trainer.dit_train_step(batch)
    for i in (0, 1):
        sample = _sample(trainer, conditions, i)
        own, other = ((sample - x0[i]) ** 2).mean(), ((sample - x0[1 - i]) ** 2).mean()
        assert own < 0.5 * other, (condition, i, float(own), float(other))  # the clip its condition belongs to
