"""The messages of an adaptation, from templates/prompts/adapt_*.j2: the system message (the screenplay format drama
parses), the request for one episode, and a repair request naming what drama found in the draft."""

from __future__ import annotations

from drama.adapt.llm import Message
from drama.adapt.story import StoryPart
from drama.check import Finding
from drama.check.project import TARGET_SECONDS
from drama.project.config import Character
from drama.templates import environment

MINUTES = (round(TARGET_SECONDS[0] / 60), round(TARGET_SECONDS[1] / 60))


def _render(name: str, **values: object) -> str:
    low, high = MINUTES
    return environment("prompts").get_template(name).render(low=low, high=high, **values).strip()


def episode_messages(dialect: str, part: StoryPart, total: int, title: str, cast: list[Character],
                     previous: str = "") -> list[Message]:
    return [Message(role="system", content=_render("adapt_system.j2", dialect=dialect)),
            Message(role="user", content=_render("adapt_episode.j2", dialect=dialect, part=part, total=total,
                                                 title=title, cast=cast, previous=previous))]


def repair_message(dialect: str, findings: list[Finding]) -> Message:
    return Message(role="user", content=_render("adapt_repair.j2", dialect=dialect, findings=findings))
