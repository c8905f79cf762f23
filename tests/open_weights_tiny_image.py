"""Tiny random-weight diffusers image pipelines (SDXL, SDXL + ControlNet, FLUX.1, FLUX.1 Kontext) for the
diffusers-image engine tests, built from configs offline and saved as full pipeline folders, so the engine loads
them through its real `from_pretrained(local_dir)` path. The text side reuses the video tests' word-level tokenizer
and tiny T5 (open_weights_tiny.py). No hub ids."""

from __future__ import annotations

from pathlib import Path

import open_weights_tiny as tiny

TEXT_DIM = 32  # both CLIP encoders' width: SDXL's cross-attention sees them side by side (64)
TIME_DIM = 8  # SDXL's added time embedding: 6 size/crop numbers of TIME_DIM each, plus the pooled text


def clip_tokenizer():
    """The word-level tokenizer with an end-of-text token after the prompt, where CLIP pools the sentence."""
    from tokenizers import processors

    tokenizer = tiny.tokenizer()
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>",
                                                                              special_tokens=[("</s>", 1)])
    return tokenizer


def clip(projection: bool):
    """A 2-layer CLIP text encoder (SDXL's second one, and FLUX's only one, with a pooled projection)."""
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(vocab_size=64, hidden_size=TEXT_DIM, intermediate_size=37, num_hidden_layers=2,
                            num_attention_heads=4, max_position_embeddings=32, projection_dim=TEXT_DIM,
                            pad_token_id=0, bos_token_id=1, eos_token_id=1, hidden_act="gelu")
    torch.manual_seed(0)
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config).eval()


def sdxl_parts(**unet_args) -> dict:
    """SDXL's parts: a 2-level UNet with SDXL's text_time conditioning, two CLIP encoders, a 2-level VAE (its
    latents half the size, so sizes go in steps of 2 pixels), and SDXL's Euler scheduler."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**(sdxl_unet_config() | unet_args))
    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=[8, 16], norm_num_groups=8, latent_channels=4, in_channels=3, out_channels=3,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1, timestep_spacing="leading")
    return dict(unet=unet, vae=vae, scheduler=scheduler, text_encoder=clip(False), tokenizer=clip_tokenizer(),
                text_encoder_2=clip(True), tokenizer_2=clip_tokenizer())


def sdxl_unet_config() -> dict:
    """What SDXL's UNet and its ControlNet share (a ControlNet copies the UNet's encoder)."""
    return dict(block_out_channels=(16, 32), norm_num_groups=8, layers_per_block=1, in_channels=4,
                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), attention_head_dim=(2, 4),
                use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=TIME_DIM,
                transformer_layers_per_block=(1, 1), projection_class_embeddings_input_dim=6 * TIME_DIM + TEXT_DIM,
                cross_attention_dim=2 * TEXT_DIM)


def save_sdxl(folder: Path, control: bool = False) -> Path:
    """A StableDiffusionXLPipeline folder, or with `control` a StableDiffusionXLControlNetPipeline one whose
    ControlNet's conditioning embedding halves the control image once, as the VAE does. A new ControlNet's output
    convolutions start at zero (it adds nothing until trained); these get small random weights, as training
    grows them, so the control image reaches the UNet."""
    import torch
    from diffusers import ControlNetModel, StableDiffusionXLControlNetPipeline, StableDiffusionXLPipeline

    parts = sdxl_parts(out_channels=4, sample_size=16, up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    if not control:
        StableDiffusionXLPipeline(**parts).save_pretrained(folder)
        return folder
    torch.manual_seed(1)
    controlnet = ControlNetModel(conditioning_embedding_out_channels=(8, 16), **sdxl_unet_config())
    with torch.no_grad():
        for conv in (controlnet.controlnet_cond_embedding.conv_out, *controlnet.controlnet_down_blocks,
                     controlnet.controlnet_mid_block):
            torch.nn.init.normal_(conv.weight, std=0.5)
    StableDiffusionXLControlNetPipeline(controlnet=controlnet, **parts).save_pretrained(folder)
    return folder


def save_flux(folder: Path, kontext: bool = False) -> Path:
    """A FluxPipeline folder (or FluxKontextPipeline: the same weights, the input image's latents beside the
    noise in the sequence): a 16-channel 2-level VAE whose latents the pipeline packs 2x2 (64 in), guidance
    distilled like FLUX.1-dev."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxKontextPipeline, FluxPipeline
    from diffusers import FluxTransformer2DModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(patch_size=1, in_channels=64, num_layers=1, num_single_layers=1,
                                         attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                                         pooled_projection_dim=TEXT_DIM, guidance_embeds=True, axes_dims_rope=[4, 4, 8])
    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=[8, 16], norm_num_groups=8, latent_channels=16, in_channels=3,
                        out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
                        up_block_types=["UpDecoderBlock2D"] * 2, use_quant_conv=False, use_post_quant_conv=False,
                        shift_factor=0.0609, scaling_factor=1.5035)
    cls = FluxKontextPipeline if kontext else FluxPipeline
    cls(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=clip(False), tokenizer=clip_tokenizer(),
        text_encoder_2=tiny.t5(), tokenizer_2=tiny.tokenizer(), transformer=transformer, image_encoder=None,
        feature_extractor=None).save_pretrained(folder)
    return folder
