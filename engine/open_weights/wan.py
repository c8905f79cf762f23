"""Wan 2.x (Alibaba) through diffusers: text-to-video, image-to-video, and VACE, one checkpoint that takes
a first frame, character reference images and a control video (depth or layout from the previz) at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PIL import Image

from engine.open_weights.base import Conditioning, DiffusersEngine, FamilyDefaults, Variant
from engine.open_weights.geometry import GenerationPlan

# The negative prompt Wan's own generate.py uses (its model card examples pass it too).
WAN_NEGATIVE = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，"
    "残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，"
    "三条腿，背景人很多，倒着走"
)
AREA_480P = 832 * 480


class WanEngine(DiffusersEngine):
    name = "wan"
    version = "1"
    family = "Wan"
    defaults = FamilyDefaults(
        model_id="Wan-AI/Wan2.1-VACE-1.3B-diffusers",
        steps=50,
        guidance=5.0,
        model_fps=16.0,
        max_area=AREA_480P,
        negative_prompt=WAN_NEGATIVE,
    )
    variants: ClassVar[dict[str, Variant]] = {
        "WanPipeline": Variant(),
        "WanImageToVideoPipeline": Variant(first_frame="required"),
        "WanVACEPipeline": Variant(first_frame="optional", references=True, control=True),
    }
    fp32_components = ("vae", "image_encoder")  # the Wan card: decode in float32 for quality

    def geometry(self, pipe: Any) -> tuple[int, int]:
        transformer = pipe.transformer or pipe.transformer_2
        return pipe.vae_scale_factor_spatial * transformer.config.patch_size[1], pipe.vae_scale_factor_temporal

    def default_flow_shift(self, plan: GenerationPlan) -> float:
        """The card: shift 3.0 at 480p, 5.0 at 720p."""
        return 3.0 if plan.width * plan.height <= AREA_480P else 5.0

    def call_kwargs(self, pipe: Any, cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
        pipe_class = type(pipe).__name__
        if pipe_class == "WanImageToVideoPipeline":
            return {"image": cond.first_frame}
        if pipe_class == "WanVACEPipeline":
            return vace_inputs(cond, plan)
        return {}


def vace_inputs(cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
    """VACE's video + mask: white mask = generate, black = keep. A first frame is kept as frame 0;
    a control video fills the frames to generate (VACE reads depth/layout there as structure);
    with neither, VACE runs as text-to-video. Reference images go in as they are."""
    kwargs: dict[str, Any] = {"reference_images": cond.references or None}
    if cond.first_frame is None and cond.control is None:
        return kwargs
    size = (plan.width, plan.height)
    video = list(cond.control) if cond.control else [Image.new("RGB", size, (128, 128, 128))] * plan.num_frames
    mask = [Image.new("L", size, 255)] * plan.num_frames
    if cond.first_frame is not None:
        video[0], mask[0] = cond.first_frame, Image.new("L", size, 0)
    kwargs |= {"video": video, "mask": mask, "conditioning_scale": cond.control_strength if cond.control else 1.0}
    return kwargs
