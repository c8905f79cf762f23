"""Reading a candidate's video as small float frames: every score works on a downscaled copy for speed, and
scoring reads only the frames it needs (see `scoring.frames_to_score`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from engine.video import read_selected

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


def block_mean(frame: np.ndarray, max_side: int) -> np.ndarray:
    """`downscale` of an HxW(xC) uint8 frame, bit for bit, twenty times faster: the block sums are exact in
    integers (as they are in float32, being below 2^24), added a row and then a column of each block at a time,
    then divided as numpy's mean divides (in float64, rounded to float32)."""
    factor = max(1, -(-max(frame.shape[:2]) // max_side))
    if factor == 1:
        return frame.astype(np.float32)
    h, w = (frame.shape[0] // factor) * factor, (frame.shape[1] // factor) * factor
    channels = int(np.prod(frame.shape[2:]))
    rows = frame[0:h:factor, :w].astype(np.uint16 if factor * factor * 255 < 2 ** 16 else np.uint32)
    for k in range(1, factor):
        rows += frame[k:h:factor, :w]
    columns = rows.reshape(-1, factor * channels)  # one row of a block a line
    block = columns[:, :channels].copy()
    for k in range(1, factor):
        block += columns[:, k * channels:(k + 1) * channels]
    return (block.reshape(h // factor, w // factor, *frame.shape[2:]) / np.intp(factor * factor)).astype(np.float32)


def gray(frame: np.ndarray) -> np.ndarray:
    """Luma in [0, 255] of an HxWx3 RGB frame."""
    return frame.astype(np.float32) @ _LUMA


class VideoSample(NamedTuple):
    """Frames of a clip: all of them, or a selection with the frame number of each and the clip's length."""

    gray: np.ndarray  # KxHxW luma in [0, 255]
    rgb: np.ndarray  # KxHxWx3 colour in [0, 255]
    index: np.ndarray | None = None  # the clip's frame number of each frame here, increasing (None: 0 … K-1)
    total: int | None = None  # frames in the clip (None: K)

    @property
    def num_frames(self) -> int:
        """Frames in the clip, read or not."""
        return len(self.gray) if self.total is None else self.total

    @property
    def numbers(self) -> np.ndarray:
        """The clip's frame number of each frame here."""
        return np.arange(len(self.gray)) if self.index is None else self.index

    def nearest(self, frames: Iterable[int]) -> np.ndarray:
        """For each of the clip's frame numbers given, the position here of the frame read nearest to it."""
        return nearest(self.numbers, frames)


def nearest(numbers: np.ndarray, frames: Iterable[int]) -> np.ndarray:
    """For each frame number in `frames`, the position in `numbers` (increasing) of the one nearest to it (the
    earlier on a tie): the frame itself when it is there."""
    wanted = np.asarray(list(frames), dtype=int)
    if len(numbers) == 1:
        return np.zeros(len(wanted), dtype=int)
    right = np.searchsorted(numbers, wanted).clip(1, len(numbers) - 1)
    return np.where(wanted - numbers[right - 1] <= numbers[right] - wanted, right - 1, right)


def load_video(path: Path, *, max_side: int = 160,
               select: Callable[[int], Iterable[int]] | None = None) -> VideoSample:
    """The frames of a video that `select(total frames)` names (every frame when None), each `downscale`d so
    its longer side is at most `max_side` pixels: the very values of downscaling every frame of `read_frames`,
    at a fraction of the cost."""
    total, numbers, rgb = read_selected(path, select, reduce=lambda frame: block_mean(frame, max_side))
    return VideoSample(rgb @ _LUMA, rgb, numbers, total)


def load_mask(path: Path, shape: tuple[int, int], frames: Iterable[int] | None = None) -> np.ndarray:
    """A mask video as KxHxW floats in [0, 1], resized to `shape` (H, W) so it lines up with `load_video`'s
    frames whatever size the engine drew it at: the frames numbered in `frames` (all when None) that the mask
    has — one per frame of a `VideoSample` when given its `numbers`, unless the mask is shorter."""
    wanted = None if frames is None else [int(n) for n in frames]
    size = (shape[1], shape[0])
    _, _, masks = read_selected(path, None if wanted is None else lambda total: [n for n in wanted if n < total],
                                reduce=lambda frame: np.asarray(Image.fromarray(np.ascontiguousarray(frame[..., 0]))
                                                                .resize(size, Image.BILINEAR), dtype=np.float32))
    return masks / 255.0
