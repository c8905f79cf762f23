"""The asynchronous engine shape: submit a request, keep the task record, poll it, fetch the result.

A remote engine is still an `Engine`: its `render` runs submit → poll → fetch in one call for simple use
(`drama engine sample`, notebooks). drama's executor instead calls the three steps itself, so that it can
store the task record before waiting, resume it after a crash, and keep many tasks in flight.
"""

from __future__ import annotations

import threading
import time
import os
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from engine.api import Clip, Engine, RenderRequest
from engine.remote.errors import CredentialsError, RemoteError
from engine.remote.retry import with_retries
from engine.remote.task import Cost, RemoteTask, TaskStatus

if TYPE_CHECKING:  # httpx and numpy load only when a remote engine is used, not for every `drama` command
    from engine.remote.http import Http


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with blank treated as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


class EngineCheck(BaseModel):
    """What `drama engines` shows for one engine: configured or not, and why."""

    configured: bool
    detail: str = ""


class RemoteEngine(Engine):
    """Base of engines that run on someone else's machine.

    Subclasses set `provider`, `credentials` (environment variables that must be set), `base_env` and
    `default_base` (where the API is), `key_env` and `auth_scheme` when one key authenticates every request,
    `prices` (documented defaults, overridable per project) and implement `submit` and `poll`; most keep the
    default `fetch` (download the first result URL).
    Options (model, mode, price, …) come from drama.toml's `[engines.NAME]` through the constructor, overlaid per
    request by `request.options` (drama's `[render] engine_options`); keys come only from the environment.
    """

    provider: ClassVar[str]
    credentials: ClassVar[tuple[str, ...]] = ()
    base_env: ClassVar[str | None] = None
    default_base: ClassVar[str] = ""
    key_env: ClassVar[str | None] = None  # the variable holding the one key sent as `Authorization: <scheme> <key>`
    auth_scheme: ClassVar[str] = "Bearer"
    poll_interval: ClassVar[float] = 5.0  # seconds between polls of one task
    timeout: ClassVar[float] = 1800.0  # a task not done after this long is reported stuck
    price_per_task: ClassVar[float] = 0.0  # defaults in the project's currency; see docs/remote-engines.md
    price_per_second: ClassVar[float] = 0.0
    result_file: ClassVar[str] = "video.mp4"  # where `fetch` downloads a result, in the draw's folder

    def __init__(self, **options: Any):
        self.options = dict(options)
        self.base_url = (env(self.base_env) if self.base_env else None) or self.default_base
        self._http: Http | None = None
        self._lock = threading.Lock()

    # --- what subclasses provide -------------------------------------------------------------------------

    @abstractmethod
    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        """Create the task. `key` is the job's content key: send it as the external / idempotency id where the
        provider has one. Raise RemoteError (retryable or not) when the provider refuses."""

    @abstractmethod
    def poll(self, task: RemoteTask) -> TaskStatus:
        """The task's state now. Raise RemoteError only when asking failed, not when the task failed."""

    def recover(self, key: str) -> RemoteTask | None:
        """A task created for `key` whose record was lost (a crash between submit and the record being stored):
        providers that can look a task up by external id return it, so it is polled instead of paid twice."""
        return None

    @property
    def finds_lost_tasks(self) -> bool:
        """Whether `recover` can tell if a task exists for a key (the provider takes an external id)."""
        return type(self).recover is not RemoteEngine.recover

    def http(self) -> Http:
        """The provider's client, created once on first use (listing engines costs nothing)."""
        with self._lock:
            if self._http is None:
                self._http = self.client()
            return self._http

    def client(self) -> Http:
        """A new client: with `Authorization: <auth_scheme> <key>` when the provider has a `key_env`, else without
        auth (engines that sign requests otherwise override this)."""
        from engine.remote.http import Http

        if self.key_env is None:
            return Http(self.provider, self.base_url)
        key, scheme = self.secret(self.key_env), self.auth_scheme
        return Http(self.provider, self.base_url, auth=lambda: {"Authorization": f"{scheme} {key}"}, secrets=(key,))

    # --- shared behaviour ---------------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A credential from the environment, or a CredentialsError naming the variable."""
        value = env(name)
        if value is None:
            raise CredentialsError(f"{name} is not set", provider=self.provider, variables=(name,))
        return value

    def option(self, name: str, default: Any) -> Any:
        return self.options.get(name, default)

    def settings(self, request: RenderRequest) -> dict[str, Any]:
        """The constructor's options overlaid with the request's, so a project can switch model or resolution per
        render."""
        return {**self.options, **request.options}

    def setting(self, request: RenderRequest, name: str, default: Any) -> Any:
        return self.settings(request).get(name, default)

    def option_price(self, request: RenderRequest, billed_seconds: float) -> Cost | None:
        """The cost from `price_per_task` / `price_per_second` when the project set either (they replace the
        engine's own price model), else None."""
        per_task, per_second = (self.setting(request, name, None) for name in ("price_per_task", "price_per_second"))
        if per_task is None and per_second is None:
            return None
        amount = float(per_task or 0) + float(per_second or 0) * billed_seconds
        return Cost(units=billed_seconds, amount=round(amount, 6))

    def billed_seconds(self, request: RenderRequest) -> float:
        """Seconds of video the provider bills for this request (engines round up to their fixed durations)."""
        return request.duration

    def estimate(self, request: RenderRequest) -> Cost:
        """Expected cost of one task: the options' prices when set, else the engine's per task plus per billed
        second."""
        seconds = self.billed_seconds(request)
        return self.option_price(request, seconds) or Cost(
            units=seconds, amount=round(self.price_per_task + self.price_per_second * seconds, 6))

    def check(self) -> EngineCheck:
        """Whether the engine can be used here: every credential variable set (values never shown)."""
        missing = [name for name in self.credentials if env(name) is None]
        if missing:
            return EngineCheck(configured=False, detail=f"set {', '.join(missing)}")
        return EngineCheck(configured=True, detail=self.base_url)

    def fetch(self, task: RemoteTask, status: TaskStatus, out_dir: Path) -> Clip:
        """Download the first result into `out_dir/<result_file>` and describe it. A download that is short or
        does not decode completely is a retryable RemoteError (nothing is left in `out_dir`)."""
        if not status.result_urls:
            raise RemoteError("task succeeded without a result URL", provider=self.provider)
        path = out_dir / self.result_file
        self.http().download(status.result_urls[0], path)
        return self.describe(path, task)

    def describe(self, video: Path, task: RemoteTask) -> Clip:
        """The Clip of a downloaded video; a damaged one is a retryable RemoteError and is removed."""
        try:
            from engine.video import probe

            info = probe(video)
        except ValueError as error:
            video.unlink(missing_ok=True)
            raise RemoteError(f"downloaded result is damaged: {error}", provider=self.provider, retryable=True) from None
        return Clip(video=video, width=info.width, height=info.height, fps=info.fps, num_frames=info.num_frames,
                    meta={"provider": self.provider, "task_id": task.task_id})

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        """Submit, wait and fetch in one call (no crash safety: drama's executor does that part)."""
        timeout = float(self.option("timeout", self.timeout))
        task = with_retries(lambda: self.submit(request, key=""))
        started = time.monotonic()
        while True:
            status = with_retries(lambda: self.poll(task))
            if status.state == "succeeded":
                return with_retries(lambda status=status: self.fetch(task, status, out_dir))
            if status.state == "failed":
                raise RemoteError(status.reason or "task failed", provider=self.provider, retryable=status.retryable,
                                  billed=status.billed)
            if time.monotonic() - started > timeout:
                raise RemoteError(f"task {task.task_id} not finished after {timeout:g}s", provider=self.provider,
                                  retryable=True)
            time.sleep(float(self.option("poll_interval", self.poll_interval)))


def choose_duration(seconds: float, choices: tuple[float, ...]) -> float:
    """The shortest duration the provider offers that covers the shot, else its longest (the edit holds the
    last frame; extension of long shots is a stage of its own)."""
    covering = [c for c in sorted(choices) if c >= seconds - 1e-6]
    return covering[0] if covering else max(choices)
