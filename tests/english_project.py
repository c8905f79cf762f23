"""A small English project for tests that draw through drama's commands: a screenplay and a drama.toml."""

from __future__ import annotations

from pathlib import Path

SCREENPLAY = """INT. KITCHEN - DAY

Ann pours tea by the window.

ANN
You came back.

EXT. GARDEN - NIGHT

Rain falls on the empty garden.
"""
SHOTS = 3  # SCREENPLAY plans to three shots


def english_project(root: Path, settings: str, *, screenplay: str = SCREENPLAY, title: str = "test") -> Path:
    """`root` as a project: episodes/ep01.fountain holding `screenplay`, and a drama.toml titled `title`, in English,
    with `settings` (its tables: `[video]`, `[render]`, `[engines.NAME]` …)."""
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "ep01.fountain").write_text(screenplay, encoding="utf-8")
    (root / "drama.toml").write_text(f'title = "{title}"\nlanguage = "en"\n{settings}', encoding="utf-8")
    return root


def kling_project(root: Path, passes: str, *, screenplay: str = SCREENPLAY) -> Path:
    """A one-draw project on Kling for a pass over its takes (`passes`: kling-lipsync, kling-extend), both engines
    polled fast (the fake answers in fractions of a second)."""
    return english_project(root, '[video]\nwidth = 144\nheight = 256\nfps = 12\n[render]\nengine = "kling"\ndraws = 1\n'
                                 '[voice]\nbackend = "offline"\n[engines.kling]\npoll_interval = 0.02\n'
                                 f'[engines.{passes}]\npoll_interval = 0.02\n', screenplay=screenplay, title=passes)


def said(capsys) -> str:
    """What the CLI printed, stdout and stderr, with rich's line wrapping undone."""
    out = capsys.readouterr()
    return " ".join((out.out + out.err).split())
