"""3D rotary position embedding: the head's rotation pairs are split over (t, h, w).

Angles are computed from each token's (t, h, w) position at run time, so there is no fixed grid:
any aspect ratio, size and length works, and attention depends only on relative positions.
"""

from __future__ import annotations

import torch


def axis_pairs(head_dim: int) -> tuple[int, int, int]:
    """How many rotation pairs each axis gets: space 3/8 each, time the rest."""
    pairs = head_dim // 2
    space = pairs * 3 // 8
    return pairs - 2 * space, space, space


def grid_positions(frames: int, height: int, width: int, t_offset: float = 0.0) -> torch.Tensor:
    """[frames·height·width, 3] positions in (t, h, w) order, time starting at `t_offset`."""
    t = torch.arange(frames, dtype=torch.float32) + t_offset
    h = torch.arange(height, dtype=torch.float32)
    w = torch.arange(width, dtype=torch.float32)
    return torch.stack(torch.meshgrid(t, h, w, indexing="ij"), dim=-1).reshape(-1, 3)


def rope_angles(positions: torch.Tensor, head_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """[..., N, head_dim/2] rotation angles for [..., N, 3] positions."""
    parts = []
    for axis, pairs in enumerate(axis_pairs(head_dim)):
        freqs = theta ** (-torch.arange(pairs, dtype=torch.float32, device=positions.device) / max(pairs, 1))
        parts.append(positions[..., axis : axis + 1].float() * freqs)
    return torch.cat(parts, dim=-1)


def apply_rope(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate consecutive pairs of x [B, heads, N, head_dim] by angles [N or B×1, N, head_dim/2]."""
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    if cos.dim() == 3:  # per-sample positions: [B, N, D/2] -> [B, 1, N, D/2]
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)
