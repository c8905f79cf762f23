"""Where draws run: in this process, one at a time, or in a pool of worker processes, one per core.

A runner takes (job, folder) pairs lazily — the parent stages each folder just before the job starts — and yields
each job back with what the draw left in its folder (`Drawn`) or the exception it raised, in the order they finish.
Workers only render and score into their folder; the parent publishes (renames the folder, writes the state store),
so a killed worker or parent leaves at most a hidden `.partial` folder, swept by the next render.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from drama.render.draw import Drawn, draw
from drama.render.jobs import Job
from engine.api import Engine, RenderRequest
from engine.registry import engine_class, get_engine

Work = Iterable[tuple[Job, Path]]
Outcome = tuple[Job, Drawn | Exception]


class Runner(Protocol):
    def run(self, work: Work) -> Iterator[Outcome]: ...


def machine_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class InProcess:
    """One draw at a time in this process, each engine made once (GPU engines: the model loads once)."""

    def __init__(self) -> None:
        self.engines: dict[str, Engine] = {}

    def run(self, work: Work) -> Iterator[Outcome]:
        for job, folder in work:
            try:
                if job.engine not in self.engines:
                    self.engines[job.engine] = get_engine(job.engine)  # options travel in request.options
                yield job, draw(self.engines[job.engine], job.request, folder)
            except Exception as error:  # one bad draw must not stop the others; KeyboardInterrupt still does
                yield job, error


# --- the pool ---------------------------------------------------------------------------------------------------

_worker_engines: dict[type[Engine], Engine] = {}


def _worker_init() -> None:
    """A worker dies with its parent (a killed render leaves no orphan still writing into a folder) and leaves
    Ctrl-C to the parent, which stops the pool itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own pipes end the worker once the parent is gone
        pass


def _worker_draw(cls: type[Engine], request: RenderRequest, folder: Path) -> Drawn:
    if cls not in _worker_engines:
        _worker_engines[cls] = cls()
    return draw(_worker_engines[cls], request, folder)


class ProcessPool:
    """`workers` processes drawing at once; each keeps its engines between draws. Jobs are handed out as workers
    free up (two queued per worker at most), so a long render streams rather than staging every folder first.

    The workers are forked for the run: they start in milliseconds, see the engines and settings of this process
    as they are now, and need no `if __name__ == "__main__"` in a script that renders (spawned workers re-run
    the script). They do not use what forking makes unsafe: the state store (the parent writes it) or torch
    (engines that need a GPU draw in this process)."""

    def __init__(self, workers: int):
        self.workers = workers

    def run(self, work: Work) -> Iterator[Outcome]:
        pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_init)
        finished: queue.SimpleQueue[tuple[int, Drawn | Exception]] = queue.SimpleQueue()
        running: dict[int, tuple[Job, Path]] = {}
        pending = iter(work)
        count = 0

        def submit() -> None:
            nonlocal count
            while len(running) < 2 * self.workers and (item := next(pending, None)) is not None:
                token, count = count, count + 1
                running[token] = item
                job, folder = item
                pool.apply_async(_worker_draw, (engine_class(job.engine), job.request, folder),
                                 callback=lambda drawn, token=token: finished.put((token, drawn)),
                                 error_callback=lambda error, token=token: finished.put((token, error)))

        try:
            submit()
            while running:
                token, outcome = finished.get()
                job, folder = running.pop(token)
                yield job, outcome
                submit()
        finally:  # after the last draw, or interrupted: draws still under way are abandoned
            pool.terminate()
            pool.join()
