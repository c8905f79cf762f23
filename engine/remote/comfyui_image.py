"""The `comfyui-image` engine: an image workflow on a ComfyUI server, one still per draw. The protocol is the
comfyui engine's (patch the API-format graph from its `.inputs.toml`, upload images, queue under a prompt_id derived
from the job key, read /history, download through /view); what differs is the shipped workflows (`sdxl_image`, and
`sdxl_layout_image`, which follows the previz layout through a Canny ControlNet) and that the result is the first
saved image (SaveImage's `images`, not an animated one)."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.remote.comfyui import VIDEO_SUFFIXES, ComfyUIEngine
from engine.remote.image import RemoteImageEngine

SHIPPED_IMAGE = ("sdxl_image", "sdxl_layout_image")  # templates/comfyui/<name>.json, each with its .inputs.toml


def image_output(outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The first saved image among a history entry's outputs: SaveImage lists it under `images` with type "output"
    (PreviewImage's are "temp"); animated outputs and video files are not stills."""
    for output in outputs.values():
        if any(output.get("animated") or ()):
            continue
        for item in output.get("images", []):
            name = str(item.get("filename", "")).lower()
            if item.get("type", "output") == "output" and name and not name.endswith(VIDEO_SUFFIXES):
                return item
    return None


class ComfyUIImageEngine(ComfyUIEngine, RemoteImageEngine):
    """Stills from a ComfyUI server (COMFYUI_URL). Option `workflow`: `sdxl_image` (the default), `sdxl_layout_image`
    (needs the `layout` control) or the path of an API-format image workflow with its `.inputs.toml` beside it.
    Priced 0 per image unless price_per_task is set."""

    name: ClassVar[str] = "comfyui-image"
    version: ClassVar[str] = "1"
    features: ClassVar[tuple[str, ...]] = ("text", "seed")  # the default workflow's declared slots
    shipped: ClassVar[tuple[str, ...]] = SHIPPED_IMAGE
    default_workflow: ClassVar[str] = "sdxl_image"
    makes: ClassVar[str] = "an image output (SaveImage)"

    def output(self, outputs: dict[str, Any]) -> dict[str, Any] | None:
        return image_output(outputs)
