"""Reading a candidate's video as small float frames: every score works on a downscaled copy for speed."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from engine.video import read_frames

# ITU-R BT.601 luma weights, the ones video codecs use.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def downscale(frame: np.ndarray, max_side: int) -> np.ndarray:
    """Block-average an HxW(xC) frame by the integer factor that brings its longer side to at most `max_side`."""
    factor = max(1, -(-max(frame.shape[:2]) // max_side))
    if factor == 1:
        return frame.astype(np.float32)
    h, w = (frame.shape[0] // factor) * factor, (frame.shape[1] // factor) * factor
    blocks = frame[:h, :w].astype(np.float32).reshape(h // factor, factor, w // factor, factor, *frame.shape[2:])
    return blocks.mean(axis=(1, 3))


def gray(frame: np.ndarray) -> np.ndarray:
    """Luma in [0, 255] of an HxWx3 RGB frame."""
    return frame.astype(np.float32) @ _LUMA


class VideoSample(NamedTuple):
    gray: np.ndarray  # TxHxW luma in [0, 255]
    rgb: np.ndarray  # TxHxWx3 colour in [0, 255]

    @property
    def num_frames(self) -> int:
        return len(self.gray)


def load_video(path: Path, *, max_side: int = 160) -> VideoSample:
    """Every frame of a video, downscaled so its longer side is at most `max_side` pixels."""
    frames = [downscale(frame, max_side) for frame in read_frames(path)]
    if not frames:
        raise ValueError(f"{path} has no frames")
    rgb = np.stack(frames)
    return VideoSample(rgb @ _LUMA, rgb)


def load_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A mask video as TxHxW floats in [0, 1], resized to `shape` (H, W) so it lines up with `load_video`'s
    frames whatever size the engine drew it at."""
    size = (shape[1], shape[0])
    return np.stack([np.asarray(Image.fromarray(frame[..., 0]).resize(size, Image.BILINEAR), dtype=np.float32)
                     for frame in read_frames(path)]) / 255.0
