"""A fake of Kling's official API, field by field as documented: video generation (text2video, image2video,
multi-image2video), the passes over a video Kling made (video-extend, lip-sync) and image generation (generations,
multi-image2image), all with the same envelope, task states, query by task id or external id, and faults.

It checks the per-request JWT by hand (HS256 over header.payload, `iss`, `exp`, `nbf`), validates each
create body as Kling does (unknown fields, enums, the duration string, raw-base64 images that decode to a
png/jpg within Kling's limits, camera control shape and where it is supported, mutually exclusive fields,
`external_task_id` unique per account), answers in Kling's envelope with millisecond timestamps, and moves
tasks submitted → processing → succeed|failed after `latency` seconds (a float, or a (min, max) range drawn
from a seeded random). State is computed from the clock when asked, so the fake costs nothing between
requests; results are one small MP4 made once per process and served from `/files/<task_id>.mp4`.

The passes: a `video_id` must name a finished video this fake made for the account; an extension's result is the
whole video, 4.6 s (and 24 served frames) longer than its source, refused past 3 minutes; a lip-sync takes a source
of 2–10 s and its body nested under `input` or flat (⚠ the docs disagree), decodes `audio_file` (mp3/wav/m4a/aac,
≤ 5 MB, checked by decoding it) and keeps the bytes in `audio[task_id]`; its result is the source's video. Image
tasks answer `task_result.images[{index, url}]` with real PNGs (`/files/<task_id>-<index>.png`) whose size follows
`aspect_ratio` and `resolution` (the fake's own sizes: 1k = 1024 px on the long side) and whose pixels follow the
request; `image_reference` only on kling-v1-5 and then required with an image, no negative prompt with an image.

Not modelled: `aspect_ratio` on image2video is refused (the output follows the image; one copy of the docs
⚠ lists it), callbacks are accepted and never called, URL images are accepted without being fetched.

Use::

    with KlingFake(latency=(1, 3), seed=1, concurrency_limit=5) as kling:
        env = kling.environ()  # KLING_ACCESS_KEY, KLING_SECRET_KEY, KLING_API_BASE
        ...
        kling.creates["job-key"]  # create requests carrying that external_task_id (accepted or not)
        kling.max_in_flight  # most tasks submitted/processing at once

Faults: `refuse` (an envelope error, e.g. 1301, 1302 with Retry-After, 5000), `answer` (a plain, non-Kling
answer: 429 with Retry-After, a 500 HTML page), `drop` (connection closed before any answer),
`lose_create_answer` (the task is created, the answer lost), `fail_next` (a task ends failed, by default
with a moderation reason), `stick_next` (a task never finishes), `lose_result`, `truncate_result`,
`corrupt_result` (the download of a result).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import io
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from PIL import Image

from .server import FakeServer, Request, Response, tiny_mp4
from .video_tasks import check_image as check_inline_image
from .video_tasks import corrupt_result, draw_latency, result_video, truncated_result

ACCESS_KEY = "fake-kling-access-key-0123456789abcdef"
SECRET_KEY = "fake-kling-secret-key-fedcba9876543210"

# every create endpoint and where it lives (videos or images)
ROOTS = {"text2video": "videos", "image2video": "videos", "multi-image2video": "videos", "video-extend": "videos",
         "lip-sync": "videos", "generations": "images", "multi-image2image": "images"}
CREATE = rf"/v1/(?P<root>videos|images)/(?P<endpoint>{'|'.join(ROOTS)})"
ROUTES = {"create": ("POST", CREATE), "query": ("GET", CREATE + r"/(?P<id>[^/]+)"),
          "file": ("GET", r"/files/(?P<name>[^/]+)")}
Where = Literal["create", "query", "file"]

HTTP_STATUS = {1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401, 1100: 429, 1101: 429, 1102: 429,
               1200: 400, 1201: 400, 1202: 404, 1203: 404, 1300: 400, 1301: 400, 1302: 429, 1303: 429, 1304: 429,
               5000: 500, 5001: 503, 5002: 504}
MODERATION = "Failure to pass the risk control system"

COMMON = {"model_name", "prompt", "negative_prompt", "mode", "duration", "callback_url", "external_task_id"}
FIELDS = {
    "text2video": COMMON | {"cfg_scale", "aspect_ratio", "camera_control", "sound"},
    "image2video": COMMON | {"cfg_scale", "image", "image_tail", "static_mask", "dynamic_masks", "camera_control",
                             "sound"},
    "multi-image2video": COMMON | {"image_list", "aspect_ratio"},
    # ⚠ one copy of the docs lists video_id, prompt, negative_prompt, cfg_scale, callback_url; another adds
    # external_task_id and watermark_info, a third model_name and mode: all are accepted
    "video-extend": {"video_id", "prompt", "negative_prompt", "cfg_scale", "callback_url", "external_task_id",
                     "watermark_info", "model_name", "mode"},
    "generations": {"model_name", "prompt", "negative_prompt", "image", "image_reference", "image_fidelity",
                    "human_fidelity", "resolution", "n", "aspect_ratio", "watermark_info", "callback_url",
                    "external_task_id"},
    "multi-image2image": {"model_name", "prompt", "subject_image_list", "scene_image", "style_image", "n",
                          "aspect_ratio", "watermark_info", "callback_url", "external_task_id"},
}
# lip-sync: nested under "input" in two copies of the docs, flat in one ⚠: both are accepted
LIPSYNC_INPUT = {"video_id", "video_url", "mode", "audio_type", "audio_file", "audio_url", "text", "voice_id",
                 "voice_language", "voice_speed"}
IMAGE_MODELS = {"generations": ("kling-v1", {"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1"}),
                "multi-image2image": ("kling-v2", {"kling-v2", "kling-v2-1"})}
IMAGE_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "3:2": (3, 2),
                "2:3": (2, 3), "21:9": (21, 9)}
IMAGE_LONG_SIDE = {"1k": 1024, "2k": 2048}  # the fake's own sizes (Kling does not document pixel sizes)
AUDIO_FORMATS = {"wav", "mp3", "aac", "mov,mp4,m4a,3gp,3g2,mj2"}  # PyAV's names for wav, mp3, aac, m4a
AUDIO_LIMIT = 5 * 1024 * 1024
EXTEND_ADDS = 4.6  # seconds one extension adds (Kling: 4–5 s)
EXTEND_TOTAL = 180.0  # an extended video is at most 3 minutes
EXTEND_FRAMES = 24  # what an extension adds to the served video (the fake's clips are 24 frames at 24 fps)
MODELS = {
    "text2video": {"kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1-master", "kling-v2-5-turbo",
                   "kling-v2-6", "kling-v3"},
    "image2video": {"kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1", "kling-v2-1-master",
                    "kling-v2-5-turbo", "kling-v2-6", "kling-v3"},
    "multi-image2video": {"kling-v1-6"},
}
CAMERA_SUPPORT = {("text2video", "kling-v1", "std", "5"), ("image2video", "kling-v1-5", "pro", "5")}
CAMERA_PRESETS = {"down_back", "forward_up", "right_turn_forward", "left_turn_forward"}
CAMERA_FIELDS = {"horizontal", "vertical", "pan", "tilt", "roll", "zoom"}


def envelope(code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": f"req-{random.getrandbits(48):012x}", "data": data}


def refusal(code: int, message: str, *, retry_after: float | None = None) -> Response:
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return Response(HTTP_STATUS.get(code, 400), envelope(code, message), headers)


class BadRequest(ValueError):
    """A create body Kling refuses with 400 1201."""


@dataclass
class FakeTask:
    task_id: str
    endpoint: str
    account: str
    external_id: str | None
    duration: str
    created_ms: int
    created: float  # monotonic
    started: float  # processing from here
    ready: float  # terminal from here (inf: stuck)
    failure: str | None
    seconds: float = 0.0  # the result video's duration as reported
    frames: int = 24  # the result video's frames as served
    parent: FakeTask | None = None  # the video an extension or a lip-sync worked on
    images: int = 0  # an image task's result count (`n`)
    image_size: tuple[int, int] = (0, 0)
    image_seed: bytes = b""  # a digest of the request: the result's pixels depend on it
    start_image: bytes | None = None  # image2video's `image` (sent as base64): the result starts on it

    def status(self, now: float) -> str:
        if now >= self.ready:
            return "failed" if self.failure else "succeed"
        return "processing" if now >= self.started else "submitted"

    def active(self, now: float) -> bool:
        return now < self.ready

    def video_id(self) -> str:
        return f"video-{self.task_id}"

    def video(self, base: str) -> dict[str, Any]:
        return {"id": self.video_id(), "url": f"{base}/files/{self.task_id}.mp4", "duration": f"{self.seconds:.1f}"}

    def view(self, now: float, base: str) -> dict[str, Any]:
        status = self.status(now) if now > self.created else "submitted"  # a create is always answered submitted
        moved = {"submitted": self.created, "processing": self.started}.get(status, self.ready)
        info: dict[str, Any] = {"external_task_id": self.external_id} if self.external_id else {}
        if self.parent is not None:
            info["parent_video"] = self.parent.video(base)
        data: dict[str, Any] = {
            "task_id": self.task_id, "task_status": status,
            "task_status_msg": self.failure if status == "failed" else "",
            "task_info": info,
            "created_at": self.created_ms, "updated_at": self.created_ms + int(1000 * (moved - self.created)),
        }
        if status == "succeed" and self.images:
            data["task_result"] = {"images": [{"index": i, "url": f"{base}/files/{self.task_id}-{i}.png"}
                                              for i in range(self.images)]}
        elif status == "succeed":
            data["task_result"] = {"videos": [self.video(base)]}
        return data


@contextmanager
def kling_in_environment(monkeypatch, **options: Any) -> Iterator[KlingFake]:
    """A KlingFake serving (`options` to its constructor), the environment pointing drama's Kling engines at it."""
    with KlingFake(**options) as fake:
        for name, value in fake.environ().items():
            monkeypatch.setenv(name, value)
        yield fake


class KlingFake(FakeServer):
    """Kling's video API on 127.0.0.1; `latency`, `concurrency_limit` and the counters may be changed or read
    at any time."""

    def __init__(self, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                 latency: float | tuple[float, float] = 0.0, seed: int = 0, concurrency_limit: int | None = None):
        super().__init__()
        self.access_key = access_key
        self.secret_key = secret_key
        self.accounts = {access_key: secret_key}
        self.latency = latency
        self.concurrency_limit = concurrency_limit
        self.tasks: dict[str, FakeTask] = {}
        self.creates: Counter[str] = Counter()
        self.audio: dict[str, bytes] = {}  # lip-sync task id -> the audio bytes it received
        self.max_in_flight = 0
        self._random = random.Random(seed)
        self._ids = itertools.count(1)
        self._external: dict[tuple[str, str], FakeTask] = {}
        self._failures: deque[str] = deque()
        self._stuck = 0
        self._lost_answers = 0
        self._state = threading.Lock()
        for where, handler in (("create", self._create), ("query", self._query), ("file", self._file)):
            self.route(*ROUTES[where], handler)

    def environ(self) -> dict[str, str]:
        """The environment an engine (or a drama subprocess) needs to talk to this fake."""
        return {"KLING_ACCESS_KEY": self.access_key, "KLING_SECRET_KEY": self.secret_key, "KLING_API_BASE": self.url}

    def in_flight(self) -> int:
        now = time.monotonic()
        with self._state:
            return sum(1 for task in self.tasks.values() if task.active(now))

    # --- faults on demand ---------------------------------------------------------------------------------

    def refuse(self, code: int, message: str = "refused", *, on: Where = "create", times: int = 1,
               retry_after: float | None = None) -> None:
        """Answer the next `times` requests at `on` with Kling's error envelope for `code`."""
        self.fault(*ROUTES[on], refusal(code, message, retry_after=retry_after), times=times)

    def answer(self, status: int, body: bytes = b"", *, on: Where = "create", times: int = 1,
               headers: dict[str, str] | None = None) -> None:
        """A plain answer that is not Kling's envelope (a gateway's 429 or 502 page)."""
        self.fault(*ROUTES[on], Response(status, body, dict(headers or {})), times=times)

    def drop(self, *, on: Where = "create", times: int = 1) -> None:
        """Close the connection before answering (nothing is created)."""
        self.fault(*ROUTES[on], Response(drop=True), times=times)

    def lose_create_answer(self, times: int = 1) -> None:
        """Create the next tasks, then close the connection instead of answering."""
        with self._state:
            self._lost_answers += times

    def fail_next(self, reason: str = MODERATION, times: int = 1) -> None:
        """The next accepted tasks end `failed` with `reason` (default: a moderation failure)."""
        with self._state:
            self._failures.extend([reason] * times)

    def stick_next(self, times: int = 1) -> None:
        """The next accepted tasks stay `processing` for ever (and hold a concurrency slot)."""
        with self._state:
            self._stuck += times

    def lose_result(self, times: int = 1) -> None:
        self.fault(*ROUTES["file"], Response(404, b"NoSuchKey", {"content-type": "text/plain"}), times=times)

    def truncate_result(self, times: int = 1) -> None:
        self.fault(*ROUTES["file"], truncated_result(), times=times)

    def corrupt_result(self, times: int = 1) -> None:
        self.fault(*ROUTES["file"], corrupt_result(), times=times)

    # --- routes -------------------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        account = self._authorize(request)
        if isinstance(account, Response):
            return account
        endpoint = request.params["endpoint"]
        if ROOTS[endpoint] != request.params["root"]:
            return Response(404, {"error": f"no route {request.path}"})
        try:
            body = request.json()
        except ValueError:
            return refusal(1200, "request body is not JSON")
        if isinstance(body, dict) and isinstance(body.get("external_task_id"), str):
            with self._state:
                self.creates[body["external_task_id"]] += 1
        try:
            audio = validate(endpoint, body)
        except BadRequest as error:
            return refusal(1201, str(error))
        with self._state:
            now = time.monotonic()
            try:
                parent = self._source(endpoint, body, account, now)
            except BadRequest as error:
                return refusal(1201, str(error))
            external = body.get("external_task_id")
            if external and (account, external) in self._external:
                return refusal(1201, "external_task_id already exists")
            active = sum(1 for task in self.tasks.values() if task.account == account and task.active(now))
            if self.concurrency_limit is not None and active >= self.concurrency_limit:
                return refusal(1303, "parallel task over resource pack limit")
            task = self._new_task(endpoint, account, body, now, parent)
            if audio is not None:
                self.audio[task.task_id] = audio
            self.max_in_flight = max(self.max_in_flight, active + 1)
            lost = self._lost_answers > 0
            if lost:
                self._lost_answers -= 1
        if lost:
            return Response(drop=True)
        return Response(200, envelope(0, "SUCCEED", task.view(now, self.url)))

    def _source(self, endpoint: str, body: dict[str, Any], account: str, now: float) -> FakeTask | None:
        """The video an extension or a lip-sync works on: a video id must name a video this fake made for the
        account (and finished); extensions stay within 3 minutes, lip-sync within 2–10 s."""
        fields = body.get("input", body) if endpoint == "lip-sync" else body
        video_id = fields.get("video_id") if endpoint in ("video-extend", "lip-sync") else None
        if video_id is None:
            return None
        source = self.tasks.get(str(video_id).removeprefix("video-"))
        if (source is None or source.images or source.account != account or source.video_id() != video_id
                or source.status(now) != "succeed"):
            raise BadRequest(f"video_id {video_id} is not a video Kling generated for this account")
        if endpoint == "video-extend" and source.seconds + EXTEND_ADDS > EXTEND_TOTAL:
            raise BadRequest("the extended video would be longer than 3 minutes")
        if endpoint == "lip-sync" and not 2 <= source.seconds <= 10.5:
            raise BadRequest(f"lip-sync takes videos of 2 to 10 s, not {source.seconds:.1f} s")
        return source

    def _new_task(self, endpoint: str, account: str, body: dict[str, Any], now: float,
                  parent: FakeTask | None) -> FakeTask:
        latency = draw_latency(self.latency, self._random)
        stuck = self._stuck > 0
        if stuck:
            self._stuck -= 1
        task = FakeTask(task_id=f"{next(self._ids):018d}", endpoint=endpoint, account=account,
                        external_id=body.get("external_task_id"), duration=body.get("duration", "5"),
                        created_ms=int(time.time() * 1000), created=now, started=now + 0.25 * latency,
                        ready=float("inf") if stuck else now + latency,
                        failure=self._failures.popleft() if self._failures else None, parent=parent)
        if ROOTS[endpoint] == "images":
            ratio = IMAGE_RATIOS[body.get("aspect_ratio", "16:9")]
            long_side = IMAGE_LONG_SIDE[body.get("resolution", "1k")]
            scale = long_side / max(ratio)
            task.images, task.image_size = body.get("n", 1), (round(ratio[0] * scale), round(ratio[1] * scale))
            task.image_seed = hashlib.sha256(json.dumps(
                {k: v for k, v in body.items() if k not in ("external_task_id", "callback_url")},
                sort_keys=True).encode()).digest()
        elif endpoint == "video-extend" and parent is not None:
            task.seconds, task.frames = parent.seconds + EXTEND_ADDS, parent.frames + EXTEND_FRAMES
        elif parent is not None:  # lip-sync: the same video, its mouth moved
            task.seconds, task.frames = parent.seconds, parent.frames
        else:
            task.seconds = float(task.duration) + 0.1
            image = body.get("image")
            if endpoint == "image2video" and isinstance(image, str) and not image.startswith("http"):
                # the result is the image, pushed in on for the whole duration, as image-to-video starts on it
                task.start_image, task.frames = base64.b64decode(image), round(24 * float(task.duration))
        self.tasks[task.task_id] = task
        if task.external_id:
            self._external[(account, task.external_id)] = task
        return task

    def _query(self, request: Request) -> Response:
        account = self._authorize(request)
        if isinstance(account, Response):
            return account
        ident = request.params["id"]
        with self._state:
            task = self.tasks.get(ident)
            if task is None or task.account != account:
                task = self._external.get((account, ident))
        if task is None or task.endpoint != request.params["endpoint"]:
            return refusal(1203, "Requested resource does not exist")
        return Response(200, envelope(0, "SUCCEED", task.view(time.monotonic(), self.url)))

    def _file(self, request: Request) -> Response:
        name = request.params["name"]
        stem, _, suffix = name.rpartition(".")
        task_id, _, index = stem.partition("-")
        task = self.tasks.get(task_id)
        if task is None or task.status(time.monotonic()) != "succeed":
            return Response(404, b"NoSuchKey", {"content-type": "text/plain"})
        if suffix == "png" and index.isdigit() and int(index) < task.images:
            return Response(200, result_image(task.image_seed, int(index), task.image_size),
                            {"content-type": "image/png"})
        if suffix == "mp4" and not index and not task.images:
            video = video_of(task.frames) if task.start_image is None else push_in(task.start_image, task.frames)
            return Response(200, video, {"content-type": "video/mp4"})
        return Response(404, b"NoSuchKey", {"content-type": "text/plain"})

    def _authorize(self, request: Request) -> str | Response:
        """The account (access key) of a valid `Authorization: Bearer <jwt>`, else Kling's 401 envelope."""
        header = request.headers.get("authorization", "").strip()
        if not header:
            return refusal(1001, "Authorization header is empty")
        scheme, _, token = header.partition(" ")
        parts = token.strip().split(".")
        if scheme != "Bearer" or len(parts) != 3:
            return refusal(1002, "Authorization is invalid")
        try:
            head, claims = (json.loads(b64url_decode(part)) for part in parts[:2])
            signature = b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            return refusal(1002, "Authorization is invalid")
        if not isinstance(head, dict) or head.get("alg") != "HS256" or head.get("typ") != "JWT" \
                or not isinstance(claims, dict):
            return refusal(1002, "Authorization is invalid")
        secret = self.accounts.get(str(claims.get("iss")))
        expected = hmac.new((secret or "").encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if secret is None or not hmac.compare_digest(expected, signature):
            return refusal(1000, "Authentication failed")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (exp, nbf)):
            return refusal(1002, "Authorization is invalid: exp and nbf are required")
        now = time.time()
        if nbf > now:
            return refusal(1003, "Authorization is not yet valid")
        if exp <= now:
            return refusal(1004, "Authorization has expired")
        return str(claims["iss"])


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- create bodies ----------------------------------------------------------------------------------------

def validate(endpoint: str, body: Any) -> bytes | None:
    """Raise BadRequest for a body Kling refuses on `endpoint`; a lip-sync's audio file bytes, else None."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    if endpoint == "lip-sync":
        return validate_lipsync(body)
    if endpoint == "video-extend":
        validate_extend(body)
    elif ROOTS[endpoint] == "images":
        validate_image(endpoint, body)
    else:
        validate_video(endpoint, body)
    return None


def check_text(body: dict[str, Any], names: tuple[str, ...] = ("prompt", "negative_prompt")) -> None:
    for name in names:
        if name in body and (not isinstance(body[name], str) or len(body[name]) > 2500):
            raise BadRequest(f"{name} must be a string of at most 2500 characters")
    for name in ("callback_url", "external_task_id"):
        if name in body and (not isinstance(body[name], str) or not body[name]):
            raise BadRequest(f"{name} must be a non-empty string")


def check_unit(body: dict[str, Any], name: str) -> None:
    value = body.get(name, 0.5)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise BadRequest(f"{name} must be a number in [0, 1]")


def check_known(body: dict[str, Any], fields: set[str]) -> None:
    unknown = sorted(set(body) - fields)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")


def check_watermark(body: dict[str, Any]) -> None:
    if "watermark_info" in body and (not isinstance(body["watermark_info"], dict)
                                     or not isinstance(body["watermark_info"].get("enabled"), bool)):
        raise BadRequest('watermark_info must be {"enabled": true|false}')


def validate_extend(body: dict[str, Any]) -> None:
    check_known(body, FIELDS["video-extend"])
    if not isinstance(body.get("video_id"), str) or not body["video_id"]:
        raise BadRequest("video_id is required")
    check_text(body)
    check_unit(body, "cfg_scale")
    check_watermark(body)
    if body.get("mode", "std") not in ("std", "pro"):
        raise BadRequest("mode must be std or pro")


def validate_image(endpoint: str, body: dict[str, Any]) -> None:
    check_known(body, FIELDS[endpoint])
    default, models = IMAGE_MODELS[endpoint]
    model = body.get("model_name", default)
    if model not in models:
        raise BadRequest(f"model_name {model!r} is not supported on {endpoint}")
    prompt = body.get("prompt")
    if endpoint == "generations" and (not isinstance(prompt, str) or not prompt.strip()):
        raise BadRequest("prompt is required")
    check_text(body)
    check_watermark(body)
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 9:
        raise BadRequest("n must be an integer in [1, 9]")
    if body.get("aspect_ratio", "16:9") not in IMAGE_RATIOS:
        raise BadRequest(f"aspect_ratio must be one of {', '.join(IMAGE_RATIOS)}")
    if endpoint == "multi-image2image":
        subjects = body.get("subject_image_list")
        if not isinstance(subjects, list) or not 1 <= len(subjects) <= 4:
            raise BadRequest("subject_image_list must hold 1 to 4 images")
        for item in subjects:
            if not isinstance(item, dict) or set(item) != {"subject_image"}:
                raise BadRequest('subject_image_list items are {"subject_image": …}')
            check_image(item["subject_image"], "subject_image_list.subject_image")
        for name in ("scene_image", "style_image"):
            if name in body:
                check_image(body[name], name)
        return
    if body.get("resolution", "1k") not in IMAGE_LONG_SIDE:
        raise BadRequest("resolution must be 1k or 2k")
    for name in ("image_fidelity", "human_fidelity"):
        check_unit(body, name)
    reference = body.get("image_reference")
    if "image" not in body:
        if reference is not None or "image_fidelity" in body or "human_fidelity" in body:
            raise BadRequest("image_reference and the fidelities need an image")
        return
    check_image(body["image"], "image")
    if "negative_prompt" in body:
        raise BadRequest("negative_prompt is not supported with a reference image")
    if model == "kling-v1-5" and reference not in ("subject", "face"):
        raise BadRequest("image_reference (subject or face) is required with an image on kling-v1-5")
    if model != "kling-v1-5" and reference is not None:
        raise BadRequest(f"image_reference is supported only on kling-v1-5, not {model}")
    if "human_fidelity" in body and reference != "subject":
        raise BadRequest("human_fidelity applies only to image_reference subject")


def validate_lipsync(body: dict[str, Any]) -> bytes | None:
    """Nested (`{"input": {…}, "callback_url"}`) or flat ⚠; the decoded audio_file when one was sent."""
    if "input" in body:
        check_known(body, {"input", "callback_url"})
        fields = body["input"]
        if not isinstance(fields, dict):
            raise BadRequest("input must be an object")
        check_known(fields, LIPSYNC_INPUT)
    else:
        check_known(body, LIPSYNC_INPUT | {"callback_url"})
        fields = body
    check_text(body, ())
    if ("video_id" in fields) == ("video_url" in fields):
        raise BadRequest("exactly one of video_id and video_url is required")
    if "video_url" in fields and not re.match(r"https?://\S+$", str(fields["video_url"])):
        raise BadRequest("video_url must be an http(s) URL")
    mode = fields.get("mode")
    if mode == "text2video":
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 120:
            raise BadRequest("text of 1 to 120 characters is required in text2video mode")
        if not isinstance(fields.get("voice_id"), str) or not fields["voice_id"]:
            raise BadRequest("voice_id is required in text2video mode")
        if fields.get("voice_language", "zh") not in ("zh", "en"):
            raise BadRequest("voice_language must be zh or en")
        speed = fields.get("voice_speed", 1.0)
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.8 <= speed <= 2.0:
            raise BadRequest("voice_speed must be in [0.8, 2.0]")
        return None
    if mode != "audio2video":
        raise BadRequest("mode must be text2video or audio2video")
    kind = fields.get("audio_type")
    if kind == "url":
        if not re.match(r"https?://\S+$", str(fields.get("audio_url", ""))):
            raise BadRequest("audio_url must be an http(s) URL when audio_type is url")
        return None
    if kind != "file":
        raise BadRequest("audio_type must be file or url in audio2video mode")
    return check_audio(fields.get("audio_file"))


def check_audio(value: Any) -> bytes:
    """Raw base64 of an mp3, wav, m4a or aac file of at most 5 MB that decodes to sound; its bytes."""
    if not isinstance(value, str) or not value or value.startswith("data:"):
        raise BadRequest("audio_file must be raw base64 (no data: prefix)")
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise BadRequest("audio_file does not decode as base64") from None
    if len(data) > AUDIO_LIMIT:
        raise BadRequest(f"audio_file is {len(data)} bytes, more than 5 MB")
    try:
        with av.open(io.BytesIO(data)) as container:
            kind = container.format.name
            samples = sum(frame.samples for frame in container.decode(audio=0))
    except (av.error.FFmpegError, IndexError, ValueError):
        raise BadRequest("audio_file is not readable audio") from None
    if kind not in AUDIO_FORMATS or samples == 0:
        raise BadRequest(f"audio_file must be mp3, wav, m4a or aac, not {kind}")
    return data


def result_image(seed: bytes, index: int, size: tuple[int, int]) -> bytes:
    """A PNG whose pixels follow the request (its digest) and the image's index: a colour field with a gradient and
    bars, so that it is neither flat nor the same for two requests."""
    digest = hashlib.sha256(seed + bytes([index])).digest()
    width, height = size
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    base = np.frombuffer(digest[:3], dtype=np.uint8).astype(np.float32)[None, None, :]
    bars = ((np.arange(width) // max(1, width // (4 + digest[3] % 8))) % 2).astype(np.float32)[None, :, None]
    pixels = np.clip(base * (0.6 + 0.4 * y) + 60 * x + 40 * bars, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).copy()).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@functools.cache
def video_of(frames: int) -> bytes:
    """The result video of a task: the shared one, or a longer one for extended videos."""
    return result_video() if frames == 24 else tiny_mp4(width=64, height=112, frames=frames, fps=24.0)


@functools.lru_cache(maxsize=64)
def push_in(image: bytes, frames: int) -> bytes:
    """An image-to-video result: `frames` frames at 24 fps whose first is the image (scaled to 288 px on its shorter
    side), then a slow push-in on its centre, so a clip drawn from a keyframe or a chained frame visibly starts on it."""
    import tempfile

    from engine.video import write_mp4

    with Image.open(io.BytesIO(image)) as opened:
        start = opened.convert("RGB")
    scale = 288 / min(start.size)
    width, height = (round(side * scale / 2) * 2 for side in start.size)
    start = start.resize((width, height), Image.Resampling.LANCZOS)

    def frame(i: int) -> np.ndarray:
        crop = 1 - 0.1 * i / max(1, frames - 1)  # 10 % closer by the last frame
        box = (width * (1 - crop) / 2, height * (1 - crop) / 2, width * (1 + crop) / 2, height * (1 + crop) / 2)
        return np.asarray(start.resize((width, height), Image.Resampling.BILINEAR, box=box))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.mp4"
        write_mp4((frame(i) for i in range(frames)), path, width=width, height=height, fps=24.0, crf=18)
        return path.read_bytes()


def validate_video(endpoint: str, body: dict[str, Any]) -> None:
    """The checks of text2video, image2video and multi-image2video."""
    check_known(body, FIELDS[endpoint])
    model = body.get("model_name", "kling-v1")
    if model not in MODELS[endpoint]:
        raise BadRequest(f"model_name {model!r} is not supported on {endpoint}")
    mode, duration = body.get("mode", "std"), body.get("duration", "5")
    if mode not in ("std", "pro"):
        raise BadRequest("mode must be std or pro")
    if not isinstance(duration, str) or duration not in ("5", "10"):
        raise BadRequest('duration must be the string "5" or "10"')
    if body.get("aspect_ratio", "16:9") not in ("16:9", "9:16", "1:1"):
        raise BadRequest("aspect_ratio must be 16:9, 9:16 or 1:1")
    prompt = body.get("prompt")
    if endpoint != "image2video" and (not isinstance(prompt, str) or not prompt.strip()):
        raise BadRequest("prompt is required")
    check_text(body)
    check_unit(body, "cfg_scale")
    if body.get("sound", "off") not in ("on", "off"):
        raise BadRequest("sound must be on or off")
    if endpoint == "image2video":
        check_image(body.get("image"), "image")
        if "image_tail" in body:
            check_image(body["image_tail"], "image_tail")
        used = [group for group, fields in (("image_tail", ("image_tail",)), ("camera_control", ("camera_control",)),
                                            ("motion brush", ("static_mask", "dynamic_masks")))
                if any(name in body for name in fields)]
        if len(used) > 1:
            raise BadRequest(f"{' and '.join(used)} cannot be used together")
    if endpoint == "multi-image2video":
        images = body.get("image_list")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            raise BadRequest("image_list must hold 1 to 4 images")
        for item in images:
            if not isinstance(item, dict) or set(item) != {"image"}:
                raise BadRequest('image_list items are {"image": …}')
            check_image(item["image"], "image_list.image")
    if "camera_control" in body:
        check_camera(body["camera_control"])
        if (endpoint, model, mode, duration) not in CAMERA_SUPPORT:
            raise BadRequest(f"camera_control is not supported for {model} {mode} {duration}s on {endpoint}")


def check_image(value: Any, name: str) -> None:
    """A URL, or raw base64 (no data: prefix) of a png/jpg ≤10 MB, ≥300 px a side, aspect 1:2.5–2.5:1."""
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} is required")
    try:
        check_inline_image(value, encoding="base64", formats=("PNG", "JPEG"), max_bytes=10 * 1024 * 1024)
    except ValueError as error:
        raise BadRequest(f"{name}: {error}") from None


def check_camera(control: Any) -> None:
    if not isinstance(control, dict) or not set(control) <= {"type", "config"}:
        raise BadRequest("camera_control must be {type, config}")
    kind = control.get("type")
    if kind in CAMERA_PRESETS:
        if "config" in control:
            raise BadRequest(f"camera_control type {kind} takes no config")
        return
    if kind != "simple":
        raise BadRequest("camera_control type must be simple or a preset")
    config = control.get("config")
    if not isinstance(config, dict) or not set(config) <= CAMERA_FIELDS:
        raise BadRequest(f"camera_control config fields are {', '.join(sorted(CAMERA_FIELDS))}")
    values = list(config.values())
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and -10 <= v <= 10 for v in values):
        raise BadRequest("camera_control config values must be numbers in [-10, 10]")
    if sum(1 for v in values if v != 0) != 1:
        raise BadRequest("camera_control config must have exactly one non-zero value")
