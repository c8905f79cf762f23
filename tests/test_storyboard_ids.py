"""Stable shot ids: picks and overrides are keyed by them, so unrelated edits must not move them."""

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


def _ids(text: str, tmp_path: Path) -> list[str]:
    project = Project(tmp_path, DramaConfig(title="t"), Cast(character=[Character(name="甲"), Character(name="乙")]))
    return [shot.id for shot in plan(parse_text(text, source=tmp_path / "ep01.txt"), 0, project).shots]


def test_ids_are_unique_and_repeatable(tmp_path):
    ids = _ids(SCRIPT, tmp_path)
    assert len(set(ids)) == len(ids) and ids == _ids(SCRIPT, tmp_path)


def test_editing_one_line_changes_only_that_shots_id(tmp_path):
    before = _ids(SCRIPT, tmp_path)
    after = _ids(SCRIPT.replace("乙：听见什么？", "乙：（疑惑）听见什么了？"), tmp_path)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and len(changed) == 1


def test_inserting_a_line_changes_no_other_id(tmp_path):
    before = _ids(SCRIPT, tmp_path)
    after = _ids(SCRIPT.replace("甲：门外有人。\n", "甲：门外有人。\n乙：（颤抖）别吓我。\n"), tmp_path)
    assert len(after) == len(before) + 1 and set(before) <= set(after)


def test_identical_lines_in_a_scene_get_distinct_ids_and_renumbering_scenes_keeps_them(tmp_path):
    before = _ids(SCRIPT, tmp_path)
    assert len(set(before)) == len(before)  # 乙 and 甲 both say 没人啊 — distinct content; the counter covers exact repeats
    assert _ids(SCRIPT.replace("1-2 夜 外", "2-1 夜 外"), tmp_path) == before
