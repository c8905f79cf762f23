"""Text encoders: anything that turns prompts into `[B, L, D]` tokens plus a `[B, L]` mask.

`ByteTextEncoder` is small and trained with the DiT: it reads UTF-8 bytes, so Chinese prompts work
with no vocabulary. `PretrainedTextEncoder` is the slot for a large frozen encoder (T5, UMT5 …)
loaded from a local folder, used where one exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from engine.dit.config import TextConfig

PAD, BOS, EOS, BYTE_OFFSET = 0, 1, 2, 3


class TextEncoder(Protocol):
    width: int

    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens [B, L, width] and a bool mask [B, L] (True = real token)."""
        ...


def tokenize_bytes(prompts: list[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """UTF-8 bytes between BOS and EOS, cut to max_length, padded to the longest prompt."""
    rows = [[BOS] + [b + BYTE_OFFSET for b in p.encode("utf-8")][: max_length - 2] + [EOS] for p in prompts]
    length = max(len(r) for r in rows)
    ids = torch.full((len(rows), length), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
    return ids, ids != PAD


class ByteTextEncoder(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.width = cfg.width
        self.embed = nn.Embedding(256 + BYTE_OFFSET, cfg.width)
        self.pos = nn.Parameter(torch.randn(cfg.max_length, cfg.width) * 0.02)
        layer = nn.TransformerEncoderLayer(
            cfg.width, cfg.heads, 4 * cfg.width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.width)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.embed(ids) + self.pos[: ids.shape[1]]
        return self.norm(self.layers(h, src_key_padding_mask=~mask))

    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.pos.device
        ids, mask = tokenize_bytes(prompts, self.cfg.max_length)
        ids, mask = ids.to(device), mask.to(device)
        return self(ids, mask), mask


class PretrainedTextEncoder(nn.Module):
    """A frozen Hugging Face encoder from a local folder (no downloads); needs `transformers`."""

    def __init__(self, cfg: TextConfig):
        super().__init__()
        path = Path(cfg.pretrained_path or "")
        if not cfg.pretrained_path or not path.is_dir():
            raise FileNotFoundError(f"pretrained text encoder folder not found: {path}; set text.pretrained_path to a local model folder")
        try:
            import transformers
        except ImportError as error:
            raise ImportError("a pretrained text encoder needs the `transformers` package: pip install transformers") from error
        self.cfg = cfg
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        model_type = transformers.AutoConfig.from_pretrained(path, local_files_only=True).model_type
        encoder_only = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}.get(model_type)
        loader = getattr(transformers, encoder_only) if encoder_only else transformers.AutoModel
        model = loader.from_pretrained(path, local_files_only=True)
        self.model = model.get_encoder() if hasattr(model, "get_encoder") and not encoder_only else model
        self.model.requires_grad_(False).eval()
        self.width = cfg.pretrained_dim or self.model.config.hidden_size

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        batch = self.tokenizer(prompts, padding=True, truncation=True, max_length=self.cfg.max_length, return_tensors="pt")
        device = next(self.model.parameters()).device
        out = self.model(input_ids=batch.input_ids.to(device), attention_mask=batch.attention_mask.to(device))
        return out.last_hidden_state, batch.attention_mask.bool().to(device)


def build_text_encoder(cfg: TextConfig) -> ByteTextEncoder | PretrainedTextEncoder:
    return ByteTextEncoder(cfg) if cfg.kind == "bytes" else PretrainedTextEncoder(cfg)


def text_width(cfg: TextConfig) -> int:
    """The width the DiT's cross-attention reads, known before any weights are loaded."""
    if cfg.kind == "bytes":
        return cfg.width
    if cfg.pretrained_dim is None:
        raise ValueError("text.pretrained_dim must give the pretrained encoder's hidden size")
    return cfg.pretrained_dim
