"""Proof that the DiT engine learns, on this CPU, from procedural data made in-process.

A coloured square moves in one of four directions; the prompt names colour and direction (English
or Chinese); the frame rate sets the stride. Four colour × direction pairs are held out of training.
The script trains the causal VAE, then the DiT, and every few minutes samples the held-out prompts
and reports: direction accuracy (chance 25 %) and colour accuracy from the tracked centroid and
colour, image-to-video first-frame error, and whether an extension continues smoothly across the
chunk boundary. The learning curve goes to OUT/curve.jsonl and the console.

    PYTHONPATH=. python bench/dit_learning.py --minutes 60 --out runs/dit-proof
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.dit import synthetic as S  # noqa: E402
from engine.dit.config import ModelConfig, load_config  # noqa: E402
from engine.dit.data import latent_batch  # noqa: E402
from engine.dit.pipeline import DiTPipeline  # noqa: E402
from engine.dit.training import Trainer  # noqa: E402
from engine.video import write_mp4  # noqa: E402

SIZE = 32
VAE_FRAMES = 17
CLIP_FRAMES = 25  # 7 latent frames: windows of 5 for text/image-to-video, later windows for extension


def log(out: Path, record: dict) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)
    with (out / "curve.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """[3, T, H, W] in [-1, 1] → [T, H, W, 3] uint8."""
    return ((video.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).numpy()


def train_vae(trainer: Trainer, seconds: float, rng: np.random.Generator, out: Path) -> None:
    start = time.time()
    while time.time() - start < seconds and trainer.vae_step < trainer.config.train.vae_steps:
        clips = [S.random_clip(rng, VAE_FRAMES, SIZE) for _ in range(8)]
        metrics = trainer.vae_train_step(S.to_tensor([c.video for c in clips]))
        if trainer.vae_step % 100 == 0:
            log(out, {"phase": "vae", "step": trainer.vae_step, "seconds": round(time.time() - start), **{k: round(v, 4) for k, v in metrics.items()}})


class LatentBank:
    """Training clips encoded once by the frozen VAE; prompts are re-drawn from templates per batch."""

    def __init__(self, trainer: Trainer, count: int, rng: np.random.Generator):
        self.clips = [S.random_clip(rng, CLIP_FRAMES, SIZE) for _ in range(count)]
        trainer.vae.eval()
        with torch.no_grad():
            self.latents = torch.cat([trainer.vae.encode(S.to_tensor([c.video for c in self.clips[i : i + 64]])) for i in range(0, count, 64)])

    def batch(self, trainer: Trainer, size: int, rng: random.Random):
        idx = [rng.randrange(len(self.clips)) for _ in range(size)]
        clips = [self.clips[i] for i in idx]
        tc = trainer.config.train
        return latent_batch(
            [self.latents[i] for i in idx],
            [S.prompt_for(c.colour, c.direction, rng.randrange(len(S.TEMPLATES_EN) + 1)) for c in clips],
            [c.fps for c in clips],
            [S.motion_bucket_for(c.fps) for c in clips],
            [2] * size,
            trainer.config.dit.max_latent_frames,
            tc.i2v_prob,
            tc.extend_prob,
            rng,
        )


def ema_pipeline(trainer: Trainer) -> DiTPipeline:
    ema_dit, *ema_text = trainer.ema.shadows
    return DiTPipeline(trainer.config, trainer.vae.eval(), ema_dit, ema_text[0] if ema_text else trainer.text)


def evaluate(pipe: DiTPipeline, seeds: int, out: Path | None = None, guidance: float | None = None) -> dict:
    """Sample the held-out colour × direction prompts and measure them."""
    vae = pipe.vae
    lat = vae.latent_shape(VAE_FRAMES, SIZE, SIZE)
    cases = [(c, d, fps, s) for (c, d) in sorted(S.HELD_OUT) for fps in (8.0, 16.0) for s in range(seeds)]
    result: dict = {}

    # text-to-video, per fps (one batch each, so motion bucket and fps are shared)
    hits_dir, hits_col, t2v_latents, t2v_cases = [], [], [], []
    for fps in (8.0, 16.0):
        group = [case for case in cases if case[2] == fps]
        prompts = [S.prompt_for(c, d, s % (len(S.TEMPLATES_EN) + 1)) for c, d, _, s in group]
        z = pipe.sample_latents(prompts, lat, [1000 + i for i in range(len(group))], fps, S.motion_bucket_for(fps), guidance=guidance)
        videos = [to_uint8(v) for v in vae.decode(z)]
        for (c, d, _, _), video in zip(group, videos, strict=False):
            hits_dir.append(S.direction_of(video) == d)
            hits_col.append(S.colour_of(video) == c)
        result[f"direction_acc_fps{int(fps)}"] = round(float(np.mean(hits_dir[-len(group):])), 3)
        t2v_latents.append(z)
        t2v_cases += group
        if out is not None:
            strip = np.concatenate([np.concatenate(list(v[::4]), axis=1) for v in videos[:8]], axis=0)
            from PIL import Image

            Image.fromarray(strip).resize((strip.shape[1] * 3, strip.shape[0] * 3), Image.NEAREST).save(out / f"t2v_fps{int(fps)}.png")
    result["direction_acc"] = round(float(np.mean(hits_dir)), 3)
    result["colour_acc"] = round(float(np.mean(hits_col)), 3)

    # image-to-video: the first frame of a real held-out clip, given clean
    rng = np.random.default_rng(7)
    fps = 8.0
    real = [(c, d, S.render_square(c, d, fps, VAE_FRAMES, SIZE, rng)) for c, d in sorted(S.HELD_OUT) for _ in range(seeds)]
    real_t = S.to_tensor([v for _, _, v in real])
    context = vae.encode(real_t[:, :, :1])
    z = pipe.sample_latents([S.prompt_for(c, d) for c, d, _ in real], lat, list(range(len(real))), fps, S.motion_bucket_for(fps), context=context, guidance=guidance)
    gen = [to_uint8(v) for v in vae.decode(z)]
    result["i2v_first_frame_mae"] = round(float(np.mean([np.abs(g[0].astype(float) - r[0].astype(float)).mean() for g, (_, _, r) in zip(gen, real, strict=False)])), 2)
    result["i2v_direction_acc"] = round(float(np.mean([S.direction_of(g) == d for g, (_, d, _) in zip(gen, real, strict=False)])), 3)

    # extension: continue the 16-fps text-to-video samples by 4 latent frames (16 video frames)
    z0, group = t2v_latents[1], [case for case in t2v_cases if case[2] == 16.0]
    prompts = [S.prompt_for(c, d) for c, d, _, _ in group]
    k = 1
    new = pipe.sample_latents(
        prompts, lat, [2000 + i for i in range(len(group))], 16.0, S.motion_bucket_for(16.0), context=z0[:, :, -k:], t_offset=float(lat[0] - k), guidance=guidance
    )
    full = torch.cat([z0, new[:, :, k:]], dim=2)
    videos = [to_uint8(v) for v in vae.decode(full, chunk_latents=lat[0])]
    boundary = VAE_FRAMES - 1  # last frame of the first chunk
    jumps, ratios, agree = [], [], []
    for (_, d, _, _), video in zip(group, videos, strict=False):
        cen = S.centroids(video)
        steps = np.linalg.norm(np.diff(cen, axis=0), axis=1)
        if np.isnan(steps[boundary]) or np.all(np.isnan(steps)):
            continue
        within = np.nanmedian(np.delete(steps, boundary))
        jumps.append(float(steps[boundary]))
        ratios.append(float(steps[boundary] / max(within, 0.25)))
        agree.append(S.direction_of(video[: boundary + 1]) == S.direction_of(video[boundary + 1 :]) == d)
    result["ext_boundary_jump_px"] = round(float(np.mean(jumps)), 2) if jumps else None
    result["ext_boundary_vs_median_step"] = round(float(np.median(ratios)), 2) if ratios else None
    result["ext_direction_kept"] = round(float(np.mean(agree)), 3) if agree else None
    if out is not None:
        for i, video in enumerate(videos[:2]):
            write_mp4((np.kron(video, np.ones((1, 4, 4, 1), dtype=np.uint8))), out / f"extension_{i}.mp4", width=SIZE * 4, height=SIZE * 4, fps=16)
    return result


def with_overrides(config: ModelConfig, overrides: list[str]) -> ModelConfig:
    data = config.model_dump()
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        data[section][name] = json.loads(value)
    return ModelConfig.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="total training wall time (VAE + DiT), evaluation excluded")
    parser.add_argument("--vae-minutes", type=float, default=8.0)
    parser.add_argument("--eval-minutes", type=float, default=5.0, help="evaluate every this many training minutes")
    parser.add_argument("--config", default="cpu")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a config value, e.g. dit.depth=4")
    parser.add_argument("--bank", type=int, default=3000, help="training clips encoded once")
    parser.add_argument("--threads", type=int, default=1, help="1 is fastest on a contended CPU (OpenMP barriers)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/dit-proof"))
    parser.add_argument("--guidance", type=float, help="classifier-free guidance for the evaluations (default: the config's)")
    parser.add_argument("--evaluate", type=Path, metavar="CHECKPOINT", help="only evaluate a saved checkpoint")
    parser.add_argument("--seeds", type=int, default=6, help="samples per held-out pair and fps in the final evaluation")
    args = parser.parse_args()
    if args.evaluate:
        torch.set_num_threads(args.threads)
        args.out.mkdir(parents=True, exist_ok=True)
        with torch.no_grad():
            metrics = evaluate(DiTPipeline.from_checkpoint(args.evaluate), args.seeds, args.out, args.guidance)
        log(args.out, {"phase": "evaluate", "checkpoint": str(args.evaluate), "guidance": args.guidance, "seeds": args.seeds, **metrics})
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "curve.jsonl").unlink(missing_ok=True)
    config = with_overrides(load_config(args.config), args.set)
    log(args.out, {"phase": "config", "config": config.name, "overrides": args.set, "threads": args.threads})
    trainer = Trainer(config)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    train_vae(trainer, args.vae_minutes * 60, rng, args.out)
    with torch.no_grad():
        trainer.fit_latent_stats([S.to_tensor([S.random_clip(rng, VAE_FRAMES, SIZE).video for _ in range(64)])])
        probe = S.to_tensor([S.random_clip(rng, VAE_FRAMES, SIZE).video for _ in range(16)])
        recon = trainer.vae.decode(trainer.vae.encode(probe))
        vae_psnr = float(10 * math.log10(4 / torch.mean((recon.clamp(-1, 1) - probe) ** 2).item()))
    bank = LatentBank(trainer, args.bank, rng)
    train_seconds = time.time() - t0
    log(args.out, {"phase": "vae_done", "vae_steps": trainer.vae_step, "vae_psnr_db": round(vae_psnr, 2), "train_min": round(train_seconds / 60, 2), "latent_shape": list(bank.latents.shape)})

    batch_rng = random.Random(args.seed)
    next_eval = train_seconds + args.eval_minutes * 60
    losses: list[float] = []
    while True:
        tick = time.time()
        losses.append(trainer.dit_train_step(bank.batch(trainer, config.train.batch_size, batch_rng))["loss"])
        train_seconds += time.time() - tick
        done = train_seconds >= args.minutes * 60
        if trainer.dit_step % 50 == 0:
            log(args.out, {"phase": "dit_loss", "step": trainer.dit_step, "train_min": round(train_seconds / 60, 2), "cpu_min": round(time.process_time() / 60, 2), "loss": round(float(np.mean(losses[-50:])), 4)})
        if train_seconds >= next_eval or done:
            with torch.no_grad():
                metrics = evaluate(ema_pipeline(trainer), 2 if not done else args.seeds, args.out, args.guidance)
            log(args.out, {"phase": "dit", "step": trainer.dit_step, "train_min": round(train_seconds / 60, 1), "cpu_min": round(time.process_time() / 60, 1), "loss": round(float(np.mean(losses[-100:])), 4), **metrics})
            next_eval += args.eval_minutes * 60
        if done:
            break
    trainer.save(args.out / "checkpoint")
    log(args.out, {"phase": "done", "checkpoint": str(args.out / "checkpoint"), "train_min": round(train_seconds / 60, 1), "wall_min": round((time.time() - t0) / 60, 1)})


if __name__ == "__main__":
    main()
