"""API keys for remote engines come from the environment, or from a dotenv file *outside* the project that the
user points to with DRAMA_ENV_FILE (a project folder is shared and committed; keys must never be in it)."""

from __future__ import annotations

import os
from pathlib import Path

from drama.errors import DramaError
from drama.project.project import Project

ENV_FILE = "DRAMA_ENV_FILE"


def load_secrets(project: Project) -> list[str]:
    """Put the variables of $DRAMA_ENV_FILE into this process's environment (variables already set win);
    returns their names. Refuses a file inside the project."""
    name = os.environ.get(ENV_FILE, "").strip()
    if not name:
        return []
    from dotenv import dotenv_values

    path = Path(name).expanduser().resolve()
    if path.is_relative_to(project.root.resolve()):
        raise DramaError(f"{ENV_FILE} points inside the project", path=path,
                         hint="keep keys outside the project folder (it is shared and committed), e.g. ~/.config/drama.env")
    if not path.is_file():
        raise DramaError(f"{ENV_FILE} names no file", path=path, hint=f"fix {ENV_FILE} or unset it")
    loaded = []
    for key, value in dotenv_values(path).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
            loaded.append(key)
    return loaded
