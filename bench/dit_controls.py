"""Proof that the DiT learns its controls on this CPU: the camera path, the depth video and a subject reference,
trained together on labelled previz clips (`drama engine data previz`), each measured on combinations training
never saw, against the same samples drawn without that control, and at 20 and at 4 sampler steps.

    PYTHONPATH=. python bench/dit_controls.py --data runs/previz-train --held-out runs/previz-heldout \\
        --minutes 45 --seed 0 --out runs/controls-s0

makes the data first where it is missing (as `drama engine data previz --count 2400 --size 32 --out
runs/previz-train` and `… --count 240 --held-out --seed 1 --out runs/previz-heldout` would; about 10 minutes on
two cores, once for every run), then trains and measures. Mean and spread of finished runs:

    PYTHONPATH=. python bench/dit_controls.py --table runs/controls-s0 runs/controls-s1 runs/controls-s2

What is measured (OUT/curve.jsonl; the last record is the final evaluation):
- camera: the prompt names place, time, person and framing, never the move; the relative camera path of a
  held-out (set × move × direction) shot is the only thing that says how the camera moves. drama's own camera
  check (drama.render.motion: the content motion measured in the pixels, `adherence` > 0.5, "as asked") must
  pass for the requested move; 11 moves (static, pan ±, tilt ±, dolly in/out, truck ±, zoom ±), chance ≤ 1/11.
  Baseline: the same samples without the camera path.
- depth: the held-out shot's depth video as the only control; the Pearson correlation of the sample's edges with
  the depth's edges, per clip. Baseline: the same samples without it.
- references: a held-out (set × garment colour) shot, its depth as the layout and a subject reference cut from its
  own first frame (the prompt never names the colour); the dominant palette colour inside the character's mask
  must be the reference's. Baseline: depth only, no reference (chance 1/4).
- every metric also on the real held-out clips (the oracle: what the measurement gives on ground truth).
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

from drama.render.motion import AS_ASKED, adherence, estimate_motion  # noqa: E402
from engine.dit import previz_data as P  # noqa: E402
from dit_learning import ema_pipeline, log, to_uint8, with_overrides  # noqa: E402  (the text proof's, beside this file)
from engine.dit.config import load_config  # noqa: E402
from engine.dit.data import Clip, Conditions, latent_batch  # noqa: E402
from engine.dit.pipeline import DiTPipeline  # noqa: E402
from engine.dit.synthetic import to_tensor  # noqa: E402
from engine.dit.training import Trainer, encode_conditions  # noqa: E402

MOTION = 2  # one motion bucket for every clip: the bucket must not tell static from moving shots
CHUNK = 64  # clips encoded at once


def depth_tensor(depth: np.ndarray) -> torch.Tensor:
    """uint8 [T, H, W] depth → [3, T, H, W] in [-1, 1], as a grey control video reads."""
    return (torch.from_numpy(depth).float() / 127.5 - 1.0)[None].expand(3, -1, -1, -1)


def image_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).float() / 127.5 - 1.0


class Encoded:
    """Examples encoded once by the frozen VAE: video latents and, per clip, its conditions on the latent grid,
    encoded as training on a folder and drawing encode them (`encode_conditions`)."""

    def __init__(self, pipe: DiTPipeline, examples: list[P.Example]):
        self.examples = examples
        with torch.no_grad():
            self.latents = torch.cat([pipe.vae.encode(to_tensor([e.video for e in examples[i : i + CHUNK]]))
                                      for i in range(0, len(examples), CHUNK)])
            conditions = [encode_conditions(pipe, Clip(to_tensor([e.video])[0], e.prompt, e.fps, depth_tensor(e.depth), e.poses,
                                                       image_tensor(e.reference))) for e in examples]
        self.depth = torch.stack([c.controls for c in conditions])
        self.camera = torch.stack([c.camera for c in conditions])
        self.references = torch.stack([c.references for c in conditions])

    def batch(self, trainer: Trainer, size: int, rng: random.Random):
        idx = [rng.randrange(len(self.examples)) for _ in range(size)]
        tc = trainer.config.train
        return latent_batch(
            [self.latents[i] for i in idx], [self.examples[i].prompt for i in idx], [self.examples[i].fps for i in idx],
            [MOTION] * size, [2] * size, trainer.config.dit.max_latent_frames, tc.i2v_prob, tc.extend_prob, rng,
            [Conditions(self.depth[i], self.camera[i], self.references[i]) for i in idx],
        )


# measurements --------------------------------------------------------------------------------------------


def grey(video: np.ndarray) -> np.ndarray:
    return video.astype(np.float32).mean(axis=-1)


def camera_as_asked(video: np.ndarray, move: str, direction: int) -> bool:
    """drama's camera check on a sample: the content motion measured in its pixels is the move asked for."""
    score, _ = adherence(estimate_motion(grey(video)), move, direction)
    return score > AS_ASKED


def _edges(frames: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of [T, H, W] float frames (borders dropped)."""
    f = frames
    gx = (f[:, :-2, 2:] + 2 * f[:, 1:-1, 2:] + f[:, 2:, 2:]) - (f[:, :-2, :-2] + 2 * f[:, 1:-1, :-2] + f[:, 2:, :-2])
    gy = (f[:, 2:, :-2] + 2 * f[:, 2:, 1:-1] + f[:, 2:, 2:]) - (f[:, :-2, :-2] + 2 * f[:, :-2, 1:-1] + f[:, :-2, 2:])
    return np.hypot(gx, gy)


def edge_correlation(video: np.ndarray, depth: np.ndarray) -> float:
    """Pearson correlation of a clip's edges with its control's edges, over all its pixels."""
    a, b = _edges(grey(video)).ravel(), _edges(depth.astype(np.float32)).ravel()
    if a.std() < 1e-6 or b.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


HUES = {"red": ((0, 15), (300, 360)), "yellow": ((30, 75),), "green": ((75, 180),), "blue": ((180, 300),)}  # degrees
# 15–30° is left out: skin and hair, whatever the garment


def dominant_colour(video: np.ndarray, mask: np.ndarray) -> str | None:
    """The palette colour most of the character's saturated pixels have the hue of (hue, so that night and dusk
    light do not change it), or None when fewer than 3 pixels in the mask have any of them."""
    from PIL import Image

    inside = video[mask > 160]
    if len(inside) == 0:
        return None
    hsv = np.asarray(Image.fromarray(inside[None]).convert("HSV"))[0].astype(np.float32)
    hue = hsv[:, 0] * 360 / 255
    saturated = (hsv[:, 1] > 115) & (hsv[:, 2] > 40)
    votes = {name: int(sum((saturated & (hue >= lo) & (hue < hi)).sum() for lo, hi in spans)) for name, spans in HUES.items()}
    best = max(votes, key=votes.get)
    return best if votes[best] >= 3 else None


# evaluation ----------------------------------------------------------------------------------------------


def held_out_cases(examples: list[P.Example], cases: int) -> dict[str, list[int]]:
    """Indices of held-out examples per proof: camera (an unseen set × move), references (an unseen set × colour,
    the character large enough to measure), depth (any)."""
    camera = [i for i, e in enumerate(examples) if (e.labels["set"], e.labels["move"], e.labels["direction"]) in P.HELD_OUT_MOVES]
    refs = [i for i, e in enumerate(examples) if (e.labels["set"], e.labels["colour"]) in P.HELD_OUT_COLOURS
            and (e.mask[0] > 160).sum() >= 30]
    return {"camera": camera[:cases], "depth": list(range(len(examples)))[:cases], "references": refs[:cases]}


def sample(pipe: DiTPipeline, data: Encoded, idx: list[int], steps: int, guidance: float | None, *, depth: bool = False,
           camera: bool = False, references: bool = False, first_frame: bool = False) -> list[np.ndarray]:
    """Samples for held-out examples `idx` with the conditions asked for; `first_frame`: the real clip's first latent
    frame given clean (image-to-video, as a keyframe or the shot before hands a draw its start)."""
    if not idx:
        return []
    latents = pipe.sample_latents(
        [data.examples[i].prompt for i in idx], tuple(data.latents.shape[2:]), [5000 + i for i in idx], P.FPS, MOTION,
        steps=steps, guidance=guidance, context=data.latents[idx][:, :, :1] if first_frame else None,
        controls=data.depth[idx] if depth else None, camera=data.camera[idx] if camera else None,
        references=data.references[idx] if references else None,
    )
    return [to_uint8(v) for v in pipe.vae.decode(latents)]


def evaluate(pipe: DiTPipeline, data: Encoded, cases: dict[str, list[int]], steps: int, guidance: float | None,
             baselines: bool = False, out: Path | None = None) -> dict:
    ex = data.examples
    cam, dep, ref = cases["camera"], cases["depth"], cases["references"]

    def camera_acc(**given) -> tuple[float, list[np.ndarray]]:
        videos = sample(pipe, data, cam, steps, guidance, **given)
        return _mean([camera_as_asked(v, ex[i].labels["move"], ex[i].labels["direction"]) for v, i in zip(videos, cam, strict=True)]), videos

    def depth_corr(**given) -> tuple[float, list[np.ndarray]]:
        videos = sample(pipe, data, dep, steps, guidance, **given)
        return _mean([edge_correlation(v, ex[i].depth) for v, i in zip(videos, dep, strict=True)]), videos

    def colour_acc(**given) -> tuple[float, list[np.ndarray]]:
        videos = sample(pipe, data, ref, steps, guidance, **given)
        return _mean([dominant_colour(v, ex[i].mask) == ex[i].labels["colour"] for v, i in zip(videos, ref, strict=True)]), videos

    result, sheets = {}, {}
    result["camera_acc"], sheets["camera"] = camera_acc(camera=True)
    result["camera_acc_from_first_frame"], sheets["camera_i2v"] = camera_acc(camera=True, first_frame=True)
    result["depth_edge_corr"], sheets["depth"] = depth_corr(depth=True)
    result["reference_colour_acc"], sheets["references"] = colour_acc(depth=True, references=True)
    if baselines:
        result["camera_acc_without_camera"], _ = camera_acc()
        result["camera_acc_from_first_frame_without_camera"], _ = camera_acc(first_frame=True)
        result["depth_edge_corr_without_depth"], _ = depth_corr()
        result["reference_colour_acc_without_reference"], _ = colour_acc(depth=True)
    if out is not None:
        real = {"camera": cam, "camera_i2v": cam, "depth": dep, "references": ref}
        _sheet(out / f"samples_{steps}steps.png", [v[:6] for v in sheets.values()], [[ex[i].video for i in real[k][:6]] for k in sheets])
    return result


def oracle(pipe: DiTPipeline, data: Encoded, cases: dict[str, list[int]]) -> dict:
    """The measurements on the real held-out clips, and on the same clips through the VAE (the best any sample can
    look): how far each measurement can be trusted, and what the model can reach at most."""
    ex, result = data.examples, {"cases": {k: len(v) for k, v in cases.items()}}
    for name, videos in (("oracle", {i: e.video for i, e in enumerate(ex)}),
                         ("vae", {i: to_uint8(pipe.vae.decode(data.latents[i : i + 1])[0]) for i in set().union(*cases.values())})):
        result[f"{name}_camera_acc"] = _mean([camera_as_asked(videos[i], ex[i].labels["move"], ex[i].labels["direction"]) for i in cases["camera"]])
        result[f"{name}_depth_edge_corr"] = _mean([edge_correlation(videos[i], ex[i].depth) for i in cases["depth"]])
        result[f"{name}_reference_colour_acc"] = _mean([dominant_colour(videos[i], ex[i].mask) == ex[i].labels["colour"] for i in cases["references"]])
    return result


def _mean(values: list) -> float:
    return round(float(np.mean([float(v) for v in values])), 3) if values else float("nan")


def _sheet(path: Path, rows: list[list[np.ndarray]], real: list[list[np.ndarray]]) -> None:
    """Per proof, a row of samples (first, middle and last frame) over the real clips they were asked to follow."""
    from PIL import Image

    def strip(videos):
        return np.concatenate([np.concatenate([v[0], v[len(v) // 2], v[-1]], axis=0) for v in videos], axis=1)

    picture = np.concatenate([block for r, g in zip(rows, real, strict=True) if r for block in (strip(g), strip(r))], axis=0)
    Image.fromarray(picture).resize((picture.shape[1] * 3, picture.shape[0] * 3), Image.NEAREST).save(path)


# training ------------------------------------------------------------------------------------------------


def train_vae(trainer: Trainer, examples: list[P.Example], seconds: float, rng: random.Random, out: Path) -> None:
    """The VAE sees the clips and their depth videos (which it must encode as controls)."""
    start = time.time()
    while time.time() - start < seconds and trainer.vae_step < trainer.config.train.vae_steps:
        picks = [rng.choice(examples) for _ in range(trainer.config.train.batch_size)]
        videos = [e.video if rng.random() < 0.75 else np.repeat(e.depth[..., None], 3, axis=-1) for e in picks]
        metrics = trainer.vae_train_step(to_tensor(videos))
        if trainer.vae_step % 100 == 0:
            log(out, {"phase": "vae", "step": trainer.vae_step, "seconds": round(time.time() - start), **{k: round(v, 4) for k, v in metrics.items()}})


def load(folder: Path, limit: int | None = None) -> list[P.Example]:
    paths = P.example_paths(folder)[:limit]
    if not paths:
        raise SystemExit(f"no examples in {folder}: make them with `drama engine data previz --out {folder}`")
    return [P.load_example(p) for p in paths]


def table(runs: list[Path]) -> None:
    """Mean and spread (min–max) over runs of each final metric."""
    finals = []
    for run in runs:
        records = [json.loads(line) for line in (run / "curve.jsonl").read_text(encoding="utf-8").splitlines()]
        finals.append(next(r for r in reversed(records) if r.get("phase") == "final"))
    keys = [k for k, v in finals[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    print(f"{'metric':45s} {'mean':>8s} {'min':>8s} {'max':>8s}   ({len(finals)} runs)")
    for key in keys:
        values = [f[key] for f in finals if key in f]
        print(f"{key:45s} {np.mean(values):8.3f} {min(values):8.3f} {max(values):8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="training examples (`drama engine data previz`), made here if missing")
    parser.add_argument("--held-out", type=Path, help="held-out examples (`drama engine data previz --held-out`), made here if missing")
    parser.add_argument("--count", type=int, default=2400, help="training examples to make where missing")
    parser.add_argument("--held-out-count", type=int, default=240, help="held-out examples to make where missing")
    parser.add_argument("--workers", type=int, default=2, help="processes making missing examples")
    parser.add_argument("--minutes", type=float, default=40.0, help="training wall time (VAE + DiT), evaluations excluded")
    parser.add_argument("--vae-minutes", type=float, default=5.0)
    parser.add_argument("--eval-minutes", type=float, default=10.0, help="evaluate every this many training minutes")
    parser.add_argument("--config", default="cpu-controls")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a config value")
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument("--cases", type=int, default=66, help="held-out samples per proof")
    parser.add_argument("--fast-steps", type=int, default=4, help="the few-step sampler measured against the config's steps")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance on the text (default: the config's)")
    parser.add_argument("--threads", type=int, default=1, help="1 is fastest on a contended CPU (OpenMP barriers)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/dit-controls"))
    parser.add_argument("--table", type=Path, nargs="+", metavar="RUN", help="print mean and spread of finished runs")
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    if not args.data or not args.held_out:
        parser.error("--data and --held-out are required (or --table RUN …)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "curve.jsonl").unlink(missing_ok=True)
    config = with_overrides(load_config(args.config), [*args.set, f"train.seed={args.seed}"])
    P.make_dataset(args.data, args.count, workers=args.workers)  # where an example is there already, it is kept
    P.make_dataset(args.held_out, args.held_out_count, seed=1, held_out=True, workers=args.workers)
    train, held = load(args.data, args.limit), load(args.held_out)
    log(args.out, {"phase": "config", "config": config.name, "overrides": args.set, "seed": args.seed, "train": len(train), "held_out": len(held)})
    trainer = Trainer(config)
    rng = random.Random(args.seed)
    t0 = time.time()
    train_vae(trainer, train, args.vae_minutes * 60, rng, args.out)
    with torch.no_grad():
        trainer.fit_latent_stats([to_tensor([e.video for e in train[i : i + CHUNK]]) for i in range(0, min(256, len(train)), CHUNK)])
        probe = to_tensor([e.video for e in held[:16]])
        recon = trainer.vae.decode(trainer.vae.encode(probe))
        vae_psnr = float(10 * math.log10(4 / torch.mean((recon.clamp(-1, 1) - probe) ** 2).item()))
        pipe = ema_pipeline(trainer)
        bank, test = Encoded(pipe, train), Encoded(pipe, held)
    cases = held_out_cases(held, args.cases)
    train_seconds = time.time() - t0
    log(args.out, {"phase": "vae_done", "vae_steps": trainer.vae_step, "vae_psnr_db": round(vae_psnr, 2), "train_min": round(train_seconds / 60, 2),
                   **oracle(pipe, test, cases)})

    next_eval = train_seconds + args.eval_minutes * 60
    losses: list[float] = []
    while True:
        tick = time.time()
        losses.append(trainer.dit_train_step(bank.batch(trainer, config.train.batch_size, rng))["loss"])
        train_seconds += time.time() - tick
        done = train_seconds >= args.minutes * 60
        if trainer.dit_step % 100 == 0:
            log(args.out, {"phase": "dit_loss", "step": trainer.dit_step, "train_min": round(train_seconds / 60, 2), "loss": round(float(np.mean(losses[-100:])), 4)})
        if done:
            break
        if train_seconds >= next_eval:
            small = {k: v[:22] for k, v in cases.items()}
            with torch.no_grad():
                metrics = evaluate(ema_pipeline(trainer), test, small, config.flow.sample_steps, args.guidance, out=args.out)
            log(args.out, {"phase": "dit", "step": trainer.dit_step, "train_min": round(train_seconds / 60, 1), "loss": round(float(np.mean(losses[-100:])), 4), **metrics})
            next_eval += args.eval_minutes * 60
    trainer.save(args.out / "checkpoint")
    with torch.no_grad():
        pipe = ema_pipeline(trainer)
        full = evaluate(pipe, test, cases, config.flow.sample_steps, args.guidance, baselines=True, out=args.out)
        fast = evaluate(pipe, test, cases, args.fast_steps, args.guidance, out=args.out)
    log(args.out, {"phase": "final", "step": trainer.dit_step, "train_min": round(train_seconds / 60, 1), "steps": config.flow.sample_steps, **full,
                   **{f"{k}_{args.fast_steps}steps": v for k, v in fast.items()}, "checkpoint": str(args.out / "checkpoint"),
                   "wall_min": round((time.time() - t0) / 60, 1)})


if __name__ == "__main__":
    main()
