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
    controls: torch.Tensor | None = None  # [B, K·C, T, H, W] control latents in the config's kind order, zeros where absent
    camera: torch.Tensor | None = None  # [B, 6, T, H, W] Plücker rays on the latent grid, zeros where absent
    references: torch.Tensor | None = None  # [B, C, R, H, W] clean reference-image latents (every clip has them, or none)


@dataclass
class Conditions:
    """What one clip is conditioned on besides its prompt, already on its latent grid: control latents
    [K·C, T, H, W], camera rays [6, T, H, W], reference latents [C, R, H, W]; None where the clip has none."""

    controls: torch.Tensor | None = None
    camera: torch.Tensor | None = None
    references: torch.Tensor | None = None


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
    depth: torch.Tensor | None = None  # [3, T, H, W] control video at the same size
    poses: list | None = None  # the camera path, one CameraPose a frame
    reference: torch.Tensor | None = None  # [3, H, W] a subject reference image


def _previz_clip(path: Path, data: DataConfig, dit: DiTConfig, multiple: int) -> tuple[tuple[int, int, int], Clip]:
    """An example of `drama engine data previz`, with its depth, camera path and reference, at its bucket size."""
    from engine.dit.previz_data import load_example

    e = load_example(path)
    video = torch.from_numpy(e.video).permute(3, 0, 1, 2).float() / 127.5 - 1.0
    key = bucket_size(video.shape[3], video.shape[2], video.shape[1], data, dit.aspect_ratios, multiple)
    depth = (torch.from_numpy(e.depth).float() / 127.5 - 1.0)[None].expand(3, -1, -1, -1)
    reference = torch.from_numpy(e.reference).permute(2, 0, 1).float() / 127.5 - 1.0
    reference = resize_clip(reference[:, None], key[0], key[1], 1)[:, 0]
    return key, Clip(resize_clip(video, *key), e.prompt, e.fps, resize_clip(depth, *key), e.poses[: key[2]], reference)


class ClipFolder:
    """Every video under `root`, any aspect ratio; the prompt is a sidecar `NAME.txt`, or an entry of
    `captions.json` ({"NAME.mp4": "prompt"}), or empty (unconditional). Examples written by `drama engine data
    previz` (NAME.npz + NAME.json) come with their depth, camera path and subject reference."""

    def __init__(self, root: Path, data: DataConfig, dit: DiTConfig, multiple: int):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"training data folder not found: {self.root}")
        from engine.dit.previz_data import example_paths

        paths = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        examples = example_paths(self.root)
        if not paths and not examples:
            raise ValueError(f"no video clips ({', '.join(sorted(VIDEO_SUFFIXES))}) and no previz examples (NAME.npz + NAME.json) under {self.root}")
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
        for path in examples:
            key, clip = _previz_clip(path, data, dit, multiple)
            self.buckets.setdefault(key, []).append(clip)

    def __len__(self) -> int:
        return sum(len(clips) for clips in self.buckets.values())

    def sample(self, batch_size: int, rng: random.Random) -> list[Clip]:
        """A batch from one bucket, buckets chosen in proportion to their size."""
        keys = list(self.buckets)
        key = rng.choices(keys, weights=[len(self.buckets[k]) for k in keys])[0]
        return [rng.choice(self.buckets[key]) for _ in range(batch_size)]


def make_window(frames: int, window: int, i2v_prob: float, extend_prob: float, rng: random.Random) -> tuple[int, int, int]:
    """(start, length, clean): a window of `window` latent frames of a clip `frames` long and how many leading
    ones are given clean: 1 for image-to-video (a window at the start), 1–2 for extension (a window further in)."""
    window = min(window, frames)
    roll = rng.random()
    if roll < extend_prob and frames > window:
        return rng.randint(1, frames - window), window, rng.randint(1, min(2, window - 1))
    return 0, window, 1 if roll < extend_prob + i2v_prob and window > 1 else 0


def latent_batch(
    latents: list[torch.Tensor], prompts: list[str], fps: list[float], motion: list[int], aspect: list[int],
    window: int, i2v_prob: float, extend_prob: float, rng: random.Random, conditions: list[Conditions] | None = None,
) -> LatentBatch:
    """Stack per-clip latents [C, T, H, W] (same bucket) into a training batch of windows; the clips' controls
    and camera rays are cut to the same windows (zeros for a clip without them)."""
    picks = [make_window(z.shape[1], window, i2v_prob, extend_prob, rng) for z in latents]
    length = min(n for _, n, _ in picks)
    starts = [start for start, _, _ in picks]

    def stacked(parts: list[torch.Tensor | None], timed: bool = True) -> torch.Tensor | None:
        present = [p for p in parts if p is not None]
        if not present:
            return None
        if timed:
            parts = [None if p is None else p[:, s : s + length] for p, s in zip(parts, starts, strict=True)]
        like = next(p for p in parts if p is not None)
        return torch.stack([torch.zeros_like(like) if p is None else p for p in parts])

    conditions = conditions or [Conditions() for _ in latents]
    references = [c.references for c in conditions]
    return LatentBatch(
        latents=torch.stack([z[:, s : s + length] for z, s in zip(latents, starts, strict=True)]),
        prompts=list(prompts),
        fps=torch.tensor(fps, dtype=torch.float32),
        motion=torch.tensor(motion, dtype=torch.long),
        aspect=torch.tensor(aspect, dtype=torch.long),
        context=torch.tensor([min(k, length - 1) for _, _, k in picks], dtype=torch.long),
        controls=stacked([c.controls for c in conditions]),
        camera=stacked([c.camera for c in conditions]),
        references=stacked(references, timed=False) if all(r is not None for r in references) else None,
    )
