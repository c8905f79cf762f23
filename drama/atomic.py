"""Writes that are all-or-nothing, so a crash or Ctrl-C never leaves a half-written file or folder.

A file is written beside its target and renamed over it; a folder is built under a temporary name
and renamed into place, which POSIX makes atomic on one filesystem. Both end up with the permissions a
plain open() or mkdir() would give. What a killed writer leaves behind is swept by whoever next holds the
`exclusive` lock the writer held.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from drama.errors import ProjectError, os_fault


def _umask() -> int:
    """The process's umask, read where Linux shows it (setting it to read it back would race other threads' writes)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
    except (OSError, StopIteration):
        mask = os.umask(0)
        os.umask(mask)
        return mask


def file_mode() -> int:
    """What open() would give a new file now; mkstemp's 0600 would hide exports from others."""
    return 0o666 & ~_umask()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


class StagedDir:
    """A temporary folder beside `path` that becomes `path` in one rename (`promote`) or is removed (`discard`).
    The folder is named before it is made, so a Ctrl-C between the two leaves nothing to clean."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.partial"
        try:
            self.tmp.mkdir()  # 0777 less the umask, as any folder: renders/<key>/ is shared like the rest of the project
        except BaseException:
            self.discard()
            raise

    def promote(self) -> None:
        """Rename into place; if `path` already exists (another process finished first) this copy is discarded."""
        try:
            os.rename(self.tmp, self.path)
        except OSError:
            if not self.path.is_dir():
                raise
        finally:
            self.discard()

    def discard(self) -> None:
        if self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """A temporary folder beside `path`; on success it becomes `path` in one rename.

    If `path` already exists (another process finished first) the new copy is discarded.
    """
    staged = StagedDir(path)
    try:
        yield staged.tmp
        staged.promote()
    finally:
        staged.discard()


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold `lock` (a file, made if missing) against every other holder, in this process or another. A writer that
    holds it while it writes lets the next holder sweep up what a killed one left. Waits for the holder before."""
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a")  # closed below, once the lock is released
    except IsADirectoryError:
        raise ProjectError(f"{lock.name} is a folder, where drama keeps a lock file", path=lock,
                           hint=f"remove the folder (rmdir {lock}) and run again") from None
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ProjectError(f"the project folder is read-only: cannot take the lock {lock.name}", path=lock,
                               hint="make the project folder writable and run again") from None
        raise (os_fault(error, path=error.filename or lock, doing="take the project's lock") or error) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
