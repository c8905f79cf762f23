"""Seedream (ByteDance) on Volcengine Ark: image generation, one still per draw, with the characters' references.

Protocol (Ark's image generation API, "图片生成 API"): `POST {base}/images/generations` with `model`, `prompt`,
`image` (a URL or data URI, or an array of them: reference images, Seedream 4.x only; SeedEdit 3.0 takes exactly
one), `size` ("WxH", or "1K"/"2K"/"4K" on 4.x), `sequential_image_generation` ("disabled": one image), `stream`,
`response_format` ("url" | "b64_json"), `watermark`, and on the 3.0 models `seed` and `guidance_scale`. The answer
comes at once: `{model, created, data: [{url | b64_json, size}], usage: {generated_images, output_tokens,
total_tokens}}`; failures are an HTTP status with Ark's `{"error": {"code", "message"}}` envelope (moderation
codes …SensitiveContentDetected are refusals).

Sources disagree on whether 4.x takes `seed` (Ark's parameter table lists it for the 3.0 models only; several
clients send it to 4.0 as well): this client sends it only where the table lists it, and the test fake takes both.

The API is synchronous, but drama's task queue wants submit → record → poll → fetch, so `submit` makes the image
and keeps its result URL (valid 24 hours) in the task's data; `poll` reports it succeeded and `fetch` downloads it.
The URL form is asked for, never `b64_json`: a task record must stay small. Crash safety, honestly: Ark gives an
image no id to look up, so an answer lost on the way back (a read timeout, a dropped connection after the request
went out) cannot be recovered; `Http` marks that error `sent`, and drama's RemoteRun then refuses to submit again
blindly (it could pay twice) and says so.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any, Literal

import httpx

from engine.api import RenderRequest
from engine.remote.errors import ContentRefused, RemoteError
from engine.remote.image import RemoteImageEngine
from engine.remote.media import ImageLimits, data_uri, reference_images
from engine.remote.seedance import ArkEngine, sensitive
from engine.remote.task import RemoteTask, TaskStatus

DEFAULT_MODEL = "doubao-seedream-4-0-250828"
Family = Literal["4", "t2i3", "edit3"]  # Seedream 4.x (and later), Seedream 3.0 text-to-image, SeedEdit 3.0

# Ark's bounds. 4.x: "WxH" of 1280×720 to 4096×4096 pixels in all, aspect 1:16 to 16:1, up to 10 reference images
# (4.5 documents 14; 10 is what every 4.x takes). 3.0 text-to-image: each side 512–2048. Input images: the shorter
# side over 14 px, at most 10 MB, aspect 1:16..16:1 (SeedEdit: 1:3..3:1).
MIN_PIXELS, MAX_PIXELS = 1280 * 720, 4096 * 4096
MAX_ASPECT = 16.0
T2I3_SIDES = (512, 2048)
MAX_REFERENCES = 10
IMAGE_LIMITS = {"4": ImageLimits(formats=("PNG", "JPEG", "WEBP"), min_side=15, max_aspect=16.0,
                                 max_bytes=10 * 1024 * 1024),
                "edit3": ImageLimits(min_side=15, max_aspect=3.0, max_bytes=10 * 1024 * 1024)}
SEED_MAX = 2**31 - 1
# Generation takes seconds to a minute on Ark, all of it inside the one POST: wait that long for the answer.
GENERATION_TIMEOUT = httpx.Timeout(180.0, connect=10.0)
RESULT_LIFETIME = 24 * 3600  # Ark keeps a result URL this many seconds

# Per image in the project's currency (USD by default): Seedream 4.0's list price, 0.2 CNY per image on Ark in
# mainland China (about 0.028 USD) and 0.03 USD on BytePlus. Set price_per_task for your own contract.
PRICE_PER_IMAGE = 0.03


def family(model: str) -> Family:
    """Which generation of the API a model (or an endpoint id, taken as 4.x) speaks."""
    if "seededit" in model:
        return "edit3"
    if "seedream-3" in model:
        return "t2i3"
    return "4"


def output_size(model: str, width: int, height: int) -> tuple[int, int]:
    """The request's size within the model's bounds at the same aspect: 4.x scales it up (or down) to its pixel
    range, 3.0 text-to-image fits each side in 512–2048; sides are multiples of 8."""
    aspect = min(MAX_ASPECT, max(1 / MAX_ASPECT, width / height))
    if family(model) == "t2i3":
        low, high = T2I3_SIDES
        scale = min(high / max(width, height), max(1.0, low / min(width, height)))
        return min(high, max(low, 8 * round(width * scale / 8))), min(high, max(low, 8 * round(height * scale / 8)))
    pixels = min(MAX_PIXELS, max(MIN_PIXELS, width * height))
    w = math.sqrt(pixels * aspect)
    size = [8 * math.ceil(w / 8), 8 * math.ceil(w / aspect / 8)]
    while size[0] * size[1] > MAX_PIXELS:
        size = [side - 8 for side in size]
    return size[0], size[1]


class SeedreamEngine(ArkEngine, RemoteImageEngine):
    """Seedream stills on Ark (ARK_API_KEY, ARK_API_BASE as for seedance). Options: `model` (default Seedream 4.0;
    `doubao-seedream-3-0-t2i-…` for seeded text-only stills, `doubao-seededit-3-0-i2i-…` to edit one image), `size`
    (a "WxH" or "2K"-style value instead of the request's size), `price_per_task`."""

    name = "seedream"
    version = "1"
    features = ("text", "references")  # the default model's; 3.0 text-to-image takes a seed and no references
    price_per_image = PRICE_PER_IMAGE

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The model that will draw (the default is not in the request's options, and may change)."""
        return {"model": str(request.options.get("model", DEFAULT_MODEL))}

    # --- request ------------------------------------------------------------------------------------------

    def body(self, request: RenderRequest) -> tuple[dict[str, Any], list[str]]:
        """The request body, and the parts of the request Seedream has no input for."""
        model = str(self.setting(request, "model", DEFAULT_MODEL))
        kind = family(model)
        width, height = output_size(model, request.width, request.height)
        body: dict[str, Any] = {"model": model, "prompt": request.prompt,
                                "size": str(self.setting(request, "size", f"{width}x{height}"))}
        ignored = [part for part, value in (("negative_prompt", request.negative_prompt),
                                            ("controls", request.controls)) if value]
        if kind == "4":
            images = [data_uri(path, IMAGE_LIMITS["4"]) for path in
                      reference_images(request, MAX_REFERENCES, location=True)]
            if images:
                body["image"] = images[0] if len(images) == 1 else images
            body.update(sequential_image_generation="disabled", stream=False)
        elif kind == "edit3":
            source = request.first_frame or next(iter(reference_images(request, 1, location=True)), None)
            if source is None:
                raise RemoteError(f"{model} edits an image: the request has no first frame nor reference image",
                                  provider=self.provider)
            body.update(image=data_uri(source, IMAGE_LIMITS["edit3"]), size="adaptive")
        elif request.characters and any(c.reference_images for c in request.characters):
            ignored.append("references")
        if kind != "4":
            body["seed"] = request.seed & SEED_MAX
        body.update(response_format="url", watermark=False)
        return body, ignored

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        """Make the image (Ark answers with it) and keep its URL in the task."""
        body, ignored = self.body(request)
        response = self.http().request("POST", "images/generations", json=body, timeout=GENERATION_TIMEOUT)
        if response.status_code != 200:
            raise self.failure(response)
        answer = self.answer(response)
        items = [item for item in answer.get("data") or [] if isinstance(item, dict)]
        url = next((item["url"] for item in items if isinstance(item.get("url"), str) and item["url"]), None)
        if url is None:
            raise self.missing_image(items)
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        size = next((str(item["size"]) for item in items if item.get("url") == url and item.get("size")), "")
        data: dict[str, str | int | float | bool | None] = {
            "model": body["model"], "url": url, "size": size, "ignored": ",".join(ignored),
            **{name: usage[name] for name in ("generated_images", "output_tokens") if isinstance(usage.get(name), int)},
        }
        return RemoteTask(provider=self.provider, task_id=f"img-{answer.get('created', int(time.time()))}-"
                          f"{uuid.uuid4().hex[:12]}", external_id=key or None, submitted=time.time(),
                          cost=self.estimate(request), data=data)

    def missing_image(self, items: list[dict[str, Any]]) -> RemoteError:
        """An answer without an image URL: an item's own error (a refused output) or a malformed answer."""
        error = next((item["error"] for item in items if isinstance(item.get("error"), dict)), {})
        code, message = error.get("code"), str(error.get("message") or "the answer holds no image URL")
        if sensitive(code):
            return ContentRefused(self.http().redact(f"refused by moderation: {message}"), provider=self.provider,
                                  code=code)
        return RemoteError(self.http().redact(message), provider=self.provider, code=code, retryable=True)

    def poll(self, task: RemoteTask) -> TaskStatus:
        """Made at submit: succeeded with its URL, unless the URL has outlived Ark's 24 hours (paid, lost)."""
        if time.time() - task.submitted > RESULT_LIFETIME:
            return TaskStatus(state="failed", billed=True, retryable=True,
                              reason=f"the image of {task.task_id} was made over 24 hours ago; Ark no longer keeps it")
        return TaskStatus(state="succeeded", result_urls=[str(task.data["url"])], progress=1.0,
                          data={"size": task.data.get("size")})
