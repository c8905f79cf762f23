"""A Kling-style video model: causal 3D VAE, spatiotemporal DiT with 3D RoPE, rectified flow.

Layout (diffusers-like): `config` (configs as data, named ones in configs/), `models/` (VAE, DiT,
text encoders), `flow` (rectified flow and samplers), `pipeline` (sampling, image-to-video,
extension, controls), `training`, `checkpoint`, `engine` (the `dit` engine behind engine.api).
"""

from engine.dit.config import ModelConfig, available_configs, load_config

__all__ = ["ModelConfig", "available_configs", "load_config"]
