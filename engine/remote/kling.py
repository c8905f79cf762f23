"""Kling's official API as a drama engine: text-, image- and multi-image-to-video, run as provider tasks.

`KlingApi` is what every Kling endpoint shares (the JWT, the envelope and its typed errors, create / query by task
or external id / recover); `KlingVideoApi` adds the `video_id` of each result to `Clip.meta`, the handle Kling's
passes over a take (engine.remote.kling_passes: lip-sync, extension) need. Image generation is
engine.remote.kling_image.

Which endpoint a draw uses (all under `/v1/videos/`):

- `request.first_frame` set → `image2video` with `image` (raw base64, no `data:` prefix) and, when
  `request.last_frame` is set, `image_tail` (the shot's end frame). Character reference images are
  not sent: the first frame already shows the characters. The output takes the first frame's aspect ratio.
- no first frame, characters with `reference_images` → `multi-image2video` with `image_list`: at most 4
  images, the first of each character, then the second of each, and so on; the rest are dropped. Only
  kling-v1-6 takes image lists, so this endpoint uses option `multi_image_model` (default kling-v1-6) and
  ignores `model`. A last frame is ignored here and on text2video (Kling takes an end frame only with a start).
- otherwise → `text2video`.

Images Kling would refuse (not png/jpg, under 300 px a side, outside 1:2.5–2.5:1, over 10 MB) are
re-encoded: centre-cropped to the aspect limit, scaled up to 300 px, PNG (JPEG if still too big). Images
already within the limits are sent byte for byte.

Options (drama.toml `[engines.kling]` through the constructor, overlaid per request by `request.options`):
`model` (default kling-v2-5-turbo: current, and the cheapest per second at its quality, for text2video
and image2video), `multi_image_model` (kling-v1-6), `mode` std|pro (std), `cfg_scale` (0–1, only sent when
set; v2.x ignores it), `price_per_unit` (0.14), `price_per_task`/`price_per_second`
(override the unit price when either is given), `poll_interval`, `timeout`.

The prompt, plus the camera move in words where it is not sent as camera control, is cut to Kling's 2500
characters (the camera words are kept; one client limits to 500, the docs say 2500). Kling renders 5 or 10
seconds: a shot is rendered at the shortest that covers it and billed for that; a shorter shot keeps the
full 5 s clip and the edit uses only the shot's length.

Camera moves. Kling's simple camera control takes exactly one non-zero value in [-10, 10]; we send
round(5 × strength) (at least 1, at most 10), so strength 1.0 → 5, the middle of Kling's range.
Kling's naming differs from ours: their `pan` rotates about the x axis (up/down) and their `tilt` about the
y axis (left/right).

=========  ==================  ============  ======================================================
our kind   our +1 means        Kling field   value sent
=========  ==================  ============  ======================================================
pan        turn right          `tilt`        + right, − left
tilt       turn up             `pan`         + up, − down
truck      move right          `horizontal`  + right, − left
crane      move up             `vertical`    + up, − down
zoom       zoom in             `zoom`        − in (narrower field of view), + out
dolly_in   (in the kind)       `zoom`        − (simple control has no forward move: zoom is closest)
dolly_out  (in the kind)       `zoom`        +
orbit      circle right        —             words: "The camera orbits right around the subject."
follow     —                   —             words: "The camera follows the subject."
handheld   —                   —             words: "Handheld camera."
static     —                   —             words: "Static camera."
=========  ==================  ============  ======================================================

Camera control is sent only where Kling supports it: text2video on kling-v1 std 5 s and image2video on
kling-v1-5 pro 5 s without an end frame (start+end frames and camera control are mutually exclusive).
Everywhere else the move goes into the prompt in words.

Tasks: `key` goes out as `external_task_id` (unique per account). A create refused as a duplicate (400
1201) is answered with the existing task for that key, so a submit retried after a lost answer is paid
once; a key whose task failed cannot be submitted again — a re-draw needs a new key.

Cost, in Kling units per 5 s (10 s costs double), from a copy of the price list; 1 unit ≈ $0.14 is the
default `price_per_unit`. A model not in the table is estimated at 10 units so budgets err on the safe side.

==================  =====  =====
model               std    pro
==================  =====  =====
kling-v1            1      3.5
kling-v1-5          2      3.5
kling-v1-6          2      3.5
kling-v2-1          2      3.5
kling-v2-5-turbo    1.5    2.5
kling-v2-master     10     10
kling-v2-1-master   10     10
==================  =====  =====

Failed tasks are not billed.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import jwt

from engine.api import CameraMove, Clip, RenderRequest
from engine.remote.engine import RemoteEngine, choose_duration
from engine.remote.errors import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.http import Http, retry_after
from engine.remote.media import ImageLimits, raw_base64, reference_images
from engine.remote.task import Cost, RemoteTask, TaskState, TaskStatus

log = logging.getLogger(__name__)

ACCESS_KEY = "KLING_ACCESS_KEY"
SECRET_KEY = "KLING_SECRET_KEY"
KEYS = (ACCESS_KEY, SECRET_KEY)

VIDEOS = "/v1/videos"
ENDPOINTS = ("text2video", "image2video", "multi-image2video")
DEFAULT_MODELS = {"text2video": "kling-v2-5-turbo", "image2video": "kling-v2-5-turbo",
                  "multi-image2video": "kling-v1-6"}
MODES = ("std", "pro")
DURATIONS = (5.0, 10.0)
ASPECT_RATIOS = {"9:16": 9 / 16, "16:9": 16 / 9, "1:1": 1.0}
PROMPT_LIMIT = 2500
MAX_REFERENCES = 4

# Kling's image inputs: png/jpg, ≥300 px a side, aspect 1:2.5–2.5:1, ≤10 MB.
IMAGE_LIMITS = ImageLimits(min_side=300, max_aspect=2.5, max_bytes=10 * 1024 * 1024)

# (endpoint, model, mode, duration) where simple camera control is honoured.
CAMERA_CONTROL = {("text2video", "kling-v1", "std", "5"), ("image2video", "kling-v1-5", "pro", "5")}
# our move kind → (Kling config field, sign of our +1 direction); see the table above.
CAMERA_AXES = {"pan": ("tilt", 1), "tilt": ("pan", 1), "truck": ("horizontal", 1), "crane": ("vertical", 1),
               "zoom": ("zoom", -1), "dolly_in": ("zoom", -1), "dolly_out": ("zoom", 1)}
CAMERA_FIELDS = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")

# Kling units per 5 s by model and mode (10 s costs double); see the table above.
PRICE_UNITS: dict[str, dict[str, float]] = {
    "kling-v1": {"std": 1.0, "pro": 3.5},
    "kling-v1-5": {"std": 2.0, "pro": 3.5},
    "kling-v1-6": {"std": 2.0, "pro": 3.5},
    "kling-v2-1": {"std": 2.0, "pro": 3.5},
    "kling-v2-5-turbo": {"std": 1.5, "pro": 2.5},
    "kling-v2-master": {"std": 10.0, "pro": 10.0},
    "kling-v2-1-master": {"std": 10.0, "pro": 10.0},
}
UNKNOWN_MODEL_UNITS = 10.0
PRICE_PER_UNIT = 0.14

TOKEN_LIFETIME = 1800  # seconds, as Kling's docs sign it
TOKEN_REFRESH = 300  # re-sign when the token has less than this left

# Account problems (HTTP 429 1100–1102): waiting does not help, a person has to act.
ACCOUNT_ERRORS = {
    1100: "account problem: check the account in Kling's developer console",
    1101: "account in arrears: top up the balance",
    1102: "resource pack exhausted or expired: buy or renew a video resource pack",
}
# Failure reasons of finished tasks that mean the content policy refused the output: a new draw of the same
# request will not pass either. Other failures (provider-side errors) may pass on a new draw.
REFUSAL = re.compile(r"risk|safety|sensitive|moderat|policy|violat|inappropriate|prohibit", re.IGNORECASE)
STATES: dict[str, TaskState] = {"submitted": "queued", "processing": "running", "succeed": "succeeded",
                                "failed": "failed"}


@dataclass(frozen=True)
class Plan:
    """How one request goes to Kling: endpoint, model and mode as sent, duration string, camera control or words."""

    endpoint: str
    model: str
    mode: str
    duration: str
    camera_control: bool


class KlingApi(RemoteEngine):
    """What every Kling endpoint shares: the per-request JWT, the envelope, typed errors, and tasks created on
    `{root}/{endpoint}`, queried on `{root}/{endpoint}/{id}` (the id slot takes the task id or the
    `external_task_id`) and looked up by external id after a crash. Subclasses set `root`, `endpoints` and
    `takes_external_id` (whether their create bodies carry `external_task_id`, so `recover` can find a task)."""

    provider: ClassVar[str] = "kling"
    credentials: ClassVar[tuple[str, ...]] = KEYS
    base_env: ClassVar[str | None] = "KLING_API_BASE"
    default_base: ClassVar[str] = "https://api-singapore.klingai.com"
    root: ClassVar[str] = VIDEOS
    endpoints: ClassVar[tuple[str, ...]] = ()
    takes_external_id: ClassVar[bool] = True

    # --- transport ----------------------------------------------------------------------------------------

    def client(self) -> Http:
        access, secret = self.secret(ACCESS_KEY), self.secret(SECRET_KEY)
        return Http(self.provider, self.base_url, auth=Signer(access, secret).headers, secrets=(access, secret))

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        """The `data` of a successful envelope, else the typed error for the answer."""
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
            status = response.status_code
            text = self.http().redact(response.text[:200])
            if status == 401:
                raise CredentialsError(f"HTTP 401: {text}", provider=self.provider, variables=KEYS, status=status)
            if status == 429:
                raise RateLimited(f"HTTP 429: {text}", provider=self.provider, status=status,
                                  retry_after=retry_after(response))
            raise self.http().error(response, f"not a Kling answer: {text}", retryable=status >= 500)
        if envelope["code"] == 0 and response.status_code == 200:
            data = envelope.get("data")
            return data if isinstance(data, dict) else {}
        message = self.http().redact(f"{envelope.get('message') or 'error'} (request_id {envelope.get('request_id')})")
        raise kling_error(envelope["code"], message, status=response.status_code, retry_after=retry_after(response))

    # --- the task protocol --------------------------------------------------------------------------------

    def create(self, endpoint: str, body: dict[str, Any], key: str, cost: Cost,
               extra: dict[str, str | int | float | bool | None]) -> RemoteTask:
        """POST `body` to `endpoint` (with `external_task_id` = key where the endpoint takes one) and return the
        task. A create refused as a duplicate (1201) is answered with the existing task for that key, so a submit
        retried after a lost answer is paid once."""
        if key and self.takes_external_id:
            body = {**body, "external_task_id": key}
        response = self.http().request("POST", f"{self.root}/{endpoint}", json=body)
        try:
            data = self.answer(response)
        except RemoteError as error:
            # a duplicate external_task_id: an earlier submit of this key got through (its answer was lost)
            if key and error.code == 1201 and (existing := self.recover(key)) is not None:
                log.debug("kling task %s already exists for this key", existing.task_id)
                return existing.model_copy(update={"cost": cost, "data": {**extra, "endpoint": existing.data["endpoint"]}})
            raise
        task = self.task(data, endpoint, key, cost, extra)
        log.debug("kling task %s created on %s", task.task_id, endpoint)
        return task

    def poll(self, task: RemoteTask) -> TaskStatus:
        endpoint = str(task.data.get("endpoint", self.endpoints[0]))
        response = self.http().request("GET", f"{self.root}/{endpoint}/{quote(task.task_id, safe='')}")
        return task_status(self.answer(response))

    @property
    def finds_lost_tasks(self) -> bool:
        return self.takes_external_id

    def recover(self, key: str) -> RemoteTask | None:
        """The task created with `external_task_id` = key, looked up on each endpoint (the query slot takes
        the external id), or None when Kling has none (or the endpoints take no external id)."""
        if not key or not self.takes_external_id:
            return None
        for endpoint in self.endpoints:
            response = self.http().request("GET", f"{self.root}/{endpoint}/{quote(key, safe='')}")
            try:
                data = self.answer(response)
            except RemoteError as error:
                if error.code in (1202, 1203) or (error.code is None and error.status == 404):
                    continue
                raise
            return self.task(data, endpoint, key, Cost(), {"endpoint": endpoint})
        return None

    def task(self, data: dict[str, Any], endpoint: str, key: str, cost: Cost,
             extra: dict[str, str | int | float | bool | None]) -> RemoteTask:
        task_id = data.get("task_id")
        if not task_id:
            raise RemoteError("Kling answered without a task_id", provider=self.provider)
        created = data.get("created_at")
        return RemoteTask(provider=self.provider, task_id=str(task_id),
                          external_id=key if key and self.takes_external_id else None,
                          submitted=created / 1000 if isinstance(created, (int, float)) else time.time(),
                          cost=cost, data={**extra, "endpoint": endpoint})


class KlingVideoApi(KlingApi):
    """Kling endpoints whose result is a video: the clip's meta keeps Kling's `video_id` (and duration), the handle
    later passes (lip-sync, extension) send instead of the file."""

    def fetch(self, task: RemoteTask, status: TaskStatus, out_dir: Path) -> Clip:
        clip = super().fetch(task, status, out_dir)
        meta = {**clip.meta, **{name: status.data[name] for name in ("video_id", "duration")
                                if isinstance(status.data.get(name), (str, float)) and status.data[name] != ""}}
        return clip.model_copy(update={"meta": meta})


class KlingEngine(KlingVideoApi):
    """Kling's official API (`KLING_ACCESS_KEY`, `KLING_SECRET_KEY`; host from `KLING_API_BASE`)."""

    name: ClassVar[str] = "kling"
    version: ClassVar[str] = "1"
    endpoints: ClassVar[tuple[str, ...]] = ENDPOINTS
    # the camera as camera control where Kling takes it, else in words; Kling has no seed
    features: ClassVar[tuple[str, ...]] = ("text", "first_frame", "last_frame", "references", "camera")

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The model and mode the request renders with, defaults resolved (a new default changes the pixels)."""
        plan = cls.plan(request, request.options)
        return {"model": plan.model, "mode": plan.mode}

    @classmethod
    def plan(cls, request: RenderRequest, options: dict[str, Any]) -> Plan:
        if request.first_frame is not None:
            endpoint = "image2video"
        elif any(character.reference_images for character in request.characters):
            endpoint = "multi-image2video"
        else:
            endpoint = "text2video"
        model_option = "multi_image_model" if endpoint == "multi-image2video" else "model"
        model = str(options.get(model_option, DEFAULT_MODELS[endpoint]))
        mode = str(options.get("mode", "std"))
        if mode not in MODES:
            raise ValueError(f"kling option mode must be std or pro, not {mode!r}")
        duration = f"{choose_duration(request.duration, DURATIONS):.0f}"
        tail = endpoint == "image2video" and request.last_frame is not None
        supported = (endpoint, model, mode, duration) in CAMERA_CONTROL and not tail
        return Plan(endpoint, model, mode, duration, supported and camera_control(request.camera) is not None)

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        settings = self.settings(request)
        plan = self.plan(request, settings)
        return self.create(plan.endpoint, request_body(request, plan, settings), key, self.estimate(request),
                           task_data(plan))

    # --- cost ---------------------------------------------------------------------------------------------

    def billed_seconds(self, request: RenderRequest) -> float:
        return choose_duration(request.duration, DURATIONS)

    def estimate(self, request: RenderRequest) -> Cost:
        """Kling units for the model, mode and duration; amount = units × `price_per_unit`, unless
        `price_per_task`/`price_per_second` are given (then per task + per billed second)."""
        settings = self.settings(request)
        plan = self.plan(request, settings)
        seconds = self.billed_seconds(request)
        units = PRICE_UNITS.get(plan.model, {}).get(plan.mode, UNKNOWN_MODEL_UNITS) * seconds / 5
        priced = self.option_price(request, seconds)
        amount = priced.amount if priced else units * float(settings.get("price_per_unit", PRICE_PER_UNIT))
        return Cost(units=units, amount=round(amount, 6))


class Signer:
    """Kling's per-request JWT (HS256; `iss` = access key, `exp` = now+1800, `nbf` = now−5), kept until it
    has less than TOKEN_REFRESH seconds left. Holds the keys in memory only; its repr shows neither."""

    __slots__ = ("_access", "_secret", "_token", "_expires", "_lock")

    def __init__(self, access: str, secret: str):
        self._access = access
        self._secret = secret
        self._token = ""
        self._expires = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "Signer(<kling keys>)"

    def headers(self) -> dict[str, str]:
        with self._lock:
            now = int(time.time())
            if now >= self._expires - TOKEN_REFRESH:
                self._expires = now + TOKEN_LIFETIME
                self._token = jwt.encode({"iss": self._access, "exp": self._expires, "nbf": now - 5}, self._secret,
                                         algorithm="HS256", headers={"typ": "JWT"})
            return {"Authorization": f"Bearer {self._token}"}


def kling_error(code: int, message: str, *, status: int, retry_after: float | None = None) -> RemoteError:
    """The typed error for Kling's envelope `code` (HTTP `status` decides for codes not listed)."""
    common: dict[str, Any] = {"provider": "kling", "code": code, "status": status}
    if 1000 <= code <= 1004:
        hint = "; keys work only on the host of the site that issued them (KLING_API_BASE)" if code <= 1002 else ""
        return CredentialsError(f"authentication failed: {message}{hint}", variables=KEYS, **common)
    if code in ACCOUNT_ERRORS:
        return RemoteError(f"{ACCOUNT_ERRORS[code]}: {message}", **common)
    if code in (1300, 1301):
        return ContentRefused(f"refused by Kling's content policy: {message}", **common)
    if code in (1302, 1303):
        what = "rate limit" if code == 1302 else "more tasks at once than the resource pack allows"
        return RateLimited(f"{what}: {message}", retry_after=retry_after, **common)
    if code == 1304:
        return RemoteError(f"this machine's IP address is not on the account's IP whitelist: {message}", **common)
    if code in (1200, 1201, 1202, 1203):
        return RemoteError(f"request refused: {message}", **common)
    if 5000 <= code <= 5099 or status >= 500:
        return RemoteError(f"server error: {message}", retryable=True, retry_after=retry_after, **common)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **common)
    return RemoteError(message, **common)


def task_status(data: dict[str, Any]) -> TaskStatus:
    """A query's `data` as a TaskStatus (timestamps in ms become seconds in `data`)."""
    raw = str(data.get("task_status", ""))
    state = STATES.get(raw)
    if state is None:
        raise RemoteError(f"unknown task_status {raw!r}", provider="kling", retryable=True)
    extra: dict[str, str | int | float | bool | None] = {"kling_status": raw}
    if isinstance(data.get("updated_at"), (int, float)):
        extra["updated"] = data["updated_at"] / 1000
    if state == "failed":
        reason = str(data.get("task_status_msg") or "task failed")
        return TaskStatus(state="failed", reason=reason, retryable=not REFUSAL.search(reason), billed=False, data=extra)
    if state != "succeeded":
        return TaskStatus(state=state, data=extra)
    result = data.get("task_result") or {}
    videos = [video for video in result.get("videos") or [] if isinstance(video, dict) and video.get("url")]
    if videos:
        extra["video_id"] = str(videos[0].get("id", ""))
        try:
            extra["duration"] = float(videos[0].get("duration"))
        except (TypeError, ValueError):
            pass
    # an image task's result: images[{index, url}], in index order
    images = sorted((image for image in result.get("images") or [] if isinstance(image, dict) and image.get("url")),
                    key=lambda image: image.get("index") if isinstance(image.get("index"), int) else 0)
    urls = [str(item["url"]) for item in videos + images]
    return TaskStatus(state="succeeded", result_urls=urls, progress=1.0, data=extra)


def task_data(plan: Plan) -> dict[str, str | int | float | bool | None]:
    return {"endpoint": plan.endpoint, "model": plan.model, "mode": plan.mode, "duration": plan.duration}


# --- request body -----------------------------------------------------------------------------------------

def request_body(request: RenderRequest, plan: Plan, settings: dict[str, Any]) -> dict[str, Any]:
    """The create body for `plan.endpoint`, field by field as Kling documents it."""
    control = camera_control(request.camera) if plan.camera_control else None
    words = "" if control else camera_words(request.camera)
    body: dict[str, Any] = {"model_name": plan.model, "prompt": prompt_text(request.prompt, words),
                            "mode": plan.mode, "duration": plan.duration}
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt[:PROMPT_LIMIT]
    if "cfg_scale" in settings:
        body["cfg_scale"] = float(settings["cfg_scale"])
    if plan.endpoint == "image2video":
        assert request.first_frame is not None
        body["image"] = raw_base64(request.first_frame, IMAGE_LIMITS)
        if request.last_frame is not None:
            body["image_tail"] = raw_base64(request.last_frame, IMAGE_LIMITS)
    else:
        body["aspect_ratio"] = aspect_ratio(request.width, request.height)
    if plan.endpoint == "multi-image2video":
        body["image_list"] = [{"image": raw_base64(path, IMAGE_LIMITS)}
                              for path in reference_images(request, MAX_REFERENCES)]
    if control is not None:
        body["camera_control"] = control
    return body


def prompt_text(prompt: str, words: str) -> str:
    """The prompt with the camera words appended, cut to PROMPT_LIMIT characters (the words are kept)."""
    if not words:
        return prompt[:PROMPT_LIMIT]
    room = PROMPT_LIMIT - len(words) - 1
    return f"{prompt[:room].rstrip()} {words}".strip()


def aspect_ratio(width: int, height: int, choices: dict[str, float] = ASPECT_RATIOS) -> str:
    """The aspect ratio of `choices` (Kling's video ratios by default) nearest to width:height, on a log scale."""
    return min(choices, key=lambda name: abs(math.log(width / height / choices[name])))


def magnitude(move: CameraMove) -> int:
    """Kling's amount for a move: round(5 × strength), at least 1 unless the strength is 0, at most 10."""
    return 0 if move.strength <= 0 else min(10, max(1, round(5 * move.strength)))


def camera_control(move: CameraMove) -> dict[str, Any] | None:
    """Kling's simple camera control for a move, or None when the move has no single Kling axis."""
    if move.kind not in CAMERA_AXES or magnitude(move) == 0:
        return None
    field, sign = CAMERA_AXES[move.kind]
    direction = 1 if move.kind in ("dolly_in", "dolly_out") else move.direction
    config = dict.fromkeys(CAMERA_FIELDS, 0)
    config[field] = sign * direction * magnitude(move)
    return {"type": "simple", "config": config}


def camera_words(move: CameraMove) -> str:
    """The move as a sentence for the prompt, where it cannot go as camera control."""
    side = "right" if move.direction > 0 else "left"
    vertical = "up" if move.direction > 0 else "down"
    how = "slowly " if move.strength < 0.6 else "quickly " if move.strength > 1.6 else ""
    return {
        "static": "Static camera.",
        "pan": f"The camera {how}pans {side}.",
        "tilt": f"The camera {how}tilts {vertical}.",
        "truck": f"The camera {how}trucks {side}.",
        "crane": f"The camera {how}cranes {vertical}.",
        "zoom": f"The camera {how}zooms {'in' if move.direction > 0 else 'out'}.",
        "dolly_in": f"The camera {how}dollies in.",
        "dolly_out": f"The camera {how}dollies out.",
        "orbit": f"The camera {how}orbits {side} around the subject.",
        "follow": "The camera follows the subject.",
        "handheld": "Handheld camera.",
    }[move.kind]
