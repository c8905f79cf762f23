"""Finding a model's weights on this machine: a local pipeline folder or the Hugging Face cache.

Nothing is downloaded unless the engine was given `allow_download=True`; a missing model is an error
that says where to put it and which model id to fetch.
"""

from __future__ import annotations

import json
from pathlib import Path


class ModelNotFoundError(FileNotFoundError):
    """The weights are not where the engine was told to look. `hint` says how to get them there."""

    def __init__(self, message: str, *, hint: str):
        super().__init__(f"{message}\n  hint: {hint}")
        self.message = message
        self.hint = hint


def resolve_weights(
    *,
    family: str,
    model_dir: Path | None,
    model_id: str,
    cache_dir: Path | None,
    allow_download: bool,
) -> Path:
    """The folder holding a diffusers pipeline (`model_index.json` plus one subfolder per component).

    `model_dir` wins when given; otherwise `model_id` is looked up in the Hugging Face cache
    (`cache_dir`, else the default cache) and fetched only when `allow_download` is set.
    """
    if model_dir is not None:
        folder = model_dir.expanduser()
        if not (folder / "model_index.json").is_file():
            what = "does not exist" if not folder.exists() else "has no model_index.json (not a diffusers pipeline folder)"
            raise ModelNotFoundError(
                f"{family} model folder {folder} {what}",
                hint=f"download the diffusers weights there with `hf download {model_id} --local-dir {folder}`, "
                f"or set model_dir to the folder that holds model_index.json",
            )
        return folder
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, cache_dir=cache_dir, local_files_only=not allow_download))
    except LocalEntryNotFoundError:
        cache = cache_dir or _default_cache()
        raise ModelNotFoundError(
            f"{family} model {model_id} is not in the Hugging Face cache ({cache})",
            hint=f"fetch it with `hf download {model_id}`, point model_dir at a local copy, "
            f"or set allow_download = true to let drama download it",
        ) from None


def pipeline_class_name(folder: Path) -> str:
    """The diffusers pipeline class a folder was saved from (`_class_name` in model_index.json)."""
    return str(json.loads((folder / "model_index.json").read_text(encoding="utf-8"))["_class_name"])


def _default_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)
