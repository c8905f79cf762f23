"""What every open-weight engine shares: options, loading a diffusers pipeline from local weights,
memory settings, turning a RenderRequest into pipeline inputs, and writing the clip back at the
request's size and fps. A model family only says which pipelines it runs and how its inputs map.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from engine.api import Clip, Engine, RenderRequest
from engine.open_weights.geometry import GenerationPlan, cover, fit_frames, plan_generation
from engine.open_weights.weights import pipeline_class_name, resolve_weights
from engine.video import read_frames, write_mp4

INSTALL_HINT = "install the open-weight engines with `pip install 'drama[diffusers]'`"

# Control videos by how much of the storyboard they carry: depth holds camera, framing and blocking.
CONTROL_PRIORITY = ("depth", "layout", "edges", "keypoints", "masks")


class OpenWeightsConfig(BaseModel):
    """Engine options (from drama.toml or the command line). Unset sampling knobs take the family's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: Path | None = None  # a diffusers pipeline folder; else model_id in the Hugging Face cache
    model_id: str | None = None
    cache_dir: Path | None = None
    allow_download: bool = False
    device: str | None = None  # default: cuda when available, else cpu
    dtype: Literal["bfloat16", "float16", "float32"] | None = None  # default: bfloat16 on GPU, float32 on CPU
    offload: Literal["none", "model", "sequential"] = "none"
    vae_tiling: bool = False
    vae_slicing: bool = False
    steps: int | None = Field(None, ge=1)
    guidance: float | None = Field(None, ge=0.0)
    flow_shift: float | None = Field(None, gt=0.0)
    model_fps: float | None = Field(None, gt=0.0)
    max_area: int | None = Field(None, ge=256)
    negative_prompt: str | None = None
    max_references: int = Field(3, ge=0)
    progress: bool = True


@dataclass(frozen=True)
class FamilyDefaults:
    """Per-model defaults, from the model cards."""

    model_id: str
    steps: int
    guidance: float
    model_fps: float
    max_area: int
    negative_prompt: str = ""


@dataclass(frozen=True)
class Variant:
    """What one checkpoint's pipeline can take besides the prompt."""

    first_frame: Literal["no", "optional", "required"] = "no"
    references: bool = False
    control: bool = False
    image_pipeline: str | None = None  # the pipeline that reuses these weights for image-to-video


@dataclass
class Conditioning:
    """The request's images, ready at the model's size: what the family hands to its pipeline."""

    first_frame: Image.Image | None = None
    references: list[Image.Image] = field(default_factory=list)
    control: list[Image.Image] | None = None
    control_kind: str | None = None
    control_strength: float = 1.0
    ignored: list[str] = field(default_factory=list)


class OutOfMemoryError(RuntimeError):
    """The model did not fit; the message names the option to try next."""


# Options that decide what is loaded and where; changing one means another loaded pipeline.
LOAD_OPTIONS = ("model_dir", "model_id", "cache_dir", "allow_download", "device", "dtype", "offload", "vae_tiling",
                "vae_slicing")


class DiffusersEngine(Engine):
    """An engine backed by one diffusers pipeline family. Subclasses set `family`, `defaults`, `variants`.

    Options come from the constructor and, per request, from `request.options` (drama's
    `[render] engine_options`), so they are part of every render's cache key.
    """

    features = ("text", "first_frame", "controls", "seed")
    requires = "the model's weights on disk and a GPU (docs/open-weights.md)"
    resources = {"GPU": 1.0}
    family: ClassVar[str]
    defaults: ClassVar[FamilyDefaults]
    variants: ClassVar[dict[str, Variant]]
    fp32_components: ClassVar[tuple[str, ...]] = ()  # kept in float32 whatever `dtype` says (e.g. a VAE)

    def __init__(self, **options: Any):
        self.options = options
        self.config = OpenWeightsConfig(**options)
        self._models: dict[tuple, LoadedModel] = {}
        if self.config.model_dir is not None or self.config.model_id is not None:
            self.model(self.config)  # a missing or wrong model fails here, before any render

    # -- what a family fills in -------------------------------------------------------------------

    def geometry(self, pipe: Any) -> tuple[int, int]:
        """(size multiple in pixels, frame step) the loaded pipeline accepts."""
        raise NotImplementedError

    def call_kwargs(self, pipe: Any, cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
        """Pipeline arguments for the conditioning inputs and any family-specific settings."""
        raise NotImplementedError

    def default_flow_shift(self, plan: GenerationPlan) -> float | None:
        """The model card's flow shift for this size, or None to keep the checkpoint's scheduler."""
        return None

    # -- rendering --------------------------------------------------------------------------------

    def model(self, config: OpenWeightsConfig) -> LoadedModel:
        key = tuple(getattr(config, name) for name in LOAD_OPTIONS)
        if key not in self._models:
            self._models[key] = LoadedModel(self, config)
        return self._models[key]

    def pipeline(self, pipe_class: str) -> Any:
        """The pipeline of that class for the constructor's options (loaded on first use)."""
        return self.model(self.config).pipeline(pipe_class)

    def request_config(self, request: RenderRequest) -> tuple[OpenWeightsConfig, list[str]]:
        """The constructor's options overlaid with the request's; request keys this engine does not know
        (another engine's options) are returned so the clip can name them."""
        fields = OpenWeightsConfig.model_fields
        known = {k: v for k, v in request.options.items() if k in fields}
        config = OpenWeightsConfig(**(self.options | known)) if known else self.config
        return config, sorted(f"option:{k}" for k in request.options if k not in fields)

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        import torch

        config, unknown = self.request_config(request)
        model = self.model(config)
        variant = self.variants[model.checkpoint]
        pipe_class = model.checkpoint
        if request.first_frame is not None and variant.image_pipeline:
            pipe_class, variant = variant.image_pipeline, self.variants[variant.image_pipeline]
        pipe = model.pipeline(pipe_class)
        pipe.set_progress_bar_config(disable=not config.progress)
        multiple, frame_step = self.geometry(pipe)
        plan = plan_generation(
            request.width,
            request.height,
            request.num_frames,
            request.fps,
            multiple=multiple,
            frame_step=frame_step,
            max_area=_first(config.max_area, self.defaults.max_area),
            model_fps=_first(config.model_fps, self.defaults.model_fps),
        )
        cond = gather_conditioning(request, variant, plan, max_references=config.max_references)
        steps = _first(config.steps, self.defaults.steps)
        guidance = _first(config.guidance, self.defaults.guidance)
        shift = _first(config.flow_shift, self.default_flow_shift(plan))
        if shift is not None:
            set_flow_shift(pipe, shift)
        negative = request.negative_prompt or _first(config.negative_prompt, self.defaults.negative_prompt)
        kwargs = {
            "prompt": request.prompt,
            "negative_prompt": negative or None,
            "width": plan.width,
            "height": plan.height,
            "num_frames": plan.num_frames,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "generator": torch.Generator("cpu").manual_seed(request.seed),
            "output_type": "np",
            **self.call_kwargs(pipe, cond, plan),
        }
        if "num_frames" not in inspect.signature(type(pipe).__call__).parameters:
            del kwargs["num_frames"]  # control pipelines take the count from the control video
        with memory_errors(config, model.dtype_name):
            frames = np.asarray(pipe(**kwargs).frames[0], dtype=np.float32)
        return write_clip(frames, plan, out_dir, meta={
            "pipeline": pipe_class,
            "model": str(model.folder),
            "diffusers": importlib.import_module("diffusers").__version__,
            "dtype": model.dtype_name,
            "steps": steps,
            "guidance": guidance,
            "flow_shift": shift if shift is not None else "checkpoint",
            "model_size": f"{plan.width}x{plan.height}",
            "model_frames": plan.num_frames,
            "model_fps": plan.fps,
            "first_frame": cond.first_frame is not None,
            "references": len(cond.references),
            "control": cond.control_kind or "",
            "ignored": ",".join(cond.ignored + unknown),
        })


class LoadedModel:
    """One checkpoint on one device: where its weights are, which pipeline it was saved as, and the
    pipelines built on it (image-to-video can reuse text-to-video weights without loading them twice)."""

    def __init__(self, engine: DiffusersEngine, config: OpenWeightsConfig):
        self.engine, self.config = engine, config
        if config.device:
            self.device = config.device
        else:
            import torch

            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.dtype_name = config.dtype or ("float32" if self.device == "cpu" else "bfloat16")
        if config.offload != "none" and self.device == "cpu":
            raise ValueError(f"offload={config.offload!r} needs a GPU; on CPU leave offload unset")
        self.folder = resolve_weights(
            family=engine.family,
            model_dir=config.model_dir,
            model_id=config.model_id or engine.defaults.model_id,
            cache_dir=config.cache_dir,
            allow_download=config.allow_download,
        )
        self.checkpoint = pipeline_class_name(self.folder)
        if self.checkpoint not in engine.variants:
            raise ValueError(
                f"{self.folder} holds a {self.checkpoint}; the {engine.name} engine runs {', '.join(engine.variants)}"
            )
        self._pipes: dict[str, Any] = {}

    def pipeline(self, pipe_class: str) -> Any:
        """The pipeline of that class, sharing weights with any already loaded."""
        if pipe_class in self._pipes:
            return self._pipes[pipe_class]
        cls = getattr(_diffusers(), pipe_class)
        if self._pipes:
            pipe = cls.from_pipe(next(iter(self._pipes.values())))
        else:
            import torch

            default = getattr(torch, self.dtype_name)
            dtype = {"default": default, **{name: torch.float32 for name in self.engine.fp32_components}}
            with memory_errors(self.config, self.dtype_name):
                pipe = cls.from_pretrained(self.folder, dtype=dtype, local_files_only=True)
                self._place(pipe)
        self._pipes[pipe_class] = pipe
        return pipe

    def _place(self, pipe: Any) -> None:
        if self.config.offload == "model":
            pipe.enable_model_cpu_offload(device=self.device)
        elif self.config.offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=self.device)
        else:
            pipe.to(self.device)
        if self.config.vae_tiling:
            pipe.vae.enable_tiling()
        if self.config.vae_slicing:
            pipe.vae.enable_slicing()


def write_clip(frames: np.ndarray, plan: GenerationPlan, out_dir: Path, meta: dict[str, Any]) -> Clip:
    """The request's frames as video.mp4 and poster.png in `out_dir`, described as a Clip."""
    fitted = fit_frames(frames, plan)
    video, poster = out_dir / "video.mp4", out_dir / "poster.png"
    write_mp4(fitted, video, width=plan.out_width, height=plan.out_height, fps=plan.out_fps)
    Image.fromarray(fitted[0]).save(poster)
    return Clip(
        video=video,
        poster=poster,
        width=plan.out_width,
        height=plan.out_height,
        fps=plan.out_fps,
        num_frames=len(fitted),
        meta=meta,
    )


def gather_conditioning(
    request: RenderRequest, variant: Variant, plan: GenerationPlan, *, max_references: int
) -> Conditioning:
    """Load the request's first frame, character/location references and control video, at the model's
    size and frame count, keeping only what this checkpoint can use and naming what it cannot."""
    cond = Conditioning()
    if request.first_frame is not None:
        if variant.first_frame == "no":
            cond.ignored.append("first_frame")
        else:
            cond.first_frame = cover(_image(request.first_frame), plan.width, plan.height)
    elif variant.first_frame == "required":
        raise ValueError(
            "this checkpoint is image-to-video and the request has no first frame; "
            "use a text-to-video (or Wan VACE) checkpoint for the first shot of a scene"
        )
    paths = [c.reference_images[0] for c in request.characters if c.reference_images]
    if request.scene.location_image is not None:
        paths.append(request.scene.location_image)
    if paths and not variant.references:
        cond.ignored.append("references")
    elif paths:
        cond.references = [_image(path) for path in paths[:max_references]]
    videos = sorted(
        (c for c in request.controls if c.kind in CONTROL_PRIORITY), key=lambda c: CONTROL_PRIORITY.index(c.kind)
    )
    cond.ignored += [f"control:{c.kind}" for c in request.controls if c.kind not in CONTROL_PRIORITY]
    if videos and variant.control:
        chosen, videos = videos[0], videos[1:]
        cond.control = control_frames(chosen.path, plan)
        cond.control_kind, cond.control_strength = chosen.kind, chosen.strength
    cond.ignored += [f"control:{c.kind}" for c in videos]
    return cond


def control_frames(path: Path, plan: GenerationPlan) -> list[Image.Image]:
    """A control video spread over the generated frames (same shot, so the same duration) at the model's size."""
    if not path.is_file():
        raise FileNotFoundError(f"control video {path} does not exist")
    source = list(read_frames(path))
    if not source:
        raise ValueError(f"control video {path} has no frames")
    last = plan.num_frames - 1
    picks = [round(i * (len(source) - 1) / last) if last else 0 for i in range(plan.num_frames)]
    return [cover(Image.fromarray(source[i]), plan.width, plan.height) for i in picks]


def set_flow_shift(pipe: Any, shift: float) -> None:
    """Rebuild the pipeline's flow-matching scheduler with another shift (the key differs by scheduler)."""
    config = pipe.scheduler.config
    key = "flow_shift" if "flow_shift" in config else "shift" if "shift" in config else None
    if key is None or config.get("use_dynamic_shifting"):
        how = "shifts by resolution itself" if key else "has no flow shift"
        raise ValueError(f"{type(pipe.scheduler).__name__} {how}; leave flow_shift unset for this model")
    if config[key] != shift:
        pipe.scheduler = type(pipe.scheduler).from_config(config, **{key: shift})


def memory_hint(config: OpenWeightsConfig, dtype: str) -> str:
    """The next memory options to try, cheapest in speed first."""
    steps = []
    if config.offload == "none":
        steps.append('offload = "model"')
    if not config.vae_tiling:
        steps.append("vae_tiling = true")
    if dtype == "float32":
        steps.append('dtype = "bfloat16"')
    if config.offload != "sequential":
        steps.append('offload = "sequential"')
    steps.append("a smaller max_area (fewer pixels per frame) or a shorter shot")
    return "try " + ", then ".join(steps[:3])


@contextlib.contextmanager
def memory_errors(config: OpenWeightsConfig, dtype: str) -> Iterator[None]:
    """Turn an out-of-memory failure into an error that names the option to try next."""
    import torch

    try:
        yield
    except (torch.cuda.OutOfMemoryError, MemoryError) as error:
        raise OutOfMemoryError(f"the model ran out of memory ({error}); {memory_hint(config, dtype)}") from error


def _first(*values: Any) -> Any:
    """The first value that is set (0 and "" count as set)."""
    return next((value for value in values if value is not None), None)


def _diffusers() -> Any:
    try:
        return importlib.import_module("diffusers")
    except ImportError as error:
        raise ImportError(f"the open-weight engines need diffusers: {INSTALL_HINT}") from error


def _image(path: Path) -> Image.Image:
    if not path.is_file():
        raise FileNotFoundError(f"image {path} does not exist")
    with Image.open(path) as image:
        return image.convert("RGB")
