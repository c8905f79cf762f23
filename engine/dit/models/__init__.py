"""The networks: causal 3D VAE, spatiotemporal DiT, text encoders."""

from engine.dit.models.text import ByteTextEncoder, PretrainedTextEncoder, build_text_encoder
from engine.dit.models.transformer import DiT
from engine.dit.models.vae import CausalVAE

__all__ = ["ByteTextEncoder", "CausalVAE", "DiT", "PretrainedTextEncoder", "build_text_encoder"]
