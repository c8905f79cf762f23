"""`drama cast init PROJECT`: a first cast.toml proposed from the screenplays — their cues, 人物小传 bios,
synopsis and action lines.

A proposal to edit, not a final answer. Each character's `sex` and `age` are inferred from evidence, each
piece weighed:

  5  an age in years: a bio's 26岁, or the intro after a name in an action line, `ANNA (30s)`, `林晚（26岁）`
  2  a gendered or age word in the character's own bio (丈夫, 女老师, mother), in the name itself (陈伯, 王姐,
     MRS. LIN), just before the name anywhere (少夫人沈清, 丈夫顾承泽, Mr. Chen, a woman named Anna), or in the
     introduction after it (ROSA (30s), a woman in a red dress; 林晚，一个女老师)
  1  a word or a pronoun (clause-initial 她/他, 她的/他的; she, he, his, herself, himself, a possessive her) in an
     action line or synopsis sentence that names this character and no other

A word after a possessive (她的丈夫, her husband) or an indefinite article (A man grabs MAYA's arm, 一个女人) is
about someone else and does not count, nor does the possessive, unless the word stands before a name (her
husband BEN) or introduces it. A value is
written when its weight is at least twice any other's; otherwise (no evidence, or evidence that disagrees) the
field is left as a comment in cast.toml and `drama cast init` says which line to complete. No voice is written:
voices follow sex and age when the episode is voiced (drama.voice.casting); voices an existing cast.toml pins
are kept. Colours are kept distinct, portraits referenced only when a matching file already sits in refs/.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from drama.atomic import write_text
from drama.errors import DramaError
from drama.project.config import DramaConfig
from drama.project.project import list_screenplays, load_toml
from drama.screenplay import parse_file
from drama.screenplay.model import Action, Dialogue, Script, Synopsis

_NARRATORS = {"旁白", "narrator", "narration", "解说"}
PALETTE = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#f1c40f", "#2c3e50", "#e84393", "#7f8c8d"]
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

F, M = "female", "male"
# word → (sex, age), either may be None. Matched longest first, so 老太太 is not 太太 and 少夫人 not 夫人;
# (None, None) entries only stop a shorter word matching inside them (子女 is not 女).
ZH_WORDS: dict[str, tuple[str | None, str | None]] = {
    "女": (F, None), "男": (M, None), "女人": (F, None), "男人": (M, None), "女士": (F, None), "先生": (M, None),
    "小姐": (F, None), "姑娘": (F, "young"), "小伙": (M, "young"), "小伙子": (M, "young"), "少爷": (M, "young"),
    "公子": (M, "young"), "夫人": (F, None), "少夫人": (F, "young"), "太太": (F, None), "妻": (F, None),
    "妻子": (F, None), "未婚妻": (F, None), "老婆": (F, None), "丈夫": (M, None), "未婚夫": (M, None),
    "老公": (M, None), "闺蜜": (F, None), "女友": (F, None), "男友": (M, None), "女儿": (F, None), "儿子": (M, None),
    "姐姐": (F, None), "妹妹": (F, None), "哥哥": (M, None), "弟弟": (M, None), "母亲": (F, "middle"),
    "妈妈": (F, "middle"), "父亲": (M, "middle"), "爸爸": (M, "middle"), "阿姨": (F, "middle"), "大叔": (M, "middle"),
    "大妈": (F, "old"), "大爷": (M, "old"), "奶奶": (F, "old"), "外婆": (F, "old"), "婆婆": (F, "old"),
    "爷爷": (M, "old"), "外公": (M, "old"), "老太太": (F, "old"), "老太": (F, "old"), "老头": (M, "old"),
    "老爷子": (M, "old"), "老人": (None, "old"), "老者": (None, "old"), "少女": (F, "teen"), "少年": (M, "teen"),
    "女孩": (F, "child"), "男孩": (M, "child"), "小女孩": (F, "child"), "小男孩": (M, "child"), "孩子": (None, "child"),
    "小孩": (None, "child"), "中年": (None, "middle"), "青年": (None, "young"), "年轻": (None, "young"),
    "老年": (None, "old"), "年迈": (None, "old"), "子女": (None, None), "儿女": (None, None), "男女": (None, None),
}
# a name ending in one of these says who it is: 陈伯, 王姐, 李妈
ZH_NAME_ENDINGS: dict[str, tuple[str | None, str | None]] = {
    "哥": (M, "young"), "弟": (M, "young"), "姐": (F, "young"), "妹": (F, "young"), "嫂": (F, None),
    "妈": (F, "middle"), "爸": (M, "middle"), "叔": (M, "middle"), "婶": (F, "middle"), "姨": (F, "middle"),
    "伯": (M, "old"), "爷": (M, "old"), "婆": (F, "old"),
}
EN_WORDS: dict[str, tuple[str | None, str | None]] = {
    "woman": (F, None), "man": (M, None), "lady": (F, None), "gentleman": (M, None), "guy": (M, None),
    "girl": (F, "child"), "boy": (M, "child"), "little girl": (F, "child"), "little boy": (M, "child"),
    "young woman": (F, "young"), "young man": (M, "young"), "old woman": (F, "old"), "old man": (M, "old"),
    "old lady": (F, "old"), "wife": (F, None), "husband": (M, None), "fiancee": (F, None), "fiancée": (F, None),
    "fiance": (M, None), "fiancé": (M, None), "girlfriend": (F, None), "boyfriend": (M, None), "widow": (F, None),
    "widower": (M, None), "bride": (F, None), "groom": (M, None), "sister": (F, None), "brother": (M, None),
    "daughter": (F, None), "son": (M, None), "mother": (F, "middle"), "mom": (F, "middle"), "mum": (F, "middle"),
    "father": (M, "middle"), "dad": (M, "middle"), "aunt": (F, "middle"), "uncle": (M, "middle"),
    "grandmother": (F, "old"), "grandma": (F, "old"), "granny": (F, "old"), "grandfather": (M, "old"),
    "grandpa": (M, "old"), "queen": (F, None), "king": (M, None), "princess": (F, "young"), "prince": (M, "young"),
    "waitress": (F, None), "actress": (F, None), "teenager": (None, "teen"), "teenage": (None, "teen"),
    "teen": (None, "teen"), "kid": (None, "child"), "child": (None, "child"), "middle-aged": (None, "middle"),
    "elderly": (None, "old"), "young": (None, "young"),
}
# titles count only in the name or right before it ("miss" is also a verb)
EN_TITLES: dict[str, tuple[str | None, str | None]] = {
    "mr": (M, None), "mrs": (F, None), "ms": (F, None), "miss": (F, None), "sir": (M, None), "madam": (F, None),
}
# pronouns: Chinese only at the start of a clause or as a possessive (看着她 is usually someone else);
# English subject and possessive ones ("him" is the other person in a line that names one character)
_ZH_PRONOUN = re.compile(r"(?<![^，。；！？、：:“”\"\s△])([她他])(?![们人乡])|(?<!其)([她他])的")
_EN_PRONOUN = re.compile(r"(?i)\b(she|herself|he|his|himself)\b|\b(her)\b(?=\s+(?!(?:the|a|an|and|to|in|on|at|up|down|"
                         r"off|out|back|away|with|as|for|from|into|again|so|that|this|but|or|over|through|by)\b)[a-z])")
# "a man", "一个女人" bring in someone unnamed, unless they introduce the name before them: ROSA (30s), a woman …
_INDEFINITE = re.compile(r"(?:(?i:\b(?:a|an|another)\s+)(?:[\w-]+\s+){0,3}|一[个位名][^，。,.]{0,8})$")
_INTRO_GAP = re.compile(r"\s*(?:[（(][^)）]*[)）])?\s*[,，]\s*")
_POSSESSIVE = re.compile(r"(?:[她他我你]的|(?i:\b(?:her|his|my|your|their)\s+))$")
# between a word and the name it is about: 女[老师]林晚, Mr[. ]Chen, a woman[ named ]Anna — not a verb (A man grabs
# MAYA's arm, 男人看着沈清): a Chinese gap is a role noun of at most three characters
_APPOSITION_GAP = re.compile(r"\.?\s*(?:(?:named|called)\s+|[\u4e00-\u9fff]{0,2}[师生员长士手工警察医总板家主学者官任])?")
_NUMBER = r"(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})"
_YEARS = re.compile(rf"{_NUMBER}\s*[多来]?\s*(?P<unit>岁|s\b|\s*years?\s+old\b)")  # 26岁, 30多岁, 30s, 26 years old
_AGE_AFTER_NAME = re.compile(rf"\s*[（(,，]\s*{_NUMBER}\s*[多来]?\s*(?P<unit>岁|s)?\s*[)）,，]")  # ANNA (30s), 林晚（26岁）
_BARE_AGE = re.compile(rf"(?:^|[,，]\s*){_NUMBER}\s*(?P<unit>岁|s)?(?=\s*(?:[,，]|$))")  # "young woman, 26, …"
_SENTENCE = re.compile(r"(?<=[。！？!?])|(?<=[a-z]{3}\.)\s|\n")
AGE_BANDS = ((13, "child"), (18, "teen"), (36, "young"), (60, "middle"))  # an age below each bound; older: old
WEIGHT = {"years": 5, "own": 2, "alone": 1}


def _words(table: dict[str, tuple[str | None, str | None]], latin: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(word) for word in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?i)\b(?:{alternatives})\b\.?" if latin else alternatives)


_ZH = _words(ZH_WORDS, latin=False)
_EN = _words(EN_WORDS | EN_TITLES, latin=True)


def _chinese_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return digits.get(text, 0)
    return digits.get(tens, 1) * 10 + digits.get(ones, 0)


def age_band(years: int) -> str:
    return next((band for bound, band in AGE_BANDS if years < bound), "old")


@dataclass(frozen=True)
class Evidence:
    field: str  # "sex" or "age"
    value: str
    weight: int
    word: str
    where: str

    def __str__(self) -> str:
        return f"{self.word} ({self.where})"


@dataclass
class Proposal:
    name: str
    description: str = ""
    source: str = ""  # where the character was first found, file:line
    lines: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    sex: str | None = None
    age: str | None = None
    doubts: dict[str, str] = field(default_factory=dict)  # field → why it was left out
    voice: str | None = None  # kept from an existing cast.toml, never guessed
    offline_voice: str | None = None
    color: str = ""
    references: list[str] = field(default_factory=list)
    toml_lines: dict[str, int] = field(default_factory=dict)  # "name", "sex", "age" → line in cast.toml

    def note(self, kind: str, value: str | None, word: str, where: str, weight: int) -> None:
        if value is not None:
            self.evidence.append(Evidence(kind, value, weight, word, where))

    def word(self, meaning: tuple[str | None, str | None], word: str, where: str, weight: int) -> None:
        self.note("sex", meaning[0], word, where, weight)
        self.note("age", meaning[1], word, where, weight)


def collect(scripts: list[Script]) -> list[Proposal]:
    """Every character of the scripts, in order of first appearance: bios, scene cast lists, then cues."""
    found: dict[str, Proposal] = {}

    def see(name: str, where: str) -> Proposal:
        name = name.strip()
        return found.setdefault(name.casefold(), Proposal(name=name, source=where))

    for script in scripts:
        file = script.source.name if script.source else "script"
        for bio in script.characters:
            proposal = see(bio.name, f"{file}:{bio.line}")
            proposal.description = "，".join(part for part in (bio.age, bio.description) if part) if script.dialect == "zh" \
                else ", ".join(part for part in (bio.age, bio.description) if part)
        for episode in script.episodes:
            for scene in episode.scenes:
                line = scene.heading.line if scene.heading else 1
                for name in scene.characters:
                    if name.strip().casefold() not in _NARRATORS:
                        see(name, f"{file}:{line}")
                for element in scene.elements:
                    if isinstance(element, Dialogue) and element.character.strip().casefold() not in _NARRATORS:
                        see(element.character, f"{file}:{element.line}").lines += 1
    return list(found.values())


class _Reader:
    """Finds the evidence in one piece of text and hands it to the characters it is about."""

    def __init__(self, proposals: list[Proposal]):
        self.by_name = {p.name.casefold(): p for p in proposals}
        names = sorted(self.by_name, key=len, reverse=True)
        self.names = re.compile("|".join(rf"\b{re.escape(n)}\b" if n.isascii() else re.escape(n) for n in names),
                                re.IGNORECASE)

    def read(self, text: str, where: str, subject: Proposal | None = None) -> None:
        """`subject`: the character a bio is about; otherwise the text's evidence goes to the character named
        just after a word, or to the one character the text names."""
        mentions = [(m.start(), m.end(), self.by_name[m.group().casefold()]) for m in self.names.finditer(text)]
        named = {id(p): p for *_, p in mentions}
        alone = subject or (next(iter(named.values())) if len(named) == 1 else None)
        weight = WEIGHT["own"] if subject else WEIGHT["alone"]
        for _, end, proposal in mentions:
            if age := _AGE_AFTER_NAME.match(text, end):
                self.years(proposal, age, where)
        for match in (*_ZH.finditer(text), *_EN.finditer(text)):
            start, end = match.span()
            word = match.group().rstrip(".")
            meaning = _meaning(word)
            if any(s < end and start < e for s, e, _ in mentions):
                continue
            about = next(((e, p) for s, e, p in mentions if s >= end and _APPOSITION_GAP.fullmatch(text[end:s])), None)
            article = _INDEFINITE.search(text[:start])
            introduced = next((p for _, e, p in mentions if _INTRO_GAP.fullmatch(text[e:article.start()])), None) \
                if article else None
            if about is not None:
                about[1].word(meaning, text[start:about[0]], where, WEIGHT["own"])
            elif introduced is not None:
                introduced.word(meaning, word, where, WEIGHT["own"])
            elif alone is not None and not (article or _POSSESSIVE.search(text[:start]) or word.lower() in EN_TITLES):
                alone.word(meaning, word, where, weight)
        if alone is not None:
            for match in (*_ZH_PRONOUN.finditer(text), *_EN_PRONOUN.finditer(text)):
                pronoun, after = match.group().lower(), len(text) - len(text[match.end():].lstrip())
                if _ZH.match(text, after) or _EN.match(text, after):  # her husband, 她的丈夫: someone else's
                    continue
                alone.note("sex", F if pronoun.startswith(("她", "she", "her")) else M, pronoun, where, weight)

    @staticmethod
    def years(proposal: Proposal, match: re.Match[str], where: str) -> None:
        years = _chinese_number(match["n"]) + (5 if match.groupdict().get("unit") == "s" else 0)  # 30s: about 35
        proposal.note("age", age_band(years), match.group().strip(" ,，"), where, WEIGHT["years"])

    def name(self, proposal: Proposal) -> None:
        """What the name itself says: 陈伯, 女老师, MRS. LIN."""
        where = "the name"
        for match in (*_ZH.finditer(proposal.name), *_EN.finditer(proposal.name)):
            word = match.group().rstrip(".")
            proposal.word(_meaning(word), word, where, WEIGHT["own"])
        ending = next((e for e in ZH_NAME_ENDINGS if proposal.name.endswith(e) and len(proposal.name) > len(e)), None)
        if ending:
            proposal.word(ZH_NAME_ENDINGS[ending], ending, where, WEIGHT["own"])


def _meaning(word: str) -> tuple[str | None, str | None]:
    return ZH_WORDS.get(word) or EN_WORDS.get(word.lower()) or EN_TITLES[word.lower()]


def gather(scripts: list[Script], proposals: list[Proposal]) -> None:
    """Every piece of sex and age evidence in the scripts, onto the proposals."""
    reader = _Reader(proposals)
    for proposal in proposals:
        reader.name(proposal)
    for script in scripts:
        file = script.source.name if script.source else "script"
        for bio in script.characters:
            subject = reader.by_name[bio.name.strip().casefold()]
            where = f"bio {file}:{bio.line}"
            years = (_YEARS.search(bio.age) or re.search(_NUMBER, bio.age)) if bio.age else _YEARS.search(bio.description)
            if years:
                reader.years(subject, years, where)
            reader.read(f"{bio.age or ''} {bio.description}", where, subject)
        for sentence in _SENTENCE.split(script.synopsis or ""):
            reader.read(sentence, f"synopsis of {file}")
        for episode in script.episodes:
            for scene in episode.scenes:
                for element in scene.elements:
                    if isinstance(element, (Action, Synopsis)):
                        reader.read(element.text, f"{file}:{element.line}")


def decide(proposal: Proposal) -> None:
    """sex and age from the evidence: the heaviest value when it weighs at least twice any other."""
    for kind in ("sex", "age"):
        evidence = [e for e in proposal.evidence if e.field == kind]
        totals = Counter()
        for item in evidence:
            totals[item.value] += item.weight
        ranked = totals.most_common()
        if not ranked:
            proposal.doubts[kind] = "no evidence in the screenplays"
        elif len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]:
            setattr(proposal, kind, ranked[0][0])
        else:
            proposal.doubts[kind] = "the screenplays disagree: " + " vs ".join(
                f"{value} {weight} ({', '.join(str(e) for e in evidence if e.value == value)})" for value, weight in ranked)


def from_description(name: str, description: str) -> Proposal:
    """What a cast.toml description alone says of a character's sex and age, weighed as a bio is."""
    proposal = Proposal(name=name, description=description)
    reader = _Reader([proposal])
    if years := _YEARS.search(description) or _BARE_AGE.search(description):
        reader.years(proposal, years, "description")
    reader.read(description, "description", proposal)
    decide(proposal)
    return proposal


def assign(proposals: list[Proposal], refs_dir: Path, kept: dict[str, dict]) -> list[Proposal]:
    """Distinct colours, existing portraits, and the voices an earlier cast.toml pinned (`kept`, by name)."""
    images = {p.stem.casefold(): p for p in sorted(refs_dir.glob("*")) if p.suffix.lower() in _IMAGE_SUFFIXES} if refs_dir.is_dir() else {}
    for index, proposal in enumerate(proposals):
        earlier = kept.get(proposal.name.casefold(), {})
        proposal.voice, proposal.offline_voice = earlier.get("voice"), earlier.get("offline_voice")
        proposal.color = PALETTE[index % len(PALETTE)]
        image = images.get(proposal.name.casefold())
        proposal.references = [f"refs/{image.name}"] if image else []
    return proposals


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


CHOICES = {"sex": '"female" or "male"', "age": '"child", "teen", "young", "middle" or "old"'}


def _field(proposal: Proposal, kind: str) -> str:
    value = getattr(proposal, kind)
    if value is None:
        return f"# {kind} = {CHOICES[kind]}  — not known: {proposal.doubts[kind]}"
    evidence = sorted((e for e in proposal.evidence if e.field == kind and e.value == value), key=lambda e: -e.weight)
    shown = ", ".join(str(e) for e in evidence[:3]) + (f" and {len(evidence) - 3} more" if len(evidence) > 3 else "")
    return f"{kind} = {_toml_string(value)}  # from {shown}"


def render(proposals: list[Proposal]) -> str:
    """The cast.toml text; records in each proposal the line of its name and of its sex and age fields."""
    lines = ["# Proposed by `drama cast init` from the screenplays. Edit freely:",
             "# `description` is the character's appearance and goes into every prompt they are in;",
             "# `sex` and `age` choose the voice (unless `voice` pins one) and the previz figure;",
             "# `references` are portraits relative to this folder (add them once the files exist)."]
    for proposal in proposals:
        lines += ["", f"# first seen at {proposal.source}; {proposal.lines} line{'s' if proposal.lines != 1 else ''}",
                  "[[character]]"]
        proposal.toml_lines["name"] = len(lines) + 1
        lines += [f"name = {_toml_string(proposal.name)}", f"description = {_toml_string(proposal.description)}"]
        for kind in ("sex", "age"):
            proposal.toml_lines[kind] = len(lines) + 1
            lines.append(_field(proposal, kind))
        lines += [f"{key} = {_toml_string(value)}" for key, value in
                  (("voice", proposal.voice), ("offline_voice", proposal.offline_voice)) if value]
        lines.append(f"color = {_toml_string(proposal.color)}")
        lines.append(f"references = [{', '.join(_toml_string(r) for r in proposal.references)}]" if proposal.references
                     else f"# references = [{_toml_string('refs/' + proposal.name + '.png')}]")
    return "\n".join(lines) + "\n"


def unknown_fields(proposals: list[Proposal], target: Path) -> list[str]:
    """One line per field left out: where in cast.toml, why, and what to write there."""
    return [f"{target}:{proposal.toml_lines[kind]}: {proposal.name}: {kind} not known ({proposal.doubts[kind]}); "
            f"write {kind} = {CHOICES[kind]} on that line"
            + (" — until then the voice is a guess" if kind == "sex" and not proposal.voice else "")
            for proposal in proposals for kind in ("sex", "age") if getattr(proposal, kind) is None]


def _pinned_voices(path: Path) -> dict[str, dict]:
    """The voices an existing cast.toml pins, by character name (an unreadable file pins nothing)."""
    try:
        characters = tomllib.loads(path.read_text(encoding="utf-8")).get("character", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {str(c["name"]).casefold(): {k: c[k] for k in ("voice", "offline_voice") if isinstance(c.get(k), str)}
            for c in characters if isinstance(c, dict) and "name" in c}


def init_cast(root: Path, *, force: bool = False) -> tuple[Path, list[Proposal]]:
    """Write root/cast.toml from the screenplays in root/episodes; refuses to overwrite unless `force`, and then
    keeps the voices the old file pinned."""
    root = Path(root)
    load_toml(root / "drama.toml", DramaConfig)
    target = root / "cast.toml"
    if target.exists() and not force:
        raise DramaError("cast.toml already exists", path=target, hint="pass --force to replace it with a new proposal")
    episodes = root / "episodes"
    files = list_screenplays(episodes)
    if not files:
        raise DramaError("no screenplays found", path=episodes, hint="put an episode in episodes/ (ep01.txt or ep01.fountain)")
    scripts = [parse_file(path) for path in files]
    proposals = collect(scripts)
    if not proposals:
        raise DramaError("no characters found in the screenplays", path=episodes,
                         hint="characters come from dialogue cues (名字：台词 / NAME above a line) and 人物小传")
    gather(scripts, proposals)
    for proposal in proposals:
        decide(proposal)
    assign(proposals, root / "refs", _pinned_voices(target) if target.exists() else {})
    write_text(target, render(proposals))
    return target, proposals
