"""The checks that read the screenplay alone (and the cast's names): speakers, 人物 lines, line lengths, scene
headings, transitions. Pure: a parsed episode in, findings out.

They follow the planner's own reading of the script, so what is flagged here is what the storyboard would do:
an unknown speaker is an error because the planner refuses it; a long line is covered by as many shots as
`timing.split_speech` cuts it into; a transition is one the edit (drama/edit/timeline.py) turns into a cut.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from drama.check.finding import Finding
from drama.edit.subtitles import MAX_LINES, MAX_UNITS, width
from drama.edit.timeline import CUTS, DIPS
from drama.errors import did_you_mean
from drama.project.config import Cast
from drama.screenplay.model import Action, Dialogue, Episode, Scene, Script, Transition
from drama.storyboard.editorial import cue_kind, heading_kind
from drama.storyboard.planner import is_narrator
from drama.storyboard.pronouns import group, is_voice
from drama.storyboard.timing import MAX_SPEECH, reading_seconds, split_speech

_LATER = re.compile(r"LATER|MOMENTS|稍后|片刻后|随后", re.I)
_EDIT_TRANSITIONS = "CUT TO:, DISSOLVE TO:, FADE IN:, FADE OUT., FADE TO BLACK. or DIP TO WHITE. (叠化, 淡入, 淡出, 黑屏)"


def _dialogues(episode: Episode) -> Iterator[tuple[Scene, Dialogue]]:
    for scene in episode.scenes:
        for element in scene.elements:
            if isinstance(element, Dialogue):
                yield scene, element


def is_person(name: str) -> bool:
    """A cue the planner draws as someone (not the narrator, a group, a voice, or a direction such as SUPER)."""
    return not (is_narrator(name) or group(name, cue=True) or is_voice(name) or cue_kind(name))


def unknown_speakers(episode: Episode, cast: Cast) -> set[str]:
    """The cues the planner refuses: people not in a non-empty cast.toml (an unknown voice heard off screen,
    with no cast name close to it, is kept as a voice)."""
    aliases = [alias for character in cast.character for alias in character.all_names]
    if not aliases:
        return set()
    known = {alias.casefold() for alias in aliases}
    return {name for _, dialogue in _dialogues(episode) if (name := dialogue.character.strip())
            and is_person(name) and name.casefold() not in known
            and not (dialogue.voiceover and did_you_mean(name, aliases) is None)}


def speakers(script: Script, episode: Episode, cast: Cast) -> list[Finding]:
    """Cues that name no one drama knows. With a cast: every unknown person is an error (the storyboard cannot be
    planned), with the closest name; an unknown voice off screen is noted. Without one: a cue close to a name the
    script lists (人物, 人物小传) but not that name is a likely typo; with no list either, a cue said once that is
    close to one said several times."""
    aliases = [alias for character in cast.character for alias in character.all_names]
    refused = unknown_speakers(episode, cast)
    listed = list(dict.fromkeys([bio.name for bio in script.characters]
                                + [name for scene in episode.scenes for name in scene.characters]))
    counted = not aliases and not listed  # no list to go by: the names that speak more than once are the cast
    if counted:
        said = Counter(name for _, d in _dialogues(episode) if is_person(name := d.character.strip()))
        listed = [name for name, count in said.items() if count > 1]
    findings = []
    for _, dialogue in _dialogues(episode):
        name = dialogue.character.strip()
        at = {"file": script.source, "line": dialogue.line}
        if aliases and name in refused:
            close = did_you_mean(name, aliases)
            findings.append(Finding(
                severity="error", kind="speaker", **at,
                message=f"unknown speaker {name!r}: not in cast.toml, so the episode cannot be planned"
                        + (f" ({close})" if close else ""),
                fix=(f"correct the cue: {close}" if close else
                     f'add [[character]] name = "{name}" (with a description) to cast.toml')))
        elif aliases and dialogue.voiceover and is_person(name) and name.casefold() not in {a.casefold() for a in aliases}:
            findings.append(Finding(
                severity="info", kind="speaker", **at,
                message=f"{name} is heard off screen and is not in cast.toml: a voice, never drawn",
                fix=f'add [[character]] name = "{name}" to cast.toml if they are ever seen, or to choose their voice'))
        elif not aliases and listed and is_person(name) and name not in listed:
            # YOUNG ADA beside ADA, 少女林晚 beside 林晚: another part of the same person, not a typo
            close = did_you_mean(name, [other for other in listed if other not in name and name not in other])
            if close:
                findings.append(Finding(
                    severity="warning", kind="speaker", **at,
                    message=f"speaker {name!r} " + ("speaks once, close to a name that speaks more" if counted else
                                                    "is not a character the script lists")
                            + f" ({close}): the storyboard would draw them as a new person",
                    fix=f"correct the cue, or add {name} to cast.toml if they are a new character" if counted else
                        f"correct the cue, or add {name} to the 人物 line and the 人物小传 if they are a new character"))
    return findings


def unlisted(script: Script, episode: Episode, cast: Cast) -> list[Finding]:
    """Someone speaks, on screen, in a scene whose 人物 line leaves them out: the establishing shot and the
    blocking are made from that line, so they would pop into the scene."""
    findings = []
    for scene in episode.scenes:
        if not scene.characters or scene.heading is None:
            continue
        listed = {_canonical(name, cast) for name in scene.characters}
        said: set[str] = set()
        for element in scene.elements:
            if not isinstance(element, Dialogue) or element.voiceover:
                continue
            name = element.character.strip()
            canonical = _canonical(name, cast)
            if not is_person(name) or canonical in listed or canonical in said:
                continue
            if cast.character and cast.find(name) is None:
                continue  # an unknown speaker: already an error
            said.add(canonical)
            entrance = next((e for e in scene.elements[:scene.elements.index(element)] if isinstance(e, Action)
                             and any(alias in e.text for alias in _names(canonical, cast))), None)
            findings.append(Finding(
                severity="info" if entrance else "warning", kind="unlisted", file=script.source, line=element.line,
                message=f"{name} speaks in scene {scene.heading.number or scene.heading.text} but its 人物 line "
                        f"(under line {scene.heading.line}) does not list them"
                        + (f"; they enter at line {entrance.line}" if entrance else
                           ": the establishing shot and the blocking leave them out"),
                fix=f"add {name} to 人物：{'、'.join(scene.characters)}"))
    return findings


def _names(canonical: str, cast: Cast) -> list[str]:
    character = cast.find(canonical)
    return character.all_names if character else [canonical]


def _canonical(name: str, cast: Cast) -> str:
    character = cast.find(name.strip())
    return character.name if character else name.strip()


def long_lines(script: Script, episode: Episode) -> list[Finding]:
    """A line longer than one shot holds (the planner covers it with several: speaker, listener, tighter), or
    longer than one subtitle cue shows (2 lines of 16 CJK or 32 Latin characters)."""
    findings = []
    cue_units = MAX_UNITS * MAX_LINES
    for _, dialogue in _dialogues(episode):
        seconds = reading_seconds(dialogue.text)
        pieces = split_speech(dialogue.text)
        at = {"file": script.source, "line": dialogue.line}
        if len(pieces) > 1:
            findings.append(Finding(
                severity="warning" if len(pieces) > 2 else "info", kind="long_line", **at,
                message=f"{dialogue.character.strip()}'s line takes about {seconds:.0f} s to say, longer than one "
                        f"shot holds ({MAX_SPEECH:g} s): the storyboard covers it with {len(pieces)} shots",
                fix="split it into shorter lines (a reply from the listener in between plays better), "
                    f"e.g. after “…{_tail(pieces[0])}”"))
        elif width(dialogue.text) > cue_units:
            findings.append(Finding(
                severity="info", kind="long_line", **at,
                message=f"{dialogue.character.strip()}'s line is too long for one subtitle cue "
                        f"({width(dialogue.text):.0f} of {cue_units} characters): it is shown as "
                        f"{math.ceil(width(dialogue.text) / cue_units)} cues",
                fix=f"shorten it to {cue_units} characters (CJK; twice as many Latin), or make it two lines"))
    return findings


def _tail(text: str) -> str:
    """The end of a piece of a line, to say where it could be split: a few words, or ten CJK characters."""
    return text[-10:] if any("\u3400" <= c <= "\u9fff" for c in text) else " ".join(text.split()[-4:])


def headings(script: Script, episode: Episode) -> list[Finding]:
    """Text before any scene heading, and headings whose time of day or place drama cannot read."""
    zh = script.dialect == "zh"
    example = "1-1 日 内 客厅" if zh else "INT. LIVING ROOM - DAY"
    findings = []
    for scene in episode.scenes:
        heading = scene.heading
        if heading is None:
            shown = [e for e in scene.elements if e.type in ("action", "dialogue", "title_card")]
            if shown:
                findings.append(Finding(
                    severity="warning", kind="no_heading", file=script.source, line=shown[0].line,
                    message="this comes before any scene heading: the storyboard does not know where or when it "
                            "happens (no establishing shot, no set)",
                    fix=f"write a scene heading above it, e.g. {example}"))
            continue
        if not heading.setting and heading_kind(heading.text):
            continue  # a POV, insert or BACK TO SCENE heading: a shot in the current scene, no place of its own
        at = {"file": script.source, "line": heading.line}
        if not heading.time:
            findings.append(Finding(
                severity="warning", kind="heading", **at,
                message=f"the heading “{heading.text}” gives no time of day: the scene is lit as if by day",
                fix="add the time: 日, 夜, 晨, 黄昏 (e.g. 1-1 夜 内 客厅)" if zh
                    else "end the heading with the time: - DAY, - NIGHT, - DAWN, - DUSK or - CONTINUOUS"))
        elif heading.time_of_day == "unknown":
            later = bool(_LATER.search(heading.time))
            findings.append(Finding(
                severity="info" if later else "warning", kind="heading", **at,
                message=f"the time “{heading.time}” in “{heading.text}” is not a time of day drama reads"
                        + (": the light is not carried over from the scene before" if later else ""),
                fix="write 日, 夜, 晨, 黄昏, 黎明 …" if zh else "write DAY, NIGHT, MORNING, EVENING, DAWN, DUSK or CONTINUOUS"))
        if not heading.location:
            findings.append(Finding(
                severity="warning", kind="heading", **at,
                message=f"the heading “{heading.text}” names no place: the set is guessed",
                fix="name the place, e.g. " + ("1-1 日 内 客厅" if zh else "INT. KITCHEN - NIGHT")))
    return findings


def transitions(script: Script, episode: Episode) -> list[Finding]:
    """Transitions the edit cannot do: an effect it has not (WIPE, IRIS: it cuts), and anything but a fade out at
    the very end (every episode ends fading to black)."""
    elements = [(scene, element) for scene in episode.scenes for element in scene.elements]
    last = next((i for i in range(len(elements) - 1, -1, -1) if elements[i][1].type not in ("note", "page_break")), None)
    findings = []
    for index, (_, element) in enumerate(elements):
        if not isinstance(element, Transition):
            continue
        at = {"file": script.source, "line": element.line}
        if element.kind == "other":
            findings.append(Finding(
                severity="warning", kind="transition", **at,
                message=f"the edit has no “{element.text}”: it cuts here instead",
                fix=f"use one it does: {_EDIT_TRANSITIONS}"))
        elif index == last and element.kind not in DIPS - {"dip"}:
            done = "cuts" if element.kind in CUTS else f"does no {element.kind.replace('_', ' ')}"
            findings.append(Finding(
                severity="info", kind="transition", **at,
                message=f"“{element.text}” ends the episode, where the edit {done}: every episode ends fading "
                        "to black",
                fix="end on FADE OUT. (淡出) or leave the transition out"))
    return findings


def check_script(script: Script, episode: Episode, cast: Cast) -> list[Finding]:
    """Every script-only check of one episode."""
    return [*speakers(script, episode, cast), *unlisted(script, episode, cast), *long_lines(script, episode),
            *headings(script, episode), *transitions(script, episode)]
