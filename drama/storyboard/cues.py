"""What the words of a script tell the camera: emotions that call for a close-up, status and state of mind that set
its height, actions that move it.

Small bilingual lexicons, matched by substring for Chinese and by whole words for English, so the
planner's choices can be traced back to one word of the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from drama.storyboard.vocabulary import Angle, Move, ShotSize

# term → (shot size it calls for, or None for an ordinary delivery; English gloss for prompts)
_EMOTIONS: dict[str, tuple[ShotSize | None, str]] = {
    # extreme: the face fills the frame
    "崩溃": (ShotSize.ECU, "breaking down"), "尖叫": (ShotSize.ECU, "screaming"), "嘶吼": (ShotSize.ECU, "roaring"),
    "怒吼": (ShotSize.ECU, "roaring with rage"), "暴怒": (ShotSize.ECU, "in a violent rage"), "歇斯底里": (ShotSize.ECU, "hysterical"),
    "screaming": (ShotSize.ECU, "screaming"), "screams": (ShotSize.ECU, "screaming"), "hysterical": (ShotSize.ECU, "hysterical"),
    "sobbing": (ShotSize.ECU, "sobbing"), "enraged": (ShotSize.ECU, "enraged"), "breaking down": (ShotSize.ECU, "breaking down"),
    # strong: a close-up
    "哭": (ShotSize.CU, "crying"), "泣": (ShotSize.CU, "weeping"), "哽咽": (ShotSize.CU, "choking back tears"),
    "落泪": (ShotSize.CU, "in tears"), "流泪": (ShotSize.CU, "in tears"), "含泪": (ShotSize.CU, "eyes brimming with tears"),
    "怒": (ShotSize.CU, "furious"), "咬牙": (ShotSize.CU, "through gritted teeth"), "冷笑": (ShotSize.CU, "with a cold sneer"),
    "狞笑": (ShotSize.CU, "with a sinister grin"), "颤抖": (ShotSize.CU, "trembling"), "发抖": (ShotSize.CU, "shaking"),
    "震惊": (ShotSize.CU, "shocked"), "惊恐": (ShotSize.CU, "terrified"), "恐惧": (ShotSize.CU, "afraid"),
    "绝望": (ShotSize.CU, "in despair"), "哀求": (ShotSize.CU, "pleading"), "低声": (ShotSize.CU, "in a low voice"),
    "压低声音": (ShotSize.CU, "in a hushed voice"), "耳语": (ShotSize.CU, "whispering"), "心碎": (ShotSize.CU, "heartbroken"),
    "crying": (ShotSize.CU, "crying"), "cries": (ShotSize.CU, "crying"), "tearful": (ShotSize.CU, "tearful"),
    "in tears": (ShotSize.CU, "in tears"), "furious": (ShotSize.CU, "furious"), "angry": (ShotSize.CU, "angry"),
    "seething": (ShotSize.CU, "seething"), "sneering": (ShotSize.CU, "sneering"), "trembling": (ShotSize.CU, "trembling"),
    "shaking": (ShotSize.CU, "shaking"), "whispering": (ShotSize.CU, "whispering"), "whispers": (ShotSize.CU, "whispering"),
    "terrified": (ShotSize.CU, "terrified"), "shocked": (ShotSize.CU, "shocked"), "pleading": (ShotSize.CU, "pleading"),
    "devastated": (ShotSize.CU, "devastated"), "through gritted teeth": (ShotSize.CU, "through gritted teeth"),
    # ordinary deliveries: a medium close-up, but the prompt still gets the expression
    "微笑": (None, "smiling"), "笑": (None, "laughing"), "娇笑": (None, "with a coy laugh"), "淡淡": (None, "flatly"),
    "冷冷": (None, "coldly"), "温柔": (None, "tenderly"), "疑惑": (None, "puzzled"), "得意": (None, "smug"),
    "平静": (None, "calmly"), "嘲讽": (None, "mockingly"), "犹豫": (None, "hesitantly"),
    "smiling": (None, "smiling"), "laughing": (None, "laughing"), "calm": (None, "calm"), "softly": (None, "softly"),
    "coldly": (None, "coldly"), "sarcastic": (None, "sarcastic"), "confused": (None, "confused"), "beat": (None, "after a beat"),
}
_RANK = {None: 0, ShotSize.CU: 1, ShotSize.ECU: 2}

# status and state of mind → camera height: looking up at dominance, anger and threat; down on vulnerability
# and defeat; canted for disorientation. Read from parentheticals and from action text alike.
_STATUS: dict[str, Angle] = {
    **dict.fromkeys(("怒", "暴怒", "咬牙", "冷笑", "狞笑", "威胁", "命令", "呵斥", "厉声", "居高临下", "逼近", "得意", "嘲讽",
                     "不屑", "霸气", "冷冷", "furious", "enraged", "angry", "seething", "sneering", "threatening",
                     "menacing", "commanding", "looms", "looming", "towers", "smug", "triumphant", "coldly",
                     "through gritted teeth", "roaring"), Angle.LOW),
    **dict.fromkeys(("哭", "泣", "哽咽", "落泪", "流泪", "含泪", "哀求", "绝望", "委屈", "害怕", "恐惧", "惊恐", "跪", "瘫坐",
                     "低头", "崩溃", "心碎", "颤抖", "发抖", "trembling", "shaking", "crying", "cries", "sobbing",
                     "tearful", "in tears", "pleading", "begging", "defeated", "ashamed", "terrified", "kneels",
                     "kneeling", "devastated", "cowers", "cowering", "breaking down"), Angle.HIGH),
    **dict.fromkeys(("晕", "眩晕", "恍惚", "醉", "踉跄", "天旋地转", "难以置信", "尖叫", "screaming", "screams", "dizzy",
                     "drunk", "disoriented", "woozy", "reeling", "staggers", "staggering", "dazed", "stunned",
                     "hysterical"), Angle.DUTCH),
}


@dataclass(frozen=True)
class Emotion:
    size: ShotSize | None  # CU/ECU for a strong emotion, None for an ordinary line
    gloss: str  # English, for prompts
    angle: Angle | None = None  # low / high / dutch when the words speak of status or disorientation
    angle_word: str | None = None  # the word that chose the angle, for the shot's notes


@dataclass(frozen=True)
class ActionCue:
    move: Move | None = None
    direction: int = 1
    angle: Angle | None = None
    full_body: bool = False  # the whole figure moves: frame a full shot


# (pattern, move, direction, angle, full body); Chinese patterns are literal, English ones whole-word regexes
_ACTIONS: list[tuple[str, Move | None, int, Angle | None, bool]] = [
    ("走向|走近|逼近|靠近|冲向|扑向", Move.DOLLY_IN, 1, None, True),
    (r"walk(?:s|ed|ing)? (?:up )?towards?|approach(?:es|ed|ing)?|step(?:s|ped)? (?:closer|toward)|clos(?:es|ing) in", Move.DOLLY_IN, 1, None, True),
    ("奔跑|跑|奔|追|逃", Move.FOLLOW, 1, None, True),
    (r"run(?:s|ning)?|ran|chas(?:es|ed|ing)|rac(?:es|ed|ing)|sprint(?:s|ed|ing)?|flee(?:s|ing)?|fled|rush(?:es|ed|ing)?", Move.FOLLOW, 1, None, True),
    ("走过|穿过|踱步|横穿", Move.TRUCK, 1, None, True),
    (r"walk(?:s|ed|ing)? (?:across|past|along)|cross(?:es|ed|ing)|pac(?:es|ed|ing)", Move.TRUCK, 1, None, True),
    ("推门|推开门|走进|进门|闯入|闯进|走了进来|走进来|冲进|冲了进来|闯了进来|跑进", Move.DOLLY_IN, 1, None, True),
    (r"enter(?:s|ed|ing)?|burst(?:s|ing)? in|walk(?:s|ed|ing)? in|come(?:s)? in|open(?:s|ed)? the door", Move.DOLLY_IN, 1, None,
     True),
    ("转身|回头|环顾", Move.PAN, 1, None, False),
    (r"turn(?:s|ed|ing)?(?: around)?|spin(?:s|ning)? around|look(?:s|ed|ing)? around", Move.PAN, 1, None, False),
    ("揭开|掀开|露出|映入眼帘|出现在", Move.CRANE, 1, None, False),
    (r"reveal(?:s|ed|ing)?|unveil(?:s|ed|ing)?|pull(?:s|ed)? back the", Move.CRANE, 1, None, False),
    ("俯视|俯瞰", None, 1, Angle.HIGH, False),
    (r"look(?:s|ed|ing)? down (?:at|on|over)|gaz(?:es|ed|ing) down", None, 1, Angle.HIGH, False),
    ("仰望|仰视", None, 1, Angle.LOW, False),
    (r"look(?:s|ed|ing)? up at|tower(?:s|ed|ing)? over", None, 1, Angle.LOW, False),
    ("抬头|仰头|站起|起身", Move.TILT, 1, None, False),
    (r"look(?:s|ed|ing)? up|stand(?:s|ing)? up|stood up|ris(?:es|ing)|rose|get(?:s)? up", Move.TILT, 1, None, False),
    ("低头|俯身|跪下|倒下|瘫坐", Move.TILT, -1, None, False),
    (r"look(?:s|ed|ing)? down|kneel(?:s|ing)?|knelt|collaps(?:es|ed|ing)|fall(?:s|ing)?|fell|sit(?:s)? down|sat down", Move.TILT, -1, None, False),
    ("离开|离去|走远|远去|驶离|后退|退后", Move.DOLLY_OUT, 1, None, True),
    (r"walk(?:s|ed|ing)? away|leav(?:es|ing)|left the|exit(?:s|ed)?|drives? off|back(?:s|ed)? away", Move.DOLLY_OUT, 1, None, True),
    ("踉跄|扭打|厮打|挣扎|搏斗", Move.HANDHELD, 1, None, True),
    (r"stagger(?:s|ed|ing)?|struggl(?:es|ed|ing)|fight(?:s|ing)?|stumbl(?:es|ed|ing)|grappl(?:es|ed|ing)", Move.HANDHELD, 1, None, True),
]


# a part of the body: the action is a close-up of the person it belongs to
_BODY = re.compile(r"手|指|眼|泪|唇|嘴角|(?i:\b(?:hands?|fingers?|fists?|eyes?|tears?|lips?|mouth|knuckles)\b)")


def is_detail(text: str) -> bool:
    """An action about a hand, the eyes, tears …: a close-up rather than a figure in the room."""
    return _BODY.search(text) is not None


def _is_latin(term: str) -> bool:
    return term.isascii()


@lru_cache(maxsize=1)
def _emotion_pattern() -> re.Pattern[str]:
    terms = sorted(_EMOTIONS, key=len, reverse=True)
    parts = [rf"\b{re.escape(t)}\b" if _is_latin(t) else re.escape(t) for t in terms]
    return re.compile("|".join(parts), re.IGNORECASE)


@lru_cache(maxsize=1)
def _status_pattern() -> re.Pattern[str]:
    terms = sorted(_STATUS, key=len, reverse=True)
    return re.compile("|".join(rf"\b{re.escape(t)}\b" if _is_latin(t) else re.escape(t) for t in terms), re.IGNORECASE)


def status_angle(text: str | None) -> tuple[Angle, str] | None:
    """(angle, word) for the first status or state-of-mind word in `text`, or None."""
    match = _status_pattern().search(text or "")
    if not match:
        return None
    word = match.group(0)
    return _STATUS.get(word) or _STATUS[word.lower()], word


@lru_cache(maxsize=1)
def _action_patterns() -> list[tuple[re.Pattern[str], ActionCue]]:
    compiled = []
    for pattern, move, direction, angle, full_body in _ACTIONS:
        regex = rf"\b(?:{pattern})\b" if _is_latin(pattern) else pattern
        compiled.append((re.compile(regex, re.IGNORECASE), ActionCue(move, direction, angle, full_body)))
    return compiled


def emotion(parenthetical: str | None) -> Emotion | None:
    """The strongest emotion named in a parenthetical; an unknown one keeps its own words as the gloss."""
    if not parenthetical:
        return None
    words = parenthetical.strip().strip("()（）").strip()
    if not words:
        return None
    best: Emotion | None = None
    for match in _emotion_pattern().finditer(words):
        size, gloss = _EMOTIONS.get(match.group(0)) or _EMOTIONS[match.group(0).lower()]
        if best is None or _RANK[size] > _RANK[best.size]:
            best = Emotion(size, gloss)
    status = status_angle(words)
    best = best or Emotion(None, words)
    return Emotion(best.size, best.gloss, *status) if status else best


def action_cue(text: str) -> ActionCue:
    """The camera an action suggests: the earliest move verb sets the move, the earliest angle verb the angle."""
    move_at, move = len(text) + 1, ActionCue()
    angle_at, angle = len(text) + 1, None
    full_body = False
    for pattern, cue in _action_patterns():
        match = pattern.search(text)
        if not match:
            continue
        full_body = full_body or cue.full_body
        if cue.move is not None and match.start() < move_at:
            move_at, move = match.start(), cue
        if cue.angle is not None and match.start() < angle_at:
            angle_at, angle = match.start(), cue.angle
    return ActionCue(move.move, move.direction, angle, full_body)
