"""What keeps the review server safe to run, and to share with a colleague.

Who may ask: only under the Host names it was told to answer to (a DNS-rebinding page reaches the server under its
own name, and `Host: 0.0.0.0` is never a name it answers to); beyond this machine only after logging in with the
password printed on start (HTTP basic auth, compared in constant time); never from another site's scripts.
What they may ask: bodies read only up to a cap, JSON only so deep and numbers only so long, URLs only so long,
files only from inside the project, and anything that changes state only with the per-run token (a page on
another site cannot read the token, so it cannot forge a POST).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from starlette.requests import ClientDisconnect, Request

from drama.errors import DramaError, did_you_mean

TOKEN_HEADER = "x-drama-token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY = 64 * 1024  # bytes of a request body; the page's largest (an edit with a 4000-character prompt) fits
MAX_JSON_DEPTH = 32  # the page sends flat objects
MAX_NUMBER_CHARS = 32  # a JSON number written longer than this is not one the page sends
MAX_URL = 4096  # bytes of path and query; project media paths are far shorter
NAME_MAX = 255  # bytes of one file name, as Linux, macOS and Windows allow
REALM = 'Basic realm="drama review", charset="UTF-8"'
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from a screen
_HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")
_JSON_STRUCTURE = re.compile(r'\\.|["\[\]{}]', re.S)  # escapes first, so an escaped quote never ends a string


class Refused(DramaError):
    """A request the server will not serve, with the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400, *, hint: str | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(message, hint=hint)
        self.status = status
        self.headers = dict(headers or {})


# --- who may ask ------------------------------------------------------------------------------------------------

def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_password() -> str:
    """About 99 bits, in five groups of four: easy to read out to a colleague, hopeless to guess."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(5))


def token_ok(request: Request, token: str, form_token: str | None = None) -> bool:
    given = request.headers.get(TOKEN_HEADER) or form_token or ""
    return hmac.compare_digest(given.encode(), token.encode())


def is_loopback(address: str) -> bool:
    """Whether binding `address` keeps the server on this machine (127.0.0.0/8, ::1, localhost)."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str | None) -> str | None:
    """The name in a Host header without its port, normalised (lower case, no trailing dot, IPv6 unbracketed and
    compressed), or None when there is none or it is malformed."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        address, bracket, _ = header[1:].partition("]")
        if not bracket:
            return None
        try:
            return str(ipaddress.IPv6Address(address))
        except ValueError:
            return None
    name = header.partition(":")[0].rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name if _HOST_NAME.fullmatch(name) else None


def allowed_name(name: str) -> str:
    """An --allow-host value, normalised as host_name() normalises a Host header; refused when no colleague's
    browser would send it (a wildcard, a pattern, an unspecified address such as 0.0.0.0)."""
    normal = _address_name(name)
    if normal is None:
        raise DramaError(f"--allow-host {name!r} is not a host name or IP address",
                         hint="give the name or address colleagues type in their browser, e.g. --allow-host "
                              "192.168.1.20 or --allow-host studio-mac.local (no port, no wildcard)")
    try:
        unspecified = ipaddress.ip_address(normal).is_unspecified
    except ValueError:
        unspecified = False
    if unspecified:
        raise DramaError(f"--allow-host {name!r} is not an address a browser should use: anything on the web can "
                         "send that Host", hint="give this machine's LAN address or name, e.g. --allow-host 192.168.1.20")
    return normal


def _address_name(value: str) -> str | None:
    """host_name() of an address or name given on the command line, where a colon only ever belongs to IPv6."""
    bare = value.strip().strip("[]")
    return host_name(f"[{bare}]" if ":" in bare else bare)


@dataclass(frozen=True)
class Access:
    """Whom the server answers. `local`: Host names served without a login (the loopback names, only while the
    server listens on loopback alone). `shared`: Host names served only after logging in with `password`."""

    local: frozenset[str] = LOOPBACK_NAMES
    shared: frozenset[str] = frozenset()
    password: str | None = field(default=None, repr=False)  # never in a log, a traceback or a test report

    @classmethod
    def for_bind(cls, bind: str, allow: Sequence[str] = ()) -> "Access":
        """The access for a server bound to `bind` that colleagues reach under the names in `allow`. Listening
        beyond loopback needs that list: the names are what stops a `Host: 0.0.0.0` or DNS-rebinding request."""
        shared = frozenset(allowed_name(name) for name in allow)
        loopback = is_loopback(bind)
        if not loopback and not shared:
            raise DramaError(f"--host {bind} listens beyond this machine, so drama needs the names colleagues will "
                             "open the page under",
                             hint="add --allow-host with this machine's LAN address or name, e.g. --allow-host "
                                  "192.168.1.20 (repeat it for more names); they log in with the password printed "
                                  "on start")
        local = frozenset(LOOPBACK_NAMES | {_address_name(bind) or bind}) if loopback else frozenset()
        shared -= local  # on a loopback-only server the loopback names stay as they were: no login
        return cls(local, shared, new_password() if shared else None)

    @property
    def beyond_loopback(self) -> bool:
        return not self.local

    def admit(self, headers: Mapping[str, str], method: str, raw_url: bytes) -> None:
        """Raises Refused unless the request may reach a route: a Host it answers to, not a script on another site,
        logged in where the Host is shared, a URL of sane length."""
        name = host_name(headers.get("host"))
        if name is None or name not in self.local | self.shared:
            raise Refused("this server does not answer to that Host name", 400,
                          hint="open the page at the address `drama review` printed")
        site, mode = headers.get("sec-fetch-site", "none"), headers.get("sec-fetch-mode", "")
        if site in ("cross-site", "same-site") and not (mode == "navigate" and method == "GET"):
            raise Refused("requests from another site's pages are refused", 403)
        if name in self.shared and not self.login_ok(headers.get("authorization")):
            raise Refused("log in with the password printed where `drama review` was started", 401,
                          headers={"WWW-Authenticate": REALM})
        if len(raw_url) > MAX_URL:
            raise Refused(f"the URL is longer than {MAX_URL} bytes", 414)

    def login_ok(self, authorization: str | None) -> bool:
        """HTTP basic auth with any user name and this access's password, compared in constant time."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if self.password is None or scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given.partition(b":")[2], self.password.encode())


# --- what they may ask ------------------------------------------------------------------------------------------

async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, read while it comes and never past `limit` bytes (413 beyond it): a huge body costs the
    server no more memory than the cap."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise Refused("the Content-Length header is not a number")
        if len(declared) > 12 or int(declared) > limit:
            raise Refused(f"the request body is larger than {limit // 1024} KB", 413)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refused(f"the request body is larger than {limit // 1024} KB", 413)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Refused("the request was cut off") from None
    return b"".join(chunks)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object (empty: {}); Refused (400) for anything else: not UTF-8, not JSON, nested
    deeper than MAX_JSON_DEPTH, numbers longer than MAX_NUMBER_CHARS, NaN or Infinity, not an object."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the request body is not UTF-8 text") from None
    if _deeper_than(text, MAX_JSON_DEPTH):
        raise Refused(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise Refused("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused("the request body must be a JSON object")
    return data


def known_fields(data: Mapping[str, Any], fields: Iterable[str], what: str) -> None:
    """Refused (400) naming the first field of `data` that `fields` does not list, with a did-you-mean."""
    fields = list(fields)
    for name in data:
        if name not in fields:
            raise Refused(f"unknown field {name!r} in the {what}",
                          hint=did_you_mean(name, fields) or f"the fields are: {', '.join(fields) or 'none'}")


def _deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside each other, found in one linear scan
    (json.loads itself recurses, and overflows the stack on deep input)."""
    depth, in_string = 0, False
    for token in _JSON_STRUCTURE.findall(text):
        if token == '"':
            in_string = not in_string
        elif not in_string and token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif not in_string and token in "]}":
            depth -= 1
    return False


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise Refused(f"a number in the request body is longer than {MAX_NUMBER_CHARS} characters")
        return kind(text)

    return parse


def _no_constant(name: str) -> Any:
    raise Refused(f"{name} is not a number the page sends")


def resolve_inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None when it is absolute, climbs out with `..`, names something
    the operating system refuses (too long, bad characters), or resolves (through symlinks) outside `root`."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    parts = PurePosixPath(relative)
    if parts.is_absolute() or ".." in parts.parts:
        return None
    try:
        if any(len(os.fsencode(part)) > NAME_MAX for part in parts.parts):
            return None
        root = root.resolve()
        candidate = (root / parts).resolve()
        inside = candidate.is_relative_to(root) and candidate.is_file()
    except (OSError, ValueError):
        return None
    return candidate if inside else None
