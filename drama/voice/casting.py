"""Who speaks each shot's line, in which voice: a character's pinned voice, or one chosen from their sex and
age in cast.toml (distinct from the other characters' where the tables allow), a distinct offline eSpeak NG
voice per character, a narrator for voice-over without a cast entry and for title cards.

Pure: depends only on the project's config and cast and the storyboard. The chosen voices are part of each
line's cache key (drama.voice.cache), so changing a character's sex or age re-voices their unpinned lines.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from drama.errors import VoiceError
from drama.project.config import Character, DramaConfig
from drama.project.project import Project, toml_line
from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import LineRequest, VoiceSpec, dual_id

AGES = ("child", "teen", "young", "middle", "old")


class Voice(NamedTuple):
    name: str
    sex: str
    ages: tuple[str, ...]  # the ages it suits best


# edge-tts neural voices (Microsoft's public list), in order of preference when the age is not known.
EDGE_VOICES = {
    "zh": [Voice("zh-CN-XiaoxiaoNeural", "female", ("young", "middle")),
           Voice("zh-CN-XiaoyiNeural", "female", ("child", "teen", "young")),
           Voice("zh-TW-HsiaoChenNeural", "female", ("young", "middle")),  # Taiwanese Mandarin: a third woman
           Voice("zh-TW-HsiaoYuNeural", "female", ("teen", "young")),
           Voice("zh-CN-YunxiNeural", "male", ("teen", "young")),
           Voice("zh-CN-YunjianNeural", "male", ("young", "middle")),
           Voice("zh-CN-YunyangNeural", "male", ("middle", "old")),
           Voice("zh-CN-YunxiaNeural", "male", ("child", "teen"))],
    "en": [Voice("en-US-JennyNeural", "female", ("young", "middle")),
           Voice("en-US-AriaNeural", "female", ("young",)),
           Voice("en-US-MichelleNeural", "female", ("middle", "old")),
           Voice("en-US-AvaNeural", "female", ("teen", "young")),
           Voice("en-US-EmmaNeural", "female", ("young",)),
           Voice("en-US-AnaNeural", "female", ("child", "teen")),
           Voice("en-US-GuyNeural", "male", ("young", "middle")),
           Voice("en-US-ChristopherNeural", "male", ("young", "middle")),
           Voice("en-US-EricNeural", "male", ("middle",)),
           Voice("en-US-RogerNeural", "male", ("middle", "old")),
           Voice("en-US-SteffanNeural", "male", ("teen", "young")),
           Voice("en-US-AndrewNeural", "male", ("young",)),
           Voice("en-US-BrianNeural", "male", ("young",))],
}
# eSpeak NG variants (espeak-ng-data/voices/!v; their `pitch` lines checked): f5 speaks highest, grandma and
# grandpa are the aged ones. No variant sounds like a boy: a boy gets the youngest man.
ESPEAK_VARIANTS = [
    Voice("f3", "female", ("teen", "young")), Voice("f2", "female", ("young", "middle")),
    Voice("f4", "female", ("young", "middle")), Voice("f1", "female", ("middle", "old")),
    Voice("f5", "female", ("child", "teen")), Voice("grandma", "female", ("old",)),
    Voice("m3", "male", ("teen", "young")), Voice("m1", "male", ("young", "middle")),
    Voice("m2", "male", ("middle",)), Voice("m4", "male", ("middle", "old")),
    Voice("m6", "male", ("young", "middle")), Voice("m7", "male", ("young",)), Voice("grandpa", "male", ("old",)),
]
# Kokoro-82M v1.0 voice packs (Mandarin z*, American a*, British b*; f female, m male), in order of preference.
KOKORO_VOICES = {
    "zh": [Voice("zf_xiaoxiao", "female", ("young", "middle")), Voice("zf_xiaoyi", "female", ("child", "teen", "young")),
           Voice("zf_xiaobei", "female", ("young",)), Voice("zf_xiaoni", "female", ("middle", "old")),
           Voice("zm_yunxi", "male", ("teen", "young")), Voice("zm_yunjian", "male", ("young", "middle")),
           Voice("zm_yunyang", "male", ("middle", "old")), Voice("zm_yunxia", "male", ("child", "teen"))],
    "en": [Voice("af_heart", "female", ("young", "middle")), Voice("af_bella", "female", ("young",)),
           Voice("af_sarah", "female", ("middle", "old")), Voice("af_nicole", "female", ("young", "middle")),
           Voice("af_sky", "female", ("child", "teen")), Voice("bf_emma", "female", ("middle",)),
           Voice("am_michael", "male", ("middle", "old")), Voice("am_adam", "male", ("young", "middle")),
           Voice("am_puck", "male", ("teen", "young")), Voice("am_fenrir", "male", ("young",)),
           Voice("bm_george", "male", ("old",)), Voice("am_echo", "male", ("child", "teen"))],
}
NARRATOR = {"zh": "zh-CN-YunxiNeural", "en": "en-US-GuyNeural"}
KOKORO_NARRATOR = {"zh": "zm_yunjian", "en": "am_michael"}
ESPEAK_LANGUAGE = {"zh-CN": "cmn", "zh-TW": "cmn", "zh-HK": "yue", "en-US": "en-us", "en-GB": "en"}
DEFAULT_ESPEAK = {"zh": "cmn", "en": "en-us"}

# The sex of a pinned edge voice given without `sex`, by its name, so its offline voice matches it.
FEMALE_NAMES = ("Xiao", "Jenny", "Aria", "Michelle", "Ana", "Emma", "Ava", "Sonia", "Libby", "Natasha", "HiuGaai",
                "HiuMaan", "HsiaoChen", "HsiaoYu")
MALE_NAMES = ("Yun", "Guy", "Christopher", "Eric", "Roger", "Steffan", "Andrew", "Brian", "Ryan", "Thomas",
              "William", "WanLung")

_PARENTHETICAL = re.compile(r"（[^）]*）|\([^)]*\)|【[^】]*】|\[[^\]]*\]")
_SPEAKABLE = re.compile(r"\w", re.UNICODE)


def spoken_text(text: str) -> str:
    """The words to say: inline directions like （停顿） or (beat) are acted, not spoken."""
    return re.sub(r"\s+", " ", _PARENTHETICAL.sub("", text)).strip()


def is_spoken(shot: Shot, config: DramaConfig) -> bool:
    """Dialogue and voice-over shots speak their line; title cards only when the project narrates them."""
    if not shot.text or not _SPEAKABLE.search(spoken_text(shot.text)):
        return False
    return shot.kind != "title_card" or config.voice.narrate_title_cards


def _sex_of_voice(edge_voice: str) -> str | None:
    name = edge_voice.split("-")[-1]
    if name.startswith(FEMALE_NAMES):
        return "female"
    if name.startswith(MALE_NAMES):
        return "male"
    return None


def choose(table: list[Voice], sex: str, age: str | None, taken: set[str]) -> str:
    """The voice of `sex` that suits `age` best (nearest age, then table order), preferring one not `taken`."""
    def rank(index_voice: tuple[int, Voice]) -> tuple[bool, int, int]:
        index, voice = index_voice
        distance = 0 if age is None else min(abs(AGES.index(age) - AGES.index(a)) for a in voice.ages)
        return voice.name in taken, distance, index
    return min(((i, v) for i, v in enumerate(table) if v.sex == sex), key=rank)[1].name


def voice_guessed(character: Character) -> bool:
    """No voice pinned and no sex to choose one by: the voice is a guess (characters alternate female/male)."""
    return not character.voice and character.sex is None


def _percent(value: str) -> float:
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*%\s*", value)
    return float(match.group(1)) if match else 0.0


def _hertz(value: str) -> float:
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*Hz\s*", value)
    return float(match.group(1)) if match else 0.0


def _spec(edge_voice: str, espeak_voice: str, rate: str = "+0%", pitch: str = "+0Hz", volume: str = "+0%",
          **voices: str) -> VoiceSpec:
    """One voice for every backend: the edge prosody strings map onto eSpeak's rate/pitch/volume and onto the neural
    backends' speed and gain (they have no pitch); `voices` are the other backends' (kokoro_voice, server_voice …)."""
    return VoiceSpec(
        edge_voice=edge_voice, rate=rate, pitch=pitch, volume=volume, espeak_voice=espeak_voice,
        espeak_rate=round(min(450, max(80, 175 * (1 + _percent(rate) / 100)))),
        espeak_pitch=round(min(100, max(0, 50 + _hertz(pitch)))),
        espeak_volume=round(min(200, max(0, 100 * (1 + _percent(volume) / 100)))),
        speed=round(1 + _percent(rate) / 100, 4), gain=round(1 + _percent(volume) / 100, 4), **voices,
    )


def _espeak_language(edge_voice: str, language: str) -> str:
    locale = "-".join(edge_voice.split("-")[:2])
    return ESPEAK_LANGUAGE.get(locale, DEFAULT_ESPEAK[language])


def cast_voices(config: DramaConfig, characters: list[Character]) -> dict[str, VoiceSpec]:
    """A VoiceSpec per character (by canonical name): the pinned voice, else one chosen by sex and age, in cast
    order, kept apart from the narrator's and the others' where the table has enough; offline voices likewise."""
    taken_edge = {c.voice for c in characters if c.voice} | {config.voice.narrator or NARRATOR[config.language]}
    taken_variant = {c.offline_voice.partition("+")[2] for c in characters if c.offline_voice}
    taken_kokoro = {c.kokoro_voice for c in characters if c.kokoro_voice} | {kokoro_narrator(config)}
    server = config.voice.server
    guesses = 0
    voices: dict[str, VoiceSpec] = {}
    for character in characters:
        sex = character.sex or (_sex_of_voice(character.voice) if character.voice else None)
        if sex is None:
            sex, guesses = ("female", "male")[guesses % 2], guesses + 1
        edge = character.voice or choose(EDGE_VOICES[config.language], sex, character.age, taken_edge)
        taken_edge.add(edge)
        espeak = character.offline_voice or _espeak_language(edge, config.language)
        if "+" not in espeak:
            variant = choose(ESPEAK_VARIANTS, sex, character.age, taken_variant)
            taken_variant.add(variant)
            espeak = f"{espeak}+{variant}"
        kokoro = character.kokoro_voice or choose(KOKORO_VOICES[config.language], sex, character.age, taken_kokoro)
        taken_kokoro.add(kokoro)
        voices[character.name] = _spec(edge, espeak, character.rate, character.pitch, character.volume,
                                       kokoro_voice=kokoro, server_voice=character.server_voice or "",
                                       server_model=server.model if server else "")
    return voices


def kokoro_narrator(config: DramaConfig) -> str:
    return config.voice.kokoro_narrator or KOKORO_NARRATOR[config.language]


def narrator_voice(config: DramaConfig) -> VoiceSpec:
    """The narrator: config.voice.narrator (an edge voice), offline the plain language voice, a little slower;
    [voice] kokoro_narrator and [voice.server] narrator_voice for those backends."""
    edge = config.voice.narrator or NARRATOR[config.language]
    server = config.voice.server
    return _spec(edge, _espeak_language(edge, config.language), rate="-5%", kokoro_voice=kokoro_narrator(config),
                 server_voice=(server.narrator_voice or "") if server else "", server_model=server.model if server else "")


def reference(project: Project, character: Character) -> dict[str, str]:
    """The reference clip a cloning backend speaks a character in: its path as cast.toml writes it, the sha256 of its
    bytes (so replacing the clip re-voices the character's lines) and its transcript. Empty without `voice_ref`."""
    if not character.voice_ref:
        return {}
    cast = project.root / "cast.toml"
    line = toml_line(cast.read_text(encoding="utf-8-sig"),
                     ("character", project.cast.character.index(character), "voice_ref"))
    path = project.root / character.voice_ref
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise VoiceError(f"the reference clip of {character.name!r} is not there: {path}", path=cast, line=line,
                         hint="put the clip there (a WAV of 3-10 s of their voice), or fix `voice_ref`") from None
    except IsADirectoryError:
        raise VoiceError(f"the reference clip of {character.name!r} is a folder: {path}", path=cast, line=line,
                         hint="point `voice_ref` at an audio file") from None
    if not character.voice_ref_text:
        raise VoiceError(f"{character.name!r} has a voice_ref but no voice_ref_text", path=cast, line=line,
                         hint="add voice_ref_text = \"…\": what is said in the clip, word for word (cloning needs it)")
    return {"ref": character.voice_ref, "ref_digest": digest, "ref_text": character.voice_ref_text}


def character_voices(project: Project) -> dict[str, VoiceSpec]:
    """Each character's voice (by canonical name) as cast.toml and drama.toml set it now, reference clip included."""
    return {name: spec.model_copy(update=reference(project, project.cast.find(name)))
            for name, spec in cast_voices(project.config, project.cast.character).items()}


def spoken_lines(project: Project, storyboard: Storyboard) -> list[LineRequest]:
    """Every line the episode speaks, in shot order, with the voice it is spoken in; a dual dialogue line
    (spoken over the shot's own) follows it as shot `<id>^`. A speaker with no cast entry (旁白, V.O., a title
    card) gets the narrator."""
    voices = character_voices(project)
    narrator = narrator_voice(project.config)

    def request(shot_id: str, speaker: str | None, text: str) -> LineRequest:
        character = project.cast.find(speaker) if speaker else None
        return LineRequest(shot_id=shot_id, speaker=character.name if character else speaker,
                           text=spoken_text(text), spec=voices[character.name] if character else narrator)

    requests = []
    for shot in storyboard.shots:
        if is_spoken(shot, project.config):
            requests.append(request(shot.id, shot.speaker, shot.text or ""))
        if shot.dual and _SPEAKABLE.search(spoken_text(shot.dual.text)):
            requests.append(request(dual_id(shot.id), shot.dual.speaker, shot.dual.text))
    return requests
