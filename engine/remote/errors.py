"""Typed failures of remote engines. Each says what happened and whether trying again later can help.

Messages never contain a credential: providers are given their secrets only through `Http`, which
redacts them from every message it builds.
"""

from __future__ import annotations


class RemoteError(Exception):
    """A call to a remote engine failed.

    `retryable`: the same call may succeed later (rate limit, 5xx, dropped connection, truncated download).
    `retry_after`: seconds the provider asked us to wait, when it said so.
    `billed`: whether the provider charges for what failed (False for rejected submissions).
    `sent`: the request may have reached the provider before the connection broke (a read timeout, a dropped
    answer), so a create may have happened: retrying a submission blindly could pay twice.
    """

    def __init__(self, message: str, *, provider: str, retryable: bool = False, retry_after: float | None = None,
                 code: str | int | None = None, status: int | None = None, billed: bool = False,
                 sent: bool = False):
        super().__init__(message)
        self.sent = sent
        self.message = message
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code
        self.status = status
        self.billed = billed

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code not in (None, "") else ""
        return f"{self.provider}{code}: {self.message}"


class CredentialsError(RemoteError):
    """Keys are missing or the provider rejected them. The message names the environment variables, never values."""

    def __init__(self, message: str, *, provider: str, variables: tuple[str, ...], **kwargs: object):
        hint = f" (set {' and '.join(variables)} in the environment)" if variables else ""
        super().__init__(message + hint, provider=provider, **kwargs)  # type: ignore[arg-type]
        self.variables = variables


class RateLimited(RemoteError):
    """Too many requests or tasks at once: wait (Retry-After when given) and try again."""

    def __init__(self, message: str, *, provider: str, **kwargs: object):
        kwargs.setdefault("retryable", True)
        super().__init__(message, provider=provider, **kwargs)  # type: ignore[arg-type]


class ContentRefused(RemoteError):
    """The provider's content policy refused the prompt, an image or the output. Retrying the same draw will not help."""
