"""The rule-based planner: one episode of a Script in, a Storyboard out, the way a cinematographer would break it down.

Rules, in the order they apply to each scene:
- an establishing shot opens the scene (EWS/WS outside, FS inside) and carries the scene's first action;
- a line goes on its speaker: over-the-shoulder when answering someone (the listener's shoulder in the
  foreground), a medium close-up otherwise, a close-up or extreme close-up for a strong emotion;
  the 180° rule holds through an exchange: whoever takes the left side stays left facing right;
- voice-over (旁白, V.O.) plays over the shot before it when that shot has no line, else over an insert;
- an action is a medium or full shot whose move, angle and size come from its verbs (see cues.py);
- a title card is its own shot for the edit; a transition becomes the next shot's `transition_in`;
- an explicit direction (`[[CU, dolly in]]`, `【镜头：特写 推】`) overrides the rules for the next shot.

Pure: reads no files of the project (templates and style presets are package data, cached).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from drama.errors import DramaError, did_you_mean
from drama.project import Character, Project
from drama.screenplay.model import (Action, Dialogue, Episode, Note, Scene, Script, TitleCard, Transition,
                                    TransitionKind)
from drama.storyboard import timing
from drama.storyboard.cues import action_cue, emotion
from drama.storyboard.directions import Direction, parse_direction
from drama.storyboard.ids import ShotIds
from drama.storyboard.model import ShotCharacter, ShotKind, Shot, Storyboard
from drama.storyboard.prompts import Style, frame_words, load_style, render_prompt
from drama.storyboard.vocabulary import Angle, Move, ShotSize

NARRATOR_NAMES = frozenset({"旁白", "narrator", "narration", "解说"})

# x in frame and facing, by screen side, for each kind of framing (the 180° line runs between the sides)
_SINGLE = {"left": (0.4, "right"), "right": (0.6, "left")}
_OTS_SPEAKER = {"left": (0.35, "right"), "right": (0.65, "left")}
_OTS_SHOULDER = {"left": (0.15, "right"), "right": (0.85, "left")}
_TIGHT = (ShotSize.MCU, ShotSize.CU, ShotSize.ECU)
_DETAIL = re.compile(r"手|指|眼|泪|戒指|杯|手机|信封|照片|钥匙|刀|枪|录音笔"
                     r"|(?i:\b(?:hands?|fingers?|eyes?|tears?|ring|glass|phone|letter|photo(?:graph)?|keys?|knife|gun)\b)")


def is_narrator(name: str) -> bool:
    return name.strip().casefold() in NARRATOR_NAMES


def episode_id(script: Script, index: int) -> str:
    """"<stem>" for a file with one episode, "<stem>-<n>" for a file with several."""
    stem = script.source.stem if script.source else "episode"
    return stem if len(script.episodes) <= 1 else f"{stem}-{index + 1}"


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
    parenthetical: str | None = None
    expression: str | None = None
    voiceover: bool = False
    action: str | None = None
    transition_in: TransitionKind = "cut"
    source_lines: list[int] = field(default_factory=list)
    direction: str | None = None


@dataclass
class _SceneState:
    """Who stands on which side of the line in the current scene, and who spoke last."""

    sides: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, int] = field(default_factory=dict)
    last_speaker: str | None = None
    last_action: Action | None = None
    clock: int = 0

    def side(self, name: str, *, keep: tuple[str, ...] = (), touch: bool = True) -> str:
        """The screen side of `name`, assigned on first sight; `keep` are in the same shot and are never displaced."""
        if name not in self.sides:
            taken = set(self.sides.values())
            free = [s for s in ("left", "right") if s not in taken]
            if free:
                self.sides[name] = free[0]
            else:  # a new character replaces whoever has been off screen longest; the axis moves with them
                movable = [other for other in self.sides if other not in keep] or list(self.sides)
                stale = min(movable, key=lambda other: self.last_seen.get(other, -1))
                self.sides[name] = self.sides.pop(stale)
        if touch:
            self.clock += 1
            self.last_seen[name] = self.clock
        return self.sides[name]


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
        self.pending_transition: TransitionKind | None = None
        self.pending_direction: Direction | None = None

    # --- names -------------------------------------------------------------------------------------------

    @cached_property
    def _names(self) -> dict[str, str]:
        """Every name or alias a script may use → the canonical name shots carry."""
        if self.project.cast.character:
            return {alias.casefold(): c.name for c in self.project.cast.character for alias in c.all_names}
        names = {d.character.strip() for scene in self.episode.scenes for d in scene.elements if isinstance(d, Dialogue)}
        names |= {name.strip() for scene in self.episode.scenes for name in scene.characters}
        return {name.casefold(): name for name in names if name and not is_narrator(name)}

    @cached_property
    def _mention_pattern(self) -> re.Pattern[str] | None:
        if not self._names:
            return None
        ordered = sorted(self._names, key=len, reverse=True)
        return re.compile("|".join(rf"\b{re.escape(n)}\b" if n.isascii() else re.escape(n) for n in ordered), re.IGNORECASE)

    def _speaker(self, dialogue: Dialogue) -> str:
        name = dialogue.character.strip()
        canonical = self._names.get(name.casefold())
        if canonical or is_narrator(name) or not self.project.cast.character:
            return canonical or name
        cast_names = [alias for c in self.project.cast.character for alias in c.all_names]
        raise DramaError(f"unknown character {name!r}: not in cast.toml", path=self.script.source, line=dialogue.line,
                         hint=did_you_mean(name, cast_names) or f"add them to cast.toml (cast: {', '.join(c.name for c in self.project.cast.character)})")

    def _mentions(self, text: str) -> list[str]:
        if self._mention_pattern is None:
            return []
        found: list[str] = []
        for match in self._mention_pattern.finditer(text):
            name = self._names[match.group(0).casefold()]
            if name not in found:
                found.append(name)
        return found

    def _scene_cast(self, scene: Scene) -> list[str]:
        return [self._names[n.strip().casefold()] for n in scene.characters if n.strip().casefold() in self._names]

    @cached_property
    def _characters(self) -> dict[str, Character]:
        return {c.name: c for c in self.project.cast.character}

    def _on_screen(self, name: str, x: float, facing: str, *, speaking: bool = False, foreground: bool = False) -> ShotCharacter:
        character = self._characters.get(name)
        refs = [self.project.root / ref for ref in character.references] if character else []
        return ShotCharacter(name=name, reference_images=refs, x=x, facing=facing, speaking=speaking, foreground=foreground)

    def _group(self, state: _SceneState, names: list[str], size: ShotSize) -> list[ShotCharacter]:
        """Characters of an action or establishing shot, left side first; a tight shot keeps only the first."""
        if not names:
            return []
        if size in _TIGHT:
            names = names[:1]
        known_first = sorted(names, key=lambda n: n not in state.sides)
        sides = {name: state.side(name, keep=tuple(names)) for name in known_first}
        if len(names) == 1:
            x, facing = _SINGLE[sides[names[0]]]
            return [self._on_screen(names[0], x, facing)]
        ordered = sorted(names, key=lambda n: sides[n] != "left")
        return [self._on_screen(name, round((i + 1) / (len(ordered) + 1), 3), "right" if sides[name] == "left" else "left")
                for i, name in enumerate(ordered)]

    # --- shots -------------------------------------------------------------------------------------------

    def _add(self, draft: _Draft, notes: list[str] | None = None) -> _Draft:
        """Append a shot, applying a pending transition and the explicit direction that governs it."""
        if self.pending_transition:
            draft.transition_in, self.pending_transition = self.pending_transition, None
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
        self.drafts.append(draft)
        return draft

    def _establishing(self, scene: Scene, scene_id: str, state: _SceneState, first_action: Action | None, opening: bool) -> None:
        heading = scene.heading
        assert heading is not None
        interior = heading.interior and heading.setting != "EST"
        size = ShotSize.FS if interior else ShotSize.EWS if opening or heading.setting == "EST" else ShotSize.WS
        draft = _Draft(kind="establishing", scene=scene_id, node=scene, size=size,
                       content=("establishing", first_action.text if first_action else ""),
                       duration=timing.establishing_duration(interior), source_lines=[heading.line])
        if interior:
            draft.move, draft.move_strength = Move.DOLLY_IN, 0.5
        else:
            draft.move, draft.move_direction, draft.move_strength = Move.CRANE, -1, 0.6
        names: list[str] = []
        if first_action:
            state.last_action = first_action
            cue = action_cue(first_action.text)
            draft.action = first_action.text
            draft.source_lines.append(first_action.line)
            if cue.move:
                draft.move, draft.move_direction, draft.move_strength = cue.move, cue.direction, 0.6
            draft.angle = cue.angle or draft.angle
            names = self._mentions(first_action.text)
        draft = self._add(draft, first_action.notes if first_action else None)
        draft.characters = self._group(state, names or self._scene_cast(scene), draft.size)

    def _action(self, element: Action, scene: Scene, scene_id: str, state: _SceneState) -> None:
        state.last_action = element
        cue = action_cue(element.text)
        names = self._mentions(element.text)
        detail = not names and _DETAIL.search(element.text) is not None
        size = ShotSize.CU if detail else ShotSize.FS if cue.full_body or len(names) >= 3 else ShotSize.MS
        draft = _Draft(kind="insert" if detail else "action", scene=scene_id, node=scene, size=size,
                       content=("action", element.text), duration=timing.action_duration(element.text),
                       angle=cue.angle or Angle.EYE, move=cue.move or Move.STATIC, action=element.text,
                       source_lines=[element.line])
        draft = self._add(draft, element.notes)
        draft.characters = self._group(state, names, draft.size)
        if draft.move in (Move.PAN, Move.TRUCK) and draft.characters and not draft.direction:
            draft.move_direction = 1 if draft.characters[0].facing == "right" else -1

    def _voiceover(self, element: Dialogue, speaker: str, scene: Scene, scene_id: str, state: _SceneState) -> None:
        mood = emotion(element.parenthetical)
        seconds = timing.line_duration(element.text, slow=bool(mood and mood.size))
        previous = self.drafts[-1] if self.drafts else None
        if (previous and previous.scene == scene_id and previous.node is scene and previous.text is None
                and previous.kind in ("establishing", "insert", "action") and self.pending_direction is None
                and not element.notes):
            previous.content += ("voiceover", element.character, element.text)
            target = previous
            target.duration = max(target.duration, seconds)
        else:
            last = state.last_action
            target = self._add(_Draft(kind="insert", scene=scene_id, node=scene, size=ShotSize.WS,
                                      content=("voiceover", element.character, element.text), duration=seconds,
                                      action=last.text if last else None), element.notes)
            target.characters = self._group(state, self._mentions(last.text) if last else [], target.size)
        target.speaker, target.text, target.voiceover = speaker, element.text, True
        target.parenthetical = element.parenthetical
        target.expression = mood.gloss if mood else None
        target.source_lines.append(element.line)

    def _dialogue(self, element: Dialogue, scene: Scene, scene_id: str, state: _SceneState) -> None:
        speaker = self._speaker(element)
        if element.voiceover or is_narrator(speaker):
            self._voiceover(element, speaker, scene, scene_id, state)
            return
        mood = emotion(element.parenthetical)
        listener = state.last_speaker if state.last_speaker not in (None, speaker) else None
        if element.dual and listener:
            size = ShotSize.MS
        elif mood and mood.size:
            size = mood.size
        else:
            size = ShotSize.OTS if listener else ShotSize.MCU
        draft = self._add(_Draft(
            kind="dialogue", scene=scene_id, node=scene, size=size,
            content=("dialogue", element.character, element.extension or "", element.parenthetical or "", element.text),
            duration=timing.line_duration(element.text, slow=bool(mood and mood.size)),
            speaker=speaker, text=element.text, parenthetical=element.parenthetical,
            expression=mood.gloss if mood else None, source_lines=[element.line]), element.notes)
        side = state.side(speaker, keep=(listener,) if listener else ())
        if draft.size == ShotSize.OTS and listener:
            other = state.side(listener, touch=False)
            x, facing = _OTS_SPEAKER[side]
            sx, sfacing = _OTS_SHOULDER[other]
            draft.characters = [self._on_screen(speaker, x, facing, speaking=True),
                                self._on_screen(listener, sx, sfacing, foreground=True)]
        elif draft.size in _TIGHT or draft.size == ShotSize.OTS or not listener:
            x, facing = _SINGLE[side]
            draft.characters = [self._on_screen(speaker, x, facing, speaking=True)]
        else:
            draft.characters = self._group(state, [speaker, listener], draft.size)
            for person in draft.characters:
                person.speaking = person.name == speaker
        state.last_speaker = speaker

    # --- the episode -------------------------------------------------------------------------------------

    def _scene(self, scene: Scene, scene_id: str, opening: bool) -> None:
        state = _SceneState()
        elements = list(scene.elements)
        first_action = None
        if scene.heading is not None:
            leading = 0
            while leading < len(elements) and isinstance(elements[leading], Note):
                self._note(elements[leading])
                leading += 1
            if leading < len(elements) and isinstance(elements[leading], Action):
                first_action = elements[leading]
                leading += 1
            elements = elements[leading:]
            self._establishing(scene, scene_id, state, first_action, opening)
        for element in elements:
            if isinstance(element, Action):
                self._action(element, scene, scene_id, state)
            elif isinstance(element, Dialogue):
                self._dialogue(element, scene, scene_id, state)
            elif isinstance(element, TitleCard):
                self._add(_Draft(kind="title_card", scene=scene_id, node=scene, size=ShotSize.WS,
                                 content=("title_card", element.text), duration=timing.title_card_duration(element.text),
                                 text=element.text, source_lines=[element.line]))
            elif isinstance(element, Transition):
                self.pending_transition = element.kind
            elif isinstance(element, Note):
                self._note(element)
            # lyrics, sections, synopses and page breaks shape the page, not the picture

    def _note(self, note: Note) -> None:
        direction = parse_direction(note.text, explicit=note.camera)
        if direction:
            self.pending_direction = direction

    def plan(self) -> Storyboard:
        ordinal = 0
        for scene in self.episode.scenes:
            if scene.heading is not None:
                ordinal += 1
            scene_id = (scene.heading.number if scene.heading and scene.heading.number else str(ordinal))
            self._scene(scene, scene_id, opening=ordinal == 1 and scene.heading is not None)
        return self._storyboard()

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
                speaker=draft.speaker, text=draft.text, parenthetical=draft.parenthetical, voiceover=draft.voiceover,
                action=draft.action, transition_in=draft.transition_in, source_file=self.script.source,
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
