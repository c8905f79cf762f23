"""`drama cast init PROJECT`: a first cast.toml proposed from the screenplays — their cues and 人物小传 bios.

A proposal to edit, not a final answer: voices are guessed from the bio, colours kept distinct, portraits
referenced only when a matching file already sits in refs/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from drama.atomic import write_text
from drama.errors import DramaError
from drama.project.config import DramaConfig
from drama.project.project import list_screenplays, load_toml
from drama.screenplay import parse_file
from drama.screenplay.model import Dialogue, Script

_NARRATORS = {"旁白", "narrator", "narration", "解说"}
_FEMALE = re.compile(r"夫人|妻|女|她|闺蜜|母|妈|姐|妹|小姐|姑娘|奶奶|婆|(?i:\b(?:woman|girl|she|her|mother|sister|wife|daughter|aunt|queen|lady|mrs|ms)\b)")
_MALE = re.compile(r"丈夫|男|他|父|爸|哥|弟|先生|少爷|伯|叔|爷|公子|(?i:\b(?:man|boy|he|his|father|brother|husband|son|uncle|king|mr)\b)")
VOICES = {
    "zh": {"female": ["zh-CN-XiaoxiaoNeural", "zh-CN-XiaoyiNeural"],
           "male": ["zh-CN-YunjianNeural", "zh-CN-YunyangNeural", "zh-CN-YunxiNeural"]},
    "en": {"female": ["en-US-JennyNeural", "en-US-AriaNeural", "en-GB-SoniaNeural"],
           "male": ["en-US-GuyNeural", "en-US-ChristopherNeural", "en-GB-RyanNeural"]},
}
OFFLINE_VOICE = {"zh": "cmn", "en": "en-us"}
PALETTE = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#f1c40f", "#2c3e50", "#e84393", "#7f8c8d"]
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass
class Proposal:
    name: str
    description: str = ""
    source: str = ""  # where the character was first found, file:line
    lines: int = 0
    gender: str | None = None
    voice: str = ""
    offline_voice: str = ""
    color: str = ""
    references: list[str] = field(default_factory=list)


def _gender(text: str) -> str | None:
    female, male = len(_FEMALE.findall(text)), len(_MALE.findall(text))
    return "female" if female > male else "male" if male > female else None


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


def assign(proposals: list[Proposal], language: str, refs_dir: Path) -> list[Proposal]:
    """Voices by guessed gender (cycling so neighbours differ), distinct colours, existing portraits."""
    voices = VOICES[language]
    used = {"female": 0, "male": 0}
    images = {p.stem.casefold(): p for p in sorted(refs_dir.glob("*")) if p.suffix.lower() in _IMAGE_SUFFIXES} if refs_dir.is_dir() else {}
    for index, proposal in enumerate(proposals):
        proposal.gender = _gender(f"{proposal.name} {proposal.description}")
        pool = proposal.gender or ("female" if used["female"] <= used["male"] else "male")
        proposal.voice = voices[pool][used[pool] % len(voices[pool])]
        used[pool] += 1
        proposal.offline_voice = OFFLINE_VOICE[language]
        proposal.color = PALETTE[index % len(PALETTE)]
        image = images.get(proposal.name.casefold())
        proposal.references = [f"refs/{image.name}"] if image else []
    return proposals


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render(proposals: list[Proposal]) -> str:
    blocks = ["# Proposed by `drama cast init` from the screenplays. Edit freely:\n"
              "# `description` is the character's appearance and goes into every prompt they are in;\n"
              "# `references` are portraits relative to this folder (add them once the files exist)."]
    for proposal in proposals:
        lines = [f"# first seen at {proposal.source}; {proposal.lines} line{'s' if proposal.lines != 1 else ''}"
                 + (f"; voice guessed {proposal.gender}" if proposal.gender else ""),
                 "[[character]]",
                 f"name = {_toml_string(proposal.name)}",
                 f"description = {_toml_string(proposal.description)}",
                 f"voice = {_toml_string(proposal.voice)}",
                 f"offline_voice = {_toml_string(proposal.offline_voice)}",
                 f"color = {_toml_string(proposal.color)}"]
        if proposal.references:
            lines.append(f"references = [{', '.join(_toml_string(r) for r in proposal.references)}]")
        else:
            lines.append(f"# references = [{_toml_string('refs/' + proposal.name + '.png')}]")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def init_cast(root: Path, *, force: bool = False) -> tuple[Path, list[Proposal]]:
    """Write root/cast.toml from the screenplays in root/episodes; refuses to overwrite unless `force`."""
    root = Path(root)
    config = load_toml(root / "drama.toml", DramaConfig)
    target = root / "cast.toml"
    if target.exists() and not force:
        raise DramaError("cast.toml already exists", path=target, hint="pass --force to replace it with a new proposal")
    episodes = root / "episodes"
    files = list_screenplays(episodes)
    if not files:
        raise DramaError("no screenplays found", path=episodes, hint="put an episode in episodes/ (ep01.txt or ep01.fountain)")
    proposals = collect([parse_file(path) for path in files])
    if not proposals:
        raise DramaError("no characters found in the screenplays", path=episodes,
                         hint="characters come from dialogue cues (名字：台词 / NAME above a line) and 人物小传")
    assign(proposals, config.language, root / "refs")
    write_text(target, render(proposals))
    return target, proposals
