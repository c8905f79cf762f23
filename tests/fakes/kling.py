"""A fake of Kling's official API (text2video, image2video, multi-image2video), field by field as documented.

It checks the per-request JWT by hand (HS256 over header.payload, `iss`, `exp`, `nbf`), validates each
create body as Kling does (unknown fields, enums, the duration string, raw-base64 images that decode to a
png/jpg within Kling's limits, camera control shape and where it is supported, mutually exclusive fields,
`external_task_id` unique per account), answers in Kling's envelope with millisecond timestamps, and moves
tasks submitted → processing → succeed|failed after `latency` seconds (a float, or a (min, max) range drawn
from a seeded random). State is computed from the clock when asked, so the fake costs nothing between
requests; results are one small MP4 made once per process and served from `/files/<task_id>.mp4`.

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
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Literal

from .server import FakeServer, Request, Response
from .video_tasks import check_image as check_inline_image
from .video_tasks import corrupt_result, draw_latency, result_video, truncated_result

ACCESS_KEY = "fake-kling-access-key-0123456789abcdef"
SECRET_KEY = "fake-kling-secret-key-fedcba9876543210"

VIDEOS = r"/v1/videos/(?P<endpoint>text2video|image2video|multi-image2video)"
ROUTES = {"create": ("POST", VIDEOS), "query": ("GET", VIDEOS + r"/(?P<id>[^/]+)"),
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
}
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

    def status(self, now: float) -> str:
        if now >= self.ready:
            return "failed" if self.failure else "succeed"
        return "processing" if now >= self.started else "submitted"

    def active(self, now: float) -> bool:
        return now < self.ready

    def view(self, now: float, base: str) -> dict[str, Any]:
        status = self.status(now) if now > self.created else "submitted"  # a create is always answered submitted
        moved = {"submitted": self.created, "processing": self.started}.get(status, self.ready)
        data: dict[str, Any] = {
            "task_id": self.task_id, "task_status": status,
            "task_status_msg": self.failure if status == "failed" else "",
            "task_info": {"external_task_id": self.external_id} if self.external_id else {},
            "created_at": self.created_ms, "updated_at": self.created_ms + int(1000 * (moved - self.created)),
        }
        if status == "succeed":
            data["task_result"] = {"videos": [{"id": f"video-{self.task_id}", "url": f"{base}/files/{self.task_id}.mp4",
                                               "duration": f"{self.duration}.1"}]}
        return data


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
        try:
            body = request.json()
        except ValueError:
            return refusal(1200, "request body is not JSON")
        if isinstance(body, dict) and isinstance(body.get("external_task_id"), str):
            with self._state:
                self.creates[body["external_task_id"]] += 1
        try:
            validate(endpoint, body)
        except BadRequest as error:
            return refusal(1201, str(error))
        with self._state:
            external = body.get("external_task_id")
            if external and (account, external) in self._external:
                return refusal(1201, "external_task_id already exists")
            now = time.monotonic()
            active = sum(1 for task in self.tasks.values() if task.account == account and task.active(now))
            if self.concurrency_limit is not None and active >= self.concurrency_limit:
                return refusal(1303, "parallel task over resource pack limit")
            task = self._new_task(endpoint, account, body, now)
            self.max_in_flight = max(self.max_in_flight, active + 1)
            lost = self._lost_answers > 0
            if lost:
                self._lost_answers -= 1
        if lost:
            return Response(drop=True)
        return Response(200, envelope(0, "SUCCEED", task.view(now, self.url)))

    def _new_task(self, endpoint: str, account: str, body: dict[str, Any], now: float) -> FakeTask:
        latency = draw_latency(self.latency, self._random)
        stuck = self._stuck > 0
        if stuck:
            self._stuck -= 1
        task = FakeTask(task_id=f"{next(self._ids):018d}", endpoint=endpoint, account=account,
                        external_id=body.get("external_task_id"), duration=body.get("duration", "5"),
                        created_ms=int(time.time() * 1000), created=now, started=now + 0.25 * latency,
                        ready=float("inf") if stuck else now + latency,
                        failure=self._failures.popleft() if self._failures else None)
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
        task = self.tasks.get(request.params["name"].removesuffix(".mp4"))
        if task is None or task.status(time.monotonic()) != "succeed":
            return Response(404, b"NoSuchKey", {"content-type": "text/plain"})
        return Response(200, result_video(), {"content-type": "video/mp4"})

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

def validate(endpoint: str, body: Any) -> None:
    """Raise BadRequest for a body Kling refuses on `endpoint`."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - FIELDS[endpoint])
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
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
    for name in ("prompt", "negative_prompt"):
        if name in body and (not isinstance(body[name], str) or len(body[name]) > 2500):
            raise BadRequest(f"{name} must be a string of at most 2500 characters")
    cfg = body.get("cfg_scale", 0.5)
    if isinstance(cfg, bool) or not isinstance(cfg, (int, float)) or not 0 <= cfg <= 1:
        raise BadRequest("cfg_scale must be a number in [0, 1]")
    for name in ("callback_url", "external_task_id"):
        if name in body and (not isinstance(body[name], str) or not body[name]):
            raise BadRequest(f"{name} must be a non-empty string")
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
