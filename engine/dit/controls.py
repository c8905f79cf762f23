"""Control signals from files: control videos (depth, edges, keypoints, masks), camera paths, and the
side channels of another engine's clip — a previz clip's depth, masks and camera path are exactly
the controls a generated clip can follow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.api import Clip, Control
from engine.video import read_frames, write_mp4


def load_image(path: Path) -> torch.Tensor:
    """An image file as [3, H, W] in [-1, 1]."""
    if not Path(path).exists():
        raise FileNotFoundError(f"image not found: {path}")
    array = np.asarray(Image.open(path).convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 127.5 - 1.0


def load_video(path: Path) -> torch.Tensor:
    """A video file as [3, T, H, W] in [-1, 1]."""
    if not Path(path).exists():
        raise FileNotFoundError(f"control video not found: {path}")
    frames = np.stack(list(read_frames(Path(path))))
    return torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1.0


def controls_from_clip(clip: Clip, out_dir: Path, strength: float = 1.0) -> tuple[Control, ...]:
    """The controls a clip offers: its depth video, its character masks merged into one video, and
    its camera path as JSON (written into `out_dir`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    controls = []
    if clip.depth is not None:
        controls.append(Control(kind="depth", path=clip.depth, strength=strength))
    if clip.masks:
        videos = [np.stack(list(read_frames(path))) for path in clip.masks.values()]
        frames = min(len(v) for v in videos)
        merged = np.max(np.stack([v[:frames] for v in videos]), axis=0)
        path = out_dir / "masks.mp4"
        write_mp4(merged, path, width=merged.shape[2], height=merged.shape[1], fps=clip.fps)
        controls.append(Control(kind="masks", path=path, strength=strength))
    if clip.camera_path:
        path = out_dir / "camera.json"
        path.write_text(json.dumps([pose.model_dump() for pose in clip.camera_path]) + "\n", encoding="utf-8")
        controls.append(Control(kind="camera", path=path, strength=strength))
    return tuple(controls)
