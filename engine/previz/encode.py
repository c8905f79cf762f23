"""Encoding in a background thread: ffmpeg (its own process) compresses frame i while we draw i+1."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np

from engine.video import write_mp4

_DONE = None


class BackgroundEncoder:
    """Feed RGB (or gray) frames with `send`; `close` waits for ffmpeg and returns the frame count.
    Start it before preparing the shot so ffmpeg's start-up overlaps that work."""

    def __init__(self, path: Path, *, width: int, height: int, fps: float, preset: str, crf: int, gray: bool = False):
        self._queue: queue.Queue = queue.Queue(maxsize=6)
        self._error: BaseException | None = None
        self.count = 0
        self._finished = False
        self._thread = threading.Thread(
            target=self._run, args=(path, width, height, fps, preset, crf, gray), name=f"encode-{Path(path).name}", daemon=True
        )
        self._thread.start()

    def _frames(self):
        while (frame := self._queue.get()) is not _DONE:
            yield frame
        self._finished = True

    def _run(self, path, width, height, fps, preset, crf, gray) -> None:
        try:
            self.count = write_mp4(self._frames(), path, width=width, height=height, fps=fps, preset=preset, crf=crf, gray=gray)
        except BaseException as error:  # reported by send/close in the caller's thread
            self._error = error
            while not self._finished and self._queue.get() is not _DONE:  # drain so the producer never blocks
                pass

    def send(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise RuntimeError(f"video encoder failed: {self._error}") from self._error
        self._queue.put(frame)

    def close(self) -> int:
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"video encoder failed: {self._error}") from self._error
        return self.count

    def abort(self) -> None:
        """Stop after an error in the producer: finish the (partial) file and wait for ffmpeg."""
        self._queue.put(_DONE)
        self._thread.join()
