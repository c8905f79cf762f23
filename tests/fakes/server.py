"""A small threaded HTTP server on 127.0.0.1 for provider fakes: routes, a request log and faults on demand.

Faults are queued per route and consumed in order: an HTTP status with a body and headers (429 with
Retry-After, 500 …), a dropped connection (the socket closes before any answer), or a truncated body
(Content-Length promises more than is sent).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int = 200
    body: bytes | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate: int | None = None  # send only this many bytes of the body, then close
    drop: bool = False  # close the connection without answering

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("content-type", "application/json")
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), headers
        return self.body, headers


Handler = Callable[[Request], Response]


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    response: Response
    times: int


class FakeServer:
    """Subclass and add routes in `__init__` with `self.route(method, pattern, handler)` (pattern: a regex on
    the path, with named groups passed in `request.params`)."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.log: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                response = server.dispatch(request)
                if response.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload, headers = response.encoded()
                self.send_response(response.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                if response.truncate is not None:
                    self.send_header("connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(payload if response.truncate is None else payload[:response.truncate])

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        _Handler.disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern), handler))

    def fault(self, method: str, pattern: str, response: Response, *, times: int = 1) -> None:
        """Answer the next `times` matching requests with `response` instead of the route's answer."""
        with self._lock:
            self._faults.append(_Fault(method, re.compile(pattern), response, times))

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.log.append(request)
            for fault in self._faults:
                if fault.method == request.method and fault.pattern.fullmatch(request.path) and fault.times > 0:
                    fault.times -= 1
                    return fault.response
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                request.params = match.groupdict()
                return handler(request)
        return Response(404, {"error": f"no route {request.method} {request.path}"})

    def requests(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        with self._lock:
            return [r for r in self.log if r.method == method and regex.fullmatch(r.path)]

    def start(self) -> "FakeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tiny_mp4(width: int = 64, height: int = 112, frames: int = 24, fps: float = 24.0, seed: int = 0) -> bytes:
    """A real H.264 MP4 for a fake to serve as a result: moving colour bands, different per seed."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from engine.video import write_mp4

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.mp4"
        write_mp4((np.roll(base, i * 2, axis=1) for i in range(frames)), path, width=width, height=height, fps=fps)
        return path.read_bytes()
