"""What keeps a local review server local: files only from inside the project, and a per-run token
for anything that changes state (a page on another site cannot read the token, so it cannot forge a POST)."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path, PurePosixPath

from starlette.requests import Request

TOKEN_HEADER = "x-drama-token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_ok(request: Request, token: str, form_token: str | None = None) -> bool:
    given = request.headers.get(TOKEN_HEADER) or form_token or ""
    return hmac.compare_digest(given.encode(), token.encode())


def resolve_inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None when it is absolute, climbs out with `..`,
    or resolves (through symlinks) to anywhere outside `root`."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    parts = PurePosixPath(relative)
    if parts.is_absolute() or ".." in parts.parts:
        return None
    root = root.resolve()
    candidate = (root / parts).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def allowed_hosts(host: str) -> list[str]:
    """Host names the server answers to (Starlette's TrustedHostMiddleware compares the name, not the port).

    A DNS-rebinding page reaches 127.0.0.1 under its own domain name, which is not in this list."""
    loopback = {"127.0.0.1", "localhost"}
    return sorted(loopback | {host}) if host in loopback else [host]
