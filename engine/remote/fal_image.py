"""The `fal-image` engine: image models on fal (Seedream 4, FLUX Kontext, Nano Banana, FLUX dev) for stills, behind
the same queue protocol as fal's video models (FalQueueEngine), with the models as rows of fal_image_models.toml.

The input is the row's: the prompt, the characters' reference images (every character's first before anyone's
second, then the location's where the row takes places) as data URIs in the row's field, the seed, and the size as
the row writes it. The result is `{"images": [{"url", "width", "height", "content_type"}], "seed"}`; the first
image is the still.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from engine.api import RenderRequest
from engine.remote.errors import RemoteError
from engine.remote.fal import AspectRatio, FalQueueEngine, model_table, named_row
from engine.remote.image import RemoteImageEngine
from engine.remote.media import data_uri, reference_images
from engine.remote.task import Cost, RemoteTask

MODELS_FILE = Path(__file__).with_name("fal_image_models.toml")


class ImageSize(BaseModel):
    """How a model takes the output size: an object {width, height} within [min, max] a side in multiples of
    `multiple`, or one of a list of aspect ratios."""

    model_config = ConfigDict(frozen=True)

    field: str
    format: Literal["object", "aspect_ratio"]
    min: int = 1
    max: int = 1_000_000
    multiple: int = 1
    values: tuple[str, ...] = ()

    def value(self, width: int, height: int) -> dict[str, int] | str:
        if self.format == "aspect_ratio":
            return AspectRatio(field=self.field, values=self.values).closest(width, height)
        scale = max(1.0, self.min / min(width, height))
        scale = min(scale, self.max / max(width, height))
        m = self.multiple
        return {"width": min(self.max, max(self.min, m * round(width * scale / m))),
                "height": min(self.max, max(self.min, m * round(height * scale / m)))}


class FalImageModel(BaseModel):
    """One row of fal_image_models.toml: an endpoint and where each part of a request goes (None: no such input)."""

    model_config = ConfigDict(frozen=True)

    name: str
    endpoint: str
    prompt: str = "prompt"
    negative: str | None = None
    references: str | None = None
    references_list: bool = True
    references_max: int = 4
    location_reference: bool = False
    requires: tuple[Literal["references"], ...] = ()
    seed: str | None = None
    size: ImageSize | None = None
    fixed: dict[str, str | int | float | bool] = {}
    price_per_image: float = 0.0
    text: dict[str, Any] | None = None  # overrides for requests without reference images (text-to-image)

    def variant(self, has_references: bool) -> FalImageModel:
        """The row as used for a request: the text-to-image endpoint when there is no reference image."""
        if has_references or self.text is None:
            return self
        return FalImageModel.model_validate({**self.model_dump(exclude={"text"}), "references": None, "requires": (),
                                             **self.text})

    def arguments(self, request: RenderRequest) -> tuple[dict[str, Any], list[str]]:
        """The model's input JSON for `request` and the request parts it cannot take."""
        body: dict[str, Any] = {**self.fixed, self.prompt: request.prompt}
        ignored = [part for part, value in (("negative_prompt", request.negative_prompt and not self.negative),
                                            ("first_frame", request.first_frame), ("controls", request.controls))
                   if value]
        if self.negative and request.negative_prompt:
            body[self.negative] = request.negative_prompt
        limit = self.references_max if self.references_list else 1
        images = reference_images(request, limit, location=self.location_reference)
        if "references" in self.requires and not images:
            raise RemoteError(f"fal model {self.name} needs reference images ({self.endpoint})", provider="fal")
        if images and self.references is None:
            ignored.append("references")
        elif images and self.references is not None:
            uris = [data_uri(path) for path in images]
            body[self.references] = uris if self.references_list else uris[0]
        if self.seed:
            body[self.seed] = request.seed
        if self.size is not None:
            body[self.size.field] = self.size.value(request.width, request.height)
        return body, ignored


def load_models(path: Path = MODELS_FILE) -> tuple[str, dict[str, FalImageModel]]:
    """The table's default model name and its rows by name."""
    return model_table(path, FalImageModel)


def model_for(request: RenderRequest, options: dict[str, Any]) -> FalImageModel:
    """The row named by the `model` option, in its variant for the request (with references or without)."""
    row = named_row(MODELS_FILE, FalImageModel, request, options, "fal image model")
    return row.variant(bool(reference_images(request, 1, location=True)))


class FalImageEngine(FalQueueEngine, RemoteImageEngine):
    """Image models on fal.ai (FAL_KEY). Option `model` names a row of fal_image_models.toml (default: the table's
    `default`, Seedream 4); `price_per_task` overrides the row's list price."""

    name: ClassVar[str] = "fal-image"
    version: ClassVar[str] = "1"
    makes: ClassVar[str] = "image"
    features: ClassVar[tuple[str, ...]] = ("text", "references", "seed")  # the default row's (Seedream 4)

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The endpoint the request goes to (a changed table row draws elsewhere)."""
        return {"endpoint": model_for(request, {}).endpoint}

    def model(self, request: RenderRequest) -> FalImageModel:
        return model_for(request, self.options)

    def estimate(self, request: RenderRequest) -> Cost:
        """One image at the row's list price, unless the project sets `price_per_task`."""
        per_task = self.setting(request, "price_per_task", None)
        price = self.model(request).price_per_image if per_task is None else float(per_task)
        return Cost(units=1.0, amount=round(price, 6))

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        model = self.model(request)
        body, ignored = model.arguments(request)
        return self.enqueue(model.endpoint, body, key, self.estimate(request),
                            {"model": model.name, "ignored": ",".join(ignored)})

    def outputs(self, answer: dict[str, Any]) -> list[str]:
        return [str(image["url"]) for image in answer.get("images") or [] if isinstance(image, dict) and image.get("url")]
