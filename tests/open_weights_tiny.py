"""Tiny random-weight diffusers pipelines for the open-weight engine tests, built from configs and saved as
full pipeline folders, so the engines load them through their real `from_pretrained` path. No hub ids."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny models run ~10x faster on one thread than on two contended cores (thread hand-off dominates)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def render(engine, out: Path, request) -> tuple:
    """Render into a fresh folder; return the clip and its decoded frames (int16, for differences)."""
    from engine.video import read_frames

    out.mkdir()
    clip = engine.render(request, out)
    return clip, np.stack(list(read_frames(clip.video))).astype(np.int16)


def changed(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal inputs give bit-equal frames (the seed tests), so any clear difference is the input's doing.
    A random-weight model reacts weakly to its conditioning, hence the low bar (in 0–255 levels)."""
    return float(np.abs(a - b).mean()) > 0.1


@contextlib.contextmanager
def transformer_inputs(engine, pipe_class: str) -> Iterator[list[dict]]:
    """Record the tensors the pipeline's transformer is called with: proof that an input reached the model."""
    calls: list[dict] = []
    hook = engine.pipeline(pipe_class).transformer.register_forward_pre_hook(
        lambda module, args, kwargs: calls.append({k: v.clone() for k, v in kwargs.items() if hasattr(v, "clone")}),
        with_kwargs=True,
    )
    try:
        yield calls
    finally:
        hook.remove()


WORDS = "a the in of and on to with at man woman girl boy room city night day walks looks runs smiles red blue light dark".split()


def tokenizer(max_length: int = 16):
    """A word-level fast tokenizer over a small vocabulary (unknown words map to <unk>)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=max_length
    )


def umt5(d_model: int = 32):
    import torch
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    config = UMT5Config(vocab_size=64, d_model=d_model, d_kv=8, d_ff=32, num_layers=1, num_heads=4,
                        relative_attention_num_buckets=8, relative_attention_max_distance=16)
    return UMT5EncoderModel(config).eval()


def wan_vae():
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True])


def wan_transformer(kind: str):
    """kind: 't2v' (16 latent channels in), 'i2v' (16 noise + 4 mask + 16 image = 36), 'vace'."""
    import torch
    from diffusers import WanTransformer3DModel, WanVACETransformer3DModel

    common = dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, out_channels=16,
                  text_dim=32, freq_dim=32, ffn_dim=32, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                  rope_max_seq_len=32)
    torch.manual_seed(0)
    if kind == "vace":
        return WanVACETransformer3DModel(in_channels=16, num_layers=2, vace_layers=[0, 1], vace_in_channels=96,
                                         **common)
    return WanTransformer3DModel(in_channels=36 if kind == "i2v" else 16, num_layers=2, **common)


def save_wan(folder: Path, kind: str = "vace") -> Path:
    """A Wan pipeline folder: WanPipeline (t2v), WanImageToVideoPipeline (i2v, Wan 2.2 style: no CLIP
    image encoder) or WanVACEPipeline (vace)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanPipeline, WanVACEPipeline

    cls = {"t2v": WanPipeline, "i2v": WanImageToVideoPipeline, "vace": WanVACEPipeline}[kind]
    parts = dict(tokenizer=tokenizer(), text_encoder=umt5(), vae=wan_vae(),
                 scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), transformer=wan_transformer(kind))
    cls(**parts).save_pretrained(folder)
    return folder


def picture(path: Path, seed: int, size: tuple[int, int] = (48, 80)) -> Path:
    """A random-noise RGB picture: distinct seeds give clearly different images."""
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def gradient_video(path: Path, frames: int, invert: bool, size: tuple[int, int] = (48, 80)) -> Path:
    """A grey depth-like video: a moving gradient (inverted for a second, different control)."""
    from engine.video import write_mp4

    width, height = size
    ramp = np.linspace(0, 255, width, dtype=np.float32)
    clips = []
    for i in range(frames):
        row = np.roll(ramp, i * 2)
        frame = np.repeat(np.tile(row, (height, 1))[..., None], 3, axis=2)
        clips.append((255 - frame if invert else frame).astype(np.uint8))
    write_mp4(clips, path, width=width, height=height, fps=16)
    return path


def t5(d_model: int = 32):
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    config = T5Config(vocab_size=64, d_model=d_model, d_kv=8, d_ff=32, num_layers=1, num_heads=4,
                      relative_attention_num_buckets=8, relative_attention_max_distance=16)
    return T5EncoderModel(config).eval()


def save_ltx(folder: Path) -> Path:
    """An LTXPipeline folder (the image-to-video pipeline reuses the same weights)."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXPipeline, LTXVideoTransformer3DModel

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16,
                                             num_layers=1, caption_channels=32)
    torch.manual_seed(0)
    four, five = (8, 8, 8, 8), (1, 1, 1, 1, 1)
    vae = AutoencoderKLLTXVideo(latent_channels=8, block_out_channels=four, decoder_block_out_channels=four,
                                layers_per_block=five, decoder_layers_per_block=five,
                                spatio_temporal_scaling=(True, True, False, False),
                                decoder_spatio_temporal_scaling=(True, True, False, False),
                                decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4,
                                upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1, patch_size_t=1,
                                encoder_causal=True, decoder_causal=False)
    LTXPipeline(tokenizer=tokenizer(), text_encoder=t5(), vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
                transformer=transformer).save_pretrained(folder)
    return folder


def save_cogvideox(folder: Path, kind: str = "t2v") -> Path:
    """kind: 't2v' (CogVideoXPipeline), 'i2v' (CogVideoXImageToVideoPipeline), 'control' (CogVideoX-Fun)."""
    import torch
    from diffusers import (AutoencoderKLCogVideoX, CogVideoXFunControlPipeline, CogVideoXImageToVideoPipeline,
                           CogVideoXPipeline, CogVideoXTransformer3DModel, DDIMScheduler)

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=4 if kind == "t2v" else 8, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2, sample_height=4, sample_frames=9,
        patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16,
        use_rotary_positional_embeddings=kind == "i2v",
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(down_block_types=("CogVideoXDownBlock3D",) * 4, up_block_types=("CogVideoXUpBlock3D",) * 4,
                                 block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1,
                                 norm_num_groups=2, temporal_compression_ratio=4)
    cls = {"t2v": CogVideoXPipeline, "i2v": CogVideoXImageToVideoPipeline, "control": CogVideoXFunControlPipeline}[kind]
    cls(tokenizer=tokenizer(), text_encoder=t5(), vae=vae, scheduler=DDIMScheduler(), transformer=transformer).save_pretrained(folder)
    return folder


SCREENPLAY = "第1集\n\n1-1 日 内 客厅\n人物：林晚\n△ 林晚站在窗前，回头微笑。\n"
CAST = '[[character]]\nname = "林晚"\ndescription = "young woman, short black hair, red coat"\nreferences = ["refs/linwan.png"]\noffline_voice = "cmn"\n'


def one_shot_project(root: Path, model_dir: Path, render: str = 'engine = "previz"') -> Path:
    """A one-shot project at 72×128, 8 fps, one draw, offline voice; `render` adds lines to its [render] table."""
    (root / "episodes").mkdir(parents=True)
    (root / "refs").mkdir()
    picture(root / "refs" / "linwan.png", 1)
    (root / "episodes" / "ep01.txt").write_text(SCREENPLAY, encoding="utf-8")
    (root / "cast.toml").write_text(CAST, encoding="utf-8")
    (root / "drama.toml").write_text(
        f'title = "一镜"\n\n[video]\nwidth = 72\nheight = 128\nfps = 8\n\n[render]\n{render}\ndraws = 1\n\n'
        f'[render.engine_options]\nmodel_dir = "{model_dir}"\nsteps = 2\nprogress = false\n\n[voice]\nbackend = "offline"\n',
        encoding="utf-8",
    )
    return root
