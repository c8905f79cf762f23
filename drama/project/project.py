"""Loading a project folder and knowing where everything in it lives."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from drama.errors import DramaError, did_you_mean
from drama.project.config import Cast, DramaConfig

SCREENPLAY_SUFFIXES = (".fountain", ".spmd", ".txt", ".md")

Model = TypeVar("Model", bound=BaseModel)


def _line_of(text: str, key: str) -> int | None:
    """The first line where `key` is assigned or used as a table name, to point errors at it."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(f"{key} ") or stripped.startswith(f"{key}=") or stripped.strip("[]") == key:
            return number
    return None


def load_toml(path: Path, model: type[Model]) -> Model:
    """Read and validate a TOML file, turning every failure into a DramaError that names file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DramaError(f"{path.name} not found", path=path, hint="run `drama new NAME` to scaffold a project") from None
    except UnicodeDecodeError:
        raise DramaError("not UTF-8 text", path=path, hint="save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise DramaError(f"not valid TOML: {error.msg if hasattr(error, 'msg') else error}", path=path, line=line,
                         hint="check quotes, brackets and `key = value` syntax on that line") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = [str(part) for part in first["loc"]]
        key = where[-1] if where else ""
        hint = None
        if first["type"] == "extra_forbidden":
            parent: type[BaseModel] = model
            for part in where[:-1]:
                field = parent.model_fields.get(part)
                annotation = getattr(field, "annotation", None) if field else None
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    parent = annotation
            hint = did_you_mean(key, parent.model_fields) or f"known keys: {', '.join(parent.model_fields)}"
            message = f"unknown key {'.'.join(where)!r}"
        else:
            message = f"{'.'.join(where)}: {first['msg']}"
        raise DramaError(message, path=path, line=_line_of(text, key), hint=hint) from None


class Project:
    """A project folder. Paths of generated data live here so every stage agrees on them."""

    def __init__(self, root: Path, config: DramaConfig, cast: Cast):
        self.root = root
        self.config = config
        self.cast = cast

    @classmethod
    def load(cls, root: Path | str) -> "Project":
        root = Path(root).resolve()
        if not root.is_dir():
            raise DramaError("project folder not found", path=root, hint="give the folder that holds drama.toml")
        config = load_toml(root / "drama.toml", DramaConfig)
        cast_path = root / "cast.toml"
        cast = load_toml(cast_path, Cast) if cast_path.exists() else Cast()
        return cls(root, config, cast)

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def state_dir(self) -> Path:
        return self.root / ".drama"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def renders_dir(self) -> Path:
        return self.root / "renders"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def screenplay_files(self) -> list[Path]:
        if not self.episodes_dir.is_dir():
            return []
        return sorted(p for p in self.episodes_dir.iterdir() if p.suffix.lower() in SCREENPLAY_SUFFIXES)
