"""Loading a project folder and knowing where everything in it lives."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from drama.errors import ProjectError, did_you_mean, os_fault
from drama.project.config import Cast, DramaConfig
from drama.screenplay.source import inside_project
from drama.templates import style_names

SCREENPLAY_SUFFIXES = (".fountain", ".spmd", ".txt", ".md")
PATH_OPTIONS = ("checkpoint", "workflow")  # engine options that name a file, relative to the project

Model = TypeVar("Model", bound=BaseModel)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _key_path(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in raw.split("."))


def toml_line(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line that defines `loc` (as pydantic reports it: ("character", 2, "color")), or the nearest table holding it.

    Walks the file tracking [tables] and [[arrays of tables]] so the third character's bad colour points at
    the third character, not the first.
    """
    wanted = tuple(str(part) for part in loc)
    counters: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    best_line, best_depth = None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = _key_path(header.group(2))
            if header.group(1) == "[[":
                counters[name] = counters.get(name, -1) + 1
                table = (*name, str(counters[name]))
            else:
                table = name
            path = table
        else:
            key = _KEY.match(line)
            if not key or line.lstrip().startswith("#"):
                continue
            path = (*table, *_key_path(key.group(1)))
        depth = 0
        while depth < min(len(path), len(wanted)) and path[depth] == wanted[depth]:
            depth += 1
        if depth == len(path) and depth > best_depth:
            best_line, best_depth = number, depth
    return best_line


def _model_at(model: type[BaseModel], keys: list[str]) -> type[BaseModel]:
    """The nested model a dotted key path lands in, looking through list[...] of models."""
    for key in keys:
        field = model.model_fields.get(key)
        candidates = [field.annotation, *typing.get_args(field.annotation)] if field else []
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return model


def load_toml(path: Path, model: type[Model]) -> Model:
    """Read and validate a TOML file, turning every failure into a DramaError that names file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProjectError(f"{path.name} not found", path=path, hint="run `drama new NAME` to scaffold a project") from None
    except IsADirectoryError:
        raise ProjectError(f"{path.name} is a folder, not a file", path=path,
                           hint=f"move the folder aside and put the project's {path.name} there") from None
    except UnicodeDecodeError:
        raise ProjectError("not UTF-8 text", path=path, hint="save the file as UTF-8") from None
    except OSError as error:
        raise (os_fault(error, path=path, doing="read it") or error) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)|\(at end of document\)", str(error))
        line = int(found.group(1)) if found and found.group(1) else len(text.splitlines()) or None
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise ProjectError(f"not valid TOML: {reason}", path=path, line=line,
                           hint="check quotes, brackets and `key = value` syntax on that line") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        where = "".join(f"[{part + 1}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        key = str(loc[-1]) if loc else ""
        hint = None
        if first["type"] == "extra_forbidden":
            parent = _model_at(model, [part for part in loc[:-1] if isinstance(part, str)])
            hint = did_you_mean(key, parent.model_fields) or f"known keys: {', '.join(parent.model_fields)}"
            message = f"unknown key {where!r}"
        else:
            message = f"{where}: {first['msg']}"
        raise ProjectError(message, path=path, line=toml_line(text, loc), hint=hint) from None


def list_screenplays(folder: Path) -> list[Path]:
    """The screenplay files of an episodes/ folder, in name order (ep01, ep02 …)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SCREENPLAY_SUFFIXES)


def _check_engine_tables(path: Path, config: DramaConfig) -> None:
    """Every `[engines.NAME]` table names an engine there is (a misspelt one would be silently ignored)."""
    from engine.registry import available_engines

    known = available_engines()
    for name in config.engines:
        if name not in known:
            raise ProjectError(f"[engines.{name}]: there is no engine {name!r}", path=path,
                               line=toml_line(path.read_text(encoding="utf-8-sig"), ("engines", name)),
                               hint=did_you_mean(name, known) or f"engines: {', '.join(known)}")


def _check_style(path: Path, config: DramaConfig) -> None:
    styles = style_names()
    if config.style not in styles:
        raise ProjectError(f"unknown style {config.style!r}", path=path, line=toml_line(path.read_text(encoding="utf-8-sig"), ("style",)),
                           hint=did_you_mean(config.style, styles) or f"styles: {', '.join(styles)}")


# The first bytes of the audio files a reference clip may be: WAV, FLAC, Ogg, MP3 with ID3 tags, AIFF, WebM/Matroska;
# then MP4/M4A (`ftyp` at 4) and a bare MPEG audio frame (11 sync bits).
AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"FORM", b"\x1aE\xdf\xa3")


def _clip_problem(clip: Path) -> tuple[str, str] | None:
    """Why a reference clip (`voice_ref`) cannot be cloned from, and what to do; None when it can be read as audio."""
    if clip.is_dir():
        return "is a folder", "point `voice_ref` at an audio file"
    try:
        with clip.open("rb") as handle:
            head = handle.read(12)
    except FileNotFoundError:
        return "is not there", "put the clip there (a WAV of 3-10 s of their voice), or fix `voice_ref`"
    except OSError as error:
        return f"cannot be read ({error.strerror})", "make the clip readable by you (chmod u+r), or fix `voice_ref`"
    if not (head.startswith(AUDIO_MAGIC) or head[4:8] == b"ftyp" or (len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0)):
        return ("is empty" if not head else "is not an audio file",
                "point `voice_ref` at a WAV (or FLAC, MP3, Ogg, M4A) of 3-10 s of their voice")
    return None


def _check_cast(root: Path, path: Path, cast: Cast) -> None:
    """Names that collide, and portraits and reference clips that are not there: errors at the line that says so."""
    text = path.read_text(encoding="utf-8-sig")
    owners: dict[str, int] = {}  # name or alias -> the index of the [[character]] that has it
    for index, character in enumerate(cast.character):
        for name in character.all_names:
            owner = owners.setdefault(name.casefold(), index)
            if owner != index or character.all_names.count(name) > 1:
                raise ProjectError(f"the name {name!r} is used twice (by {cast.character[owner].name!r} and "
                                   f"{character.name!r})", path=path,
                                   line=toml_line(text, ("character", index, "aliases" if name != character.name else "name")),
                                   hint="every name and alias must point at one character")
        for number, reference in enumerate(character.references):
            image = root / reference
            if not image.is_file():
                raise ProjectError(f"reference image of {character.name!r} not found: {image}", path=path,
                                   line=toml_line(text, ("character", index, "references", number)),
                                   hint="put the portrait there, or remove it from `references` until it exists")
        if character.voice_ref and (problem := _clip_problem(root / character.voice_ref)):
            raise ProjectError(f"the reference clip of {character.name!r} {problem[0]}: {root / character.voice_ref}",
                               path=path, line=toml_line(text, ("character", index, "voice_ref")), hint=problem[1])


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
            raise ProjectError("project folder not found", path=root, hint="give the folder that holds drama.toml")
        config = load_toml(root / "drama.toml", DramaConfig)
        _check_style(root / "drama.toml", config)
        _check_engine_tables(root / "drama.toml", config)
        cast_path = root / "cast.toml"
        cast = load_toml(cast_path, Cast) if cast_path.exists() else Cast()
        if cast.character:
            _check_cast(root, cast_path, cast)
        return cls(root, config, cast)

    def engine_options(self, engine: str, *, pixels_only: bool = False) -> dict[str, str | int | float | bool]:
        """`[render] engine_options` with `[engines.NAME]` on top (scheduler keys aside); with `pixels_only`,
        only what can change the pixels (the request options, part of every cache key). File options
        (a checkpoint, a workflow) given relative to the project are made absolute."""
        settings = self.config.engine_settings(engine)
        options = {**self.config.render.engine_options,
                   **(settings.pixel_options if pixels_only else settings.options)}
        for key in PATH_OPTIONS:
            value = options.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                options[key] = str(self.root / value)
        return options

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
        return [inside_project(path, self.root) for path in list_screenplays(self.episodes_dir)]
