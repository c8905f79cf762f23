"""The fal engine against FalFake: the model table's field names, the queue protocol, and each failure typed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from engine.api import CharacterRef, RenderRequest, SceneContext
from engine.registry import get_engine
from engine.remote import ContentRefused, CredentialsError, RateLimited, RemoteError, RemoteTask
from engine.remote.fal import FalEngine, load_models
from engine.remote.media import data_uri
from engine.remote.retry import with_retries
from tests.fakes.fal import FalFake
from tests.fakes.server import Response
from tests.fakes.video_tasks import no_sleep, wait, write_image

KEY = "fal-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def server():
    with FalFake(KEY) as running:  # one server per module: stopping one takes half a second
        yield running


@pytest.fixture
def fake(server: FalFake, monkeypatch: pytest.MonkeyPatch) -> FalFake:
    server.log.clear()
    server.job_faults.clear()
    server.latency = 0.0
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.setenv("FAL_QUEUE_BASE", server.url)
    return server


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    return {name: write_image(tmp_path / f"{name}.png", (32, 32), colour) for name, colour in
            (("first", (200, 0, 0)), ("last", (0, 200, 0)), ("hero", (0, 0, 200)), ("villain", (90, 90, 0)),
             ("street", (0, 90, 90)))}


def full_request(images: dict[str, Path], **options: str | int | float | bool) -> RenderRequest:
    """A request with a first frame, an end frame and three reference images (two characters and a place)."""
    return RenderRequest(
        prompt="she turns to the window", negative_prompt="blurry", width=540, height=960, fps=30, num_frames=150,
        seed=7, first_frame=images["first"], last_frame=images["last"],
        characters=(CharacterRef(name="hero", reference_images=(images["hero"],)),
                    CharacterRef(name="villain", reference_images=(images["villain"],))),
        scene=SceneContext(location="street", location_image=images["street"]),
        options=options)


def test_render_end_to_end_through_engine_render(fake: FalFake, images: dict[str, Path], tmp_path: Path) -> None:
    fake.latency = (0.05, 0.15)
    engine = get_engine("fal", poll_interval=0.02)
    (tmp_path / "out").mkdir()
    clip = engine.render(full_request(images), tmp_path / "out")
    assert (clip.width, clip.height, clip.num_frames) == (64, 112, 24)
    assert clip.video == tmp_path / "out" / "video.mp4" and clip.meta["provider"] == "fal"
    (body,) = fake.bodies("fal-ai/kling-video/v2.1/pro/image-to-video")
    assert body["duration"] == "5" and body["prompt"] == "she turns to the window"
    assert fake.requests("GET", r"/fal-ai/kling-video/requests/[^/]+/status")  # status URL drops the sub-path


def test_submit_poll_fetch_keeps_what_a_later_process_needs(fake: FalFake, images: dict[str, Path],
                                                            tmp_path: Path) -> None:
    fake.latency = 1.2  # queued for the first 0.6 s, long enough for the first poll on a busy machine
    engine = FalEngine(model="kling-2.6")
    task = engine.submit(full_request(images), key="job-key-1")
    assert task.external_id == "job-key-1" and task.provider == "fal"
    assert task.data["status_url"] == f"{fake.url}/fal-ai/kling-video/requests/{task.task_id}/status"
    assert task.data["response_url"] == f"{fake.url}/fal-ai/kling-video/requests/{task.task_id}"
    assert task.cost.units == 5 and task.cost.amount == pytest.approx(0.35)
    restored = RemoteTask.model_validate_json(task.model_dump_json())  # as the executor stores it
    first = FalEngine(model="kling-2.6").poll(restored)
    assert first.state == "queued" and first.data["queue_position"] == 0
    status = wait(FalEngine(), restored)
    assert status.state == "succeeded" and status.result_urls == [f"{fake.url}/files/{task.task_id}.mp4"]
    out = tmp_path / "out"
    out.mkdir()
    clip = FalEngine().fetch(restored, status, out)
    assert clip.num_frames == 24 and clip.meta["task_id"] == task.task_id
    assert KEY not in task.model_dump_json() and KEY not in status.model_dump_json()


EXPECTED = {
    # row: (the fields carrying first frame / last frame / references, parts the row cannot take)
    "kling-2.1": ({"image_url": "first", "tail_image_url": "last"}, "references"),
    "kling-2.6": ({"start_image_url": "first", "end_image_url": "last"}, "references"),
    "kling-1.6-elements": ({"input_image_urls": ["hero", "villain", "street"]}, "first_frame,last_frame"),
    "seedance-1-pro": ({"image_url": "first", "end_image_url": "last"}, "references"),
    "seedance-1-lite-reference": ({"reference_image_urls": ["hero", "villain", "street"]}, "first_frame,last_frame"),
    "hailuo-02": ({"image_url": "first", "end_image_url": "last"}, "references"),
    "veo-3.1": ({"image_url": "first"}, "last_frame,references"),
    "veo-3.1-first-last": ({"first_frame_url": "first", "last_frame_url": "last"}, "references"),
    "veo-3.1-reference": ({"image_urls": ["hero", "villain"]}, "first_frame,last_frame"),  # people, not places
    "wan-2.2": ({"image_url": "first"}, "last_frame,references"),
    "wan-flf2v": ({"start_image_url": "first", "end_image_url": "last"}, "references"),
    "ltx-2": ({"image_url": "first"}, "last_frame,references"),
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_each_row_maps_frames_and_references_to_its_documented_fields(
        fake: FalFake, images: dict[str, Path], model: str) -> None:
    """The fake validates each endpoint against its own schema, so a wrong field name is a 422 here."""
    row = load_models()[1][model]
    task = FalEngine().submit(full_request(images, model=model), key="k")
    (body,) = fake.bodies(row.endpoint)
    fields, ignored = EXPECTED[model]
    image_fields = {name for name, value in body.items()
                    if isinstance(value, list) or str(value).startswith("data:")}
    assert image_fields == set(fields)
    for name, which in fields.items():
        wanted = [data_uri(images[w]) for w in which] if isinstance(which, list) else data_uri(images[which])
        assert body[name] == wanted
    assert task.data["ignored"] == ignored


def test_durations_aspect_ratios_and_seeds_are_written_as_each_model_takes_them(
        fake: FalFake, images: dict[str, Path]) -> None:
    engine = FalEngine()
    for model in ("veo-3.1", "ltx-2", "wan-2.2", "hailuo-02", "seedance-1-pro"):
        engine.submit(full_request(images, model=model), key="k")
    assert fake.bodies("fal-ai/veo3.1/image-to-video")[0] | {"image_url": ""} == {
        "prompt": "she turns to the window", "negative_prompt": "blurry", "image_url": "", "duration": "6s",
        "aspect_ratio": "9:16", "seed": 7, "resolution": "720p", "generate_audio": False}
    assert fake.bodies("fal-ai/ltx-2/image-to-video")[0]["duration"] == 6
    wan = fake.bodies("fal-ai/wan/v2.2-a14b/image-to-video")[0]
    assert (wan["num_frames"], wan["frames_per_second"], wan["aspect_ratio"]) == (80, 16, "9:16")
    assert fake.bodies("fal-ai/minimax/hailuo-02/standard/image-to-video")[0]["duration"] == "6"
    assert fake.bodies("fal-ai/bytedance/seedance/v1/pro/image-to-video")[0]["seed"] == 7


def test_without_a_first_frame_the_text_to_video_endpoint_is_used(fake: FalFake, tmp_path: Path) -> None:
    request = RenderRequest(prompt="rain on a window", width=960, height=540, num_frames=240, fps=30,
                            options={"model": "veo-3.1"})
    task = FalEngine().submit(request, key="k")
    (body,) = fake.bodies("fal-ai/veo3.1")
    assert body["aspect_ratio"] == "16:9" and body["duration"] == "8s" and "image_url" not in body
    assert task.data["endpoint"] == "fal-ai/veo3.1"
    assert task.data["status_url"] == f"{fake.url}/fal-ai/veo3.1/requests/{task.task_id}/status"
    assert wait(FalEngine(), task).state == "succeeded"
    assert FalEngine.identity(request) == {"endpoint": "fal-ai/veo3.1"}


def test_every_row_is_accepted_by_the_fake_in_both_variants(fake: FalFake, images: dict[str, Path]) -> None:
    engine = FalEngine()
    for name, row in load_models()[1].items():
        engine.submit(full_request(images, model=name), key="k")
        if row.text is not None:
            engine.submit(RenderRequest(prompt="p", options={"model": name}), key="k")


def test_missing_inputs_a_model_requires_are_refused_before_sending(fake: FalFake, images: dict[str, Path]) -> None:
    request = RenderRequest(prompt="p", first_frame=images["first"], options={"model": "veo-3.1-first-last"})
    with pytest.raises(RemoteError, match="needs last_frame") as refused:
        FalEngine().submit(request, key="k")
    assert not refused.value.retryable and not fake.log
    with pytest.raises(RemoteError, match="unknown fal model 'nope'"):
        FalEngine(model="nope").submit(request.model_copy(update={"options": {}}), key="k")


def test_urls_are_built_when_the_answer_lacks_them_or_points_elsewhere(fake: FalFake, images: dict[str, Path]) -> None:
    fake.fault("POST", r"/fal-ai/.*", Response(200, {"request_id": "abc"}))
    task = FalEngine().submit(full_request(images), key="k")
    assert task.data["status_url"] == f"{fake.url}/fal-ai/kling-video/requests/abc/status"
    assert task.data["response_url"] == f"{fake.url}/fal-ai/kling-video/requests/abc"
    fake.fault("POST", r"/fal-ai/.*", Response(200, {"request_id": "abc", "status_url": "https://elsewhere.test/s"}))
    task = FalEngine().submit(full_request(images), key="k")  # the key is only ever sent to the queue host
    assert task.data["status_url"] == f"{fake.url}/fal-ai/kling-video/requests/abc/status"


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch, images: dict[str, Path]) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    with pytest.raises(CredentialsError) as missing:
        FalEngine().submit(full_request(images), key="k")
    assert missing.value.variables == ("FAL_KEY",) and "FAL_KEY" in str(missing.value)
    check = FalEngine().check()
    assert not check.configured and "FAL_KEY" in check.detail


def test_a_refused_key_is_a_credentials_error_without_the_key(fake: FalFake, images: dict[str, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "wrong-secret-key-value")
    with pytest.raises(CredentialsError) as refused:
        FalEngine().submit(full_request(images), key="k")
    assert refused.value.status == 401 and not refused.value.retryable
    assert "FAL_KEY" in str(refused.value) and "wrong-secret-key-value" not in str(refused.value)
    assert fake.log[-1].headers["authorization"] == "Key wrong-secret-key-value"


@pytest.mark.parametrize(("response", "kind", "retryable"), [
    (Response(429, {"detail": "Too many concurrent requests"}, {"retry-after": "2"}), RateLimited, True),
    (Response(500, {"detail": "Internal error", "error_type": "internal_error"}), RemoteError, True),
    (Response(503, {"detail": "No runner"}, {"x-fal-error-type": "runner_scheduling_failure"}), RemoteError, True),
    (Response(422, {"detail": [{"loc": ["body", "prompt"], "msg": "The content was flagged by a content checker.",
                                "type": "content_policy_violation"}]}), ContentRefused, False),
    (Response(422, {"detail": [{"loc": ["body", "image_url"], "msg": "Image too small", "type": "image_too_small"}]},
              {"x-fal-retryable": "false"}), RemoteError, False),
    (Response(403, {"detail": "Forbidden"}), CredentialsError, False),
    (Response(drop=True), RemoteError, True),
])
def test_submit_failures_are_typed(fake: FalFake, images: dict[str, Path], response: Response,
                                   kind: type[RemoteError], retryable: bool) -> None:
    fake.fault("POST", r"/fal-ai/.*", response)
    with pytest.raises(kind) as failed:
        FalEngine().submit(full_request(images), key="k")
    assert type(failed.value) is kind and failed.value.retryable is retryable
    assert KEY not in str(failed.value)
    if response.status == 429:
        assert failed.value.retry_after == 2
    if response.headers.get("x-fal-error-type"):
        assert failed.value.code == "runner_scheduling_failure"
    if response.status == 422:
        assert "prompt" in str(failed.value) or "image_url" in str(failed.value)


def test_transient_faults_pass_with_retries(fake: FalFake, images: dict[str, Path], tmp_path: Path) -> None:
    engine = FalEngine()
    fake.fault("POST", r"/fal-ai/.*", Response(500, {"detail": "boom"}))
    fake.fault("POST", r"/fal-ai/.*", Response(429, {"detail": "slow down"}))
    task = with_retries(lambda: engine.submit(full_request(images), key="k"), sleep=no_sleep)
    fake.fault("GET", r"/fal-ai/kling-video/requests/[^/]+/status", Response(drop=True))
    fake.fault("GET", r"/fal-ai/kling-video/requests/[^/]+", Response(404, {"detail": "not found"}))  # result once
    status = with_retries(lambda: engine.poll(task), sleep=no_sleep)
    assert status.state == "succeeded"
    fake.fault("GET", r"/files/.*", Response(200, b"\x00" * 5000, truncate=1000))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RemoteError, match="truncated|interrupted") as truncated:
        engine.fetch(task, status, out)
    assert truncated.value.retryable and not (out / "video.mp4").exists()
    fake.fault("GET", r"/files/.*", Response(200, b"\x00" * 5000, truncate=1000))
    clip = with_retries(lambda: engine.fetch(task, status, out), sleep=no_sleep)
    assert clip.num_frames == 24


@pytest.mark.parametrize(("fault", "retryable", "error_type"), [
    ("error", True, "runner_disconnected"),
    ("refused", False, "content_policy_violation"),
    ("failed_status", False, None),
])
def test_failed_jobs_are_failed_statuses(fake: FalFake, images: dict[str, Path], fault: str, retryable: bool,
                                         error_type: str | None) -> None:
    fake.job_faults.append(fault)
    engine = FalEngine()
    status = wait(engine, engine.submit(full_request(images), key="k"))
    assert status.state == "failed" and status.retryable is retryable and not status.billed
    assert status.data["error_type"] == error_type and status.reason
    assert status.reason.startswith("content policy: ") is (fault == "refused")


def test_a_refused_result_says_content_policy(fake: FalFake, images: dict[str, Path]) -> None:
    fake.job_faults.append("refused")
    engine = FalEngine()
    task = engine.submit(full_request(images), key="k")
    wait(engine, task)
    status = engine.result(task)  # the output's own 422, as a client reading the result first would see it
    assert status.reason == "content policy: result of " + task.task_id + ": HTTP 422: prompt: The content was " \
                            "flagged by a content checker." and not status.retryable


def test_features_are_what_the_default_row_takes() -> None:
    default, models = load_models()
    row = models[default]
    takes = {"text": row.text is not None or not row.requires, "first_frame": row.first_frame,
             "last_frame": row.last_frame, "references": row.references, "seed": row.seed}
    assert FalEngine.features == tuple(part for part, field in takes.items() if field)


def test_a_stuck_job_times_out_in_render(fake: FalFake, images: dict[str, Path], tmp_path: Path) -> None:
    fake.job_faults.append("stuck")
    engine = FalEngine(poll_interval=0.01, timeout=0.2)
    with pytest.raises(RemoteError, match=r"not finished after 0\.2s") as stuck:
        engine.render(full_request(images), tmp_path)
    assert stuck.value.retryable


def test_the_fake_refuses_unknown_and_missing_fields_like_fastapi(fake: FalFake, images: dict[str, Path]) -> None:
    answer = httpx.post(f"{fake.url}/fal-ai/kling-video/v2.6/pro/image-to-video",
                        headers={"Authorization": f"Key {KEY}"},
                        json={"prompt": "p", "start_image_url": data_uri(images["first"]), "tail_image_url": "x",
                              "duration": 5})
    assert answer.status_code == 422
    problems = {(p["loc"][1], p["type"]) for p in answer.json()["detail"]}
    assert problems == {("tail_image_url", "extra_forbidden"), ("duration", "literal_error")}
    missing = httpx.post(f"{fake.url}/fal-ai/veo3.1/first-last-frame-to-video",
                         headers={"Authorization": f"Key {KEY}"}, json={"prompt": "p"})
    assert {p["loc"][1] for p in missing.json()["detail"]} == {"first_frame_url", "last_frame_url"}


def test_estimate_and_identity(images: dict[str, Path]) -> None:
    request = full_request(images)
    assert FalEngine().estimate(request).amount == pytest.approx(0.45)  # kling 2.1 pro: 5 s × 0.09
    assert FalEngine(price_per_second=0.1).estimate(request).amount == pytest.approx(0.5)
    flf = full_request(images, model="wan-flf2v")
    assert FalEngine().estimate(flf).amount == pytest.approx(0.40 + 0.0)
    identity = FalEngine.identity(request)
    assert identity == {"endpoint": "fal-ai/kling-video/v2.1/pro/image-to-video"}  # the end frame is in the key already
    assert FalEngine.identity(full_request(images, model="kling-2.6"))["endpoint"] != identity["endpoint"]
