"""The HunyuanVideo engine on a tiny random-weight text-to-video pipeline saved to disk and loaded through
its real loading path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")

import open_weights_tiny as tiny  # noqa: E402
import torch  # noqa: E402

from engine import RenderRequest, get_engine  # noqa: E402
from engine.open_weights.hunyuan import HunyuanVideoEngine  # noqa: E402
from engine.open_weights.weights import ModelNotFoundError  # noqa: E402

# 18×32 (9:16) asks the model for 16×32; 12 frames at 30 fps cover 0.37 s → 10 frames at 24 fps → 4k+1 = 13.
BASE = dict(prompt="a girl smiles in the red light", width=18, height=32, fps=30.0, num_frames=12, seed=5)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with tiny.one_torch_thread():
        yield


def save_hunyuan(folder: Path) -> Path:
    """A HunyuanVideoPipeline folder: tiny transformer, VAE, Llama and CLIP text encoders (diffusers' own
    test sizes), word-level tokenizers built here."""
    from diffusers import (AutoencoderKLHunyuanVideo, FlowMatchEulerDiscreteScheduler, HunyuanVideoPipeline,
                           HunyuanVideoTransformer3DModel)
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    torch.manual_seed(0)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=10, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=2, patch_size_t=1, guidance_embeds=True,
        text_embed_dim=16, pooled_projection_dim=8, rope_axes_dim=(2, 4, 4),
    )
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo(
        latent_channels=4, down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        norm_num_groups=4, spatial_compression_ratio=8, temporal_compression_ratio=4,
    )
    torch.manual_seed(0)
    llama = LlamaModel(LlamaConfig(hidden_size=16, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                                   vocab_size=64, pad_token_id=0, bos_token_id=1, eos_token_id=1))
    torch.manual_seed(0)
    clip = CLIPTextModel(CLIPTextConfig(hidden_size=8, intermediate_size=37, num_attention_heads=4,
                                        num_hidden_layers=2, vocab_size=64, projection_dim=32, pad_token_id=0,
                                        bos_token_id=1, eos_token_id=1))
    HunyuanVideoPipeline(
        tokenizer=tiny.tokenizer(), text_encoder=llama.eval(), tokenizer_2=tiny.tokenizer(77), text_encoder_2=clip.eval(),
        vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=1.0), transformer=transformer,
    ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def hunyuan(tmp_path_factory) -> HunyuanVideoEngine:
    folder = save_hunyuan(tmp_path_factory.mktemp("hunyuan") / "model")
    return get_engine("hunyuan", model_dir=str(folder), steps=2, progress=False, vae_tiling=True)


def test_output_matches_the_request_after_rounding_with_the_card_defaults(hunyuan, tmp_path):
    with tiny.transformer_inputs(hunyuan, "HunyuanVideoPipeline") as calls:
        clip, frames = tiny.render(hunyuan, tmp_path / "a", RenderRequest(**BASE))
    assert frames.shape == (12, 32, 18, 3)
    assert (clip.width, clip.height, clip.fps, clip.num_frames) == (18, 32, 30.0, 12)
    assert clip.meta["pipeline"] == "HunyuanVideoPipeline"
    assert (clip.meta["model_size"], clip.meta["model_frames"], clip.meta["model_fps"]) == ("16x32", 13, 24.0)
    assert (clip.meta["guidance"], clip.meta["flow_shift"]) == (6.0, 7.0)
    assert hunyuan.pipeline("HunyuanVideoPipeline").scheduler.config.shift == 7.0  # the checkpoint said 1.0
    assert hunyuan.pipeline("HunyuanVideoPipeline").vae.use_tiling
    # Embedded guidance reaches the transformer (×1000, as the pipeline scales it); 13 frames → 4 latent frames.
    assert torch.allclose(calls[0]["guidance"], torch.tensor([6000.0]))
    assert calls[0]["hidden_states"].shape[2:] == (4, 4, 2)


def test_same_seed_same_frames_other_seed_other_frames(hunyuan, tmp_path):
    _, first = tiny.render(hunyuan, tmp_path / "a", RenderRequest(**BASE))
    _, again = tiny.render(hunyuan, tmp_path / "b", RenderRequest(**BASE))
    _, other = tiny.render(hunyuan, tmp_path / "c", RenderRequest(**(BASE | dict(seed=6))))
    assert np.array_equal(first, again)
    assert tiny.changed(first, other)


def test_a_first_frame_is_named_as_ignored_by_the_text_to_video_checkpoint(hunyuan, tmp_path):
    face = tiny.picture(tmp_path / "face.png", 1)
    clip, _ = tiny.render(hunyuan, tmp_path / "a", RenderRequest(**(BASE | dict(num_frames=5, first_frame=face))))
    assert clip.meta["ignored"] == "first_frame"


def test_missing_weights_say_where_to_put_them(tmp_path):
    with pytest.raises(ModelNotFoundError) as missing:
        HunyuanVideoEngine(model_dir=tmp_path / "HunyuanVideo")
    assert str(tmp_path / "HunyuanVideo") in str(missing.value)
    assert "hf download hunyuanvideo-community/HunyuanVideo" in missing.value.hint
    with pytest.raises(ModelNotFoundError, match="not in the Hugging Face cache"):
        HunyuanVideoEngine(model_id="hunyuanvideo-community/HunyuanVideo-I2V", cache_dir=tmp_path / "hub")
