"""The one error type a creator sees: what went wrong, where (file and line), and what to do about it.

Every module raises DramaError, or the subclass of its area, so scripts and tests can tell faults apart; the CLI
prints it without a traceback. `os_fault` and `store_fault` put a failed write to disk or to the state store into
the same words, so a full disk or a read-only folder reads alike wherever it is met.
"""

from __future__ import annotations

import difflib
import errno
import sqlite3
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


class ScreenplayError(DramaError):
    """An episode's screenplay: unreadable, or a line the parser cannot take."""


class ProjectError(DramaError):
    """The project folder: drama.toml, cast.toml, .drama/ (state store, locks, caches), what may be written there."""


class VoiceError(DramaError):
    """Speaking the lines: a voice backend missing or failing, a line's audio unreadable."""


class RenderError(DramaError):
    """Drawing candidates: jobs, picks, the draws in renders/."""


class EngineError(DramaError):
    """A video engine: unknown, not ready (weights, keys, a server), or failing."""


class ExportError(DramaError):
    """The final cut: exports/, the encode."""


_OS_FAULTS = {  # errno → (what it means, what to do)
    errno.EROFS: ("the file system is read-only", "make the project folder writable (or copy it somewhere writable) "
                                                  "and run again"),
    errno.EACCES: ("permission denied", "make the project folder writable by you (chmod -R u+w PROJECT) and run again"),
    errno.EPERM: ("not permitted", "make the project folder writable by you (chmod -R u+w PROJECT) and run again"),
    errno.ENOSPC: ("the disk is full", "free some space on that disk and run again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space (or raise the quota) and run again"),
    errno.EISDIR: ("a folder is where drama expects a file", "move the folder aside (or rename it) and run again"),
    errno.ENOTDIR: ("a file is where drama expects a folder", "move the file aside (or rename it) and run again"),
    errno.EEXIST: ("something else is already there", "move it aside (or rename it) and run again"),
    errno.ENAMETOOLONG: ("the path is too long for the file system", "move the project to a shorter path and run again"),
}


def os_fault(error: OSError, *, path: Path | str | None = None, kind: type[DramaError] = ProjectError,
             doing: str = "write") -> DramaError | None:
    """`error` said in words, naming the file (`path`, else the one the OS named) and what to do; None when it is
    not one of the faults a creator fixes on their side (a missing file is said where it is looked for)."""
    if error.errno not in _OS_FAULTS:
        return None
    meaning, todo = _OS_FAULTS[error.errno]
    return kind(f"cannot {doing}: {meaning}", path=path if path is not None else error.filename, hint=todo)


def store_fault(error: sqlite3.Error, path: Path | str) -> ProjectError:
    """A state-store (SQLite) error said in words, naming the database file and what to do."""
    text = str(error)
    if "readonly" in text:
        meaning, todo = "the project folder is read-only", "make the project folder writable and run again"
    elif "disk is full" in text:
        meaning, todo = "the disk is full", "free some space on that disk and run again"
    elif "not a database" in text or "malformed" in text:
        meaning, todo = ("it is damaged (not a SQLite database drama can read)",
                         f"move it aside (mv {path} {path}.damaged) and run again: a new store is started, the "
                         "draws in renders/ are found again; the picks and edits kept in it are not")
    elif "locked" in text:
        meaning, todo = "another drama process has held it too long", "let that process finish and run again"
    elif "unable to open" in text:
        meaning, todo = ("it cannot be opened (a folder in its place, or no permission)",
                         "make it a file drama may write, in a writable .drama/ folder, and run again")
    else:
        return ProjectError(f"the state store failed: {text}", path=path, hint="run again with --debug for the details")
    return ProjectError(f"the state store failed: {meaning} (sqlite: {text})", path=path, hint=todo)


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean …?' hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None
