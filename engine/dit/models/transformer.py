"""The spatiotemporal DiT: latents cut into 1×2×2 patches, full 3D self-attention with 3D RoPE and
QK-norm, cross-attention to text tokens, MLP, each block modulated by adaLN-Zero.

Every token carries its own timestep (clean conditioning frames sit at t = 0 for image-to-video and
extension). Controls, camera rays and reference images enter through zero-initialised projections
or gates, so adding them to a trained model changes nothing until they are trained.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from engine.dit.config import DiTConfig
from engine.dit.models.rope import apply_rope, grid_positions, rope_angles


def sinusoidal(x: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=x.device, dtype=torch.float32) / half)
    args = x.float()[..., None] * freqs
    return torch.cat([args.cos(), args.sin()], dim=-1)


class ScalarEmbedder(nn.Module):
    """A scalar (timestep, frame rate) → vector, through sinusoids and an MLP."""

    def __init__(self, width: int, scale: float, zero_init: bool = False, freq_dim: int = 256):
        super().__init__()
        self.scale, self.freq_dim = scale, freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, width), nn.SiLU(), nn.Linear(width, width))
        if zero_init:
            nn.init.zeros_(self.mlp[2].weight)
            nn.init.zeros_(self.mlp[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(sinusoidal(x * self.scale, self.freq_dim))


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x [B, N, D] with one (shift, scale) [B, G, D] per group of N/G tokens (a latent frame)."""
    b, n, d = x.shape
    g = shift.shape[1]
    return (x.view(b, g, n // g, d) * (1 + scale[:, :, None]) + shift[:, :, None]).view(b, n, d)


def gated(x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    b, n, d = x.shape
    g = gate.shape[1]
    return (x.view(b, g, n // g, d) * gate[:, :, None]).view(b, n, d)


class Attention(nn.Module):
    """Multi-head attention with RMS-normalised queries and keys (QK-norm) and optional RoPE."""

    def __init__(self, width: int, heads: int, context_width: int | None = None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(context_width or width, 2 * width)
        self.q_norm = nn.RMSNorm(width // heads)
        self.k_norm = nn.RMSNorm(width // heads)
        self.out = nn.Linear(width, width)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.heads, -1).transpose(1, 2)

    def qkv(self, x: torch.Tensor, context: torch.Tensor, angles: torch.Tensor | None, context_angles: torch.Tensor | None):
        q = self.q_norm(self.split(self.q(x)))
        k, v = self.kv(context).chunk(2, dim=-1)
        k, v = self.k_norm(self.split(k)), self.split(v)
        if angles is not None:
            q, k = apply_rope(q, angles), apply_rope(k, context_angles)
        return q, k, v

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, -1)


class Block(nn.Module):
    def __init__(self, cfg: DiTConfig, text_width: int):
        super().__init__()
        d = cfg.width
        self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(d, cfg.heads)
        self.ref_gate = nn.Parameter(torch.zeros(cfg.heads))  # video → reference attention, zero at start
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.cross = Attention(d, cfg.heads, text_width)
        self.norm3 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        hidden = int(d * cfg.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, d))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def self_attention(self, h: torch.Tensor, angles: torch.Tensor, n_video: int) -> torch.Tensor:
        """Full attention over the video tokens; references (after them) attend among themselves,
        and the video reads them through a gated second attention."""
        q, k, v = self.attn.qkv(h, h, angles, angles)
        qv, kv_, vv = q[:, :, :n_video], k[:, :, :n_video], v[:, :, :n_video]
        out = F.scaled_dot_product_attention(qv, kv_, vv)
        if h.shape[1] > n_video:
            qr, kr, vr = q[:, :, n_video:], k[:, :, n_video:], v[:, :, n_video:]
            gate = torch.tanh(self.ref_gate).view(1, -1, 1, 1)
            out = out + gate * F.scaled_dot_product_attention(qv, kr, vr)
            out = torch.cat([out, F.scaled_dot_product_attention(qr, kr, vr)], dim=2)
        return self.attn.out(self.attn.merge(out))

    def forward(self, x, cond, angles, n_video, text, text_mask):
        """x [B, N, D] tokens; cond [B, G, D] one conditioning vector per latent frame (N/G tokens each)."""
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(cond).chunk(6, dim=-1)
        x = x + gated(self.self_attention(modulate(self.norm1(x), shift1, scale1), angles, n_video), gate1)
        q, k, v = self.cross.qkv(self.norm2(x), text, None, None)
        mask = text_mask[:, None, None, :] if text_mask is not None else None
        x = x + self.cross.out(self.cross.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)))
        return x + gated(self.mlp(modulate(self.norm3(x), shift2, scale2)), gate2)


def patchify(x: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    """[B, C, T, H, W] → [B, T/pt·H/ph·W/pw, C·pt·ph·pw], tokens in (t, h, w) order."""
    pt, ph, pw = patch
    b, c, t, h, w = x.shape
    x = x.reshape(b, c, t // pt, pt, h // ph, ph, w // pw, pw)
    return x.permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(b, (t // pt) * (h // ph) * (w // pw), c * pt * ph * pw)


def unpatchify(tokens: torch.Tensor, patch: tuple[int, int, int], shape: tuple[int, int, int, int]) -> torch.Tensor:
    pt, ph, pw = patch
    c, t, h, w = shape
    b = tokens.shape[0]
    x = tokens.reshape(b, t // pt, h // ph, w // pw, c, pt, ph, pw)
    return x.permute(0, 4, 1, 5, 2, 6, 3, 7).reshape(b, c, t, h, w)


class DiT(nn.Module):
    def __init__(self, cfg: DiTConfig, latent_channels: int, text_width: int):
        super().__init__()
        self.cfg = cfg
        d, (pt, ph, pw) = cfg.width, cfg.patch
        self.latent_channels = latent_channels
        patch_volume = pt * ph * pw
        self.x_embed = nn.Linear(latent_channels * patch_volume, d)
        self.control_embed = nn.Linear(len(cfg.control_kinds) * latent_channels * patch_volume, d, bias=False) if cfg.control_kinds else None
        self.camera_embed = nn.Linear(6 * patch_volume, d, bias=False) if cfg.camera else None
        for layer in (self.control_embed, self.camera_embed):
            if layer is not None:
                nn.init.zeros_(layer.weight)
        self.t_embed = ScalarEmbedder(d, scale=1000.0)
        self.fps_embed = ScalarEmbedder(d, scale=1.0, zero_init=True)
        self.motion_embed = nn.Embedding(cfg.motion_buckets, d)
        self.aspect_embed = nn.Embedding(len(cfg.aspect_ratios), d)
        nn.init.zeros_(self.motion_embed.weight)
        nn.init.zeros_(self.aspect_embed.weight)
        self.text_proj = nn.Linear(text_width, d)
        self.text_pool = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d)) if cfg.pooled_text else None
        self.blocks = nn.ModuleList(Block(cfg, d) for _ in range(cfg.depth))
        self.norm_out = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        self.proj_out = nn.Linear(d, latent_channels * patch_volume)
        for layer in (self.ada_out[1], self.proj_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(
        self,
        x: torch.Tensor,  # [B, C, T, H, W] noisy latents
        t: torch.Tensor,  # [B, T] per-latent-frame timesteps (0 = clean conditioning frame)
        text: torch.Tensor,  # [B, L, text_width]
        text_mask: torch.Tensor | None,  # [B, L] True where a token is real
        fps: torch.Tensor,  # [B]
        motion: torch.Tensor,  # [B] motion bucket
        aspect: torch.Tensor,  # [B] aspect bucket
        t_offset: float = 0.0,  # RoPE time index of the first frame (continued when extending)
        controls: torch.Tensor | None = None,  # [B, K·C, T, H, W] control latents, zeros where absent
        camera: torch.Tensor | None = None,  # [B, 6, T, H, W] Plücker rays on the latent grid
        references: torch.Tensor | None = None,  # [B, C, R, H, W] clean reference-image latents
    ) -> torch.Tensor:
        cfg = self.cfg
        b, c, frames, height, width = x.shape
        pt, ph, pw = cfg.patch
        gt, gh, gw = frames // pt, height // ph, width // pw

        h = self.x_embed(patchify(x, cfg.patch))
        if controls is not None and self.control_embed is not None:
            h = h + self.control_embed(patchify(controls, cfg.patch))
        if camera is not None and self.camera_embed is not None:
            h = h + self.camera_embed(patchify(camera, cfg.patch))
        text_h = self.text_proj(text)
        global_cond = self.fps_embed(fps) + self.motion_embed(motion) + self.aspect_embed(aspect)
        if self.text_pool is not None:
            weights = text_mask.float()[..., None] if text_mask is not None else torch.ones_like(text_h[..., :1])
            global_cond = global_cond + self.text_pool((text_h * weights).sum(1) / weights.sum(1).clamp_min(1.0))
        cond = self.t_embed(t[:, ::pt]) + global_cond[:, None]  # [B, gt, D]: modulation per latent frame
        positions = grid_positions(gt, gh, gw, t_offset).to(x.device)
        n_video = h.shape[1]
        if references is not None:
            refs = references.repeat_interleave(pt, dim=2) if pt > 1 else references
            r = refs.shape[2] // pt
            h = torch.cat([h, self.x_embed(patchify(refs, cfg.patch))], dim=1)
            ref_cond = self.t_embed(torch.zeros(b, device=x.device)) + global_cond
            cond = torch.cat([cond, ref_cond[:, None].expand(-1, r, -1)], dim=1)
            ref_pos = grid_positions(r, gh, gw, t_offset - r).to(x.device)
            positions = torch.cat([positions, ref_pos])
        angles = rope_angles(positions, cfg.width // cfg.heads, cfg.rope_theta)

        for block in self.blocks:
            if cfg.gradient_checkpointing and self.training:
                h = checkpoint(block, h, cond, angles, n_video, text_h, text_mask, use_reentrant=False)
            else:
                h = block(h, cond, angles, n_video, text_h, text_mask)
        h, cond = h[:, :n_video], cond[:, :gt]
        shift, scale = self.ada_out(cond).chunk(2, dim=-1)
        out = self.proj_out(modulate(self.norm_out(h), shift, scale))
        return unpatchify(out, cfg.patch, (c, frames, height, width))
