"""What drama makes of a model's draft: the screenplay text cleaned of chat wrapping, parsed by drama's own parser and
checked by `drama check` (drama.check) against the cast — the project's, plus the new characters the draft
introduces. Pure: text in, findings out.

A name the cast does not have is a new character when the draft introduces it (a 人物小传 entry; in Fountain, the
name in CAPITALS in an action line), or when it is close to no cast name and either listed in a 人物 line or close to
no name the draft lists or introduces. Otherwise it is a misspelling, and drama check's unknown-speaker error (with
the new characters in the cast it checks against) says so with the name meant.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from drama.check import Finding
from drama.check.project import check_episode
from drama.check.script import is_person
from drama.errors import DramaError, did_you_mean
from drama.project import Project
from drama.project.config import Cast, Character
from drama.screenplay import parse_text
from drama.screenplay.model import Action, Dialogue, Script

# warnings a writer fixes in the screenplay itself: sent back with the errors when a draft is repaired
REPAIRABLE = frozenset({"speaker", "unlisted", "long_line", "no_heading", "heading", "direction", "transition", "length"})
_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.S | re.I)
_SENTENCE = re.compile(r"[^.!?。！？]*(?:[.!?。！？]+|$)")
_FENCE = re.compile(r"^```[\w-]*\s*\n(?P<body>.*?)\n```\s*$", re.S)


class Verdict(BaseModel):
    text: str
    script: Script | None = None  # None when it does not parse
    findings: list[Finding]
    new_characters: list[Character] = []  # the people the draft introduces that the cast does not have

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def passed(self) -> bool:
        return not self.errors

    @property
    def to_repair(self) -> list[Finding]:
        """What a repair request names: every error, and the warnings the screenplay itself can fix."""
        return [f for f in self.findings if f.severity == "error" or (f.severity == "warning" and f.kind in REPAIRABLE)]


def screenplay_text(content: str) -> str:
    """The screenplay in a chat answer: without a reasoning model's <think> block or a Markdown code fence."""
    text = _THINKING.sub("", content).strip()
    if fence := _FENCE.match(text):
        text = fence["body"].strip()
    return text + "\n"


def introduction(script: Script, name: str) -> str | None:
    """How the draft introduces `name`: its 人物小传 entry, or (Fountain) the first action sentence naming them in
    capitals; None when it does not."""
    for bio in script.characters:
        if bio.name.strip() == name:
            return "，".join(part for part in (bio.age, bio.description) if part)
    if script.dialect != "fountain":
        return None
    upper = re.compile(rf"\b{re.escape(name.upper())}\b")
    for episode in script.episodes:
        for scene in episode.scenes:
            for element in scene.elements:
                if isinstance(element, Action) and (found := upper.search(element.text)):
                    return next(s.strip() for s in _SENTENCE.findall(element.text) if found.group() in s)
    return None


def new_characters(script: Script, cast: Cast) -> list[Character]:
    """The people of the draft (speakers, 人物 lines, 人物小传) the cast does not have and the draft means as new,
    described as the draft introduces them. A name close to a cast name is new only when introduced; one close to a
    name the draft introduces or lists in a 人物 line, only when introduced or listed itself."""
    known = {alias.casefold() for character in cast.character for alias in character.all_names}
    aliases = [alias for character in cast.character for alias in character.all_names]
    listed = [name.strip() for episode in script.episodes for scene in episode.scenes for name in scene.characters]
    names = [bio.name.strip() for bio in script.characters] + listed + [
        element.character.strip() for episode in script.episodes for scene in episode.scenes
        for element in scene.elements if isinstance(element, Dialogue)]
    people = [name for name in dict.fromkeys(names) if name and name.casefold() not in known and is_person(name)]
    introductions = {name: introduction(script, name) for name in people}
    established = [name for name in people if introductions[name] is not None or name in listed]
    found = []
    for name in people:
        others = [other for other in established if other != name]
        if introductions[name] is not None or (did_you_mean(name, aliases) is None and (
                name in established or did_you_mean(name, others) is None)):
            found.append(Character(name=name, description=introductions[name] or ""))
    return found


def judge(content: str, project: Project, path: Path, dialect: str, *, cut_off: bool = False) -> Verdict:
    """The findings of drama's parser and `drama check` on a draft that would be saved at `path`; `cut_off`: the
    answer stopped at the model's output limit (an error: the episode's end is missing)."""
    verdict = _judge(screenplay_text(content), project, path, dialect)
    if cut_off:
        verdict.findings.insert(0, Finding(
            severity="error", kind="parse", file=path, line=len(verdict.text.splitlines()) or 1,
            message="the answer stops here, at the model's output limit: the rest of the episode is missing",
            fix="write the episode shorter (fewer scenes, shorter lines) so it ends within the limit"))
    return verdict


def _judge(text: str, project: Project, path: Path, dialect: str) -> Verdict:
    try:
        script = parse_text(text, dialect=dialect, source=path)
    except DramaError as error:
        return Verdict(text=text, findings=[Finding(severity="error", kind="parse", message=error.message, file=path,
                                                    line=error.line, fix=error.hint or "rewrite the line it names")])
    scenes = [episode for episode in script.episodes if episode.scenes]
    if not scenes:
        return Verdict(text=text, script=script, findings=[Finding(
            severity="error", kind="no_heading", file=path, line=1, message="the draft has no scene heading",
            fix="start every scene with a heading (1-1 日 内 客厅, or INT. ROOM - DAY)")])
    if len(script.episodes) > 1:
        return Verdict(text=text, script=script, findings=[Finding(
            severity="error", kind="parse", file=path, line=script.episodes[1].line,
            message=f"the draft holds {len(script.episodes)} episodes; this file is one",
            fix="write only the episode asked for, under one episode marker")])
    new = new_characters(script, project.cast)
    cast = Cast(character=[*project.cast.character, *new])
    findings = check_episode(Project(project.root, project.config, cast), path.stem, script, 0, planner_warnings=False)
    return Verdict(text=text, script=script, findings=findings, new_characters=new)
