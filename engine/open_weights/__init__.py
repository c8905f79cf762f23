"""Open-weight video models (Wan, LTX-Video, CogVideoX, HunyuanVideo) through diffusers, one module per
family behind the engine interface. Needs the `diffusers` extra; nothing here downloads weights unless
asked to."""
