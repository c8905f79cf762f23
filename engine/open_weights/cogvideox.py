"""CogVideoX (Zhipu AI / THUDM) through diffusers: text-to-video, image-to-video checkpoints, and the
CogVideoX-Fun control checkpoints that follow a control video (depth, edges, pose) from the previz."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.open_weights.base import Conditioning, DiffusersEngine, FamilyDefaults, Variant
from engine.open_weights.geometry import GenerationPlan


class CogVideoXEngine(DiffusersEngine):
    name = "cogvideox"
    version = "1"
    family = "CogVideoX"
    defaults = FamilyDefaults(
        model_id="THUDM/CogVideoX-5b",
        steps=50,
        guidance=6.0,
        model_fps=8.0,  # CogVideoX 1.0; set model_fps = 16 for CogVideoX 1.5
        max_area=720 * 480,
    )
    variants: ClassVar[dict[str, Variant]] = {
        "CogVideoXPipeline": Variant(),
        "CogVideoXImageToVideoPipeline": Variant(first_frame="required"),
        "CogVideoXFunControlPipeline": Variant(control=True),
    }

    def geometry(self, pipe: Any) -> tuple[int, int]:
        return pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size, pipe.vae_scale_factor_temporal

    def call_kwargs(self, pipe: Any, cond: Conditioning, plan: GenerationPlan) -> dict[str, Any]:
        pipe_class = type(pipe).__name__
        kwargs: dict[str, Any] = {
            "use_dynamic_cfg": True,  # the card's sampling setting
            "max_sequence_length": pipe.transformer.config.max_text_seq_length,
        }
        if pipe_class == "CogVideoXImageToVideoPipeline":
            kwargs["image"] = cond.first_frame
        elif pipe_class == "CogVideoXFunControlPipeline":
            if cond.control is None:
                raise ValueError(
                    "a CogVideoX-Fun control checkpoint needs a control video (depth, edges, keypoints) "
                    "and the request has none; render the shot's previz controls or use a text-to-video checkpoint"
                )
            kwargs["control_video"] = cond.control  # its length sets the frame count
        return kwargs
