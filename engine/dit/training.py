"""Training: the VAE first (reconstruction + KL), then per-channel latent statistics, then the DiT
and text encoder together on rectified flow. AdamW with warm-up, gradient clipping, EMA weights for
sampling, gradient checkpointing and bf16 autocast where the device has them, and resume from the
last checkpoint."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.dit import flow
from engine.dit.checkpoint import build_models, flatten_optimizer, load_training, save_checkpoint, unflatten_optimizer
from engine.dit.config import ModelConfig
from engine.dit.camera import plucker_rays, relative_path
from engine.dit.data import Clip, ClipFolder, Conditions, LatentBatch, latent_batch, motion_bucket, aspect_bucket
from engine.dit.models.text import ByteTextEncoder
from engine.dit.pipeline import DiTPipeline

Progress = Callable[[str, int, int, dict[str, float]], None]  # (phase, step, total, metrics)


class EMA:
    """An exponential moving average of some modules' weights, with the usual warm-up of the decay."""

    def __init__(self, modules: list[nn.Module], decay: float):
        self.modules = modules
        self.decay = decay
        self.shadows = [copy.deepcopy(m).requires_grad_(False).eval() for m in modules]

    @torch.no_grad()
    def update(self, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for shadow, module in zip(self.shadows, self.modules, strict=False):
            for ps, pm in zip(shadow.parameters(), module.parameters(), strict=False):
                ps.lerp_(pm.detach(), 1 - decay)
            for bs, bm in zip(shadow.buffers(), module.buffers(), strict=False):
                bs.copy_(bm)


def _warmup(step: int, warmup: int) -> float:
    return min(1.0, (step + 1) / max(1, warmup))


def _autocast(device: torch.device):
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()


class Trainer:
    """Owns the models, optimisers, EMA and step counters of one training run in `out_dir`."""

    def __init__(self, config: ModelConfig, out_dir: Path | None = None, device: str = "cpu"):
        self.config = config
        self.out_dir = Path(out_dir) if out_dir else None
        self.device = torch.device(device)
        self.vae, self.dit, self.text = build_models(config)
        for module in (self.vae, self.dit, self.text):
            module.to(self.device)
        tc = config.train
        self.generator = torch.Generator().manual_seed(tc.seed)
        self.rng = random.Random(tc.seed)
        self.learned_text = isinstance(self.text, ByteTextEncoder)
        self.dit_modules: list[nn.Module] = [self.dit] + ([self.text] if self.learned_text else [])
        self.vae_opt = torch.optim.AdamW(self.vae.parameters(), lr=tc.vae_lr, betas=(0.9, 0.99), weight_decay=tc.weight_decay)
        params = [p for m in self.dit_modules for p in m.parameters()]
        self.dit_opt = torch.optim.AdamW(params, lr=tc.dit_lr, betas=(0.9, 0.99), weight_decay=tc.weight_decay)
        self.ema = EMA(self.dit_modules, tc.ema_decay)
        self.vae_step = 0
        self.dit_step = 0
        self.latent_stats = False
        if self.out_dir is not None and (saved := load_training(self.out_dir)) is not None:
            self._restore(*saved)

    # one step each ------------------------------------------------------------------------------
    def vae_train_step(self, video: torch.Tensor) -> dict[str, float]:
        self.vae.train()
        video = video.to(self.device)
        with _autocast(self.device):
            recon, kl = self.vae(video, self.generator)
        recon = recon.float()
        rec = F.l1_loss(recon, video) + F.mse_loss(recon, video)
        loss = rec + self.config.vae.kl_weight * kl
        self._apply(self.vae_opt, loss, list(self.vae.parameters()), self.vae_step, self.config.train.vae_lr)
        self.vae_step += 1
        return {"loss": loss.item(), "recon": rec.item(), "kl": kl.item()}

    def dit_train_step(self, batch: LatentBatch) -> dict[str, float]:
        cfg = self.config
        for m in self.dit_modules:
            m.train()
        x0 = batch.latents.to(self.device)
        b, _, frames, h, w = x0.shape
        prompts = ["" if self.rng.random() < cfg.flow.cond_dropout else p for p in batch.prompts]
        pt, ph, pw = cfg.dit.patch
        shift = flow.shift_for(cfg.flow, (frames // pt) * (h // ph) * (w // pw))
        t = flow.sample_time(b, cfg.flow, shift, self.generator)[:, None].repeat(1, frames)
        t[torch.arange(frames)[None] < batch.context[:, None]] = 0.0
        t = t.to(self.device)
        noise = flow.noise_like(tuple(x0.shape), cfg.flow.frame_noise_corr, self.generator).to(self.device)
        x_t = flow.interpolate(x0, noise, t)
        controls, camera, references = self._dropped(batch)
        with _autocast(self.device):
            text, mask = self.text.encode(prompts)
            pred = self.dit(
                x_t, t, text, mask, batch.fps.to(self.device), batch.motion.to(self.device), batch.aspect.to(self.device),
                batch.t_offset, controls, camera, references,
            )
        loss = flow.loss(pred.float(), x0, noise, t, cfg.dit.prediction, cfg.flow.t_min)
        params = [p for m in self.dit_modules for p in m.parameters()]
        self._apply(self.dit_opt, loss, params, self.dit_step, cfg.train.dit_lr)
        self.dit_step += 1
        self.ema.update(self.dit_step)
        return {"loss": loss.item()}

    def _dropped(self, batch: LatentBatch) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
        """The batch's controls and camera with each clip's zeroed at the condition-dropout rate (zeros are what an
        absent condition looks like), and its references kept or dropped for the whole batch."""
        p = self.config.train.condition_dropout

        def per_clip(x: torch.Tensor | None) -> torch.Tensor | None:
            if x is None:
                return None
            keep = torch.tensor([self.rng.random() >= p for _ in range(x.shape[0])], dtype=x.dtype)
            return (x * keep.view(-1, *[1] * (x.dim() - 1))).to(self.device)

        references = batch.references if batch.references is not None and self.rng.random() >= p else None
        return per_clip(batch.controls), per_clip(batch.camera), None if references is None else references.to(self.device)

    def _apply(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, params: list[torch.Tensor], step: int, lr: float) -> None:
        for group in optimizer.param_groups:
            group["lr"] = lr * _warmup(step, self.config.train.warmup)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, self.config.train.grad_clip)
        optimizer.step()

    @torch.no_grad()
    def fit_latent_stats(self, videos: list[torch.Tensor]) -> None:
        """Per-channel latent mean/std over some clips, so the DiT sees unit-variance latents."""
        self.vae.eval()
        raw = [self.vae.encode_distribution(self.vae.pad(v.to(self.device)))[0] for v in videos]
        flat = torch.cat([z.transpose(0, 1).reshape(z.shape[1], -1) for z in raw], dim=1)
        self.vae.set_latent_stats(flat.T)
        self.latent_stats = True

    # checkpoints -------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        path = Path(path or self.out_dir)
        training = {f"vae.{k}": v for k, v in _state(self.vae).items()}
        for i, module in enumerate(self.dit_modules):
            training.update({f"raw{i}.{k}": v for k, v in _state(module).items()})
        vae_flat, vae_groups = flatten_optimizer("vae_opt", self.vae_opt)
        dit_flat, dit_groups = flatten_optimizer("dit_opt", self.dit_opt)
        training.update(vae_flat)
        training.update(dit_flat)
        state = {
            "vae_step": self.vae_step,
            "dit_step": self.dit_step,
            "latent_stats": self.latent_stats,
            "vae_opt_groups": vae_groups,
            "dit_opt_groups": dit_groups,
        }
        ema_dit, *ema_text = self.ema.shadows
        save_checkpoint(path, self.config, self.vae, ema_dit, ema_text[0] if ema_text else self.text, training, state)
        return path

    def _restore(self, tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> None:
        from safetensors.torch import load_file

        self.vae.load_state_dict(_prefixed(tensors, "vae."))
        for i, module in enumerate(self.dit_modules):
            module.load_state_dict(_prefixed(tensors, f"raw{i}."))
        ema_dit = load_file(self.out_dir / "dit.safetensors")
        self.ema.shadows[0].load_state_dict(ema_dit)
        if self.learned_text:
            self.ema.shadows[1].load_state_dict(load_file(self.out_dir / "text_encoder.safetensors"))
        self.vae_opt.load_state_dict(unflatten_optimizer("vae_opt", tensors, state["vae_opt_groups"]))
        self.dit_opt.load_state_dict(unflatten_optimizer("dit_opt", tensors, state["dit_opt_groups"]))
        self.vae_step, self.dit_step = state["vae_step"], state["dit_step"]
        self.latent_stats = state["latent_stats"]


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def _prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def encode_conditions(pipe: DiTPipeline, clip: Clip) -> Conditions:
    """A clip's depth, camera path and reference on the latent grid, encoded exactly as sampling encodes a draw's
    controls (`DiTPipeline.generate`), so what the model learns from is what it is given when drawing."""
    _, frames, height, width = clip.video.shape
    depth = pipe.control_latents({"depth": clip.depth}, {}, frames, height, width) if clip.depth is not None and "depth" in pipe.config.dit.control_kinds else None
    rays = plucker_rays(relative_path(clip.poses), height, width) if clip.poses else None
    camera = pipe.camera_latents(rays, frames, height, width) if rays is not None else None
    reference = pipe.encode_image(clip.reference, height, width) if clip.reference is not None else None
    return Conditions(None if depth is None else depth[0], None if camera is None else camera[0], reference)


def folder_batches(folder: ClipFolder, trainer: Trainer) -> Iterator[LatentBatch]:
    """Endless DiT batches from a clip folder, encoded by the (frozen) VAE on the fly, with their conditions."""
    cfg = trainer.config
    pipe = DiTPipeline(cfg, trainer.vae, trainer.dit, trainer.text, trainer.device)
    while True:
        clips = folder.sample(cfg.train.batch_size, trainer.rng)
        with torch.no_grad():
            trainer.vae.eval()
            latents = trainer.vae.encode(torch.stack([c.video for c in clips]).to(trainer.device))
            conditions = [encode_conditions(pipe, c) for c in clips]
        _, h, w = clips[0].video.shape[1:]
        yield latent_batch(
            list(latents),
            [c.prompt for c in clips],
            [c.fps for c in clips],
            [motion_bucket(c.video, cfg.dit.motion_buckets) for c in clips],
            [aspect_bucket(w, h, cfg.dit.aspect_ratios)] * len(clips),
            cfg.dit.max_latent_frames,
            cfg.train.i2v_prob,
            cfg.train.extend_prob,
            trainer.rng,
            conditions,
        )


def train_on_folder(trainer: Trainer, folder: ClipFolder, progress: Progress | None = None) -> Path:
    """`drama engine train`: VAE steps, latent statistics, DiT steps; saves every `save_every` and at the end."""
    tc = trainer.config.train
    report = progress or (lambda *_: None)
    while trainer.vae_step < tc.vae_steps:
        clips = folder.sample(tc.batch_size, trainer.rng)
        metrics = trainer.vae_train_step(torch.stack([c.video for c in clips]))
        report("vae", trainer.vae_step, tc.vae_steps, metrics)
        if trainer.vae_step % tc.save_every == 0:
            trainer.save()
    if not trainer.latent_stats:
        clips = [c for bucket in folder.buckets.values() for c in bucket][:256]
        trainer.fit_latent_stats([c.video[None] for c in clips])
        trainer.save()
    batches = folder_batches(folder, trainer)
    while trainer.dit_step < tc.dit_steps:
        metrics = trainer.dit_train_step(next(batches))
        report("dit", trainer.dit_step, tc.dit_steps, metrics)
        if trainer.dit_step % tc.save_every == 0:
            trainer.save()
    return trainer.save()
