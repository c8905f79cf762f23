"""The kling engine against a fake of Kling's API: endpoints and bodies, the task protocol, recovery by
external id, every error the API answers mapped to its typed error, downloads, and keys kept secret."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from pathlib import Path

import httpx
import jwt
import pytest
from fakes.kling import ACCESS_KEY, KlingFake, SECRET_KEY, kling_in_environment
from fakes.video_tasks import no_sleep, wait, write_image
from PIL import Image

from engine.api import CameraMove, CharacterRef, RenderRequest
from engine.registry import get_engine
from engine.remote import ContentRefused, CredentialsError, RateLimited, RemoteError, RemoteTask
from engine.remote.kling import KlingEngine, Signer, aspect_ratio, prompt_text
from engine.remote.retry import with_retries

SECRETS = (ACCESS_KEY, SECRET_KEY)


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_in_environment(monkeypatch) as fake:
        yield fake


@pytest.fixture
def engine(kling: KlingFake) -> KlingEngine:
    return KlingEngine(poll_interval=0.01, timeout=5)


def request(**fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "A woman reads a letter by the window.", "width": 540, "height": 960,
                            "fps": 24, "num_frames": 48, **fields})


def created(kling: KlingFake, endpoint: str = r"[^/]+") -> list[dict]:
    return [r.json() for r in kling.requests("POST", rf"/v1/videos/{endpoint}")]


def no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# --- endpoints, bodies and the task protocol ----------------------------------------------------------------

def test_render_text_to_video_end_to_end(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    clip = get_engine("kling", poll_interval=0.01).render(request(), tmp_path)
    assert (clip.width, clip.height, clip.num_frames) == (64, 112, 24) and clip.video.exists()
    assert clip.meta["provider"] == "kling"
    [body] = created(kling, "text2video")
    assert body["model_name"] == "kling-v2-5-turbo" and body["mode"] == "std"
    assert body["duration"] == "5" and body["aspect_ratio"] == "9:16"
    assert "external_task_id" not in body and "camera_control" not in body  # not supported on v2.5-turbo
    assert body["prompt"].endswith("Static camera.")


def test_submit_poll_fetch_sends_the_key_as_external_task_id(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    task = engine.submit(request(num_frames=7 * 24), key="shot-1-draw-0")
    assert task.external_id == "shot-1-draw-0" and task.provider == "kling"
    assert task.data == {"endpoint": "text2video", "model": "kling-v2-5-turbo", "mode": "std", "duration": "10"}
    assert task.cost.units == 3.0 and abs(task.submitted - time.time()) < 5  # ms from Kling, seconds here
    [body] = created(kling)
    assert body["external_task_id"] == "shot-1-draw-0" and body["duration"] == "10"
    status = wait(engine, task)
    assert status.state == "succeeded" and status.data["duration"] == 10.1
    clip = engine.fetch(task, status, tmp_path)
    assert clip.video == tmp_path / "video.mp4" and clip.meta["task_id"] == task.task_id
    # the record survives a new process: a fresh engine polls and fetches it from its JSON alone
    again = RemoteTask.model_validate_json(task.model_dump_json())
    assert KlingEngine().poll(again).state == "succeeded"


def test_poll_reports_queued_then_running(engine: KlingEngine, kling: KlingFake):
    kling.latency = 0.4
    task = engine.submit(request(), key="k")
    assert engine.poll(task).state == "queued"
    time.sleep(0.15)
    assert engine.poll(task).state == "running"
    assert wait(engine, task).state == "succeeded"


@pytest.mark.parametrize(("frames", "duration"), [(24, "5"), (5 * 24, "5"), (6 * 24, "10"), (15 * 24, "10")])
def test_duration_is_a_string_covering_the_shot(engine: KlingEngine, kling: KlingFake, frames: int, duration: str):
    engine.submit(request(num_frames=frames), key="")
    assert created(kling)[-1]["duration"] == duration


def test_image_to_video_sends_the_first_frame_as_raw_base64(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    first = write_image(tmp_path / "first.png", (144, 256))  # 144x256: under Kling's 300 px, so re-encoded larger
    big = write_image(tmp_path / "tail.jpg", (360, 640), format="JPEG")  # within the limits: sent byte for byte
    task = engine.submit(request(first_frame=first, last_frame=big), key="i2v")
    [body] = created(kling, "image2video")
    assert not body["image"].startswith("data:") and "aspect_ratio" not in body
    with Image.open(io.BytesIO(base64.b64decode(body["image"]))) as image:
        assert image.size == (300, 533)
    assert base64.b64decode(body["image_tail"]) == big.read_bytes()
    assert wait(engine, task).state == "succeeded" and task.data["endpoint"] == "image2video"


def test_multi_image_references_take_the_first_image_of_each_character(engine: KlingEngine, kling: KlingFake,
                                                                       tmp_path: Path):
    images = [write_image(tmp_path / f"{i}.png", (300 + i, 400)) for i in range(5)]
    characters = (CharacterRef(name="Lin", reference_images=tuple(images[:3])),
                  CharacterRef(name="Wei", reference_images=tuple(images[3:])),
                  CharacterRef(name="Extra"))
    task = engine.submit(request(characters=characters, camera=CameraMove(kind="pan")), key="refs")
    [body] = created(kling, "multi-image2video")
    sent = [base64.b64decode(item["image"]) for item in body["image_list"]]
    assert sent == [images[i].read_bytes() for i in (0, 3, 1, 4)]
    assert body["model_name"] == "kling-v1-6" and "camera_control" not in body
    assert body["prompt"].endswith("The camera pans right.")
    assert wait(engine, task).state == "succeeded"


def test_first_frame_wins_over_references(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    character = CharacterRef(name="Lin", reference_images=(write_image(tmp_path / "ref.png", (300, 300)),))
    engine.submit(request(first_frame=write_image(tmp_path / "f.png", (144, 256)), characters=(character,)), key="")
    assert len(created(kling, "image2video")) == 1 and not created(kling, "multi-image2video")


V1 = {"model": "kling-v1", "mode": "std"}


@pytest.mark.parametrize(("move", "field", "value"), [
    (CameraMove(kind="pan", direction=1), "tilt", 5),  # our pan turns about y: Kling's tilt
    (CameraMove(kind="pan", direction=-1), "tilt", -5),
    (CameraMove(kind="tilt", direction=1), "pan", 5),  # our tilt turns about x: Kling's pan
    (CameraMove(kind="truck", direction=-1), "horizontal", -5),
    (CameraMove(kind="crane", direction=1, strength=2), "vertical", 10),
    (CameraMove(kind="zoom", direction=1), "zoom", -5),  # zoom in: a narrower field of view
    (CameraMove(kind="dolly_in", strength=3), "zoom", -10),
    (CameraMove(kind="dolly_out", strength=0.1), "zoom", 1),
])
def test_camera_control_where_supported(engine: KlingEngine, kling: KlingFake, move: CameraMove, field: str,
                                        value: int):
    task = engine.submit(request(camera=move, options=V1), key="")
    [body] = created(kling)
    config = body["camera_control"]["config"]
    assert body["camera_control"]["type"] == "simple" and config[field] == value
    assert [k for k, v in config.items() if v] == [field]
    assert "camera" not in body["prompt"].lower()
    assert wait(engine, task).state == "succeeded"


@pytest.mark.parametrize(("move", "options", "frames", "words"), [
    (CameraMove(kind="pan"), V1, 10 * 24, "The camera pans right."),  # 10 s: not supported
    (CameraMove(kind="tilt", direction=-1), {"model": "kling-v1", "mode": "pro"}, 48, "The camera tilts down."),
    (CameraMove(kind="orbit", direction=-1, strength=2), V1, 48, "The camera quickly orbits left around the subject."),
    (CameraMove(kind="static"), V1, 48, "Static camera."),
])
def test_camera_in_words_elsewhere(engine: KlingEngine, kling: KlingFake, move: CameraMove, options: dict,
                                   frames: int, words: str):
    engine.submit(request(camera=move, options=options, num_frames=frames), key="")
    [body] = created(kling)
    assert "camera_control" not in body and body["prompt"].endswith(words)


def test_image_to_video_camera_control_only_without_an_end_frame(engine: KlingEngine, kling: KlingFake,
                                                                  tmp_path: Path):
    first = write_image(tmp_path / "f.png", (144, 256))
    options = {"model": "kling-v1-5", "mode": "pro"}
    engine.submit(request(first_frame=first, camera=CameraMove(kind="crane"), options=options), key="a")
    engine.submit(request(first_frame=first, camera=CameraMove(kind="crane"),
                          last_frame=first, options=options), key="b")
    with_control, with_tail = created(kling, "image2video")
    assert with_control["camera_control"]["config"]["vertical"] == 5
    assert "camera_control" not in with_tail and with_tail["prompt"].endswith("The camera cranes up.")


def test_prompt_is_cut_to_2500_characters_keeping_the_camera_words():
    assert len(prompt_text("x" * 3000, "")) == 2500
    cut = prompt_text("x" * 3000, "The camera pans left.")
    assert len(cut) <= 2500 and cut.endswith(" The camera pans left.")


@pytest.mark.parametrize(("size", "ratio"), [((540, 960), "9:16"), ((1920, 1080), "16:9"), ((800, 900), "1:1"),
                                             ((700, 1000), "9:16")])
def test_aspect_ratio_nearest(size: tuple[int, int], ratio: str):
    assert aspect_ratio(*size) == ratio


def test_identity_names_model_and_mode_as_used(tmp_path: Path):
    assert KlingEngine.identity(request()) == {"model": "kling-v2-5-turbo", "mode": "std"}
    assert KlingEngine.identity(request(options={"model": "kling-v1", "mode": "pro"})) == {"model": "kling-v1",
                                                                                           "mode": "pro"}
    refs = (CharacterRef(name="Lin", reference_images=(tmp_path / "a.png",)),)
    assert KlingEngine.identity(request(characters=refs, options={"model": "kling-v2-1"}))["model"] == "kling-v1-6"


def test_estimate_from_the_price_table(monkeypatch: pytest.MonkeyPatch):
    engine = KlingEngine()
    assert engine.estimate(request()).model_dump() == {"units": 1.5, "amount": 0.21}
    assert engine.estimate(request(num_frames=8 * 24)).units == 3.0  # 10 s costs double
    assert engine.estimate(request(options={"model": "kling-v2-1", "mode": "pro"})).units == 3.5
    assert engine.estimate(request(options={"model": "kling-v2-1-master"})).amount == pytest.approx(1.4)
    assert engine.estimate(request(options={"model": "kling-v9"})).units == 10  # unknown: the safe side
    assert KlingEngine(price_per_unit=1.0).estimate(request()).amount == 1.5
    assert engine.estimate(request(options={"price_per_task": 0.5, "price_per_second": 0.1})).amount == 1.0


# --- recovery by external id ---------------------------------------------------------------------------------

def test_recover_finds_the_task_by_external_id(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    task = engine.submit(request(first_frame=write_image(tmp_path / "f.png", (144, 256))), key="lost-record")
    found = KlingEngine().recover("lost-record")  # a new process that never stored the record
    assert found is not None and found.task_id == task.task_id and found.data["endpoint"] == "image2video"
    assert wait(engine, found).state == "succeeded"
    assert KlingEngine().recover("never-submitted") is None


def test_a_lost_create_answer_is_paid_once(engine: KlingEngine, kling: KlingFake):
    kling.lose_create_answer()
    task = with_retries(lambda: engine.submit(request(), key="once"), sleep=no_sleep)
    assert kling.creates["once"] == 2 and len(kling.tasks) == 1
    assert task.task_id in kling.tasks and task.cost.units == 1.5
    assert engine.submit(request(), key="once").task_id == task.task_id  # a duplicate submit, same task
    assert len(kling.tasks) == 1


def test_a_refused_create_with_a_new_key_is_not_mistaken_for_a_duplicate(engine: KlingEngine, kling: KlingFake):
    kling.refuse(1201, "prompt is required")
    with pytest.raises(RemoteError, match="prompt is required") as caught:
        engine.submit(request(), key="fresh")
    assert caught.value.code == 1201 and not caught.value.retryable and not kling.tasks


# --- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kind", "retryable", "words"), [
    (1100, RemoteError, False, "account"),
    (1101, RemoteError, False, "top up"),
    (1102, RemoteError, False, "resource pack"),
    (1200, RemoteError, False, "refused"),
    (1201, RemoteError, False, "refused"),
    (1202, RemoteError, False, "refused"),
    (1203, RemoteError, False, "refused"),
    (1300, ContentRefused, False, "content policy"),
    (1301, ContentRefused, False, "content policy"),
    (1302, RateLimited, True, "rate limit"),
    (1303, RateLimited, True, "resource pack allows"),
    (1304, RemoteError, False, "whitelist"),
    (5000, RemoteError, True, "server error"),
    (5001, RemoteError, True, "server error"),
    (5002, RemoteError, True, "server error"),
])
def test_envelope_errors_map_to_typed_errors(engine: KlingEngine, kling: KlingFake, code: int, kind: type,
                                             retryable: bool, words: str):
    kling.refuse(code, "said the server", retry_after=2 if kind is RateLimited else None)
    with pytest.raises(RemoteError) as caught:
        engine.submit(request(), key="")
    error = caught.value
    assert type(error) is kind and error.retryable is retryable and error.code == code
    assert words in str(error) and "said the server" in str(error) and not error.billed
    if kind is RateLimited:
        assert error.retry_after == 2


@pytest.mark.parametrize(("status", "headers", "kind", "retryable", "retry_after"), [
    (429, {"retry-after": "7"}, RateLimited, True, 7.0),
    (500, {}, RemoteError, True, None),
    (502, {"content-type": "text/html"}, RemoteError, True, None),
    (403, {}, RemoteError, False, None),
    (401, {}, CredentialsError, False, None),
])
def test_answers_that_are_not_kling_envelopes(engine: KlingEngine, kling: KlingFake, status: int, headers: dict,
                                              kind: type, retryable: bool, retry_after: float | None):
    kling.answer(status, b"<html>gateway</html>", headers=headers, on="query")
    task = engine.submit(request(), key="")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert type(caught.value) is kind and caught.value.retryable is retryable
    assert caught.value.retry_after == retry_after


def test_a_dropped_connection_is_retryable(engine: KlingEngine, kling: KlingFake):
    kling.drop()
    with pytest.raises(RemoteError) as caught:
        engine.submit(request(), key="")
    assert caught.value.retryable and not kling.tasks


def test_with_retries_gets_through_transient_faults(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    kling.refuse(1302, retry_after=0.5)
    kling.drop()  # faults answer in the order queued
    kling.refuse(5001)
    kling.refuse(1303, on="query")
    kling.answer(429, headers={"retry-after": "3"}, on="query")
    waits: list[float] = []
    task = with_retries(lambda: engine.submit(request(), key="transient"), sleep=waits.append)
    assert len(waits) == 3 and 0.5 <= waits[0] <= 0.6  # Retry-After honoured
    status = with_retries(lambda: engine.poll(task), sleep=waits.append)
    assert status.state == "succeeded" and 3 <= waits[-1] <= 3.3
    kling.lose_result()
    clip = with_retries(lambda: engine.fetch(task, status, tmp_path), sleep=waits.append)
    assert clip.video.exists() and kling.creates["transient"] == 1


def test_not_retryable_errors_are_not_retried(engine: KlingEngine, kling: KlingFake):
    kling.refuse(1101, times=3)
    waits: list[float] = []
    with pytest.raises(RemoteError, match="top up"):
        with_retries(lambda: engine.submit(request(), key=""), sleep=waits.append)
    assert waits == []


def test_a_moderated_task_fails_unbilled_and_not_retryable(engine: KlingEngine, kling: KlingFake, tmp_path: Path):
    kling.fail_next()
    task = engine.submit(request(), key="bad")
    status = wait(engine, task)
    assert status.state == "failed" and "risk control" in (status.reason or "")
    assert not status.retryable and not status.billed
    kling.fail_next("internal error, please try again")
    assert wait(engine, engine.submit(request(), key="flaky")).retryable
    kling.fail_next()
    with pytest.raises(RemoteError, match="risk control") as caught:
        engine.render(request(), tmp_path)
    assert not caught.value.retryable and not caught.value.billed


def test_create_refused_by_moderation(engine: KlingEngine, kling: KlingFake):
    kling.refuse(1301, "prompt contains sensitive words")
    with pytest.raises(ContentRefused, match="sensitive words"):
        engine.submit(request(), key="")


def test_a_stuck_task_times_out_as_retryable(kling: KlingFake, tmp_path: Path):
    kling.stick_next()
    with pytest.raises(RemoteError, match="not finished") as caught:
        KlingEngine(poll_interval=0.02, timeout=0.3).render(request(), tmp_path)
    assert caught.value.retryable and kling.in_flight() == 1


@pytest.mark.parametrize("fault", ["truncate_result", "corrupt_result", "lose_result"])
def test_a_bad_download_is_retryable_and_leaves_no_file(engine: KlingEngine, kling: KlingFake, tmp_path: Path,
                                                        fault: str):
    task = engine.submit(request(), key="")
    status = wait(engine, task)
    getattr(kling, fault)()
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, tmp_path)
    assert caught.value.retryable and list(tmp_path.iterdir()) == []
    assert engine.fetch(task, status, tmp_path).video.exists()


def test_concurrency_limit_answers_1303(kling: KlingFake):
    kling.latency = 0.3
    kling.concurrency_limit = 2
    engine = KlingEngine()
    tasks = [engine.submit(request(), key=f"c{i}") for i in range(2)]
    with pytest.raises(RateLimited) as caught:
        engine.submit(request(), key="c2")
    assert caught.value.code == 1303 and caught.value.retryable
    for task in tasks:
        wait(engine, task)
    engine.submit(request(), key="c2")
    assert kling.max_in_flight == 2 and kling.creates["c2"] == 2


# --- credentials ---------------------------------------------------------------------------------------------

def test_the_token_is_kling_s_jwt_and_is_re_signed_before_expiry(monkeypatch: pytest.MonkeyPatch):
    signer = Signer(ACCESS_KEY, SECRET_KEY)
    now = time.time()
    token = signer.headers()["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    assert claims["iss"] == ACCESS_KEY and abs(claims["exp"] - now - 1800) < 3 and abs(claims["nbf"] - now + 5) < 3
    assert signer.headers()["Authorization"] == f"Bearer {token}"  # kept while fresh
    monkeypatch.setattr(time, "time", lambda: now + 1600)
    assert signer.headers()["Authorization"] != f"Bearer {token}"  # re-signed within 5 minutes of expiry
    assert ACCESS_KEY not in repr(signer) and SECRET_KEY not in repr(signer)


def test_a_wrong_key_is_a_credentials_error_naming_the_variables(monkeypatch: pytest.MonkeyPatch, kling: KlingFake):
    wrong = "not-the-secret-key-of-this-account-0000"
    monkeypatch.setenv("KLING_SECRET_KEY", wrong)
    with pytest.raises(CredentialsError) as caught:
        KlingEngine().submit(request(), key="")
    text = str(caught.value)
    assert "KLING_ACCESS_KEY" in text and "KLING_SECRET_KEY" in text and caught.value.code == 1000
    assert wrong not in text and ACCESS_KEY not in text and not caught.value.retryable


def test_missing_keys(monkeypatch: pytest.MonkeyPatch, kling: KlingFake):
    monkeypatch.delenv("KLING_SECRET_KEY")
    engine = KlingEngine()
    assert engine.check().configured is False and engine.check().detail == "set KLING_SECRET_KEY"
    with pytest.raises(CredentialsError, match="KLING_SECRET_KEY"):
        engine.submit(request(), key="")
    assert not kling.log


def fake_token(claims: dict, secret: str = SECRET_KEY, headers: dict | None = None) -> str:
    return jwt.encode({"iss": ACCESS_KEY, "exp": time.time() + 60, "nbf": time.time() - 5, **claims}, secret,
                      algorithm="HS256", headers=headers or {"typ": "JWT"})


@pytest.mark.parametrize(("authorization", "code"), [
    (None, 1001),
    ("Basic abc", 1002),
    (f"Bearer {fake_token({}, headers={'typ': 'XYZ'})}", 1002),
    (f"Bearer {fake_token({}, secret='another-secret-key-of-32-bytes-xx')}", 1000),
    (f"Bearer {fake_token({'iss': 'someone-else-entirely-0123456789'})}", 1000),
    (f"Bearer {fake_token({'nbf': time.time() + 600})}", 1003),
    (f"Bearer {fake_token({'exp': time.time() - 1})}", 1004),
])
def test_the_fake_checks_the_jwt(kling: KlingFake, authorization: str | None, code: int):
    headers = {"authorization": authorization} if authorization else {}
    answer = httpx.get(f"{kling.url}/v1/videos/text2video/123", headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == code


# --- the fake refuses what Kling refuses -----------------------------------------------------------------------

def png_base64(width: int = 320, height: int = 480) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


SIMPLE = {"type": "simple", "config": {"horizontal": 0, "vertical": 0, "pan": 0, "tilt": 3, "roll": 0, "zoom": 0}}


@pytest.mark.parametrize(("endpoint", "body"), [
    ("text2video", {"prompt": "x", "duration": 5}),
    ("text2video", {"prompt": "x", "seed": 1}),
    ("text2video", {"prompt": ""}),
    ("text2video", {"prompt": "x", "aspect_ratio": "4:3"}),
    ("text2video", {"prompt": "x", "mode": "ultra"}),
    ("text2video", {"prompt": "x" * 2501}),
    ("text2video", {"prompt": "x", "model_name": "kling-v2-1"}),
    ("text2video", {"prompt": "x", "camera_control": SIMPLE, "model_name": "kling-v2-5-turbo"}),
    ("text2video", {"prompt": "x", "camera_control": {"type": "simple", "config": {"pan": 2, "zoom": 2}},
                    "model_name": "kling-v1"}),
    ("text2video", {"prompt": "x", "camera_control": {"type": "simple", "config": {"pan": 11}},
                    "model_name": "kling-v1"}),
    ("image2video", {"prompt": "x"}),
    ("image2video", {"image": "data:image/png;base64," + png_base64()}),
    ("image2video", {"image": png_base64(200, 200)}),
    ("image2video", {"image": base64.b64encode(b"not an image").decode()}),
    ("image2video", {"image": png_base64(), "aspect_ratio": "9:16"}),
    ("image2video", {"image": png_base64(), "image_tail": png_base64(), "camera_control": SIMPLE,
                     "model_name": "kling-v1-5", "mode": "pro"}),
    ("multi-image2video", {"prompt": "x", "image_list": [], "model_name": "kling-v1-6"}),
    ("multi-image2video", {"prompt": "x", "image_list": [{"image": png_base64()}] * 5, "model_name": "kling-v1-6"}),
    ("multi-image2video", {"prompt": "x", "image_list": [{"image": png_base64()}], "model_name": "kling-v2-5-turbo"}),
])
def test_the_fake_refuses_bad_bodies(kling: KlingFake, endpoint: str, body: dict):
    answer = httpx.post(f"{kling.url}/v1/videos/{endpoint}", json=body,
                        headers={"authorization": f"Bearer {fake_token({})}"})
    assert answer.status_code == 400 and answer.json()["code"] == 1201, answer.json()
    assert not kling.tasks


def test_the_fake_accepts_a_supported_camera_preset_and_refuses_duplicate_external_ids(kling: KlingFake):
    headers = {"authorization": f"Bearer {fake_token({})}"}
    body = {"prompt": "x", "model_name": "kling-v1", "camera_control": {"type": "forward_up"},
            "external_task_id": "dup"}
    first = httpx.post(f"{kling.url}/v1/videos/text2video", json=body, headers=headers).json()
    assert first["code"] == 0 and first["data"]["task_status"] == "submitted"
    assert isinstance(first["data"]["created_at"], int) and first["data"]["created_at"] > 1e12  # milliseconds
    second = httpx.post(f"{kling.url}/v1/videos/text2video", json=body, headers=headers)
    assert second.status_code == 400 and second.json()["code"] == 1201
    assert kling.creates["dup"] == 2 and len(kling.tasks) == 1


# --- secrets stay secret -------------------------------------------------------------------------------------

def test_no_key_in_records_errors_or_logs(engine: KlingEngine, kling: KlingFake, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    task = engine.submit(request(), key="secret-check")
    texts.append(task.model_dump_json())
    status = wait(engine, task)
    texts += [status.model_dump_json(), json.dumps(engine.fetch(task, status, tmp_path).meta)]
    assert "eyJ" not in texts[0]  # nor the token
    kling.refuse(1302)
    kling.drop(on="query")
    kling.refuse(1004, on="query")
    for call in (lambda: engine.submit(request(), key=""), lambda: engine.poll(task), lambda: engine.poll(task)):
        with pytest.raises(RemoteError) as caught:
            call()
        texts += [str(caught.value), repr(caught.value)]
    monkeypatch.setenv("KLING_API_BASE", "http://127.0.0.1:9")  # nothing listens: a transport error
    with pytest.raises(RemoteError) as caught:
        KlingEngine().poll(task)
    texts.append(str(caught.value))
    texts.append(caplog.text)
    for text in texts:
        no_secret(text)
    assert any("task" in record.getMessage() for record in caplog.records)
