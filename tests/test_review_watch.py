"""`drama review --watch`: the page follows the screenplay. A save re-plans within a second; the event stream
(/api/watch, server-sent events) sends each revision — shots added or changed with their fields, check findings
with their lines and cards — and obeys the same access rules as every other route; in real Chromium the page
updates in place, without a reload."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from drama.project import Project
from drama.review.security import Access
from drama.review.server import create_app
from drama.review.session import ReviewSession
from test_review_browser import CHROMIUM, browser, card, screenshot, serving  # noqa: F401 - browser is a fixture

LINE = "顾承泽：（淡淡）嗯。"
EDITED = "顾承泽：（淡淡）嗯，知道了。"
STRANGER = "林晚：我也来了。"  # nobody of that name in the demo's cast
LONG = "沈清：我也来了。" + "今晚这场订婚宴，我等了整整三年，每一个细节我都记得清清楚楚，一个也不会放过。" * 2
LAN = "192.168.1.20"


@pytest.fixture
def watched(tiny_demo):
    session = ReviewSession.start(Project.load(tiny_demo), "ep01", watch=True)
    yield session
    session.close()


def script(session: ReviewSession) -> Path:
    return session.project.root / "episodes" / "ep01.txt"


def replace(path: Path, old: str, new: str) -> None:
    """Save `path` with `old` replaced by `new`, as an editor would."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, line: str) -> int:
    """The 1-based number of the line that starts with `line`."""
    [number] = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.startswith(line)]
    return number


def add_stranger(path: Path) -> int:
    """Save a line by someone not in the cast after 沈清's 承泽 line; its line number."""
    replace(path, "沈清：承泽，你的订婚宴，我怎么能不来？\n", f"沈清：承泽，你的订婚宴，我怎么能不来？\n{STRANGER}\n")
    return line_of(path, STRANGER)


def test_each_save_is_a_revision_with_marks_and_findings(watched):
    watch, path = watched.watch, script(watched)
    assert watch.poll() and not watch.poll(), "the first look plans; nothing changed, nothing more"
    first = watch.latest
    assert first.number == 1 and first.error is None and first.marks == [] and first.shots > 5
    assert not first.replanned

    replace(path, LINE, EDITED)
    line = line_of(path, EDITED)
    assert watch.poll()
    edited = watch.latest
    [mark] = edited.marks
    assert edited.replanned
    text = next(f for f in mark.fields if f.field == "text")
    assert mark.change == "changed" and (text.before, text.after) == ("嗯。", "嗯，知道了。")
    shot = next(s for s in watched.prepared().storyboard.shots if s.id == mark.shot)
    assert shot.text == "嗯，知道了。" and line in shot.source_lines

    line = add_stranger(path)
    assert watch.poll()
    broken = watch.latest
    assert broken.error and "林晚" in broken.error and f"episodes/ep01.txt:{line}" in broken.error
    assert broken.marks == edited.marks and broken.shots == first.shots, "the cards stay as last planned, and so do their marks"
    speaker = next(f for f in broken.findings if f.kind == "speaker")
    assert (speaker.severity, speaker.where, speaker.line) == ("error", f"episodes/ep01.txt:{line}", line)
    assert speaker.shots == [], "a plan that failed has no cards of its lines"

    (path.parent.parent / "cast.toml").write_text(
        (path.parent.parent / "cast.toml").read_text(encoding="utf-8") + '\n[[character]]\nname = "林晚"\n',
        encoding="utf-8")
    assert watch.poll()
    fixed = watch.latest
    assert fixed.error is None and fixed.shots == first.shots + 1, "cast.toml is read again: 林晚 is cast now"
    assert fixed.replanned, "marked against the last plan that worked, before the save that broke it"
    [added] = [mark for mark in fixed.marks if mark.change == "added"]
    assert next(s for s in watched.prepared().storyboard.shots if s.id == added.shot).text == "我也来了。"

    replace(path, f"{STRANGER}\n", "")
    assert watch.poll()
    [removed] = watch.latest.removed
    assert (removed.speaker, removed.text) == ("林晚", "我也来了。")
    assert all(mark.change == "changed" for mark in watch.latest.marks), "the scene's wide shot no longer shows 林晚"


def test_a_file_gone_mid_save_or_a_broken_cast_is_said_and_followed_on(watched):
    watch, path = watched.watch, script(watched)
    watch.poll()
    aside = path.rename(path.parent.parent / "ep01.txt.saving")  # an editor saving by rename, caught between the two
    assert watch.poll() and "no screenplays found" in watch.latest.error
    aside.rename(path)
    assert watch.poll() and watch.latest.error is None and watch.latest.marks == [], "back as it was: nothing changed"
    cast = path.parent.parent / "cast.toml"
    cast.write_text("[[character]\nname = 'x'\n", encoding="utf-8")
    assert watch.poll() and watch.latest.error.startswith("cast.toml:1: not valid TOML")
    parse = next(f for f in watch.latest.findings if f.kind == "parse")
    assert (parse.severity, parse.where) == ("error", "cast.toml:1")


def events(response: httpx.Response):
    """Server-sent events as dicts of their fields, as they arrive."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def test_the_event_stream_sends_a_revision_after_each_save(watched):
    with serving(watched) as url, httpx.stream("GET", url + "api/watch", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = events(response)
        assert next(stream) == {"retry": "1000"}
        first = next(stream)
        assert (first["id"], first["event"]) == ("1", "revision")
        assert json.loads(first["data"])["marks"] == []
        saved = time.monotonic()
        replace(script(watched), LINE, EDITED)
        second = next(stream)
        assert time.monotonic() - saved < 1.5, "within a second of the save (and the poll), on a shared machine"
        data = json.loads(second["data"])
        assert (second["id"], data["number"], data["error"]) == ("2", 2, None)
        [mark] = data["marks"]
        assert mark["change"] == "changed" and {"field": "text", "before": "嗯。", "after": "嗯，知道了。"} in mark["fields"]


def test_the_event_stream_obeys_the_access_rules(watched, tiny_demo):
    shared = Access.for_bind("0.0.0.0", [LAN])
    client = TestClient(create_app(watched, access=shared), base_url=f"http://{LAN}:8765")
    refused = client.get("/api/watch")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    assert "log in" in refused.json()["error"]
    assert client.get("/api/watch", headers={"host": "evil.example"}).status_code == 400
    local = TestClient(create_app(watched), base_url="http://127.0.0.1:8765")
    assert local.get("/api/watch", headers={"host": "0.0.0.0:8765"}).status_code == 400
    cross = local.get("/api/watch", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "cors"})
    assert cross.status_code == 403
    plain = ReviewSession.start(Project.load(tiny_demo), "ep01")
    try:
        off = TestClient(create_app(plain), base_url="http://127.0.0.1:8765").get("/api/watch")
        assert off.status_code == 404 and "--watch" in off.json()["error"]
    finally:
        plain.close()


def test_drama_review_watch_from_the_command_line(tiny_demo):
    """The command a writer runs: it says it is watching, streams a save, and Ctrl-C ends it at once though a page
    (here httpx) still holds the stream open."""
    process = subprocess.Popen([sys.executable, "-m", "drama", "review", str(tiny_demo), "--watch", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", process.stdout.readline()).group(0)
        assert "watching episodes/" in process.stdout.readline()
        with httpx.stream("GET", url + "api/watch", timeout=10) as response:
            stream = events(response)
            assert next(stream) == {"retry": "1000"} and next(stream)["id"] == "1"
            replace(tiny_demo / "episodes" / "ep01.txt", LINE, EDITED)
            assert '"after":"嗯，知道了。"' in next(stream)["data"]
            stopped = time.monotonic()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 130  # interrupted, as every drama command says it
            assert time.monotonic() - stopped < 10
    finally:
        process.kill()
    assert "Traceback" not in process.stderr.read()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: apt-get install chromium")
def test_the_page_follows_the_screenplay_without_a_reload(watched, browser):  # noqa: F811 - the fixture
    path = script(watched)
    with serving(watched) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.wait_for_selector("#watch-status >> text=planned")
        page.evaluate("window.notReloaded = true")
        shots = page.locator(".shot").count()

        replace(path, LINE, EDITED)
        changed = page.locator(".shot.changed", has_text="嗯，知道了。")
        changed.wait_for(timeout=5000)
        assert changed.locator(".mark").inner_text().lower() == "changed"
        assert "嗯。 → 嗯，知道了。" in changed.locator(".changes").inner_text()
        assert page.locator(".shot").count() == shots

        line = add_stranger(path)
        finding = page.locator("#watch-findings .finding.error", has_text="林晚")
        finding.wait_for(timeout=5000)
        assert finding.locator(".where").inner_text() == f"episodes/ep01.txt:{line}"
        assert page.locator("#watch-error").is_visible() and "林晚" in page.locator("#watch-error").inner_text()
        assert page.locator(".shot").count() == shots, "the cards stay as the last plan that worked"
        assert not page.locator("#flash").is_visible(), "the panel says it, not an error flash"
        screenshot(page, "review-watch-broken")

        replace(path, f"{STRANGER}\n", LONG + "\n")
        line = line_of(path, LONG)
        added = page.locator(".shot.added", has_text="今晚这场订婚宴")
        added.first.wait_for(timeout=5000)
        assert added.first.locator(".mark").inner_text().lower() == "new"
        on_card = added.first.locator(".findings .finding", has_text="longer than one shot")
        assert on_card.locator(".where").inner_text() == f"line {line}"
        assert page.locator("#watch-error").is_hidden()
        assert page.locator("#watch-findings .finding", has_text="longer than one shot").first.locator(
            ".where").inner_text() == f"episodes/ep01.txt:{line}"
        added.first.scroll_into_view_if_needed()
        screenshot(page, "review-watch")
        assert page.evaluate("window.notReloaded") is True, "updated in place, never reloaded"
        assert not errors, errors
        page.close()
