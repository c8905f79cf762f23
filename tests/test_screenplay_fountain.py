"""Fountain: every element the spec defines, on the test scripts and on small targeted snippets."""

from __future__ import annotations

from pathlib import Path

import pytest

from drama.screenplay import parse_file, parse_text
from drama.screenplay.model import Dialogue, Script

SCRIPTS = Path(__file__).parent / "scripts"


def elements(script: Script) -> list:
    return [element for episode in script.episodes for scene in episode.scenes for element in scene.elements]


def only_scene(text: str):
    script = parse_text(text, dialect="fountain")
    return script.episodes[0].scenes[-1]


@pytest.fixture(scope="module")
def feature() -> Script:
    return parse_file(SCRIPTS / "feature.fountain")


def test_title_page_with_multiline_values(feature):
    assert feature.dialect == "fountain"
    assert feature.title == "THE KEEPER a short film"
    assert feature.title_page["Title"] == "THE KEEPER\na short film"  # emphasis markers removed
    assert feature.title_page["Contact"] == "Jonas Reyes\njonas@example.com"
    assert feature.title_page["Draft date"] == "2024-05-17"


def test_scene_headings_numbers_and_times(feature):
    headings = [scene.heading for scene in feature.episodes[0].scenes if scene.heading]
    assert [h.text for h in headings][:3] == ["EXT. HARBOR - DAWN", "EXT. COASTAL ROAD - MORNING",
                                             "INT. LIGHTHOUSE - STAIRWELL - CONTINUOUS"]
    first, _, stairwell = headings[:3]
    assert (first.setting, first.location, first.time, first.time_of_day, first.number) == (
        "EXT", "HARBOR", "DAWN", "dawn", "1")
    assert (stairwell.location, stairwell.time_of_day) == ("LIGHTHOUSE - STAIRWELL", "continuous")
    forced = next(h for h in headings if h.text.startswith("FLASHBACK"))
    assert forced.setting == "" and forced.time_of_day == "night" and forced.line == 95
    gallery = next(h for h in headings if h.text.startswith("INT./EXT."))
    assert gallery.setting == "INT/EXT" and gallery.number == "4"


def test_boneyard_is_removed_and_line_numbers_stay_true(feature):
    texts = [getattr(element, "text", "") for element in elements(feature)]
    assert not any("Old opening" in text or text == "Waves." for text in texts)
    source = (SCRIPTS / "feature.fountain").read_text().split("\n")
    for element in elements(feature):
        if element.type == "action":
            assert element.text.split("\n")[0].strip() in source[element.line - 1]


def test_dialogue_parentheticals_extensions_and_dual(feature):
    lines = [element for element in elements(feature) if isinstance(element, Dialogue)]
    tomas = [line for line in lines if line.character == "TOMAS"][:3]
    assert tomas[0].text == "You're late." and tomas[0].line == 33
    assert (tomas[1].parenthetical, tomas[1].text.split("\n")) == (
        "beat", ["Same thing, out here.", "He finally looks at her.", "Your father would have said so."])
    assert tomas[2].dual and tomas[2].text == "Most of them true."
    radio = next(line for line in lines if line.character == "RADIO ANNOUNCER")
    assert radio.extension == "V.O." and radio.voiceover
    assert radio.text == "Storm warning for the northern islands. Stay indoors."
    assert radio.spans[-1].styles == ("italic",)
    contd = next(line for line in lines if line.extension == "CONT'D")
    assert (contd.character, contd.parenthetical, contd.voiceover) == ("ADA", "calling up", False)
    offscreen = next(line for line in lines if line.extension == "O.S.")
    assert offscreen.voiceover


def test_transitions_and_their_kinds(feature):
    transitions = [(e.text, e.kind) for e in elements(feature) if e.type == "transition"]
    assert transitions == [("FADE IN:", "fade_in"), ("CUT TO:", "cut"), ("SMASH CUT TO:", "smash_cut"),
                           ("DISSOLVE TO:", "dissolve"), ("MATCH CUT TO:", "match_cut"),
                           ("FADE TO BLACK.", "fade_to_black")]


def test_centered_notes_sections_synopsis_page_break_lyrics(feature):
    found = elements(feature)
    assert [e.text for e in found if e.type == "title_card"] == ["CHAPTER TWO", "THE END"]
    notes = [e for e in found if e.type == "note"]
    assert [(n.text, n.camera) for n in notes] == [("CLOSE UP on her hands on the wheel", True),
                                                   ("Hold on her face. Let the sound drop out.", False)]
    pier = next(e for e in found if e.type == "action" and e.text.startswith("ADA (30s)"))
    assert pier.notes == ["Use the drone plate here"] and "[[" not in pier.text
    assert [(e.level, e.text) for e in found if e.type == "section"] == [(1, "Act One"), (2, "The Return")]
    assert [e.type for e in found].count("page_break") == 1
    assert any(e.type == "synopsis" and e.text.startswith("Ada returns") for e in found)
    father = next(e for e in found if e.type == "dialogue" and e.character == "FATHER")
    assert father.text == "Keep the light, keep the light,\nsomeone's sailing home tonight."


def test_forced_action_and_indentation(feature):
    found = elements(feature)
    assert any(e.type == "action" and e.text == "BANG. A door somewhere above slams." for e in found)
    assert any(e.type == "action" and e.text == "    The pier creaks under her." for e in found)


def test_short_script():
    script = parse_file(SCRIPTS / "short.fountain")
    assert script.title == "LAST TRAIN" and len(script.episodes) == 1
    scene = script.episodes[0].scenes[-1]
    assert scene.heading.location == "SUBWAY CAR" and scene.heading.time_of_day == "night"
    maya = next(e for e in scene.elements if e.type == "dialogue")
    assert (maya.character, maya.parenthetical, maya.text) == ("MAYA", "to herself", "One more stop.")


def test_forced_cue_lyrics_and_forced_transition():
    scene = only_scene("INT. ROOM - DAY\n\n@McCLANE\nYippee.\n\n~La la la\n~la la\n\n> Burn to white.\n")
    assert [e.type for e in scene.elements] == ["dialogue", "lyrics", "transition"]
    assert scene.elements[0].character == "McCLANE"
    assert scene.elements[1].text == "La la la\nla la"
    assert scene.elements[2].text == "Burn to white."


@pytest.mark.parametrize("line, kind, color", [
    ("BURN TO PINK.", "dip", "#ffc0cb"), ("> Burn to white.", "dip", "#ffffff"), ("DISSOLVE TO WHITE.", "dip", "#ffffff"),
    ("FADE TO RED.", "dip", "#ff0000"), ("FADE OUT TO HOT PINK.", "dip", "#ff69b4"), ("> DIP TO #1E90FF", "dip", "#1e90ff"),
    ("DIP TO BLACK.", "fade_to_black", None), ("FADE TO BLACK.", "fade_to_black", None), ("DISSOLVE TO:", "dissolve", None),
])
def test_coloured_transitions_are_dips(line, kind, color):
    (_, transition, _) = only_scene(f"INT. ROOM - DAY\n\nShe waits.\n\n{line}\n\nShe leaves.\n").elements
    assert (transition.type, transition.kind, transition.color) == ("transition", kind, color)


def test_an_upper_case_line_naming_no_colour_is_not_a_dip():
    (action,) = only_scene("INT. ROOM - DAY\n\nDISSOLVE TO THE PIER.\n").elements
    assert action.type == "action"


def test_multiline_note_and_boneyard_inside_dialogue():
    text = "INT. ROOM - DAY\n\nBOB\nHello [[a note\nthat continues]] there.\n/* cut\nthis */\nBye.\n"
    scene = only_scene(text)
    (bob,) = scene.elements
    assert bob.text == "Hello there.\nBye." and bob.notes == ["a note that continues"] and bob.line == 3


def test_emphasis_escapes_and_nesting():
    scene = only_scene("INT. ROOM - DAY\n\nShe says \\*not\\* ***both*** and **bold _under_**.\n")
    (action,) = scene.elements
    assert action.text == "She says *not* both and bold under."
    styled = {span.text: span.styles for span in action.spans if span.styles}
    assert styled == {"both": ("bold", "italic"), "bold ": ("bold",), "under": ("bold", "underline")}


def test_episode_sections_split_episodes():
    script = parse_text("# Episode 1: Pilot\n\nINT. A - DAY\n\nHi.\n\n# Episode 2\n\nEXT. B - NIGHT\n\nBye.\n")
    assert [(e.number, e.title) for e in script.episodes] == [(1, "Pilot"), (2, None)]
    assert script.episodes[1].scenes[0].heading.location == "B"


def test_crlf_and_tabs():
    scene = only_scene("INT. ROOM - DAY\r\n\r\nBOB\r\nHi.\r\n\r\n\tTabbed action.\r\n")
    assert scene.elements[0].text == "Hi." and scene.elements[1].text == "    Tabbed action."
    assert scene.elements[1].line == 6


def test_uppercase_line_without_dialogue_is_action_and_two_spaces_keep_dialogue_together():
    scene = only_scene("INT. ROOM - DAY\n\nBOOM!\n\nBOB\nOne.\n  \nTwo.\n")
    assert scene.elements[0].type == "action"
    assert scene.elements[1].text == "One.\n\nTwo."


def test_fade_in_right_above_a_heading_keeps_the_heading():
    script = parse_text("FADE IN:\nEXT. PIER - NIGHT\n\nThe tide comes in.\n\nCUT TO:\n.SNIPER SCOPE POV\n\nA red dot.\n",
                        dialect="fountain")
    scenes = script.episodes[0].scenes
    assert [scene.heading.location for scene in scenes if scene.heading] == ["PIER", "SNIPER SCOPE POV"]
    found = elements(script)
    assert [(e.type, getattr(e, "kind", None)) for e in found if e.type == "transition"] == [
        ("transition", "fade_in"), ("transition", "cut")]
