"""The seedance engine against a fake of Volcengine Ark: the whole draw, the request it sends, every fault
mapped to its typed error, and a fake that refuses what Ark refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from fakes.ark import ArkFake
from fakes.video_tasks import no_sleep, out, read_image, wait, write_image

from engine.api import CameraMove, CharacterRef, RenderRequest
from engine.registry import engine_class
from engine.remote import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.retry import with_retries
from engine.remote.seedance import DEFAULT_MODEL, SeedanceEngine
from engine.video import probe

KEY = "ark-SECRET-0123456789"
LITE = "doubao-seedance-1-0-lite-i2v-250428"


@pytest.fixture
def ark(monkeypatch: pytest.MonkeyPatch):
    with ArkFake(KEY, latency=0.05) as fake:
        monkeypatch.setenv("ARK_API_KEY", KEY)
        monkeypatch.setenv("ARK_API_BASE", fake.base)
        yield fake


@pytest.fixture
def engine(ark: ArkFake) -> SeedanceEngine:
    return SeedanceEngine(poll_interval=0.01)


def request(**fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "雨夜，女孩撑伞走过街角", "width": 540, "height": 960, "fps": 24,
                            "num_frames": 96, "seed": 1234, **fields})


def sent(ark: ArkFake) -> dict:
    return ark.requests("POST", r"/api/v3/contents/generations/tasks")[-1].json()


# --- draws end to end -------------------------------------------------------------------------------------

def test_text_to_video_through_render(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path):
    clip = engine.render(request(), out(tmp_path))
    assert probe(clip.video).num_frames == clip.num_frames == 24
    assert clip.meta["provider"] == "ark"
    body = sent(ark)
    assert body == {"model": DEFAULT_MODEL, "content": [{"type": "text", "text": "雨夜，女孩撑伞走过街角"}],
                    "ratio": "9:16", "duration": 5, "resolution": "720p", "seed": 1234, "camera_fixed": True,
                    "watermark": False}
    assert ark.requests("POST", r".*")[-1].headers["authorization"] == f"Bearer {KEY}"


def test_first_and_last_frame_through_submit_poll_fetch(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path):
    first = write_image(tmp_path / "first.png")
    last = write_image(tmp_path / "last.jpg", color=(10, 20, 30), format="JPEG")
    shot = request(first_frame=first, last_frame=last, num_frames=200, camera=CameraMove(kind="pan"))
    task = engine.submit(shot, key="job-key-1")
    assert (task.provider, task.external_id, task.task_id) == ("ark", "job-key-1", ark.tasks[task.task_id].id)
    assert engine.poll(task).state in ("queued", "running")
    status = wait(engine, task)
    assert status.state == "succeeded"
    assert status.data["completion_tokens"] > 0 and status.data["framespersecond"] == 24
    clip = engine.fetch(task, status, out(tmp_path))
    assert clip.video.exists() and clip.meta["task_id"] == task.task_id

    body = sent(ark)
    images = body["content"][1:]
    assert [item["role"] for item in images] == ["first_frame", "last_frame"]
    assert images[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(first.read_bytes()).decode()
    assert images[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")  # sent as it is, not re-encoded
    assert (body["duration"], body["camera_fixed"]) == (10, False)  # 200 frames at 24 fps: 8.3 s → 10 s


def test_references_go_to_models_that_take_them_and_frames_win(engine: SeedanceEngine, ark: ArkFake,
                                                                tmp_path: Path):
    refs = [write_image(tmp_path / f"ref{i}.png", color=(40 * i, 90, 160)) for i in range(6)]
    cast = (CharacterRef(name="A", reference_images=tuple(refs[:3])),
            CharacterRef(name="B", reference_images=tuple(refs[3:5])), CharacterRef(name="C"))

    engine.render(request(characters=cast, options={"model": LITE}), out(tmp_path, "lite"))
    images = sent(ark)["content"][1:]
    assert [item["role"] for item in images] == ["reference_image"] * 4  # at most 4, every character first
    expected = [refs[0], refs[3], refs[1], refs[4]]
    assert [item["image_url"]["url"] for item in images] == [
        "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode() for p in expected]

    engine.render(request(characters=cast, options={"model": LITE}, first_frame=refs[5]), out(tmp_path, "frame"))
    assert [item["role"] for item in sent(ark)["content"][1:]] == ["first_frame"]

    engine.render(request(characters=cast), out(tmp_path, "pro"))  # 1.0 pro takes no references: text only
    assert len(sent(ark)["content"]) == 1


def test_tasks_in_flight_are_counted_with_seeded_latencies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with ArkFake(KEY, latency=(0.6, 0.9), seed=7) as slow, ArkFake(KEY, latency=(0.6, 0.9), seed=7) as twin:
        monkeypatch.setenv("ARK_API_KEY", KEY)
        monkeypatch.setenv("ARK_API_BASE", slow.base)
        engine = SeedanceEngine()
        tasks = [engine.submit(request(seed=seed), key=f"k{seed}") for seed in range(3)]
        assert (slow.creates, slow.max_in_flight) == (3, 3)
        for index, task in enumerate(tasks):
            status = wait(engine, task)
            engine.fetch(task, status, out(tmp_path, f"o{index}"))
        assert slow.in_flight() == 0 and slow.max_in_flight == 3
        latencies = [task.latency for task in slow.tasks.values()]
        assert latencies == [twin.new_task(f"t{i}", {}).latency for i in range(3)]  # same seed, same draws
        assert len(set(latencies)) == 3 and all(0.6 <= value <= 0.9 for value in latencies)


# --- faults and their typed errors --------------------------------------------------------------------------

def test_moderation_at_create_is_refused_not_billed(engine: SeedanceEngine, ark: ArkFake):
    ark.refuse_next_create()
    with pytest.raises(ContentRefused) as caught:
        engine.submit(request(), key="k")
    error = caught.value
    assert (error.retryable, error.billed, error.code, error.status) == (
        False, False, "InputTextSensitiveContentDetected", 400)


@pytest.mark.parametrize(("code", "retryable"), [("OutputVideoSensitiveContentDetected", False),
                                                 ("InternalServiceError", True)])
def test_task_that_ends_failed(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path, code: str, retryable: bool):
    ark.fail_next_task(code, "something about the task")
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    assert (status.state, status.retryable, status.billed) == ("failed", retryable, False)
    assert code in status.reason
    ark.fail_next_task(code, "again")
    with pytest.raises(RemoteError) as caught:
        engine.render(request(), out(tmp_path))
    assert caught.value.retryable is retryable


def test_rate_limit_honours_retry_after_and_retries_get_through(engine: SeedanceEngine, ark: ArkFake):
    ark.rate_limit_next(retry_after=3)
    with pytest.raises(RateLimited) as caught:
        engine.submit(request(), key="k")
    assert (caught.value.retryable, caught.value.retry_after, caught.value.status) == (True, 3.0, 429)

    ark.rate_limit_next(retry_after=2, times=2)
    delays: list[float] = []
    task = with_retries(lambda: engine.submit(request(), key="k"), sleep=no_sleep,
                        on_retry=lambda error, delay: delays.append(delay))
    assert len(delays) == 2 and all(2.0 <= delay <= 2.3 for delay in delays)
    assert task.task_id in ark.tasks


@pytest.mark.parametrize("fault", ["server_error", "dropped"])
def test_transient_failures_are_retryable(engine: SeedanceEngine, ark: ArkFake, fault: str):
    def inject(method: str) -> None:
        if fault == "server_error":
            ark.server_error_next(method)
        else:
            ark.drop_next(method, r"/api/v3/contents/generations/tasks.*")

    inject("POST")
    with pytest.raises(RemoteError) as caught:
        engine.submit(request(), key="k")
    assert caught.value.retryable and not isinstance(caught.value, (CredentialsError, ContentRefused))
    inject("POST")
    task = with_retries(lambda: engine.submit(request(), key="k"), sleep=no_sleep)
    inject("GET")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert caught.value.retryable
    inject("GET")
    assert with_retries(lambda: engine.poll(task), sleep=no_sleep).state in ("queued", "running", "succeeded")


@pytest.mark.parametrize("fault", ["missing", "not_ready"])
def test_result_link_not_there_yet_is_retried(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path, fault: str):
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    folder = out(tmp_path)
    ark.missing_next_download() if fault == "missing" else ark.not_ready_next_download()
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, folder)
    assert caught.value.retryable and not any(folder.iterdir())
    ark.missing_next_download() if fault == "missing" else ark.not_ready_next_download()
    clip = with_retries(lambda: engine.fetch(task, status, folder), sleep=no_sleep)
    assert probe(clip.video).num_frames == 24


@pytest.mark.parametrize("fault", ["truncate", "corrupt"])
def test_damaged_download_is_retryable_and_leaves_no_file(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path,
                                                          fault: str):
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    folder = out(tmp_path)
    getattr(ark, f"{fault}_next_download")()
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, folder)
    assert caught.value.retryable
    assert list(folder.iterdir()) == []


def test_stuck_task_times_out_as_retryable(ark: ArkFake, tmp_path: Path):
    ark.stick_next_task()
    engine = SeedanceEngine(poll_interval=0.01, timeout=0.3)
    with pytest.raises(RemoteError, match="not finished") as caught:
        engine.render(request(), out(tmp_path))
    assert caught.value.retryable


def test_overdue_account_is_not_a_key_problem(engine: SeedanceEngine, ark: ArkFake):
    ark.overdue_next()
    with pytest.raises(RemoteError, match="top it up") as caught:
        engine.submit(request(), key="k")
    assert not isinstance(caught.value, CredentialsError) and not caught.value.retryable


# --- keys ---------------------------------------------------------------------------------------------------

def test_wrong_key_names_the_variable_and_never_shows_a_key(ark: ArkFake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ARK_API_KEY", "ark-WRONG-987654321")
    with pytest.raises(CredentialsError) as caught:
        SeedanceEngine().submit(request(), key="k")
    error = caught.value
    assert error.variables == ("ARK_API_KEY",) and "ARK_API_KEY" in str(error) and error.status == 401
    assert not error.retryable and "WRONG" not in str(error) and KEY not in str(error)


def test_missing_key_names_the_variable(ark: ArkFake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ARK_API_KEY")
    engine = SeedanceEngine()
    assert not engine.check().configured and "ARK_API_KEY" in engine.check().detail
    with pytest.raises(CredentialsError, match="ARK_API_KEY"):
        engine.submit(request(), key="k")
    assert ark.creates == 0


def test_no_key_in_task_records_or_errors(engine: SeedanceEngine, ark: ArkFake, tmp_path: Path):
    task = engine.submit(request(), key="job")
    status = wait(engine, task)
    assert KEY not in task.model_dump_json() and KEY not in status.model_dump_json()
    ark.server_error_next("GET")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert KEY not in str(caught.value)


# --- what the fake refuses, as Ark does -------------------------------------------------------------------------

def test_an_image_outside_arks_limits_is_conformed_before_sending(engine: SeedanceEngine, ark: ArkFake,
                                                                  tmp_path: Path):
    small = write_image(tmp_path / "small.png", size=(200, 200))  # Ark refuses a side under 300 px
    engine.submit(request(first_frame=small), key="k")
    assert read_image(sent(ark)["content"][1]["image_url"]["url"])[:3] == ("PNG", 300, 300)


def test_bad_input_is_a_clear_permanent_error(engine: SeedanceEngine):
    with pytest.raises(RemoteError, match="does not exist") as caught:
        engine.submit(request(options={"model": "doubao-seedance-9"}), key="k")
    assert not caught.value.retryable and caught.value.status == 404
    with pytest.raises(RemoteError, match="resolution"):
        engine.submit(request(options={"resolution": "4k"}), key="k")


def test_fake_follows_the_protocol(ark: ArkFake, tmp_path: Path):
    image = "data:image/png;base64," + base64.b64encode(write_image(tmp_path / "i.png").read_bytes()).decode()

    def create(body: dict, key: str = KEY) -> httpx.Response:
        return httpx.post(f"{ark.base}/contents/generations/tasks", json=body,
                          headers={"Authorization": f"Bearer {key}"})

    def text(value: str) -> dict:
        return {"type": "text", "text": value}

    def picture(role: str, url: str = image) -> dict:
        return {"type": "image_url", "image_url": {"url": url}, "role": role}

    ok = create({"model": DEFAULT_MODEL, "content": [text("a cat --ratio 9:16 --duration 5 --camerafixed true")]})
    assert ok.status_code == 200 and ok.json()["id"].startswith("cgt-")
    task = ark.tasks[ok.json()["id"]].extra
    assert (task["ratio"], task["duration"], task["camera_fixed"]) == ("9:16", 5, True)
    answer = httpx.get(f"{ark.base}/contents/generations/tasks/{ok.json()['id']}",
                       headers={"Authorization": f"Bearer {KEY}"}).json()
    assert isinstance(answer["created_at"], int) and answer["created_at"] < 10**11  # seconds, not milliseconds

    refused = {
        "unknown field": ({"model": DEFAULT_MODEL, "content": [text("x")], "fps": 24}, 400),
        "missing content": ({"model": DEFAULT_MODEL}, 400),
        "duration as string": ({"model": DEFAULT_MODEL, "content": [text("x")], "duration": "5"}, 400),
        "bad ratio": ({"model": DEFAULT_MODEL, "content": [text("x --ratio 2:1")]}, 400),
        "suffix duration": ({"model": DEFAULT_MODEL, "content": [text("x --duration 30")]}, 400),
        "bad role": ({"model": DEFAULT_MODEL, "content": [text("x"), picture("middle_frame")]}, 400),
        "last without first": ({"model": DEFAULT_MODEL, "content": [text("x"), picture("last_frame")]}, 400),
        "references on pro": ({"model": DEFAULT_MODEL, "content": [text("x"), picture("reference_image")]}, 400),
        "frame with references": ({"model": LITE, "content": [text("x"), picture("first_frame"),
                                                              picture("reference_image")]}, 400),
        "five references": ({"model": LITE, "content": [text("x")] + [picture("reference_image")] * 5}, 400),
        "not an image": ({"model": DEFAULT_MODEL, "content": [
            text("x"), picture("first_frame", "data:image/png;base64," + base64.b64encode(b"hello").decode())]}, 400),
        "mime mismatch": ({"model": DEFAULT_MODEL, "content": [
            text("x"), picture("first_frame", image.replace("image/png", "image/jpeg"))]}, 400),
        "unknown model": ({"model": "seedance-x", "content": [text("x")]}, 404),
    }
    for name, (body, status) in refused.items():
        answer = create(body)
        assert answer.status_code == status, name
        assert set(answer.json()["error"]) == {"code", "message", "param", "type"}, name
    assert create({"model": DEFAULT_MODEL, "content": [text("x")]}, key="nope").status_code == 401
    assert ark.creates == 1


def test_cost_in_tokens_or_by_option():
    engine = SeedanceEngine()
    cost = engine.estimate(request())  # 720p 9:16 = 704×1248, 24 fps, 5 s
    assert cost.units == pytest.approx(704 * 1248 * 24 * 5 / 1024)
    assert cost.amount == pytest.approx(cost.units * 2.1 / 1e6, rel=1e-4)
    cny = engine.estimate(request(options={"price_per_million_tokens": 15, "resolution": "1080p"}))
    assert cny.amount == pytest.approx(1088 * 1920 * 24 * 5 / 1024 * 15 / 1e6, rel=1e-4)  # ≈ 3.67 CNY
    flat = SeedanceEngine(price_per_task=0.5, price_per_second=0.1).estimate(request(num_frames=200))
    assert (flat.units, flat.amount) == (10, 1.5)


def test_last_frame_alone_is_refused(engine: SeedanceEngine, tmp_path: Path):
    last = write_image(tmp_path / "last.png")
    with pytest.raises(RemoteError, match="needs a first frame") as caught:
        engine.submit(request(last_frame=last), key="k")
    assert not caught.value.retryable


def test_registry_finds_the_engine():
    assert engine_class("seedance") is SeedanceEngine


def test_identity_names_the_model():
    assert SeedanceEngine.identity(request()) == {"model": DEFAULT_MODEL}
    assert SeedanceEngine.identity(request(options={"model": LITE})) == {"model": LITE}
