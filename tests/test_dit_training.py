"""Training and checkpoints: a tiny model overfits one clip; save → load gives identical outputs; resume."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.dit import synthetic
from engine.dit.checkpoint import load_checkpoint
from engine.dit.config import load_config
from engine.dit.data import LatentBatch, latent_batch
from engine.dit.pipeline import DiTPipeline
from engine.dit.training import Trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(**train):
    cfg = load_config("tiny")
    return cfg.model_copy(update={"train": cfg.train.model_copy(update=train), "flow": cfg.flow.model_copy(update={"cond_dropout": 0.0})})


def _batch(x0: torch.Tensor, prompt: str, size: int) -> LatentBatch:
    return LatentBatch(
        latents=x0.repeat(size, 1, 1, 1, 1),
        prompts=[prompt] * size,
        fps=torch.full((size,), 8.0),
        motion=torch.ones(size, dtype=torch.long),
        aspect=torch.full((size,), 2, dtype=torch.long),
        context=torch.zeros(size, dtype=torch.long),
    )


def test_a_tiny_model_overfits_one_clip():
    torch.manual_seed(0)
    trainer = Trainer(_config(dit_lr=1e-2, warmup=10, ema_decay=0.0))
    x0 = torch.randn(1, 4, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    batch = _batch(x0, "a red square moving left", 8)
    first = trainer.dit_train_step(batch)["loss"]
    for _ in range(200):
        last = trainer.dit_train_step(batch)["loss"]
    assert last < 0.05 * first
    pipe = DiTPipeline(trainer.config, trainer.vae, trainer.dit.eval(), trainer.text.eval())
    sample = pipe.sample_latents(["a red square moving left"], (3, 4, 4), [123], 8.0, 1, steps=10, guidance=1.0)
    # the clip, not noise (which would be ≈ 2); the error depends on the CPU's float kernels (0.13 on an AMD EPYC)
    assert ((sample - x0) ** 2).mean() < 0.25


def _trained(tmp_path: Path) -> Trainer:
    torch.manual_seed(0)
    trainer = Trainer(_config(), tmp_path / "ckpt")
    rng = np.random.default_rng(0)
    clips = [synthetic.random_clip(rng, 9, 16) for _ in range(2)]
    video = synthetic.to_tensor([c.video for c in clips])
    trainer.vae_train_step(video)
    trainer.fit_latent_stats([video])
    latents = trainer.vae.encode(video).detach()
    batch = latent_batch(list(latents), [c.prompt for c in clips], [c.fps for c in clips], [1, 2], [2, 2], 3, 0.3, 0.3, random.Random(0))
    for _ in range(2):
        trainer.dit_train_step(batch)
    return trainer


def test_save_then_load_gives_identical_outputs(tmp_path: Path):
    trainer = _trained(tmp_path)
    path = trainer.save()
    assert {p.name for p in path.iterdir()} >= {"config.json", "vae.safetensors", "dit.safetensors", "text_encoder.safetensors"}
    config, vae, dit, text = load_checkpoint(path)
    assert config == trainer.config
    ema_dit, ema_text = trainer.ema.shadows
    before = DiTPipeline(trainer.config, trainer.vae.eval(), ema_dit, ema_text)
    after = DiTPipeline(config, vae, dit, text)
    args = (["红色方块向左移动", "a blue square moving up"], (3, 4, 4), [5, 6], 8.0, 1)
    first = before.sample_latents(*args)
    assert torch.equal(first, after.sample_latents(*args))
    assert torch.equal(first, after.sample_latents(*args))  # deterministic per seed
    assert not torch.equal(first, after.sample_latents(args[0], args[1], [7, 8], 8.0, 1))
    assert torch.equal(before.vae.decode(first), after.vae.decode(first))


def test_resume_restores_weights_optimiser_and_steps(tmp_path: Path):
    trainer = _trained(tmp_path)
    trainer.save()
    resumed = Trainer(trainer.config, tmp_path / "ckpt")
    assert (resumed.vae_step, resumed.dit_step, resumed.latent_stats) == (1, 2, True)
    for a, b in zip(trainer.dit.parameters(), resumed.dit.parameters(), strict=False):
        assert torch.equal(a, b)
    for a, b in zip(trainer.ema.shadows[0].parameters(), resumed.ema.shadows[0].parameters(), strict=False):
        assert torch.equal(a, b)
    state_a, state_b = trainer.dit_opt.state_dict()["state"], resumed.dit_opt.state_dict()["state"]
    assert state_a.keys() == state_b.keys() and all(torch.equal(state_a[k]["exp_avg"], state_b[k]["exp_avg"]) for k in state_a)
