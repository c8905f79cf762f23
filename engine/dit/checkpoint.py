"""Checkpoints as a folder: config.json plus safetensors weights (EMA weights for inference) and,
for resuming, the raw weights and optimiser moments. Written beside the target and renamed into
place, so an interrupted save never leaves a half-written checkpoint."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from engine.dit.config import ModelConfig
from engine.dit.models.text import ByteTextEncoder, build_text_encoder, text_width
from engine.dit.models.transformer import DiT
from engine.dit.models.vae import CausalVAE

FORMAT = "drama-dit"
FORMAT_VERSION = 1


def build_models(config: ModelConfig) -> tuple[CausalVAE, DiT, nn.Module]:
    vae = CausalVAE(config.vae)
    text = build_text_encoder(config.text)
    dit = DiT(config.dit, config.vae.latent_channels, text_width(config.text))
    return vae, dit, text


def _tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def flatten_optimizer(prefix: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    """Optimiser state as flat tensors (safetensors holds no nesting) plus its JSON-able groups."""
    state = optimizer.state_dict()
    flat = {f"{prefix}.{index}.{key}": value.detach().cpu().contiguous() for index, slots in state["state"].items() for key, value in slots.items()}
    return flat, state["param_groups"]


def unflatten_optimizer(prefix: str, flat: dict[str, torch.Tensor], groups: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in flat.items():
        head, _, rest = name.partition(".")
        if head != prefix:
            continue
        index, _, key = rest.partition(".")
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    path: Path,
    config: ModelConfig,
    vae: CausalVAE,
    dit: nn.Module,
    text: nn.Module,
    training: dict[str, torch.Tensor] | None = None,
    state: dict[str, Any] | None = None,
) -> None:
    """Write the checkpoint folder atomically; `dit`/`text` should be the EMA copies."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.partial"
    tmp.mkdir()  # 0777 less the umask, like every folder drama writes (mkdtemp's 0700 locked the team out)
    try:
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **config.model_dump(mode="json")}
        (tmp / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        save_file(_tensors(vae), tmp / "vae.safetensors")
        save_file(_tensors(dit), tmp / "dit.safetensors")
        if isinstance(text, ByteTextEncoder):
            save_file(_tensors(text), tmp / "text_encoder.safetensors")
        if training is not None:
            save_file(training, tmp / "training.safetensors")
            (tmp / "training.json").write_text(json.dumps(state or {}, indent=2) + "\n", encoding="utf-8")
        old = path.with_name(f".{path.name}.old")
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.rename(path, old)
        os.rename(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_config(path: Path) -> ModelConfig:
    file = Path(path) / "config.json"
    if not file.exists():
        raise FileNotFoundError(f"not a DiT checkpoint (no config.json): {path}")
    data = json.loads(file.read_text(encoding="utf-8"))
    if data.pop("format", None) != FORMAT:
        raise ValueError(f"{file}: not a {FORMAT} checkpoint")
    data.pop("format_version", None)
    return ModelConfig.model_validate(data)


def load_checkpoint(path: Path, device: str | torch.device = "cpu") -> tuple[ModelConfig, CausalVAE, DiT, nn.Module]:
    """Config and inference models (eval mode) of a checkpoint folder."""
    path = Path(path)
    config = read_config(path)
    vae, dit, text = build_models(config)
    vae.load_state_dict(load_file(path / "vae.safetensors"))
    dit.load_state_dict(load_file(path / "dit.safetensors"))
    if isinstance(text, ByteTextEncoder):
        text.load_state_dict(load_file(path / "text_encoder.safetensors"))
    for module in (vae, dit, text):
        module.to(device).eval().requires_grad_(False)
    return config, vae, dit, text


def load_training(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    path = Path(path)
    if not (path / "training.safetensors").exists():
        return None
    return load_file(path / "training.safetensors"), json.loads((path / "training.json").read_text(encoding="utf-8"))
