"""Finding descriptive words in English or Chinese text: whole words for Latin script ("tailored" is
not "red", "woman" is not "man", "install" is not "tall"), plain substrings for CJK, which has no spaces.

A Latin word or phrase matches a run of whole tokens (letters and digits), case-insensitively; the gaps
inside a phrase may be any spaces or hyphens, so "t shirt" finds "T-shirt" and "middle aged" finds
"middle-aged".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

TOKEN = r"[a-z0-9]"  # tokens are maximal runs of Latin letters and digits (CJK around them is a boundary)


@lru_cache(maxsize=1024)
def _pattern(phrase: str) -> re.Pattern[str]:
    parts = re.findall(r"[a-z0-9]+|[^a-z0-9\s-]", phrase.lower())
    body = re.escape(parts[0])
    for before, part in pairwise(parts):
        gap = r"[\s\-]+" if before.isalnum() and part.isalnum() else r"\s*"  # "t shirt" ~ "T-shirt"; "y/o" ~ "y / o"
        body += gap + re.escape(part)
    return re.compile(rf"(?<!{TOKEN}){body}(?!{TOKEN})", re.IGNORECASE)


def find(word: str, text: str) -> int:
    """Where `word` (a word or phrase) first occurs in `text`, or -1."""
    if word.isascii():
        found = _pattern(word).search(text)
        return found.start() if found else -1
    return text.find(word)


def mentions(text: str, words: Iterable[str]) -> bool:
    return any(find(w, text) >= 0 for w in words)
