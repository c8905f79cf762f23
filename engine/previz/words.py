"""Finding descriptive words in English or Chinese text: whole words for Latin script ("tailored" is
not "red", "shallow" is not "hall"), plain substrings for CJK, which has no spaces."""

from __future__ import annotations

import re
from collections.abc import Iterable


def find(word: str, text: str) -> int:
    """Where `word` occurs in the lower-case `text`, or -1."""
    if word.isascii():
        found = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text)
        return found.start() if found else -1
    return text.find(word)


def mentions(text: str, words: Iterable[str]) -> bool:
    return any(find(w, text) >= 0 for w in words)
