"""HTTP for remote engines: one httpx client per engine, transport faults as retryable `RemoteError`s,
secrets redacted from every message, and downloads that are complete or raise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from engine.remote.errors import RemoteError

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CHUNK = 1 << 16


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header given in seconds (the HTTP-date form is rare for APIs and ignored)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Http:
    """A provider's HTTP client. `auth` builds the auth headers per request (so a JWT is re-signed when due);
    `secrets` are strings that must never appear in an error message."""

    def __init__(self, provider: str, base_url: str, *, auth: Callable[[], Mapping[str, str]] | None = None,
                 secrets: tuple[str, ...] = (), timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._auth = auth or (lambda: {})
        self._secrets = tuple(s for s in secrets if s)
        self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True,
                                    headers={"user-agent": "drama-remote-engine"})

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """Send one request; connection errors and timeouts become retryable RemoteErrors. The caller reads the
        status and body (each provider has its own error envelope)."""
        headers = {**(self._auth() if auth else {}), **kwargs.pop("headers", {})}
        try:
            return self._client.request(method, self.url(path), headers=headers, **kwargs)
        except httpx.TransportError as error:
            unsent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
            raise RemoteError(self.redact(f"{method} {self.url(path)}: {type(error).__name__}: {error}"),
                              provider=self.provider, retryable=True, sent=not unsent) from None

    def error(self, response: httpx.Response, message: str, **kwargs: Any) -> RemoteError:
        """A RemoteError for an unexpected answer: 429 and 5xx are retryable, with Retry-After honoured."""
        status = response.status_code
        kwargs.setdefault("retryable", status == 429 or status >= 500)
        kwargs.setdefault("retry_after", retry_after(response))
        return RemoteError(self.redact(f"HTTP {status}: {message}"), provider=self.provider, status=status, **kwargs)

    def download(self, url: str, dest: Path, *, auth: bool = False) -> int:
        """Stream `url` into `dest`; returns the bytes written. A short body (fewer bytes than Content-Length),
        a dropped connection or a 5xx is a retryable RemoteError and leaves no file behind. Result URLs are
        usually pre-signed, so no auth header is sent unless asked (ComfyUI's /view, fal's private files)."""
        written = 0
        try:
            headers = dict(self._auth()) if auth else {}
            with self._client.stream("GET", self.url(url), headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    # a result link that is not there yet (Ark's video_not_ready) or expired: try again later
                    raise self.error(response, f"download failed: {response.text[:200]}",
                                     retryable=response.status_code in (400, 403, 404, 408, 425, 429)
                                     or response.status_code >= 500)
                expected = response.headers.get("content-length")
                with open(dest, "wb") as handle:
                    for chunk in response.iter_bytes(CHUNK):
                        handle.write(chunk)
                        written += len(chunk)
            if expected is not None and written != int(expected):
                raise RemoteError(f"download truncated: {written} of {expected} bytes", provider=self.provider,
                                  retryable=True)
            if written == 0:
                raise RemoteError("download was empty", provider=self.provider, retryable=True)
        except httpx.TransportError as error:
            dest.unlink(missing_ok=True)
            raise RemoteError(self.redact(f"download interrupted after {written} bytes: {type(error).__name__}"),
                              provider=self.provider, retryable=True) from None
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return written
