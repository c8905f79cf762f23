"""The shot vocabulary: sizes, angles and moves, each with its English and Chinese names.

Both languages map to one enum so a script may say `[[CU, dolly in]]` or `【镜头：特写 推】`.
Move values are exactly the engine's `MoveKind` literals.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache


class _Vocabulary(str, Enum):
    """An enum whose members know their names in both languages."""

    @classmethod
    def aliases(cls) -> dict[str, "_Vocabulary"]:
        return _alias_table(cls)

    @classmethod
    def _build_aliases(cls) -> dict[str, "_Vocabulary"]:
        table: dict[str, _Vocabulary] = {}
        for member in cls:
            for name in (member.value, member.name, *_ALIASES.get(member.value, ())):
                table[_normalise(name)] = member
        return table

    @classmethod
    def parse(cls, text: str) -> "_Vocabulary | None":
        """The member named by `text` (any language, any case), or None."""
        return cls.aliases().get(_normalise(text))

    @property
    def zh(self) -> str:
        return _ZH[self.value]

    @property
    def en(self) -> str:
        """The plain English name, as prompts spell it."""
        return _EN[self.value]


@lru_cache(maxsize=None)
def _alias_table(cls: type) -> dict[str, "_Vocabulary"]:
    return cls._build_aliases()


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-.]+", "", text.strip().lower())


class ShotSize(_Vocabulary):
    EWS = "EWS"
    WS = "WS"
    FS = "FS"
    MS = "MS"
    MCU = "MCU"
    CU = "CU"
    ECU = "ECU"
    OTS = "OTS"


class Angle(_Vocabulary):
    EYE = "eye"
    HIGH = "high"
    LOW = "low"
    OVERHEAD = "overhead"
    DUTCH = "dutch"


class Move(_Vocabulary):
    STATIC = "static"
    PAN = "pan"
    TILT = "tilt"
    DOLLY_IN = "dolly_in"
    DOLLY_OUT = "dolly_out"
    TRUCK = "truck"
    FOLLOW = "follow"
    CRANE = "crane"
    ZOOM = "zoom"
    ORBIT = "orbit"
    HANDHELD = "handheld"


_ZH = {
    "EWS": "大远景", "WS": "远景", "FS": "全景", "MS": "中景", "MCU": "近景", "CU": "特写", "ECU": "大特写", "OTS": "过肩",
    "eye": "平视", "high": "俯拍", "low": "仰拍", "overhead": "顶拍", "dutch": "斜角",
    "static": "固定", "pan": "摇", "tilt": "俯仰摇", "dolly_in": "推", "dolly_out": "拉", "truck": "移",
    "follow": "跟", "crane": "升降", "zoom": "变焦", "orbit": "环绕", "handheld": "手持",
}

_EN = {
    "EWS": "extreme wide shot", "WS": "wide shot", "FS": "full shot", "MS": "medium shot",
    "MCU": "medium close-up", "CU": "close-up", "ECU": "extreme close-up", "OTS": "over-the-shoulder shot",
    "eye": "eye-level", "high": "high angle", "low": "low angle", "overhead": "overhead top-down", "dutch": "dutch angle",
    "static": "static camera", "pan": "pan", "tilt": "tilt", "dolly_in": "slow dolly in", "dolly_out": "dolly out",
    "truck": "lateral tracking shot", "follow": "follow shot", "crane": "crane shot", "zoom": "zoom",
    "orbit": "orbiting camera", "handheld": "handheld camera",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "EWS": ("extreme wide", "extreme wide shot", "extreme long shot", "ELS", "大远景"),
    "WS": ("wide", "wide shot", "long shot", "LS", "远景"),
    "FS": ("full", "full shot", "全景"),
    "MS": ("medium", "medium shot", "mid shot", "中景"),
    "MCU": ("medium close-up", "medium close up", "近景", "中近景"),
    "CU": ("close-up", "close up", "closeup", "特写"),
    "ECU": ("extreme close-up", "extreme close up", "XCU", "大特写"),
    "OTS": ("over the shoulder", "over-the-shoulder", "过肩", "过肩镜头"),
    "eye": ("eye level", "eye-level", "平视"),
    "high": ("high angle", "俯", "俯拍", "俯视"),
    "low": ("low angle", "仰", "仰拍", "仰视"),
    "overhead": ("top", "top down", "bird's eye", "birds eye", "顶", "顶拍", "鸟瞰"),
    "dutch": ("dutch angle", "canted", "斜", "斜角", "倾斜"),
    "static": ("locked off", "fixed", "固定", "定"),
    "pan": ("pan left", "pan right", "摇", "摇镜", "横摇"),
    "tilt": ("tilt up", "tilt down", "直摇", "俯仰摇"),
    "dolly_in": ("push in", "push", "dolly", "track in", "推", "推镜", "推进"),
    "dolly_out": ("pull out", "pull back", "track out", "拉", "拉镜", "拉远"),
    "truck": ("track", "tracking", "slide", "移", "移镜", "横移"),
    "follow": ("follow shot", "跟", "跟拍", "跟镜"),
    "crane": ("crane up", "crane down", "jib", "boom", "升", "降", "升降"),
    "zoom": ("zoom in", "zoom out", "变焦"),
    "orbit": ("arc", "circle", "环绕", "环拍"),
    "handheld": ("hand-held", "shaky", "手持", "晃动"),
}
