"""Writing frames to H.264 with the ffmpeg that imageio-ffmpeg bundles (no system ffmpeg needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def read_selected(path: Path, select: Callable[[int], Iterable[int]] | None = None, *,
                  reduce: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """(total, numbers, frames): the frames of a video that `select(total)` names (every frame when None), in
    order, with their frame numbers and the clip's frame count.

    Each frame is HxWx3 uint8 RGB, the very pixels `read_frames` gives; `reduce` maps it (valid only during the
    call) to what is kept of it, so that a long clip is never held at full size. Every frame is decoded (H.264
    needs its references: about 0.4 ms a 540x960 frame), only the selected ones are converted to RGB, in
    process (no ffmpeg pipe), on one thread: scoring runs in a pool that already fills the cores.
    """
    import av

    def decode(total: int | None) -> tuple[int, list[int], list[np.ndarray]]:
        wanted = None if select is None or total is None else set(select(total))
        numbers, frames, graph, count = [], [], None, 0
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_count = 1
            for count, frame in enumerate(container.decode(stream), start=1):
                if wanted is not None and count - 1 not in wanted:
                    continue
                if graph is None:
                    graph = _to_rgb(frame.width, frame.height, frame.format.name, stream.time_base)
                graph.push(frame)
                rgb = graph.pull().to_ndarray()
                numbers.append(count - 1)
                frames.append(reduce(rgb) if reduce else rgb)
        return count, numbers, frames

    try:
        expected = None
        if select is not None:  # the selection depends on the length: the container's count, or its packets'
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                expected = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
        total, numbers, frames = decode(expected)
        if select is not None and total != expected:  # fewer or more frames decoded than counted: select again
            total, numbers, frames = decode(total)
    except (OSError, IndexError, av.error.FFmpegError) as error:
        raise ValueError(f"{path.name} is not a readable video: {error}") from None
    if not frames:
        raise ValueError(f"{path.name} has no frames" if not total else f"{path.name}: no frame selected of {total}")
    return total, np.array(numbers), np.stack(frames)


def _to_rgb(width: int, height: int, pix_fmt: str, time_base):
    """An ffmpeg filter graph converting decoded frames to rgb24 as the ffmpeg command of `read_frames` does
    (pixel for pixel). Not planar gbrp, though faster: this swscale leaves the last columns of a frame whose
    width is not a multiple of 16 black in gbrp (180 wide: 4 columns)."""
    import av

    graph = av.filter.Graph()
    chain = [graph.add_buffer(width=width, height=height, format=pix_fmt, time_base=time_base),
             graph.add("format", "rgb24"), graph.add("buffersink")]
    for source, sink in zip(chain, chain[1:], strict=False):
        source.link_to(sink)
    graph.configure()
    return graph


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
