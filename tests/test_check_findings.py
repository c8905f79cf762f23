"""`drama check` on screenplays written to be wrong: every kind of finding, with its line and its words."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from drama.check import Finding, check
from drama.cli import main

SCRIPTS = Path(__file__).parent / "scripts"

BAD_ZH = """《测试》

△ 雨夜，街上空无一人。

1-1 夜 内 客厅
人物：林晚
△ 林晚坐在沙发上。
林晚：你回来了。
周屿：嗯。
林完：（生气）你还知道回来？
【镜头：慢慢地看着她】
林晚：我等了你三年，三年里每一天我都在想你会不会回来，可是你一封信都没有写过，一个电话都没有打过，我去你家问过你妈妈，她也什么都不肯说，我只能一个人等，一个人熬，你知道那是什么滋味吗？
林晚：我今天去了医院，医生说我的病已经好多了，你真的不用再为我担心了，好吗？
转场：擦除

1-2 内 客厅
人物：林晚
△ 林晚关上门。

1-3 夜 内
人物：林晚、周屿
△ 林晚站在窗前。
淡入：
"""

CAST_ZH = """[[character]]
name = "林晚"
description = "young woman, 25, long black hair, white dress"
sex = "female"

[[character]]
name = "周屿"
sex = "male"
"""

BAD_FOUNTAIN = """Title: Pier

INT. BOATHOUSE - LATER

Rain drums on the roof. NORA waits.

NORA
Where were you?

WIPE TO:

EXT. PIER

ELI walks out.

ELI
Here.

DISSOLVE TO:
"""


def _project(root: Path, script: str, name: str, cast: str | None = None, language: str = "zh") -> Path:
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / name).write_text(script, encoding="utf-8")
    (root / "drama.toml").write_text(f'title = "t"\nlanguage = "{language}"\n', encoding="utf-8")
    if cast is not None:
        (root / "cast.toml").write_text(cast, encoding="utf-8")
    return root


def _at(findings: list[Finding], kind: str, line: int | None) -> list[Finding]:
    return [f for f in findings if f.kind == kind and f.line == line]


@pytest.fixture
def zh(tmp_path: Path) -> tuple[Path, list[Finding]]:
    root = _project(tmp_path / "zh", BAD_ZH, "ep01.txt", CAST_ZH)
    return root, check(root)


def test_text_before_any_heading(zh):
    root, findings = zh
    [finding] = _at(findings, "no_heading", 3)
    assert finding.severity == "warning" and finding.file == root / "episodes" / "ep01.txt"
    assert "before any scene heading" in finding.message and "1-1 日 内 客厅" in finding.fix


def test_misspelt_speaker_is_an_error_with_did_you_mean(zh):
    _, findings = zh
    [finding] = _at(findings, "speaker", 10)
    assert finding.severity == "error"
    assert "unknown speaker '林完'" in finding.message and "did you mean '林晚'?" in finding.fix


def test_speaker_missing_from_the_scene_list(zh):
    _, findings = zh
    [finding] = _at(findings, "unlisted", 9)
    assert finding.severity == "warning"
    assert finding.message.startswith("周屿 speaks in scene 1-1 but its 人物 line (under line 5) does not list them")
    assert finding.fix == "add 周屿 to 人物：林晚"


def test_unreadable_camera_direction_comes_from_the_planner_warnings(zh):
    _, findings = zh
    [finding] = _at(findings, "direction", 11)
    assert finding.severity == "warning" and "“慢慢地看着她” names no shot size, angle or move" in finding.message


def test_line_too_long_for_one_shot_and_for_one_cue(zh):
    _, findings = zh
    [shot] = _at(findings, "long_line", 12)
    assert shot.severity == "warning" and "longer than one shot holds (8 s)" in shot.message
    # 80 CJK characters at 4.5 a second: about 18 s, more than two shots of 8 s hold
    assert "takes about 18 s to say" in shot.message and "covers it with 3 shots" in shot.message
    [cue] = _at(findings, "long_line", 13)  # 35 characters (31 CJK, 7 s): one shot, but not one cue of 2 × 16
    assert cue.severity == "info" and "too long for one subtitle cue (35 of 32 characters)" in cue.message
    assert "shown as 2 cues" in cue.message


def test_transition_the_edit_cannot_do(zh):
    _, findings = zh
    [finding] = _at(findings, "transition", 14)
    assert finding.severity == "warning" and "the edit has no “转场：擦除”: it cuts here" in finding.message
    [end] = _at(findings, "transition", 23)  # 淡入 after the last shot: nothing fades in
    assert end.severity == "info" and "ends the episode" in end.message


def test_headings_without_time_or_place(zh):
    _, findings = zh
    [time] = _at(findings, "heading", 16)
    assert time.severity == "warning" and "“1-2 内 客厅” gives no time of day" in time.message
    assert "日, 夜" in time.fix
    [place] = _at(findings, "heading", 20)
    assert place.severity == "warning" and "“1-3 夜 内” names no place" in place.message


def test_episode_shorter_than_a_short_drama(zh, tmp_path):
    _, findings = zh
    [finding] = [f for f in findings if f.kind == "length"]  # some 40 s: short, not far off
    seconds = int(re.search(r"runs about (\d+) s", finding.message)[1])
    assert 30 <= seconds < 60 and finding.severity == "info" and finding.line == 1
    assert "shorter than a short drama's 1–3 min" in finding.message
    tiny = _project(tmp_path / "tiny", (SCRIPTS / "short_zh.txt").read_text(encoding="utf-8"), "ep01.txt")
    [far] = [f for f in check(tiny) if f.kind == "length"]  # two lines and a card: a few seconds
    assert far.severity == "warning" and int(re.search(r"runs about (\d+) s", far.message)[1]) < 30


def test_episode_far_longer_than_a_short_drama(tmp_path):
    scene = "1-{n} 日 内 客厅\n人物：林晚\n△ 林晚在等。\n" + "林晚：我等了你很久很久，你为什么一直都不回来呢？\n" * 12
    script = "\n".join(scene.format(n=n) for n in range(1, 6))  # 60 lines of some 5 s each: about 5 min
    [finding] = [f for f in check(_project(tmp_path / "p", script, "ep01.txt")) if f.kind == "length"]
    assert finding.severity == "warning" and "longer than a short drama's 1–3 min" in finding.message
    assert "split it into two episodes" in finding.fix


def test_characters_without_description_or_portrait(zh):
    root, findings = zh
    cast = root / "cast.toml"
    [description] = [f for f in findings if f.kind == "description"]
    assert (description.file, description.line) == (cast, 7) and description.message.startswith("周屿 has no description")
    portraits = {(f.line, f.message.split()[0]) for f in findings if f.kind == "portrait"}
    assert portraits == {(2, "林晚"), (7, "周屿")}


def test_misspelt_speaker_does_not_hide_the_rest(zh):
    """The unknown speaker is planned as if cast, so the storyboard's own findings still come."""
    _, findings = zh
    assert {"direction", "length", "portrait"} <= {f.kind for f in findings}


def test_fountain_headings_and_transitions(tmp_path):
    root = _project(tmp_path / "en", BAD_FOUNTAIN, "pier.fountain", language="en")
    findings = check(root)
    [later] = _at(findings, "heading", 3)
    assert later.severity == "info" and "the time “LATER”" in later.message
    [no_time] = _at(findings, "heading", 12)
    assert no_time.severity == "warning" and "“EXT. PIER” gives no time of day" in no_time.message
    assert "- NIGHT" in no_time.fix
    [wipe] = _at(findings, "transition", 10)
    assert wipe.severity == "warning" and "“WIPE TO:”" in wipe.message
    [end] = _at(findings, "transition", 19)
    assert end.severity == "info" and "“DISSOLVE TO:” ends the episode, where the edit does no dissolve" in end.message


def test_speaker_typo_without_a_cast_against_the_scene_lists(tmp_path):
    script = "1-1 日 内 客厅\n人物：林晚、周屿\n△ 两人对坐。\n林晚：你好。\n周屿：你好。\n林挽：再见。\n"
    findings = check(_project(tmp_path / "p", script, "ep01.txt"))
    [finding] = _at(findings, "speaker", 6)
    assert finding.severity == "warning" and "'林挽'" in finding.message and "did you mean '林晚'?" in finding.message


def test_speaker_typo_in_fountain_with_no_cast_and_no_lists(tmp_path):
    script = ("INT. DOCK - DAY\n\nMAYA\nHi.\n\nJONAS\nHello.\n\nMAYA\nCold today.\n\nJONAS\nIt is.\n\n"
              "MYA\nLet's go.\n\nEDDIE\nWait for me!\n\nYOUNG MAYA\nMe too.\n")
    findings = check(_project(tmp_path / "p", script, "ep01.fountain", language="en"))
    # EDDIE speaks once too, but is close to no one; YOUNG MAYA is another part of MAYA, not a typo
    [finding] = [f for f in findings if f.kind == "speaker"]
    assert (finding.severity, finding.line) == ("warning", 15)
    assert "speaker 'MYA' speaks once, close to a name that speaks more (did you mean 'MAYA'?)" in finding.message


def test_unparsable_screenplay_is_an_error_finding(tmp_path):
    root = _project(tmp_path / "p", "INT. A - DAY\n\n/* never closed\n", "ep01.fountain", language="en")
    [finding] = [f for f in check(root) if f.kind == "parse"]
    assert finding.severity == "error" and finding.file == root / "episodes" / "ep01.fountain" and finding.line == 3


def test_screenplay_with_no_scene(tmp_path):
    root = _project(tmp_path / "p", "《测试》\n\n大纲：一个没有写完的故事。\n", "ep01.txt")
    [finding] = check(root)
    assert (finding.severity, finding.kind, finding.line) == ("error", "no_heading", 1)
    assert "has no scene heading" in finding.message
    assert main(["check", str(root)]) == 1


def test_cli_exit_status_and_json(zh, capsys):
    root, findings = zh
    assert main(["check", str(root), "--json"]) == 1  # the misspelt speaker is an error
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["error"] == 1 and len(data["findings"]) == len(findings)
    speaker = next(f for f in data["findings"] if f["kind"] == "speaker")
    assert speaker["where"] == f"{root / 'episodes' / 'ep01.txt'}:10" and speaker["severity"] == "error"
    assert main(["check", str(root), "ep01"]) == 1
    out = capsys.readouterr().out
    assert "ep01.txt:10: error (speaker · ep01) unknown speaker '林完'" in out and "1 error" in out


def test_cli_warnings_only_exit_zero_and_bad_usage_two(tmp_path, capsys):
    root = tmp_path / "demo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "projects" / "demo", root,
                    ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
    assert main(["check", str(root)]) == 0
    assert main(["check", str(root), "ep1"]) == 2
    assert "no episode 'ep1'" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert main(["check", str(tmp_path)]) == 2  # a folder, but no drama.toml
    assert "drama.toml not found" in capsys.readouterr().err


def test_broken_cast_is_an_error_finding(tmp_path, capsys):
    root = _project(tmp_path / "p", BAD_ZH, "ep01.txt", CAST_ZH + '\n[[character]]\nname = "林晚"\n')
    assert main(["check", str(root), "--json"]) == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert finding["where"] == f"{root / 'cast.toml'}:11" and "used twice" in finding["message"]


@pytest.mark.parametrize("name, cast", [("short_zh.txt", None), ("series_zh.txt", None), ("blocking_zh.txt", "blocking_zh.toml"),
                                        ("unseen_zh.txt", "unseen_zh.toml"), ("feature.fountain", None),
                                        ("blocking_en.fountain", "blocking_en.toml"), ("unseen_en.fountain", "unseen_en.toml")])
def test_shipped_screenplays_have_no_errors(tmp_path, name, cast):
    """The screenplays the planner's tests use are sound: warnings and notes at most, each with a place."""
    language = "en" if name.endswith(".fountain") else "zh"
    root = _project(tmp_path / "p", (SCRIPTS / name).read_text(encoding="utf-8"), name,
                    (SCRIPTS / cast).read_text(encoding="utf-8") if cast else None, language)
    findings = check(root)
    assert findings and not [f for f in findings if f.severity == "error"]
    assert all(f.file is not None and f.fix for f in findings)
