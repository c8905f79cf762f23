"""One voice per character across the series.

When an episode is exported, every cast character who speaks in it and has no lock yet is locked to the backend that
spoke their lines and the whole voice it spoke them in (every parameter, a Kokoro blend, a reference clip by its
sha256, with a copy of the clip kept under .drama/voice-refs/). The locks are .drama/voice-locks.json, written whole
or not at all. From then on their lines are spoken in the locked voice whatever cast.toml or drama.toml say; a setting
that would change it is named (file and line) in a warning and not applied, and `drama voice PROJECT --recast NAME`
changes it on purpose.

A character locked to a backend that cannot speak in a run (edge-tts with the network down, a Kokoro model gone) is
spoken by the fallback `auto` allows, so drafting goes on, but an episode with such a line is not exported: their
voice would change mid-series. Once the locked backend speaks again, those lines are voiced in the locked voice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from drama import atomic
from drama.errors import ExportError, ProjectError, VoiceError, did_you_mean, os_fault
from drama.project.project import Project, toml_line
from drama.voice.casting import character_voices
from drama.voice.model import CHAINS, CLONING, LABELS, Backend, LineRequest, VoiceLine, VoiceSpec

log = logging.getLogger("drama.voice")

LOCKS = "voice-locks.json"  # in the project's .drama/
CLIPS = "voice-refs"  # .drama/voice-refs/<sha256 prefix>/<clip's name>: the reference clips locked voices clone
# When a character's lines were spoken by several backends, the one they are locked to: fallbacks only go down this
# list (edge-tts → Kokoro → eSpeak NG), so the highest is the voice meant and the others stood in for it.
PREFERENCE: tuple[Backend, ...] = ("openai", "cosyvoice", "gpt-sovits", "edge", "kokoro", "offline")
# Where each part of a voice is set: a cast.toml key of the character, or a drama.toml key.
CAST_KEYS = {"edge_voice": "voice", "espeak_voice": "offline_voice", "kokoro_voice": "kokoro_voice",
             "server_voice": "server_voice", "ref_digest": "voice_ref", "ref_text": "voice_ref_text",
             "rate": "rate", "espeak_rate": "rate", "speed": "rate", "pitch": "pitch", "espeak_pitch": "pitch",
             "volume": "volume", "espeak_volume": "volume", "gain": "volume"}
CONFIG_KEYS = {"server_model": ("voice", "server", "model")}


class VoiceLock(BaseModel):
    backend: Backend
    spec: VoiceSpec  # the whole voice; a cloning backend's `ref` points at the kept copy of the clip
    since: str  # what fixed it: "the export of ep01", "drama voice --recast"

    @property
    def voice(self) -> str:
        return f"{LABELS[self.backend]} {self.spec.name(self.backend)}"


class LockTable(BaseModel):
    version: Literal[1] = 1
    characters: dict[str, VoiceLock] = Field(default_factory=dict)  # by the name the character had when locked


def _file(project: Project) -> Path:
    return project.state_dir / LOCKS


def _read_table(project: Project) -> dict[str, VoiceLock]:
    path = _file(project)
    try:
        return LockTable.model_validate_json(path.read_bytes()).characters
    except FileNotFoundError:
        return {}
    except (OSError, ValidationError) as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        raise ProjectError(f"the characters' locked voices cannot be read ({reason})", path=path,
                           hint=f"drama writes it whole or not at all, so it was changed by hand or damaged: restore it "
                                f"from a backup, or move it aside (mv {path} {path}.damaged) and each character is "
                                "locked again, to the current settings, at the next export") from None


def _canonical(project: Project, name: str) -> str:
    """Today's name of the character locked as `name` (a lock follows a renamed character by its aliases)."""
    character = project.cast.find(name)
    return character.name if character else name


def read_locks(project: Project) -> dict[str, VoiceLock]:
    """The locked voices, by each character's canonical name today."""
    return {_canonical(project, name): lock for name, lock in _read_table(project).items()}


@contextmanager
def _updating(project: Project) -> Iterator[dict[str, VoiceLock]]:
    """The lock table to change in place, written back atomically if the block ends without an error; one writer at a
    time, so an export and a recast at once lose neither's locks."""
    path = _file(project)
    with atomic.exclusive(project.state_dir / "voice-locks.lock"):
        table = _read_table(project)
        yield table
        try:
            atomic.write_text(path, LockTable(characters=table).model_dump_json(indent=2) + "\n")
        except OSError as error:
            raise (os_fault(error, path=path, doing="lock the characters' voices") or error) from None


def locked_chain(backend: Backend, configured: tuple[Backend, ...]) -> tuple[Backend, ...]:
    """The backends a character locked to `backend` tries: from it down the configured chain, else down `auto`'s (a
    character locked to edge-tts is drafted offline when the network is down), else it alone."""
    chain = next(chain for chain in (configured, CHAINS["auto"], (backend,)) if backend in chain)
    return chain[chain.index(backend):]


def locked(locks: dict[str, VoiceLock], request: LineRequest,
           chain: tuple[Backend, ...]) -> tuple[LineRequest, tuple[Backend, ...]]:
    """The line in its speaker's locked voice and the backends to try for it; unlocked lines as they are."""
    lock = locks.get(request.speaker or "")
    if lock is None:
        return request, chain
    return request.model_copy(update={"spec": lock.spec}), locked_chain(lock.backend, chain)


def drifts(project: Project, locks: dict[str, VoiceLock], backend: str, *, flag: bool = False) -> list[str]:
    """For each locked character whose voice the current settings would change: a warning naming where each change
    is (cast.toml or drama.toml, and the line), the voice kept and the command that changes it. `flag`: the backend
    was chosen by --backend, not drama.toml."""
    cast_file, config_file = project.root / "cast.toml", project.root / "drama.toml"
    cast_text = cast_file.read_text(encoding="utf-8-sig") if cast_file.is_file() else ""
    config_text = config_file.read_text(encoding="utf-8-sig")
    current = character_voices(project) if locks else {}
    warnings = []
    for name, lock in locks.items():
        character = project.cast.find(name)
        if character is None:
            continue  # no longer in the cast: their lines (if any) keep the locked voice, nothing to change here
        index = project.cast.character.index(character)
        changes: dict[str, str] = {}  # where → what
        if lock.backend not in CHAINS[backend]:
            where = "--backend" if flag else f"{config_file}:{toml_line(config_text, ('voice', 'backend'))}"
            changes[where] = f'backend = "{backend}"'
        now, then = current[name].key_fields(lock.backend), lock.spec.key_fields(lock.backend)
        for field in (field for field in then if now[field] != then[field]):
            if field in CONFIG_KEYS:
                keys = CONFIG_KEYS[field]
                where = f"{config_file}:{toml_line(config_text, keys)}"
                changes.setdefault(where, f"{keys[-1]} = {json.dumps(now[field], ensure_ascii=False)}")
                continue
            key = CAST_KEYS[field]
            where = f"{cast_file}:{toml_line(cast_text, ('character', index, key))}"
            if key == "voice_ref":
                changes.setdefault(where, f"a new clip at voice_ref = {json.dumps(character.voice_ref, ensure_ascii=False)}")
            elif key in character.model_fields_set:
                changes.setdefault(where, f"{key} = {json.dumps(getattr(character, key), ensure_ascii=False)}")
            else:  # an unpinned voice chosen anew: the character's sex or age changed, or another took the voice
                changes.setdefault(where, f"no {key}: the one chosen by sex and age is now "
                                          f"{json.dumps(now[field], ensure_ascii=False)}")
        if changes:
            said = "; ".join(f"{where} {change}" for where, change in changes.items())
            warnings.append(f"{name}'s voice stays {lock.voice} (locked by {lock.since}), not as now set: {said}. "
                            f"To change it: drama voice {project.root} --recast {name}")
    return warnings


def _spoken_by(lines: list[VoiceLine]) -> dict[str, list[VoiceLine]]:
    by_speaker: dict[str, list[VoiceLine]] = {}
    for line in lines:
        if line.speaker:
            by_speaker.setdefault(line.speaker, []).append(line)
    return by_speaker


def _keep_clip(project: Project, backend: Backend, spec: VoiceSpec) -> VoiceSpec:
    """The voice to lock; a cloning backend's reference clip copied under .drama/voice-refs/ (by its sha256), so
    replacing or deleting the clip in the project leaves the locked voice as it was."""
    if backend not in CLONING or not spec.ref:
        return spec
    source = project.root / spec.ref
    kept = project.state_dir / CLIPS / spec.ref_digest[:16] / Path(spec.ref).name
    try:
        if not kept.is_file():
            data = source.read_bytes()
            if hashlib.sha256(data).hexdigest() != spec.ref_digest:
                raise VoiceError(f"the reference clip {source} changed while its lines were voiced",
                                 hint="run the command again")
            atomic.write_bytes(kept, data)
    except OSError as error:
        raise (os_fault(error, path=kept, kind=VoiceError, doing="keep the locked reference clip") or error) from None
    return spec.model_copy(update={"ref": kept.relative_to(project.root).as_posix()})


def _lock_of(project: Project, lines: list[VoiceLine], spec: VoiceSpec, since: str) -> VoiceLock:
    backend = min((line.backend for line in lines), key=PREFERENCE.index)
    return VoiceLock(backend=backend, spec=_keep_clip(project, backend, spec), since=since)


def check_export(project: Project, episode: str, lines: list[VoiceLine]) -> None:
    """Refuse to export an episode where a locked character's line is not in their locked voice (a fallback stood in
    for a backend that could not speak)."""
    locks = read_locks(project)
    for name, their in _spoken_by(lines).items():
        lock = locks.get(name)
        if lock is None:
            continue
        off = [line for line in their if line.backend != lock.backend or line.voice != lock.spec.name(lock.backend)]
        if off:
            character = project.cast.find(name)
            cast = project.root / "cast.toml"
            line = (toml_line(cast.read_text(encoding="utf-8-sig"), ("character", project.cast.character.index(character)))
                    if character else None)
            raise ExportError(
                f"{episode} is not exported: {name}'s voice is locked to {lock.voice} ({lock.since}), but "
                f"{len(off)} of their lines in {episode} were voiced with {LABELS[off[0].backend]} "
                f"{off[0].voice}, because {LABELS[lock.backend]} could not speak them", path=cast, line=line,
                hint=f"run again once {LABELS[lock.backend]} can speak (for edge-tts: with the network), and those "
                     f"lines are voiced in the locked voice; or change their voice on purpose: drama voice "
                     f"{project.root} --recast {name}")


def take_locks(project: Project, episode: str, lines: list[VoiceLine]) -> list[str]:
    """After `episode` is exported: lock each cast character who speaks in it and has no lock yet to the voice that
    spoke their lines; said in a warning. The names locked."""
    speakers = {name: their for name, their in _spoken_by(lines).items() if project.cast.find(name) is not None}
    if not speakers or set(speakers) <= set(read_locks(project)):
        return []
    current = character_voices(project)
    with _updating(project) as table:
        held = {_canonical(project, name) for name in table}
        new = {name: _lock_of(project, their, current[name], f"the export of {episode}")
               for name, their in speakers.items() if name not in held}
        table.update(new)
    if new:
        log.warning("Voices locked for the series now that %s is exported: %s. A change to them in cast.toml or "
                    "drama.toml is no longer applied: change one with drama voice %s --recast NAME.", episode,
                    ", ".join(f"{name}: {lock.voice}" for name, lock in new.items()), project.root)
    return list(new)


@contextmanager
def exporting(project: Project, episode: str, lines: list[VoiceLine]) -> Iterator[None]:
    """Around an episode's export: refuse lines off their character's locked voice first; once it is exported, lock
    the characters speaking in it for the first time."""
    check_export(project, episode, lines)
    yield
    take_locks(project, episode, lines)


def recast_names(project: Project, names: list[str]) -> list[str]:
    """The characters `--recast` names (by name or alias), by canonical name; an unknown name is an error."""
    cast = project.root / "cast.toml"
    found = []
    for name in names:
        character = project.cast.find(name)
        if character is None:
            known = [known for c in project.cast.character for known in c.all_names]
            raise VoiceError(f"--recast {name}: there is no character {name!r} in cast.toml", path=cast,
                             hint=did_you_mean(name, known) or
                             (f"characters: {', '.join(c.name for c in project.cast.character)}" if known else
                              "cast.toml has no [[character]]"))
        found.append(character.name)
    return list(dict.fromkeys(found))


class Recast(BaseModel):
    name: str
    old: VoiceLock | None
    new: VoiceLock | None  # None: not locked before, or no line of theirs in this run: locked at the next export
    lines: int


def recast(project: Project, names: Collection[str], lines: list[VoiceLine], chain: tuple[Backend, ...],
           down: Collection[Backend]) -> list[Recast]:
    """After `names`' lines were voiced with the current settings (`chain`, with the backends in `down` unable to
    speak): lock each to the voice that spoke them. Refused, with every lock kept, when a fallback spoke them because
    the backend the settings choose could not (a recast to eSpeak NG for want of the network is not what was meant)."""
    if not names:
        return []
    spoken = _spoken_by(lines)
    current = character_voices(project)
    locks = read_locks(project)
    recasts = []
    for name in names:
        their = spoken.get(name, [])
        new = _lock_of(project, their, current[name], "drama voice --recast") if their and name in locks else None
        if new is not None and (missed := [b for b in chain[:chain.index(new.backend)] if b in down]):
            raise VoiceError(f"{name} is not recast: {LABELS[missed[0]]} could not speak in this run, so their lines "
                             f"were voiced with {LABELS[new.backend]}; their voice stays "
                             f"{locks[name].voice if name in locks else 'as it was'}",
                             hint=f"run again once {LABELS[missed[0]]} can speak; or, to give them the "
                                  f"{LABELS[new.backend]} voice on purpose: drama voice {project.root} --backend "
                                  f"{new.backend} --recast {name}")
        recasts.append(Recast(name=name, old=locks.get(name), new=new, lines=len(their)))
    if all(change.old is None for change in recasts):
        return recasts
    with _updating(project) as table:
        for change in recasts:
            for stored in [stored for stored in table if _canonical(project, stored) == change.name]:
                del table[stored]
            if change.new is not None:
                table[change.name] = change.new
    return recasts
