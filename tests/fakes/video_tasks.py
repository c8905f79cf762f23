"""What the fakes of video and image APIs share. All of them: the result mp4 (or a seeded PNG), seeded latencies,
and checks of images sent inline (data URIs, or Kling's raw base64). The task fakes (Ark, MiniMax) also: a task
clock, outcomes on demand (a failed task, a stuck one), the result file served from the fake itself, and counters
of creates and of tasks in flight."""

from __future__ import annotations

import base64
import binascii
import functools
import io
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from engine.remote import RemoteEngine, RemoteTask, TaskStatus

from .server import FakeServer, Request, Response, tiny_mp4

Latency = float | tuple[float, float]


@functools.cache
def result_video() -> bytes:
    """The mp4 every fake serves as a result: real H.264, 64×112, 24 frames at 24 fps, generated once per session."""
    return tiny_mp4(width=64, height=112, frames=24, fps=24.0)


def truncated_result() -> Response:
    """A result download that promises the whole file and sends half of it."""
    video = result_video()
    return Response(200, video, {"content-type": "video/mp4"}, truncate=len(video) // 2)


def corrupt_result() -> Response:
    """A result download complete by length that is not a video (a CDN's error page, say)."""
    return Response(200, bytes(len(result_video())), {"content-type": "video/mp4"})


def seeded_png(width: int, height: int, seed: int) -> bytes:
    """A real PNG for an image fake to answer with, its colours drawn from `seed` (a background and a centred
    block), so tests can tell draws apart by their pixels."""
    rng = random.Random(seed)
    background, block = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    image = Image.new("RGB", (width, height), background)  # type: ignore[arg-type]
    image.paste(block, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))  # type: ignore[arg-type]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def truncated_image() -> Response:
    """An image download that promises the whole file and sends half of it."""
    image = seeded_png(64, 64, 0)
    return Response(200, image, {"content-type": "image/png"}, truncate=len(image) // 2)


def corrupt_image() -> Response:
    """An image download complete by length that is not an image (a CDN's error page, say)."""
    return Response(200, b"<html>busy</html>" * 20, {"content-type": "image/png"})


def draw_latency(latency: Latency, rng: random.Random) -> float:
    """A task's seconds from create to outcome: `latency` itself, or uniform in its (min, max) from `rng`."""
    return float(latency) if isinstance(latency, (int, float)) else rng.uniform(*latency)


def read_image(value: Any, *, encoding: Literal["data_uri", "base64"] = "data_uri") -> tuple[str, int, int, int]:
    """An image sent inline — a `data:image/<fmt>;base64,` URI whose MIME type matches its data, or raw base64
    without a prefix (Kling's form) — as (format, width, height, bytes); ValueError says what is wrong."""
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    if encoding == "base64":
        if value.startswith("data:"):
            raise ValueError("must be raw base64 without a data: prefix")
        mime, text = None, value
    else:
        match = re.fullmatch(r"data:image/(\w+);base64,(.+)", value, re.DOTALL)
        if match is None:
            raise ValueError("must be an http(s) URL or a data:image/<format>;base64,<data> URI")
        mime, text = match[1].lower(), match[2]
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("base64 data does not decode") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind, (width, height) = str(image.format), image.size
    except Exception:
        raise ValueError("data is not a readable image") from None
    if mime is not None and {"jpg": "jpeg"}.get(mime, mime) != kind.lower():
        raise ValueError(f"MIME type image/{mime} does not match the {kind} data")
    return kind, width, height, len(data)


def check_image(value: Any, *, encoding: Literal["data_uri", "base64"] = "data_uri", min_side: int = 300,
                ratios: tuple[float, float] = (0.4, 2.5), formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP"),
                max_bytes: int | None = None) -> None:
    """Raise ValueError saying what is wrong unless `value` is an http(s) URL or an inline image (`read_image`) in
    one of `formats`, its shorter side ≥ `min_side`, width/height within `ratios` and at most `max_bytes`. The
    defaults are the limits both Ark and MiniMax document for input images."""
    if isinstance(value, str) and re.match(r"https?://\S+$", value):
        return
    kind, width, height, size = read_image(value, encoding=encoding)
    if kind not in formats:
        raise ValueError(f"image format {kind} is not supported")
    if max_bytes is not None and size > max_bytes:
        raise ValueError(f"image is {size} bytes, more than {max_bytes}")
    if min(width, height) < min_side:
        raise ValueError(f"image is {width}x{height}; the shorter side must be at least {min_side} px")
    if not ratios[0] <= width / height <= ratios[1]:
        raise ValueError(f"image aspect ratio {width / height:.2f} is outside {ratios[0]}..{ratios[1]}")


@dataclass
class FakeTask:
    id: str
    body: dict[str, Any]
    created: float  # epoch seconds
    started: float  # time.monotonic()
    latency: float
    outcome: str = "succeeded"  # succeeded | failed | stuck
    error: tuple[Any, str] | None = None  # (code, message) of a failed task
    extra: dict[str, Any] = field(default_factory=dict)

    def phase(self, now: float | None = None) -> str:
        """queued for the first quarter of its latency, running until it is over, then its outcome."""
        elapsed = (time.monotonic() if now is None else now) - self.started
        if elapsed < self.latency / 4:
            return "queued"
        if elapsed < self.latency or self.outcome == "stuck":
            return "running"
        return self.outcome


class VideoTaskFake(FakeServer):
    """Base of provider fakes. `key`: the only accepted API key. `latency`: seconds from create to outcome,
    fixed or drawn uniformly from (min, max) with `seed`. Result files are served at `/results/<task>.mp4`."""

    results_pattern = r"/results/(?P<task>[^/]+)\.mp4"

    def __init__(self, key: str, *, latency: Latency = 0.0, seed: int = 0):
        super().__init__()
        self.key = key
        self.latency = latency
        self.tasks: dict[str, FakeTask] = {}
        self.creates = 0
        self.max_in_flight = 0
        self._rng = random.Random(seed)
        self._outcomes: deque[tuple[str, tuple[Any, str] | None]] = deque()
        self._task_lock = threading.Lock()
        self.route("GET", self.results_pattern, self._result)

    # --- tasks --------------------------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.key}"

    def new_task(self, task_id: str, body: dict[str, Any]) -> FakeTask:
        """Record a created task, with the next queued outcome (default: success after the latency)."""
        with self._task_lock:
            outcome, error = self._outcomes.popleft() if self._outcomes else ("succeeded", None)
            task = FakeTask(task_id, body, time.time(), time.monotonic(), draw_latency(self.latency, self._rng),
                            outcome, error)
            self.tasks[task_id] = task
            self.creates += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight())
            return task

    def in_flight(self) -> int:
        now = time.monotonic()
        return sum(1 for task in self.tasks.values() if task.phase(now) in ("queued", "running"))

    def fail_next_task(self, code: Any, message: str) -> None:
        """The next created task runs, then ends failed with this error (e.g. moderation of the output)."""
        self._outcomes.append(("failed", (code, message)))

    def stick_next_task(self) -> None:
        """The next created task stays running forever."""
        self._outcomes.append(("stuck", None))

    # --- results ------------------------------------------------------------------------------------------

    def result_url(self, task: FakeTask) -> str:
        return f"{self.url}/results/{task.id}.mp4"

    def _result(self, request: Request) -> Response:
        task = self.tasks.get(request.params["task"])
        if task is None or task.phase() != "succeeded":
            return Response(404, b"not found", {"content-type": "text/plain"})
        return Response(200, result_video(), {"content-type": "video/mp4"})

    def truncate_next_download(self) -> None:
        self.fault("GET", self.results_pattern, truncated_result())

    def corrupt_next_download(self) -> None:
        self.fault("GET", self.results_pattern, corrupt_result())

    def missing_next_download(self, response: Response | None = None) -> None:
        """The next result download answers 404 (or `response`), as a link not yet (or no longer) there."""
        self.fault("GET", self.results_pattern, response or Response(404, b"not found",
                                                                     {"content-type": "text/plain"}))

    def drop_next(self, method: str, pattern: str) -> None:
        """The next matching request gets its connection closed without an answer."""
        self.fault(method, pattern, Response(drop=True))


# --- for the tests that drive engines against these fakes ----------------------------------------------------

def write_image(path: Path, size: tuple[int, int] = (320, 576), color: tuple[int, int, int] = (200, 120, 40),
                format: str = "PNG") -> Path:
    """A plain image large enough for the providers' input limits (shorter side ≥ 300 px)."""
    Image.new("RGB", size, color).save(path, format=format)
    return path


def no_sleep(seconds: float) -> None:
    """For `with_retries(…, sleep=no_sleep)`: retry at once."""


def out(tmp_path: Path, name: str = "out") -> Path:
    """An empty folder to fetch a result into."""
    folder = tmp_path / name
    folder.mkdir()
    return folder


def wait(engine: RemoteEngine, task: RemoteTask, timeout: float = 10.0) -> TaskStatus:
    """Poll `task` every 10 ms until it is done; its final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = engine.poll(task)
        if status.done:
            return status
        time.sleep(0.01)
    raise AssertionError(f"task {task.task_id} not done after {timeout}s: {status.state}")
