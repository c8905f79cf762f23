"""Blocking: where the people of a scene stand and which way they face, so the 180° rule holds.

Everyone stands somewhere along one line, in the order the scene first shows them, and the camera stays on one
side of it. A single, an over-the-shoulder shot and a group each put people at their own x in frame; the scene
state also remembers who was mentioned and who spoke, which pronouns and listeners are resolved from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drama.screenplay.model import Action, Scene

# x in frame and facing, by screen side, for each kind of framing (the 180° line runs between the sides)
SINGLE = {"left": (0.4, "right"), "right": (0.6, "left")}
OTS_SPEAKER = {"left": (0.35, "right"), "right": (0.65, "left")}
OTS_SHOULDER = {"left": (0.15, "right"), "right": (0.85, "left")}
OTHER_SIDE = {"left": "right", "right": "left"}
_GROUP_SPAN = {"left": (0.15, 0.47), "right": (0.53, 0.85)}  # a group's people share each half of the frame


@dataclass
class SceneState:
    """Who is in the scene, who stands on which side of the line, who was mentioned and who spoke last."""

    present: list[str] = field(default_factory=list)  # everyone the scene shows, in order of first appearance
    line: list[str] = field(default_factory=list)  # where people stand, left to right as the camera sees them
    sides: dict[str, str] = field(default_factory=dict)  # the side each person was last framed on
    recent: list[str] = field(default_factory=list)  # most recently mentioned or heard first (for pronouns)
    last_speaker: str | None = None  # the last on-screen speaker
    speakers: list[str] = field(default_factory=list)  # on-screen speakers, most recent first
    last_action: Action | None = None
    node: Scene | None = None  # the scene node its shots belong to

    def side(self, name: str, *, opposite: str | None = None) -> str:
        """The screen side of `name`. Everyone stands somewhere along one line, in order of first sight, and the
        camera stays on one side of it: of any two, the one further left is framed on the left, so a pair keeps
        their sides for as long as they talk, and the middle of three looks left to one and right to the other.
        Alone, a person keeps the side they were last framed on."""
        for person in (name, opposite):
            if person is not None and person not in self.line:
                self.line.append(person)
        if opposite is not None:
            mine = "left" if self.line.index(name) < self.line.index(opposite) else "right"
            self.sides[name], self.sides[opposite] = mine, OTHER_SIDE[mine]
        elif name not in self.sides:
            self.sides[name] = "left" if 2 * self.line.index(name) < len(self.line) else "right"
        return self.sides[name]

    def heard(self, name: str) -> None:
        """`name` spoke on screen: the last speaker, and the most recent person for pronouns."""
        self.last_speaker = name
        for order in (self.recent, self.speakers):
            if name in order:
                order.remove(name)
            order.insert(0, name)


def spread(state: SceneState, names: list[str]) -> list[tuple[str, float, str]]:
    """(name, x, facing) for two or more people in one shot, left side first: two are put on opposite sides of
    the line; a larger group in its order along the line, the left half facing right, the right half left."""
    if len(names) == 2:
        state.side(names[0], opposite=names[1])
        sides = {name: state.sides[name] for name in names}
    else:
        for name in names:
            state.side(name)
        names = sorted(names, key=state.line.index)
        sides = {name: "left" if 2 * i < len(names) else "right" for i, name in enumerate(names)}
    placed = []
    for side, (low, high) in _GROUP_SPAN.items():
        here = [name for name in names if sides[name] == side]
        placed += [(name, round(low + (high - low) * (i + 1) / (len(here) + 1), 3), OTHER_SIDE[side])
                   for i, name in enumerate(here)]
    return placed
