"""Writing frames to H.264 with the ffmpeg that imageio-ffmpeg bundles (no system ffmpeg needed)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import imageio_ffmpeg
import numpy as np


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def write_mp4(
    frames: Iterable[np.ndarray],
    path: Path,
    *,
    width: int,
    height: int,
    fps: float,
    crf: int = 20,
    preset: str = "veryfast",
    gray: bool = False,
) -> int:
    """Stream HxWx3 uint8 RGB frames (or HxW uint8 when `gray`) into an H.264 yuv420p MP4.

    Returns the number of frames written. Width and height must be even (yuv420p).
    """
    if width % 2 or height % 2:
        raise ValueError(f"H.264 yuv420p needs even sizes, got {width}x{height}")
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        pix_fmt_in="gray" if gray else "rgb24",
        pix_fmt_out="yuv420p",
        fps=fps,
        codec="libx264",
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-preset", preset, "-crf", str(crf), "-movflags", "+faststart"],
    )
    writer.send(None)
    count = 0
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame, dtype=np.uint8))
            count += 1
    finally:
        writer.close()
    return count


def read_frames(path: Path) -> Iterable[np.ndarray]:
    """Yield HxWx3 uint8 RGB frames of a video file."""
    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    meta = next(reader)
    width, height = meta["size"]
    for raw in reader:
        yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


class VideoInfo(NamedTuple):
    width: int
    height: int
    fps: float
    num_frames: int


def probe(path: Path) -> VideoInfo:
    """Size, rate and frame count of a video from its container, checked against the packets actually present
    (read, not decoded: milliseconds for a draft draw).

    Raises ValueError when the file is not a readable, complete video: missing, truncated, no video stream.
    """
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            frames = stream.frames or (round(float(stream.duration * stream.time_base) * fps) if stream.duration else 0)
            if not frames or not fps:
                raise ValueError(f"{path.name} reports no frames")
            present = sum(1 for packet in container.demux(stream) if packet.size)  # reads packets, decodes none
            if present < frames:
                raise ValueError(f"{path.name} is truncated: {present} of {frames} frames present")
            return VideoInfo(stream.codec_context.width, stream.codec_context.height, fps, int(frames))
    except (OSError, av.error.FFmpegError) as error:
        raise ValueError(f"{path.name} is not a readable video: {error}") from None
