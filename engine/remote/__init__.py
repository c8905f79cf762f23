"""Engines that render on a provider's servers or a ComfyUI box: submit, keep the task, poll, fetch."""

from engine.remote.engine import EngineCheck, RemoteEngine, choose_duration
from engine.remote.errors import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.task import Cost, RemoteTask, TaskState, TaskStatus

__all__ = [
    "ContentRefused",
    "Cost",
    "CredentialsError",
    "EngineCheck",
    "RateLimited",
    "RemoteEngine",
    "RemoteError",
    "RemoteTask",
    "TaskState",
    "TaskStatus",
    "choose_duration",
]
