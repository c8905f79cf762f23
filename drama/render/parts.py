"""A candidate's score as data: the composite and the parts it is made of, each with its weight and reason.

Kept apart from the measuring code (drama.render.scoring) so reading scores never loads numpy.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScorePart(BaseModel):
    name: str
    value: float | None = Field(ge=0.0, le=1.0)  # None: not measurable for this draw, left out of the total
    weight: float = Field(ge=0.0)
    explanation: str


class Score(BaseModel):
    total: float = Field(ge=0.0, le=1.0)
    parts: list[ScorePart]

    @classmethod
    def combine(cls, parts: list[ScorePart]) -> "Score":
        measured = [part for part in parts if part.value is not None]
        weight = sum(part.weight for part in measured)
        total = sum(part.value * part.weight for part in measured) / weight if weight else 0.0
        return cls(total=round(min(1.0, max(0.0, total)), 4), parts=parts)
