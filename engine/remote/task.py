"""What a remote engine hands back: a task record to keep before waiting, and the task's state when polled."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TaskState = Literal["queued", "running", "succeeded", "failed"]


class Cost(BaseModel):
    """What one task is expected to cost: the provider's units (credits, seconds, tokens …) and their price."""

    model_config = ConfigDict(frozen=True)

    units: float = Field(0.0, ge=0)
    amount: float = Field(0.0, ge=0)  # in the project's currency: units × price from drama.toml


class RemoteTask(BaseModel):
    """A submitted task: everything needed to poll it and fetch its result in a later process.

    It holds no secret. `data` keeps the provider's own handles (the endpoint it was created on, fal's
    status and response URLs …). The drama executor stores it before it waits on the task.
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    task_id: str
    external_id: str | None = None  # our job key, where the provider takes an idempotency / external id
    submitted: float  # epoch seconds
    cost: Cost = Cost()
    data: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class TaskStatus(BaseModel):
    """A task as last polled. `result_urls` are set once it succeeded; `reason`, `retryable` and `billed`
    once it failed (retryable: a new draw may succeed, e.g. a provider-side error; not for a policy refusal)."""

    state: TaskState
    result_urls: list[str] = Field(default_factory=list)
    reason: str | None = None
    retryable: bool = False
    billed: bool = False
    progress: float | None = None  # 0..1 where the provider says
    data: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed")
