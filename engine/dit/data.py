"""Training data: clips from a folder resized to aspect-ratio/length buckets, and the latent batches
the DiT trains on (windows of latent frames, some with clean leading frames for image-to-video and
extension)."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.dit.config import DataConfig, DiTConfig

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".gif"}


@dataclass
class LatentBatch:
    latents: torch.Tensor  # [B, C, T, H, W] normalised VAE latents
    prompts: list[str]
    fps: torch.Tensor  # [B] float
    motion: torch.Tensor  # [B] long
    aspect: torch.Tensor  # [B] long
    context: torch.Tensor  # [B] long: how many leading latent frames are given clean
    t_offset: float = 0.0


def aspect_bucket(width: int, height: int, ratios: tuple[float, ...]) -> int:
    """Index of the aspect ratio (width / height) nearest this size, compared in log space."""
    ratio = math.log(width / height)
    return min(range(len(ratios)), key=lambda i: abs(math.log(ratios[i]) - ratio))


def motion_bucket(video: torch.Tensor, buckets: int) -> int:
    """A motion amount from the mean absolute frame difference of a [3, T, H, W] clip in [-1, 1]."""
    if video.shape[1] < 2:
        return 0
    diff = (video[:, 1:] - video[:, :-1]).abs().mean().item()
    return int(min(buckets - 1, max(0, round(math.log2(1 + 200 * diff)))))


def bucket_size(width: int, height: int, frames: int, cfg: DataConfig, ratios: tuple[float, ...], multiple: int) -> tuple[int, int, int]:
    """(width, height, frames) of the bucket a clip goes to: its nearest aspect ratio at the bucket
    area, sizes a multiple of `multiple`, frames 1 + 4k up to max_frames."""
    ratio = ratios[aspect_bucket(width, height, ratios)]
    h = max(multiple, round(math.sqrt(cfg.area / ratio) / multiple) * multiple)
    w = max(multiple, round(math.sqrt(cfg.area * ratio) / multiple) * multiple)
    usable = min(frames, cfg.max_frames)
    return w, h, 1 + 4 * ((usable - 1) // 4)


def read_clip(path: Path) -> tuple[torch.Tensor, float]:
    """A video file as [3, T, H, W] in [-1, 1] and its frame rate."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3) for raw in reader]
    reader.close()
    if not frames:
        raise ValueError(f"{path}: no frames could be read")
    video = torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2).float() / 127.5 - 1.0
    return video, float(meta.get("fps") or 24.0)


def resize_clip(video: torch.Tensor, width: int, height: int, frames: int) -> torch.Tensor:
    """Scale to cover (width, height), centre-crop, keep the first `frames` frames."""
    _, t, h, w = video.shape
    scale = max(width / w, height / h)
    nh, nw = max(height, round(h * scale)), max(width, round(w * scale))
    out = F.interpolate(video[:, :frames].transpose(0, 1), size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    top, left = (nh - height) // 2, (nw - width) // 2
    return out[:, :, top : top + height, left : left + width].transpose(0, 1).clamp(-1, 1)


@dataclass
class Clip:
    video: torch.Tensor  # [3, T, H, W] at its bucket size
    prompt: str
    fps: float


class ClipFolder:
    """Every video under `root`, any aspect ratio; the prompt is a sidecar `NAME.txt`, or an entry of
    `captions.json` ({"NAME.mp4": "prompt"}), or empty (unconditional)."""

    def __init__(self, root: Path, data: DataConfig, dit: DiTConfig, multiple: int):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"training data folder not found: {self.root}")
        paths = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        if not paths:
            raise ValueError(f"no video clips ({', '.join(sorted(VIDEO_SUFFIXES))}) under {self.root}")
        captions_file = self.root / "captions.json"
        captions = json.loads(captions_file.read_text(encoding="utf-8")) if captions_file.exists() else {}
        self.dit = dit
        self.buckets: dict[tuple[int, int, int], list[Clip]] = {}
        for path in paths:
            sidecar = path.with_suffix(".txt")
            prompt = sidecar.read_text(encoding="utf-8").strip() if sidecar.exists() else captions.get(path.name, "")
            video, fps = read_clip(path)
            key = bucket_size(video.shape[3], video.shape[2], video.shape[1], data, dit.aspect_ratios, multiple)
            self.buckets.setdefault(key, []).append(Clip(resize_clip(video, *key), prompt, fps))

    def __len__(self) -> int:
        return sum(len(clips) for clips in self.buckets.values())

    def sample(self, batch_size: int, rng: random.Random) -> list[Clip]:
        """A batch from one bucket, buckets chosen in proportion to their size."""
        keys = list(self.buckets)
        key = rng.choices(keys, weights=[len(self.buckets[k]) for k in keys])[0]
        return [rng.choice(self.buckets[key]) for _ in range(batch_size)]


def make_window(latents: torch.Tensor, window: int, i2v_prob: float, extend_prob: float, rng: random.Random) -> tuple[torch.Tensor, int]:
    """Pick `window` latent frames of one clip and how many leading ones are given clean: 1 for
    image-to-video (a window at the start), 1–2 for extension (a window further in)."""
    frames = latents.shape[1]
    window = min(window, frames)
    roll = rng.random()
    if roll < extend_prob and frames > window:
        start = rng.randint(1, frames - window)
        return latents[:, start : start + window], rng.randint(1, min(2, window - 1))
    context = 1 if roll < extend_prob + i2v_prob and window > 1 else 0
    return latents[:, :window], context


def latent_batch(
    latents: list[torch.Tensor], prompts: list[str], fps: list[float], motion: list[int], aspect: list[int],
    window: int, i2v_prob: float, extend_prob: float, rng: random.Random,
) -> LatentBatch:
    """Stack per-clip latents [C, T, H, W] (same bucket) into a training batch of windows."""
    picks = [make_window(z, window, i2v_prob, extend_prob, rng) for z in latents]
    length = min(z.shape[1] for z, _ in picks)
    return LatentBatch(
        latents=torch.stack([z[:, :length] for z, _ in picks]),
        prompts=list(prompts),
        fps=torch.tensor(fps, dtype=torch.float32),
        motion=torch.tensor(motion, dtype=torch.long),
        aspect=torch.tensor(aspect, dtype=torch.long),
        context=torch.tensor([min(k, length - 1) for _, k in picks], dtype=torch.long),
    )
