"""Where the parser is: the current episode and scene, so both dialects file elements the same way.

A file without episode markers is one episode; material before the first scene heading goes into a
scene without a heading; an empty implicit episode before the first marker is dropped.
"""

from __future__ import annotations

from drama.screenplay.model import Element, Episode, Scene, SceneHeading


class ScriptBuilder:
    def __init__(self) -> None:
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
        self.current_scene.elements.extend(elements)

    def build(self) -> list[Episode]:
        return self.episodes or [Episode()]
