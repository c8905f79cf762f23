"""What the hosted video APIs with one Bearer key share (Seedance on Ark, MiniMax Hailuo): per-request options,
the limits of their inline images, and the mapping of plain HTTP failures to typed errors."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from engine.api import RenderRequest
from engine.remote.engine import RemoteEngine
from engine.remote.errors import CredentialsError, RateLimited, RemoteError
from engine.remote.http import Http, retry_after
from engine.remote.media import ImageLimits
from engine.remote.task import Cost

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
    """A RemoteEngine whose provider takes `Authorization: Bearer <key>` from one environment variable.

    Options are read per request: `request.options` (drama's `[render] engine_options`, which the executor
    passes) over the constructor's (`[engines.NAME]`), so a project can switch model or resolution per render.
    """

    key_env: ClassVar[str]

    def setting(self, request: RenderRequest, name: str, default: Any) -> Any:
        return request.options.get(name, self.options.get(name, default))

    def http(self) -> Http:
        if self._http is None:
            key = self.secret(self.key_env)
            self._http = Http(self.provider, self.base_url, auth=lambda: {"Authorization": f"Bearer {key}"},
                              secrets=(key,))
        return self._http

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON object of an answer; anything else (a proxy's HTML page, a cut body) is retryable."""
        body = json_object(response)
        if body is None:
            raise RemoteError(f"HTTP {response.status_code}: answer is not a JSON object", provider=self.provider,
                              status=response.status_code, retryable=True)
        return body

    def option_price(self, request: RenderRequest, billed_seconds: float) -> Cost | None:
        """The cost from `price_per_task` / `price_per_second` when the project set either (they override the
        engine's own price model), else None."""
        per_task, per_second = (self.setting(request, name, None) for name in ("price_per_task", "price_per_second"))
        if per_task is None and per_second is None:
            return None
        amount = float(per_task or 0) + float(per_second or 0) * billed_seconds
        return Cost(units=billed_seconds, amount=round(amount, 6))

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
