"""Reading a screenplay file into clean lines.

Writers save in whatever their editor defaults to — UTF-8, UTF-8 with a BOM (Windows Notepad),
GBK/GB18030 (older Chinese tools), UTF-16 — with CRLF or CR line ends and tabs. The parsers only
ever see '\\n'-split lines with tabs as four spaces (the Fountain rule), so line numbers match editors.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from drama.errors import ScreenplayError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAVE_AS_UTF8 = "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8) and run again"


def read_text(path: Path) -> str:
    """The decoded text of a screenplay file; every failure is a ScreenplayError naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScreenplayError("no such screenplay file", path=path, hint="check the path and the file name") from None
    except IsADirectoryError:
        raise ScreenplayError("this is a folder, not a screenplay file", path=path,
                              hint="pass one screenplay file, e.g. episodes/ep01.fountain") from None
    except OSError as error:
        raise ScreenplayError(f"cannot read the file: {error.strerror or error}", path=path) from None
    return decode(data, path)


def inside_project(path: Path, root: Path) -> Path:
    """`path`, a screenplay the project found in its folder, unless it is a link to a file outside the project: drama
    reads what is outside only when the creator names it (`drama parse FILE`)."""
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise ScreenplayError(f"this screenplay is a link to {target}, outside the project", path=path,
                              hint="copy the file into the project's episodes/ folder instead of linking to it "
                                   "(`drama parse FILE` reads a screenplay anywhere)")
    return path


def decode(data: bytes, path: Path | None = None) -> str:
    """Decode by BOM, else UTF-8, else GB18030 (a superset of GBK and GB2312, so it covers both)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _reject_binary(data.decode(codec), path)
            except UnicodeDecodeError as error:
                raise _undecodable(data, error, path, codec) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise _undecodable(data, utf8_error, path, "UTF-8 or GBK/GB18030") from None
    return _reject_binary(text, path)


def split_lines(text: str) -> list[str]:
    """Lines split on LF, CRLF or CR, BOM dropped, tabs as four spaces (as Fountain specifies)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return text.split("\n")


def _undecodable(data: bytes, error: UnicodeDecodeError, path: Path | None, tried: str) -> ScreenplayError:
    line = data.count(b"\n", 0, error.start) + 1
    return ScreenplayError(f"cannot decode the file as {tried} (bad byte 0x{data[error.start]:02x})",
                           path=path, line=line, hint=_SAVE_AS_UTF8)


def _reject_binary(text: str, path: Path | None) -> str:
    nul = text.find("\x00")
    if nul >= 0:
        raise ScreenplayError("this looks like a binary file, not a screenplay (it contains NUL bytes)",
                              path=path, line=text.count("\n", 0, nul) + 1, hint=_SAVE_AS_UTF8)
    return text
