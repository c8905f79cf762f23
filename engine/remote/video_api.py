"""What the hosted APIs with one Bearer key share (Seedance and Seedream on Ark, MiniMax Hailuo): the limits of their
inline images, JSON answers, and the mapping of plain HTTP failures to typed errors."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from engine.remote.engine import RemoteEngine
from engine.remote.errors import CredentialsError, RateLimited, RemoteError
from engine.remote.http import retry_after
from engine.remote.media import ImageLimits

# The input images Ark and MiniMax take: the shorter side at least 300 px, aspect 2:5 to 5:2, and (the smaller of
# the two documented sizes, Ark 30 MB and MiniMax 20 MB) at most 20 MB. From their docs; not tried on the services.
IMAGE_LIMITS = ImageLimits(min_side=300, max_aspect=2.5, max_bytes=20 * 1024 * 1024)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class BearerVideoEngine(RemoteEngine):
    """A RemoteEngine whose provider takes `Authorization: Bearer <key>` from one environment variable (`key_env`)
    and answers JSON objects, failing with plain HTTP statuses. Image engines mix it in before RemoteImageEngine
    (Seedream), so the name says where it began, not all it serves."""

    key_env: ClassVar[str]

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON object of an answer; anything else (a proxy's HTML page, a cut body) is retryable."""
        body = json_object(response)
        if body is None:
            raise RemoteError(f"HTTP {response.status_code}: answer is not a JSON object", provider=self.provider,
                              status=response.status_code, retryable=True)
        return body

    def http_failure(self, response: httpx.Response, message: str, code: str | int | None = None) -> RemoteError:
        """The typed error for an HTTP failure status: 401/403 → CredentialsError naming the key variable,
        429 → RateLimited with Retry-After, 5xx (and 408) → retryable, any other 4xx → not retryable."""
        status = response.status_code
        text = self.http().redact(f"HTTP {status}: {message}")
        if status in (401, 403):
            return CredentialsError(f"{text}: the key was refused", provider=self.provider, variables=(self.key_env,),
                                    code=code, status=status)
        if status == 429:
            return RateLimited(text, provider=self.provider, retry_after=retry_after(response), code=code,
                               status=status)
        return RemoteError(text, provider=self.provider, retryable=status >= 500 or status == 408,
                           retry_after=retry_after(response), code=code, status=status)
