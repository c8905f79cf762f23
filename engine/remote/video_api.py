"""What the hosted video APIs with one Bearer key share (Seedance on Ark, MiniMax Hailuo): per-request options,
images sent inline as data URIs, and the mapping of plain HTTP failures to typed errors.

Kling (JWT) and fal (`Key` auth) authenticate differently but could reuse `data_uri` and `reference_images`.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, ClassVar

import httpx
from PIL import Image

from engine.api import RenderRequest
from engine.remote.engine import RemoteEngine
from engine.remote.errors import CredentialsError, RateLimited, RemoteError
from engine.remote.http import Http, retry_after
from engine.remote.task import Cost

# Formats the providers decode, by their leading bytes; anything else is re-encoded as PNG.
_SIGNATURES: tuple[tuple[bytes, str], ...] = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def data_uri(path: Path) -> str:
    """An image file as a `data:<mime>;base64,…` URI. PNG and JPEG go as they are (no re-encoding, so the
    provider sees the exact pixels); other formats Pillow reads are converted to PNG."""
    data = path.read_bytes()
    mime = next((m for magic, m in _SIGNATURES if data.startswith(magic)), None)
    if mime is None:
        buffer = io.BytesIO()
        with Image.open(io.BytesIO(data)) as image:
            image.convert("RGB").save(buffer, format="PNG")
        data, mime = buffer.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def reference_images(request: RenderRequest, limit: int) -> list[Path]:
    """The characters' reference images in cast order, at most `limit` (the first of each character first, so
    that every character is represented before anyone gets a second image)."""
    rounds = max((len(c.reference_images) for c in request.characters), default=0)
    ordered = [c.reference_images[i] for i in range(rounds) for c in request.characters if i < len(c.reference_images)]
    return ordered[:limit]


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
