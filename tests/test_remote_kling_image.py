"""kling-image against the fake Kling: which endpoint each request goes to and the body field by field, external
ids and recovery, prices, the fault kit, a still whose pixels follow the request, and the fake's own strictness."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
import jwt
import pytest
from fakes.kling import ACCESS_KEY, KlingFake, SECRET_KEY, kling_in_environment
from fakes.video_tasks import no_sleep, wait, write_image
from PIL import Image

from engine.api import CharacterRef, RenderRequest, SceneContext, Still
from engine.registry import get_engine
from engine.remote import RateLimited, RemoteError
from engine.remote.kling_image import KlingImageEngine
from engine.remote.retry import with_retries


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_in_environment(monkeypatch) as fake:
        yield fake


@pytest.fixture
def engine(kling: KlingFake) -> KlingImageEngine:
    return KlingImageEngine(poll_interval=0.01, timeout=5)


def request(**fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "Lin at the window, morning light.", "negative_prompt": "blurry",
                            "width": 540, "height": 960, **fields})


def created(kling: KlingFake, endpoint: str = r"[^/]+") -> list[dict]:
    return [r.json() for r in kling.requests("POST", rf"/v1/images/{endpoint}")]


def character(name: str, *images: Path) -> CharacterRef:
    return CharacterRef(name=name, reference_images=tuple(images))


def sent(value: str) -> bytes:
    assert not value.startswith("data:")
    return base64.b64decode(value, validate=True)


# --- endpoints and bodies ------------------------------------------------------------------------------------

def test_text_only_draws_a_still_end_to_end(kling: KlingFake, tmp_path: Path):
    still = get_engine("kling-image", poll_interval=0.01).render(request(), tmp_path)
    assert isinstance(still, Still) and still.image == tmp_path / "still.png"
    assert (still.width, still.height) == (576, 1024)  # 9:16 at the fake's 1k (1024 px on the long side)
    with Image.open(still.image) as image:
        assert image.format == "PNG" and image.size == (576, 1024)
    assert still.meta["provider"] == "kling"
    [body] = created(kling, "generations")
    assert body == {"model_name": "kling-v2-1", "prompt": "Lin at the window, morning light.", "n": 1,
                    "aspect_ratio": "9:16", "resolution": "1k", "negative_prompt": "blurry"}


@pytest.mark.parametrize(("size", "ratio"), [((540, 960), "9:16"), ((1920, 1080), "16:9"), ((1000, 1000), "1:1"),
                                             ((768, 1024), "3:4"), ((2100, 900), "21:9"), ((600, 900), "2:3")])
def test_aspect_ratio_is_the_nearest_of_kling_s_eight(engine: KlingImageEngine, kling: KlingFake,
                                                      size: tuple[int, int], ratio: str):
    engine.submit(request(width=size[0], height=size[1]), key="")
    assert created(kling)[-1]["aspect_ratio"] == ratio


def test_one_character_goes_as_a_subject_reference(engine: KlingImageEngine, kling: KlingFake, tmp_path: Path):
    first = write_image(tmp_path / "lin.jpg", (360, 640), format="JPEG")  # within Kling's limits: sent as it is
    second = write_image(tmp_path / "lin2.png", (400, 400))
    task = KlingImageEngine(human_fidelity=0.8).submit(request(characters=(character("Lin", first, second),
                                                                            CharacterRef(name="Extra"))), key="one")
    [body] = created(kling, "generations")
    assert sent(body["image"]) == first.read_bytes()
    assert body["image_reference"] == "subject" and body["model_name"] == "kling-v1-5"
    assert body["human_fidelity"] == 0.8 and "image_fidelity" not in body
    assert "negative_prompt" not in body  # Kling refuses it with a reference image
    assert body["external_task_id"] == "one" and task.data["endpoint"] == "generations"
    status = wait(engine, task)
    assert status.state == "succeeded" and status.result_urls[0].endswith(f"{task.task_id}-0.png")


def test_several_characters_go_to_multi_image2image_with_the_location(engine: KlingImageEngine, kling: KlingFake,
                                                                     tmp_path: Path):
    images = [write_image(tmp_path / f"{i}.png", (300 + i, 420)) for i in range(5)]
    small = write_image(tmp_path / "small.png", (120, 200))  # under 300 px: conformed before it is sent
    location = write_image(tmp_path / "kitchen.png", (640, 360), color=(20, 90, 160))
    characters = (character("Lin", images[0], images[1]), CharacterRef(name="Nobody"), character("Wei", small),
                  character("Ann", images[2]), character("Bo", images[3]), character("Cy", images[4]))
    task = engine.submit(request(characters=characters, scene=SceneContext(location_image=location)), key="many")
    [body] = created(kling, "multi-image2image")
    subjects = [sent(item["subject_image"]) for item in body["subject_image_list"]]
    assert len(subjects) == 4  # Kling's limit: the first reference of the first four characters that have one
    assert subjects[0] == images[0].read_bytes() and subjects[2:] == [images[2].read_bytes(), images[3].read_bytes()]
    with Image.open(io.BytesIO(subjects[1])) as conformed:
        assert min(conformed.size) == 300
    assert sent(body["scene_image"]) == location.read_bytes()
    assert body["model_name"] == "kling-v2-1" and body["n"] == 1 and body["external_task_id"] == "many"
    assert "resolution" not in body and "negative_prompt" not in body
    assert wait(engine, task).state == "succeeded"


def test_identity_names_the_model_as_used(tmp_path: Path):
    ref = tmp_path / "a.png"
    assert KlingImageEngine.identity(request()) == {"model": "kling-v2-1"}
    assert KlingImageEngine.identity(request(characters=(character("Lin", ref),))) == {"model": "kling-v1-5"}
    two = (character("Lin", ref), character("Wei", ref))
    assert KlingImageEngine.identity(request(characters=two, options={"multi_image_model": "kling-v2"})) == {
        "model": "kling-v2"}


def test_prices_per_image(tmp_path: Path):
    ref = tmp_path / "a.png"
    engine = KlingImageEngine()
    assert engine.estimate(request()).model_dump() == {"units": 1.0, "amount": 0.02}
    assert engine.estimate(request(characters=(character("Lin", ref),))).amount == 0.04
    assert engine.estimate(request(options={"model": "kling-v1"})).amount == 0.005
    assert engine.estimate(request(options={"model": "kling-v9"})).amount == 0.1  # unknown: the safe side
    assert engine.estimate(request(options={"price_per_task": 0.07})).amount == 0.07


# --- the still -------------------------------------------------------------------------------------------------

def test_pixels_follow_the_request(engine: KlingImageEngine, kling: KlingFake, tmp_path: Path):
    def draw(name: str, req: RenderRequest, key: str) -> bytes:
        task = engine.submit(req, key=key)
        folder = tmp_path / name
        folder.mkdir()
        return engine.fetch(task, wait(engine, task), folder).image.read_bytes()

    first = draw("a", request(), "a")
    assert draw("b", request(), "b") == first  # the same request, another key: the same picture
    assert draw("c", request(prompt="Wei in the rain."), "c") != first
    with Image.open(io.BytesIO(first)) as image:
        assert len(set(image.convert("RGB").getdata())) > 10  # not a flat colour


def test_a_still_is_published_as_a_draw(engine: KlingImageEngine, kling: KlingFake, tmp_path: Path):
    from drama.render.draw import draw

    task = engine.submit(request(), key="published")
    status = wait(engine, task)
    folder = tmp_path / "draw"
    folder.mkdir()
    drawn = draw(engine, request(), folder, make=lambda out: engine.fetch(task, status, out))
    assert drawn.clip["still"] == "still.png" and (drawn.clip["width"], drawn.clip["height"]) == (576, 1024)
    assert (folder / "poster.png").read_bytes() == (folder / "still.png").read_bytes()


# --- tasks, recovery and faults --------------------------------------------------------------------------------

def test_recover_finds_an_image_task_by_external_id(engine: KlingImageEngine, kling: KlingFake, tmp_path: Path):
    two = (character("Lin", write_image(tmp_path / "a.png")), character("Wei", write_image(tmp_path / "b.png")))
    task = engine.submit(request(characters=two), key="lost-record")
    found = KlingImageEngine().recover("lost-record")
    assert found is not None and found.task_id == task.task_id and found.data["endpoint"] == "multi-image2image"
    assert KlingImageEngine().recover("never-submitted") is None


def test_a_lost_create_answer_is_paid_once(engine: KlingImageEngine, kling: KlingFake):
    kling.lose_create_answer()
    task = with_retries(lambda: engine.submit(request(), key="once"), sleep=no_sleep)
    assert kling.creates["once"] == 2 and len(kling.tasks) == 1 and task.task_id in kling.tasks
    assert task.cost.amount == 0.02


def test_transient_faults_are_retried_and_a_bad_download_leaves_no_file(engine: KlingImageEngine, kling: KlingFake,
                                                                       tmp_path: Path):
    kling.refuse(1302, retry_after=0.5)
    kling.answer(502, b"<html>gateway</html>", on="query")
    waits: list[float] = []
    task = with_retries(lambda: engine.submit(request(), key="transient"), sleep=waits.append)
    status = with_retries(lambda: wait(engine, task), sleep=waits.append)
    assert status.state == "succeeded" and len(waits) == 2
    kling.corrupt_result()
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, tmp_path)
    assert caught.value.retryable and list(tmp_path.iterdir()) == []
    assert engine.fetch(task, status, tmp_path).image.exists()


def test_rate_limit_and_moderation(engine: KlingImageEngine, kling: KlingFake):
    kling.refuse(1303, "parallel task over resource pack limit")
    with pytest.raises(RateLimited):
        engine.submit(request(), key="")
    kling.fail_next()
    status = wait(engine, engine.submit(request(), key="bad"))
    assert status.state == "failed" and not status.retryable and not status.billed


# --- the fake refuses what Kling refuses -------------------------------------------------------------------------

def png(width: int = 320, height: int = 480) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(("endpoint", "body"), [
    ("generations", {"prompt": ""}),
    ("generations", {"prompt": "x", "seed": 1}),
    ("generations", {"prompt": "x", "model_name": "kling-v1-6"}),
    ("generations", {"prompt": "x", "n": 10}),
    ("generations", {"prompt": "x", "aspect_ratio": "5:4"}),
    ("generations", {"prompt": "x", "resolution": "4k"}),
    ("generations", {"prompt": "x", "image_reference": "subject", "model_name": "kling-v1-5"}),
    ("generations", {"prompt": "x", "image": png(), "model_name": "kling-v1-5"}),
    ("generations", {"prompt": "x", "image": png(), "image_reference": "subject", "model_name": "kling-v2-1"}),
    ("generations", {"prompt": "x", "image": png(), "image_reference": "pose", "model_name": "kling-v1-5"}),
    ("generations", {"prompt": "x", "image": png(), "image_reference": "subject", "model_name": "kling-v1-5",
                     "negative_prompt": "blur"}),
    ("generations", {"prompt": "x", "image": png(), "image_reference": "face", "model_name": "kling-v1-5",
                     "human_fidelity": 0.5}),
    ("generations", {"prompt": "x", "image": "data:image/png;base64," + png(), "image_reference": "subject",
                     "model_name": "kling-v1-5"}),
    ("generations", {"prompt": "x", "image": png(200, 200), "image_reference": "subject", "model_name": "kling-v1-5"}),
    ("generations", {"prompt": "x", "image_fidelity": 1.5}),
    ("multi-image2image", {"prompt": "x", "subject_image_list": []}),
    ("multi-image2image", {"prompt": "x", "subject_image_list": [{"subject_image": png()}] * 5}),
    ("multi-image2image", {"prompt": "x", "subject_image_list": [{"image": png()}]}),
    ("multi-image2image", {"prompt": "x", "subject_image_list": [{"subject_image": png()}], "resolution": "1k"}),
    ("multi-image2image", {"prompt": "x", "subject_image_list": [{"subject_image": png()}],
                           "model_name": "kling-v1-5"}),
    ("multi-image2image", {"subject_image_list": [{"subject_image": png()}], "scene_image": "not base64!"}),
])
def test_the_fake_refuses_bad_image_bodies(kling: KlingFake, endpoint: str, body: dict):
    token = jwt.encode({"iss": ACCESS_KEY, "exp": 2**31, "nbf": 0}, SECRET_KEY, algorithm="HS256",
                       headers={"typ": "JWT"})
    answer = httpx.post(f"{kling.url}/v1/images/{endpoint}", json=body, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.json()["code"] == 1201, answer.json()
    assert not kling.tasks


def test_image_endpoints_live_under_images_only(kling: KlingFake):
    token = jwt.encode({"iss": ACCESS_KEY, "exp": 2**31, "nbf": 0}, SECRET_KEY, algorithm="HS256",
                       headers={"typ": "JWT"})
    answer = httpx.post(f"{kling.url}/v1/videos/generations", json={"prompt": "x"},
                        headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 404 and not kling.tasks
