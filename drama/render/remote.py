"""Running jobs on remote engines (Kling, Seedance, Hailuo, fal, ComfyUI): paid draws that are never lost
and never paid twice.

For each job a worker thread
1. resumes the job's recorded task if there is one (a rerun after Ctrl-C, `kill -9` or a reboot), asking the
   provider by external id when a crash came between submitting and recording;
2. otherwise books the task's expected cost against the budget (one transaction with the check), records
   that it is submitting, submits with the job key as external id, and records the task *before* waiting;
3. polls until the task ends or counts as stuck, backing off with jitter on rate limits and 5xx;
4. downloads the result as soon as the task succeeds and publishes it like any draw (atomic folder, scores).

At most `[engines.NAME] concurrency` tasks are in flight (a slot each, held from submit until the task ends;
downloads and scoring run outside it). Ctrl-C stops the workers at
their next wait and leaves every submitted task recorded, so the next run picks them up.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Literal, TypeVar

from pydantic import BaseModel

from drama.project import Project
from drama.render.jobs import Job
from drama.render.state import StateStore
from engine.remote import CredentialsError, RemoteEngine, RemoteError, RemoteTask, TaskStatus
from engine.remote.retry import with_retries

T = TypeVar("T")
Phase = Literal["submitting", "queued", "running", "downloading", "done", "failed", "stuck", "skipped"]
RETRIES = 6  # tries of one call (submit, poll, download) before the job fails
# Threads beyond `concurrency`: finished tasks download and score on them while every provider slot stays busy
# (scoring a draw costs a fraction of a CPU-second, so with 2 threads the slots went idle waiting for them).
DOWNLOADERS = 16


class RemoteEvent(BaseModel):
    """What happened to one job, for progress displays (the CLI's bars, the review page's cards)."""

    key: str
    shot_id: str
    draw: int
    phase: Phase
    detail: str = ""


class RemoteOutcome(BaseModel):
    """How a remote job ended in this run."""

    key: str
    status: Literal["rendered", "cached", "failed", "skipped"]
    seconds: float
    score: float | None = None
    error: str | None = None


class _Stopped(Exception):
    """The run was interrupted; recorded tasks stay for the next run."""


class RemoteRun:
    """One run of remote jobs on one engine. `publish(job, fetch)` turns a downloaded result into a candidate
    (the executor's atomic folder, poster and scores) and returns its score."""

    def __init__(self, project: Project, store: StateStore, engine: RemoteEngine, *, concurrency: int,
                 publish: Callable[[Job, Callable], float], on_event: Callable[[RemoteEvent], None] | None = None):
        self.store = store
        self.engine = engine
        self.concurrency = concurrency
        self.publish = publish
        self.on_event = on_event or (lambda event: None)
        self.render = project.config.render
        self.stop = threading.Event()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._book = threading.Lock()
        self._shot_locks: dict[str, threading.Lock] = {}
        self._refused_keys: CredentialsError | None = None  # the stop-at-score check and the budget booking of one job at a time
        self.poll_interval = float(engine.option("poll_interval", engine.poll_interval))
        self.timeout = float(engine.option("timeout", engine.timeout))

    # --- the run ------------------------------------------------------------------------------------------

    def run(self, jobs: list[Job]) -> dict[str, RemoteOutcome]:
        """Every job to an outcome; jobs with a recorded task go first (they already hold a provider slot), the
        rest draw by draw across shots, so `stop_at_score` can spare later draws of a shot that is good enough.
        Tasks of this engine left by earlier runs for shots that have changed since (an edit while they ran)
        are collected too: they were paid for, so their results are kept, as stale draws."""
        live = [row for row in self.store.tasks() if row.state not in ("done", "failed") and row.engine == self.engine.name]
        recorded = {row.key for row in live}
        wanted = {job.key for job in jobs}
        jobs = jobs + [Job.model_validate_json(row.job) for row in live if row.key not in wanted and row.job]
        order = sorted(range(len(jobs)), key=lambda i: (jobs[i].key not in recorded, jobs[i].draw, i))
        outcomes: dict[str, RemoteOutcome] = {}
        pool = ThreadPoolExecutor(max_workers=self.concurrency + DOWNLOADERS, thread_name_prefix=f"drama-{self.engine.name}")
        try:
            pending: set[Future] = {pool.submit(self._guarded, jobs[i]) for i in order}
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    if outcome is not None:
                        outcomes[outcome.key] = outcome
        except BaseException:
            self.stop.set()  # workers leave at their next wait; submitted tasks stay recorded
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return outcomes

    def _guarded(self, job: Job) -> RemoteOutcome | None:
        started = time.perf_counter()
        try:
            return self._job(job, started)
        except _Stopped:
            return None
        except Exception as error:  # one job's failure (a bug, an unreadable result) must not stop the others
            return self._fail(job, started, f"{type(error).__name__}: {error}")

    def _job(self, job: Job, started: float) -> RemoteOutcome:
        if self.render.stop_at_score is None:
            return self._draw(job, started)
        with self._shot_locks.setdefault(job.shot_id, threading.Lock()):  # draws of a shot one after another,
            return self._draw(job, started)  # so each knows the scores of those before it

    def _draw(self, job: Job, started: float) -> RemoteOutcome:
        if self._refused_keys is not None:  # no use asking again with keys the provider refused
            return self._fail(job, started, str(self._refused_keys))
        with self._slot():  # a provider slot from submit until the task ends; downloads and scoring run outside it
            task = self._recorded_task(job)
            if task is None:
                refusal = self._book_draw(job)
                if refusal is not None:
                    self._event(job, "skipped", refusal)
                    return RemoteOutcome(key=job.key, status="skipped", seconds=0.0, error=refusal)
                try:
                    task = self._call(job, lambda: self._submit(job))
                except RemoteError as error:
                    self.store.settle(job.key, "billed" if error.billed else "not_billed", reason=str(error))
                    if isinstance(error, CredentialsError):
                        self._refused_keys = error
                    return self._fail(job, started, str(error))
                self._record(job, "queued", task)
                self.store.settle(job.key, "pending", task_id=task.task_id)
            status = self._wait(job, task)
        if status is None:
            message = (f"task {task.task_id} not finished after {self.timeout:.0f}s; it stays recorded: run again to "
                       "keep waiting for it (it will not be submitted again)")
            self._event(job, "stuck", message)
            self.store.record_failure(job.key, job.episode, job.shot_id, job.draw, message)
            return RemoteOutcome(key=job.key, status="failed", seconds=time.perf_counter() - started, error=message)
        if status.state == "failed":
            reason = status.reason or "the provider reported the task failed"
            self.store.settle(job.key, "billed" if status.billed else "not_billed", reason=reason)
            return self._fail(job, started, f"{self.engine.provider}: {reason}")
        self._record(job, "downloading")
        score = self.publish(job, lambda tmp: self._call(job, lambda: self.engine.fetch(task, status, tmp)))
        self.store.settle(job.key, "billed")
        self._record(job, "done")
        return RemoteOutcome(key=job.key, status="rendered", seconds=time.perf_counter() - started, score=score)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        while not self._slots.acquire(timeout=0.2):
            if self.stop.is_set():
                raise _Stopped
        try:
            if self.stop.is_set():
                raise _Stopped
            yield
        finally:
            self._slots.release()

    # --- steps --------------------------------------------------------------------------------------------

    def _recorded_task(self, job: Job) -> RemoteTask | None:
        """The job's task from an earlier run, if it may still deliver; recovered by external id after a crash
        between submit and record."""
        row = self.store.task(job.key)
        if row is None or row.state in ("done", "failed"):
            return None
        if row.task is not None:
            self._event(job, row.state, "resumed")
            return RemoteTask.model_validate_json(row.task)
        task = self._call(job, lambda: self.engine.recover(self._external_id(job)))  # "submitting": created?
        if task is not None:
            self._record(job, "queued", task)
            self.store.settle(job.key, "pending", task_id=task.task_id)
            return task
        # The provider cannot be asked (no external id): it may have been created and billed. Counted as billed,
        # so the budget stays honest, and submitted again.
        self.store.settle(job.key, "billed", reason="submitted before a crash; the provider cannot be asked about it")
        return None

    def _book_draw(self, job: Job) -> str | None:
        """Why this draw should not be submitted (a good-enough draw exists, or the budget would be exceeded),
        else None with its cost booked and the intent to submit recorded."""
        with self._book:
            threshold = self.render.stop_at_score
            if threshold is not None:
                best = max((c.score for c in self.store.candidates(job.shot_id) if c.shot_key == job.shot_key),
                           default=None)
                if best is not None and best >= threshold:
                    return f"a draw of shot {job.shot_id} already scores {best:.3f} ≥ stop_at_score {threshold:g}"
            cost = self.engine.estimate(job.request)
            refusal = self.store.reserve(job.key, engine=job.engine, provider=self.engine.provider,
                                         episode=job.episode, shot_id=job.shot_id, units=cost.units, cost=cost.amount,
                                         budget=self.render.budget, shot_budget=self.render.shot_budget)
            if refusal is None:
                self.store.set_task(job.key, engine=job.engine, episode=job.episode, shot_id=job.shot_id,
                                    draw=job.draw, state="submitting", job=job.model_dump_json())
                self._event(job, "submitting")
            return refusal

    def _external_id(self, job: Job) -> str:
        """The id the provider knows this attempt by: the job key, with the attempt number after a failed task
        (providers keep a failed task under its external id, so a new draw needs a new one)."""
        attempt = max(0, self.store.attempts(job.key) - 1)  # the booking for this attempt is already made
        return job.key if attempt == 0 else f"{job.key}-{attempt}"

    def _submit(self, job: Job) -> RemoteTask:
        """One submission. If the connection broke after the request went out, the task may exist: ask the
        provider where it can tell (then retrying is safe); where it cannot, do not risk paying twice."""
        key = self._external_id(job)
        try:
            return self.engine.submit(job.request, key)
        except RemoteError as error:
            if not error.sent:
                raise
            if self.engine.finds_lost_tasks:
                found = self.engine.recover(key)
                if found is not None:
                    return found
                raise  # not created: the retry is safe
            raise RemoteError(f"{error.message}; the request may have reached {self.engine.provider}, so it was "
                              "not sent again (that could pay twice): check the provider's task list, then run "
                              "again to draw anew", provider=self.engine.provider, billed=True) from None

    def _wait(self, job: Job, task: RemoteTask) -> TaskStatus | None:
        """Poll until the task ends (its status) or counts as stuck (None)."""
        deadline = time.monotonic() + self.timeout
        last = None
        while True:
            status = self._call(job, lambda: self.engine.poll(task))
            if status.state != last and not status.done:
                self._record(job, status.state)
                last = status.state
            if status.done:
                return status
            if time.monotonic() > deadline:
                return None
            self._sleep(self.poll_interval)

    def _call(self, job: Job, call: Callable[[], T]) -> T:
        def retrying(error: RemoteError, delay: float) -> None:
            self._event(job, "queued", f"retrying in {delay:.1f}s: {error}")

        return with_retries(call, attempts=RETRIES, sleep=self._sleep, on_retry=retrying)

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    def _record(self, job: Job, state: str, task: RemoteTask | None = None) -> None:
        self.store.set_task(job.key, engine=job.engine, episode=job.episode, shot_id=job.shot_id, draw=job.draw,
                            state=state, task=task.model_dump_json() if task is not None else None)
        self._event(job, state)

    def _fail(self, job: Job, started: float, message: str) -> RemoteOutcome:
        self.store.set_task(job.key, engine=job.engine, episode=job.episode, shot_id=job.shot_id, draw=job.draw,
                            state="failed", error=message)
        self.store.record_failure(job.key, job.episode, job.shot_id, job.draw, message)
        self._event(job, "failed", message)
        return RemoteOutcome(key=job.key, status="failed", seconds=time.perf_counter() - started, error=message)

    def _event(self, job: Job, phase: str, detail: str = "") -> None:
        self.on_event(RemoteEvent(key=job.key, shot_id=job.shot_id, draw=job.draw, phase=phase, detail=detail))
