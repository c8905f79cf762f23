"""A fake of fal's queue API, field by field: key auth, per-endpoint input schemas, queue states, results.

The schemas below are the fake's own copy of each model page's inputs (not read from the engine's table), so a
wrong field name in fal_models.toml fails here the way fal would fail it: 422 with a FastAPI-style `detail` list.
Jobs move IN_QUEUE → IN_PROGRESS → COMPLETED over a seeded random latency; the result points at an MP4 the fake
serves itself. Faults: `FakeServer.fault` for HTTP-level ones (429, 500, drops, truncation, a 404 result) and
`job_faults` for what happens to the next submitted jobs ("error", "refused", "failed_status", "stuck").
Image endpoints (Seedream 4, FLUX Kontext, Nano Banana, FLUX dev) answer `{"images": [{url, width, height,
content_type}], "seed"}` with a PNG whose colours come from the seed and the prompt, at the size asked for.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .server import FakeServer, Request, Response
from .video_tasks import Latency, check_image, draw_latency, result_video, seeded_png

IMAGE = "image"  # a URL or a data: URI
IMAGES = "images"  # a list of them

_KLING_DURATION = ("5", "10")


@dataclass(frozen=True)
class Images:
    """A list of 1 to `max` image URLs or data URIs."""

    max: int


@dataclass(frozen=True)
class ImageSize:
    """fal's image_size: a preset name, or {width, height} each within [min, max]."""

    min: int = 1
    max: int = 14142


SIZE_PRESETS = {"square_hd": (1024, 1024), "square": (512, 512), "portrait_4_3": (768, 1024),
                "portrait_16_9": (576, 1024), "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576)}
_KONTEXT_RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
_NANO_RATIOS = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16")
_SAFETY = ("1", "2", "3", "4", "5", "6")


def _schema(required: tuple[str, ...], **accepted: Any) -> dict[str, Any]:
    return {"required": set(required), "accepted": accepted}


# Kling 2.1 and 2.5 turbo take the same inputs
_KLING_I2V = _schema(("prompt", "image_url"), prompt=str, image_url=IMAGE, tail_image_url=IMAGE,
                     duration=_KLING_DURATION, negative_prompt=str, cfg_scale=float)
_KLING_T2V = _schema(("prompt",), prompt=str, duration=_KLING_DURATION, aspect_ratio=("16:9", "9:16", "1:1"),
                     negative_prompt=str, cfg_scale=float)

# endpoint → required and accepted fields; a field's kind is IMAGE, IMAGES, a type, or a tuple of allowed values
SCHEMAS: dict[str, dict[str, Any]] = {
    "fal-ai/kling-video/v2.1/pro/image-to-video": _KLING_I2V,
    "fal-ai/kling-video/v2.1/master/text-to-video": _KLING_T2V,
    "fal-ai/kling-video/v2.5-turbo/pro/image-to-video": _KLING_I2V,
    "fal-ai/kling-video/v2.5-turbo/pro/text-to-video": _KLING_T2V,
    "fal-ai/kling-video/v2.6/pro/text-to-video": _schema(
        ("prompt",), prompt=str, duration=_KLING_DURATION, aspect_ratio=("16:9", "9:16", "1:1"),
        negative_prompt=str, generate_audio=bool),
    "fal-ai/kling-video/v2.6/pro/image-to-video": _schema(
        ("prompt", "start_image_url"), prompt=str, start_image_url=IMAGE, end_image_url=IMAGE,
        duration=_KLING_DURATION, negative_prompt=str, generate_audio=bool),
    "fal-ai/kling-video/v1.6/pro/elements": _schema(
        ("prompt", "input_image_urls"), prompt=str, input_image_urls=IMAGES, duration=_KLING_DURATION,
        aspect_ratio=("16:9", "9:16", "1:1"), negative_prompt=str),
    "fal-ai/bytedance/seedance/v1/pro/image-to-video": _schema(
        ("prompt", "image_url"), prompt=str, image_url=IMAGE, end_image_url=IMAGE,
        duration=("2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"),
        aspect_ratio=("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "auto"), resolution=("480p", "720p", "1080p"),
        camera_fixed=bool, seed=int, enable_safety_checker=bool),
    "fal-ai/bytedance/seedance/v1/pro/text-to-video": _schema(
        ("prompt",), prompt=str, duration=("2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"),
        aspect_ratio=("21:9", "16:9", "4:3", "1:1", "3:4", "9:16"), resolution=("480p", "720p", "1080p"),
        camera_fixed=bool, seed=int, enable_safety_checker=bool),
    "fal-ai/bytedance/seedance/v1/lite/reference-to-video": _schema(
        ("prompt", "reference_image_urls"), prompt=str, reference_image_urls=IMAGES,
        duration=("2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"),
        aspect_ratio=("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "auto"), resolution=("480p", "720p"),
        camera_fixed=bool, seed=int),
    "fal-ai/minimax/hailuo-02/standard/image-to-video": _schema(
        ("prompt", "image_url"), prompt=str, image_url=IMAGE, end_image_url=IMAGE, duration=("6", "10"),
        prompt_optimizer=bool, resolution=("512P", "768P")),
    "fal-ai/veo3.1/image-to-video": _schema(
        ("prompt", "image_url"), prompt=str, image_url=IMAGE, duration=("4s", "6s", "8s"),
        aspect_ratio=("auto", "16:9", "9:16"), resolution=("720p", "1080p"), generate_audio=bool,
        negative_prompt=str, seed=int),
    "fal-ai/minimax/hailuo-02/standard/text-to-video": _schema(
        ("prompt",), prompt=str, duration=("6", "10"), prompt_optimizer=bool),
    "fal-ai/veo3.1": _schema(
        ("prompt",), prompt=str, duration=("4s", "6s", "8s"), aspect_ratio=("16:9", "9:16"),
        resolution=("720p", "1080p"), generate_audio=bool, negative_prompt=str, seed=int),
    "fal-ai/veo3.1/first-last-frame-to-video": _schema(
        ("prompt", "first_frame_url", "last_frame_url"), prompt=str, first_frame_url=IMAGE, last_frame_url=IMAGE,
        duration=("4s", "6s", "8s"), aspect_ratio=("auto", "16:9", "9:16"), resolution=("720p", "1080p"),
        generate_audio=bool, negative_prompt=str, seed=int),
    "fal-ai/veo3.1/reference-to-video": _schema(
        ("prompt", "image_urls"), prompt=str, image_urls=IMAGES, duration=("8s",), resolution=("720p", "1080p"),
        generate_audio=bool, seed=int),
    "fal-ai/wan/v2.2-a14b/image-to-video": _schema(
        ("prompt", "image_url"), prompt=str, image_url=IMAGE, num_frames=int, frames_per_second=int,
        negative_prompt=str, seed=int, resolution=("480p", "580p", "720p"),
        aspect_ratio=("auto", "16:9", "9:16", "1:1"), num_inference_steps=int),
    "fal-ai/wan/v2.2-a14b/text-to-video": _schema(
        ("prompt",), prompt=str, num_frames=int, frames_per_second=int, negative_prompt=str, seed=int,
        resolution=("480p", "580p", "720p"), aspect_ratio=("16:9", "9:16", "1:1"), num_inference_steps=int),
    "fal-ai/wan-flf2v": _schema(
        ("prompt", "start_image_url", "end_image_url"), prompt=str, start_image_url=IMAGE, end_image_url=IMAGE,
        num_frames=int, frames_per_second=int, negative_prompt=str, seed=int, resolution=("480p", "720p"),
        aspect_ratio=("auto", "16:9", "9:16", "1:1"), num_inference_steps=int),
    "fal-ai/ltx-2/text-to-video": _schema(
        ("prompt",), prompt=str, duration=(6, 8, 10), aspect_ratio=("16:9", "9:16"),
        resolution=("1080p", "1440p", "2160p"), fps=(25, 50), generate_audio=bool),
    "fal-ai/ltx-2/image-to-video": _schema(
        ("prompt", "image_url"), prompt=str, image_url=IMAGE, duration=(6, 8, 10),
        resolution=("1080p", "1440p", "2160p"), fps=(25, 50), generate_audio=bool),
}

_KONTEXT = dict(prompt=str, seed=int, guidance_scale=float, num_images=int, output_format=("jpeg", "png"),
                safety_tolerance=_SAFETY, aspect_ratio=_KONTEXT_RATIOS, sync_mode=bool, enhance_prompt=bool)
_SEEDREAM = dict(prompt=str, image_size=ImageSize(1024, 4096), seed=int, num_images=int, max_images=int,
                 sync_mode=bool, enable_safety_checker=bool)
_NANO = dict(prompt=str, num_images=int, output_format=("jpeg", "png", "webp"), aspect_ratio=_NANO_RATIOS,
             sync_mode=bool)
# image endpoints: what they take, as the video ones above; each answers {"images": [...], "seed"}
IMAGE_SCHEMAS: dict[str, dict[str, Any]] = {
    "fal-ai/flux/dev": _schema(
        ("prompt",), prompt=str, image_size=ImageSize(), num_inference_steps=int, seed=int, guidance_scale=float,
        num_images=int, enable_safety_checker=bool, output_format=("jpeg", "png"), sync_mode=bool,
        acceleration=("none", "regular", "high")),
    "fal-ai/flux-pro/kontext": _schema(("prompt", "image_url"), image_url=IMAGE, **_KONTEXT),
    "fal-ai/flux-pro/kontext/text-to-image": _schema(("prompt",), **_KONTEXT),
    "fal-ai/bytedance/seedream/v4/edit": _schema(("prompt", "image_urls"), image_urls=Images(10), **_SEEDREAM),
    "fal-ai/bytedance/seedream/v4/text-to-image": _schema(("prompt",), **_SEEDREAM),
    "fal-ai/nano-banana/edit": _schema(("prompt", "image_urls"), image_urls=Images(10), **_NANO),
    "fal-ai/nano-banana": _schema(("prompt",), **_NANO),
}
SCHEMAS.update(IMAGE_SCHEMAS)


def _problem(field_name: str, message: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field_name], "msg": message, "type": kind}


def validate(schema: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    """FastAPI-style problems with a model's input, empty when it is valid."""
    if not isinstance(body, dict):
        return [_problem("body", "Input should be a valid dictionary", "dict_type")]
    problems = [_problem(name, "Field required", "missing") for name in sorted(schema["required"] - set(body))]
    for name, value in body.items():
        kind = schema["accepted"].get(name)
        if kind is None:
            problems.append(_problem(name, "Extra inputs are not permitted", "extra_forbidden"))
        elif kind == IMAGE and (problem := _image_problem(value)):
            problems.append(_problem(name, f"Input should be a valid URL or data URI: {problem}", "url_parsing"))
        elif kind == IMAGES and not (isinstance(value, list) and value):
            problems.append(_problem(name, "Input should be a non-empty list of image URLs", "list_type"))
        elif kind == IMAGES and (problem := next(filter(None, map(_image_problem, value)), None)):
            problems.append(_problem(name, f"Input should be a list of valid URLs or data URIs: {problem}",
                                     "url_parsing"))
        elif isinstance(kind, Images) and not (isinstance(value, list) and 1 <= len(value) <= kind.max):
            problems.append(_problem(name, f"Input should be a list of 1 to {kind.max} image URLs", "list_type"))
        elif isinstance(kind, Images) and (problem := next(filter(None, map(_image_problem, value)), None)):
            problems.append(_problem(name, f"Input should be a list of valid URLs or data URIs: {problem}",
                                     "url_parsing"))
        elif isinstance(kind, ImageSize) and (problem := _size_problem(value, kind)):
            problems.append(_problem(name, problem, "value_error"))
        elif isinstance(kind, tuple) and value not in kind:
            allowed = " or ".join(repr(v) for v in kind)
            problems.append(_problem(name, f"Input should be {allowed}", "literal_error"))
        elif isinstance(kind, type) and not _is_a(value, kind):
            problems.append(_problem(name, f"Input should be a valid {kind.__name__}", f"{kind.__name__}_type"))
    return problems


def _is_a(value: Any, kind: type) -> bool:
    """A value of `kind` the way fal's pydantic reads it: a bool is no number, an int passes as a float."""
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


def _size_problem(value: Any, kind: ImageSize) -> str:
    if isinstance(value, str):
        return "" if value in SIZE_PRESETS else f"Input should be one of {', '.join(SIZE_PRESETS)} or {{width, height}}"
    if not isinstance(value, dict) or set(value) != {"width", "height"}:
        return "Input should be a preset name or an object {width, height}"
    if not all(isinstance(v, int) and not isinstance(v, bool) and kind.min <= v <= kind.max for v in value.values()):
        return f"width and height should be integers within [{kind.min}, {kind.max}]"
    return ""


def output_size(body: dict[str, Any]) -> tuple[int, int]:
    """The size an image endpoint draws at: its image_size, else about a megapixel at its aspect_ratio."""
    size = body.get("image_size")
    if isinstance(size, dict):
        return size["width"], size["height"]
    if isinstance(size, str):
        return SIZE_PRESETS[size]
    ratio = body.get("aspect_ratio", "1:1")
    w, h = (int(x) for x in ratio.split(":"))
    width = 16 * round((1024 * 1024 * w / h) ** 0.5 / 16)
    return width, 16 * round(width * h / w / 16)


def _image_problem(value: Any) -> str:
    """What is wrong with an image input (fal sets no size limits), or "" when it is a URL or a readable image."""
    try:
        check_image(value, min_side=1, ratios=(0.0, float("inf")), formats=("PNG", "JPEG", "WEBP", "GIF"))
    except ValueError as error:
        return str(error)
    return ""


@dataclass
class Job:
    request_id: str
    endpoint: str
    app: str
    body: dict[str, Any]
    started: float
    latency: float
    fault: str | None = None
    cancelled: bool = False
    polls: int = 0
    seed: int = 0  # an image job's seed: the body's, else drawn at submit
    image: bytes = field(default=b"", repr=False)  # an image job's PNG, made when it completes


class FalFake(FakeServer):
    """fal's queue on 127.0.0.1. `key` is the FAL_KEY it accepts; `latency` the seconds a job takes (a float,
    or a (min, max) range drawn from a generator seeded with `seed`)."""

    def __init__(self, key: str = "fal-test-key", *, latency: Latency = 0.0, seed: int = 0):
        super().__init__()
        self.key = key
        self.latency = latency
        self._rng = random.Random(seed)
        self.jobs: dict[str, Job] = {}
        self.job_faults: list[str] = []  # consumed one per submitted job
        self._jobs_lock = threading.Lock()
        self.route("GET", r"/files/(?P<name>[^/]+)\.mp4", self._file)
        self.route("GET", r"/files/(?P<name>[^/]+)\.png", self._image)
        self.route("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/status", self._status)
        self.route("GET", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)", self._result)
        self.route("PUT", r"/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)/cancel", self._cancel)
        self.route("POST", r"/(?P<endpoint>.+)", self._submit)

    # --- helpers -------------------------------------------------------------------------------------------

    def bodies(self, endpoint: str) -> list[dict[str, Any]]:
        """The input JSON of every accepted or refused submission to `endpoint`."""
        return [r.json() for r in self.requests("POST", "/" + re.escape(endpoint))]

    def _authorized(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Key {self.key}":
            return Response(401, {"detail": "No user found for Key ID and Secret"},
                            {"x-fal-error-type": "unauthorized"})
        return None

    def _urls(self, job: Job) -> dict[str, str]:
        base = f"{self.url}/{job.app}/requests/{job.request_id}"
        return {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}

    def _job(self, request: Request) -> Job | Response:
        job = self.jobs.get(request.params["id"])
        if job is None or job.app != request.params["app"]:
            return Response(404, {"detail": f"Request {request.params['id']} not found"})
        return job

    def _state(self, job: Job) -> str:
        """Queued for the first half of the latency, in progress for the second (forever when stuck), then done."""
        elapsed = time.monotonic() - job.started
        if job.cancelled:
            return "CANCELED"
        if elapsed < job.latency / 2:
            return "IN_QUEUE"
        return "IN_PROGRESS" if job.fault == "stuck" or elapsed < job.latency else "COMPLETED"

    # --- routes --------------------------------------------------------------------------------------------

    def _submit(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused:
            return refused
        endpoint = request.params["endpoint"]
        schema = SCHEMAS.get(endpoint)
        if schema is None:
            return Response(404, {"detail": f"Application '{endpoint}' not found"})
        try:
            body = request.json()
        except ValueError:
            return Response(422, {"detail": [_problem("body", "JSON decode error", "json_invalid")]})
        problems = validate(schema, body)
        if problems:
            return Response(422, {"detail": problems}, {"x-fal-retryable": "false"})
        with self._jobs_lock:
            fault = self.job_faults.pop(0) if self.job_faults else None
            job = Job(uuid.uuid4().hex, endpoint, "/".join(endpoint.split("/")[:2]), body, time.monotonic(),
                      draw_latency(self.latency, self._rng), fault, seed=body.get("seed", self._rng.randrange(2**31)))
            self.jobs[job.request_id] = job
            position = sum(1 for j in self.jobs.values() if self._state(j) == "IN_QUEUE") - 1
        return Response(200, {"request_id": job.request_id, **self._urls(job), "queue_position": max(0, position)})

    def _status(self, request: Request) -> Response:
        job = self._authorized(request) or self._job(request)
        if isinstance(job, Response):
            return job
        job.polls += 1
        state = self._state(job)
        answer: dict[str, Any] = {"status": state, **self._urls(job)}
        if request.query.get("logs") == "1":
            answer["logs"] = [{"message": f"step {job.polls}", "level": "INFO", "source": "user",
                               "timestamp": "2025-11-20T10:00:00Z"}] if state != "IN_QUEUE" else []
        if state == "IN_QUEUE":
            answer["queue_position"] = 0
        if state == "COMPLETED":
            answer["metrics"] = {"inference_time": job.latency}
            if job.fault == "error":
                answer.update(error="Runner disconnected while processing", error_type="runner_disconnected")
            elif job.fault == "refused":
                answer.update(error="The content was flagged by a content checker.",
                              error_type="content_policy_violation")
            elif job.fault == "failed_status":
                answer.update(status="FAILED", error="Generation failed")
        return Response(200 if state == "COMPLETED" else 202, answer)

    def _result(self, request: Request) -> Response:
        job = self._authorized(request) or self._job(request)
        if isinstance(job, Response):
            return job
        if self._state(job) != "COMPLETED":
            return Response(400, {"detail": "Request is still in progress"})
        if job.fault == "refused":
            return Response(422, {"detail": [{"loc": ["body", "prompt"], "msg": "The content was flagged by a "
                                              "content checker.", "type": "content_policy_violation",
                                              "url": "https://docs.fal.ai/errors#content_policy_violation"}]},
                            {"x-fal-retryable": "false"})
        if job.fault in ("error", "failed_status"):
            return Response(500, {"detail": "Runner disconnected", "error_type": "runner_disconnected"},
                            {"x-fal-error-type": "runner_disconnected"})
        if job.endpoint in IMAGE_SCHEMAS:
            return Response(200, self._image_result(job))
        video = result_video()
        return Response(200, {"video": {"url": f"{self.url}/files/{job.request_id}.mp4", "content_type": "video/mp4",
                                        "file_name": "output.mp4", "file_size": len(video)},
                              "seed": job.body.get("seed", 42)})

    def _cancel(self, request: Request) -> Response:
        job = self._authorized(request) or self._job(request)
        if isinstance(job, Response):
            return job
        job.cancelled = True
        return Response(202, {"status": "CANCELLATION_REQUESTED"})

    def _image_result(self, job: Job) -> dict[str, Any]:
        width, height = output_size(job.body)
        if not job.image:
            digest = hashlib.sha256(f"{job.seed}|{job.body['prompt']}".encode()).digest()
            job.image = seeded_png(width, height, int.from_bytes(digest[:8], "big"))
        answer: dict[str, Any] = {"images": [{"url": f"{self.url}/files/{job.request_id}.png", "width": width,
                                              "height": height, "content_type": "image/png"}]}
        if "nano-banana" in job.endpoint:
            answer["description"] = ""  # Nano Banana answers the model's text beside the images, and no seed
        else:
            answer["seed"] = job.seed
        return answer

    def _image(self, request: Request) -> Response:
        job = self.jobs.get(request.params["name"])
        if job is None or not job.image:
            return Response(404, {"detail": "file not found"})
        return Response(200, job.image, {"content-type": "image/png"})

    def _file(self, request: Request) -> Response:
        if request.params["name"] not in self.jobs:
            return Response(404, {"detail": "file not found"})
        return Response(200, result_video(), {"content-type": "video/mp4"})
