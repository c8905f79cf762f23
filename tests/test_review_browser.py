"""The review page in real headless Chromium (Debian's, driven by Playwright; no browser download):
pick by click and by key, draw one more, edit a shot's move and see the redraw — checking the state on disk
after each step. Screenshots at phone and desktop sizes go to $DRAMA_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.review.server import create_app
from drama.review.session import ReviewSession

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: apt-get install chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def serving(session: ReviewSession) -> Iterator[str]:
    """The review app of `session` on a free port of 127.0.0.1, in a thread; yields its URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(session), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served(tiny_demo):
    project = Project.load(tiny_demo)
    storyboard = prepare_episode(project, "ep01", speak=True).storyboard  # voiced, as `drama render` and the page draw
    drawn = [shot.id for shot in storyboard.shots if shot.kind != "title_card"][:2]
    render_shots(project, storyboard, draws=2, shot_ids=drawn)
    session = ReviewSession.start(project, "ep01")
    with serving(session) as url:
        yield session, url, drawn
    session.close()


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def card(page, shot_id):
    return page.locator(f"#shot-{shot_id}")


def screenshot(page, name):
    folder = os.environ.get("DRAMA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_pick_draw_and_edit_in_the_browser(served, browser):
    session, url, (first, second) = served
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector(f"#shot-{first} .draw video")
    assert card(page, first).locator(".draw").count() == 2
    assert card(page, first).locator(".draw.picked .pickmark").inner_text() == "best"
    screenshot(page, "review-desktop")

    # pick by click
    chosen = card(page, first).locator(".draw").nth(1).get_attribute("data-candidate")
    card(page, first).locator(".draw").nth(1).click()
    page.wait_for_selector(f"#shot-{first} .draw.picked[data-candidate='{chosen}'] >> text=picked")
    with StateStore(session.project) as store:
        assert store.creator_pick(first).id == chosen

    # pick by key: focus the second drawn shot with j, then press 2
    page.locator("body").click(position={"x": 5, "y": 5})
    page.evaluate("window.scrollTo(0, 0)")
    index_first = int(card(page, first).get_attribute("data-index"))
    index_second = int(card(page, second).get_attribute("data-index"))
    card(page, first).click(position={"x": 5, "y": 5})
    for _ in range(index_second - index_first):
        page.keyboard.press("j")
    assert "focused" in card(page, second).get_attribute("class")
    by_key = card(page, second).locator(".draw").nth(1).get_attribute("data-candidate")
    page.keyboard.press("2")
    page.wait_for_selector(f"#shot-{second} .draw.picked[data-candidate='{by_key}']")
    with StateStore(session.project) as store:
        assert store.creator_pick(second).id == by_key

    # draw one more and see it appear
    card(page, first).locator("button.draw-more").click()
    page.wait_for_function(f"document.querySelectorAll('#shot-{first} .draw').length === 3", timeout=60_000)
    with StateStore(session.project) as store:
        assert len(store.candidates(first)) == 3

    # edit the move and see the redraw
    move = card(page, first).locator(".tags .tag").nth(2).inner_text().split()[0]
    new_move = "orbit" if move != "orbit" else "crane"
    card(page, first).locator("button.edit-shot").click()
    form = card(page, first).locator("form.edit")
    form.locator("select[name=move]").select_option(new_move)
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        f"[...document.querySelectorAll('#shot-{first} .draw')].filter(d => !d.classList.contains('stale')).length >= 1"
        f" && document.querySelector('#shot-{first} .tags').textContent.includes('{new_move}')"
        f" && !document.querySelector('#shot-{first} progress')", timeout=90_000)
    with StateStore(session.project) as store:
        assert store.override(first).move.value == new_move
        current = [c for c in store.candidates(first) if not c.stale]
        stale = [c for c in store.candidates(first) if c.stale]
        assert len(current) == 2 and len(stale) == 3, "the project's draws for the new version; earlier ones kept"
        assert {c.shot_key for c in current}.isdisjoint({c.shot_key for c in stale})
    assert card(page, first).locator(".draw.stale").count() == 3, "earlier draws stay, marked stale"
    assert not errors, errors

    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.goto(url)
    phone.wait_for_selector(f"#shot-{first} .draw video")
    screenshot(phone, "review-phone")
