"""The `fal` engine: many video models behind fal's one queue protocol, with the models as a table of data.

`FalQueueEngine` is the protocol, whatever a model makes (videos here, stills in engine/remote/fal_image.py).
Submit `POST {queue}/{endpoint}` with the model's input JSON → `request_id` and the status and response URLs
(which drop the endpoint's sub-path); poll `GET …/status?logs=1` (IN_QUEUE → IN_PROGRESS → COMPLETED); read the
result `GET …/requests/{id}` → `{"video": {"url": …}}` (an image model's: `{"images": [{"url": …}, …]}`). Which
request part goes into which input field, the allowed durations and the list prices come from `fal_models.toml`, one
row per model.
"""

from __future__ import annotations

import time
import tomllib
from abc import abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

from engine.api import RenderRequest
from engine.remote.engine import RemoteEngine, choose_duration
from engine.remote.errors import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.http import retry_after
from engine.remote.media import data_uri, reference_images
from engine.remote.task import Cost, RemoteTask, TaskStatus

MODELS_FILE = Path(__file__).with_name("fal_models.toml")

# error types (fal's `detail[].type`, `error_type`, `x-fal-error-type`) that mean the content was refused
REFUSED_TYPES = frozenset({"content_policy_violation"})
# infrastructure error types (fal's request errors): the same input may succeed later
TRANSIENT_TYPES = frozenset({
    "request_timeout", "startup_timeout", "runner_scheduling_failure", "runner_connection_timeout",
    "runner_disconnected", "runner_connection_refused", "runner_connection_error", "runner_incomplete_response",
    "runner_server_error", "internal_error", "internal_server_error", "generation_timeout",
    "downstream_service_error", "downstream_service_unavailable",
})

RequestPart = Literal["first_frame", "last_frame", "references"]


class Duration(BaseModel):
    """How a model takes the clip length: `values` in seconds written as "5" / 5 / "8s", or a frame count."""

    model_config = ConfigDict(frozen=True)

    field: str
    format: Literal["string", "int", "seconds", "frames"]
    values: tuple[float, ...] = ()
    fps: float = 16.0  # frames format: the model's frame rate
    fps_field: str | None = None
    min: int = 1
    max: int = 1_000_000

    def inputs(self, seconds: float) -> tuple[dict[str, Any], float]:
        """The duration inputs for a shot of `seconds`, and the seconds the provider will render."""
        if self.format == "frames":
            frames = min(self.max, max(self.min, round(seconds * self.fps)))
            extra = {self.fps_field: int(self.fps)} if self.fps_field else {}
            return {self.field: frames, **extra}, frames / self.fps
        chosen = choose_duration(seconds, self.values)
        value: str | int = {"string": str(int(chosen)), "int": int(chosen), "seconds": f"{int(chosen)}s"}[self.format]
        return {self.field: value}, chosen


class AspectRatio(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    values: tuple[str, ...]

    def closest(self, width: int, height: int) -> str:
        """The listed ratio nearest the request's width:height ("auto" is never chosen: we know the shape)."""
        ratios = [v for v in self.values if ":" in v]
        wanted = width / height

        def distance(value: str) -> float:
            w, h = (float(x) for x in value.split(":"))
            return abs(w / h - wanted)

        return min(ratios, key=distance)


class FalModel(BaseModel):
    """One row of fal_models.toml: an endpoint and where each part of a request goes (None: no such input)."""

    model_config = ConfigDict(frozen=True)

    name: str
    endpoint: str
    prompt: str = "prompt"
    negative: str | None = None
    first_frame: str | None = None
    last_frame: str | None = None
    references: str | None = None
    references_max: int = 4
    location_reference: bool = False  # the location's image joins the list, after the characters'
    requires: tuple[RequestPart, ...] = ()
    seed: str | None = None
    duration: Duration | None = None
    aspect_ratio: AspectRatio | None = None
    fixed: dict[str, str | int | float | bool] = {}
    price_per_second: float = 0.0
    price_per_video: float = 0.0
    text: dict[str, Any] | None = None  # overrides for requests without a first frame (text-to-video)

    def variant(self, has_first_frame: bool) -> FalModel:
        """The row as used for a request: the text-to-video endpoint and fields when there is no first frame."""
        if has_first_frame or self.text is None:
            return self
        return FalModel.model_validate({**self.model_dump(exclude={"text"}), "first_frame": None, "last_frame": None,
                                        **self.text})


Row = TypeVar("Row", bound=BaseModel)


@lru_cache(maxsize=None)
def model_table(path: Path, row: type[Row]) -> tuple[str, dict[str, Row]]:
    """A table of fal models (fal_models.toml, fal_image_models.toml): its default model's name and its rows by name."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return table["default"], {name: row.model_validate({"name": name, **values}) for name, values in table["models"].items()}


def named_row(path: Path, row: type[Row], request: RenderRequest, options: dict[str, Any], what: str) -> Row:
    """The row of the table at `path` named by the `model` option (request first, then engine options), else its
    default; an unknown name is a RemoteError listing the table's (`what`: "fal model", "fal image model")."""
    default, models = model_table(path, row)
    name = str(request.options.get("model", options.get("model", default)))
    if name not in models:
        raise RemoteError(f"unknown {what} {name!r}; {path.name} has {', '.join(sorted(models))}", provider="fal")
    return models[name]


def load_models(path: Path = MODELS_FILE) -> tuple[str, dict[str, FalModel]]:
    """The table's default model name and its rows by name."""
    return model_table(path, FalModel)


def model_for(request: RenderRequest, options: dict[str, Any]) -> FalModel:
    """The row named by the `model` option, in its variant for the request."""
    return named_row(MODELS_FILE, FalModel, request, options, "fal model").variant(request.first_frame is not None)


def arguments(model: FalModel, request: RenderRequest) -> tuple[dict[str, Any], list[str]]:
    """The model's input JSON for `request` and the request parts it cannot take."""
    body: dict[str, Any] = dict(model.fixed)
    body[model.prompt] = request.prompt
    if model.negative and request.negative_prompt:
        body[model.negative] = request.negative_prompt
    parts: dict[RequestPart, Any] = {
        "first_frame": request.first_frame,
        "last_frame": request.last_frame,
        "references": reference_images(request, model.references_max, location=model.location_reference) or None,
    }
    missing = [part for part in model.requires if parts[part] is None]
    if missing:
        raise RemoteError(f"fal model {model.name} needs {' and '.join(missing)} ({model.endpoint})", provider="fal")
    ignored = []
    for part, value in parts.items():
        field = getattr(model, part)
        if value is None:
            continue
        if field is None:
            ignored.append(part)
        else:
            body[field] = [data_uri(p) for p in value] if part == "references" else data_uri(value)
    if model.duration is not None:
        body.update(model.duration.inputs(request.duration)[0])
    if model.aspect_ratio is not None:
        body[model.aspect_ratio.field] = model.aspect_ratio.closest(request.width, request.height)
    if model.seed:
        body[model.seed] = request.seed
    return body, ignored


class FalQueueEngine(RemoteEngine):
    """fal's queue protocol (FAL_KEY, FAL_QUEUE_BASE): enqueue a model's input, poll its status, read its result.
    Subclasses build the input and say where a result's files are (`outputs`). fal takes no idempotency key, so a
    task whose record was lost cannot be recovered (`recover` returns None)."""

    provider: ClassVar[str] = "fal"
    credentials: ClassVar[tuple[str, ...]] = ("FAL_KEY",)
    key_env: ClassVar[str | None] = "FAL_KEY"
    auth_scheme: ClassVar[str] = "Key"
    base_env: ClassVar[str | None] = "FAL_QUEUE_BASE"
    default_base: ClassVar[str] = "https://queue.fal.run"
    makes: ClassVar[str] = "video"  # what a result holds, for the message when it holds none

    @abstractmethod
    def outputs(self, answer: dict[str, Any]) -> list[str]:
        """The URLs of the files a finished request's result holds (empty: the model made nothing)."""

    def enqueue(self, endpoint: str, body: dict[str, Any], key: str, cost: Cost,
                data: dict[str, str | int | float | bool | None]) -> RemoteTask:
        """Submit `body` to `endpoint`; the task keeps the status, response and cancel URLs beside `data`."""
        response = self.http().request("POST", endpoint, json=body)
        if response.status_code != 200:
            raise self.failure(response, f"submit to {endpoint}", missing_is_final=True)
        answer = response.json()
        request_id = str(answer["request_id"])
        app = "/".join(endpoint.split("/")[:2])  # request URLs drop the endpoint's sub-path
        requests_url = f"{self.base_url}/{app}/requests/{request_id}"

        def given(name: str, built: str) -> str:
            """The answer's URL, built when absent; only ever on the queue host, where the key may be sent."""
            url = answer.get(name)
            return url if isinstance(url, str) and url.startswith(f"{self.base_url}/") else built

        return RemoteTask(
            provider=self.provider, task_id=request_id, external_id=key or None, submitted=time.time(), cost=cost,
            data={
                **data, "endpoint": endpoint,
                "status_url": given("status_url", f"{requests_url}/status"),
                "response_url": given("response_url", requests_url),
                "cancel_url": given("cancel_url", f"{requests_url}/cancel"),
            },
        )

    def poll(self, task: RemoteTask) -> TaskStatus:
        response = self.http().request("GET", str(task.data["status_url"]), params={"logs": "1"})
        if response.status_code not in (200, 202):
            raise self.failure(response, f"status of {task.task_id}")
        answer = response.json()
        state = answer.get("status")
        if state == "IN_QUEUE":
            return TaskStatus(state="queued", data={"queue_position": answer.get("queue_position")})
        if state == "IN_PROGRESS":
            return TaskStatus(state="running")
        if state in ("FAILED", "CANCELED", "CANCELLED") or (state == "COMPLETED" and answer.get("error")):
            return failed_status(str(answer.get("error") or state.lower()), answer.get("error_type"))
        if state == "COMPLETED":
            return self.result(task)
        raise RemoteError(f"unexpected status {state!r} for {task.task_id}", provider=self.provider, retryable=True)

    def result(self, task: RemoteTask) -> TaskStatus:
        """The finished request's output: its files' URLs, or the model's error when the output is one."""
        response = self.http().request("GET", str(task.data["response_url"]))
        if response.status_code == 422:
            error = self.failure(response, f"result of {task.task_id}")
            return failed_status(error.message, str(error.code) if error.code else None)
        if response.status_code != 200:
            raise self.failure(response, f"result of {task.task_id}")
        urls = self.outputs(response.json())
        if not urls:
            return failed_status(f"the model returned no {self.makes}", "no_media_generated")
        return TaskStatus(state="succeeded", result_urls=urls)

    def failure(self, response: httpx.Response, what: str, *, missing_is_final: bool = False) -> RemoteError:
        """The typed error for a refused call: 401/403 → credentials, 422 → the input (content policy →
        ContentRefused), 429 → rate limited, 5xx → retryable; `X-Fal-Retryable` overrides when present.
        A 404 is final on submit (no such endpoint) and retryable elsewhere (a result not stored yet)."""
        status = response.status_code
        detail, error_type = error_detail(response)
        message = self.http().redact(f"{what}: HTTP {status}: {detail}")
        common: dict[str, Any] = {"provider": self.provider, "status": status, "code": error_type,
                                  "retry_after": retry_after(response)}
        if status in (401, 403):
            return CredentialsError(f"{what}: fal refused the key (HTTP {status})", variables=self.credentials,
                                    **common)
        if status == 429:
            return RateLimited(message, **common)
        if error_type in REFUSED_TYPES:
            return ContentRefused(message, **common)
        flag = response.headers.get("x-fal-retryable")
        if flag is not None:
            retryable = flag.strip().lower() == "true"
        elif status == 404:
            retryable = not missing_is_final
        else:
            retryable = status >= 500 or error_type in TRANSIENT_TYPES
        return RemoteError(message, retryable=retryable, **common)


class FalEngine(FalQueueEngine):
    """Video models on fal.ai. Option `model` names a row of fal_models.toml (default: the table's `default`);
    `price_per_second` / `price_per_task` override the row's list price."""

    name: ClassVar[str] = "fal"
    version: ClassVar[str] = "1"
    # what the table's default row (kling-2.1) takes: other rows take other parts, so their union would promise
    # what no single model does
    features: ClassVar[tuple[str, ...]] = ("text", "first_frame", "last_frame")

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The endpoint the request goes to (a changed table row renders elsewhere)."""
        return {"endpoint": model_for(request, {}).endpoint}

    def model(self, request: RenderRequest) -> FalModel:
        return model_for(request, self.options)

    def billed_seconds(self, request: RenderRequest) -> float:
        """Seconds the model renders (and bills): the duration it will be asked for."""
        duration = self.model(request).duration
        return duration.inputs(request.duration)[1] if duration is not None else request.duration

    def estimate(self, request: RenderRequest) -> Cost:
        """The row's list price (per video plus per second) unless the project sets its own."""
        model = self.model(request)
        seconds = self.billed_seconds(request)
        return self.option_price(request, seconds) or Cost(
            units=seconds, amount=round(model.price_per_video + model.price_per_second * seconds, 6))

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        model = self.model(request)
        body, ignored = arguments(model, request)
        return self.enqueue(model.endpoint, body, key, self.estimate(request),
                            {"model": model.name, "ignored": ",".join(ignored)})

    def outputs(self, answer: dict[str, Any]) -> list[str]:
        video = (answer.get("video") or {}).get("url")
        return [str(video)] if video else []


def failed_status(reason: str, error_type: str | None) -> TaskStatus:
    """A failed request: infrastructure errors may pass on a new draw, refused content (said so in the reason) or
    bad input will not. fal does not bill failed requests."""
    if error_type in REFUSED_TYPES:
        reason = f"content policy: {reason}"
    return TaskStatus(state="failed", reason=reason, retryable=error_type in TRANSIENT_TYPES, billed=False,
                      data={"error_type": error_type})


def error_detail(response: httpx.Response) -> tuple[str, str | None]:
    """A readable account of an error answer and its type. Model errors carry `detail` as a FastAPI-style list
    of `{loc, msg, type}`; request errors a string with `error_type`; the header `x-fal-error-type` either way."""
    error_type = response.headers.get("x-fal-error-type")
    try:
        body = response.json()
    except ValueError:
        return response.text[:300], error_type
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(body, dict) and body.get("error_type"):
        error_type = error_type or str(body["error_type"])
    if isinstance(detail, list):
        items = [item for item in detail if isinstance(item, dict)]
        text = "; ".join(f"{'.'.join(str(p) for p in item.get('loc', [])[1:]) or 'body'}: {item.get('msg', '')}"
                         for item in items)
        types = [str(item["type"]) for item in items if item.get("type")]
        refused = [t for t in types if t in REFUSED_TYPES]
        return text or str(detail)[:300], (refused or types or [error_type])[0]
    return str(detail)[:300], error_type
