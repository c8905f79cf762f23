"""What changed between two plans of an episode: shots added, removed, and changed (which fields, from what to
what). Shot ids follow content, so an edited line is a new id at the same place: shots are matched in order
(difflib over the ids), and a removed shot facing an added one at the same place is one changed shot.

Pure: two storyboards in, a list of changes out.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel

from drama.storyboard.model import Shot, Storyboard

# the fields a creator sees change (ids, prompts and notes follow from them)
FIELDS = ("kind", "scene", "size", "angle", "move", "duration", "speaker", "text", "parenthetical", "action",
          "characters", "direction", "transition_in")


class FieldChange(BaseModel):
    field: str
    before: str
    after: str


class ShotChange(BaseModel):
    change: Literal["added", "removed", "changed"]
    shot: Shot  # the shot as it is now (as it was, when removed)
    fields: list[FieldChange] = []


def _value(shot: Shot, field: str) -> str:
    value = getattr(shot, field)
    if field == "characters":
        return ", ".join(person.name for person in value)
    if field == "duration":
        return f"{value:.1f} s"
    return "" if value is None else str(getattr(value, "value", value))


def _fields(before: Shot, after: Shot) -> list[FieldChange]:
    return [FieldChange(field=field, before=_value(before, field), after=_value(after, field))
            for field in FIELDS if _value(before, field) != _value(after, field)]


def diff(before: Storyboard, after: Storyboard) -> list[ShotChange]:
    """The changes from `before` to `after`, in the order of `after` (removed shots where they stood)."""
    old, new = before.shots, after.shots
    changes: list[ShotChange] = []
    matcher = difflib.SequenceMatcher(a=[s.id for s in old], b=[s.id for s in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes += [ShotChange(change="changed", shot=b, fields=fields)
                        for a, b in zip(old[i1:i2], new[j1:j2], strict=True) if (fields := _fields(a, b))]
            continue
        paired = min(i2 - i1, j2 - j1)
        changes += [ShotChange(change="changed", shot=b, fields=_fields(a, b))
                    for a, b in zip(old[i1:i1 + paired], new[j1:j1 + paired], strict=True)]
        changes += [ShotChange(change="added", shot=b) for b in new[j1 + paired:j2]]
        changes += [ShotChange(change="removed", shot=a) for a in old[i1 + paired:i2]]
    return changes
