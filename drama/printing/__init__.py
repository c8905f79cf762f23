"""`drama print`: the screenplay typeset as a PDF (Fountain in the industry layout, the Chinese format in a clean
one with its CJK font) and the storyboard as sheets of frames.

The layouts are pure (fountain.py, chinese.py, boards.py: pages of placed text and frames); page.py draws pages
with fpdf2, fonts.py and text.py give the CJK font its glyphs and its line breaks.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from drama.printing import boards, chinese, fountain
from drama.printing.page import Page, draw
from drama.project import Project
from drama.storyboard import episode_script

__all__ = ["Printed", "print_boards", "print_script", "script_pages"]


class Printed(BaseModel):
    path: Path
    pages: int
    missing: list[str] = []  # characters no font has, left blank


def script_pages(project: Project, episode: str) -> list[Page]:
    script, index = episode_script(project, episode)
    return (fountain if script.dialect == "fountain" else chinese).layout(script, [index])


def print_script(project: Project, episode: str, path: Path) -> Printed:
    """The episode's screenplay as a PDF at `path`."""
    pages = script_pages(project, episode)
    missing = draw(pages, path, title=f"{project.config.title} · {episode}")
    return Printed(path=path, pages=len(pages), missing=missing)


def print_boards(project: Project, episode: str, path: Path) -> Printed:
    """The episode's storyboard (the creator's edits applied, timed by the lines voiced) as sheets at `path`."""
    from drama.pipeline import prepare_episode

    storyboard = prepare_episode(project, episode).storyboard
    pages = boards.sheets(storyboard, boards.picked_posters(project, storyboard), zh=project.config.language == "zh")
    missing = draw(pages, path, title=f"{project.config.title} · {episode} · storyboard")
    return Printed(path=path, pages=len(pages), missing=missing)
