"""`drama cast init` infers sex and age from the screenplays (bios, pronouns, gendered and age words, in Chinese and
English), says where in cast.toml to complete what it cannot tell, and voices follow sex and age unless pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import espeakng_loader
import pytest

from drama.cli import main
from drama.project import Project
from drama.project.config import Character, DramaConfig
from drama.storyboard.model import DualLine, Shot, Storyboard
from drama.storyboard.vocabulary import ShotSize
from drama.voice import Speaker
from drama.voice.cache import line_key
from drama.voice.casting import cast_voices, spoken_lines

# The female lead is only 她 and 女老师; the male lead has a bio that says nothing of his sex, only 他的.
CHALK = """剧名：《粉笔》

人物小传：
林晚：28岁，刚调来的语文老师，倔强。
周川：45岁，教导主任。
小雨：学生。

第1集

1-1 日 内 教室
人物：林晚、周川、小雨
△ 女老师林晚推门进来，学生们安静下来。
△ 林晚把教案放在讲台上。她环顾四周，没有说话。
林晚：今天我们讲《背影》。
小雨：老师，周主任找你。
△ 周川站在门口。他的手里拿着一份文件。
周川：（敲门）林老师，出来一下。
"""

# The male lead is only "Mr." and "he"; Rosa is "a woman in a red dress"; Jo is both "her" and "his".
DINER = """Title: Night Shift

INT. DINER - NIGHT

ROSA (30s), a woman in a red dress, waits in the last booth.

The door opens. Mr. Hale shakes off the rain. He orders coffee.

HALE
Is this seat taken?

ROSA
It is now.

JO pulls on her coat by the counter.

JO adjusts his tie.

JO
Closing in five.
"""


def project_with(tmp_path: Path, screenplay: str, *, language: str, name: str) -> Path:
    root = tmp_path / "series"
    (root / "episodes").mkdir(parents=True)
    (root / "drama.toml").write_text(f'title = "t"\nlanguage = "{language}"\n[voice]\nbackend = "offline"\n',
                                     encoding="utf-8")
    (root / "episodes" / name).write_text(screenplay, encoding="utf-8")
    return root


def cast_of(root: Path) -> dict[str, dict]:
    return {c["name"]: c for c in tomllib.loads((root / "cast.toml").read_text(encoding="utf-8"))["character"]}


def test_chinese_lead_known_only_by_her_pronoun_and_title(tmp_path, capsys):
    root = project_with(tmp_path, CHALK, language="zh", name="ep01.txt")
    assert main(["cast", "init", str(root)]) == 0
    cast = cast_of(root)
    assert (cast["林晚"]["sex"], cast["林晚"]["age"]) == ("female", "young")  # 女老师林晚, 她; 28岁
    assert (cast["周川"]["sex"], cast["周川"]["age"]) == ("male", "middle")  # 他的; 45岁
    assert "voice" not in cast["林晚"] and "voice" not in cast["周川"]  # voices follow sex and age when voicing
    text = (root / "cast.toml").read_text(encoding="utf-8")
    assert re.search(r'^sex = "female"  # from .*女老师林晚', text, re.M)  # the evidence beside the value

    # 小雨 says nothing of herself: both fields left out, each warned with the line to complete
    assert "sex" not in cast["小雨"] and "age" not in cast["小雨"]
    err = capsys.readouterr().err
    lines = text.splitlines()
    for field in ("sex", "age"):
        number = next(i for i, line in enumerate(lines, 1) if line.startswith(f"# {field} = ")
                      and i > lines.index('name = "小雨"'))
        assert f"cast.toml:{number}: 小雨: {field} not known" in err.replace("\n", "")
    Project.load(root)  # what was written is a valid cast file


def test_english_lead_known_by_mr_and_he_and_a_woman_in_a_red_dress(tmp_path, capsys):
    root = project_with(tmp_path, DINER, language="en", name="ep01.fountain")
    assert main(["cast", "init", str(root)]) == 0
    cast = cast_of(root)
    assert cast["HALE"]["sex"] == "male"  # Mr. Hale, He
    assert (cast["ROSA"]["sex"], cast["ROSA"]["age"]) == ("female", "young")  # a woman in a red dress; (30s)

    # Jo: her coat, his tie: the evidence disagrees, so sex is left out and the warning says why and where
    assert "sex" not in cast["JO"]
    lines = (root / "cast.toml").read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("# sex = ") and i > lines.index('name = "JO"'))
    err = capsys.readouterr().err.replace("\n", "")
    assert f"cast.toml:{number}: JO: sex not known (the screenplays disagree" in err
    assert 'write sex = "female" or "male" on that line' in err


def test_whole_words_only_and_possessives_point_elsewhere(tmp_path):
    """'woman' holds no 'man' and 'them' no 'he'; in 'Her husband BEN', 'husband' is about BEN (the word right
    before his name) and 'Her' about someone else."""
    story = """Title: t

INT. KITCHEN - DAY

ANNA, a woman with them all, reads the paper.

BEN stirs the soup. Her husband BEN never looks up.

ANNA
Dinner?

BEN
Soon.
"""
    root = project_with(tmp_path, story, language="en", name="ep01.fountain")
    assert main(["cast", "init", str(root)]) == 0
    cast = cast_of(root)
    assert cast["ANNA"]["sex"] == "female"
    assert cast["BEN"]["sex"] == "male"


@pytest.mark.parametrize(("language", "name", "story", "who"), [
    ("en", "ep01.fountain", "Title: t\n\nEXT. STREET - NIGHT\n\nA man grabs MAYA's arm.\n\nMAYA pulls free. She runs."
                            "\n\nMAYA\nLet go!\n", "MAYA"),
    ("zh", "ep01.txt", "第1集\n\n1-1 夜 外 街道\n△ 一个男人撞上了林晚。\n△ 林晚揉着肩膀，她没有回头。\n林晚：走开！\n", "林晚"),
])
def test_an_unnamed_someone_in_the_same_line_is_not_the_character(tmp_path, language, name, story, who):
    """'A man grabs MAYA's arm', '一个男人撞上了林晚': the man is someone else; her pronoun decides."""
    root = project_with(tmp_path, story, language=language, name=name)
    assert main(["cast", "init", str(root)]) == 0
    assert cast_of(root)[who]["sex"] == "female"


def test_force_keeps_pinned_voices_and_writes_no_new_ones(tmp_path):
    root = project_with(tmp_path, CHALK, language="zh", name="ep01.txt")
    assert main(["cast", "init", str(root)]) == 0
    text = (root / "cast.toml").read_text(encoding="utf-8")
    (root / "cast.toml").write_text(text.replace('name = "周川"\n', 'name = "周川"\nvoice = "zh-CN-YunyangNeural"\n'),
                                    encoding="utf-8")
    assert main(["cast", "init", str(root), "--force"]) == 0
    cast = cast_of(root)
    assert cast["周川"]["voice"] == "zh-CN-YunyangNeural" and "voice" not in cast["林晚"]


# --- voices follow sex and age ---------------------------------------------------------------------------------

VARIANTS = Path(espeakng_loader.get_data_path()) / "voices" / "!v"


def variant_sex(espeak_voice: str) -> str | None:
    """What eSpeak NG's own variant file says: `gender female` / `gender male` (grandpa says none: an old man)."""
    text = (VARIANTS / espeak_voice.partition("+")[2]).read_text(encoding="utf-8")
    match = re.search(r"^gender\s+(\w+)", text, re.M)
    return match.group(1) if match else None


def config(language: str = "zh") -> DramaConfig:
    return DramaConfig(title="t", language=language)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_three_women_and_three_men_get_distinct_voices_of_their_sex(language):
    people = [Character(name=f"{sex}{i}", sex=sex, age="young") for sex in ("female", "male") for i in range(3)]
    voices = cast_voices(config(language), people)
    assert len({v.edge_voice for v in voices.values()}) == 6
    assert len({v.espeak_voice for v in voices.values()}) == 6
    for person in people:
        assert variant_sex(voices[person.name].espeak_voice) == person.sex
    if language == "zh":  # Microsoft's Chinese voices: 晓/曉 (Xiao, Hsiao) are women, 云 (Yun) men
        for person in people:
            assert voices[person.name].edge_voice.split("-")[-1].startswith(
                ("Xiao", "Hsiao") if person.sex == "female" else "Yun")


def test_age_changes_the_voice_of_the_same_sex():
    young = cast_voices(config(), [Character(name="a", sex="male", age="young")])["a"]
    old = cast_voices(config(), [Character(name="a", sex="male", age="old")])["a"]
    girl = cast_voices(config("en"), [Character(name="a", sex="female", age="child")])["a"]
    woman = cast_voices(config("en"), [Character(name="a", sex="female", age="middle")])["a"]
    assert young.edge_voice != old.edge_voice and young.espeak_voice != old.espeak_voice
    assert girl.edge_voice != woman.edge_voice


def edit_cast(root: Path, name: str, lines: str) -> None:
    path = root / "cast.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(f'name = "{name}"\n', f'name = "{name}"\n{lines}'),
                    encoding="utf-8")


def one_line_board(speaker: str, dual: DualLine | None = None) -> Storyboard:
    shot = Shot(id="s1", index=0, kind="dialogue", scene="1-1", size=ShotSize.MS, duration=2.0, speaker=speaker,
                text="今天我们讲背影。", dual=dual)
    return Storyboard(project="t", episode="ep01", width=1080, height=1920, fps=30, shots=[shot])


def test_changing_sex_in_cast_toml_revoices_unless_the_voice_is_pinned(tmp_path):
    root = project_with(tmp_path, CHALK, language="zh", name="ep01.txt")
    assert main(["cast", "init", str(root)]) == 0
    before = spoken_lines(Project.load(root), one_line_board("林晚"))[0]
    first = Speaker(Project.load(root), "offline")
    assert first.speak(one_line_board("林晚"))[0].voice == before.spec.espeak_voice
    assert variant_sex(before.spec.espeak_voice) == "female"

    cast = (root / "cast.toml").read_text(encoding="utf-8")
    (root / "cast.toml").write_text(cast.replace('sex = "female"', 'sex = "male"', 1), encoding="utf-8")
    after = spoken_lines(Project.load(root), one_line_board("林晚"))[0]
    assert after.spec.edge_voice != before.spec.edge_voice and variant_sex(after.spec.espeak_voice) == "male"
    assert line_key("offline", after) != line_key("offline", before)  # the voice cache speaks it again
    again = Speaker(Project.load(root), "offline")
    assert again.speak(one_line_board("林晚"))[0].voice == after.spec.espeak_voice and again.synthesised == 1

    edit_cast(root, "林晚", 'voice = "zh-CN-XiaoxiaoNeural"\n')  # pinned: sex no longer moves it
    pinned = spoken_lines(Project.load(root), one_line_board("林晚"))[0]
    (root / "cast.toml").write_text((root / "cast.toml").read_text(encoding="utf-8").replace(
        'sex = "male"', 'sex = "female"', 1), encoding="utf-8")
    assert spoken_lines(Project.load(root), one_line_board("林晚"))[0].spec.edge_voice == pinned.spec.edge_voice \
        == "zh-CN-XiaoxiaoNeural"


def test_dual_dialogue_line_is_voiced_as_its_own_request(tmp_path):
    root = project_with(tmp_path, CHALK, language="zh", name="ep01.txt")
    assert main(["cast", "init", str(root)]) == 0
    board = one_line_board("林晚", DualLine(speaker="周川", text="（低声）别讲了。", parenthetical="低声"))
    requests = spoken_lines(Project.load(root), board)
    assert [(r.shot_id, r.speaker, r.text) for r in requests] == [("s1", "林晚", "今天我们讲背影。"),
                                                                  ("s1^", "周川", "别讲了。")]
    assert requests[0].spec != requests[1].spec  # each in their own voice
