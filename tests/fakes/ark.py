"""A fake of Volcengine Ark's video generation tasks (Seedance), field by field as documented.

`POST /api/v3/contents/generations/tasks` validates the body the way Ark does — required fields, known fields
only, content items and roles per model, first/last frame exclusive with reference images, images that
decode, output settings as body fields or as a `--ratio 9:16 --duration 5 …` suffix of the text — and answers
`{"id": "cgt-…"}`. `GET …/tasks/{id}` answers the task with timestamps in seconds. Errors use Ark's envelope
`{"error":{"code","message","param","type"}}` with Ark's HTTP statuses.

`POST /api/v3/images/generations` (Seedream) is synchronous: it validates the body per model (known fields only,
reference images that decode within Ark's limits, a size within the model's bounds), makes a PNG whose colours
come from the seed and the prompt, and answers `{model, created, data: [{url | b64_json, size}], usage}`. Ark's
table lists `seed` for the 3.0 models only, other sources send it to 4.x too: the fake takes it from either.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import time
from typing import Any

from .server import Request, Response
from .video_tasks import FakeTask, Latency, VideoTaskFake, check_image, corrupt_image, seeded_png, truncated_image

# What each model accepts: image roles, how many reference images, durations, audio.
MODELS: dict[str, dict[str, Any]] = {
    "doubao-seedance-1-0-pro-250528": {"roles": {"first_frame", "last_frame"}, "durations": range(2, 13)},
    "doubao-seedance-1-0-pro-fast-251015": {"roles": {"first_frame"}, "durations": range(2, 13)},
    "doubao-seedance-1-5-pro-251215": {"roles": {"first_frame", "last_frame"}, "durations": range(4, 13),
                                       "audio": True},
    "doubao-seedance-1-0-lite-t2v-250428": {"roles": set(), "durations": range(2, 13)},
    "doubao-seedance-1-0-lite-i2v-250428": {"roles": {"first_frame", "last_frame", "reference_image"},
                                            "references": 4, "durations": range(2, 13), "needs_image": True},
    "doubao-seedance-2-0-260128": {"roles": {"first_frame", "last_frame", "reference_image"}, "references": 9,
                                   "durations": range(4, 16), "audio": True},
}
FIELDS = {"model", "content", "callback_url", "return_last_frame", "service_tier", "execution_expires_after",
          "generate_audio", "draft", "ratio", "duration", "frames", "resolution", "seed", "camera_fixed", "watermark"}
RATIOS = {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
# the text-suffix form: --name value, with Ark's short aliases
SUFFIX = {"ratio": "ratio", "rt": "ratio", "resolution": "resolution", "rs": "resolution", "duration": "duration",
          "dur": "duration", "seed": "seed", "camerafixed": "camera_fixed", "cf": "camera_fixed",
          "watermark": "watermark", "wm": "watermark"}

TASKS = r"/api/v3/contents/generations/tasks"
IMAGES = r"/api/v3/images/generations"
IMAGE_RESULTS = r"/results/(?P<name>img-[^/]+)\.png"

# Seedream's models: family ("4": Seedream 4.x, "t2i3": Seedream 3.0 text-to-image, "edit3": SeedEdit 3.0) and how
# many input images each takes.
IMAGE_MODELS: dict[str, dict[str, Any]] = {
    "doubao-seedream-4-0-250828": {"family": "4", "images": 10},
    "doubao-seedream-4-5-251128": {"family": "4", "images": 14},
    "doubao-seedream-3-0-t2i-250415": {"family": "t2i3", "images": 0},
    "doubao-seededit-3-0-i2i-250628": {"family": "edit3", "images": 1},
}
IMAGE_FIELDS = {"model", "prompt", "image", "size", "seed", "sequential_image_generation",
                "sequential_image_generation_options", "stream", "guidance_scale", "response_format", "watermark"}
PRESETS = {"1K": 1024, "2K": 2048, "4K": 4096}


class ArkError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str = "", kind: str = "BadRequest"):
        super().__init__(message)
        self.response = Response(status, {"error": {"code": code, "message": message, "param": param, "type": kind}})


def check_envelope(body: dict[str, Any], fields: Any, required: tuple[str, ...], models: dict[str, Any]) -> Any:
    """What Ark checks first of any body: no unknown field, the required ones present, a model it has; returns that
    model's spec."""
    for name in body:
        if name not in fields:
            raise invalid(name, "unknown parameter")
    for name in required:
        if name not in body:
            raise ArkError(400, "MissingParameter", f"the request is missing the required parameter `{name}`", name)
    model = body["model"]
    if not isinstance(model, str) or model not in models:
        raise ArkError(404, "InvalidEndpointOrModel.NotFound", f"the model or endpoint {model} does not exist "
                       "or you do not have access to it", "model", "NotFound")
    return models[model]


def invalid(param: str, why: str) -> ArkError:
    return ArkError(400, "InvalidParameter", f"the parameter `{param}` specified in the request is not valid: {why}",
                    param)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ArkFake(VideoTaskFake):
    """Fake Ark on 127.0.0.1: `base` is what ARK_API_BASE should be set to."""

    def __init__(self, key: str = "ark-test-key", *, latency: Latency = 0.0, seed: int = 0):
        super().__init__(key, latency=latency, seed=seed)
        self._ids = itertools.count(1)
        self.route("POST", r"/api/v3/contents/generations/tasks", self._create)
        self.route("GET", r"/api/v3/contents/generations/tasks/(?P<id>[^/]+)", self._query)
        self.route("POST", IMAGES, self._generate)
        self.route("GET", IMAGE_RESULTS, self._image)
        self.images: dict[str, bytes] = {}  # name → PNG of every generated image
        self.generated = 0  # images made (and billed), answered or not
        self._lose_answers = 0
        self._failed_images: list[str] = []  # codes the next images fail with (in the answer's data, HTTP 200)

    @property
    def base(self) -> str:
        return f"{self.url}/api/v3"

    # --- faults on demand -------------------------------------------------------------------------------

    def refuse_next_create(self, code: str = "InputTextSensitiveContentDetected", path: str = TASKS) -> None:
        """The next create (of a task, or with `path=IMAGES` of an image) is refused by moderation (400 with a
        *SensitiveContentDetected code)."""
        self.fault("POST", path, ArkError(
            400, code, "The request failed because the input text may contain sensitive information.").response)

    def rate_limit_next(self, retry_after: float = 3, times: int = 1, path: str = TASKS) -> None:
        self.fault("POST", path, Response(
            429, {"error": {"code": "RateLimitExceeded.EndpointRPMExceeded", "message": "Too many requests",
                            "param": "", "type": "TooManyRequests"}}, {"retry-after": str(retry_after)}), times=times)

    def server_error_next(self, method: str = "POST", times: int = 1, path: str = TASKS) -> None:
        pattern = path + ("" if method == "POST" else r"/[^/]+")
        self.fault(method, pattern, ArkError(500, "InternalServiceError", "The service encountered an unexpected "
                                             "internal error.", kind="InternalServerError").response, times=times)

    def overdue_next(self) -> None:
        self.fault("POST", r"/api/v3/contents/generations/tasks", ArkError(
            403, "AccountOverdueError", "Your account has an overdue balance.", kind="Forbidden").response)

    def lose_next_answer(self) -> None:
        """The next image is made (and billed) but the connection closes before the answer goes out."""
        self._lose_answers += 1

    def fail_next_image(self, code: str = "OutputImageSensitiveContentDetected") -> None:
        """The next image fails inside an answer of HTTP 200: its `data` item is `{"error": {code, message}}` and
        nothing is generated (nor billed), as Ark reports an image it could not deliver."""
        self._failed_images.append(code)

    def truncate_next_image(self) -> None:
        self.fault("GET", IMAGE_RESULTS, truncated_image())

    def corrupt_next_image(self) -> None:
        self.fault("GET", IMAGE_RESULTS, corrupt_image())

    def not_ready_next_download(self) -> None:
        """Right after success the result link can answer 400 video_not_ready once."""
        self.missing_next_download(ArkError(400, "video_not_ready", "The video is not ready yet.").response)

    # --- routes -------------------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        try:
            self._authorize(request)
            body = request.json() if request.body else None
            if not isinstance(body, dict):
                raise ArkError(400, "InvalidParameter", "the request body must be a JSON object")
            settings = self._validate(body)
        except ArkError as error:
            return error.response
        except ValueError:
            return ArkError(400, "InvalidParameter", "the request body is not valid JSON").response
        task = self.new_task(f"cgt-2026{next(self._ids):010d}", body)
        task.extra.update(settings)
        return Response(200, {"id": task.id})

    def _query(self, request: Request) -> Response:
        try:
            self._authorize(request)
        except ArkError as error:
            return error.response
        task = self.tasks.get(request.params["id"])
        if task is None:
            return ArkError(404, "ResourceNotFound", f"the task {request.params['id']} was not found",
                            kind="NotFound").response
        return Response(200, self._describe(task))

    def _authorize(self, request: Request) -> None:
        if not self.authorized(request):
            raise ArkError(401, "AuthenticationError", "the API key or AK/SK in the request is missing or invalid",
                           kind="Unauthorized")

    def _describe(self, task: FakeTask) -> dict[str, Any]:
        phase = task.phase()
        resolution, ratio = task.extra["resolution"], task.extra["ratio"]
        answer: dict[str, Any] = {
            "id": task.id, "model": task.body["model"], "status": phase, "error": None,
            "created_at": int(task.created), "updated_at": int(task.created + min(task.latency, 1e6)),
            "seed": task.extra["seed"], "resolution": resolution, "ratio": ratio,
            "duration": task.extra["duration"], "framespersecond": 24,
        }
        if phase == "succeeded":
            short = RESOLUTIONS[resolution]
            tokens = int(short * short * 16 / 9 * 24 * task.extra["duration"] / 1024)
            answer["content"] = {"video_url": self.result_url(task)}
            answer["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
        elif phase == "failed":
            code, message = task.error or ("InternalServiceError", "the task failed")
            answer["error"] = {"code": code, "message": message}
        return answer

    def _generate(self, request: Request) -> Response:
        try:
            self._authorize(request)
            body = request.json() if request.body else None
            if not isinstance(body, dict):
                raise ArkError(400, "InvalidParameter", "the request body must be a JSON object")
            width, height = self._validate_image_request(body)
        except ArkError as error:
            return error.response
        except ValueError:
            return ArkError(400, "InvalidParameter", "the request body is not valid JSON").response
        if self._failed_images:
            code = self._failed_images.pop(0)
            return Response(200, {"model": body["model"], "created": int(time.time()),
                                  "data": [{"error": {"code": code, "message": "The output image may contain "
                                                      "sensitive information."}}],
                                  "usage": {"generated_images": 0, "output_tokens": 0, "total_tokens": 0}})
        seed = body.get("seed", -1)
        if seed == -1:
            seed = self._rng.randrange(2**31)
        digest = hashlib.sha256(f"{seed}|{body['prompt']}".encode()).digest()
        png = seeded_png(width, height, int.from_bytes(digest[:8], "big"))
        with self._task_lock:
            self.generated += 1
            name = f"img-{self.generated:06d}"
            self.images[name] = png
            if self._lose_answers:
                self._lose_answers -= 1
                return Response(drop=True)
        item: dict[str, Any] = {"size": f"{width}x{height}"}
        if body.get("response_format", "url") == "b64_json":
            item["b64_json"] = base64.b64encode(png).decode("ascii")
        else:
            item["url"] = f"{self.url}/results/{name}.png"
        tokens = width * height // 256
        return Response(200, {"model": body["model"], "created": int(time.time()), "data": [item],
                              "usage": {"generated_images": 1, "output_tokens": tokens, "total_tokens": tokens}})

    def _image(self, request: Request) -> Response:
        image = self.images.get(request.params["name"])
        if image is None:
            return Response(404, b"not found", {"content-type": "text/plain"})
        return Response(200, image, {"content-type": "image/png"})

    # --- validation ---------------------------------------------------------------------------------------

    def _validate_image_request(self, body: dict[str, Any]) -> tuple[int, int]:
        """Check a Seedream body as Ark does; return the size of the image it makes."""
        spec, model = check_envelope(body, IMAGE_FIELDS, ("model", "prompt"), IMAGE_MODELS), body["model"]
        kind = spec["family"]
        if not isinstance(body["prompt"], str) or not body["prompt"].strip():
            raise invalid("prompt", "must be a non-empty string")
        self._validate_images(body.get("image"), kind, spec["images"])
        if kind != "4":
            for name in ("sequential_image_generation", "sequential_image_generation_options", "stream"):
                if name in body:
                    raise invalid(name, f"{model} does not support it")
        if body.get("sequential_image_generation", "disabled") not in ("auto", "disabled"):
            raise invalid("sequential_image_generation", "must be auto or disabled")
        if body.get("response_format", "url") not in ("url", "b64_json"):
            raise invalid("response_format", "must be url or b64_json")
        for name in ("stream", "watermark"):
            if name in body and not isinstance(body[name], bool):
                raise invalid(name, "must be a boolean")
        if body.get("stream"):
            raise invalid("stream", "this fake answers whole responses only")
        if "seed" in body and (not _integer(body["seed"]) or not -1 <= body["seed"] <= 2**31 - 1):
            raise invalid("seed", "must be an integer in [-1, 2147483647]")
        if "guidance_scale" in body:
            scale = body["guidance_scale"]
            if kind == "4" or isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 1 <= scale <= 10:
                raise invalid("guidance_scale", "a number in [1, 10], for the 3.0 models only")
        return self._image_size(body.get("size"), kind)

    @staticmethod
    def _validate_images(images: Any, kind: str, limit: int) -> None:
        if images is None:
            if kind == "edit3":
                raise invalid("image", "this model edits an image: `image` is required")
            return
        if limit == 0:
            raise invalid("image", "this model takes no image")
        if kind == "edit3" and not isinstance(images, str):
            raise invalid("image", "must be one image URL or data URI")
        items = [images] if isinstance(images, str) else images
        if not isinstance(items, list) or not items or len(items) > limit:
            raise invalid("image", f"must be an image or an array of 1 to {limit} images")
        ratios = (1 / 3, 3.0) if kind == "edit3" else (1 / 16, 16.0)
        for index, item in enumerate(items):
            try:
                check_image(item, min_side=15, ratios=ratios, max_bytes=10 * 1024 * 1024,
                            formats=("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"))
            except ValueError as error:
                raise invalid(f"image[{index}]", str(error)) from None

    @staticmethod
    def _image_size(size: Any, kind: str) -> tuple[int, int]:
        """The output size `size` asks for: "WxH" within the model's bounds, a preset on 4.x, "adaptive" on
        SeedEdit (the fake keeps 1024×1024), or the model's default when absent."""
        if size is None:
            return {"4": (2048, 2048), "t2i3": (1024, 1024), "edit3": (1024, 1024)}[kind]
        if kind == "edit3":
            if size != "adaptive":
                raise invalid("size", "SeedEdit 3.0 takes only adaptive")
            return 1024, 1024
        if kind == "4" and size in PRESETS:
            return PRESETS[size], PRESETS[size]
        match = re.fullmatch(r"(\d+)x(\d+)", str(size))
        if match is None:
            raise invalid("size", "must be WxH" + (" or 1K, 2K, 4K" if kind == "4" else ""))
        width, height = int(match[1]), int(match[2])
        if kind == "t2i3" and not (512 <= width <= 2048 and 512 <= height <= 2048):
            raise invalid("size", "width and height must be within [512, 2048]")
        if kind == "4" and not (1280 * 720 <= width * height <= 4096 * 4096 and 1 / 16 <= width / height <= 16):
            raise invalid("size", "total pixels must be within [1280x720, 4096x4096], aspect within [1/16, 16]")
        return width, height


    def _validate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check the body as Ark does; return the effective output settings."""
        spec, model = check_envelope(body, FIELDS, ("model", "content"), MODELS), body["model"]
        text = self._validate_content(body["content"], spec)
        settings: dict[str, Any] = {"ratio": "adaptive" if len(body["content"]) > 1 else "16:9", "duration": 5,
                                    "resolution": "720p" if "1-0-pro" not in model else "1080p", "seed": -1,
                                    "camera_fixed": False, "watermark": False}
        for name, value in re.findall(r"--(\w+)\s+(\S+)", text):
            if name in SUFFIX:
                settings[SUFFIX[name]] = _suffix_value(SUFFIX[name], value)
        settings.update({k: body[k] for k in ("ratio", "duration", "resolution", "seed", "camera_fixed", "watermark")
                         if k in body})
        self._validate_settings(settings, spec)
        for name in ("return_last_frame", "generate_audio", "draft"):
            if name in body and not isinstance(body[name], bool):
                raise invalid(name, "must be a boolean")
        if body.get("generate_audio") and not spec.get("audio"):
            raise invalid("generate_audio", f"{model} does not generate audio")
        if "callback_url" in body and not isinstance(body["callback_url"], str):
            raise invalid("callback_url", "must be a string")
        if settings["seed"] == -1:
            settings["seed"] = self._rng.randrange(2**32)
        return settings

    def _validate_content(self, content: Any, spec: dict[str, Any]) -> str:
        """Check the content items; return the text (or "")."""
        if not isinstance(content, list) or not content:
            raise invalid("content", "must be a non-empty array")
        texts, roles = [], []
        for index, item in enumerate(content):
            where = f"content[{index}]"
            if not isinstance(item, dict) or item.get("type") not in ("text", "image_url"):
                raise invalid(f"{where}.type", "must be text or image_url")
            if item["type"] == "text":
                if set(item) != {"type", "text"} or not isinstance(item["text"], str) or not item["text"].strip():
                    raise invalid(where, "a text item is {type, text} with a non-empty text")
                texts.append(item["text"])
                continue
            if not set(item) <= {"type", "image_url", "role"} or not isinstance(item.get("image_url"), dict) \
                    or set(item["image_url"]) != {"url"}:
                raise invalid(where, "an image item is {type, image_url: {url}, role}")
            try:
                check_image(item["image_url"]["url"])
            except ValueError as error:
                raise invalid(f"{where}.image_url", str(error)) from None
            role = item.get("role", "first_frame")
            if role not in ("first_frame", "last_frame", "reference_image"):
                raise invalid(f"{where}.role", f"unknown role {role!r}")
            roles.append(role)
        if len(texts) > 1:
            raise invalid("content", "at most one text item")
        self._validate_roles(roles, spec)
        return texts[0] if texts else ""

    @staticmethod
    def _validate_roles(roles: list[str], spec: dict[str, Any]) -> None:
        if not roles and spec.get("needs_image"):
            raise invalid("content", "this model needs an image")
        for role in set(roles):
            if role not in spec["roles"]:
                raise invalid("content.role", f"this model does not accept {role}")
        references = roles.count("reference_image")
        if references and len(roles) != references:
            raise invalid("content.role", "reference images cannot be combined with a first or last frame")
        if references > spec.get("references", 0):
            raise invalid("content", f"at most {spec.get('references', 0)} reference images")
        if roles.count("first_frame") > 1 or roles.count("last_frame") > 1:
            raise invalid("content.role", "one first frame and one last frame at most")
        if "last_frame" in roles and "first_frame" not in roles:
            raise invalid("content.role", "a last frame needs a first frame")

    @staticmethod
    def _validate_settings(settings: dict[str, Any], spec: dict[str, Any]) -> None:
        if settings["ratio"] not in RATIOS:
            raise invalid("ratio", f"must be one of {sorted(RATIOS)}")
        if not _integer(settings["duration"]) or settings["duration"] not in spec["durations"]:
            raise invalid("duration", f"must be an integer in {spec['durations'].start}..{spec['durations'].stop - 1}")
        if settings["resolution"] not in RESOLUTIONS:
            raise invalid("resolution", f"must be one of {sorted(RESOLUTIONS)}")
        if not _integer(settings["seed"]) or not -1 <= settings["seed"] <= 2**32 - 1:
            raise invalid("seed", "must be an integer in [-1, 4294967295]")
        for name in ("camera_fixed", "watermark"):
            if not isinstance(settings[name], bool):
                raise invalid(name, "must be a boolean")


def _suffix_value(name: str, value: str) -> Any:
    """A `--name value` setting from the text, typed as the body field would be."""
    if name in ("duration", "seed"):
        try:
            return int(value)
        except ValueError:
            raise invalid(name, f"{value!r} is not an integer") from None
    if name in ("camera_fixed", "watermark"):
        if value not in ("true", "false"):
            raise invalid(name, f"{value!r} is not true or false")
        return value == "true"
    return value
