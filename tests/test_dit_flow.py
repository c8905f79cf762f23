"""Rectified flow: the samplers return the data when given its exact velocity; clean frames stay clean."""

from __future__ import annotations

import torch

from engine.dit import flow
from engine.dit.config import FlowConfig


def test_one_euler_step_from_the_oracle_velocity_returns_x0():
    x0 = torch.randn(2, 4, 3, 4, 4)
    noise = torch.randn_like(x0)
    out = flow.sample(lambda x, t: noise - x0, noise, steps=1)
    assert torch.allclose(out, x0, atol=1e-6)


def _gaussian_velocity(mu: float, sigma: float):
    """The exact flow velocity E[ε − x₀ | x_t] for x₀ ~ N(mu, sigma²), ε ~ N(0, 1)."""

    def velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t[:, None, :, None, None]
        a = 1 - t
        var = a**2 * sigma**2 + t**2
        centred = x - a * mu
        e_x0 = mu + a * sigma**2 / var * centred
        e_eps = t / var * centred
        return e_eps - e_x0

    return velocity


def test_euler_and_heun_with_the_exact_velocity_sample_the_distribution():
    mu, sigma = 1.5, 0.4
    noise = torch.randn(4000, 1, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    velocity = _gaussian_velocity(mu, sigma)
    errors = {}
    for solver, steps in (("euler", 60), ("euler", 24), ("heun", 12), ("heun", 24)):
        out = flow.sample(velocity, noise, steps=steps, shift=2.0, solver=solver)
        assert abs(out.mean().item() - mu) < 0.01, solver
        errors[solver, steps] = abs(out.std().item() - sigma * noise.std().item())
    assert errors["euler", 60] < 0.02 and errors["heun", 24] < 0.01
    assert errors["heun", 12] < errors["euler", 24]  # second order: better for the same number of evaluations


def test_clean_frames_are_held_and_the_rest_integrated():
    x0 = torch.randn(1, 2, 4, 2, 2)
    noise = torch.randn_like(x0)
    keep = torch.tensor([[True, False, False, False]])
    seen = []

    def velocity(x, t):
        seen.append(t.clone())
        return noise - x0

    out = flow.sample(velocity, noise, steps=3, clean=x0, clean_frames=keep)
    assert torch.equal(out[:, :, 0], x0[:, :, 0]) and torch.allclose(out, x0, atol=1e-6)
    assert all(t[0, 0] == 0 and t[0, 1] > 0 for t in seen)


def test_loss_ignores_clean_frames_and_is_zero_for_a_perfect_x_prediction():
    x0, noise = torch.randn(2, 3, 3, 2, 2), torch.randn(2, 3, 3, 2, 2)
    t = torch.tensor([[0.0, 0.5, 0.5], [0.3, 0.3, 0.3]])
    assert flow.loss(x0, x0, noise, t, "x", 0.05).item() < 1e-10
    wrong_on_clean = x0.clone()
    wrong_on_clean[0, :, 0] += 5
    assert flow.loss(wrong_on_clean, x0, noise, t, "x", 0.05).item() < 1e-10
    assert flow.loss(noise - x0, x0, noise, t, "v", 0.05).item() < 1e-10


def test_shift_moves_time_towards_noise_and_grows_with_tokens():
    cfg = FlowConfig(shift=1.0, base_tokens=256)
    assert flow.shift_for(cfg, 1024) == 2.0
    gen = torch.Generator().manual_seed(0)
    plain = flow.sample_time(4000, cfg, 1.0, gen).median()
    shifted = flow.sample_time(4000, cfg, 3.0, torch.Generator().manual_seed(0)).median()
    assert shifted > plain and abs(plain - 0.5) < 0.05
    sched = flow.schedule(10, 3.0)
    assert sched[0] == 1 and sched[-1] == 0 and (sched[:-1] > sched[1:]).all()


def test_frame_correlated_noise_keeps_unit_variance():
    noise = flow.noise_like((4000, 1, 3, 2, 2), 0.6, torch.Generator().manual_seed(0))
    assert abs(noise.std().item() - 1.0) < 0.02
    a, b = noise[:, 0, 0].flatten(), noise[:, 0, 2].flatten()
    assert abs(torch.corrcoef(torch.stack([a, b]))[0, 1].item() - 0.6) < 0.03
    independent = flow.noise_like((4000, 1, 3, 2, 2), 0.0, torch.Generator().manual_seed(0))
    assert abs(torch.corrcoef(torch.stack([independent[:, 0, 0].flatten(), independent[:, 0, 2].flatten()]))[0, 1].item()) < 0.03
