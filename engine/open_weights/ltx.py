"""LTX-Video (Lightricks) through diffusers: fast text-to-video, and image-to-video from the same weights."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.open_weights.base import Conditioning, DiffusersEngine, FamilyDefaults, Variant
from engine.open_weights.geometry import GenerationPlan


class LTXEngine(DiffusersEngine):
    name = "ltx"
    version = "1"
    family = "LTX-Video"
    defaults = FamilyDefaults(
        model_id="Lightricks/LTX-Video",
        steps=50,
        guidance=3.0,
        model_fps=24.0,
        max_area=768 * 512,
        negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
    )
    variants: ClassVar[dict[str, Variant]] = {
        "LTXPipeline": Variant(first_frame="optional", image_pipeline="LTXImageToVideoPipeline"),
        "LTXImageToVideoPipeline": Variant(first_frame="required"),
    }
    # The 0.9.1 card: decode with a little noise at timestep 0.05 (used only by VAEs with timestep conditioning).
    decode_timestep: ClassVar[float] = 0.05
    decode_noise_scale: ClassVar[float] = 0.025

    def geometry(self, pipe: Any) -> tuple[int, int]:
        spatial = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
        temporal = pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size
        return max(32, spatial), temporal  # the pipeline insists on multiples of 32

    def call_kwargs(self, pipe: Any, cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "frame_rate": plan.fps,
            "decode_timestep": self.decode_timestep,
            "decode_noise_scale": self.decode_noise_scale,
        }
        if type(pipe).__name__ == "LTXImageToVideoPipeline":
            kwargs["image"] = cond.first_frame
        return kwargs
