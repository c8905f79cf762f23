"""Kling's image generation as a drama image engine (`kling-image`): keyframes and character sheets drawn with the
characters' reference portraits as subject references, on Kling's task API (same keys, JWT, envelope and errors as
the video engine: engine.remote.kling.KlingApi).

Which endpoint a draw uses (under `/v1/images/`):

- exactly one character with reference images → `generations` with `image` (the character's first reference,
  raw base64) and `image_reference` "subject" (`human_fidelity` and `image_fidelity` sent when set as options).
  Kling documents `image_reference` for kling-v1-5 only, so this path uses option `reference_model` (default
  kling-v1-5).
- two or more → `multi-image2image` with `subject_image_list` (the first reference of each character, at most 4)
  and, when the scene has a location image, `scene_image`; option `multi_image_model` (kling-v2 | kling-v2-1,
  default kling-v2-1).
- none → `generations` text only; option `model` (kling-v1 | kling-v1-5 | kling-v2 | kling-v2-new | kling-v2-1,
  default kling-v2-1).

Every body carries `n` = 1, `aspect_ratio` (the one of Kling's eight nearest to the request's width:height),
`external_task_id` = the job key (both endpoints take it, so a task whose record was lost is found again) and
`resolution` on `generations` (option, "1k" | "2k", default 1k; multi-image2image has no such field). A negative
prompt goes only where Kling takes it: text-only generations (Kling refuses it with a reference image). Images are
conformed to Kling's input limits (png/jpg, ≥300 px a side, aspect 1:2.5–2.5:1, ≤10 MB) like the video engine's.

The result is `data.task_result.images[{index, url}]`; the first image is fetched as the still.

Price per image, in USD (option `price_per_task` replaces it), from a reseller's copy of Kling's image price list
(302.ai, 2025; not Kling's own page, which needs a login): kling-v1 0.005 text or image; kling-v1-5, kling-v2 and
kling-v2-1 0.02 text-to-image and 0.04 with reference images (multi-image2image counted as image-to-image);
kling-v2-new 0.04 (restyle only). A model not in the table is estimated at 0.1 so budgets err on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.api import RenderRequest
from engine.remote.image import RemoteImageEngine
from engine.remote.kling import IMAGE_LIMITS, PROMPT_LIMIT, KlingApi, aspect_ratio
from engine.remote.media import raw_base64
from engine.remote.task import Cost, RemoteTask

IMAGES = "/v1/images"
ENDPOINTS = ("generations", "multi-image2image")
IMAGE_ASPECT_RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4, "3:2": 3 / 2,
                       "2:3": 2 / 3, "21:9": 21 / 9}
RESOLUTIONS = ("1k", "2k")
MAX_SUBJECTS = 4
DEFAULTS = {"text": "kling-v2-1", "subject": "kling-v1-5", "multi": "kling-v2-1"}
MODEL_OPTIONS = {"text": "model", "subject": "reference_model", "multi": "multi_image_model"}

# USD per image: (text only, with reference images); see the module docstring for the source.
PRICES: dict[str, tuple[float, float]] = {
    "kling-v1": (0.005, 0.005),
    "kling-v1-5": (0.02, 0.04),
    "kling-v2": (0.02, 0.04),
    "kling-v2-1": (0.02, 0.04),
    "kling-v2-new": (0.04, 0.04),
}
UNKNOWN_MODEL_PRICE = 0.1


@dataclass(frozen=True)
class ImagePlan:
    """How one request goes to Kling's image API: which path (text, one subject, several), endpoint and model."""

    path: str  # text | subject | multi
    endpoint: str
    model: str


def subjects(request: RenderRequest) -> list[Path]:
    """The first reference image of each character that has one, in cast order."""
    return [character.reference_images[0] for character in request.characters if character.reference_images]


class KlingImageEngine(KlingApi, RemoteImageEngine):
    """Kling's image generation (`KLING_ACCESS_KEY`, `KLING_SECRET_KEY`; host from `KLING_API_BASE`)."""

    name: ClassVar[str] = "kling-image"
    version: ClassVar[str] = "1"
    root: ClassVar[str] = IMAGES
    endpoints: ClassVar[tuple[str, ...]] = ENDPOINTS
    features: ClassVar[tuple[str, ...]] = ("text", "references")

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The model the request draws with, defaults resolved (a new default changes the pixels)."""
        return {"model": cls.plan(request, request.options).model}

    @classmethod
    def plan(cls, request: RenderRequest, options: dict[str, Any]) -> ImagePlan:
        count = len(subjects(request))
        path = "text" if count == 0 else "subject" if count == 1 else "multi"
        model = str(options.get(MODEL_OPTIONS[path], DEFAULTS[path]))
        return ImagePlan(path, "multi-image2image" if path == "multi" else "generations", model)

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        settings = self.settings(request)
        plan = self.plan(request, settings)
        return self.create(plan.endpoint, image_body(request, plan, settings), key, self.estimate(request),
                           {"endpoint": plan.endpoint, "model": plan.model})

    def estimate(self, request: RenderRequest) -> Cost:
        """One image at the model's price (text-only or with references), or `price_per_task` when set."""
        per_task = self.setting(request, "price_per_task", None)
        if per_task is not None:
            return Cost(units=1.0, amount=round(float(per_task), 6))
        plan = self.plan(request, self.settings(request))
        text, referenced = PRICES.get(plan.model, (UNKNOWN_MODEL_PRICE, UNKNOWN_MODEL_PRICE))
        return Cost(units=1.0, amount=text if plan.path == "text" else referenced)


def image_body(request: RenderRequest, plan: ImagePlan, settings: dict[str, Any]) -> dict[str, Any]:
    """The create body for `plan.endpoint`, field by field as Kling documents it."""
    body: dict[str, Any] = {"model_name": plan.model, "prompt": request.prompt[:PROMPT_LIMIT], "n": 1,
                            "aspect_ratio": aspect_ratio(request.width, request.height, IMAGE_ASPECT_RATIOS)}
    if plan.endpoint == "generations":
        resolution = str(settings.get("resolution", "1k"))
        if resolution not in RESOLUTIONS:
            raise ValueError(f"kling-image option resolution must be 1k or 2k, not {resolution!r}")
        body["resolution"] = resolution
    if plan.path == "text" and request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt[:PROMPT_LIMIT]
    if plan.path == "subject":
        body["image"] = raw_base64(subjects(request)[0], IMAGE_LIMITS)
        body["image_reference"] = "subject"
        for name in ("image_fidelity", "human_fidelity"):
            if name in settings:
                body[name] = float(settings[name])
    if plan.path == "multi":
        body["subject_image_list"] = [{"subject_image": raw_base64(path, IMAGE_LIMITS)}
                                      for path in subjects(request)[:MAX_SUBJECTS]]
        if request.scene.location_image is not None:
            body["scene_image"] = raw_base64(request.scene.location_image, IMAGE_LIMITS)
    return body
