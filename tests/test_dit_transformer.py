"""The DiT: 3D RoPE for unseen shapes, per-frame timesteps, and zero-initialised conditioning."""

from __future__ import annotations

import pytest
import torch

from engine.dit.config import load_config
from engine.dit.models.rope import apply_rope, grid_positions, rope_angles
from engine.dit.models.text import ByteTextEncoder, tokenize_bytes
from engine.dit.models.transformer import DiT


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _trained_looking_dit() -> DiT:
    """A tiny DiT whose base weights are all perturbed (as after training), conditioning paths left at init."""
    torch.manual_seed(0)
    dit = DiT(load_config("tiny").dit, latent_channels=4, text_width=32).eval()
    with torch.no_grad():
        for name, param in dit.named_parameters():
            if not name.startswith(("control_embed", "camera_embed")) and not name.endswith("ref_gate"):
                param.add_(torch.randn_like(param) * 0.05)
    return dit


def _inputs(b: int, t: int, h: int, w: int) -> dict:
    return {
        "x": torch.randn(b, 4, t, h, w),
        "t": torch.rand(b, t),
        "text": torch.randn(b, 5, 32),
        "text_mask": torch.tensor([[True] * 5] * b),
        "fps": torch.full((b,), 8.0),
        "motion": torch.ones(b, dtype=torch.long),
        "aspect": torch.full((b,), 2, dtype=torch.long),
    }


def test_rope_depends_only_on_relative_position():
    q, k = torch.randn(1, 2, 2, 32), torch.randn(1, 2, 2, 32)
    pos = torch.tensor([[0.0, 1.0, 2.0], [3.0, 5.0, 0.0]])
    shifted = pos + torch.tensor([7.0, -4.0, 11.0])

    def scores(p):
        a = rope_angles(p, 32)
        return apply_rope(q, a) @ apply_rope(k, a).transpose(-1, -2)

    assert torch.allclose(scores(pos), scores(shifted), atol=1e-4)
    assert not torch.allclose(scores(pos), scores(pos * torch.tensor([1.0, 2.0, 1.0])), atol=1e-3)


@torch.no_grad()
@pytest.mark.parametrize("shape,t_offset", [((1, 2, 2), 0.0), ((3, 4, 6), 5.0), ((5, 6, 2), 17.0), ((2, 10, 4), 0.0)])
def test_any_shape_works_without_a_fixed_grid(shape, t_offset):
    dit = _trained_looking_dit()
    inputs = _inputs(2, *shape)
    out = dit(**inputs, t_offset=t_offset)
    assert out.shape == inputs["x"].shape and torch.isfinite(out).all()
    assert grid_positions(*shape, t_offset)[0, 0] == t_offset


@torch.no_grad()
def test_zero_initialised_conditioning_leaves_the_output_unchanged():
    dit = _trained_looking_dit()
    inputs = _inputs(2, 3, 4, 4)
    base = dit(**inputs)
    with_all = dit(
        **inputs,
        controls=torch.randn(2, 4 * len(dit.cfg.control_kinds), 3, 4, 4),
        camera=torch.randn(2, 6, 3, 4, 4),
        references=torch.randn(2, 4, 2, 4, 4),
    )
    assert torch.allclose(base, with_all, atol=1e-6)
    with torch.no_grad():
        dit.control_embed.weight.normal_()
    assert not torch.allclose(base, dit(**inputs, controls=torch.randn(2, 16, 3, 4, 4)), atol=1e-4)


@torch.no_grad()
def test_a_fresh_dit_is_the_identity_on_its_blocks_and_outputs_zero():
    dit = DiT(load_config("tiny").dit, latent_channels=4, text_width=32)
    assert torch.equal(dit(**_inputs(1, 2, 4, 4)), torch.zeros(1, 4, 2, 4, 4))  # adaLN-Zero


@torch.no_grad()
def test_each_frame_has_its_own_timestep():
    dit = _trained_looking_dit()
    inputs = _inputs(1, 3, 4, 4)
    out = dit(**inputs)
    inputs["t"] = inputs["t"].clone()
    inputs["t"][0, 2] = 0.0
    changed = dit(**inputs)
    assert not torch.allclose(out[:, :, 2], changed[:, :, 2])


def test_byte_tokenizer_reads_chinese_and_masks_padding():
    ids, mask = tokenize_bytes(["红色方块向左移动", "a"], 64)
    assert ids.shape[0] == 2 and mask[0].sum() == len("红色方块向左移动".encode()) + 2 and mask[1].sum() == 3
    encoder = ByteTextEncoder(load_config("tiny").text)
    tokens, mask = encoder.encode(["红色方块向左移动", "a"])
    assert tokens.shape == (2, ids.shape[1], 32) and mask.dtype == torch.bool


def test_a_pretrained_encoder_from_a_local_folder_fills_the_text_slot(tmp_path):
    pytest.importorskip("transformers")
    from open_weights_tiny import tokenizer, umt5

    from engine.dit.checkpoint import build_models
    from engine.dit.config import TextConfig

    tokenizer().save_pretrained(tmp_path / "umt5")
    umt5(d_model=32).save_pretrained(tmp_path / "umt5")
    base = load_config("tiny")
    config = base.model_copy(update={"text": TextConfig(kind="pretrained", pretrained_path=str(tmp_path / "umt5"), pretrained_dim=32, max_length=16)})
    _, dit, text = build_models(config)
    tokens, mask = text.encode(["a red square", "blue"])
    assert tokens.shape[0] == 2 and tokens.shape[2] == 32 and mask[1].sum() < mask[0].sum()
    assert not any(p.requires_grad for p in text.parameters())  # frozen
    inputs = _inputs(2, 2, 4, 4)
    inputs.update(text=tokens, text_mask=mask)
    assert dit(**inputs).shape == inputs["x"].shape


@torch.no_grad()
def test_pooled_text_ignores_padding_tokens():
    torch.manual_seed(0)
    cfg = load_config("tiny").dit.model_copy(update={"pooled_text": True})
    dit = DiT(cfg, latent_channels=4, text_width=32).eval()
    with torch.no_grad():
        for param in dit.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    inputs = _inputs(1, 2, 4, 4)
    inputs["text_mask"] = torch.tensor([[True, True, True, False, False]])
    out = dit(**inputs)
    inputs["text"] = inputs["text"].clone()
    inputs["text"][0, 3:] += 10.0  # padding changes nothing
    assert torch.allclose(out, dit(**inputs), atol=1e-5)
    inputs["text"][0, 0] += 1.0
    assert not torch.allclose(out, dit(**inputs), atol=1e-4)
