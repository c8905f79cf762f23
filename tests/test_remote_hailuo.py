"""The hailuo engine against a fake of MiniMax's video API: the whole draw (create → query → files/retrieve →
download), the request it sends per mode, base_resp codes mapped to typed errors, and a fake that refuses what
MiniMax refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from fakes.minimax import MiniMaxFake
from fakes.video_tasks import no_sleep, out, read_image, wait, write_image

from engine.api import CharacterRef, RenderRequest
from engine.registry import engine_class
from engine.remote import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.hailuo import HailuoEngine
from engine.remote.retry import with_retries
from engine.video import probe

KEY = "mm-SECRET-0123456789"


@pytest.fixture
def minimax(monkeypatch: pytest.MonkeyPatch):
    with MiniMaxFake(KEY, latency=0.05) as fake:
        monkeypatch.setenv("MINIMAX_API_KEY", KEY)
        monkeypatch.setenv("MINIMAX_API_BASE", fake.base)
        yield fake


@pytest.fixture
def engine(minimax: MiniMaxFake) -> HailuoEngine:
    return HailuoEngine(poll_interval=0.01)


def request(**fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "A girl with an umbrella turns the corner in the rain", "width": 540,
                            "height": 960, "fps": 24, "num_frames": 120, "seed": 99, **fields})


def sent(minimax: MiniMaxFake) -> dict:
    return minimax.requests("POST", r"/v1/video_generation")[-1].json()


def uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


# --- draws end to end -------------------------------------------------------------------------------------

def test_text_to_video_through_render(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path):
    clip = engine.render(request(), out(tmp_path))
    assert probe(clip.video).num_frames == clip.num_frames == 24 and clip.meta["provider"] == "minimax"
    assert sent(minimax) == {"model": "MiniMax-Hailuo-02", "prompt": request().prompt, "prompt_optimizer": True,
                             "duration": 6, "resolution": "768P"}
    assert minimax.requests("GET", r"/v1/files/retrieve")  # the download URL came from the file API
    assert minimax.requests("POST", r".*")[-1].headers["authorization"] == f"Bearer {KEY}"


def test_first_frame_through_submit_poll_fetch(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path):
    first = write_image(tmp_path / "first.png")
    task = engine.submit(request(first_frame=first, num_frames=192), key="job-key-2")  # 8 s → 10 s at 768P
    assert (task.provider, task.external_id, task.data["duration"]) == ("minimax", "job-key-2", 10)
    assert engine.poll(task).state in ("queued", "running")
    status = wait(engine, task)
    assert status.state == "succeeded"
    assert status.result_urls == [f"{minimax.url}/results/{task.task_id}.mp4"] and status.data["file_id"]
    clip = engine.fetch(task, status, out(tmp_path))
    assert probe(clip.video).num_frames == 24
    body = sent(minimax)
    assert body["first_frame_image"] == uri(first) and "subject_reference" not in body


def test_character_reference_uses_the_subject_model(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path):
    refs = [write_image(tmp_path / f"ref{i}.png", color=(60 * i, 80, 120)) for i in range(3)]
    cast = (CharacterRef(name="A", reference_images=(refs[0], refs[1])), CharacterRef(name="B",
                                                                                     reference_images=(refs[2],)))
    shot = request(characters=cast, num_frames=240, options={"resolution": "1080P"})
    engine.render(shot, out(tmp_path, "s2v"))
    body = sent(minimax)
    assert (body["model"], body["resolution"], body["duration"]) == ("S2V-01", "720P", 6)
    assert body["subject_reference"] == [{"type": "character", "image": [uri(refs[0])]}]
    assert "first_frame_image" not in body
    assert engine.estimate(shot).amount == 0.65

    engine.render(request(characters=cast, first_frame=refs[1]), out(tmp_path, "i2v"))  # a first frame wins
    body = sent(minimax)
    assert body["model"] == "MiniMax-Hailuo-02" and "subject_reference" not in body


@pytest.mark.parametrize(("resolution", "frames", "seconds", "price"),
                         [("768P", 96, 6, 0.28), ("768P", 200, 10, 0.56), ("1080P", 200, 6, 0.49)])
def test_duration_follows_what_each_resolution_offers(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path,
                                                      resolution: str, frames: int, seconds: int, price: float):
    shot = request(num_frames=frames, options={"resolution": resolution})
    task = engine.submit(shot, key="k")
    assert sent(minimax)["duration"] == seconds and (task.cost.units, task.cost.amount) == (seconds, price)
    assert wait(engine, task).state == "succeeded"


def test_price_options_override_the_table():
    engine = HailuoEngine(price_per_task=0.1)
    assert engine.estimate(request()).amount == 0.1
    assert engine.estimate(request(options={"price_per_second": 0.05, "price_per_task": 0})).amount == 0.3
    assert HailuoEngine().estimate(request(options={"model": "MiniMax-Hailuo-9"})).amount == 0.65  # unknown: dearest


def test_many_tasks_in_flight_are_counted(monkeypatch: pytest.MonkeyPatch):
    with MiniMaxFake(KEY, latency=1.0) as fake:
        monkeypatch.setenv("MINIMAX_API_KEY", KEY)
        monkeypatch.setenv("MINIMAX_API_BASE", fake.base)
        engine = HailuoEngine()
        for seed in range(3):
            engine.submit(request(seed=seed), key=f"k{seed}")
        assert (fake.creates, fake.max_in_flight) == (3, 3)


# --- faults and their typed errors --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kind", "retryable", "text"), [
    (1026, ContentRefused, False, "moderation"),
    (1002, RateLimited, True, "rate limited"),
    (1008, RemoteError, False, "top up"),
    (2013, RemoteError, False, "invalid params"),
    (1000, RemoteError, True, "unknown error"),
])
def test_business_errors_at_create(engine: HailuoEngine, minimax: MiniMaxFake, code: int, kind: type,
                                   retryable: bool, text: str):
    minimax.business_error_next(code, {1026: "input new_sensitive", 1002: "rate limit exceeded(RPM)",
                                       1008: "insufficient balance", 2013: "invalid params, duration",
                                       1000: "unknown error"}[code])
    with pytest.raises(kind, match=text) as caught:
        engine.submit(request(), key="k")
    error = caught.value
    assert (type(error), error.retryable, error.code, error.billed) == (kind, retryable, code, False)
    assert minimax.creates == 0


def test_rate_limit_and_server_errors_get_through_with_retries(engine: HailuoEngine, minimax: MiniMaxFake):
    minimax.business_error_next(1002, "rate limit exceeded(RPM)", times=2)
    minimax.server_error_next()
    delays: list[float] = []
    task = with_retries(lambda: engine.submit(request(), key="k"), sleep=no_sleep,
                        on_retry=lambda error, delay: delays.append(delay))
    assert len(delays) == 3 and task.task_id in minimax.tasks
    minimax.server_error_next("GET", r"/v1/query/video_generation")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert caught.value.retryable and caught.value.status == 500


def test_dropped_connection_is_retryable(engine: HailuoEngine, minimax: MiniMaxFake):
    minimax.drop_next("POST", r"/v1/video_generation")
    with pytest.raises(RemoteError) as caught:
        engine.submit(request(), key="k")
    assert caught.value.retryable and minimax.creates == 0
    minimax.drop_next("POST", r"/v1/video_generation")
    assert with_retries(lambda: engine.submit(request(), key="k"), sleep=no_sleep).task_id in minimax.tasks


@pytest.mark.parametrize(("code", "retryable"), [(1027, False), (1000, True)])
def test_task_that_ends_failed(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path, code: int,
                               retryable: bool):
    minimax.fail_next_task(code, "output video sensitive" if code == 1027 else "unknown error")
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    assert (status.state, status.retryable, status.billed) == ("failed", retryable, False)
    assert str(code) in status.reason
    minimax.fail_next_task(code, "again")
    with pytest.raises(RemoteError) as caught:
        engine.render(request(), out(tmp_path))
    assert caught.value.retryable is retryable


def test_file_retrieve_failure_is_a_retryable_poll(engine: HailuoEngine, minimax: MiniMaxFake):
    task = engine.submit(request(), key="k")
    wait(engine, task)
    minimax.business_error_next(1000, "unknown error", method="GET", path=r"/v1/files/retrieve")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert (caught.value.retryable, caught.value.code) == (True, 1000)
    assert with_retries(lambda: engine.poll(task), sleep=no_sleep).result_urls


@pytest.mark.parametrize("fault", ["missing", "truncate", "corrupt"])
def test_bad_download_is_retryable_and_leaves_no_file(engine: HailuoEngine, minimax: MiniMaxFake, tmp_path: Path,
                                                      fault: str):
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    folder = out(tmp_path)
    getattr(minimax, f"{fault}_next_download")()
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, folder)
    assert caught.value.retryable and list(folder.iterdir()) == []
    getattr(minimax, f"{fault}_next_download")()
    assert probe(with_retries(lambda: engine.fetch(task, status, folder), sleep=no_sleep).video).num_frames == 24


def test_stuck_task_times_out_as_retryable(minimax: MiniMaxFake, tmp_path: Path):
    minimax.stick_next_task()
    with pytest.raises(RemoteError, match="not finished") as caught:
        HailuoEngine(poll_interval=0.01, timeout=0.3).render(request(), out(tmp_path))
    assert caught.value.retryable


# --- keys ---------------------------------------------------------------------------------------------------

def test_wrong_key_names_the_variable_and_never_shows_a_key(minimax: MiniMaxFake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MINIMAX_API_KEY", "mm-WRONG-987654321")
    with pytest.raises(CredentialsError) as caught:
        HailuoEngine().submit(request(), key="k")
    error = caught.value
    assert error.variables == ("MINIMAX_API_KEY",) and "MINIMAX_API_KEY" in str(error) and error.code == 1004
    assert not error.retryable and "WRONG" not in str(error) and KEY not in str(error)


def test_missing_key_names_the_variable(minimax: MiniMaxFake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MINIMAX_API_KEY", "  ")  # blank counts as unset
    engine = HailuoEngine()
    assert not engine.check().configured and "MINIMAX_API_KEY" in engine.check().detail
    with pytest.raises(CredentialsError, match="MINIMAX_API_KEY"):
        engine.submit(request(), key="k")
    assert not minimax.log


def test_no_key_in_task_records_or_errors(engine: HailuoEngine, minimax: MiniMaxFake):
    task = engine.submit(request(), key="job")
    status = wait(engine, task)
    assert KEY not in task.model_dump_json() and KEY not in status.model_dump_json()
    minimax.business_error_next(1000, f"echo of a header: Bearer {KEY}", method="GET",
                                path=r"/v1/query/video_generation")
    with pytest.raises(RemoteError) as caught:
        engine.poll(task)
    assert KEY not in str(caught.value) and "***" in str(caught.value)


# --- what the fake refuses, as MiniMax does ---------------------------------------------------------------------

def test_bad_input_is_a_clear_permanent_error(engine: HailuoEngine):
    with pytest.raises(RemoteError, match="2000") as caught:
        engine.submit(request(prompt="雨" * 2001), key="k")
    assert (caught.value.retryable, caught.value.code) == (False, 2013)


def test_an_image_outside_minimaxs_limits_is_conformed_before_sending(engine: HailuoEngine, minimax: MiniMaxFake,
                                                                      tmp_path: Path):
    wide = write_image(tmp_path / "wide.gif", size=(1000, 300), format="GIF")  # 10:3, and a format not taken
    engine.submit(request(first_frame=wide), key="k")
    assert read_image(sent(minimax)["first_frame_image"])[:3] == ("PNG", 750, 300)  # centre-cropped to 5:2


def test_fake_follows_the_protocol(minimax: MiniMaxFake, tmp_path: Path):
    image = uri(write_image(tmp_path / "i.png"))

    def create(body: dict, key: str = KEY) -> dict:
        answer = httpx.post(f"{minimax.base}/video_generation", json=body, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200  # MiniMax answers business errors with HTTP 200
        return answer.json()["base_resp"]

    hailuo = {"model": "MiniMax-Hailuo-02", "prompt": "x"}
    assert create(hailuo)["status_code"] == 0
    assert create({**hailuo, "resolution": "512P", "first_frame_image": image, "duration": 10})["status_code"] == 0
    refused = {
        "unknown field": {**hailuo, "seed": 1},
        "10 s at 1080P": {**hailuo, "resolution": "1080P", "duration": 10},
        "duration as string": {**hailuo, "duration": "6"},
        "512P without a first frame": {**hailuo, "resolution": "512P"},
        "bad resolution": {**hailuo, "resolution": "720P"},
        "unknown model": {**hailuo, "model": "Hailuo-3"},
        "optimizer not a bool": {**hailuo, "prompt_optimizer": "yes"},
        "subject reference on Hailuo": {**hailuo, "subject_reference": [{"type": "character", "image": [image]}]},
        "S2V without reference": {"model": "S2V-01", "prompt": "x"},
        "S2V reference as a string": {"model": "S2V-01", "prompt": "x",
                                      "subject_reference": [{"type": "character", "image": image}]},
        "S2V two images": {"model": "S2V-01", "prompt": "x",
                           "subject_reference": [{"type": "character", "image": [image, image]}]},
        "I2V without frame": {"model": "I2V-01", "prompt": "x"},
        "T2V with frame": {"model": "T2V-01", "prompt": "x", "first_frame_image": image},
        "image not decoding": {**hailuo, "first_frame_image": "data:image/png;base64,aGVsbG8="},
        "no prompt, no image": {"model": "MiniMax-Hailuo-02"},
    }
    for name, body in refused.items():
        assert create(body)["status_code"] == 2013, name
    assert create(hailuo, key="nope")["status_code"] == 1004
    assert minimax.creates == 2

    task_id = next(iter(minimax.tasks))
    query = httpx.get(f"{minimax.base}/query/video_generation", params={"task_id": task_id},
                      headers={"Authorization": f"Bearer {KEY}"}).json()
    assert query["status"] in ("Preparing", "Queueing", "Processing", "Success") and "file_id" in query


def test_registry_finds_the_engine():
    assert engine_class("hailuo") is HailuoEngine


def test_identity_names_the_models():
    assert HailuoEngine.identity(request()) == {"model": "MiniMax-Hailuo-02", "reference_model": "S2V-01"}
