"""Blocking on screenplays not written for drama: who is on screen (pronouns, groups, voices off screen), whom a line
is said to, which side of the line each person keeps, what goes to the edit instead of the picture, how long speeches
are covered, and that the camera varies. Two scripts (tests/scripts/blocking_zh.txt, blocking_en.fountain) with
their casts; each test finds the shot it means by its script text, not its position."""

import random
import tomllib
from pathlib import Path

import pytest

from drama.errors import DramaError
from drama.project import Cast, Character, DramaConfig, Project
from drama.screenplay import parse_file, parse_text
from drama.screenplay.model import Dialogue, Episode, Scene, SceneHeading, Script, Transition
from drama.storyboard import plan
from drama.storyboard.cues import action_cue
from drama.storyboard.model import Shot
from drama.storyboard.props import focus, props_in
from drama.storyboard.pronouns import resolve
from drama.storyboard.timing import MAX_SPEECH, line_duration, split_speech
from drama.storyboard.vocabulary import Angle, Move, ShotSize

SCRIPTS = Path(__file__).parent / "scripts"
EN_CAST = {"Maya", "Leo", "Nina"}


def _project(cast_file: str) -> Project:
    cast = Cast.model_validate(tomllib.loads((SCRIPTS / cast_file).read_text(encoding="utf-8")))
    return Project(SCRIPTS, DramaConfig(title="t"), cast)


@pytest.fixture(scope="module")
def zh() -> list[Shot]:
    return plan(parse_file(SCRIPTS / "blocking_zh.txt"), 0, _project("blocking_zh.toml")).shots


@pytest.fixture(scope="module")
def en() -> list[Shot]:
    return plan(parse_file(SCRIPTS / "blocking_en.fountain"), 0, _project("blocking_en.toml")).shots


def _find(shots: list[Shot], words: str) -> list[Shot]:
    return [s for s in shots if words in (s.text or "") or words in (s.action or "")]


def _one(shots: list[Shot], words: str) -> Shot:
    found = _find(shots, words)
    assert len(found) == 1, f"{words!r}: {len(found)} shots"
    return found[0]


def _names(shot: Shot) -> set[str]:
    return {c.name for c in shot.characters}


def _speaking(shot: Shot) -> set[str]:
    return {c.name for c in shot.characters if c.speaking}


# --- who is on screen --------------------------------------------------------------------------------------------

def test_pronoun_subjects_are_the_most_recent_character_of_that_sex(zh, en):
    tears = _one(zh, "她抹了抹眼泪")  # three girls on the court: 陈茉莉 spoke last
    assert _names(tears) == {"陈茉莉"}
    runs = _one(zh, "她转身跑向教学楼")
    assert _names(runs) == {"叶小玲"}
    both = _one(zh, "他们对视了一眼")
    assert _names(both) == {"叶小玲", "周大海"}
    lunge = _one(en, "She lunges for the rifle.")
    assert _names(lunge) == {"Maya"} and "gun" in lunge.props
    dizzy = _one(en, "She staggers back")
    assert _names(dizzy) == {"Maya"}
    assert any("Maya" in note for note in lunge.notes)  # the review card says who "She" was taken to be


def test_without_a_sex_in_the_cast_the_description_decides_the_pronoun(zh):
    # 周大海 has no `sex`; his description (高个子男生) makes him the 他 of 他把信递给叶小玲
    hands_over = _one(zh, "他把信递给叶小玲")
    assert any("周大海" in note for note in hands_over.notes)


def test_an_action_about_an_object_is_an_insert_of_it(zh, en):
    ball = _one(zh, "她把球塞回包里")
    assert (ball.kind, ball.props[0]) == ("insert", "ball") and "bag" in ball.props and ball.size in (ShotSize.CU, ShotSize.ECU)
    assert any("叶小玲" in note for note in ball.notes)
    ring = _one(en, "He pockets the ring.")
    assert (ring.kind, ring.props) == ("insert", ["ring"]) and any("Leo" in note for note in ring.notes)
    letter = _one(zh, "他把信递给叶小玲")
    assert letter.kind == "insert" and letter.props[0] == "letter"


def test_group_labels_put_everyone_present_on_screen_with_extras(zh, en):
    everyone = {"叶小玲", "陈茉莉", "马一花"}
    for words in ("几个男同学围了过来", "前场所有人都愣住了"):
        shot = _one(zh, words)
        assert _names(shot) == everyone and shot.extras > 0 and shot.size in (ShotSize.WS, ShotSize.FS)
    assert _one(zh, "几个男同学围了过来").extras == 3  # 几个 is a few
    assert zh[0].kind == "establishing" and zh[0].extras == 3  # 人物 lists them: the wide opening shows them too
    cheer = _one(zh, "好球！")
    assert cheer.speaker == "众人" and cheer.size == ShotSize.WS and _names(cheer) == everyone and not _speaking(cheer)
    assert cheer.extras > 0
    cls = _one(en, "The class falls silent")
    assert _names(cls) == EN_CAST and cls.extras > 0
    crowd = _one(en, "Speech! Speech!")  # after the wide of the class: a group shot, not the same wide again
    assert crowd.size in (ShotSize.WS, ShotSize.FS) and not _speaking(crowd) and crowd.extras > 0
    pair = _one(zh, "两人对视一眼")  # the two who just spoke, not everyone on the court
    assert _names(pair) == {"陈茉莉", "马一花"} and pair.extras == 0
    both = _one(en, "Maya!")  # BOTH: the two last speakers, speaking together
    assert _names(both) == _speaking(both) == {"Leo", "Nina"}
    labels = {"几个男同学", "前场所有人", "众人", "THE CROWD", "The class", "两人", "BOTH"}
    assert not any(_names(s) & labels for s in zh + en)  # a label is never drawn as a person


def test_voices_off_screen_are_heard_over_someone_else_never_drawn_speaking(zh, en):
    for shot, hearer in ((_one(zh, "请所有同学马上回到教室"), None), (_one(zh, "周大海！出来！"), None),
                         (_one(en, "Put it down, Maya."), "Maya"), (_one(en, "Then I'll come to you."), "Maya")):
        assert shot.voiceover and not _speaking(shot) and shot.speaker not in _names(shot)
        assert shot.kind == "reaction" and _names(shot) and shot.size != ShotSize.OTS
        assert hearer is None or _names(shot) == {hearer}
    # an inner voice (OS in the Chinese format, V.O. of someone in the scene) is on the thinker, lips still
    for shot, thinker in ((_one(zh, "他到底想说什么"), "叶小玲"), (_one(en, "I should have left that night."), "Maya")):
        assert shot.voiceover and _names(shot) == {thinker} and not _speaking(shot)
    voices = {"广播", "A DEEP VOICE"}
    assert not any(_names(s) & voices for s in zh + en)
    # nobody is shot over the shoulder of someone the scene only lets us hear (教练, Leo on the phone)
    checked = set()
    for shots in (zh, en):
        for scene in {s.scene for s in shots}:
            here = [s for s in shots if s.scene == scene]
            heard_only = {s.speaker for s in here if s.voiceover} - {s.speaker for s in here if not s.voiceover}
            shoulders = {c.name for s in here for c in s.characters if c.foreground}
            assert not shoulders & heard_only
            checked |= heard_only
    assert {"教练", "Leo", "A DEEP VOICE", "广播"} <= checked


def test_an_over_the_shoulder_listener_is_whoever_the_line_addresses(zh, en):
    asked = _one(zh, "一花，你刚才看见了吗？")  # 叶小玲 spoke last, but 陈茉莉 is talking to 马一花
    shoulder = [c.name for c in asked.characters if c.foreground]
    assert asked.size == ShotSize.OTS and shoulder == ["马一花"] and _speaking(asked) == {"陈茉莉"}
    warned = _one(en, "Maya, don't listen to him.")  # Leo spoke last; Nina speaks to Maya
    assert [c.name for c in warned.characters if c.foreground] == ["Maya"]
    answer = _one(en, "Stay out of this.")  # no name in the line: the last other speaker
    assert [c.name for c in answer.characters if c.foreground] == ["Nina"]
    told = _one(en, "Get out.")  # (to Leo): Nina spoke last herself, the direction names whom she tells
    assert told.size == ShotSize.OTS and [c.name for c in told.characters if c.foreground] == ["Leo"]


def _placement(shot: Shot) -> dict[str, tuple[bool, str]]:
    return {person.name: (person.x < 0.5, person.facing) for person in shot.characters}


def test_the_first_line_of_a_scene_is_said_to_whoever_the_action_just_showed(tmp_path):
    text = "1-1 日 内 会议室\n人物：苏晴、林总、众员工\n△ 苏晴推门而入。\n林总：（拍桌）你还知道回来？\n"
    cast = Cast.model_validate({"character": [{"name": "苏晴"}, {"name": "林总"}]})
    shots = plan(parse_text(text, source=tmp_path / "ep.txt"), 0, Project(tmp_path, DramaConfig(title="t"), cast)).shots
    line = _one(shots, "你还知道回来")
    assert line.size == ShotSize.OTS and [c.name for c in line.characters if c.foreground] == ["苏晴"]
    assert shots[0].extras > 0 and "众员工" not in _names(shots[0])  # the 人物 list's group is extras, not a person


def test_a_pair_keeps_their_sides_of_the_line_through_their_exchange(zh):
    placed: dict[str, tuple[bool, str]] = {}
    for words in ("一花，你刚才看见了吗？", "看见了。", "她怎么能这样", "茉莉，别理她。", "我没事。"):
        for name, where in _placement(_one(zh, words)).items():
            assert placed.setdefault(name, where) == where, f"{name} flipped in {words!r}"
    assert placed["陈茉莉"][0] != placed["马一花"][0]  # on opposite sides, facing each other


def test_whoever_appears_in_consecutive_reverse_shots_keeps_their_side(zh, en):
    for shots in (zh, en):
        for scene in {s.scene for s in shots}:
            reverses = [s for s in shots if s.scene == scene and s.kind == "dialogue" and 1 <= len(s.characters) <= 2]
            for before, after in zip(reverses, reverses[1:], strict=False):
                common = _placement(before).keys() & _placement(after).keys()
                assert all(_placement(before)[n] == _placement(after)[n] for n in common), (before.text, after.text)


def test_any_two_people_are_in_the_same_left_to_right_order_in_every_shot_of_a_scene(zh, en):
    """One side of one line for the whole scene: if A is left of B once, A is left of B every time."""
    for shots in (zh, en):
        for scene in {s.scene for s in shots}:
            order: dict[tuple[str, str], bool] = {}
            for shot in (s for s in shots if s.scene == scene):
                for a in shot.characters:
                    for b in shot.characters:
                        if a.name < b.name:
                            left = a.x < b.x
                            assert order.setdefault((a.name, b.name), left) == left, (a.name, b.name, shot.text or shot.action)


# --- what goes to the edit ---------------------------------------------------------------------------------------

def test_screenplay_directions_go_to_the_edit_not_into_empty_shots(zh, en):
    assert en[0].transition_in == "fade_in" and en[0].kind == "establishing"  # FADE IN: opens the first shot
    assert any("FADE OUT." in note for note in en[-1].notes)  # and FADE OUT. is the end, not an empty shot
    after_fade = _one(zh, "周大海靠在窗边")
    assert after_fade.transition_in == "fade_in"  # △ 淡入。
    for words in ("Three days later", "三天后", "Two hours earlier."):  # SUPER: with its words in the next paragraph
        assert _one(en + zh, words).kind == "title_card"
    for shots, sign in ((zh, "明天考试"), (en, "NO PHONES IN CLASS")):
        shot = _one(shots, sign)
        assert shot.kind == "insert" and shot.text is None  # shown, not voiced
    directions = ("FADE IN", "FADE OUT", "TITLE OVER", "SUPER", "THE SIGN READS", "淡入", "黑板上写着")
    assert not [s.action for s in zh + en if s.action and any(d in s.action for d in directions)]


def test_a_titles_heading_is_titles_not_an_empty_place(en):
    card = _one(en, "SCOPE")
    assert card.kind == "title_card" and en[card.index - 1].location == "ROOFTOP"
    assert "MAIN TITLES" not in {s.location for s in en}


def test_a_pov_or_insert_heading_is_a_shot_in_the_current_place(en):
    pov = _one(en, "Through the crosshairs")
    before = en[pov.index - 1]
    assert (pov.scene, pov.location, pov.scene_heading) == (before.scene, "ROOFTOP", before.scene_heading)
    assert _names(pov) == {"Leo"} and "phone" in pov.props and any("POV" in n for n in pov.notes)
    letter = _one(en, "written in red ink")
    assert letter.kind == "insert" and letter.location == "CLASSROOM" and letter.props == ["letter"]
    phone = _one(en, "CLOSE ON LEO'S PHONE")  # the same written as a line of action
    assert (phone.kind, phone.props, phone.location) == ("insert", ["phone"], "CLASSROOM")
    assert not {"SNIPER SCOPE POV", "BACK TO SCENE", "INSERT - THE LETTER"} & {s.location for s in en}
    assert [s.kind for s in en].count("establishing") == 2  # the rooftop and the classroom, nothing else


def test_every_shot_says_why_it_is_framed_so(zh, en):
    assert all(shot.notes for shot in zh + en)


def test_no_shot_is_empty_unless_it_is_meant_to_show_a_place(zh, en):
    for shot in zh + en:
        if shot.kind in ("establishing", "title_card"):
            continue
        if shot.kind == "insert":
            assert shot.props or shot.characters or shot.voiceover or "sign" in " ".join(shot.notes), shot
        else:
            assert shot.characters, shot


# --- coverage ----------------------------------------------------------------------------------------------------

def test_a_long_speech_is_covered_by_shots_of_at_most_eight_seconds(zh, en):
    for shots, speaker, start, listener in ((zh, "周大海", "小玲，我有件事", "叶小玲"), (en, "Maya", "I trusted you.", "Leo")):
        speech = [s for s in shots if s.speaker == speaker and s.text and not s.voiceover]
        first = next(i for i, s in enumerate(speech) if s.text.startswith(start))
        pieces = [speech[first]]
        for shot in speech[first + 1:]:
            if shot.source_lines != pieces[0].source_lines:
                break
            pieces.append(shot)
        assert len(pieces) >= 2
        assert all(line_duration(p.text) <= MAX_SPEECH for p in pieces)
        assert any(_names(p) == {listener} for p in pieces)  # a cut-away to whoever listens
        assert any(_speaking(p) == {speaker} for p in pieces)
    for shot in zh + en:
        if shot.text and shot.kind != "title_card":
            assert line_duration(shot.text) <= MAX_SPEECH, shot.text


def test_speech_pieces_end_at_sentence_ends_when_sentences_fit(zh):
    pieces = [s.text for s in zh if s.speaker == "周大海" and s.source_lines == _one(zh, "小玲，我有件事").source_lines]
    assert all(p.endswith(("。", "！", "？")) for p in pieces)
    assert "".join(pieces) == next(d.text for d in _dialogues("blocking_zh.txt") if d.character == "周大海")


def test_a_speech_without_punctuation_is_cut_between_words_or_characters():
    chinese = "我们" * 40  # 80 characters, no sentence or clause marks
    english = " ".join(["word"] * 60)
    for text in (chinese, english):
        pieces = split_speech(text)
        assert len(pieces) >= 2 and all(line_duration(p) <= MAX_SPEECH for p in pieces)
    assert "".join(split_speech(chinese)) == chinese
    assert all(p.split() == ["word"] * len(p.split()) for p in split_speech(english))  # no word cut in two
    assert split_speech("Short line.") == ["Short line."]


def _dialogues(name: str) -> list[Dialogue]:
    script = parse_file(SCRIPTS / name)
    return [e for scene in script.episodes[0].scenes for e in scene.elements if isinstance(e, Dialogue)]


def test_one_speakers_lines_in_a_row_change_framing_and_answer_the_last_other_speaker(zh):
    first, again = _one(zh, "我需要坐一下"), _one(zh, "让我想想")
    assert again.index == first.index + 1 and again.size != first.size  # no jump cut
    assert any("周大海" in note for note in again.notes)  # 周大海 spoke last before her


def test_no_jump_cuts_between_shots_of_the_same_people(zh, en):
    for shots in (zh, en):
        for before, after in zip(shots, shots[1:], strict=False):
            on = [{c.name for c in s.characters if not c.foreground} for s in (before, after)]
            if before.scene == after.scene and on[0] and on[0] == on[1] and "establishing" not in (before.kind, after.kind):
                assert before.size != after.size, (before.text or before.action, after.text or after.action)


def test_an_action_naming_no_one_is_a_beat_on_whoever_is_still_here(zh):
    silence = _one(zh, "沉默")  # her line was framed over his shoulder: both are still in the room
    assert silence.kind == "action" and _names(silence) == {"叶小玲", "周大海"}


def test_the_camera_varies_with_status_emotion_and_verbs(zh, en):
    assert _one(zh, "看什么看？").angle == Angle.LOW  # （冷笑）
    assert _one(zh, "她怎么能这样").angle == Angle.HIGH  # （哭）
    assert _one(zh, "我需要坐一下").angle == Angle.DUTCH  # （头晕）
    assert _one(en, "She staggers back").angle == Angle.DUTCH
    assert _one(en, "Not tonight.").angle == Angle.LOW  # (through gritted teeth)
    assert _one(zh, "她转身跑向教学楼").move in (Move.PAN, Move.FOLLOW, Move.TRUCK)
    verbs = {"He runs for the door.": Move.FOLLOW, "She enters the room.": Move.DOLLY_IN,
             "The tarp is pulled off, revealing a car.": Move.CRANE, "他走进教室。": Move.DOLLY_IN}
    assert {text: action_cue(text).move for text in verbs} == verbs
    for shots in (zh, en):
        assert len({s.angle for s in shots}) >= 3
        assert sum(s.move == Move.STATIC for s in shots) / len(shots) < 0.8
    establishing = [s.move for s in zh + en if s.kind == "establishing"]
    assert len(set(establishing)) >= 2  # not every scene opens on the same crane-down


def test_establishing_moves_follow_place_time_and_position(tmp_path):
    text = ("1-1 日 外 街道\n△ 雨。\n\n1-2 夜 外 河边\n△ 风。\n\n1-3 日 内 客厅\n△ 静。\n\n"
            "1-4 夜 外 街道\n△ 雨停了。\n")
    board = plan(parse_text(text, source=tmp_path / "ep.txt"), 0, Project(tmp_path, DramaConfig(title="t"), Cast()))
    moves = [s.move for s in board.shots if s.kind == "establishing"]
    assert moves[0] == Move.CRANE  # the episode opens craning down
    assert moves[1] != Move.CRANE  # a night exterior pans
    assert moves[3] == Move.STATIC  # back in a street already shown
    assert all(any(n.startswith("establishing") for n in s.notes) for s in board.shots if s.kind == "establishing")


# --- dual dialogue, props, emphasis, colour dips -----------------------------------------------------------------

def test_dual_dialogue_is_one_two_shot_with_both_lines(en):
    shot = _one(en, "I'm sorry.")
    assert shot.dual is not None and (shot.dual.speaker, shot.dual.text) == ("Nina", "We're sorry.")
    assert _names(shot) == {"Leo", "Nina"} and _speaking(shot) == {"Leo", "Nina"}
    assert shot.size not in (ShotSize.OTS, ShotSize.MCU, ShotSize.CU, ShotSize.ECU)
    assert not _find(en, "We're sorry.")[1:] and shot.duration >= line_duration("We're sorry.")


def test_props_are_matched_as_whole_words_and_guarded_chinese_words():
    assert props_in("她把球塞回包里") == ["ball", "bag"]
    assert props_in("The phones ring.") == ["phone"]  # the verb ring is not a ring
    assert props_in("He hands her the ring.") == ["ring"]
    assert props_in("baggage claim, a bagel") == [] and props_in("球场上，他相信她") == []
    assert props_in("the key witness") == [] and props_in("She turns the key in the lock.") == ["key"]
    assert props_in("有钱人吃面包") == [] and props_in("她把钱塞进包里") == ["money", "bag"]
    assert focus("He pockets the ring.") == "ring" and focus("She smiles at the man with the bag.") is None


def test_an_object_pronoun_is_not_the_subject_of_its_own_sentence():
    sex = {"Steel": "male", "Cognito": "male", "Maya": "female", "Nina": "female"}.get
    assert resolve("Steel smacks him.", [(0, "Steel")], ["Cognito"], [], sex).people == ["Steel", "Cognito"]
    assert resolve("Steel sits. He grins.", [(0, "Steel")], ["Cognito"], [], sex).people == ["Steel"]
    assert resolve("Maya grabs her bag.", [(0, "Maya")], ["Nina"], [], sex).people == ["Maya"]  # a possessive
    assert resolve("Maya pushes her.", [(0, "Maya")], ["Nina"], [], sex).people == ["Maya", "Nina"]


def test_pronouns_are_words_not_letters_inside_words():
    recent = ["Ada"]
    assert resolve("The theatre, other rooms, 其他人", [], recent, ["Ada"], lambda _: "female").people == []
    assert resolve("Ada waves; she smiles.", [(0, "Ada")], [], [], lambda _: "female").people == ["Ada"]


def test_emphasis_of_a_line_reaches_the_shot(en):
    shot = _one(en, "listen to me")
    assert any(span.text == "listen" and "italic" in span.styles for span in shot.spans)
    # a long line's emphasis goes with the piece that holds it, and spans still spell out their piece
    pieces = [s for s in en if s.speaker == "Maya" and s.source_lines == _one(en, "I trusted you.").source_lines]
    emphasised = [s for s in pieces if s.spans]
    assert len(emphasised) == 1 and "".join(span.text for span in emphasised[0].spans) == emphasised[0].text
    assert any(span.text == "every one" and "italic" in span.styles for span in emphasised[0].spans)


def test_a_dip_to_a_colour_carries_its_colour_to_the_next_shot(tmp_path):
    heading = SceneHeading(text="INT. ROOM - DAY", line=1, setting="INT", location="ROOM", time_of_day="day")
    later = SceneHeading(text="INT. HALL - DAY", line=5, setting="INT", location="HALL", time_of_day="day")
    script = Script(source=tmp_path / "ep.fountain", episodes=[Episode(scenes=[
        Scene(heading=heading, elements=[Transition(line=3, text="BURN TO PINK.", kind="dip", color="#ff69b4")]),
        Scene(heading=later, elements=[Transition(line=7, text="DISSOLVE TO:", kind="dissolve", color="#ffffff")]),
        Scene(heading=heading.model_copy(update={"line": 9}))])])
    shots = plan(script, 0, Project(tmp_path, DramaConfig(title="t"), Cast())).shots
    assert (shots[1].transition_in, shots[1].transition_color) == ("dip", "#ff69b4")
    assert (shots[2].transition_in, shots[2].transition_color) == ("dissolve", None)


# --- invariants on scripts assembled at random from awkward pieces ------------------------------------------------

ZH_PIECES = ["△ 她把球塞回包里。", "△ 他们对视了一眼。", "△ 两人沉默。", "△ 众人哗然。", "△ 几个男同学围过来。", "甲：（冷笑）你好。",
             "乙：甲，你听我说。", "众人：好！", "广播：集合。", "甲（OS）：怎么办。", "乙（画外音）：快走！", "【字幕：三年后】",
             "△ 淡入。", "△ 黑板上写着：“考试”", "甲：" + "我说了很多话，" * 12 + "就这样。", "△ 雨。", "【镜头：特写 推】", "叠化：",
             "△ 甲走向乙，把戒指递给她。", "旁白：很久以前。", "△ 甲跑出门。", "乙：（哭）不要走。", "△ 她抬头。", "△ 他低头。"]
EN_PIECES = ["She lunges.", "He pockets the ring.", "Everyone freezes.", "THE CROWD\nYes!", "A DEEP VOICE (O.S.)\nStop.",
             "ADA\nTom, wait.", "TOM\n(furious)\nNo.", "TOM ^\nNever.", "ADA (V.O.)\nI remember.", "TITLE OVER: Later", "SUPER:",
             "Two days on.", 'THE SIGN READS: "OPEN"', ".SNIPER SCOPE POV", ".BACK TO SCENE", ".INSERT - THE LETTER", "FADE IN:",
             "CUT TO:", "> BURN TO PINK.", ".OPENING TITLES", "> THE END <", "BOTH\nHey!", "The two of them laugh.",
             "ADA\n" + "I said a lot of things, " * 10 + "and then I left.", "CLOSE ON THE PHONE", "Tom smacks him."]


def _random_script(rng: random.Random, tmp_path: Path) -> tuple[Script, Cast]:
    if rng.random() < 0.5:
        lines = ["1-1 日 内 客厅", "人物：甲、乙", *rng.choices(ZH_PIECES, k=rng.randint(0, 14)), "", "1-2 夜 外 街道",
                 *rng.choices(ZH_PIECES, k=rng.randint(0, 8))]
        cast = Cast(character=[Character(name="甲", sex="female"), Character(name="乙", sex="male")])
        return parse_text("\n".join(lines) + "\n", source=tmp_path / "ep.txt"), cast
    pieces = rng.choices(EN_PIECES, k=rng.randint(0, 14))
    pieces.insert(rng.randint(0, len(pieces)), "INT. ROOM - DAY")
    pieces.append("EXT. STREET - NIGHT")
    pieces += rng.choices(EN_PIECES, k=rng.randint(0, 6))
    cast = Cast(character=[Character(name="Ada", aliases=["ADA"], sex="female"), Character(name="Tom", aliases=["TOM"], sex="male")])
    return parse_text("\n\n".join(pieces) + "\n", source=tmp_path / "ep.fountain"), cast


def test_random_scripts_keep_every_blocking_invariant(tmp_path):
    rng = random.Random(13)
    for _ in range(120):
        script, cast = _random_script(rng, tmp_path)
        shots = plan(script, 0, Project(tmp_path, DramaConfig(title="t"), cast)).shots
        people = {c.name for c in cast.character}
        assert len({s.id for s in shots}) == len(shots)
        assert all(s.notes for s in shots)
        assert all({c.name for c in s.characters} <= people for s in shots)  # no label, voice or direction drawn
        assert all(line_duration(s.text) <= MAX_SPEECH for s in shots if s.text and s.kind != "title_card")
        order: dict[tuple[str, str, str], bool] = {}
        for shot in shots:
            for a in shot.characters:
                for b in shot.characters:
                    if a.name < b.name:
                        assert order.setdefault((shot.scene, a.name, b.name), a.x < b.x) == (a.x < b.x)
        for before, after in zip(shots, shots[1:], strict=False):
            on = [{c.name for c in s.characters if not c.foreground} for s in (before, after)]
            if before.scene == after.scene and on[0] and on[0] == on[1] and "establishing" not in (before.kind, after.kind):
                assert before.size != after.size or after.direction


def test_a_dual_two_shot_says_nothing_of_the_single_it_replaced(tmp_path):
    """Its notes once said 'a clean single' and 'a slow push in' of a static two-shot of both speakers."""
    text = ("INT. CABIN - NIGHT\n\nEli sits across from Nora.\n\nELI\nNora, listen. I never meant to leave. The letter "
            "was never mine, and I let you believe it for nine long years.\n\nNORA ^\nI know.\n")
    cast = Cast.model_validate({"character": [{"name": "Eli", "aliases": ["ELI"]}, {"name": "Nora", "aliases": ["NORA"]}]})
    script = parse_text(text, dialect="fountain", source=tmp_path / "ep.fountain")
    shots = plan(script, 0, Project(tmp_path, DramaConfig(title="t"), cast)).shots
    dual = next(shot for shot in shots if shot.dual)
    assert {c.name for c in dual.characters} == {"Eli", "Nora"} and dual.move.value == "static"
    assert not [note for note in dual.notes if "single" in note or "push in" in note or "alone" in note], dual.notes


def test_an_off_screen_voice_outside_the_cast_is_heard_and_a_misspelt_one_is_refused(tmp_path):
    cast = Cast.model_validate({"character": [{"name": "苏晓"}, {"name": "林晚"}]})
    project = Project(tmp_path, DramaConfig(title="t"), cast)
    text = "1-1 夜 内 公交车上\n人物：苏晓\n△ 苏晓靠着车窗。\n司机画外音：前方到站，人民医院。\n"
    shots = plan(parse_text(text, source=tmp_path / "ep.txt"), 0, project).shots
    heard = _one(shots, "人民医院")
    assert _names(heard) == {"苏晓"} and not _speaking(heard), "the driver is heard over the listener"
    with pytest.raises(DramaError) as refused:
        plan(parse_text(text.replace("司机画外音", "林婉画外音"), source=tmp_path / "ep.txt"), 0, project)
    assert "林婉" in refused.value.message and "林晚" in (refused.value.hint or "")
