"""Stable shot ids: picks and overrides are keyed by them, so unrelated edits must not move them, and no two
shots of a project — in one scene or in two episodes — may share one."""

from pathlib import Path

from drama.project import Cast, Character, DramaConfig, Project
from drama.screenplay import parse_text
from drama.storyboard import plan

SCRIPT = """第1集

1-1 夜 内 客厅
人物：甲、乙
△ 灯灭了。
甲：（低声）你听见了吗？
乙：听见什么？
甲：门外有人。
△ 乙走向门口。
乙：没人啊。
甲：没人啊。

1-2 夜 外 街道
人物：乙
△ 乙跑进雨里。
乙：（哭）等等我！
"""
REPEATED = "乙：没人啊。\n"  # 乙 says it once in 1-1; the tests below make them say it again, word for word


def _shots(text: str, tmp_path: Path, name: str = "ep01.txt"):
    project = Project(tmp_path, DramaConfig(title="t"), Cast(character=[Character(name="甲"), Character(name="乙")]))
    return plan(parse_text(text, source=tmp_path / name), 0, project).shots


def _ids(text: str, tmp_path: Path, name: str = "ep01.txt") -> list[str]:
    return [shot.id for shot in _shots(text, tmp_path, name)]


def test_ids_are_unique_and_repeatable(tmp_path):
    ids = _ids(SCRIPT, tmp_path)
    assert len(set(ids)) == len(ids) and ids == _ids(SCRIPT, tmp_path)


def test_editing_one_line_changes_only_that_shots_id(tmp_path):
    before = _ids(SCRIPT, tmp_path)
    after = _ids(SCRIPT.replace("乙：听见什么？", "乙：（疑惑）听见什么了？"), tmp_path)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    assert len(before) == len(after) and len(changed) == 1


def test_inserting_a_line_changes_no_other_id(tmp_path):
    before = _ids(SCRIPT, tmp_path)
    after = _ids(SCRIPT.replace("甲：门外有人。\n", "甲：门外有人。\n乙：（颤抖）别吓我。\n"), tmp_path)
    assert len(after) == len(before) + 1 and set(before) <= set(after)


def test_renumbering_scenes_keeps_ids(tmp_path):
    assert _ids(SCRIPT.replace("1-2 夜 外", "2-1 夜 外"), tmp_path) == _ids(SCRIPT, tmp_path)


def test_a_line_repeated_word_for_word_in_one_scene_gets_distinct_stable_ids(tmp_path):
    twice = SCRIPT.replace(REPEATED, REPEATED * 2)
    thrice = SCRIPT.replace(REPEATED, REPEATED * 3)
    shots = _shots(twice, tmp_path)
    repeats = [s for s in shots if s.speaker == "乙" and s.text == "没人啊。"]
    assert len(repeats) == 2 and repeats[0].id != repeats[1].id
    assert len({s.id for s in shots}) == len(shots)
    assert _ids(twice, tmp_path) == [s.id for s in shots]  # stable
    # saying it a third time adds one id and keeps the first two
    assert set(_ids(twice, tmp_path)) < set(_ids(thrice, tmp_path))
    assert len(_ids(thrice, tmp_path)) == len(shots) + 1


def test_two_episodes_with_the_same_scene_and_lines_share_no_id(tmp_path):
    ep01 = _ids(SCRIPT, tmp_path, "ep01.txt")
    ep02 = _ids(SCRIPT, tmp_path, "ep02.txt")  # copied word for word: same sets, same stock lines
    assert len(ep01) == len(ep02) and not set(ep01) & set(ep02)


def test_episodes_of_one_file_share_no_id(tmp_path):
    two = SCRIPT + "\n" + SCRIPT.replace("第1集", "第2集")
    project = Project(tmp_path, DramaConfig(title="t"), Cast(character=[Character(name="甲"), Character(name="乙")]))
    script = parse_text(two, source=tmp_path / "series.txt")
    boards = [plan(script, index, project) for index in range(2)]
    assert [b.episode for b in boards] == ["series-1", "series-2"]
    assert len(boards[0].shots) == len(boards[1].shots)
    assert not {s.id for s in boards[0].shots} & {s.id for s in boards[1].shots}


LONG = ("甲：我跟你说，这件事情从一开始就不对。你根本不知道那天晚上发生了什么！他们所有人都在骗你，包括你最信任的那个人。"
        "我等了三年，就是为了今天。现在，我要把一切都拿回来。\n")


def test_a_long_line_covered_by_several_shots_keeps_ids_stable(tmp_path):
    script = SCRIPT.replace("甲：门外有人。\n", LONG)
    shots = _shots(script, tmp_path)
    line = next(s.source_lines for s in shots if s.text and s.text.startswith("我跟你说"))
    pieces = [s.id for s in shots if s.source_lines == line]
    assert len(pieces) >= 3 and len({s.id for s in shots}) == len(shots)

    def others(board):
        return [s.id for s in board if s.source_lines != line]

    # editing another line moves none of the pieces; editing one sentence moves only the piece that holds it
    assert set(pieces) <= set(_ids(script.replace("乙：没人啊。", "乙：（疑惑）没人啊？"), tmp_path))
    edited = _shots(script.replace("我等了三年", "我等了整整三年"), tmp_path)
    assert others(edited) == others(shots)
    moved = [a != b.id for a, b in zip(pieces, [s for s in edited if s.source_lines == line], strict=True)]
    assert moved.count(True) == 1
