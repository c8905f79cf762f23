"""The review server under hostile and shared use: capped bodies (a huge one is never read whole), bounded JSON,
absurd paths, Host names, the login a colleague on the LAN needs, and the `drama review` arguments that turn sharing
on — each refusal a clear 4xx, never a 500. Real app, real project copy, no mocks."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import unquote

import httpx
import pytest
from starlette.testclient import TestClient

from drama.cli import main
from drama.errors import DramaError
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.review.security import MAX_BODY, MAX_JSON_DEPTH, Access, host_name
from drama.review.server import create_app
from drama.review.session import ReviewSession

LAN = "192.168.1.20"


@pytest.fixture
def session(tiny_demo):
    session = ReviewSession.start(Project.load(tiny_demo), None)
    yield session
    session.close()


@pytest.fixture
def shot_id(session):
    return next(shot.id for shot in session.prepared().storyboard.shots if shot.kind != "title_card")


@pytest.fixture
def local(session):
    """The server as `drama review PROJECT` runs it: this machine only, no login."""
    return TestClient(create_app(session), base_url="http://127.0.0.1:8765")


@pytest.fixture
def shared(session):
    """The server as `drama review PROJECT --host 0.0.0.0 --allow-host 192.168.1.20` runs it."""
    access = Access.for_bind("0.0.0.0", [LAN])
    return TestClient(create_app(session, access=access), base_url=f"http://{LAN}:8765"), access


def token(session):
    return {"x-drama-token": session.token}


def basic(password, user="colleague"):
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --- bodies ---------------------------------------------------------------------------------------------------

def post_streamed(session, url, total, chunk=16 * 1024, headers=None):
    """POST `total` bytes in chunks through the ASGI interface, which pulls each chunk only when the app asks for
    it; returns the response and how many bytes the app pulled."""
    pulled = 0

    async def body():
        nonlocal pulled
        for _ in range(total // chunk):
            pulled += chunk
            yield b" " * chunk

    async def send():
        transport = httpx.ASGITransport(app=create_app(session))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as client:
            return await client.post(url, content=body(), headers={**token(session), **(headers or {})})

    return asyncio.run(send()), pulled


def test_a_huge_body_is_refused_after_reading_no_more_than_the_cap(session, shot_id):
    response, pulled = post_streamed(session, f"/api/shots/{shot_id}/edit", 200 * 1024 * 1024)
    assert response.status_code == 413 and "larger than 64 KB" in response.json()["error"]
    assert MAX_BODY < pulled <= MAX_BODY + 16 * 1024, f"the server read {pulled} bytes of a 200 MB body"


def test_a_body_declared_too_large_is_refused_unread(session, shot_id):
    response, pulled = post_streamed(session, f"/api/shots/{shot_id}/edit", 200 * 1024 * 1024,
                                     headers={"content-length": str(200 * 1024 * 1024)})
    assert response.status_code == 413 and pulled == 0


def test_a_body_under_the_cap_reaches_the_route(local, session, shot_id):
    candidate = "x" * (MAX_BODY - 100)
    response = local.post(f"/api/shots/{shot_id}/pick", json={"candidate": candidate}, headers=token(session))
    assert response.status_code == 400 and "has no candidates" in response.json()["error"]


# --- JSON -----------------------------------------------------------------------------------------------------

def nested(levels):
    return b'{"candidate":' + b"[" * (levels - 1) + b'"a"' + b"]" * (levels - 1) + b"}"


@pytest.mark.parametrize("body,message", [
    (nested(MAX_JSON_DEPTH + 1), f"deeper than {MAX_JSON_DEPTH} levels"),
    (b"[" * 30_000 + b"]" * 30_000, f"deeper than {MAX_JSON_DEPTH} levels"),  # what overflowed json.loads
    (b'{"candidate":' + b"7" * 5000 + b"}", "number in the request body is longer"),
    (b'{"candidate":0.' + b"3" * 5000 + b"}", "number in the request body is longer"),
    (b'{"candidate":NaN}', "NaN is not a number"),
    (b'{"candidate":"caf\xe9"}', "not UTF-8"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"candidate"', "must be a JSON object"),
    (b'{"candidate": "a"', "not JSON"),
])
def test_bad_json_gets_a_400_naming_the_problem(local, session, shot_id, body, message):
    response = local.post(f"/api/shots/{shot_id}/pick", content=body, headers=token(session))
    assert response.status_code == 400 and message in response.json()["error"]


@pytest.mark.parametrize("body", [
    nested(MAX_JSON_DEPTH),  # exactly at the limit
    b'{"candidate":"' + b"[" * 100 + b'"}',  # brackets inside a string are text, not nesting
    b'{"candidate":"\\"' + b"[" * 100 + b'\\""}',  # nor after an escaped quote
])
def test_json_within_the_limits_reaches_the_route(local, session, shot_id, body):
    response = local.post(f"/api/shots/{shot_id}/pick", content=body, headers=token(session))
    assert response.status_code == 400 and "has no candidates" in response.json()["error"]


# --- the edit form --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,message", [
    ({"promt": "a hallway at night"}, "unknown field 'promt' in the edit form (did you mean 'prompt'?)"),
    ({"move": "pan", "speed": 2}, "unknown field 'speed'"),
])
def test_unknown_edit_fields_are_refused_by_name(local, session, shot_id, body, message):
    response = local.post(f"/api/shots/{shot_id}/edit", json=body, headers=token(session))
    assert response.status_code == 400 and message in response.json()["error"]
    with StateStore(session.project) as store:
        assert shot_id not in store.overrides(), "a refused edit stored nothing"


def test_unknown_fields_of_the_other_actions_are_refused(local, session, shot_id):
    response = local.post(f"/api/shots/{shot_id}/draw", json={"cuont": 2}, headers=token(session))
    assert response.status_code == 400 and "did you mean 'count'?" in response.json()["error"]
    response = local.post("/api/export", json={"format": "mov"}, headers=token(session))
    assert response.status_code == 400 and "unknown field 'format'" in response.json()["error"]


# --- paths ----------------------------------------------------------------------------------------------------

def get_raw(app, raw_path, headers):
    """A GET through the ASGI interface itself, the path exactly as given (as `curl --path-as-is` sends it, and
    as uvicorn decodes it), even longer than HTTP clients agree to send (httpx stops at 64 KB and removes `..`);
    returns the status and the JSON body."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote(raw_path), "raw_path": raw_path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()], "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8765)}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


@pytest.mark.parametrize("name,status", [
    ("a" * 8 * 1024, 414), ("refs/" + "a" * 8 * 1024 + ".png", 414),
    ("a" * 300, 404),  # one name longer than any file system allows
    ("/".join(["a" * 250] * 14), 404),  # each name allowed, the whole path longer than the OS takes
    ("refs/%ff%fe.png", 404), ("refs/%00.png", 404), ("../outside.txt", 404), ("refs/../../outside.txt", 404),
    ("..%2Foutside.txt", 404), ("%2Fetc%2Fpasswd", 404), ("refs/..%5C..%5Coutside.txt", 404),
], ids=lambda value: value if isinstance(value, int) or len(value) < 40 else f"{len(value)}-chars")
def test_absurd_media_paths_are_404_or_414_not_500(session, name, status):
    (session.project.root.parent / "outside.txt").write_text("secret")
    answer, body = get_raw(create_app(session), f"/media/{name}", {"host": "127.0.0.1:8765"})
    assert answer == status and body["error"]


def test_a_64_kb_media_name_is_414_with_or_without_login(session):
    local = create_app(session)
    name = "/media/" + "a" * 64 * 1024
    status, body = get_raw(local, name, {"host": "127.0.0.1:8765"})
    assert status == 414 and "longer than" in body["error"]
    access = Access.for_bind("0.0.0.0", [LAN])
    shared = create_app(session, access=access)
    assert get_raw(shared, name, {"host": LAN})[0] == 401, "without the login nothing else is said"
    assert get_raw(shared, name, {"host": LAN, **basic(access.password)})[0] == 414


def test_traversal_is_refused_when_logged_in(shared, session):
    client, access = shared
    (session.project.root.parent / "outside.txt").write_text("secret")
    for path in ("../outside.txt", "..%2Foutside.txt", "%2Fetc%2Fpasswd", "refs/../../outside.txt"):
        status, body = get_raw(client.app, f"/media/{path}", {"host": LAN, **basic(access.password)})
        assert status == 404 and "secret" not in json.dumps(body)
    assert client.get("/media/drama.toml", headers=basic(access.password)).status_code == 200


# --- hosts ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8765", "0.0.0.0", "0.0.0.0:8765", "[::]:8765",
                                  "192.168.1.20:8765", "", "127.0.0.1.attacker.example"])
def test_a_local_server_answers_only_to_loopback_names(local, session, host):
    for path in ("/", "/api/episode", "/static/review.js", "/media/drama.toml"):
        response = local.get(path, headers={"host": host})
        assert response.status_code == 400 and session.token not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765"])
def test_a_local_server_needs_no_login(local, session, host):
    page = local.get("/", headers={"host": host})
    assert page.status_code == 200 and session.token in page.text


@pytest.mark.parametrize("host", ["0.0.0.0", "0.0.0.0:8765", "127.0.0.1:8765", "localhost", "attacker.example"])
def test_a_shared_server_refuses_every_host_not_allowed_even_logged_in(shared, session, host):
    client, access = shared
    response = client.get("/", headers={"host": host, **basic(access.password)})
    assert response.status_code == 400 and session.token not in response.text


def test_requests_from_another_sites_pages_are_refused(local, session):
    for site in ("cross-site", "same-site"):
        scripted = local.get("/api/episode", headers={"sec-fetch-site": site, "sec-fetch-mode": "cors"})
        assert scripted.status_code == 403
        embedded = local.get("/media/drama.toml", headers={"sec-fetch-site": site, "sec-fetch-mode": "no-cors"})
        assert embedded.status_code == 403
    followed = local.get("/", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"})
    assert followed.status_code == 200, "a link to the page from elsewhere still opens it"
    own = local.get("/api/episode", headers={"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors"})
    assert own.status_code == 200


# --- login ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/episode", "/static/review.js", "/media/drama.toml"])
def test_a_shared_server_serves_nothing_without_login(shared, session, path):
    client, access = shared
    for headers in ({}, basic("wrong-password"), basic(access.password[:-1]), basic(access.password + "x"),
                    {"authorization": f"Bearer {access.password}"}, {"authorization": "Basic !!not-base64!!"},
                    {"authorization": "Basic " + base64.b64encode(access.password.encode()).decode()}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Basic realm=")
        assert session.token not in response.text and access.password not in response.text
    assert client.get(path, headers=basic(access.password)).status_code == 200


def test_a_logged_in_colleague_uses_the_page_and_still_needs_the_token(shared, session, shot_id):
    client, access = shared
    page = client.get("/", headers=basic(access.password, user="anyone"))
    assert page.status_code == 200 and session.token in page.text
    assert client.get("/api/episode", headers=basic(access.password)).json()["episode"] == "ep01"
    url = f"/api/shots/{shot_id}/pick"
    assert client.post(url, json={"candidate": "x"}).status_code == 401
    assert client.post(url, json={"candidate": "x"}, headers=basic(access.password)).status_code == 403
    answer = client.post(url, json={"candidate": "x"}, headers={**basic(access.password), **token(session)})
    assert answer.status_code == 400 and "has no candidates" in answer.json()["error"]


def test_loopback_with_an_allowed_name_asks_a_login_only_under_that_name(session):
    """`--allow-host review.test` on a loopback server (behind an SSH tunnel or a proxy): this machine's own
    names work as ever, the shared name needs the password."""
    access = Access.for_bind("127.0.0.1", ["review.test"])
    client = TestClient(create_app(session, access=access), base_url="http://127.0.0.1:8765")
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"host": "review.test:8765"}).status_code == 401
    assert client.get("/", headers={"host": "review.test:8765", **basic(access.password)}).status_code == 200


def test_each_run_has_its_own_password():
    first, second = Access.for_bind("0.0.0.0", [LAN]), Access.for_bind("0.0.0.0", [LAN])
    assert first.password != second.password and len(first.password.replace("-", "")) == 20
    assert first.password not in repr(first) + str(first), "the password stays out of logs and tracebacks"
    assert Access.for_bind("127.0.0.1").password is None, "nothing to log in to on this machine alone"


# --- the command line -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra,message", [
    ([], "add --allow-host"),
    (["--allow-host", "*"], "is not a host name or IP address"),
    (["--allow-host", f"{LAN}:8765"], "is not a host name or IP address"),
    (["--allow-host", "0.0.0.0"], "not an address a browser should use"),
    (["--allow-host", "::"], "not an address a browser should use"),
])
def test_drama_review_refuses_to_share_without_a_proper_allow_list(tiny_demo, capsys, extra, message):
    assert main(["review", str(tiny_demo), "--host", "0.0.0.0", *extra]) == 2
    out, err = capsys.readouterr()
    assert message in " ".join(err.split()) and "Traceback" not in out + err


@pytest.mark.parametrize("value,normal", [
    ("192.168.1.20:8765", "192.168.1.20"), ("Studio-Mac.local.", "studio-mac.local"), ("[FE80::1]:8765", "fe80::1"),
    ("[::1", None), ("a b", None), ("*.example.com", None), ("", None), (None, None),
])
def test_host_header_names(value, normal):
    assert host_name(value) == normal


def test_allow_host_names_are_normalised():
    access = Access.for_bind("0.0.0.0", ["Studio-Mac.local", "FE80::1", "[fe80::2]"])
    assert access.shared == {"studio-mac.local", "fe80::1", "fe80::2"} and not access.local
    with pytest.raises(DramaError, match="not a host name"):
        Access.for_bind("0.0.0.0", ["*.example.com"])


def test_drama_review_shares_behind_a_login(tiny_demo):
    """The real command and server: it prints the address and the password once, the shared name needs the
    password, this machine's own name does not, `Host: 0.0.0.0` gets nothing."""
    code = "import sys; from drama.cli import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "review", str(tiny_demo), "--port", "0", "--allow-host", "review.test"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "400"})
    try:
        lines = [process.stdout.readline() for _ in range(2)]  # the address, then the login
        address, login = re.search(r"http://review\.test:(\d+)/", lines[0]), re.search(r"password (\S+)", lines[1])
        assert address and login, f"drama review printed {lines!r}"
        port, password = int(address.group(1)), login.group(1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            shared_host = {"host": f"review.test:{port}"}
            assert client.get("/", headers=shared_host).status_code == 401
            assert client.get("/", headers={**shared_host, **basic("guess")}).status_code == 401
            page = client.get("/", headers={**shared_host, **basic(password)})
            assert page.status_code == 200 and 'data-token="' in page.text
            assert client.get("/").status_code == 200, "loopback mode is unchanged"
            assert client.get("/", headers={"host": f"0.0.0.0:{port}"}).status_code == 400
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    printed = "".join(lines) + out + err
    assert printed.count(password) == 1, "the password is printed once, in the line for the creator"


# --- in a real browser ----------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: apt-get install chromium")


@contextmanager
def serving(session, access):
    """The app on a real uvicorn server on 127.0.0.1 (a free port); yields the port."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(session, access=access), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        assert server.started, "the server did not start"
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium():
    """Headless Chromium (Debian's), with review.test resolving to this machine."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--host-resolver-rules=MAP review.test 127.0.0.1"])
        try:
            yield browser, sync_api.Error
        finally:
            browser.close()


@needs_chromium
def test_a_colleague_logs_in_and_picks_in_chromium(tiny_demo):
    """Headless Chromium opens the shared page under its LAN name: without the password, or with a wrong one, it
    gets no page; with it, the page, its data and the draws' videos load, and a click picks (login and token
    together)."""
    project = Project.load(tiny_demo)
    storyboard = prepare_episode(project, "ep01", speak=True).storyboard
    first = next(shot.id for shot in storyboard.shots if shot.kind != "title_card")
    render_shots(project, storyboard, draws=2, shot_ids=[first])
    session = ReviewSession.start(project, "ep01")
    access = Access.for_bind("127.0.0.1", ["review.test"])
    try:
        with serving(session, access) as port, chromium() as (browser, BrowserError):
            url = f"http://review.test:{port}/"
            with pytest.raises(BrowserError, match="ERR_INVALID_AUTH_CREDENTIALS"):
                browser.new_page().goto(url)  # no password to offer: the browser stops at the 401
            guesser = browser.new_context(http_credentials={"username": "colleague", "password": "a-guess"})
            page = guesser.new_page()
            assert page.goto(url).status == 401 and session.token not in page.content()

            colleague = browser.new_context(http_credentials={"username": "colleague",
                                                              "password": access.password}).new_page()
            errors: list[str] = []
            colleague.on("pageerror", lambda error: errors.append(str(error)))
            assert colleague.goto(url).status == 200
            draws = colleague.locator(f"#shot-{first} .draw")
            colleague.wait_for_selector(f"#shot-{first} .draw video")
            assert colleague.evaluate(f"""fetch(document.querySelector('#shot-{first} .draw video').src)
                                          .then(r => r.status)""") == 200, "media load behind the login"
            chosen = draws.nth(1).get_attribute("data-candidate")
            draws.nth(1).click()
            colleague.wait_for_selector(f"#shot-{first} .draw.picked[data-candidate='{chosen}']")
            assert not errors, errors
        with StateStore(project) as store:
            assert store.creator_pick(first).id == chosen
    finally:
        session.close()


@needs_chromium
def test_another_sites_page_cannot_script_the_server_in_chromium(session):
    """A page of another site (here the review page itself under localhost, another site than 127.0.0.1) fetching
    from the server: Chromium marks the request cross-site and the server refuses it, while the page's own requests
    to its own origin pass."""
    with serving(session, Access()) as port, chromium() as (browser, _):
        page = browser.new_page()
        answers: dict[str, int] = {}
        page.on("response", lambda response: answers.setdefault(response.url, response.status))
        page.goto(f"http://localhost:{port}/")
        page.wait_for_function("document.querySelectorAll('.shot').length > 0")
        page.evaluate(f"fetch('http://127.0.0.1:{port}/api/episode', {{mode: 'no-cors'}})")
        page.wait_for_function(f"performance.getEntriesByName('http://127.0.0.1:{port}/api/episode').length > 0")
        assert answers[f"http://localhost:{port}/api/episode"] == 200
        assert answers[f"http://127.0.0.1:{port}/api/episode"] == 403
