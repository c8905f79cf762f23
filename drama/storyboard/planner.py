"""The rule-based planner: one episode of a Script in, a Storyboard out, the way a cinematographer would break it down.

Rules, in the order they apply to each scene (each shot's `notes` say which ones chose it):
- an establishing shot opens the scene (EWS/WS outside, FS inside) and carries the scene's first action; its move
  depends on the place, the time and where the scene sits in the episode (a place seen before is held still);
- an action shows who it names: names, aliases, pronouns (the most recent character of that sex in the scene) and
  group labels (众人, everyone: all present plus unnamed extras); an action about an object is an insert of it;
  its move, angle and size come from its verbs and status words (see cues.py), its props from its nouns (props.py);
- a line goes on its speaker: over the shoulder of whoever it addresses (a name in the line, else the last other
  speaker), a medium close-up otherwise, a close-up pushing in for a strong emotion, low or high or canted by
  status; a line longer than timing.MAX_SPEECH is covered by several shots (the speaker, a cut-away to the
  listener, a tighter shot); the 180° rule holds: people stand along one line in order of first sight and the
  camera keeps to one side of it, so any two keep their left-to-right order for the whole scene;
- a voice off screen is never drawn speaking: 旁白 and a V.O. of someone absent play over the shot before (when it
  has no line) or an insert, an O.S. voice or a voice cue (A DEEP VOICE, RADIO, FILTERED) over the listener, an inner
  voice (内心, OS in the Chinese format, V.O. of someone present) over the thinker's face; a group cue speaks wide;
- dual dialogue is one two-shot, the second line in `Shot.dual`;
- screenplay directions go to the edit (editorial.py): transitions to the next shot's `transition_in`, titles to
  title cards, sign text to an insert; a POV or insert heading is a shot in the current place, not a new scene;
- an explicit direction (`[[CU, dolly in]]`, `【镜头：特写 推】`) overrides the rules for the next shot.

Pure: reads no files of the project (templates and style presets are package data, cached).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property

from drama.errors import DramaError, did_you_mean
from drama.project import Character, Project
from drama.screenplay.model import (Action, Dialogue, Element, Episode, Note, Scene, SceneHeading, Script, Span,
                                    TitleCard, Transition, TransitionKind)
from drama.storyboard import timing
from drama.storyboard.blocking import OTS_SHOULDER, OTS_SPEAKER, SINGLE, SceneState, spread
from drama.storyboard.cues import Emotion, action_cue, emotion, is_detail, status_angle
from drama.storyboard.directions import Direction, parse_direction
from drama.storyboard.editorial import HeadingKind, Part, cue_kind, heading_kind, split_action
from drama.storyboard.ids import ShotIds
from drama.storyboard.model import DualLine, ShotCharacter, ShotKind, Shot, Storyboard
from drama.storyboard.prompts import Style, frame_words, load_style, render_prompt
from drama.storyboard.pronouns import Group, Sex, group, heard_through, is_voice, resolve, sex_from_description
from drama.storyboard.props import focus, props_in
from drama.storyboard.vocabulary import Angle, Move, ShotSize

NARRATOR_NAMES = frozenset({"旁白", "narrator", "narration", "解说"})

_TIGHT = (ShotSize.MCU, ShotSize.CU, ShotSize.ECU)
_TIGHTER = {ShotSize.OTS: ShotSize.CU, ShotSize.MS: ShotSize.MCU, ShotSize.MCU: ShotSize.CU, ShotSize.CU: ShotSize.CU,
            ShotSize.ECU: ShotSize.ECU, ShotSize.FS: ShotSize.MS, ShotSize.WS: ShotSize.FS, ShotSize.EWS: ShotSize.WS}
# cue extensions that mean the speaker's own thoughts (seen, lips still) rather than a voice from off screen
_INNER = re.compile(r"内心|心声|独白|心理|^V\.?\s*O\.?$|VOICE[- ]?OVER", re.I)
_ZH_OS = re.compile(r"^OS$", re.I)  # in the Chinese format a bare OS is the inner voice
# the next framing when two shots in a row would show the same people the same way (a jump cut): one person
# goes tighter or looser, a group wider or closer but never so tight that anyone leaves the frame
_NO_JUMP = {ShotSize.MCU: ShotSize.CU, ShotSize.CU: ShotSize.MCU, ShotSize.ECU: ShotSize.CU, ShotSize.OTS: ShotSize.CU,
            ShotSize.MS: ShotSize.MCU, ShotSize.FS: ShotSize.MS, ShotSize.WS: ShotSize.MS, ShotSize.EWS: ShotSize.WS}
_NO_JUMP_EMPHATIC = {ShotSize.CU: ShotSize.ECU, ShotSize.ECU: ShotSize.CU}
_NO_JUMP_GROUP = {ShotSize.MS: ShotSize.FS, ShotSize.FS: ShotSize.MS, ShotSize.WS: ShotSize.FS, ShotSize.EWS: ShotSize.WS}
_PEOPLE_SHOTS = ("dialogue", "reaction", "action", "insert")  # an insert with people is a POV
_DRIFT_AFTER = 4.0  # seconds: a longer line on one face drifts in slowly rather than sitting still


def is_narrator(name: str) -> bool:
    return name.strip().casefold() in NARRATOR_NAMES


def episode_id(script: Script, index: int) -> str:
    """"<stem>" for a file with one episode, "<stem>-<n>" for a file with several."""
    stem = script.source.stem if script.source else "episode"
    return stem if len(script.episodes) <= 1 else f"{stem}-{index + 1}"


def _slice(spans: list[Span], start: int, end: int) -> list[Span]:
    """The emphasis of text[start:end], from spans that cover the whole text (empty when nothing is emphasised)."""
    out: list[Span] = []
    position = 0
    for span in spans:
        left, right = max(start, position), min(end, position + len(span.text))
        if left < right:
            out.append(Span(text=span.text[left - position:right - position], styles=span.styles))
        position += len(span.text)
    return out if any(span.styles for span in out) else []


def _leads(items: list, index: int) -> bool:
    """Whether items[index] belongs before a scene's establishing shot: a note (it directs that shot), or a
    transition the first action follows (FADE IN: on the line above it)."""
    item = items[index] if index < len(items) else None
    following = items[index + 1] if index + 1 < len(items) else None
    return isinstance(item, Note) or isinstance(item, Transition) and isinstance(following, Action)


@dataclass
class _Sign:
    """Sign text found in action (THE SIGN READS: …, 站牌上写着：…): an insert showing it."""

    line: int
    text: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Framing:
    """A POV or insert written as a line of action (INSERT - THE LOGBOOK): a shot in the current place."""

    heading: SceneHeading
    kind: HeadingKind


@dataclass
class _Draft:
    """A shot being planned; ids and prompts are added once the whole episode is laid out."""

    kind: ShotKind
    scene: str
    node: Scene  # the scene this shot belongs to
    size: ShotSize
    content: tuple[str, ...]  # the script content the id hashes
    duration: float
    angle: Angle = Angle.EYE
    move: Move = Move.STATIC
    move_direction: int = 1
    move_strength: float = 1.0
    characters: list[ShotCharacter] = field(default_factory=list)
    speaker: str | None = None
    text: str | None = None
    spans: list[Span] = field(default_factory=list)
    parenthetical: str | None = None
    dual: DualLine | None = None
    expression: str | None = None
    emphatic: bool = False  # a strong emotion chose its close-up: a jump cut is avoided by going tighter
    voiceover: bool = False
    action: str | None = None
    props: list[str] = field(default_factory=list)
    extras: int = 0
    notes: list[str] = field(default_factory=list)
    transition_in: TransitionKind = "cut"
    transition_color: str | None = None
    source_lines: list[int] = field(default_factory=list)
    direction: str | None = None


class Planner:
    """Plans one episode. Use `plan()`; the class only holds the state the rules share."""

    def __init__(self, script: Script, episode_index: int, project: Project, style: Style | None = None,
                 ids: type[ShotIds] = ShotIds):
        if not 0 <= episode_index < len(script.episodes):
            raise DramaError(f"episode {episode_index + 1} not found: the script has {len(script.episodes)}",
                             path=script.source)
        self.script = script
        self.episode: Episode = script.episodes[episode_index]
        self.episode_index = episode_index
        self.project = project
        self.style = style or load_style(project.config.style)
        self.ids = ids
        self.drafts: list[_Draft] = []
        self.pending_transition: Transition | None = None
        self.pending_direction: Direction | None = None
        self.places_seen: set[str] = set()

    # --- names -------------------------------------------------------------------------------------------

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every name or alias a script may use → the canonical name shots carry (never a group or a voice)."""
        if self.project.cast.character:
            names = {alias.casefold(): c.name for c in self.project.cast.character for alias in c.all_names}
        else:
            found = {d.character.strip() for scene in self.episode.scenes for d in scene.elements if isinstance(d, Dialogue)}
            found |= {name.strip() for scene in self.episode.scenes for name in scene.characters}
            names = {name.casefold(): name for name in found if name and not is_narrator(name)}
        return {alias: name for alias, name in names.items() if not self._not_a_person(name)}

    @staticmethod
    def _not_a_person(name: str) -> bool:
        return is_narrator(name) or is_voice(name) or cue_kind(name) is not None or group(name, cue=True) is not None

    @cached_property
    def _mention_pattern(self) -> re.Pattern[str] | None:
        if not self._names:
            return None
        ordered = sorted(self._names, key=len, reverse=True)
        return re.compile("|".join(rf"\b{re.escape(n)}\b" if n.isascii() else re.escape(n) for n in ordered), re.IGNORECASE)

    def _mentions(self, text: str) -> list[tuple[int, str]]:
        """(position, canonical name) of every name or alias in `text`."""
        if self._mention_pattern is None:
            return []
        return [(match.start(), self._names[match.group(0).casefold()]) for match in self._mention_pattern.finditer(text)]

    def _named(self, text: str) -> list[str]:
        return list(dict.fromkeys(name for _, name in self._mentions(text)))

    @cached_property
    def _characters(self) -> dict[str, Character]:
        return {c.name: c for c in self.project.cast.character}

    def _sex(self, name: str) -> Sex | None:
        """The cast's `sex`, else what the description's gendered words say, else unknown."""
        character = self._characters.get(name)
        if character is None:
            return None
        return character.sex or sex_from_description(character.description)

    def _present(self, scenes: list[Scene]) -> list[str]:
        """Everyone the scene shows: its 人物 list, its on-screen speakers, the people its actions name."""
        people: list[str] = []
        for scene in scenes:
            people += self._listed(scene)
            for element in scene.elements:
                if isinstance(element, Dialogue) and not element.voiceover:
                    name = self._names.get(element.character.strip().casefold())
                    people += [name] if name else []
                elif isinstance(element, Action):
                    people += self._named(element.text)
        return list(dict.fromkeys(people))

    def _on_screen(self, name: str, x: float, facing: str, *, speaking: bool = False, foreground: bool = False) -> ShotCharacter:
        character = self._characters.get(name)
        refs = [self.project.root / ref for ref in character.references] if character else []
        return ShotCharacter(name=name, reference_images=refs, x=x, facing=facing, speaking=speaking, foreground=foreground)

    def _single(self, state: SceneState, name: str, side: str | None = None, *, speaking: bool = False) -> ShotCharacter:
        x, facing = SINGLE[side or state.side(name)]
        return self._on_screen(name, x, facing, speaking=speaking)

    def _group(self, state: SceneState, names: list[str], size: ShotSize) -> list[ShotCharacter]:
        """Characters of an action, establishing or group shot, left side first; a tight shot keeps only the
        first. Two people are on opposite sides; a larger group stands in its order along the line."""
        if not names:
            return []
        if size in _TIGHT:
            names = names[:1]
        if len(names) == 1:
            return [self._single(state, names[0])]
        return [self._on_screen(name, x, facing) for name, x, facing in spread(state, names)]

    # --- shots -------------------------------------------------------------------------------------------

    def _add(self, draft: _Draft, notes: list[str] | None = None) -> _Draft:
        """Append a shot, applying a pending transition and the explicit direction that governs it."""
        if self.pending_transition:
            transition, self.pending_transition = self.pending_transition, None
            draft.transition_in = transition.kind
            draft.transition_color = transition.color if transition.kind == "dip" else None
            draft.notes.append(f"the script's “{transition.text}”: {transition.kind.replace('_', ' ')} into this shot")
        inline = next((d for d in (parse_direction(n) for n in notes or []) if d), None)
        direction, self.pending_direction = inline or self.pending_direction, None
        if direction:
            draft.size = direction.size or draft.size
            draft.angle = direction.angle or draft.angle
            if direction.move:
                draft.move, draft.move_direction, draft.move_strength = direction.move, 1, 1.0
            draft.move_direction = direction.move_direction or draft.move_direction
            draft.move_strength = direction.move_strength or draft.move_strength
            draft.direction = direction.text
            draft.notes.append(f"the script directs: {direction.text}")
        self.drafts.append(draft)
        return draft

    def _establishing(self, scene: Scene, scene_id: str, state: SceneState, first_action: Action | None,
                      ordinal: int) -> None:
        heading = scene.heading
        assert heading is not None
        interior = heading.interior and heading.setting != "EST"
        size = ShotSize.FS if interior else ShotSize.EWS if ordinal == 1 or heading.setting == "EST" else ShotSize.WS
        move, sign, why = self._establishing_move(heading, interior, ordinal)
        draft = _Draft(kind="establishing", scene=scene_id, node=scene, size=size,
                       content=("establishing", first_action.text if first_action else ""),
                       duration=timing.establishing_duration(interior) if move != Move.STATIC else 2.0,
                       move=move, move_direction=sign, move_strength=0.6 if move == Move.CRANE else 0.5,
                       source_lines=[heading.line], notes=[why])
        names: list[str] = []
        if first_action:
            state.last_action = first_action
            cue = action_cue(first_action.text)
            draft.action = first_action.text
            draft.source_lines.append(first_action.line)
            if cue.move:
                draft.move, draft.move_direction, draft.move_strength = cue.move, cue.direction, 0.6
                draft.notes.append(f"the first action moves the camera: {cue.move.value}")
            draft.angle = cue.angle or draft.angle
            resolved = resolve(first_action.text, self._mentions(first_action.text), state.recent, state.present, self._sex)
            names, draft.notes = resolved.people, draft.notes + resolved.notes
            draft.props = props_in(first_action.text)
            if crowd := group(first_action.text):
                names, draft.extras = self._crowd(crowd, state, names), crowd.extras
                draft.notes.append(self._crowd_note(crowd, names))
        listed = [crowd for n in scene.characters if (crowd := group(n, cue=True))]
        if listed and not draft.extras:
            draft.extras = sum(crowd.extras for crowd in listed)
            draft.notes.append(f"人物 lists {', '.join(crowd.label for crowd in listed)}: {draft.extras} extras")
        draft = self._add(draft, first_action.notes if first_action else None)
        draft.characters = self._group(state, names or self._listed(scene), draft.size)
        self.places_seen.add(heading.location or heading.text)

    def _establishing_move(self, heading: SceneHeading, interior: bool, ordinal: int) -> tuple[Move, int, str]:
        """The establishing move by place, time and position: the opening cranes down (outside) or pushes in;
        a place already seen this episode is held still; outside, night pans, dawn and dusk crane from the sky,
        day trucks along; inside, a continuous scene holds still, others alternate push-in and pan."""
        place = heading.location or heading.text
        if place in self.places_seen:
            return Move.STATIC, 1, "establishing: back in a place already shown, held still"
        side = 1 if ordinal % 2 else -1
        if ordinal == 1:
            return ((Move.DOLLY_IN, 1, "establishing: the episode opens pushing into the room") if interior
                    else (Move.CRANE, -1, "establishing: the episode opens craning down onto the place"))
        if not interior:
            if heading.time_of_day == "night":
                return Move.PAN, side, "establishing: a night exterior, a slow pan across it"
            if heading.time_of_day in ("dawn", "dusk"):
                return Move.CRANE, -1, f"establishing: {heading.time_of_day}, craning down from the sky"
            return Move.TRUCK, side, "establishing: an exterior by day, trucking along it"
        if heading.time_of_day == "continuous":
            return Move.STATIC, 1, "establishing: continuous action, held still"
        if ordinal % 2:
            return Move.DOLLY_IN, 1, "establishing: a new room, pushing in"
        return Move.PAN, side, "establishing: a new room, panning across it"

    @staticmethod
    def _crowd(crowd: Group, state: SceneState, named: list[str], *, cue: bool = False) -> list[str]:
        """Who a group label puts on screen besides those named: for a pair the two people last mentioned or
        heard (the two last speakers when the pair speaks: BOTH), else everyone present."""
        if crowd.pair:
            return list(dict.fromkeys([*named, *(state.speakers if cue else ()), *state.recent, *state.present]))[:2]
        return list(dict.fromkeys([*named, *state.present]))

    @staticmethod
    def _crowd_note(crowd: Group, names: list[str]) -> str:
        if crowd.pair:
            return f"“{crowd.label}” → {' and '.join(names)} (the two last seen): a two-shot"
        return (f"“{crowd.label}”: everyone present ({', '.join(names) or 'no one named'}) and {crowd.extras} extras,"
                " wide, no single face")

    def _listed(self, scene: Scene) -> list[str]:
        return [self._names[n.strip().casefold()] for n in scene.characters if n.strip().casefold() in self._names]

    def _action(self, element: Action, scene: Scene, scene_id: str, state: SceneState) -> None:
        state.last_action = element
        text = element.text
        cue = action_cue(text)
        resolved = resolve(text, self._mentions(text), state.recent, state.present, self._sex)
        names, notes = resolved.people, list(resolved.notes)
        props, about = props_in(text), focus(text)
        crowd = group(text)
        if crowd:
            names = self._crowd(crowd, state, names)
            notes.append(self._crowd_note(crowd, names))
        angle = cue.angle
        if angle is None and (status := status_angle(text)):
            angle = status[0]
            notes.append(f"{angle.value} angle: “{status[1]}”")
        if about and not crowd:
            kind, size, names = "insert", ShotSize.CU, []
            props = [about, *(p for p in props if p != about)]
            notes.append(f"the action is about the {about}: an insert framing it")
        elif crowd and crowd.pair:
            kind, size = "action", ShotSize.MS
        elif crowd:
            kind, size = "action", ShotSize.WS if len(names) + crowd.extras > 4 else ShotSize.FS
        elif names:
            detail = is_detail(text) and len(names) == 1 and not cue.full_body
            kind = "action"
            size = ShotSize.CU if detail else ShotSize.FS if cue.full_body or len(names) >= 3 else ShotSize.MS
            if named := self._named(text):
                notes.append(f"on screen: {', '.join(named)} (named in the action)")
            if detail:
                notes.append("a hand, the eyes, tears: a close-up")
        elif not props and (here := self._still_here(scene)):
            kind, names = "action", here
            size = ShotSize.MS if len(here) <= 2 else ShotSize.FS
            notes.append(f"no one named: a beat on {', '.join(here)}, still here")
        else:
            kind, size = "insert", ShotSize.CU if props or is_detail(text) else ShotSize.WS
            notes.append(f"no one named: an insert of {', '.join(props) if props else 'the place'}")
        draft = _Draft(kind=kind, scene=scene_id, node=scene, size=size, content=("action", text),
                       duration=timing.action_duration(text), angle=angle or Angle.EYE, move=cue.move or Move.STATIC,
                       action=text, props=props, extras=crowd.extras if crowd else 0, notes=notes,
                       source_lines=[element.line])
        if cue.move:
            draft.notes.append(f"the verbs move the camera: {cue.move.value}")
        draft = self._add(draft, element.notes)
        draft.characters = self._group(state, names, draft.size)
        if draft.move in (Move.PAN, Move.TRUCK, Move.FOLLOW) and draft.characters and not draft.direction:
            draft.move_direction = 1 if draft.characters[0].facing == "right" else -1

    def _still_here(self, scene: Scene) -> list[str]:
        """Who the last shot of this scene showed (its speaker and listener, or its group)."""
        previous = self.drafts[-1] if self.drafts else None
        return [c.name for c in previous.characters] if previous and previous.node is scene else []

    def _sign(self, sign: _Sign, scene: Scene, scene_id: str) -> None:
        self._add(_Draft(kind="insert", scene=scene_id, node=scene, size=ShotSize.CU, content=("sign", sign.text),
                         duration=timing.title_card_duration(sign.text), action=f"A sign that reads “{sign.text}”",
                         notes=[f"sign text: an insert that reads “{sign.text}”"], source_lines=[sign.line]), sign.notes)

    def _title(self, card: TitleCard, scene: Scene, scene_id: str) -> None:
        self._add(_Draft(kind="title_card", scene=scene_id, node=scene, size=ShotSize.WS,
                         content=("title_card", card.text), duration=timing.title_card_duration(card.text),
                         text=card.text, source_lines=[card.line], notes=["a title: a card for the edit"]), card.notes)

    def _pov(self, heading: SceneHeading, kind: HeadingKind, first: Action | None, scene: Scene, scene_id: str,
             state: SceneState) -> None:
        """A POV or insert heading: one shot in the current place framing what the heading (and the action under
        it) says, not a new scene."""
        text = first.text if first else heading.text
        resolved = resolve(text, self._mentions(text), state.recent, state.present, self._sex)
        props = props_in(f"{heading.text} {text}")
        draft = _Draft(kind="insert", scene=scene_id, node=scene, size=ShotSize.MS if kind == "pov" else ShotSize.CU,
                       content=(kind, heading.text, first.text if first else ""),
                       duration=timing.action_duration(text), action=text if first else heading.text,
                       props=props, source_lines=[heading.line, *([first.line] if first else [])],
                       notes=[f"“{heading.text}”: {'a POV' if kind == 'pov' else 'an insert'} shot in "
                              f"{scene.heading.location if scene.heading else 'the current place'}, not a new scene",
                              *resolved.notes])
        if first:
            state.last_action = first
        draft = self._add(draft, first.notes if first else None)
        draft.characters = self._group(state, resolved.people, draft.size) if kind == "pov" else []

    # --- lines -------------------------------------------------------------------------------------------

    def _role(self, element: Dialogue, state: SceneState) -> tuple[str, str, str | None]:
        """(role, speaker, note): role is "cast", "group", "narrator", "inner" or "offscreen"."""
        name = element.character.strip()
        if is_narrator(name):
            return "narrator", name, None
        if group(name, cue=True):  # never a canonical name, even when cast.toml lists it
            return "group", name, None
        if is_voice(name):
            return "offscreen", name, f"{name} is a voice, not a body: kept off screen"
        canonical = self._names.get(name.casefold())
        if canonical is None and self.project.cast.character:
            cast = self.project.cast.character
            close = did_you_mean(name, [alias for c in cast for alias in c.all_names])
            if element.voiceover and not close:  # 司机画外音 / FERRYMAN (O.S.): a voice with no part on screen
                return "offscreen", name, f"{name} is heard off screen and not in cast.toml: a voice, never drawn"
            raise DramaError(f"unknown character {name!r}: not in cast.toml", path=self.script.source, line=element.line,
                             hint=did_you_mean(name, [alias for c in cast for alias in c.all_names])
                             or f"add them to cast.toml (cast: {', '.join(c.name for c in cast)})")
        speaker = canonical or name
        far = next((m for m in (element.extension, element.parenthetical) if m and heard_through(m)), None)
        if far:
            return "offscreen", speaker, f"{speaker} ({far}) is heard, not seen: we see who hears it"
        if not element.voiceover:
            return "cast", speaker, None
        extension = (element.extension or "").strip()
        marks = [part.strip() for part in re.split(r"[,，]", extension)]
        inner = any(_INNER.search(m) or (self.script.dialect == "zh" and _ZH_OS.match(m)) for m in marks)
        if inner and speaker in state.present:
            return "inner", speaker, f"inner voice ({extension}): on {speaker}, lips still"
        if inner:
            return "narrator", speaker, f"{speaker} ({extension}) is not in the scene: heard over the picture"
        return "offscreen", speaker, f"{speaker} ({extension}) is off screen: we see who hears it"

    def _dialogue(self, element: Dialogue, scene: Scene, scene_id: str, state: SceneState) -> None:
        role, speaker, why = self._role(element, state)
        if element.dual and role == "cast" and self._dual(element, speaker, scene, state):
            return
        mood = emotion(element.parenthetical)
        slow = bool(mood and mood.size)
        pieces = timing.split_speech(element.text, slow=slow) if element.text else [element.text]
        listener, together, reason = self._addressee(element, speaker, state) if role == "cast" else (None, False, "")
        cursor = 0
        for index, piece in enumerate(pieces):
            start = element.text.find(piece, cursor)
            cursor = start + len(piece)
            content = ("dialogue", element.character, element.extension or "", element.parenthetical or "", piece)
            draft = _Draft(kind="dialogue", scene=scene_id, node=scene, size=ShotSize.MCU, content=content,
                           duration=timing.line_duration(piece, slow=slow), speaker=speaker, text=piece,
                           spans=_slice(element.spans, start, cursor), parenthetical=element.parenthetical,
                           expression=mood.gloss if mood else None, source_lines=[element.line],
                           notes=[why] if why else [])
            if len(pieces) > 1:
                draft.notes.append(f"a long line ({len(pieces)} shots of ≤ {timing.MAX_SPEECH:g} s): part {index + 1}")
            if role == "narrator":
                self._voiceover(draft, element, state)
            elif role == "group":
                self._group_line(draft, element, state)
            elif role in ("inner", "offscreen"):
                self._unseen(draft, element, state, inner=role == "inner")
            else:
                if index == 0 and listener:
                    draft.notes.append(reason)
                self._line(draft, element, state, listener, together, index, mood)
        if role == "cast":
            state.heard(speaker)

    def _addressee(self, element: Dialogue, speaker: str, state: SceneState) -> tuple[str | None, bool, str]:
        """(listener, framed together just now, why) for an on-screen line: whoever it names (in the line or its
        direction: "(to Maya)"), else whoever the action just before showed with the speaker, else the last other
        speaker, else (a scene's first line) the person the action last showed."""
        said_to = f"{element.parenthetical or ''} {element.text}"
        previous = self.drafts[-1] if self.drafts else None
        shown = ([c.name for c in previous.characters] if previous and previous.kind in ("action", "establishing")
                 and previous.node is state.node else [])
        with_them = [n for n in state.recent if n in shown and n != speaker] if speaker in shown else []
        named = next((n for n in self._named(said_to) if n != speaker and n in state.present), None)
        if named:
            return named, named in with_them, f"said to {named} (named in the line or its direction)"
        if with_them:
            return with_them[0], True, f"said to {with_them[0]}, with {speaker} in the action just before"
        if last := next((n for n in state.speakers if n != speaker), None):
            return last, False, f"answers {last}"
        if seen := next((n for n in state.recent if n != speaker), None):
            return seen, False, f"said to {seen}, just seen in the action"
        return None, False, ""

    def _line(self, draft: _Draft, element: Dialogue, state: SceneState, listener: str | None, together: bool,
              piece: int, mood: Emotion | None) -> None:
        """An on-screen line (or one piece of a long one) framed on its speaker and whoever it is said to: over
        the listener's shoulder, or a clean single when the action just framed the two together."""
        speaker = draft.speaker
        assert speaker is not None
        if piece % 2 == 1 and listener:
            draft.notes.append(f"coverage: a cut-away to {listener} while {speaker} goes on")
            draft.expression = None  # the speaker's mood is not the listener's face
            self._reaction(draft, listener, state)
            return
        draft.size = (mood.size if mood and mood.size else ShotSize.OTS if listener and not together else ShotSize.MCU)
        if together and draft.size == ShotSize.MCU:
            draft.notes.append(f"{speaker} and {listener} were just framed together: a clean single")
        if mood and mood.angle:
            draft.angle = mood.angle
            draft.notes.append(f"{mood.angle.value} angle: “{mood.angle_word}”")
        if mood and mood.size:
            draft.emphatic = True
            pushed = bool(self.drafts) and self.drafts[-1].move == Move.DOLLY_IN
            if not pushed:  # one push-in at a time: pushing on every strong line would be its own monotony
                draft.move, draft.move_strength = Move.DOLLY_IN, 0.4
            draft.notes.append(f"a strong emotion: {mood.size.value}" + ("" if pushed else ", pushing in"))
        if piece:
            draft.size = _TIGHTER[draft.size]
            draft.notes.append(f"coverage: tighter on {speaker} ({draft.size.value})")
        if draft.move == Move.STATIC and draft.duration > _DRIFT_AFTER:
            draft.move, draft.move_strength = Move.DOLLY_IN, 0.25
            draft.notes.append(f"a line over {_DRIFT_AFTER:g} s: a slow push in keeps it alive")
        draft = self._add(draft, element.notes)
        if draft.size == ShotSize.OTS and listener:
            side = state.side(speaker, opposite=listener)
            x, facing = OTS_SPEAKER[side]
            sx, sfacing = OTS_SHOULDER[state.sides[listener]]
            draft.characters = [self._on_screen(speaker, x, facing, speaking=True),
                                self._on_screen(listener, sx, sfacing, foreground=True)]
        elif listener and draft.size not in _TIGHT:
            draft.characters = self._group(state, [speaker, listener], draft.size)
            for person in draft.characters:
                person.speaking = person.name == speaker
        else:
            side = state.side(speaker, opposite=listener) if listener else state.side(speaker)
            draft.characters = [self._single(state, speaker, side, speaking=True)]
            if not listener:
                draft.notes.append(f"{speaker} speaks to no one in particular: on {speaker} alone")

    def _reaction(self, draft: _Draft, listener: str, state: SceneState, notes: list[str] | None = None) -> _Draft:
        """The line runs on over `listener`'s face: a reaction shot on their side of the line."""
        draft.kind, draft.size, draft.move = "reaction", ShotSize.MCU, Move.STATIC
        draft = self._add(draft, notes)
        draft.characters = [self._single(state, listener)]
        return draft

    def _listener(self, speaker: str, state: SceneState) -> str | None:
        """Who hears a voice from off screen: the last on-screen speaker, else the person last mentioned."""
        candidates = [state.last_speaker, *state.recent, *state.present]
        return next((n for n in candidates if n and n != speaker), None)

    def _unseen(self, draft: _Draft, element: Dialogue, state: SceneState, *, inner: bool) -> None:
        """A voice whose speaker is not seen speaking: an inner voice over the thinker's face, an off-screen one
        over whoever hears it (an insert of the place when no one is there)."""
        draft.voiceover = True
        speaker = draft.speaker
        assert speaker is not None
        if inner:
            draft.kind, draft.size = "reaction", ShotSize.CU
            draft = self._add(draft, element.notes)
            draft.characters = [self._single(state, speaker)]
            return
        listener = self._listener(speaker, state)
        if listener:
            draft.notes.append(f"cut to {listener}, who hears it")
            self._reaction(draft, listener, state, element.notes)
            return
        last = state.last_action
        draft.kind, draft.size, draft.action = "insert", ShotSize.WS, last.text if last else None
        draft.notes.append("no one to hear it: an insert of the place")
        self._add(draft, element.notes)

    def _voiceover(self, draft: _Draft, element: Dialogue, state: SceneState) -> None:
        """Narration plays over the shot before when it has no line of its own, else over an insert."""
        previous = self.drafts[-1] if self.drafts else None
        draft.voiceover = True
        if (previous and previous.node is draft.node and previous.text is None
                and previous.kind in ("establishing", "insert", "action") and self.pending_direction is None
                and not element.notes):
            previous.content += ("voiceover", element.character, draft.text or "")
            previous.duration = max(previous.duration, draft.duration)
            previous.speaker, previous.text, previous.voiceover = draft.speaker, draft.text, True
            previous.parenthetical, previous.expression, previous.spans = draft.parenthetical, draft.expression, draft.spans
            previous.source_lines.append(element.line)
            previous.notes += [*draft.notes, "narration over this shot"]
            return
        last = state.last_action
        draft.content = ("voiceover", element.character, draft.text or "")
        draft.kind, draft.size, draft.action = "insert", ShotSize.WS, last.text if last else None
        draft.notes.append("narration over an insert")
        draft = self._add(draft, element.notes)
        draft.characters = self._group(state, self._named(last.text) if last else [], draft.size)
        draft.props = props_in(last.text) if last else []

    def _group_line(self, draft: _Draft, element: Dialogue, state: SceneState) -> None:
        """A line spoken by a group: wide on everyone (a pair: a two-shot of both, both speaking)."""
        crowd = group(element.character, cue=True)
        assert crowd is not None
        names = self._crowd(crowd, state, [], cue=True)
        draft.size, draft.extras = (ShotSize.MS if crowd.pair else ShotSize.WS), crowd.extras
        draft.notes.append(self._crowd_note(crowd, names))
        draft = self._add(draft, element.notes)
        draft.characters = self._group(state, names, draft.size)
        for person in draft.characters:
            person.speaking = crowd.pair

    def _dual(self, element: Dialogue, speaker: str, scene: Scene, state: SceneState) -> bool:
        """Fountain dual dialogue: the line before becomes a two-shot of both speakers and this line its `dual`."""
        previous = self.drafts[-1] if self.drafts else None
        if (previous is None or previous.node is not scene or previous.kind not in ("dialogue", "reaction")
                or previous.dual  # a reaction: the last piece of a long line, cut away to the listener
                or previous.speaker in (None, speaker) or previous.voiceover
                or previous.speaker not in self._names.values()):  # a group's line stays the group's
            return False
        first = previous.speaker
        assert first is not None
        previous.dual = DualLine(speaker=speaker, text=element.text, parenthetical=element.parenthetical,
                                 spans=element.spans)
        previous.content += ("dual", element.character, element.parenthetical or "", element.text)
        previous.kind, previous.size, previous.move = "dialogue", ShotSize.MS, Move.STATIC
        previous.duration = max(previous.duration, timing.line_duration(element.text))
        previous.source_lines.append(element.line)
        framing = ("a clean single", f"on {first} alone")  # what the single's notes said of a framing it no longer has
        previous.notes = [note for note in previous.notes
                          if not note.endswith(framing)
                          and not note.startswith(("coverage: tighter", "a line over", "a strong emotion"))]
        previous.notes.append(f"dual dialogue: {first} and {speaker} speak at once, one two-shot")
        previous.characters = self._group(state, [first, speaker], previous.size)
        for person in previous.characters:
            person.speaking, person.foreground = True, False
        state.heard(speaker)
        return True

    # --- the episode -------------------------------------------------------------------------------------

    def _items(self, elements: list[Element]) -> list[Element | _Sign | _Framing]:
        """The scene's elements with screenplay directions sorted out: an action's transition, title and sign
        lines become Transition, TitleCard and _Sign; a cue that is a direction (SUPER, SIGN) likewise."""
        items: list[Element | _Sign | _Framing] = []
        title_waiting = False  # a TITLE OVER: whose words are the next action
        for element in elements:
            if isinstance(element, Action) and title_waiting:
                items.append(TitleCard(line=element.line, text=" ".join(element.text.split())))
                title_waiting = False
            elif isinstance(element, Action):
                parts = split_action(element.text)
                title_waiting = parts[-1] == Part("title", "") if parts else False
                if len(parts) == 1 and parts[0].kind == "action":
                    items.append(element)
                    continue
                for part in parts:
                    if part.kind == "transition":
                        items.append(Transition(line=element.line, text=part.text, kind=part.transition))
                    elif part.kind == "title" and part.text:
                        items.append(TitleCard(line=element.line, text=part.text))
                    elif part.kind == "sign":
                        items.append(_Sign(element.line, part.text))
                    elif part.kind == "framing":
                        kind = heading_kind(part.text)
                        assert kind is not None
                        items.append(_Framing(SceneHeading(text=part.text, line=element.line), kind))
                    elif part.kind == "action":
                        items.append(Action(line=element.line, text=part.text, notes=element.notes))
            elif isinstance(element, Dialogue) and (kind := cue_kind(element.character)):
                items.append(TitleCard(line=element.line, text=element.text) if kind == "title"
                             else _Sign(element.line, element.text, element.notes))
            else:
                items.append(element)
        return items

    def _scene(self, scene: Scene, scene_id: str, state: SceneState, ordinal: int, *, establish: bool = True) -> None:
        items = self._items(scene.elements)
        if scene.heading is not None and establish:
            leading = 0
            while _leads(items, leading):
                self._element(items[leading], scene, scene_id, state)
                leading += 1
            first = items[leading] if leading < len(items) and isinstance(items[leading], Action) else None
            items = items[leading + (first is not None):]
            self._establishing(scene, scene_id, state, first, ordinal)
        for item in items:
            self._element(item, scene, scene_id, state)

    def _continuation(self, forced: Scene, kind: HeadingKind, scene: Scene, scene_id: str, state: SceneState) -> None:
        """A POV, insert, BACK TO SCENE or titles heading: its elements stay in the current scene."""
        items = self._items(forced.elements)
        state.present = list(dict.fromkeys([*state.present, *self._present([forced])]))
        if kind in ("pov", "insert"):
            assert forced.heading is not None
            first = items[0] if items and isinstance(items[0], Action) else None
            self._pov(forced.heading, kind, first, scene, scene_id, state)
            items = items[first is not None:]
        for item in items:
            self._element(item, scene, scene_id, state)

    def _element(self, element: Element | _Sign | _Framing, scene: Scene, scene_id: str, state: SceneState) -> None:
        if isinstance(element, Action):
            self._action(element, scene, scene_id, state)
        elif isinstance(element, Dialogue):
            self._dialogue(element, scene, scene_id, state)
        elif isinstance(element, TitleCard):
            self._title(element, scene, scene_id)
        elif isinstance(element, _Sign):
            self._sign(element, scene, scene_id)
        elif isinstance(element, _Framing) and element.kind in ("pov", "insert"):
            self._pov(element.heading, element.kind, None, scene, scene_id, state)
        elif isinstance(element, Transition):
            self.pending_transition = element
        elif isinstance(element, Note):
            direction = parse_direction(element.text, explicit=element.camera)
            if direction:
                self.pending_direction = direction
        # lyrics, sections, synopses and page breaks shape the page, not the picture

    def plan(self) -> Storyboard:
        ordinal = 0
        current: tuple[Scene, str, SceneState] | None = None
        for scene in self.episode.scenes:
            heading = scene.heading
            kind = heading_kind(heading.text) if heading is not None and not heading.setting else None
            if kind and current:
                self._continuation(scene, kind, *current)
                continue
            if heading is not None:
                ordinal += 1
            scene_id = heading.number if heading and heading.number else str(ordinal)
            current = (scene, scene_id, SceneState(present=self._present([scene]), node=scene))
            self._scene(*current, ordinal=ordinal, establish=kind != "titles")  # titles open on no place
        if self.pending_transition and self.drafts:  # FADE OUT. at the very end: the edit fades every episode out
            self.drafts[-1].notes.append(f"the script ends on “{self.pending_transition.text}”: the edit fades out")
        self._no_jump_cuts()
        return self._storyboard()

    def _no_jump_cuts(self) -> None:
        """Two shots in a row of the same people at the same size would cut like a jump: the second changes size
        (unless the script directs it)."""
        for before, after in itertools.pairwise(self.drafts):
            people = {c.name for c in after.characters if not c.foreground}  # who the shot is on, not a shoulder
            if (after.node is not before.node or after.kind not in _PEOPLE_SHOTS or before.kind not in _PEOPLE_SHOTS
                    or after.direction or after.size != before.size or not people
                    or people != {c.name for c in before.characters if not c.foreground}):
                continue
            table = _NO_JUMP_EMPHATIC if after.emphatic else _NO_JUMP if len(people) == 1 else _NO_JUMP_GROUP
            if after.size in table:
                after.size = table[after.size]
                after.characters = [c for c in after.characters if not c.foreground]  # an OTS becomes a single
                after.notes.append(f"the same people as the shot before: {after.size.value}, not a jump cut")

    def _storyboard(self) -> Storyboard:
        config = self.project.config
        frame = frame_words(config.video.width, config.video.height)
        cast = {c.name: c.description for c in self.project.cast.character if c.description}
        episode = episode_id(self.script, self.episode_index)
        ids = self.ids(episode)
        current: Scene | None = None
        shots = []
        for index, draft in enumerate(self.drafts):
            if draft.node is not current:
                current = draft.node
                ids.enter_scene(current.heading)
            heading = draft.node.heading
            shot = Shot(
                id=ids.next(*draft.content), index=index, kind=draft.kind, scene=draft.scene,
                scene_heading=heading.text if heading else "", location=heading.location if heading else "",
                interior=heading.interior if heading else True, time_of_day=heading.time_of_day if heading else "unknown",
                size=draft.size, angle=draft.angle, move=draft.move, move_direction=draft.move_direction,
                move_strength=draft.move_strength, duration=draft.duration, characters=draft.characters,
                speaker=draft.speaker, text=draft.text, spans=draft.spans, parenthetical=draft.parenthetical,
                dual=draft.dual, voiceover=draft.voiceover, action=draft.action, props=draft.props,
                extras=draft.extras, notes=draft.notes, transition_in=draft.transition_in,
                transition_color=draft.transition_color, source_file=self.script.source,
                source_lines=draft.source_lines, direction=draft.direction)
            shot.prompt, shot.negative_prompt = render_prompt(shot, cast=cast, expression=draft.expression,
                                                              style=self.style, frame=frame)
            shots.append(shot)
        return Storyboard(
            project=self.project.root.name, episode=episode,
            title=self.episode.title or self.script.title or config.title,
            width=config.video.width, height=config.video.height, fps=config.video.fps, shots=shots)


def plan(script: Script, episode_index: int, project: Project, *, style: Style | None = None,
         ids: type[ShotIds] = ShotIds) -> Storyboard:
    """The storyboard of one episode of a parsed script: deterministic, no project files read.
    `ids` is how shot ids are made (a state-store migration plans with the previous scheme to map old ids)."""
    return Planner(script, episode_index, project, style, ids).plan()
