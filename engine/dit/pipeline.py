"""Sampling: prompt (+ first frame, references, controls, camera) → latents → frames.

Videos longer than the model's chunk are generated autoregressively: each new chunk is sampled with
the last latent frames of the one before given clean at t = 0 and RoPE time continued, and the whole
latent sequence is decoded by the causal VAE chunk by chunk, so length is bounded by time, not memory.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.dit import flow
from engine.dit.camera import to_latent_grid
from engine.dit.checkpoint import load_checkpoint
from engine.dit.config import ModelConfig
from engine.dit.data import aspect_bucket
from engine.dit.models.transformer import DiT
from engine.dit.models.vae import CausalVAE

EXTEND_CONTEXT = 1  # latent frames (4 video frames) carried into each next chunk


class DiTPipeline:
    def __init__(self, config: ModelConfig, vae: CausalVAE, dit: DiT, text: nn.Module, device: str | torch.device = "cpu"):
        self.config, self.vae, self.dit, self.text = config, vae, dit, text
        self.device = torch.device(device)

    @classmethod
    def from_checkpoint(cls, path: Path, device: str = "cpu") -> DiTPipeline:
        config, vae, dit, text = load_checkpoint(path, device)
        return cls(config, vae, dit, text, device)

    # latent space ------------------------------------------------------------------------------
    @torch.no_grad()
    def sample_latents(
        self,
        prompts: list[str],
        latent_shape: tuple[int, int, int],
        seeds: list[int],
        fps: float,
        motion: int = 2,
        steps: int | None = None,
        guidance: float | None = None,
        solver: str | None = None,
        negative_prompt: str = "",
        context: torch.Tensor | None = None,
        t_offset: float = 0.0,
        controls: torch.Tensor | None = None,
        camera: torch.Tensor | None = None,
        references: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[B, C, T, H, W] latents; `context` [B, C, k, H, W] are the first k latent frames, given clean."""
        fc, dev = self.config.flow, self.device
        steps, guidance, solver = steps or fc.sample_steps, fc.guidance if guidance is None else guidance, solver or fc.solver
        b, (frames, h, w) = len(prompts), latent_shape
        c = self.config.vae.latent_channels
        noise = torch.cat([flow.noise_like((1, c, frames, h, w), fc.frame_noise_corr, torch.Generator().manual_seed(s)) for s in seeds]).to(dev)
        clean, keep = None, None
        if context is not None:
            k = context.shape[2]
            clean = torch.zeros_like(noise)
            clean[:, :, :k] = context.to(dev)
            keep = (torch.arange(frames, device=dev) < k)[None].expand(b, -1)
        use_cfg = guidance != 1.0
        text, mask = self.text.encode(list(prompts) + [negative_prompt] * b if use_cfg else list(prompts))
        n = text.shape[0]
        ratios = self.config.dit.aspect_ratios
        aspect = torch.full((n,), aspect_bucket(w, h, ratios), dtype=torch.long, device=dev)
        fps_t = torch.full((n,), float(fps), device=dev)
        motion_t = torch.full((n,), motion, dtype=torch.long, device=dev)
        twice = (lambda x: None if x is None else torch.cat([x, x])) if use_cfg else (lambda x: x)
        controls, camera, references = twice(controls), twice(camera), twice(references)
        pt, ph, pw = self.config.dit.patch
        shift = flow.shift_for(fc, (frames // pt) * (h // ph) * (w // pw))

        def velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            xx, tt = (torch.cat([x, x]), torch.cat([t, t])) if use_cfg else (x, t)
            pred = self.dit(xx, tt, text, mask, fps_t, motion_t, aspect, t_offset, controls, camera, references)
            v = flow.to_velocity(pred.float(), xx, tt, self.config.dit.prediction, fc.t_min)
            if not use_cfg:
                return v
            v_cond, v_uncond = v.chunk(2)
            return v_uncond + guidance * (v_cond - v_uncond)

        return flow.sample(velocity, noise, steps, shift, solver, clean, keep)

    # pixels ------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_image(self, image: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """[3, H, W] in [-1, 1] → [C, 1, h, w] latents of the image as a one-frame video at (height, width)."""
        image = F.interpolate(image[None], size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        return self.vae.encode(image[:, :, None].to(self.device))[0]

    @torch.no_grad()
    def generate(
        self,
        prompt: str,
        num_frames: int,
        height: int,
        width: int,
        fps: float,
        seed: int = 0,
        *,
        first_frame: torch.Tensor | None = None,  # [3, H, W] in [-1, 1]
        references: list[torch.Tensor] = (),  # images [3, H, W]
        controls: dict[str, torch.Tensor] | None = None,  # kind → [3, T, H, W] control video
        control_strengths: dict[str, float] | None = None,  # kind → scale of its latents (default 1)
        camera: torch.Tensor | None = None,  # [6, T, H, W] Plücker rays
        **sampling,
    ) -> torch.Tensor:
        """[3, num_frames, height, width] in [-1, 1]."""
        m = self.config.latent_multiple
        gh, gw = -(-height // m) * m, -(-width // m) * m  # generate at the next multiple, crop at the end
        total, lh, lw = self.vae.latent_shape(num_frames, gh, gw)
        control_latents = self.control_latents(controls, control_strengths or {}, num_frames, gh, gw)
        camera_latents = self.camera_latents(camera, num_frames, gh, gw)
        refs = torch.cat([self.encode_image(r, gh, gw) for r in references], dim=1)[None] if references else None
        context = self.encode_image(first_frame, gh, gw)[None] if first_frame is not None else None
        window = self.config.dit.max_latent_frames
        latents = torch.zeros(1, self.config.vae.latent_channels, 0, lh, lw, device=self.device)
        while (produced := latents.shape[2]) < total:
            start = produced - context.shape[2] if produced else 0  # the first chunk's context is its own frame 0
            frames = min(window, total - start)
            chunk = self.sample_latents(
                [prompt], (frames, lh, lw), [seed + produced], fps,
                context=context, t_offset=float(start),
                controls=None if control_latents is None else control_latents[:, :, start : start + frames],
                camera=None if camera_latents is None else camera_latents[:, :, start : start + frames],
                references=refs, **sampling,
            )
            latents = torch.cat([latents, chunk[:, :, produced - start :]], dim=2)
            context = latents[:, :, -EXTEND_CONTEXT:]
        video = self.vae.decode(latents, chunk_latents=window).clamp(-1, 1)
        return video[0, :, :num_frames, :height, :width]

    def control_latents(
        self, controls: dict[str, torch.Tensor] | None, strengths: dict[str, float], frames: int, height: int, width: int
    ) -> torch.Tensor | None:
        """Each control video encoded by the VAE, stacked on channels in the config's order; zeros where absent."""
        if not controls:
            return None
        kinds = self.config.dit.control_kinds
        unknown = sorted(set(controls) - set(kinds))
        if unknown:
            raise ValueError(f"this checkpoint takes controls {list(kinds) or 'none'}; it cannot use {unknown}")
        lt, lh, lw = self.vae.latent_shape(frames, height, width)
        parts = []
        for kind in kinds:
            video = controls.get(kind)
            if video is None:
                parts.append(torch.zeros(1, self.config.vae.latent_channels, lt, lh, lw, device=self.device))
                continue
            video = _fit(video, frames, height, width).to(self.device)
            latents = self.vae.encode(video[None], chunk_latents=self.config.dit.max_latent_frames)
            parts.append(latents * strengths.get(kind, 1.0))
        return torch.cat(parts, dim=1)

    def camera_latents(self, rays: torch.Tensor | None, frames: int, height: int, width: int) -> torch.Tensor | None:
        """[6, T, H, W] Plücker rays averaged onto the latent grid as [1, 6, t, h, w] (None when the model takes no camera)."""
        if rays is None or not self.config.dit.camera:
            return None
        rays = self.vae.pad(_fit(rays, frames, height, width)[None])
        return to_latent_grid(rays, self.config.vae.time_factor, self.config.vae.space_factor).to(self.device)


def _fit(video: torch.Tensor, frames: int, height: int, width: int) -> torch.Tensor:
    """[C, T, H, W] resized to (height, width), its last frame repeated or extra frames cut to `frames`."""
    video = video[:, :frames]
    if video.shape[1] < frames:
        video = torch.cat([video, video[:, -1:].expand(-1, frames - video.shape[1], -1, -1)], dim=1)
    if video.shape[2:] != (height, width):
        video = F.interpolate(video.transpose(0, 1), size=(height, width), mode="bilinear", align_corners=False).transpose(0, 1)
    return video
