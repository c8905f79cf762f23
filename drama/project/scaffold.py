"""`drama new NAME`: a project folder that plans and renders out of the box, to be edited from there."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from drama.atomic import atomic_dir
from drama.errors import DramaError
from drama.templates import environment, style_names

FOLDERS = ("episodes", "refs", "locations", "music")
_EPISODE = {"zh": "ep01.txt", "en": "ep01.fountain"}


def create_project(path: Path, *, language: Literal["zh", "en"] = "zh", title: str | None = None) -> list[Path]:
    """Write drama.toml, cast.toml, a sample episode and the empty asset folders; the files written, in order.

    Never touches an existing non-empty folder; the project appears all at once (built aside, then renamed).
    """
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DramaError("already exists and is not empty", path=path, hint="choose a new name, or run it in an empty folder")
    if path.is_dir():
        path.rmdir()  # empty: replaced by the finished project in one rename
    title = title or path.resolve().name
    env = environment(f"scaffold/{language}")
    files = {
        "drama.toml": env.get_template("drama.toml.j2"),
        "cast.toml": env.get_template("cast.toml.j2"),
        f"episodes/{_EPISODE[language]}": env.get_template(f"{_EPISODE[language]}.j2"),
    }
    with atomic_dir(path) as staging:
        for folder in FOLDERS:
            (staging / folder).mkdir()
        for relative, template in files.items():
            (staging / relative).write_text(template.render(title=title, styles=style_names()) + "\n", encoding="utf-8")
    return [path / relative for relative in files]
