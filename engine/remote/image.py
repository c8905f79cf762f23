"""Remote image engines (Kling's image generation, Seedream on Ark, fal's image models, ComfyUI image workflows):
the same submit → poll → fetch shape as the video engines, so drama's task queue, budget and ledger serve both;
what differs is priced per image and fetched as a still."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from engine.api import RenderRequest, Still
from engine.remote.engine import RemoteEngine
from engine.remote.errors import RemoteError
from engine.remote.task import Cost, RemoteTask

STILL_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}


class RemoteImageEngine(RemoteEngine):
    """A RemoteEngine whose task makes one image. Subclasses implement `submit` and `poll` as video engines do
    (a synchronous API answers in `submit` and keeps the result URL in the task's `data`); `price_per_image` is
    the documented default, `price_per_task` in drama.toml replaces it."""

    kind = "image"
    price_per_image: ClassVar[float] = 0.0
    result_file = "still.download"  # renamed to still.png / .jpg / .webp once its format is read

    def billed_seconds(self, request: RenderRequest) -> float:
        return 0.0

    def estimate(self, request: RenderRequest) -> Cost:
        """One image: `price_per_task` from the options when set, else the engine's `price_per_image`."""
        per_task = self.setting(request, "price_per_task", None)
        return Cost(units=1.0, amount=round(float(self.price_per_image if per_task is None else per_task), 6))

    def describe(self, path: Path, task: RemoteTask) -> Still:  # type: ignore[override]
        """The Still of a downloaded image file, renamed to still.<its format>; one that is not a readable image
        is a retryable RemoteError and is removed (`fetch` downloads it, as the video engines' results)."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                image.load()  # the whole image decodes, not only its header
                size, fmt = image.size, image.format
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            path.unlink(missing_ok=True)
            raise RemoteError(f"downloaded result is not a readable image: {error}", provider=self.provider,
                              retryable=True) from None
        target = path.with_name("still" + STILL_SUFFIXES.get(fmt or "", ".png"))
        path.replace(target)
        return Still(image=target, width=size[0], height=size[1],
                     meta={"provider": self.provider, "task_id": task.task_id})
