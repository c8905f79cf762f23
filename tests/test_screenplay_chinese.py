"""The Chinese short-drama format: header blocks, episodes, scene headings, dialogue forms, cards, notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from drama.errors import DramaError
from drama.screenplay import detect_dialect, parse_file, parse_text
from drama.screenplay.chinese import parse_heading
from drama.screenplay.episodes import episode_marker, parse_numeral

SCRIPTS = Path(__file__).parent / "scripts"


def elements(text: str) -> list:
    script = parse_text(text, dialect="zh")
    return [element for episode in script.episodes for scene in episode.scenes for element in scene.elements]


@pytest.fixture(scope="module")
def series():
    return parse_file(SCRIPTS / "series_zh.txt")


def test_header_title_page_synopsis_and_bios(series):
    assert series.dialect == "zh" and series.title == "重逢在雨季"
    assert series.title_page == {"编剧": "周小安", "类型": "都市情感", "集数": "3"}
    assert series.synopsis.startswith("设计师林晚") and series.synopsis.endswith("重新认识彼此。")
    assert "\n\n" in series.synopsis  # paragraph break kept
    bios = {bio.name: bio for bio in series.characters}
    assert list(bios) == ["林晚", "周屿", "陈姨", "小满"]
    assert bios["林晚"].age == "28岁" and bios["林晚"].line == 14
    assert bios["周屿"].description == "中学语文老师，温和，藏着当年离开的秘密。\n喜欢在雨天读诗。"
    assert bios["小满"].age is None


def test_episodes_and_scene_headings(series):
    assert [(e.number, e.title) for e in series.episodes] == [(1, "她回来了"), (2, "旧书"), (3, "雨停")]
    first = series.episodes[0].scenes
    assert [s.heading.number for s in first] == ["1-1", "1-2", "1-3"]
    station, shop, school = (s.heading for s in first)
    assert (station.setting, station.location, station.time, station.time_of_day) == ("EXT", "小城车站", "日", "day")
    assert (shop.setting, shop.location) == ("INT", "老书店")
    assert (school.location, school.time, school.time_of_day, school.setting) == ("中学门口", "黄昏", "dusk", "EXT")
    assert first[1].characters == ["林晚", "陈姨"]
    assert series.episodes[2].scenes[0].characters == ["林晚", "周屿", "陈姨", "小满"]


def test_dialogue_forms(series):
    lines = [e for episode in series.episodes for scene in episode.scenes for e in scene.elements if e.type == "dialogue"]
    by_text = {line.text: line for line in lines}
    os_line = by_text["七年了，这里一点没变。"]
    assert (os_line.character, os_line.extension, os_line.voiceover) == ("林晚", "OS", True)
    assert by_text["晚晚？真的是你！"].parenthetical == "惊喜"  # （情绪） after the colon
    assert by_text["你爸走之前，一直念叨你。"].parenthetical == "叹气"  # （情绪） in the cue
    assert by_text["周老师，稀客。"].parenthetical == "冷笑"  # half-width brackets
    assert by_text["她还在生我的气。"].extension == "画外音" and by_text["她还在生我的气。"].voiceover
    narrator = by_text["有些人，一转身就是七年。"]
    assert (narrator.character, narrator.voiceover, narrator.extension) == ("旁白", True, "旁白")
    assert by_text["这一次，我不走了。"].voiceover
    waited = by_text["我知道。"]  # `林晚：` with the words, in quotes, on the next line
    assert waited.character == "林晚" and waited.line == 39


def test_actions_cards_notes_transitions(series):
    found = [e for scene in series.episodes[0].scenes for e in scene.elements]
    kinds = [(e.type, getattr(e, "text", "")) for e in found[:6]]
    assert kinds[0] == ("title_card", "七年后")
    assert kinds[2] == ("action", "站牌上写着：青溪镇。")  # a colon after △ is still action
    camera = next(e for e in found if e.type == "note" and e.text.startswith("从站牌"))
    assert camera.camera
    bracket_note = next(e for e in found if e.type == "note" and "旧照片" in e.text)
    assert bracket_note.camera  # [[特写：…]] reads as a camera direction
    assert any(e.type == "action" and e.text == "（林晚沉默了很久）" for e in found)
    transitions = [(e.text, e.kind) for ep in series.episodes for s in ep.scenes for e in s.elements
                   if e.type == "transition"]
    assert transitions == [("切至：", "cut"), ("淡出", "fade_out"), ("闪回：七年前，雨巷", "other"),
                           ("叠化", "dissolve"), ("（本集完）", "fade_to_black"), ("淡出", "fade_out")]


@pytest.mark.parametrize("text, expected", [
    ("1-1 日 外 中学操场", ("1-1", "EXT", "中学操场", "day")),
    ("1-1 中学操场 日 外", ("1-1", "EXT", "中学操场", "day")),
    ("2－3 夜内 客厅", ("2-3", "INT", "客厅", "night")),
    ("3-1 清晨 内/外 医院走廊", ("3-1", "INT/EXT", "医院走廊", "morning")),
    ("第十二场 傍晚 外 海边", ("12", "EXT", "海边", "dusk")),
    ("场3 黎明 室内 阁楼", ("3", "INT", "阁楼", "dawn")),
    ("场景：咖啡馆 日 内", (None, "INT", "咖啡馆", "day")),
])
def test_heading_orderings(text, expected):
    heading = parse_heading(text, 1)
    assert (heading.number, heading.setting, heading.location, heading.time_of_day) == expected


def test_a_score_is_not_a_heading():
    assert parse_heading("3-2 的比分让全场沸腾", 1) is None


@pytest.mark.parametrize("text, number, title", [
    ("第一集：重逢", 1, "重逢"), ("第1集", 1, None), ("第十二集", 12, None), ("第二十三集 风暴", 23, "风暴"),
    ("第一百零五集", 105, None), ("EP3", 3, None), ("【第二集】", 2, None),
])
def test_episode_markers(text, number, title):
    assert episode_marker(text) == (number, title)


def test_numerals():
    assert [parse_numeral(n) for n in ("十", "十二", "二十", "九十九", "两百", "二〇二四", "１２")] == [
        10, 12, 20, 99, 200, 2024, 12]


def test_coloured_transitions_are_dips():
    found = elements("1-1 日 内 客厅\n【转场：闪白】\n闪红\n【闪黑】\n【转场：叠化】\n白场\n△ 她看着闪白的灯。\n")
    assert [(e.type, getattr(e, "kind", None), getattr(e, "color", None)) for e in found] == [
        ("transition", "dip", "#ffffff"), ("transition", "dip", "#ff0000"), ("transition", "fade_to_black", None),
        ("transition", "dissolve", None), ("transition", "dip", "#ffffff"), ("action", None, None)]


def test_sentences_with_colons_stay_action_and_names_stay_short():
    found = elements("1-1 日 内 客厅\n屏幕上写着：欢迎回来\n他终于明白了这个道理之后说：好\n12:30 闹钟响了。\n")
    assert [e.type for e in found] == ["action", "action", "action"]


def test_subtitle_variants_and_unbracketed_keys():
    found = elements("1-1 日 内 客厅\n【字幕】三年后\n字幕：第二天\n镜头：缓缓推近\n音效：雷声\n")
    assert [(e.type, e.text) for e in found] == [("title_card", "三年后"), ("title_card", "第二天"),
                                                 ("note", "缓缓推近"), ("note", "音效：雷声")]
    assert found[2].camera


def test_no_episode_marker_is_one_episode_and_material_before_a_heading_is_kept():
    script = parse_text("△ 黑暗中，一声枪响。\n1-1 夜 外 街道\n林晚：谁？\n", dialect="zh")
    assert len(script.episodes) == 1
    first, second = script.episodes[0].scenes
    assert first.heading is None and first.elements[0].text == "黑暗中，一声枪响。"
    assert second.elements[0].character == "林晚"


def test_dialogue_without_a_speaker_is_an_error_naming_the_line():
    with pytest.raises(DramaError) as caught:
        parse_text("1-1 日 内 客厅\n\n：你来了。\n", dialect="zh", source="ep.txt")
    assert caught.value.line == 3 and "speaker" in caught.value.message and "林晚：" in caught.value.hint


def test_short_script_and_detection():
    script = parse_file(SCRIPTS / "short_zh.txt")
    assert script.dialect == "zh" and script.title == "末班车"
    scene = script.episodes[0].scenes[0]
    assert scene.heading.location == "地铁车厢"
    assert [e.type for e in scene.elements] == ["action", "dialogue", "title_card"]
    assert detect_dialect((SCRIPTS / "feature.fountain").read_text()) == "fountain"
    assert detect_dialect("林晚：你好。\n周屿：好久不见。\n") == "zh"


def test_dialect_override():
    text = (SCRIPTS / "short_zh.txt").read_text()
    assert parse_text(text, dialect="fountain").dialect == "fountain"
    with pytest.raises(DramaError, match="unknown screenplay dialect"):
        parse_text(text, dialect="klingon")


def test_bio_age_written_inside_the_description():
    script = parse_text("人物小传：\n沈清：26岁，顾家少夫人。\n陈伯（六十岁）：管家。\n\n1-1 夜 外 桥\n△ 雨。\n", dialect="zh")
    assert [(bio.name, bio.age, bio.description) for bio in script.characters] == [
        ("沈清", "26岁", "顾家少夫人。"), ("陈伯", "六十岁", "管家。")]


def test_an_inner_voice_glued_to_the_name_is_a_voiceover_of_that_character():
    found = elements("1-1 日 内 客厅\n林晚内心：他不会回来了。\n陈心：你说什么？\n沈清画外音：我回来了。\n")
    assert [(e.character, e.voiceover) for e in found] == [("林晚", True), ("陈心", False), ("沈清", True)]
