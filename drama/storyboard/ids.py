"""Stable shot ids: derived from what a shot shows and which episode shows it, never from where it sits.

Creator picks and overrides are keyed by these ids, so editing one line must change only that line's
shot, inserting a line must change no other shot, and two episodes that reuse a set and a stock line must
never share a shot. An id hashes the episode, the scene (its heading without the scene number, which
renumbering changes; plus which occurrence of that heading it is), the shot's own script content, and a
counter for identical content within the scene.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from drama.screenplay.model import SceneHeading

ID_LENGTH = 10


def scene_key(heading: SceneHeading | None) -> str:
    """The part of a heading that names the place and time, not its number."""
    if heading is None:
        return ""
    if heading.location:
        return "|".join((heading.setting, heading.location.strip(), heading.time.strip()))
    text = heading.text.strip()
    if heading.number and text.startswith(heading.number):
        text = text[len(heading.number):].strip()
    return text


def digest(*parts: str) -> str:
    return hashlib.blake2b("\x1e".join(parts).encode("utf-8"), digest_size=ID_LENGTH // 2).hexdigest()


class ShotIds:
    """Hands out the ids of one episode, counting repeats of a heading and of identical content within a scene."""

    def __init__(self, episode: str) -> None:
        self.episode = episode
        self._headings: Counter[str] = Counter()
        self._scene = ""
        self._content: Counter[str] = Counter()

    def enter_scene(self, heading: SceneHeading | None) -> None:
        key = scene_key(heading)
        self._headings[key] += 1
        self._scene = f"{key}#{self._headings[key]}"
        self._content = Counter()

    def next(self, *content: str) -> str:
        key = "\x1f".join(content)
        self._content[key] += 1
        return self.id(self._scene, key, str(self._content[key]))

    def id(self, scene: str, content: str, occurrence: str) -> str:
        return digest(self.episode, scene, content, occurrence)
