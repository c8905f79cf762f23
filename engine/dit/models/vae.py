"""Causal 3D VAE: video ↔ latents, compressing time ×4 and space ×8 by default.

Causal means every layer looks only at the present and the past: time is padded on the past side,
and the first frame is padded with copies of itself so that it forms a group alone. A T = 1 + 4k
frame video therefore gives 1 + k latent frames, an image is a one-frame video, and changing frame k
changes no latent before it. Norms are per frame, so a long video can be encoded or decoded chunk by
chunk with a cache of past frames (`streaming`) and give the same result as all at once.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from engine.dit.config import VAEConfig


class _Streamable(nn.Module):
    """A layer that remembers what it needs of the previous chunk while `streaming` is on."""

    streaming: bool = False

    def reset_stream(self, streaming: bool) -> None:
        self.streaming = streaming
        self.cache: torch.Tensor | None = None
        self.started = False


class CausalConv3d(_Streamable):
    """A 3D convolution over (time, height, width) whose time padding is all on the past side."""

    def __init__(self, cin: int, cout: int, kernel: int = 3):
        super().__init__()
        self.pad_t = kernel - 1
        self.conv = nn.Conv3d(cin, cout, kernel, padding=(0, kernel // 2, kernel // 2))
        self.reset_stream(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad_t:
            past = self.cache if self.streaming and self.cache is not None else x[:, :, :1].expand(-1, -1, self.pad_t, -1, -1)
            x = torch.cat([past, x], dim=2)
            if self.streaming:
                self.cache = x[:, :, -self.pad_t :].detach()
        return self.conv(x)


class Fold(_Streamable):
    """Lossless down-sampling: rt frames × rs² pixels become channels; the first frame is a group alone."""

    def __init__(self, rt: int, rs: int):
        super().__init__()
        self.rt, self.rs = rt, rs
        self.reset_stream(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rt, rs = self.rt, self.rs
        if rt > 1 and not (self.streaming and self.started):
            x = torch.cat([x[:, :, :1].expand(-1, -1, rt - 1, -1, -1), x], dim=2)
        self.started = True
        b, c, t, h, w = x.shape
        x = x.reshape(b, c, t // rt, rt, h // rs, rs, w // rs, rs)
        return x.permute(0, 1, 3, 5, 7, 2, 4, 6).reshape(b, c * rt * rs * rs, t // rt, h // rs, w // rs)


class Unfold(_Streamable):
    """The inverse of Fold: channels become rt frames × rs² pixels; the first group yields one frame."""

    def __init__(self, rt: int, rs: int):
        super().__init__()
        self.rt, self.rs = rt, rs
        self.reset_stream(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rt, rs = self.rt, self.rs
        b, c, t, h, w = x.shape
        c //= rt * rs * rs
        x = x.reshape(b, c, rt, rs, rs, t, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(b, c, t * rt, h * rs, w * rs)
        if rt > 1 and not (self.streaming and self.started):
            x = x[:, :, rt - 1 :]
        self.started = True
        return x


class FrameNorm(nn.GroupNorm):
    """GroupNorm over each frame on its own, so statistics never mix past and future."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        y = super().forward(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.reshape(b, t, c, h, w).transpose(1, 2)


def _norm(channels: int) -> FrameNorm:
    return FrameNorm(math.gcd(8, channels), channels)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1, self.conv1 = _norm(cin), CausalConv3d(cin, cout)
        self.norm2, self.conv2 = _norm(cout), CausalConv3d(cout, cout)
        self.skip = nn.Conv3d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        pt, ps = cfg.patch
        ch = cfg.channels
        self.fold = Fold(pt, ps)
        self.conv_in = CausalConv3d(3 * pt * ps * ps, ch[0])
        self.stages = nn.ModuleList()
        for i, c in enumerate(ch):
            layers: list[nn.Module] = [ResBlock(c, c) for _ in range(cfg.blocks_per_stage)]
            if i < len(cfg.downs):
                rt, rs = cfg.downs[i]
                layers += [Fold(rt, rs), nn.Conv3d(c * rt * rs * rs, ch[i + 1], 1)]
            self.stages.append(nn.Sequential(*layers))
        self.norm_out = _norm(ch[-1])
        self.conv_out = CausalConv3d(ch[-1], 2 * cfg.latent_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(self.fold(x))
        for stage in self.stages:
            x = stage(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        pt, ps = cfg.patch
        ch = cfg.channels
        self.conv_in = CausalConv3d(cfg.latent_channels, ch[-1])
        self.stages = nn.ModuleList()
        for i in reversed(range(len(ch))):
            layers: list[nn.Module] = [ResBlock(ch[i], ch[i]) for _ in range(cfg.blocks_per_stage)]
            if i > 0:
                rt, rs = cfg.downs[i - 1]
                layers += [nn.Conv3d(ch[i], ch[i - 1] * rt * rs * rs, 1), Unfold(rt, rs)]
            self.stages.append(nn.Sequential(*layers))
        self.norm_out = _norm(ch[0])
        self.conv_out = CausalConv3d(ch[0], 3 * pt * ps * ps)
        self.unfold = Unfold(pt, ps)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(z)
        for stage in self.stages:
            x = stage(x)
        return self.unfold(self.conv_out(F.silu(self.norm_out(x))))


class CausalVAE(nn.Module):
    """Pixels in [-1, 1], shaped [B, 3, T, H, W]; latents normalised per channel, [B, C, 1 + (T−1)/4, H/8, W/8]."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.register_buffer("latent_mean", torch.zeros(cfg.latent_channels))
        self.register_buffer("latent_std", torch.ones(cfg.latent_channels))

    # shapes -----------------------------------------------------------------------------------
    def latent_shape(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        ft, fs = self.cfg.time_factor, self.cfg.space_factor
        return 1 + math.ceil((frames - 1) / ft), math.ceil(height / fs), math.ceil(width / fs)

    def pad(self, video: torch.Tensor) -> torch.Tensor:
        """Replicate-pad the end of time and the bottom/right of space to shapes the VAE can fold."""
        _, _, t, h, w = video.shape
        lt, lh, lw = self.latent_shape(t, h, w)
        ft, fs = self.cfg.time_factor, self.cfg.space_factor
        pad_t, pad_h, pad_w = 1 + (lt - 1) * ft - t, lh * fs - h, lw * fs - w
        if pad_h or pad_w:
            b, c = video.shape[:2]
            flat = video.transpose(1, 2).reshape(b * t, c, h, w)
            flat = F.pad(flat, (0, pad_w, 0, pad_h), mode="replicate")
            video = flat.reshape(b, t, c, h + pad_h, w + pad_w).transpose(1, 2)
        if pad_t:
            video = torch.cat([video, video[:, :, -1:].expand(-1, -1, pad_t, -1, -1)], dim=2)
        return video

    # streaming -------------------------------------------------------------------------------
    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Within this block encoder and decoder take consecutive chunks and carry a causal cache."""
        layers = [m for m in self.modules() if isinstance(m, _Streamable)]
        for layer in layers:
            layer.reset_stream(True)
        try:
            yield
        finally:
            for layer in layers:
                layer.reset_stream(False)

    # encode / decode -------------------------------------------------------------------------
    def encode_distribution(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Unnormalised posterior mean and log-variance of a video whose shape the VAE can fold."""
        mean, logvar = self.encoder(video).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.latent_mean.view(1, -1, 1, 1, 1)) / self.latent_std.view(1, -1, 1, 1, 1)

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.latent_std.view(1, -1, 1, 1, 1) + self.latent_mean.view(1, -1, 1, 1, 1)

    def encode(self, video: torch.Tensor, chunk_latents: int | None = None) -> torch.Tensor:
        """Normalised latents (posterior mean) of any video; chunked when `chunk_latents` is given."""
        video = self.pad(video)
        if chunk_latents is None:
            return self.normalize(self.encode_distribution(video)[0])
        ft = self.cfg.time_factor
        bounds = [0, 1 + chunk_latents * ft]
        while bounds[-1] < video.shape[2]:
            bounds.append(bounds[-1] + chunk_latents * ft)
        with self.streaming():
            parts = [self.encode_distribution(video[:, :, a:b])[0] for a, b in itertools.pairwise(bounds) if a < video.shape[2]]
        return self.normalize(torch.cat(parts, dim=2))

    def decode(self, z: torch.Tensor, chunk_latents: int | None = None) -> torch.Tensor:
        """Pixels of normalised latents: 1 + (T−1)·4 frames; chunked decoding keeps memory bounded."""
        z = self.denormalize(z)
        if chunk_latents is None:
            return self.decoder(z)
        with self.streaming():
            parts = [self.decoder(z[:, :, i : i + chunk_latents]) for i in range(0, z.shape[2], chunk_latents)]
        return torch.cat(parts, dim=2)

    def forward(self, video: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pass: reconstruction and the KL term (mean over latent elements)."""
        mean, logvar = self.encode_distribution(video)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + (0.5 * logvar).exp() * noise
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        return self.decoder(z), kl

    @torch.no_grad()
    def set_latent_stats(self, raw_latents: torch.Tensor) -> None:
        """Per-channel mean/std of unnormalised latents, so the DiT sees unit-variance inputs."""
        flat = raw_latents.transpose(0, 1).reshape(raw_latents.shape[1], -1)
        self.latent_mean.copy_(flat.mean(1))
        self.latent_std.copy_(flat.std(1).clamp_min(1e-4))
