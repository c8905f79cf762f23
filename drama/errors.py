"""The one error type a creator sees: what went wrong, where (file and line), and what to do about it.

Every module raises DramaError (or a subclass) for bad input; the CLI prints it without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class DramaError(Exception):
    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean …?' hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None
