"""`drama print`: the screenplay typeset as a PDF (Fountain in the industry layout, the Chinese format in a clean
one with its CJK font) and the storyboard as sheets of frames.

The layouts are pure (fountain.py, chinese.py, boards.py: pages of placed text and frames); page.py draws pages
with fpdf2, fonts.py and text.py give the CJK font its glyphs and its line breaks.
"""

from __future__ import annotations

from pathlib import Path

from drama.printing import boards, chinese, fountain
from drama.printing.page import Page, draw
from drama.project import Project
from drama.storyboard import episode_script

__all__ = ["print_boards", "print_script", "script_pages"]


def script_pages(project: Project, episode: str) -> list[Page]:
    script, index = episode_script(project, episode)
    return (fountain if script.dialect == "fountain" else chinese).layout(script, [index])


def print_script(project: Project, episode: str, path: Path) -> int:
    """The episode's screenplay as a PDF at `path`; the number of pages."""
    pages = script_pages(project, episode)
    draw(pages, path, title=f"{project.config.title} · {episode}")
    return len(pages)


def print_boards(project: Project, episode: str, path: Path) -> int:
    """The episode's storyboard (the creator's edits applied, timed by the lines voiced) as sheets at `path`."""
    from drama.pipeline import prepare_episode

    storyboard = prepare_episode(project, episode).storyboard
    pages = boards.sheets(storyboard, boards.picked_posters(project, storyboard), zh=project.config.language == "zh")
    draw(pages, path, title=f"{project.config.title} · {episode} · storyboard")
    return len(pages)
