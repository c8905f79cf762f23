"""The story to adapt, cut into the parts that become episodes. Pure apart from reading the file.

An outline that marks its episodes (第一集, 第2集, Episode 3) is cut at its markers. Anything else — a short story, a
novel chapter — is cut at paragraphs (at sentences when there are fewer paragraphs than episodes) into parts of
about equal reading time: one episode for every STORY_SECONDS_PER_EPISODE of story read aloud, since a short-drama
episode of 1–3 min tells about twice as much as it shows (`--episodes N` decides instead).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from drama.errors import DramaError
from drama.screenplay.episodes import episode_marker
from drama.screenplay.source import decode
from drama.storyboard.timing import reading_seconds

STORY_SECONDS_PER_EPISODE = 240.0  # four minutes of story read aloud make one episode of about two
MAX_EPISODES = 200
_SENTENCE = re.compile(r"(?:[^。！？!?.]|\.(?!\s|$))*(?:[。！？!?.]+[”」』\"']*|$)\s*")


class StoryPart(BaseModel):
    number: int  # the episode it becomes, from 1
    title: str | None = None  # from the outline's marker
    text: str
    line: int  # where it starts in the story file
    background: str = ""  # what an outline says before its first episode (premise, characters): every episode's context


def read_story(path: Path) -> str:
    """The story's text in any common encoding; a clear error for a missing, empty or binary file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DramaError("no such story file", path=path, hint="give the text file of the story, outline or chapter") from None
    except IsADirectoryError:
        raise DramaError("this is a folder, not a story file", path=path, hint="give one text file") from None
    text = decode(data, Path(path))
    if not text.strip():
        raise DramaError("the story file is empty", path=path, hint="write the story (or its outline) in it first")
    return text


def _blocks(text: str) -> list[tuple[int, str]]:
    """Paragraphs with their first line: separated by blank lines, or each line one when none are blank."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    joined = "\n\n" in "\n".join(line.strip() for line in lines).strip()  # blank lines separate paragraphs
    blocks: list[tuple[int, str]] = []
    after_blank = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            after_blank = True
        elif joined and not after_blank:
            blocks[-1] = (blocks[-1][0], f"{blocks[-1][1]}\n{line.strip()}")
        else:
            blocks.append((number, line.strip()))
            after_blank = False
    return blocks


def _by_markers(text: str) -> list[StoryPart]:
    parts: list[StoryPart] = []
    background: list[str] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if marker := episode_marker(line):
            parts.append(StoryPart(number=len(parts) + 1, title=marker.title, text="", line=number))
        elif line.strip():
            if parts:
                parts[-1].text = f"{parts[-1].text}\n{line.strip()}".strip()
            else:
                background.append(line.strip())
    told = [part for part in parts if part.text]  # a marker with nothing under it is no episode
    return [part.model_copy(update={"number": number, "background": "\n".join(background)})
            for number, part in enumerate(told, start=1)]


def episode_count(text: str) -> int:
    return max(1, min(MAX_EPISODES, round(reading_seconds(text) / STORY_SECONDS_PER_EPISODE)))


def split_story(text: str, episodes: int | None = None) -> list[StoryPart]:
    """The story as `episodes` parts (or as many as its length or its episode markers say), in order."""
    marked = _by_markers(text)
    if marked and (episodes is None or episodes == len(marked)):
        return marked
    count = episodes or episode_count(text)
    units = _blocks(text)
    if len(units) < count:
        units = [(line, sentence.strip()) for line, block in units for sentence in _SENTENCE.findall(block)
                 if sentence.strip()]
    count = min(count, len(units))
    seconds = [max(reading_seconds(body), 0.1) for _, body in units]
    reached = [sum(seconds[:j]) for j in range(len(units) + 1)]  # story time before unit j
    bounds = [0]
    for k in range(1, count):  # each cut where the story has run k/count of its time, leaving a unit for each part after
        bounds.append(min(range(bounds[-1] + 1, len(units) - (count - k) + 1),
                          key=lambda j: abs(reached[j] - reached[-1] * k / count)))
    bounds.append(len(units))
    return [StoryPart(number=index + 1, text="\n".join(body for _, body in units[start:end]), line=units[start][0])
            for index, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]
