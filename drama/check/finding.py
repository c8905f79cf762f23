"""One finding of `drama check`: how bad it is, where (file and line), what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
FindingKind = Literal[
    "parse",  # the screenplay cannot be read at all
    "speaker",  # a cue names no character of the cast (or one close to another's name)
    "unlisted",  # someone speaks in a scene whose 人物 line leaves them out
    "long_line",  # a line too long for one subtitle cue or one shot
    "no_heading",  # a scene (or a screenplay) with no heading
    "heading",  # a heading whose time or place cannot be read
    "direction",  # a 【镜头】 / [[…]] direction the planner cannot read
    "transition",  # a transition the edit cannot do where it is written
    "length",  # an episode far from the target length
    "description",  # a character with no description for the prompts
    "portrait",  # a character on screen with no portrait
    "music",  # no music bed
    "voice",  # a voice that is a guess
]


class Finding(BaseModel):
    severity: Severity
    kind: FindingKind
    message: str
    fix: str
    file: Path | None = None
    line: int | None = None
    episode: str | None = None  # the episode it was found in, when it belongs to one

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)


def sort_key(finding: Finding) -> tuple:
    """By file, then line (file-level findings first), then severity."""
    return (str(finding.file or ""), finding.line or 0, SEVERITIES.index(finding.severity))
