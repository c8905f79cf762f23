"""HunyuanVideo (Tencent) through diffusers: text-to-video, and the HunyuanVideo-I2V checkpoints that
start from a first frame. Both are guidance-distilled: `guidance` is the embedded guidance the
transformer is conditioned on (the card's 6.0), not classifier-free guidance.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.open_weights.base import Conditioning, DiffusersEngine, FamilyDefaults, Variant
from engine.open_weights.geometry import GenerationPlan


class HunyuanVideoEngine(DiffusersEngine):
    name = "hunyuan"
    version = "1"
    family = "HunyuanVideo"
    defaults = FamilyDefaults(
        model_id="hunyuanvideo-community/HunyuanVideo",
        steps=50,
        guidance=6.0,
        model_fps=24.0,
        max_area=960 * 544,  # the card's 540p (45 GB); set max_area = 921600 for 720p (60 GB)
    )
    variants: ClassVar[dict[str, Variant]] = {
        "HunyuanVideoPipeline": Variant(),
        "HunyuanVideoImageToVideoPipeline": Variant(first_frame="required"),
    }

    def geometry(self, pipe: Any) -> tuple[int, int]:
        config = pipe.transformer.config
        return pipe.vae_scale_factor_spatial * config.patch_size, pipe.vae_scale_factor_temporal * config.patch_size_t

    def default_flow_shift(self, plan: GenerationPlan) -> float:
        """The card's sampling shift (7.0 at 540p and 720p)."""
        return 7.0

    def call_kwargs(self, pipe: Any, cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
        if type(pipe).__name__ == "HunyuanVideoImageToVideoPipeline":
            return {"image": cond.first_frame}
        return {}
