"""Prompts for the video engine, rendered from templates/prompts/*.j2 with the project's style preset.

Templates and presets are package data (read once and cached), so rendering reads nothing from the project.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from math import gcd

import jinja2
from pydantic import BaseModel, ConfigDict, ValidationError

from drama.errors import DramaError, did_you_mean
from drama.storyboard.model import Shot
from drama.templates import environment, style_names, template_dir

_TIME_WORDS = {
    "day": "daylight", "night": "night", "dawn": "dawn, first light", "dusk": "dusk, golden hour",
    "morning": "morning light", "evening": "evening", "continuous": "same moment", "unknown": "",
}


class Style(BaseModel):
    """A style preset from templates/styles/<name>.toml: fragments added to every prompt."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    prompt: str
    negative: str = ""


@lru_cache(maxsize=None)
def load_style(name: str) -> Style:
    path = template_dir() / "styles" / f"{name}.toml"
    if not path.is_file():
        raise DramaError(f"unknown style {name!r}", hint=did_you_mean(name, style_names()) or f"styles: {', '.join(style_names())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Style.model_validate({"name": name, **data})
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise DramaError(f"broken style preset: {error}", path=path) from None


def _sentence(text: str) -> str:
    """Script text as one prompt sentence: inner line breaks joined, one full stop at the end."""
    text = " ".join(text.split()).rstrip()
    return text if text[-1:] in "。.!?！？…" else f"{text}."


def _side(x: float) -> str:
    return "left" if x < 0.42 else "right" if x > 0.58 else "center"


def frame_words(width: int, height: int) -> str:
    if height > width:
        return f"vertical {_ratio(width, height)} frame"
    return f"horizontal {_ratio(width, height)} frame" if width > height else "square frame"


def _ratio(width: int, height: int) -> str:
    divisor = gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


@lru_cache(maxsize=None)
def _template(name: str) -> jinja2.Template:
    return environment("prompts").get_template(name)


def render_prompt(shot: Shot, *, cast: dict[str, str], expression: str | None, style: Style, frame: str) -> tuple[str, str]:
    """(prompt, negative prompt) for one shot; whitespace collapsed to one paragraph."""
    template = _template("title_card.j2" if shot.kind == "title_card" else "shot.j2")
    text = template.render(shot=shot, cast=cast, expression=expression, style=style, frame=frame,
                           time=_TIME_WORDS.get(shot.time_of_day, shot.time_of_day), side=_side,
                           sentence=_sentence)
    prompt = " ".join(text.split())
    negative = "" if shot.kind == "title_card" else style.negative
    return prompt, negative
