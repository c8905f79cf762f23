"""Seedance (ByteDance) on Volcengine Ark: content-generation tasks.

Protocol (Ark's video generation API, "视频生成 API"):
`POST {base}/contents/generations/tasks` with `model` and `content` — a text item plus `image_url` items whose
`role` is `first_frame`, `last_frame` or `reference_image` — answers `{"id": "cgt-…"}`;
`GET {base}/contents/generations/tasks/{id}` answers `status` (queued|running|succeeded|failed|cancelled|expired),
`content.video_url` (valid 24 h), `error{code,message}`, `usage.completion_tokens`. Failures of a call come as
HTTP status + `{"error":{"code","message","param","type"}}`.

Output settings go as body fields (`ratio`, `duration`, `resolution`, `seed`, `camera_fixed`, `watermark`).
Ark also takes them as a suffix of the text (`--ratio 9:16 --duration 5 --camerafixed false …`); both forms are
in use and the test fake accepts both, this client sends the body fields only.

Images go inline as data URIs, conformed to Ark's limits where they are outside (`IMAGE_LIMITS`). The two image
modes are mutually exclusive on Ark: a first frame (and a last frame, `request.last_frame`) pins the exact
picture, so it wins; the characters' reference images are sent only when there is no frame, and only to models
that take references (1.0 lite i2v, 2.0). A last frame without a first frame is sent as it is and refused by Ark
(400, not retryable). Ark has no idempotency or external id: the job key stays in `RemoteTask.external_id` only.
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpx

from engine.api import RenderRequest
from engine.remote.engine import choose_duration
from engine.remote.errors import ContentRefused, RemoteError
from engine.remote.task import Cost, RemoteTask, TaskState, TaskStatus
from engine.remote.media import data_uri, reference_images
from engine.remote.video_api import IMAGE_LIMITS, BearerVideoEngine, json_object

DEFAULT_MODEL = "doubao-seedance-1-0-pro-250528"
FPS = 24  # every Seedance model renders 24 frames per second
DURATIONS = (5, 10)
MAX_REFERENCES = 4

# Output size per resolution and ratio (Ark's table for Seedance 1.x); `ratio` is chosen from the request's size.
SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {"16:9": (864, 480), "4:3": (736, 544), "1:1": (640, 640), "3:4": (544, 736), "9:16": (480, 864),
             "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "4:3": (1120, 832), "1:1": (960, 960), "3:4": (832, 1120), "9:16": (704, 1248),
             "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440), "3:4": (1248, 1664),
              "9:16": (1088, 1920), "21:9": (2176, 928)},
}
RATIOS = tuple(SIZES["720p"])

# Ark's status → ours. cancelled and expired (queued past `execution_expires_after`) are final failures.
STATES: dict[str, TaskState] = {"queued": "queued", "running": "running", "succeeded": "succeeded",
                                "failed": "failed", "cancelled": "failed", "expired": "failed"}

# Price per million tokens, in the project's currency. Ark bills tokens = width × height × fps × seconds / 1024
# (Ark's pricing page for video generation). Default: 15 CNY/M, the mainland list price of 1.0 pro, at ≈7.1 CNY
# per USD (drama's default currency); a project billed in CNY sets price_per_million_tokens = 15.
PRICE_PER_MILLION_TOKENS = 2.1


def ratio_of(width: int, height: int) -> str:
    """The Ark ratio nearest to width:height (compared on a log scale, so 9:16 and 16:9 are symmetric)."""
    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log(w / h) - math.log(width / height))

    return min(RATIOS, key=distance)


def takes_references(model: str) -> bool:
    """Whether the model accepts `reference_image` items: Seedance 1.0 lite i2v (1–4) and 2.0, not 1.0/1.5 pro."""
    return "lite-i2v" in model or "seedance-2" in model


def sensitive(code: str | None) -> bool:
    """Ark's moderation codes: Input{Text,Image}SensitiveContentDetected…, Output{Video,Image}SensitiveContentDetected…"""
    return code is not None and "SensitiveContent" in code


class ArkEngine(BearerVideoEngine):
    """What every engine on Ark shares (Seedance's video tasks, Seedream's images): the key, the base URL, and
    Ark's error envelope as typed errors."""

    provider = "ark"
    key_env = "ARK_API_KEY"
    credentials = ("ARK_API_KEY",)
    base_env = "ARK_API_BASE"
    default_base = "https://ark.cn-beijing.volces.com/api/v3"

    def failure(self, response: httpx.Response) -> RemoteError:
        """Ark's error envelope → a typed error. Moderation codes are ContentRefused; an overdue account (403
        AccountOverdueError) is not a key problem: it fails until the account is topped up."""
        error = (json_object(response) or {}).get("error")
        error = error if isinstance(error, dict) else {}
        code, message = error.get("code"), str(error.get("message") or response.text[:200])
        if sensitive(code):
            return ContentRefused(self.http().redact(f"refused by moderation: {message}"), provider=self.provider,
                                  code=code, status=response.status_code)
        if code == "AccountOverdueError":
            return RemoteError(self.http().redact(f"the Ark account is overdue, top it up: {message}"),
                               provider=self.provider, code=code, status=response.status_code)
        return self.http_failure(response, message, code)


class SeedanceEngine(ArkEngine):
    """Seedance text/image-to-video on Ark. Options: `model`, `resolution` (480p|720p|1080p, default 720p),
    `price_per_million_tokens`, or `price_per_task` / `price_per_second`
    to price by task or second instead of tokens."""

    name = "seedance"
    version = "1"
    # what the default model (1.0 pro) takes; references only with a model that takes them (1.0 lite i2v, 2.0)
    features = ("text", "first_frame", "last_frame", "seed")

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The model that will render (the default is not in the request's options, and may change)."""
        return {"model": str(request.options.get("model", DEFAULT_MODEL))}

    # --- request ------------------------------------------------------------------------------------------

    def body(self, request: RenderRequest) -> dict[str, Any]:
        model = str(self.setting(request, "model", DEFAULT_MODEL))
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        frames = [(request.first_frame, "first_frame"), (request.last_frame, "last_frame")]
        images = [(path, role) for path, role in frames if path is not None]
        if not images and takes_references(model):
            images = [(path, "reference_image") for path in reference_images(request, MAX_REFERENCES)]
        content += [{"type": "image_url", "image_url": {"url": data_uri(path, IMAGE_LIMITS)}, "role": role}
                    for path, role in images]
        return {
            "model": model,
            "content": content,
            "ratio": ratio_of(request.width, request.height),
            "duration": int(choose_duration(request.duration, DURATIONS)),
            "resolution": str(self.setting(request, "resolution", "720p")),
            "seed": request.seed & 0xFFFFFFFF,
            "camera_fixed": request.camera.kind == "static",
            "watermark": False,
        }

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        body = self.body(request)
        response = self.http().request("POST", "contents/generations/tasks", json=body)
        if response.status_code != 200:
            raise self.failure(response)
        task_id = self.answer(response).get("id")
        if not isinstance(task_id, str) or not task_id:
            raise RemoteError("create answered without a task id", provider=self.provider, retryable=True)
        return RemoteTask(provider=self.provider, task_id=task_id, external_id=key or None, submitted=time.time(),
                          cost=self.estimate(request), data={"model": body["model"]})

    def poll(self, task: RemoteTask) -> TaskStatus:
        response = self.http().request("GET", f"contents/generations/tasks/{task.task_id}")
        if response.status_code != 200:
            raise self.failure(response)
        answer = self.answer(response)
        status = answer.get("status")
        if status not in STATES:
            raise RemoteError(f"task {task.task_id} has unknown status {status!r}", provider=self.provider)
        data = {k: answer.get(k) for k in ("seed", "resolution", "ratio", "duration", "framespersecond")
                if isinstance(answer.get(k), (str, int, float))}
        tokens = (answer.get("usage") or {}).get("completion_tokens")
        if isinstance(tokens, int):
            data["completion_tokens"] = tokens
        state = STATES[status]
        if state == "succeeded":
            url = (answer.get("content") or {}).get("video_url")
            if not url:
                raise RemoteError(f"task {task.task_id} succeeded without content.video_url", provider=self.provider,
                                  retryable=True)
            return TaskStatus(state=state, result_urls=[url], progress=1.0, data=data)
        if state == "failed":
            error = answer.get("error") or {}
            code = error.get("code")
            reason = f"{status}: {code or ''} {error.get('message') or ''}".strip()
            # a provider-side failure may pass on a new draw; a refusal or a cancelled/expired task will not.
            # Ark bills only succeeded tasks.
            retryable = status == "failed" and not sensitive(code)
            return TaskStatus(state=state, reason=self.http().redact(reason), retryable=retryable, billed=False,
                              data=data)
        return TaskStatus(state=state, data=data)

    # --- cost ---------------------------------------------------------------------------------------------

    def billed_seconds(self, request: RenderRequest) -> float:
        return choose_duration(request.duration, DURATIONS)

    def estimate(self, request: RenderRequest) -> Cost:
        """Tokens of the output (size from resolution and ratio, 24 fps, the chosen duration) × price per million;
        a `price_per_task` or `price_per_second` option prices by task or second instead."""
        seconds = self.billed_seconds(request)
        priced = self.option_price(request, seconds)
        if priced is not None:
            return priced
        resolution = str(self.setting(request, "resolution", "720p"))
        width, height = SIZES.get(resolution, SIZES["720p"])[ratio_of(request.width, request.height)]
        tokens = width * height * FPS * seconds / 1024
        price = float(self.setting(request, "price_per_million_tokens", PRICE_PER_MILLION_TOKENS))
        return Cost(units=tokens, amount=round(tokens * price / 1e6, 6))

