"""MiniMax Hailuo video generation.

Protocol (MiniMax's "Video Generation" API guide):
`POST {base}/video_generation {"model","prompt","prompt_optimizer","first_frame_image","subject_reference",
"duration","resolution"}` → `{"task_id", "base_resp"}`; `GET {base}/query/video_generation?task_id=` →
`status` Queueing|Preparing|Processing|Success|Fail and `file_id`; `GET {base}/files/retrieve?file_id=` →
`file.download_url` (valid 9 h). Business errors come as HTTP 200 with `base_resp.status_code` ≠ 0.

The download URL is asked for in `poll`, as soon as the task succeeds: a succeeded status then carries its
result URL like every other engine's (the executor needs nothing MiniMax-specific), and since the executor
fetches right after a success — or polls again after a crash, which asks for a fresh URL — the 9 h validity is
never an issue.

Images go inline as data URIs, conformed to MiniMax's limits where they are outside (`IMAGE_LIMITS`). A first
frame (`first_frame_image`) wins over references; a shot with a character reference and no first frame is rendered
by the subject-reference model (`S2V-01`, one image of the first character). MiniMax has no seed and no
idempotency id: the job key stays in `RemoteTask.external_id`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from engine.api import RenderRequest
from engine.remote.engine import choose_duration
from engine.remote.errors import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.task import Cost, RemoteTask, TaskState, TaskStatus
from engine.remote.media import data_uri, reference_images
from engine.remote.video_api import IMAGE_LIMITS, BearerVideoEngine, json_object

DEFAULT_MODEL = "MiniMax-Hailuo-02"
REFERENCE_MODEL = "S2V-01"

# Seconds offered per model and resolution; the first resolution is the model's default.
# Hailuo 02 / 2.3: 6 or 10 s at 768P, 6 s only at 1080P (512P, i2v only, is left out); the 01 series: 720P, 6 s.
MODES: dict[str, dict[str, tuple[int, ...]]] = {
    "MiniMax-Hailuo-02": {"768P": (6, 10), "1080P": (6,)},
    "MiniMax-Hailuo-2.3": {"768P": (6, 10), "1080P": (6,)},
    "MiniMax-Hailuo-2.3-Fast": {"768P": (6, 10), "1080P": (6,)},
    "T2V-01": {"720P": (6,)},
    "T2V-01-Director": {"720P": (6,)},
    "I2V-01": {"720P": (6,)},
    "I2V-01-Director": {"720P": (6,)},
    "I2V-01-live": {"720P": (6,)},
    "S2V-01": {"720P": (6,)},
}

# Price per task in USD (drama's default currency) by (model, resolution, seconds): MiniMax's pay-as-you-go list
# as copied in public clients (check the current list). The options `price_per_task` / `price_per_second`
# replace the table.
PRICES: dict[tuple[str, str, int], float] = {
    ("MiniMax-Hailuo-02", "768P", 6): 0.28, ("MiniMax-Hailuo-02", "768P", 10): 0.56,
    ("MiniMax-Hailuo-02", "1080P", 6): 0.49,
    ("MiniMax-Hailuo-2.3", "768P", 6): 0.28, ("MiniMax-Hailuo-2.3", "768P", 10): 0.56,
    ("MiniMax-Hailuo-2.3", "1080P", 6): 0.49,
    ("MiniMax-Hailuo-2.3-Fast", "768P", 6): 0.19, ("MiniMax-Hailuo-2.3-Fast", "768P", 10): 0.32,
    ("MiniMax-Hailuo-2.3-Fast", "1080P", 6): 0.33,
    **{(model, "720P", 6): 0.43 for model in ("T2V-01", "T2V-01-Director", "I2V-01", "I2V-01-Director",
                                              "I2V-01-live")},
    ("S2V-01", "720P", 6): 0.65,
}



def default_resolution(model: str) -> str:
    return next(iter(MODES[model])) if model in MODES else "768P"


STATES: dict[str, TaskState] = {"Queueing": "queued", "Preparing": "queued", "Processing": "running",
                                "Success": "succeeded", "Fail": "failed"}

# base_resp.status_code groups (MiniMax error code list)
RATE_LIMITED = {1002, 1039}  # requests per minute / tokens per minute
REFUSED_KEY = {1004, 2049}  # authentication failed / invalid API key
NO_BALANCE = 1008
SENSITIVE = {1026, 1027}  # the prompt / the output video
TRANSIENT = {1000, 1001, 1013}  # unknown error / timeout / internal service error


class HailuoEngine(BearerVideoEngine):
    """Hailuo text/image/subject-to-video on MiniMax. Options: `model` (default MiniMax-Hailuo-02),
    `reference_model` (default S2V-01), `resolution` (768P|1080P), `prompt_optimizer` (default true),
    `price_per_task` / `price_per_second` (override the price table)."""

    name = "hailuo"
    version = "1"
    provider = "minimax"
    key_env = "MINIMAX_API_KEY"
    credentials = ("MINIMAX_API_KEY",)
    base_env = "MINIMAX_API_BASE"
    default_base = "https://api.minimax.io/v1"
    features = ("text", "first_frame", "references")  # references through the subject-reference model; no seed

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The models that may render (the defaults are not in the request's options, and may change)."""
        return {"model": str(request.options.get("model", DEFAULT_MODEL)),
                "reference_model": str(request.options.get("reference_model", REFERENCE_MODEL))}

    # --- request ------------------------------------------------------------------------------------------

    def mode(self, request: RenderRequest) -> tuple[str, str, int]:
        """Model, resolution and seconds for this request. The reference model renders at its own resolution
        (the `resolution` option is for the main model, and S2V-01 has only 720P)."""
        if request.first_frame is None and reference_images(request, 1):
            model = str(self.setting(request, "reference_model", REFERENCE_MODEL))
            resolution = default_resolution(model)
        else:
            model = str(self.setting(request, "model", DEFAULT_MODEL))
            resolution = str(self.setting(request, "resolution", default_resolution(model)))
        seconds = choose_duration(request.duration, MODES.get(model, {}).get(resolution) or (6,))
        return model, resolution, int(seconds)

    def body(self, request: RenderRequest) -> dict[str, Any]:
        model, resolution, seconds = self.mode(request)
        body: dict[str, Any] = {"model": model, "prompt": request.prompt,
                                "prompt_optimizer": bool(self.setting(request, "prompt_optimizer", True)),
                                "duration": seconds, "resolution": resolution}
        if request.first_frame is not None:
            body["first_frame_image"] = data_uri(request.first_frame, IMAGE_LIMITS)
        else:
            references = reference_images(request, 1)
            if references:
                image = data_uri(references[0], IMAGE_LIMITS)
                body["subject_reference"] = [{"type": "character", "image": [image]}]
        return body

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        body = self.body(request)
        answer = self.call("POST", "video_generation", json=body)
        task_id = answer.get("task_id")
        if not task_id:
            raise RemoteError("create answered without a task_id", provider=self.provider, retryable=True)
        return RemoteTask(provider=self.provider, task_id=str(task_id), external_id=key or None,
                          submitted=time.time(), cost=self.estimate(request),
                          data={"model": body["model"], "resolution": body["resolution"],
                                "duration": body["duration"]})

    def poll(self, task: RemoteTask) -> TaskStatus:
        response = self.http().request("GET", "query/video_generation", params={"task_id": task.task_id})
        answer = self.checked(response, allow_failure=True)
        status = answer.get("status")
        if status not in STATES:
            raise RemoteError(f"task {task.task_id} has unknown status {status!r}", provider=self.provider)
        state = STATES[status]
        if state == "failed":
            base = answer.get("base_resp") or {}
            code = base.get("status_code")
            reason = answer.get("error_message") or base.get("status_msg") or "task failed"
            # MiniMax bills only successful tasks; a refused output will be refused again
            return TaskStatus(state=state, reason=self.http().redact(f"{code}: {reason}"),
                              retryable=code not in SENSITIVE, billed=False)
        if state == "succeeded":
            file_id = answer.get("file_id")
            if not file_id:
                raise RemoteError(f"task {task.task_id} succeeded without a file_id", provider=self.provider,
                                  retryable=True)
            return TaskStatus(state=state, result_urls=[self.download_url(str(file_id))], progress=1.0,
                              data={"file_id": str(file_id)})
        return TaskStatus(state=state)

    def download_url(self, file_id: str) -> str:
        file = self.call("GET", "files/retrieve", params={"file_id": file_id}).get("file") or {}
        url = file.get("download_url") or file.get("backup_download_url")
        if not url:
            raise RemoteError(f"file {file_id} has no download_url", provider=self.provider, retryable=True)
        return str(url)

    # --- errors -------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return self.checked(self.http().request(method, path, **kwargs))

    def checked(self, response: httpx.Response, *, allow_failure: bool = False) -> dict[str, Any]:
        """The answer of a call that worked: HTTP failures and base_resp codes ≠ 0 become typed errors (except
        on a query whose task failed, when `allow_failure`: that is the task's outcome, not the call's)."""
        if response.status_code != 200:
            base = (json_object(response) or {}).get("base_resp") or {}
            raise self.http_failure(response, str(base.get("status_msg") or response.text[:200]))
        answer = self.answer(response)
        base = answer.get("base_resp") or {}
        code = base.get("status_code", 0)
        if code != 0 and not (allow_failure and answer.get("status") == "Fail"):
            raise self.business_error(code, str(base.get("status_msg") or ""))
        return answer

    def business_error(self, code: int, message: str) -> RemoteError:
        """A base_resp status code → the typed error (see the code groups above)."""
        text = self.http().redact(message or "no message")
        if code in RATE_LIMITED:
            return RateLimited(f"rate limited: {text}", provider=self.provider, code=code)
        if code in REFUSED_KEY:
            return CredentialsError(f"the key was refused: {text}", provider=self.provider,
                                    variables=(self.key_env,), code=code)
        if code == NO_BALANCE:
            return RemoteError(f"insufficient balance, top up the MiniMax account: {text}", provider=self.provider,
                               code=code)
        if code in SENSITIVE:
            return ContentRefused(f"refused by moderation: {text}", provider=self.provider, code=code)
        return RemoteError(text, provider=self.provider, code=code, retryable=code in TRANSIENT)

    # --- cost ---------------------------------------------------------------------------------------------

    def billed_seconds(self, request: RenderRequest) -> float:
        return self.mode(request)[2]

    def estimate(self, request: RenderRequest) -> Cost:
        """The price table's entry for the request's model, resolution and seconds, unless `price_per_task` /
        `price_per_second` are set; a combination not in the table is priced like the dearest known task, so a
        budget is never under-estimated."""
        model, resolution, seconds = self.mode(request)
        priced = self.option_price(request, seconds)
        if priced is not None:
            return priced
        return Cost(units=seconds, amount=PRICES.get((model, resolution, seconds), max(PRICES.values())))
