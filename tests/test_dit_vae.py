"""The causal 3D VAE: causality, shapes for odd sizes and lengths, chunked = whole, images as one-frame videos."""

from __future__ import annotations

import pytest
import torch

from engine.dit.config import load_config
from engine.dit.models.vae import CausalVAE


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def vae() -> CausalVAE:
    torch.manual_seed(0)
    model = CausalVAE(load_config("tiny").vae).eval()
    with torch.no_grad():  # non-trivial latent statistics, so normalisation is exercised too
        model.latent_mean.uniform_(-0.5, 0.5)
        model.latent_std.uniform_(0.5, 2.0)
    return model


@torch.no_grad()
@pytest.mark.parametrize("changed", [0, 3, 5, 8])
def test_changing_a_frame_changes_no_latent_before_it(vae: CausalVAE, changed: int):
    video = torch.randn(1, 3, 13, 16, 16)
    edited = video.clone()
    edited[:, :, changed] += 1.0
    z, z_edit = vae.encode(video), vae.encode(edited)
    group = 0 if changed == 0 else 1 + (changed - 1) // 4  # frame 0 alone, then groups of 4
    assert torch.equal(z[:, :, :group], z_edit[:, :, :group])
    assert not torch.allclose(z[:, :, group], z_edit[:, :, group])


@torch.no_grad()
def test_decoder_is_causal_too(vae: CausalVAE):
    z = torch.randn(1, 4, 4, 4, 4)
    edited = z.clone()
    edited[:, :, 2] += 1.0
    x, x_edit = vae.decode(z), vae.decode(edited)
    assert torch.equal(x[:, :, :5], x_edit[:, :, :5])  # latent 2 is frames 5..8
    assert not torch.allclose(x[:, :, 5], x_edit[:, :, 5])


@torch.no_grad()
@pytest.mark.parametrize("frames,height,width", [(1, 16, 16), (6, 30, 22), (10, 17, 9), (13, 8, 40)])
def test_any_size_and_length(vae: CausalVAE, frames: int, height: int, width: int):
    z = vae.encode(torch.randn(2, 3, frames, height, width))
    assert tuple(z.shape) == (2, 4, *vae.latent_shape(frames, height, width))
    assert z.shape[2] == 1 + -(-(frames - 1) // 4)
    x = vae.decode(z)
    assert x.shape[2] == 1 + 4 * (z.shape[2] - 1) and x.shape[3] >= height and x.shape[4] >= width


@torch.no_grad()
def test_an_image_is_a_one_frame_video(vae: CausalVAE):
    video = torch.randn(1, 3, 9, 16, 16)
    assert torch.equal(vae.encode(video[:, :, :1]), vae.encode(video)[:, :, :1])
    assert vae.decode(vae.encode(video[:, :, :1])).shape[2] == 1


@torch.no_grad()
def test_chunked_encode_and_decode_match_whole(vae: CausalVAE):
    video = torch.randn(1, 3, 21, 16, 24)
    z = vae.encode(video)
    assert torch.allclose(vae.encode(video, chunk_latents=2), z, atol=1e-5)
    assert torch.allclose(vae.decode(z, chunk_latents=2), vae.decode(z), atol=1e-5)
    assert torch.allclose(vae.decode(z, chunk_latents=1), vae.decode(z), atol=1e-5)


def test_reconstruction_improves_with_training():
    torch.manual_seed(0)
    model = CausalVAE(load_config("tiny").vae)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    video = torch.rand(1, 3, 9, 16, 16) * 2 - 1
    losses = []
    for _ in range(40):
        recon, kl = model(video)
        loss = (recon - video).abs().mean() + 1e-4 * kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
