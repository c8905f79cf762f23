"""`drama review --watch`: the review page follows the screenplay as it is written. The files a plan reads are
looked at five times a second; a save (in any editor) re-plans the episode and makes a new revision: which shots the
save added or changed and how (drama.storyboard.diff), which it removed, and every `drama check` finding with its
line and the cards it belongs to. The page gets each revision as a server-sent event and updates in place.

Only reads: a revision is computed from the project's files, and the event stream sends revisions, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from drama.check import Finding, check
from drama.errors import DramaError
from drama.storyboard.diff import FieldChange, diff
from drama.storyboard.model import Shot, Storyboard

POLL = 0.2  # seconds between looks at the files: a save is seen within this and re-planned within a second
KEEP_ALIVE = 15.0  # seconds of quiet after which the stream sends a comment, so proxies and browsers keep it open
RETRY_MS = 1000  # how soon a browser reconnects a dropped stream


class Mark(BaseModel):
    """A shot the last save added or changed, as its card shows it."""

    shot: str
    change: Literal["added", "changed"]
    fields: list[FieldChange] = []


class Removed(BaseModel):
    """A shot the last save removed: it has no card any more, so the panel names it."""

    index: int
    scene: str
    kind: str
    speaker: str | None = None
    text: str | None = None
    action: str | None = None


class Note(BaseModel):
    """A `drama check` finding as the page shows it: where relative to the project, and the cards of its line."""

    severity: str
    kind: str
    message: str
    fix: str
    where: str
    line: int | None = None
    shots: list[str] = []


class Revision(BaseModel):
    """What the page knows after a save. `error` when the episode cannot be planned: the cards then stay as the last
    plan that worked, and so do their marks."""

    number: int
    at: str  # local time of the re-plan, HH:MM:SS
    took: float  # seconds the re-plan and the check took
    error: str | None = None
    replanned: bool = False  # planned before: the marks say what this save changed
    shots: int = 0
    duration: float = 0.0
    marks: list[Mark] = []
    removed: list[Removed] = []
    findings: list[Note] = []


def _marks(before: Storyboard | None, after: Storyboard) -> tuple[list[Mark], list[Removed]]:
    """What a save did to the shots (nothing, on the first plan)."""
    changes = diff(before, after) if before is not None else []
    return ([Mark(shot=c.shot.id, change=c.change, fields=c.fields) for c in changes if c.change != "removed"],
            [Removed(**c.shot.model_dump(include=set(Removed.model_fields))) for c in changes if c.change == "removed"])


class ScriptWatch:
    """Follows one episode's files. `stamp` changes whenever a file the plan reads changes; `storyboard` plans the
    episode as the page shows it (raising DramaError when it cannot)."""

    def __init__(self, root: Path, episode: str, *, stamp: Callable[[], Hashable],
                 storyboard: Callable[[], Storyboard]):
        self.root, self.episode = root.resolve(), episode
        self._stamp, self._storyboard = stamp, storyboard
        self._seen: Hashable | None = None
        self._planned: Storyboard | None = None  # the last plan that worked
        self.latest: Revision | None = None
        self._new: asyncio.Condition | None = None  # made by follow(), in the server's event loop
        self._closed = False

    def poll(self) -> bool:
        """Re-plan and check if a file changed since the last look; whether a new revision was made."""
        try:
            stamp = self._stamp()
        except (OSError, DramaError) as error:  # episodes/ gone or unreadable: planning says what, once
            stamp = ("unreadable", str(error))
        if stamp == self._seen:
            return False
        self._seen = stamp
        started = time.monotonic()
        error = None
        try:
            storyboard = self._storyboard()
        except Exception as failure:  # noqa: BLE001 - said on the page; the watch goes on with the next save
            storyboard, error = None, self._say(failure)
        try:
            findings = check(self.root, self.episode)
        except Exception as failure:  # noqa: BLE001 - e.g. the episode's file renamed: nothing to check
            findings, error = [], error or self._say(failure)
        before, previous = self._planned, self.latest
        if storyboard is not None:
            self._planned = storyboard
        if storyboard is None:  # the cards stay as the last plan that worked, and so do their marks
            marks, removed = (previous.marks, previous.removed) if previous else ([], [])
        else:
            marks, removed = _marks(before, storyboard)
        self.latest = Revision(
            number=previous.number + 1 if previous else 1, at=time.strftime("%H:%M:%S"),
            took=round(time.monotonic() - started, 3), error=error, replanned=before is not None and storyboard is not None,
            shots=len(self._planned.shots) if self._planned else 0,
            duration=self._planned.duration if self._planned else 0.0, marks=marks, removed=removed,
            # the lines of a plan that failed may not be the cards' lines any more: then the findings are the panel's
            findings=[self._note(f, storyboard.shots if storyboard else []) for f in findings])
        return True

    def _where(self, path: Path) -> str:
        path = path.resolve()
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def _say(self, error: Exception) -> str:
        """The error as the page says it: file relative to the project, line and message; the hint below."""
        if not isinstance(error, DramaError):
            return f"unexpected {type(error).__name__}: {error} (a bug in drama: please report it)"
        where = self._where(error.path) + (f":{error.line}" if error.line is not None else "") if error.path else ""
        return (f"{where}: " if where else "") + error.message + (f"\n{error.hint}" if error.hint else "")

    def _note(self, finding: Finding, shots: list[Shot]) -> Note:
        """The finding with the shots planned from its line (none for a file-level finding or another file)."""
        file = finding.file.resolve() if finding.file else None
        on = [shot.id for shot in shots if file is not None and finding.line in shot.source_lines
              and shot.source_file is not None and shot.source_file.resolve() == file]
        return Note(severity=finding.severity, kind=finding.kind, message=finding.message, fix=finding.fix,
                    where=self._where(file) + (f":{finding.line}" if finding.line else "") if file else "",
                    line=finding.line, shots=on)

    async def follow(self) -> None:
        """Look at the files every POLL seconds until cancelled (the server's lifespan runs this), waking every
        open stream when a save makes a new revision."""
        self._new = asyncio.Condition()
        while True:
            if await run_in_threadpool(self.poll):
                async with self._new:
                    self._new.notify_all()
            await asyncio.sleep(POLL)

    @property
    def following(self) -> bool:
        return self._new is not None

    async def close(self) -> None:
        """End every open stream (a server shutting down waits for its open responses; a page never ends one)."""
        self._closed = True
        if self._new is not None:
            async with self._new:
                self._new.notify_all()

    def _after(self, sent: int) -> bool:
        """Whether a stream that sent revision `sent` has something to do: a newer one, or closing."""
        return self._closed or (self.latest is not None and self.latest.number > sent)

    async def events(self) -> AsyncIterator[bytes]:
        """The event stream (text/event-stream): the latest revision at once, then each new one as it is made,
        a comment after KEEP_ALIVE seconds of quiet. Revisions a slow reader missed are skipped: each is whole."""
        assert self._new is not None, "follow() is not running"
        yield f"retry: {RETRY_MS}\n\n".encode()
        sent = 0
        while True:
            async with self._new:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._new.wait_for(partial(self._after, sent)), KEEP_ALIVE)
            if self._closed:
                return
            revision = self.latest
            if revision is None or revision.number <= sent:
                yield b": still watching\n\n"
                continue
            sent = revision.number
            data = json.dumps(revision.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
            yield f"id: {revision.number}\nevent: revision\ndata: {data}\n\n".encode()
