"""Where the parser is: the current episode and scene, so both dialects file elements the same way.

A file without episode markers is one episode; material before the first scene heading goes into a
scene without a heading; an empty implicit episode before the first marker is dropped.
"""

from __future__ import annotations

from pathlib import Path

from drama.screenplay.lines import check_length
from drama.screenplay.model import Element, Episode, Scene, SceneHeading


class ScriptBuilder:
    def __init__(self, source: Path | None = None) -> None:
        self.source = source  # named in the errors of what is filed here
        self.episodes: list[Episode] = []
        self._implicit = False  # the current episode was opened by content, not by a marker

    def episode(self, number: int | None, title: str | None, line: int) -> None:
        if self._implicit and not self.episodes[-1].scenes:
            self.episodes.pop()
        self.episodes.append(Episode(number=number, title=title, line=line))
        self._implicit = False

    def scene(self, heading: SceneHeading | None) -> Scene:
        if not self.episodes:
            self.episodes.append(Episode())
            self._implicit = True
        scene = Scene(heading=heading)
        self.episodes[-1].scenes.append(scene)
        return scene

    @property
    def current_scene(self) -> Scene:
        if not self.episodes or not self.episodes[-1].scenes:
            return self.scene(None)
        return self.episodes[-1].scenes[-1]

    def add(self, *elements: Element) -> None:
        """File elements in the current scene; one whose text (joined from several lines) is longer than any shot
        could hold is an error at its first line."""
        for element in elements:
            check_length(getattr(element, "text", ""), element.type.replace("_", " "), element.line, self.source)
        self.current_scene.elements.extend(elements)

    def build(self) -> list[Episode]:
        return self.episodes or [Episode()]
