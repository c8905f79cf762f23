"""The review card explains the planner's blocking: its notes (who "He" was taken to be, why an insert, a crowd),
Fountain dual dialogue with both speakers, both lines and how long each voice lasts, and the props and extras on
screen. The page's data comes from the real session on a tiny Fountain project voiced offline; one check runs
the page in Debian's Chromium. A card screenshot goes to $DRAMA_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import pytest

from drama.pipeline import prepare_episode
from drama.project import Project
from drama.review.session import ReviewSession
from drama.voice.timing import END_PAUSES

SCRIPT = """Title: Notes

EXT. ROOFTOP - NIGHT

Maya waits by the door. Leo steps out of the rain.

LEO
Sorry.

MAYA ^
Don't be sorry, just be gone before the sirens come.

He pockets the ring.

The crowd cheers below.
"""
CAST = """
[[character]]
name = "Maya"
aliases = ["MAYA"]
description = "woman in her thirties, black hoodie, short dark hair"
sex = "female"

[[character]]
name = "Leo"
aliases = ["LEO"]
description = "lean man in his thirties, grey suit"
sex = "male"
"""
CONFIG = """title = "Notes"
language = "en"

[video]
aspect = "9:16"
width = 144
height = 256
fps = 12

[render]
engine = "previz"
draws = 1

[voice]
backend = "offline"
"""


@pytest.fixture
def session(tmp_path: Path):
    root = tmp_path / "notes"
    (root / "episodes").mkdir(parents=True)
    (root / "drama.toml").write_text(CONFIG, encoding="utf-8")
    (root / "cast.toml").write_text(CAST, encoding="utf-8")
    (root / "episodes" / "ep01.fountain").write_text(SCRIPT, encoding="utf-8")
    project = Project.load(root)
    prepare_episode(project, "ep01", speak=True)  # voiced, as `drama voice` does before the page is opened
    session = ReviewSession.start(project, "ep01")
    yield session
    session.close()


def _shot(view: dict, words: str) -> dict:
    found = [shot for shot in view["shots"] if words in (shot["text"] or "") or words in (shot["action"] or "")]
    assert len(found) == 1, f"{words!r}: {len(found)} shots"
    return found[0]


def _seconds(session: ReviewSession, url: str) -> float:
    with wave.open(str(session.project.root / url.removeprefix("/media/")), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def test_the_card_data_says_why_and_shows_the_dual_line(session):
    view = session.view()
    sorry = _shot(view, "Sorry.")
    assert sorry["speaker"] == "Leo"
    assert {k: sorry["dual"][k] for k in ("speaker", "text", "parenthetical")} == {
        "speaker": "Maya", "text": "Don't be sorry, just be gone before the sirens come.", "parenthetical": None}
    assert any("dual" in note for note in sorry["notes"])

    # each line's voice is its own audio, the shot's first, the dual line's second; the shot lasts the longer
    cut = next(item for item in view["cut"] if item["shot_id"] == sorry["id"])
    own, dual = cut["audio"]
    assert sorry["voice"] == pytest.approx(_seconds(session, own), abs=1e-3)
    assert sorry["dual"]["voice"] == pytest.approx(_seconds(session, dual), abs=1e-3)
    assert sorry["dual"]["voice"] > sorry["voice"] + 1.0  # the long line is heard well past the short one
    assert sorry["duration"] == pytest.approx(sorry["dual"]["voice"] + END_PAUSES["."], abs=1e-3)
    assert cut["subtitle"].splitlines() == ["Leo: Sorry.", "Maya: Don't be sorry, just be gone before the sirens come."]

    # a ^ line is part of its shot's card, never a card or a cut item of its own
    ids = [shot["id"] for shot in view["shots"]]
    assert ids == [shot.id for shot in session.prepared().storyboard.shots]
    assert [item["shot_id"] for item in view["cut"]] == ids and not any(i.endswith("^") for i in ids)
    assert {line.shot_id for line in session.prepared().lines} == {sorry["id"], sorry["id"] + "^"}

    ring = _shot(view, "He pockets the ring.")
    assert ring["props"] == ["ring"] and ring["dual"] is None and ring["voice"] is None
    assert any("Leo" in note for note in ring["notes"]), "the card says who “He” was taken to be"
    crowd = _shot(view, "The crowd cheers below.")
    assert crowd["extras"] > 0 and any("crowd" in note.casefold() for note in crowd["notes"])


def test_the_card_shows_the_notes_in_the_browser(session):
    browser_tests = pytest.importorskip("tests.test_review_browser")  # Debian's chromium through playwright
    if browser_tests.CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    view = session.view()
    ring, sorry = _shot(view, "He pockets the ring."), _shot(view, "Sorry.")
    with browser_tests.serving(session) as url, browser_tests.sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_tests.CHROMIUM, args=browser_tests.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        why = page.locator(f"#shot-{ring['id']} .why")
        why.wait_for()
        for note in ring["notes"]:
            assert why.get_by_text(note).is_visible()
        dual = page.locator(f"#shot-{sorry['id']} .line.dual")
        assert "Maya" in dual.inner_text() and sorry["dual"]["text"] in dual.inner_text()
        assert "ring" in page.locator(f"#shot-{ring['id']} .tag.prop").inner_text()
        if folder := os.environ.get("DRAMA_SCREENSHOTS"):
            Path(folder).mkdir(parents=True, exist_ok=True)
            for name, shot in (("review-card-notes", ring), ("review-card-dual", sorry)):
                page.locator(f"#shot-{shot['id']}").screenshot(path=str(Path(folder) / f"{name}.png"))
        assert not errors, errors
        browser.close()
