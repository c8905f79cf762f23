"""Words that stand for people: pronouns, group labels and voices without a body.

A pronoun is resolved to the most recent character it can mean (by the cast's `sex`, else the gendered
words of their description, else anyone); a group label (众人, THE CROWD) means everyone present plus
unnamed extras; a voice label (A DEEP VOICE, 广播) is heard and never drawn. Vocabularies are data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Sex = Literal["female", "male"]

# pronoun → (the sex it asks for, None = anyone; plural)
PRONOUNS: dict[str, tuple[Sex | None, bool]] = {
    "她们": ("female", True), "他们": (None, True), "她": ("female", False), "他": ("male", False),
    "she": ("female", False), "her": ("female", False), "hers": ("female", False), "herself": ("female", False),
    "he": ("male", False), "him": ("male", False), "his": ("male", False), "himself": ("male", False),
    "they": (None, True), "them": (None, True), "their": (None, True), "themselves": (None, True),
}
# object pronouns never mean the subject of their own sentence ("Steel smacks him": not Steel); "her" only
# when nothing follows it (else it may be a possessive: "she grabs her bag")
_OBJECTS = frozenset({"him", "them"})
_NOTHING_FOLLOWS = re.compile(r"\s*(?:[.,;:!?]|$)")
_SENTENCE_END = re.compile(r"[.!?。！？…\n]+")
# 其他/其它 (other) and 他人 (others) contain 他 but name no one
_NOT_PRONOUN = r"(?<![其吉])(?!他人)"

# label → unnamed extras it brings besides the named people present; Chinese literal, English whole words
GROUPS: dict[str, int] = {
    "前场所有人": 4, "所有人": 2, "全员": 2, "众人": 3, "大家": 2, "全场": 6, "满场": 6, "在场的人": 2,
    "同学们": 6, "全班": 8, "人群": 8, "围观群众": 8, "宾客们": 6, "宾客": 6, "路人": 3, "群众": 8, "队员们": 4,
    "everyone": 2, "everybody": 2, "all": 2, "the crowd": 8, "crowd": 8, "the class": 8, "the students": 6,
    "the guests": 6, "the others": 2, "the team": 4, "onlookers": 6, "bystanders": 4,
    "the men": 0, "the women": 0, "the boys": 0, "the girls": 0, "the kids": 0, "the family": 0,
}
# the nouns Chinese group labels are made of: 几个男同学, 众员工, 保镖们
_PEOPLE = "同学|学生|男生|女生|队员|球员|保安|保镖|路人|宾客|客人|记者|警察|员工|职员|手下|小弟|村民|亲戚|佣人|护士|医生|人"
_NUMERALS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "几": 3, "一群": 6, "一帮": 5, "一些": 4, "一伙": 4}
_COUNTED = rf"(?P<count>一群|一帮|一些|一伙|[两二三四五几])(?:个|名|位)?(?:男|女)?(?:{_PEOPLE})"
_COLLECTIVE = rf"众(?:{_PEOPLE})|(?:{_PEOPLE})们"  # 众员工, 保镖们, 人们
_COLLECTIVE_EXTRAS = 4
# the two people just seen: 两人对视, BOTH (as a cue); "both" in action is too often "both hands"
_PAIR = re.compile(r"(?:两|二|俩)(?:个)?人(?![群员])"
                   r"|(?i:\bthe (?:two (?:of them|men|women|boys|girls|friends|partners)|pair|couple)\b)")
_PAIR_CUES = frozenset({"both", "两人", "二人", "俩人", "两个人"})
# a voice coming through a phone or a radio: the far end, not the person in the room
_FAR_END = re.compile(r"(?i:\bfiltered\b|\bover (?:the )?phone\b|\bon speaker\b)|电话那头|电话里|听筒里")
_VOICE = re.compile(r"(?i:\b(?:voice|radio|intercom|loudspeaker|announcer|speaker ?phone|p\.a\.|tannoy|tv|television)\b)"
                    rf"|声音|广播|喇叭|画外音|对讲机|{_FAR_END.pattern}")  # a cue that is a voice, not a body
_FEMALE_WORDS = re.compile(r"女|妻|母|妈|姐|妹|奶奶|婆|姑娘|小姐|夫人"
                           r"|(?i:\b(?:woman|women|girl|lady|female|mother|sister|wife|daughter|aunt|grandmother|she|her)\b)")
_MALE_WORDS = re.compile(r"男|夫|父|爸|哥|弟|爷|叔|伯|先生|少爷"
                         r"|(?i:\b(?:man|men|boy|guy|male|father|brother|husband|son|uncle|grandfather|he|his)\b)")


@dataclass(frozen=True)
class Group:
    label: str  # as written
    extras: int  # unnamed people it brings on screen
    pair: bool = False  # 两人, BOTH: the two people last mentioned or heard, not everyone


def _alternation(words: Sequence[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in ordered)


@lru_cache(maxsize=1)
def _pronoun_pattern() -> re.Pattern[str]:
    chinese = [p for p in PRONOUNS if not p.isascii()]
    english = [p for p in PRONOUNS if p.isascii()]
    return re.compile(f"{_NOT_PRONOUN}(?:{_alternation(chinese)})|(?i:{_alternation(english)})")


@lru_cache(maxsize=1)
def _group_pattern() -> re.Pattern[str]:
    return re.compile(f"(?P<counted>{_COUNTED})|(?i:{_alternation(list(GROUPS))})|(?P<collective>{_COLLECTIVE})")


def group(text: str, *, cue: bool = False) -> Group | None:
    """The group `text` names: a pair (两人, BOTH) first, else the first group label; a speaker cue must be the
    label alone (ALL, 众人, THE CROWD). In action "all" is too common a word to mean the group, so only cues use it."""
    text = text.strip()
    if cue:
        pair = text if text.casefold() in _PAIR_CUES else None
    else:
        found = _PAIR.search(text)
        pair = found.group(0) if found else None
    if pair:
        return Group(pair, 0, pair=True)
    for match in _group_pattern().finditer(text):
        label = match.group(0)
        if cue and label != text and label.casefold() != text.casefold().removeprefix("the "):
            continue
        if not cue and label.casefold() == "all":
            continue
        if match.group("counted"):
            return Group(label, _NUMERALS[match.group("count")])
        if match.group("collective"):
            return Group(label, _COLLECTIVE_EXTRAS)
        return Group(label, GROUPS.get(label) or GROUPS[label.casefold()])
    return None


def is_voice(name: str) -> bool:
    """A cue that names a voice rather than someone who can be seen (A DEEP VOICE, RADIO, 广播)."""
    return _VOICE.search(name) is not None


def heard_through(direction: str) -> bool:
    """A cue extension or delivery that puts the voice at the far end of a phone or radio (FILTERED, 电话那头)."""
    return _FAR_END.search(direction) is not None


def sex_from_description(text: str) -> Sex | None:
    """The sex a description's gendered words suggest, or None when they do not decide it."""
    female, male = len(_FEMALE_WORDS.findall(text)), len(_MALE_WORDS.findall(text))
    return "female" if female > male else "male" if male > female else None


def _is_object(text: str, position: int, pronoun: str) -> bool:
    word = pronoun.lower()
    return word in _OBJECTS or word == "her" and _NOTHING_FOLLOWS.match(text, position + len(pronoun)) is not None


@dataclass(frozen=True)
class Resolution:
    people: list[str]  # canonical names in order of appearance, pronouns resolved
    notes: list[str]  # one line per pronoun: what it was taken to mean and why


def resolve(text: str, mentions: Sequence[tuple[int, str]], recent: list[str], present: Sequence[str],
            sex: Callable[[str], Sex | None]) -> Resolution:
    """Who `text` puts on screen: named people (`mentions`: position, canonical name) and pronouns, each
    pronoun taken as the most recent character of its sex (`recent`: most recent first, updated in place;
    `present`: the scene's people, for a pronoun before anyone was mentioned). Plural pronouns mean every
    present person of the sex asked for; an object pronoun is never the person its own sentence named before it."""
    events = [(position, name, None) for position, name in mentions]
    events += [(m.start(), "", m.group(0)) for m in _pronoun_pattern().finditer(text)]
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    people: list[str] = []
    notes: list[str] = []
    sentence: list[str] = []  # who the current sentence has named so far
    for position, name, pronoun in sorted(events, key=lambda e: e[0]):
        if ends and position >= ends[0]:
            sentence = []
            ends = [end for end in ends if end > position]
        if pronoun is None:
            chosen = [name]
        else:
            wanted, plural = PRONOUNS[pronoun] if pronoun in PRONOUNS else PRONOUNS[pronoun.lower()]
            pool = list(dict.fromkeys([*recent, *present]))
            acting = [p for p in pool if p in sentence] if _is_object(text, position, pronoun) else []
            fits = [p for p in pool if p not in acting and (wanted is None or sex(p) in (wanted, None))]
            chosen = fits if plural else fits[:1]
            if not chosen:
                continue
            why = "everyone present" if plural else "the most recent " + {"female": "woman", "male": "man", None: "person"}[wanted]
            if not plural and sex(chosen[0]) is None and wanted:
                why = "the most recent person (sex unknown)"
            if acting:
                why += f", not {', '.join(acting)}, who acts on them"
            note = f"“{pronoun}” → {', '.join(chosen)} ({why})"
            if note not in notes:
                notes.append(note)
        sentence += chosen
        for person in chosen:
            if person not in people:
                people.append(person)
            if person in recent:
                recent.remove(person)
            recent.insert(0, person)
    return Resolution(people, notes)
