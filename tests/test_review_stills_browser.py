"""The review page's stills in real headless Chromium (the launch and skip rules of test_review_browser.py): a
shot's keyframe picked with its Pick button is marked picked and its video draws say why they are stale; a
character sheet's view picked in the Cast section shows as their reference. Screenshots go to $DRAMA_SCREENSHOTS
when it is set."""

from __future__ import annotations

import tomllib

from drama.project import Project
from drama.render import StateStore
from drama.render.sheets import draw_sheet
from drama.render.tracks import keyframe_track
from drama.review.session import ReviewSession
from test_review_browser import browser, pytestmark, screenshot, serving  # noqa: F401  (fixture, skip rules)
from test_review_keyframes import NEWCOMER, two_stage


def test_pick_a_keyframe_and_a_sheet_view_in_the_browser(tiny_demo, browser):  # noqa: F811
    cast = tiny_demo / "cast.toml"
    cast.write_text(cast.read_text(encoding="utf-8") + NEWCOMER, encoding="utf-8")
    project, (first, _) = two_stage(tiny_demo)
    draw_sheet(project, "林晚", engine="test-stills", draws=2)
    session = ReviewSession.start(Project.load(tiny_demo), "ep01")
    try:
        with serving(session) as url:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            stills = page.locator(f"#shot-{first} .keyframes .still")
            page.wait_for_selector(f"#shot-{first} .keyframes .still img")
            assert stills.count() == 2
            assert stills.nth(0).locator(".pickmark").inner_text() == "best"
            page.locator(f"#shot-{first}").scroll_into_view_if_needed()
            screenshot(page, "review-stills")

            chosen = stills.nth(1).get_attribute("data-candidate")
            stills.nth(1).locator("button.pick-still").click()
            page.wait_for_selector(f"#shot-{first} .still.picked[data-candidate='{chosen}'] .pickmark >> text=picked")
            with StateStore(session.project) as store:
                assert store.creator_pick(keyframe_track(first)).id == chosen
            reasons = page.locator(f"#shot-{first} .draws .stale-reason")
            reasons.first.wait_for()
            assert reasons.first.inner_text().endswith(f"the keyframe pick is now {chosen}")

            sheet = page.locator(".sheet[data-name='林晚']")
            front = sheet.locator(".view[data-view='front'] .still").nth(0)
            picked = front.get_attribute("data-candidate")
            page.evaluate("window.scrollTo(0, 0)")
            front.locator("button.pick-still").click()
            page.wait_for_selector(".sheet[data-name='林晚'] img.reference")
            page.wait_for_selector(f".sheet[data-name='林晚'] .still.picked[data-candidate='{picked}']")
            screenshot(page, "review-cast")
            assert tomllib.loads(cast.read_text(encoding="utf-8"))["character"][-1]["references"] == \
                ["refs/林晚-front.png"]
            assert not errors, errors
    finally:
        session.close()
