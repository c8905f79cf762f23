"""The planner's rules, on Script trees built by hand so each rule is seen in isolation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drama.errors import DramaError
from drama.project import Cast, Character, DramaConfig, Project
from drama.screenplay.model import Action, Dialogue, Episode, Note, Scene, SceneHeading, Script, TitleCard, Transition
from drama.storyboard import plan
from drama.storyboard.timing import line_duration
from drama.storyboard.vocabulary import Angle, Move, ShotSize


def _project(tmp_path: Path, *names: str) -> Project:
    cast = Cast(character=[Character(name=n, description=f"{n} look", references=[f"refs/{n}.png"]) for n in names])
    return Project(tmp_path, DramaConfig(title="t"), cast)


def _script(*scenes: Scene) -> Script:
    return Script(source=Path("/p/episodes/ep01.txt"), dialect="zh", episodes=[Episode(number=1, scenes=list(scenes))])


def _scene(setting: str, *elements, line: int = 1, characters=()) -> Scene:
    heading = SceneHeading(text=f"{setting} 客厅", line=line, setting=setting, location="客厅", time_of_day="day")
    return Scene(heading=heading, elements=list(elements), characters=list(characters))


def test_establishing_shot_per_scene_wide_outside_full_inside(tmp_path):
    board = plan(_script(_scene("EXT", Action(line=2, text="雨夜。")), _scene("EXT", line=5), _scene("INT", line=9)), 0, _project(tmp_path))
    assert [(s.kind, s.size) for s in board.shots] == [("establishing", ShotSize.EWS), ("establishing", ShotSize.WS),
                                                      ("establishing", ShotSize.FS)]
    assert board.shots[0].action == "雨夜。" and 2 <= board.shots[0].duration <= 3


def test_exchange_is_shot_reverse_shot_over_the_shoulder_on_one_side_of_the_line(tmp_path):
    lines = [Dialogue(line=2 + i, character=who, text="说点什么。") for i, who in enumerate(["甲", "乙", "甲", "乙"])]
    board = plan(_script(_scene("INT", *lines)), 0, _project(tmp_path, "甲", "乙"))
    first, *exchange = board.shots[1:]
    assert first.size == ShotSize.MCU and first.characters[0].name == "甲"
    for shot in exchange:
        assert shot.size == ShotSize.OTS
        speaker, shoulder = shot.characters
        assert speaker.speaking and speaker.name == shot.speaker and shoulder.foreground and not shoulder.speaking
        side = {"甲": ("right", lambda x: x < 0.5), "乙": ("left", lambda x: x > 0.5)}
        for person in (speaker, shoulder):  # 甲 always left facing right, 乙 always right facing left
            facing, placed = side[person.name]
            assert person.facing == facing and placed(person.x)


def test_strong_emotion_gets_a_close_up_and_extreme_ones_tighter(tmp_path):
    board = plan(_script(_scene("INT", Dialogue(line=2, character="甲", parenthetical="冷笑", text="是吗？"),
                                Dialogue(line=3, character="乙", parenthetical="崩溃", text="不！"),
                                Dialogue(line=4, character="甲", parenthetical="whispering", text="Quiet."))), 0,
                 _project(tmp_path, "甲", "乙"))
    assert [s.size for s in board.shots[1:]] == [ShotSize.CU, ShotSize.ECU, ShotSize.CU]
    assert "with a cold sneer" in board.shots[1].prompt


def test_action_verbs_move_the_camera(tmp_path):
    board = plan(_script(_scene("INT", Dialogue(line=2, character="甲", text="嗯。"),
                                Action(line=3, text="甲走向窗边。"), Action(line=4, text="乙抬头。"),
                                Action(line=5, text="甲俯视楼下的街道。"), Action(line=6, text="John walks toward the door."))), 0,
                 _project(tmp_path, "甲", "乙", "John"))
    walk, look_up, look_down, english = board.shots[2:]
    assert (walk.kind, walk.size, walk.move) == ("action", ShotSize.FS, Move.DOLLY_IN)
    assert (look_up.move, look_up.move_direction) == (Move.TILT, 1)
    assert look_down.angle == Angle.HIGH
    assert english.move == Move.DOLLY_IN and english.characters[0].name == "John"


def test_explicit_direction_overrides_the_next_shot_only(tmp_path):
    board = plan(_script(_scene("INT", Note(line=2, text="大特写 推", camera=True), Action(line=3, text="甲转身。"),
                                Action(line=4, text="甲转身离去。"),
                                Dialogue(line=5, character="甲", text="Bye.", notes=["CU, dolly in"]))), 0,
                 _project(tmp_path, "甲"))
    opening, leave, line = board.shots  # the scene's first action opens it
    assert (opening.size, opening.move, opening.direction, opening.action) == (ShotSize.ECU, Move.DOLLY_IN, "大特写 推", "甲转身。")
    assert leave.direction is None and (leave.size, leave.move) == (ShotSize.FS, Move.PAN)  # turns (pan) and leaves (whole figure)
    assert (line.size, line.move, line.direction) == (ShotSize.CU, Move.DOLLY_IN, "CU, dolly in")


def test_voice_over_plays_over_the_establishing_shot_with_no_one_speaking(tmp_path):
    board = plan(_script(_scene("EXT", Action(line=2, text="大桥，暴雨。"),
                                Dialogue(line=3, character="旁白", text="三年前的今晚，她死在这里。", voiceover=True),
                                Dialogue(line=4, character="甲", text="我回来了。"),
                                Dialogue(line=5, character="旁白", text="没有人知道她是谁。", voiceover=True))), 0,
                 _project(tmp_path, "甲"))
    establishing, line, insert = board.shots
    assert establishing.voiceover and establishing.text.startswith("三年前") and establishing.speaker == "旁白"
    assert not any(c.speaking for c in establishing.characters)
    assert establishing.duration >= line_duration(establishing.text)  # held for the whole line
    assert insert.kind == "insert" and insert.voiceover and not any(c.speaking for c in insert.characters)


def test_title_cards_and_transitions_are_carried_to_the_edit(tmp_path):
    board = plan(_script(_scene("EXT", Transition(line=2, text="叠化：", kind="dissolve"), TitleCard(line=3, text="三年后")),
                         _scene("INT", line=5)), 0, _project(tmp_path))
    card = board.shots[1]
    assert (card.kind, card.text, card.transition_in) == ("title_card", "三年后", "dissolve")
    assert board.shots[2].transition_in == "cut"


def test_characters_carry_absolute_reference_images_from_the_cast(tmp_path):
    board = plan(_script(_scene("INT", Dialogue(line=2, character="甲", text="嗯。"))), 0, _project(tmp_path, "甲"))
    assert board.shots[1].characters[0].reference_images == [tmp_path / "refs" / "甲.png"]
    assert "甲 look" in board.shots[1].prompt


def test_unknown_speaker_names_the_line_and_suggests_a_cast_name(tmp_path):
    with pytest.raises(DramaError) as caught:
        plan(_script(_scene("INT", Dialogue(line=7, character="沈青", text="嗯。"))), 0, _project(tmp_path, "沈清", "白薇"))
    assert caught.value.line == 7 and caught.value.path == Path("/p/episodes/ep01.txt")
    assert "沈清" in caught.value.hint


def test_without_a_cast_any_speaker_is_allowed(tmp_path):
    board = plan(_script(_scene("INT", Dialogue(line=2, character="JOHN", text="Hi."), Action(line=3, text="John sits down."))),
                 0, _project(tmp_path))
    assert board.shots[1].speaker == "JOHN" and board.shots[2].characters[0].name == "JOHN"


PLAN_DEMO = """
import sys
from drama.project import Project
from drama.storyboard import episode_ids, plan_episode
project = Project.load(sys.argv[1])
print("\\n".join(plan_episode(project, e).model_dump_json() for e in episode_ids(project)))
"""


def test_planning_is_deterministic_across_processes_and_hash_seeds():
    """Set and dict order, hash() and id() differ between interpreters: plan the demo in two of them."""
    demo = Path(__file__).resolve().parents[1] / "projects" / "demo"
    boards = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", PLAN_DEMO, str(demo)], env=env, capture_output=True, text=True,
                              check=True)
        boards.append(done.stdout)
    assert boards[0] == boards[1] and '"shots"' in boards[0]
