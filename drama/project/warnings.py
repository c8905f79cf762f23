"""Warnings that save an episode: what makes it worse than it needs to be, is easy to fix, and would otherwise
go unnoticed until the export is watched — characters on screen without a portrait, no music under the voices,
voices that are guesses, shots whose camera move failed the check in every draw.

Pure: reads the project's files and the draws it is given (`drama.render.status.episode_draws` reads them from
the state store), writes nothing. `drama plan` and `drama make` print them; `--json` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from drama.edit.music import AUDIO_SUFFIXES, music_file
from drama.errors import DramaError
from drama.project import Project
from drama.project.cast_init import from_description
from drama.project.project import toml_line
from drama.render.motion import AS_ASKED
from drama.screenplay.model import Note
from drama.storyboard import episode_script
from drama.storyboard.directions import parse_direction
from drama.storyboard.model import Storyboard
from drama.voice.casting import voice_guessed

if TYPE_CHECKING:
    from drama.render.state import Candidate



class EpisodeWarning(BaseModel):
    kind: Literal["portrait", "music", "voice", "camera", "direction"]
    message: str
    where: str  # the file (and line) to change
    hint: str  # what to do about it
    shots: list[str] = []  # the shots it concerns, when it is about shots


def camera_failed(draws: Sequence[Candidate]) -> bool:
    """The shot's current draws all measured a camera move that is not the one asked (and there is at least one)."""
    values = [next((p.value for p in draw.parts if p.name == "camera"), None) for draw in draws if not draw.stale]
    return bool(values) and all(value is not None and value <= AS_ASKED for value in values)


def _cast_line(project: Project, name: str) -> str:
    """cast.toml:LINE that names the character."""
    path = project.root / "cast.toml"
    index = next((i for i, c in enumerate(project.cast.character) if c.name == name), None)
    line = toml_line(path.read_text(encoding="utf-8-sig"), ("character", index, "name")) if index is not None else None
    return f"{path}:{line}" if line else str(path)


def _portraits(project: Project, storyboard: Storyboard) -> list[EpisodeWarning]:
    shots: dict[str, list[str]] = {}
    for shot in storyboard.shots:
        for person in shot.characters:
            if not person.reference_images:
                shots.setdefault(person.name, []).append(shot.id)
    warnings = []
    for name, ids in shots.items():
        character = project.cast.find(name)
        message = f"{name} is on screen in {len(ids)} shot(s) without a portrait"
        if character is None:
            warnings.append(EpisodeWarning(
                kind="portrait", message=message + " (no [[character]] in cast.toml)", shots=ids,
                where=str(project.root / "cast.toml"),
                hint=f'add [[character]] name = "{name}" with references = ["refs/{name}.png"] and put the image there'))
        else:
            warnings.append(EpisodeWarning(
                kind="portrait", message=message + "; engines cannot keep the face from shot to shot", shots=ids,
                where=_cast_line(project, character.name),
                hint=f'put a portrait in refs/ and add references = ["refs/{name}.png"] to {name}'))
    return warnings


def _music(project: Project) -> list[EpisodeWarning]:
    try:
        if music_file(project) is not None:
            return []
    except DramaError as error:  # [edit] music names a file that is not there
        return [EpisodeWarning(kind="music", message=error.message, where=error.location, hint=error.hint or "")]
    folder = project.root / "music"
    return [EpisodeWarning(
        kind="music", where=str(folder) + "/",
        message=f"music/ {'has no audio file' if folder.is_dir() else 'is missing'}: the episode will have silence "
                "under the voices and between the lines",
        hint=f"put a music bed ({', '.join(sorted(AUDIO_SUFFIXES))}) in music/, or set [edit] music = \"FILE\" "
             "in drama.toml to choose one of several")]


def _voices(project: Project, storyboard: Storyboard) -> list[EpisodeWarning]:
    speakers = dict.fromkeys(name for shot in storyboard.shots
                             for name in (shot.speaker, shot.dual.speaker if shot.dual else None) if name)
    warnings = []
    for speaker in speakers:
        character = project.cast.find(speaker)
        if character is not None and voice_guessed(character):
            said = from_description(character.name, character.description)
            warnings.append(EpisodeWarning(
                kind="voice", message=f"{character.name}'s voice is a guess: cast.toml gives no sex and no voice",
                where=_cast_line(project, character.name),
                hint=(f'its description says {next(e.word for e in said.evidence if e.value == said.sex)!r}: add '
                      f'sex = "{said.sex}"' if said.sex else 'add sex = "female" or sex = "male"')
                     + f" (and age) to {character.name}, or pin a voice = \"…\"",
                shots=[s.id for s in storyboard.shots if speaker in (s.speaker, s.dual.speaker if s.dual else None)]))
    return warnings


def _camera(project: Project, storyboard: Storyboard, draws: Mapping[str, Sequence[Candidate]]) -> list[EpisodeWarning]:
    warnings = []
    for shot in storyboard.shots:
        current = [d for d in draws.get(shot.id, ()) if not d.stale]
        if not camera_failed(current):
            continue
        closest = max((p for d in current for p in d.parts if p.name == "camera"), key=lambda p: p.value or 0.0)
        where = f"{shot.source_file}:{shot.source_lines[0]}" if shot.source_file and shot.source_lines else "the storyboard"
        warnings.append(EpisodeWarning(
            kind="camera", shots=[shot.id], where=where,
            message=f"shot {shot.index + 1} ({shot.id}, {shot.move.value}) failed the camera check in all "
                    f"{len(current)} draw(s); the closest: {closest.explanation}",
            hint=f"draw more (drama render {project.root} --shots {shot.id} --draws N), pick by eye in drama review, "
                 "or change the move there or with 【镜头：…】 / [[…]] in the script"))
    return warnings


def _directions(project: Project, storyboard: Storyboard) -> list[EpisodeWarning]:
    """Camera directions (【镜头：…】, [[…]] marked as camera notes) in which the planner finds no shot term: ignored."""
    script, index = episode_script(project, storyboard.episode)
    return [EpisodeWarning(kind="direction", where=f"{script.source}:{element.line}",
                           message=f"the direction “{element.text}” names no shot size, angle or move: it is ignored",
                           hint="use shot terms, e.g. 特写/近景/中景/全景, 推/拉/摇/移/跟/升/降, 俯拍/仰拍 "
                                "(or CU, MS, WS, dolly in, pan left, low angle)")
            for scene in script.episodes[index].scenes for element in scene.elements
            if isinstance(element, Note) and element.camera and parse_direction(element.text, explicit=True) is None]


def episode_warnings(project: Project, storyboard: Storyboard,
                     draws: Mapping[str, Sequence[Candidate]] | None = None) -> list[EpisodeWarning]:
    """Everything worth a warning about one episode; `draws` are each shot's candidates, stale ones marked."""
    return [*_directions(project, storyboard), *_portraits(project, storyboard), *_music(project),
            *_voices(project, storyboard), *_camera(project, storyboard, draws or {})]
