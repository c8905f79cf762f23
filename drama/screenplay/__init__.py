"""Screenplay parsing: Fountain and the Chinese short-drama format into one typed AST (model.py).

    from drama.screenplay import parse_file
    script = parse_file("episodes/ep01.fountain")          # dialect detected per file
    script = parse_file("ep01.txt", dialect="zh")           # or forced
"""

from __future__ import annotations

from pathlib import Path

from drama.errors import DramaError, did_you_mean
from drama.screenplay import chinese, fountain
from drama.screenplay.dialect import DIALECTS, Dialect, detect
from drama.screenplay.lines import logical_lines
from drama.screenplay.model import Script
from drama.screenplay.source import read_text, split_lines

__all__ = ["DIALECTS", "Dialect", "Script", "detect_dialect", "parse_file", "parse_text"]

_PARSERS = {"fountain": fountain.parse, "zh": chinese.parse}
_ALIASES = {"zh": "zh", "chinese": "zh", "cn": "zh", "fountain": "fountain", "en": "fountain", "english": "fountain"}


def parse_file(path: str | Path, dialect: str | None = None) -> Script:
    """Read (any common encoding) and parse a screenplay file; DramaError names file and line on bad input."""
    path = Path(path)
    return parse_text(read_text(path), dialect=dialect, source=path)


def parse_text(text: str, dialect: str | None = None, source: str | Path | None = None) -> Script:
    """Parse screenplay text. `dialect` is "fountain", "zh" or None to detect it from the text."""
    source = Path(source) if source is not None else None
    lines = logical_lines(split_lines(text), source)
    chosen = _dialect(dialect, source) if dialect else detect(lines)
    return _PARSERS[chosen](lines, source)


def detect_dialect(text: str) -> Dialect:
    return detect(logical_lines(split_lines(text)))


def _dialect(name: str, source: Path | None) -> Dialect:
    chosen = _ALIASES.get(name.strip().lower())
    if chosen is None:
        raise DramaError(f"unknown screenplay dialect {name!r}", path=source,
                         hint=did_you_mean(name, _ALIASES) or f"use one of: {', '.join(DIALECTS)}")
    return chosen  # type: ignore[return-value]
