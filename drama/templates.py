"""Where the jinja2 templates live (a checkout or an installed wheel) and the one Environment that renders them.

Prompts and the review pages share this so both find the same files and escape the same way.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

_PACKAGE_DIR = Path(__file__).resolve().parent


def template_dir() -> Path:
    """`drama/_templates` inside an installed wheel (pyproject force-includes templates/ there), else the checkout's `templates/`."""
    installed = _PACKAGE_DIR / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "templates"


def style_names() -> list[str]:
    """The style presets a drama.toml may name: templates/styles/<name>.toml."""
    return sorted(path.stem for path in (template_dir() / "styles").glob("*.toml"))


@lru_cache(maxsize=None)
def environment(subdir: str = "", *, autoescape: bool = False) -> jinja2.Environment:
    """A cached Environment over template_dir()/subdir; StrictUndefined so a template typo fails loudly.

    Prompts are plain text (autoescape off); HTML pages ask for autoescape=True.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir() / subdir if subdir else template_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
