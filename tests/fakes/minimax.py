"""A fake of MiniMax's video generation API (Hailuo), field by field as documented.

`POST /v1/video_generation` validates the body per model — known fields only, types, duration × resolution
availability (1080P only 6 s), first frame / subject reference per model, images that decode — and answers
`{"task_id", "base_resp"}`. `GET /v1/query/video_generation?task_id=` answers the status and, on success,
`file_id`; `GET /v1/files/retrieve?file_id=` answers `file.download_url`. Business errors are HTTP 200 with
`base_resp.status_code` ≠ 0, as MiniMax sends them: 1002 rate limit, 1004 auth, 1008 balance, 1026 sensitive
prompt, 1027 sensitive output, 2013 invalid parameters.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .server import Request, Response
from .video_tasks import FakeTask, Latency, VideoTaskFake, check_image

# Per model: resolution → durations, and which images it takes. 512P on Hailuo 02 is for image-to-video only.
MODELS: dict[str, dict[str, Any]] = {
    "MiniMax-Hailuo-02": {"modes": {"512P": (6, 10), "768P": (6, 10), "1080P": (6,)}, "default": "768P",
                          "first_frame": "optional"},
    "MiniMax-Hailuo-2.3": {"modes": {"768P": (6, 10), "1080P": (6,)}, "default": "768P", "first_frame": "optional"},
    "MiniMax-Hailuo-2.3-Fast": {"modes": {"768P": (6, 10), "1080P": (6,)}, "default": "768P",
                                "first_frame": "required"},
    "T2V-01": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "none"},
    "T2V-01-Director": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "none"},
    "I2V-01": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "required"},
    "I2V-01-Director": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "required"},
    "I2V-01-live": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "required"},
    "S2V-01": {"modes": {"720P": (6,)}, "default": "720P", "first_frame": "none", "subject": True},
}
FIELDS = {"model", "prompt", "prompt_optimizer", "fast_pretreatment", "first_frame_image", "last_frame_image",
          "subject_reference", "duration", "resolution", "callback_url", "aigc_watermark"}
SIZES = {"512P": (912, 512), "720P": (1280, 720), "768P": (1366, 768), "1080P": (1920, 1080)}


class MiniMaxError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.response = Response(200, {"base_resp": {"status_code": code, "status_msg": message}})


def invalid(message: str) -> MiniMaxError:
    return MiniMaxError(2013, f"invalid params, {message}")


def _ok(**fields: Any) -> Response:
    return Response(200, {**fields, "base_resp": {"status_code": 0, "status_msg": "success"}})


class MiniMaxFake(VideoTaskFake):
    """Fake MiniMax on 127.0.0.1: `base` is what MINIMAX_API_BASE should be set to."""

    def __init__(self, key: str = "minimax-test-key", *, latency: Latency = 0.0, seed: int = 0):
        super().__init__(key, latency=latency, seed=seed)
        self._ids = itertools.count(1)
        self.route("POST", r"/v1/video_generation", self._create)
        self.route("GET", r"/v1/query/video_generation", self._query)
        self.route("GET", r"/v1/files/retrieve", self._retrieve)

    @property
    def base(self) -> str:
        return f"{self.url}/v1"

    # --- faults on demand -------------------------------------------------------------------------------

    def business_error_next(self, code: int, message: str, *, method: str = "POST",
                            path: str = r"/v1/video_generation", times: int = 1) -> None:
        """The next matching call answers HTTP 200 with this base_resp error (1002, 1008, 1026 …)."""
        self.fault(method, path, MiniMaxError(code, message).response, times=times)

    def server_error_next(self, method: str = "POST", path: str = r"/v1/video_generation") -> None:
        self.fault(method, path, Response(500, b"Internal Server Error", {"content-type": "text/plain"}))

    # --- routes -------------------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        try:
            self._authorize(request)
            try:
                body = request.json()
            except ValueError:
                raise invalid("the body is not valid JSON") from None
            settings = self._validate(body)
        except MiniMaxError as error:
            return error.response
        task = self.new_task(f"{106916112212032 + next(self._ids)}", body)
        task.extra.update(settings)
        return _ok(task_id=task.id)

    def _query(self, request: Request) -> Response:
        try:
            self._authorize(request)
            task = self._task(request.query.get("task_id"))
        except MiniMaxError as error:
            return error.response
        phase = task.phase()
        preparing = time.monotonic() - task.started < task.latency / 8
        status = {"queued": "Preparing" if preparing else "Queueing", "running": "Processing",
                  "succeeded": "Success", "failed": "Fail"}[phase]
        width, height = SIZES[task.extra["resolution"]]
        if phase == "failed":
            code, message = task.error or (1000, "unknown error")
            return Response(200, {"task_id": task.id, "status": status, "file_id": "",
                                  "base_resp": {"status_code": code, "status_msg": message}})
        return _ok(task_id=task.id, status=status, file_id=self._file_id(task) if phase == "succeeded" else "",
                   video_width=width if phase == "succeeded" else 0, video_height=height if phase == "succeeded" else 0)

    def _retrieve(self, request: Request) -> Response:
        try:
            self._authorize(request)
            file_id = request.query.get("file_id", "")
            task = next((t for t in self.tasks.values() if self._file_id(t) == file_id and t.phase() == "succeeded"),
                        None)
            if task is None:
                raise invalid(f"file_id {file_id!r} not found")
        except MiniMaxError as error:
            return error.response
        return _ok(file={"file_id": int(file_id), "bytes": 0, "created_at": int(task.created),
                         "filename": "output.mp4", "purpose": "video_generation",
                         "download_url": self.result_url(task)})

    def _authorize(self, request: Request) -> None:
        if not self.authorized(request):
            raise MiniMaxError(1004, "login fail: Please carry the API secret key in the 'Authorization' field of "
                               "the request header")

    def _task(self, task_id: str | None) -> FakeTask:
        if not task_id or task_id not in self.tasks:
            raise invalid(f"task_id {task_id!r} not found")
        return self.tasks[task_id]

    @staticmethod
    def _file_id(task: FakeTask) -> str:
        return str(int(task.id) + 1000)

    # --- validation ---------------------------------------------------------------------------------------

    def _validate(self, body: Any) -> dict[str, Any]:
        """Check the body as MiniMax does; return the effective resolution and duration."""
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            raise invalid(f"unknown field {unknown[0]}")
        model = body.get("model")
        if model not in MODELS:
            raise invalid(f"model {model!r} is not supported")
        spec = MODELS[model]
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 2000:
            raise invalid("prompt must be a string of at most 2000 characters")
        for name in ("prompt_optimizer", "fast_pretreatment", "aigc_watermark"):
            if name in body and not isinstance(body[name], bool):
                raise invalid(f"{name} must be a boolean")
        if "callback_url" in body and not isinstance(body["callback_url"], str):
            raise invalid("callback_url must be a string")
        first = self._validate_images(body, model, spec)
        if not prompt.strip() and not first and not spec.get("subject"):
            raise invalid("prompt is required without a first frame")
        resolution = body.get("resolution", spec["default"])
        if resolution not in spec["modes"] or (resolution == "512P" and not first):
            raise invalid(f"resolution {resolution!r} is not available for {model}"
                          + (" without first_frame_image" if resolution == "512P" else ""))
        duration = body.get("duration", 6)
        if not isinstance(duration, int) or isinstance(duration, bool) or duration not in spec["modes"][resolution]:
            raise invalid(f"duration {duration!r} is not available for {model} at {resolution}")
        return {"resolution": resolution, "duration": duration}

    @staticmethod
    def _validate_images(body: dict[str, Any], model: str, spec: dict[str, Any]) -> bool:
        """Check first/last frame and subject reference against the model; return whether a first frame is given."""
        first = "first_frame_image" in body
        if spec["first_frame"] == "required" and not first:
            raise invalid(f"first_frame_image is required for {model}")
        if spec["first_frame"] == "none" and first:
            raise invalid(f"{model} does not take first_frame_image")
        if "last_frame_image" in body and (model != "MiniMax-Hailuo-02" or not first):
            raise invalid("last_frame_image needs MiniMax-Hailuo-02 and a first_frame_image")
        images = [body[name] for name in ("first_frame_image", "last_frame_image") if name in body]
        if spec.get("subject"):
            reference = body.get("subject_reference")
            if not isinstance(reference, list) or len(reference) != 1 or not isinstance(reference[0], dict) \
                    or set(reference[0]) != {"type", "image"} or reference[0]["type"] != "character" \
                    or not isinstance(reference[0]["image"], list) or len(reference[0]["image"]) != 1:
                raise invalid('subject_reference must be [{"type": "character", "image": [one image]}]')
            images += reference[0]["image"]
        elif "subject_reference" in body:
            raise invalid(f"subject_reference is only for S2V-01, not {model}")
        for image in images:
            try:
                check_image(image)
            except ValueError as error:
                raise invalid(f"image: {error}") from None
        return first
