"""Keyframes and character-sheet views from local open weights through diffusers: SDXL (text to image), SDXL with a
ControlNet (the previz layout or depth as its control image), FLUX.1 (text to image) and FLUX.1 Kontext (an input
image steers the picture: the first character's reference, else the location image; this is how references keep a
face on a keyframe). The folder's model_index.json says which pipeline it is; finding the weights, devices, dtypes,
memory errors and options are the video engines' (base.py), so a still is configured like any open-weight draw.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.api import ImageEngine, RenderRequest, Still
from engine.open_weights.base import (CONTROL_PRIORITY, DiffusersEngine, FamilyDefaults, LoadedModel, OpenWeightsConfig,
                                      Variant, _first, _image, memory_errors)
from engine.open_weights.geometry import cover, model_size


@dataclass(frozen=True)
class StillPipeline:
    """How one checkpoint class is driven (defaults from its model card) and what it takes besides the prompt."""

    steps: int
    guidance: float
    packed: bool = False  # FLUX packs 2x2 latent patches: sizes go in steps of twice the VAE's
    least_multiple: int = 1  # the pipeline's own check on sizes, whatever the VAE (SDXL insists on multiples of 8)
    negative: bool = True  # takes a negative prompt (FLUX.1 is guidance-distilled: it has none)
    reference: bool = False  # an input image (Kontext)
    by_area: bool = False  # rescales any size to its `max_area` (Kontext: a megapixel unless told the still's)
    control: bool = False  # a control image (a ControlNet in the folder)


PIPELINES: dict[str, StillPipeline] = {
    "StableDiffusionXLPipeline": StillPipeline(steps=30, guidance=5.0, least_multiple=8),
    "StableDiffusionXLControlNetPipeline": StillPipeline(steps=30, guidance=5.0, least_multiple=8, control=True),
    "FluxPipeline": StillPipeline(steps=28, guidance=3.5, packed=True, negative=False),
    "FluxKontextPipeline": StillPipeline(steps=28, guidance=2.5, packed=True, negative=False, reference=True,
                                         by_area=True),
}
MAX_AREA = 1024 * 1024  # SDXL and FLUX.1 were trained around a megapixel


class ModelFolderError(ValueError):
    """A model folder that exists but cannot be loaded (a broken model_index.json, a missing or damaged part)."""


@dataclass
class StillInputs:
    """The request's images as the pipeline takes them, and what this checkpoint leaves out."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    reference: str = ""  # the file that steered the picture (Kontext)
    control: str = ""  # the control's kind
    ignored: list[str] = field(default_factory=list)


class DiffusersImageEngine(DiffusersEngine, ImageEngine):
    """Options as for every open-weight engine (docs/open-weights.md): `model_dir` (the pipeline folder), `steps`,
    `guidance`, `max_area` (default a megapixel; the still is drawn at the request's aspect within it and resized
    to the request's size), `negative_prompt`, `device`, `dtype`, memory options."""

    name = "diffusers-image"
    version = "1"
    family = "SDXL/FLUX"
    features = ("text", "references", "controls", "seed")
    requires = "an SDXL or FLUX.1 diffusers folder on disk (model_dir) and a GPU (docs/open-weights.md)"
    # model_fps is a video knob no still reads; steps and guidance come from the checkpoint's PIPELINES entry
    defaults = FamilyDefaults(model_id="stabilityai/stable-diffusion-xl-base-1.0", steps=30, guidance=5.0,
                              model_fps=1.0, max_area=MAX_AREA)
    variants: ClassVar[dict[str, Variant]] = {
        name: Variant(references=kind.reference, control=kind.control) for name, kind in PIPELINES.items()
    }

    def model(self, config: OpenWeightsConfig) -> LoadedModel:
        try:
            return super().model(config)
        except (json.JSONDecodeError, KeyError) as error:  # a model_index.json that names no pipeline
            where = config.model_dir or config.model_id or self.defaults.model_id
            raise ModelFolderError(f"the model_index.json of {where} names no diffusers pipeline ({error!r}); download "
                                   f"the pipeline folder again, model_index.json and every part beside it") from None

    def render(self, request: RenderRequest, out_dir: Path) -> Still:  # type: ignore[override]
        import torch

        config, unknown = self.request_config(request)
        model = self.model(config)
        kind = PIPELINES[model.checkpoint]
        pipe = _load(model)
        pipe.set_progress_bar_config(disable=not config.progress)
        multiple = max(kind.least_multiple, pipe.vae_scale_factor * (2 if kind.packed else 1))
        width, height = model_size(request.width, request.height, multiple=multiple,
                                   max_area=_first(config.max_area, self.defaults.max_area))
        inputs = still_inputs(request, kind, width, height, multiple)
        negative = request.negative_prompt or config.negative_prompt or ""
        if negative and not kind.negative:
            inputs.ignored.append("negative_prompt")
        steps, guidance = _first(config.steps, kind.steps), _first(config.guidance, kind.guidance)
        kwargs = {
            "prompt": request.prompt,
            "width": width,
            "height": height,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "generator": torch.Generator("cpu").manual_seed(request.seed),
            "output_type": "np",
            **({"negative_prompt": negative or None} if kind.negative else {}),
            **inputs.kwargs,
        }
        with memory_errors(config, model.dtype_name):
            pixels = np.asarray(pipe(**kwargs).images[0], dtype=np.float32)
        picture = cover(Image.fromarray((np.clip(pixels, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)),
                        request.width, request.height)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        image = out_dir / "still.png"
        picture.save(image)
        return Still(image=image, width=picture.width, height=picture.height, meta={
            "pipeline": model.checkpoint,
            "model": str(model.folder),
            "diffusers": importlib.import_module("diffusers").__version__,
            "dtype": model.dtype_name,
            "steps": steps,
            "guidance": guidance,
            "model_size": f"{width}x{height}",
            "reference": inputs.reference,
            "control": inputs.control,
            "ignored": ",".join(inputs.ignored + unknown),
        })


def _load(model: LoadedModel) -> Any:
    """The checkpoint's pipeline; a part that is missing or damaged is an error naming the folder."""
    try:
        return model.pipeline(model.checkpoint)
    except (OSError, ValueError) as error:
        raise ModelFolderError(f"{model.folder} holds a {model.checkpoint} that does not load ({error}); download "
                               f"the whole pipeline folder again, every part beside model_index.json") from None


def still_inputs(request: RenderRequest, kind: StillPipeline, width: int, height: int, multiple: int) -> StillInputs:
    """Kontext's input image (the first character's first reference, else the location image, at its own aspect
    within the still's pixels), the ControlNet's control image (depth before layout, see CONTROL_PRIORITY) at the
    still's size, and the names of what the checkpoint cannot take."""
    inputs = StillInputs(kwargs={"max_area": width * height} if kind.by_area else {})
    if request.first_frame is not None:
        inputs.ignored.append("first_frame")
    references = [c.reference_images[0] for c in request.characters if c.reference_images]
    if request.scene.location_image is not None:
        references.append(request.scene.location_image)
    if references and kind.reference:
        picture = _image(references[0])
        size = model_size(picture.width, picture.height, multiple=multiple, max_area=width * height)
        # the size is chosen here (the still's own pixel budget), not snapped to Kontext's preferred ~1 MP sizes
        inputs.kwargs |= {"image": picture.resize(size, Image.Resampling.LANCZOS), "_auto_resize": False}
        inputs.reference = references[0].name
        references = references[1:]
    if references:
        inputs.ignored.append("references")
    controls = sorted((c for c in request.controls if c.kind in CONTROL_PRIORITY),
                      key=lambda c: CONTROL_PRIORITY.index(c.kind))
    inputs.ignored += [f"control:{c.kind}" for c in request.controls if c.kind not in CONTROL_PRIORITY]
    if kind.control:
        if controls:
            chosen, controls = controls[0], controls[1:]
            inputs.kwargs |= {"image": cover(_control_image(chosen.path), width, height),
                              "controlnet_conditioning_scale": chosen.strength}
            inputs.control = chosen.kind
        else:  # nothing to follow: the ControlNet adds nothing, the UNet draws from the prompt alone
            inputs.kwargs |= {"image": Image.new("RGB", (width, height)), "controlnet_conditioning_scale": 0.0}
    inputs.ignored += [f"control:{c.kind}" for c in controls]
    return inputs


def _control_image(path: Path) -> Image.Image:
    try:
        return _image(path)
    except UnidentifiedImageError:
        raise ValueError(f"control {path} is not an image; an image engine takes the previz layout or depth as a "
                         f"still (PNG), not a video") from None
