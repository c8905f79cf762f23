"""Rectified flow: the straight path x_t = (1 − t)·x₀ + t·ε from data (t = 0) to noise (t = 1),
its velocity ε − x₀, the training-time distribution of t, and the ODE samplers (Euler, Heun).

Clean conditioning frames (image-to-video, extension) sit at t = 0 throughout: they are never noised
and never integrated.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch

from engine.dit.config import FlowConfig

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t [B,C,T,H,W], t [B,T]) -> v


def shift_for(cfg: FlowConfig, num_tokens: int) -> float:
    """Larger videos keep more signal at a given noise level, so their times are shifted towards noise."""
    if cfg.base_tokens > 0:
        return cfg.shift * math.sqrt(num_tokens / cfg.base_tokens)
    return cfg.shift


def shift_time(t: torch.Tensor, shift: float) -> torch.Tensor:
    return shift * t / (1 + (shift - 1) * t)


def sample_time(batch: int, cfg: FlowConfig, shift: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Logit-normal t (most mass in the middle), shifted for resolution."""
    u = torch.sigmoid(cfg.logit_mean + cfg.logit_std * torch.randn(batch, generator=generator))
    return shift_time(u, shift)


def noise_like(shape: tuple[int, ...], corr: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Unit Gaussian noise [B, C, T, H, W] whose frames share a fraction `corr` of their variance,
    so the coarse layout drawn from noise is common to all frames and motion is what differs."""
    noise = torch.randn(shape, generator=generator)
    if corr <= 0:
        return noise
    shared = torch.randn((*shape[:2], 1, *shape[3:]), generator=generator)
    return corr**0.5 * shared + (1 - corr) ** 0.5 * noise


def _frames(t: torch.Tensor) -> torch.Tensor:
    """[B, T] → [B, 1, T, 1, 1] for broadcasting over latents."""
    return t[:, None, :, None, None]


def interpolate(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return (1 - _frames(t)) * x0 + _frames(t) * noise


def to_velocity(prediction: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, kind: str, t_min: float) -> torch.Tensor:
    """The network's output as a velocity: itself (v-prediction) or (x_t − x̂₀)/t (x-prediction)."""
    if kind == "v":
        return prediction
    return (x_t - prediction) / _frames(t).clamp_min(t_min)


def loss(prediction: torch.Tensor, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, kind: str, t_min: float) -> torch.Tensor:
    """Mean squared velocity error over the noisy frames only (t > 0)."""
    x_t = interpolate(x0, noise, t)
    error = (to_velocity(prediction, x_t, t, kind, t_min) - (noise - x0)).pow(2).mean(dim=(1, 3, 4))  # [B, T]
    weight = (t > 0).float()
    return (error * weight).sum() / weight.sum().clamp_min(1.0)


def schedule(steps: int, shift: float) -> torch.Tensor:
    """steps + 1 times from 1 to 0, denser near the noise end when shift > 1."""
    return shift_time(torch.linspace(1.0, 0.0, steps + 1), shift)


@torch.no_grad()
def sample(
    velocity: Velocity,
    noise: torch.Tensor,
    steps: int,
    shift: float = 1.0,
    solver: str = "euler",
    clean: torch.Tensor | None = None,
    clean_frames: torch.Tensor | None = None,
) -> torch.Tensor:
    """Integrate dx/dt = v from t = 1 (noise) to t = 0. `clean_frames` [B, T] bool marks latent
    frames taken from `clean` and held at t = 0 (image-to-video, extension context)."""
    b, _, frames = noise.shape[:3]
    keep = torch.zeros(b, frames, dtype=torch.bool, device=noise.device) if clean_frames is None else clean_frames
    keep5 = _frames(keep)

    def fix(x: torch.Tensor) -> torch.Tensor:
        return torch.where(keep5, clean, x) if clean is not None else x

    def times(value: float) -> torch.Tensor:
        return torch.where(keep, 0.0, torch.full((b, frames), value, device=noise.device))

    ts = schedule(steps, shift).tolist()
    x = fix(noise)
    for t, t_next in itertools.pairwise(ts):
        v = velocity(x, times(t))
        x_next = fix(x + (t_next - t) * v)
        if solver == "heun" and t_next > 0:
            v2 = velocity(x_next, times(t_next))
            x_next = fix(x + (t_next - t) * 0.5 * (v + v2))
        x = x_next
    return x
