"""Who speaks each shot's line, in which voice: the cast's edge-tts voice and a distinct offline
eSpeak NG voice per character, a narrator for voice-over without a cast entry and for title cards.

Pure: depends only on the project's config and cast and the storyboard.
"""

from __future__ import annotations

import re

from drama.project.config import Character, DramaConfig
from drama.project.project import Project
from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import LineRequest, VoiceSpec

# Pools for characters with no voice in cast.toml, so two of them never share one.
EDGE_POOL = {
    "zh": ["zh-CN-XiaoxiaoNeural", "zh-CN-YunxiNeural", "zh-CN-XiaoyiNeural", "zh-CN-YunjianNeural",
           "zh-CN-YunyangNeural", "zh-CN-YunxiaNeural"],
    "en": ["en-US-JennyNeural", "en-US-GuyNeural", "en-US-AriaNeural", "en-US-ChristopherNeural",
           "en-US-MichelleNeural", "en-US-EricNeural"],
}
NARRATOR = {"zh": "zh-CN-YunxiNeural", "en": "en-US-GuyNeural"}
ESPEAK_LANGUAGE = {"zh-CN": "cmn", "zh-TW": "cmn", "zh-HK": "yue", "en-US": "en-us", "en-GB": "en-gb"}
DEFAULT_ESPEAK = {"zh": "cmn", "en": "en-us"}

# eSpeak NG voice variants (espeak-ng-data/voices/!v): female ones speak higher.
FEMALE_VARIANTS = ["f3", "f2", "f4", "f1", "f5"]
MALE_VARIANTS = ["m3", "m1", "m2", "m4", "m6", "m7"]
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


def _gender(edge_voice: str) -> str | None:
    name = edge_voice.split("-")[-1]
    if name.startswith(FEMALE_NAMES):
        return "female"
    if name.startswith(MALE_NAMES):
        return "male"
    return None


def _percent(value: str) -> float:
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*%\s*", value)
    return float(match.group(1)) if match else 0.0


def _hertz(value: str) -> float:
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*Hz\s*", value)
    return float(match.group(1)) if match else 0.0


def _spec(edge_voice: str, espeak_voice: str, rate: str = "+0%", pitch: str = "+0Hz", volume: str = "+0%") -> VoiceSpec:
    """One voice for both backends: the edge prosody strings map onto eSpeak's rate/pitch/volume."""
    return VoiceSpec(
        edge_voice=edge_voice, rate=rate, pitch=pitch, volume=volume, espeak_voice=espeak_voice,
        espeak_rate=round(min(450, max(80, 175 * (1 + _percent(rate) / 100)))),
        espeak_pitch=round(min(100, max(0, 50 + _hertz(pitch)))),
        espeak_volume=round(min(200, max(0, 100 * (1 + _percent(volume) / 100)))),
    )


def _espeak_language(edge_voice: str, language: str) -> str:
    locale = "-".join(edge_voice.split("-")[:2])
    return ESPEAK_LANGUAGE.get(locale, DEFAULT_ESPEAK[language])


def cast_voices(config: DramaConfig, characters: list[Character]) -> dict[str, VoiceSpec]:
    """A VoiceSpec per character (by canonical name); offline voices differ between characters."""
    used_edge = {c.voice for c in characters if c.voice}
    spare_edge = [v for v in EDGE_POOL[config.language] if v not in used_edge]
    counters = {"female": 0, "male": 0, None: 0}
    voices: dict[str, VoiceSpec] = {}
    for character in characters:
        edge = character.voice or (spare_edge.pop(0) if spare_edge else EDGE_POOL[config.language][0])
        espeak = character.offline_voice or _espeak_language(edge, config.language)
        if "+" not in espeak:
            gender = _gender(edge) or ("female" if counters[None] % 2 == 0 else "male")
            counters[None] += _gender(edge) is None
            variants = FEMALE_VARIANTS if gender == "female" else MALE_VARIANTS
            espeak = f"{espeak}+{variants[counters[gender] % len(variants)]}"
            counters[gender] += 1
        voices[character.name] = _spec(edge, espeak, character.rate, character.pitch, character.volume)
    return voices


def narrator_voice(config: DramaConfig) -> VoiceSpec:
    """The narrator: config.voice.narrator (an edge voice), offline the plain language voice, a little slower."""
    edge = config.voice.narrator or NARRATOR[config.language]
    return _spec(edge, _espeak_language(edge, config.language), rate="-5%")


def spoken_lines(project: Project, storyboard: Storyboard) -> list[LineRequest]:
    """Every line the episode speaks, in shot order, with the voice it is spoken in.
    A speaker with no cast entry (旁白, V.O., a title card) gets the narrator."""
    voices = cast_voices(project.config, project.cast.character)
    narrator = narrator_voice(project.config)
    requests = []
    for shot in storyboard.shots:
        if not is_spoken(shot, project.config):
            continue
        character = project.cast.find(shot.speaker) if shot.speaker else None
        requests.append(LineRequest(shot_id=shot.id, speaker=character.name if character else shot.speaker,
                                    text=spoken_text(shot.text or ""),
                                    spec=voices[character.name] if character else narrator))
    return requests
