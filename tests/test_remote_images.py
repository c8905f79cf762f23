"""Remote image engines against fakes of their providers: Seedream on Ark, fal's image models, ComfyUI image
workflows. Each draws a still end to end (the bytes sent carry the reference images; seed and size honoured), every
fault maps to its typed error and retryability, no key reaches an error, and a keyframe-like job runs through
drama's task queue with its per-image cost in the ledger."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from english_project import english_project
from fakes.ark import ArkFake
from fakes.comfyui import ComfyUIFake
from fakes.fal import FalFake
from fakes.server import Response
from fakes.video_tasks import corrupt_image, no_sleep, out, seeded_png, truncated_image, wait, write_image
from PIL import Image

from engine.api import CharacterRef, Control, RenderRequest, SceneContext
from engine.registry import engine_class
from engine.remote import ContentRefused, CredentialsError, RateLimited, RemoteError
from engine.remote.comfyui_image import ComfyUIImageEngine
from engine.remote.fal_image import FalImageEngine, FalImageModel
from engine.remote.fal_image import load_models as load_fal_image_models
from engine.remote.retry import with_retries
from engine.remote.seedream import DEFAULT_MODEL, SeedreamEngine

ARK_KEY = "ark-SECRET-image-0123456789"
T2I3 = "doubao-seedream-3-0-t2i-250415"
EDIT3 = "doubao-seededit-3-0-i2i-250628"


def request(**fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "雨夜，女孩撑伞站在街角，电影感", "width": 540, "height": 960, "seed": 1234,
                            **fields})


def data_uri_of(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def pixels(path: Path) -> tuple[tuple[int, int], tuple[int, ...]]:
    with Image.open(path) as image:
        return image.size, image.convert("RGB").getpixel((0, 0))


# --- Seedream on Ark ------------------------------------------------------------------------------------------

@pytest.fixture
def ark(monkeypatch: pytest.MonkeyPatch):
    with ArkFake(ARK_KEY) as fake:
        monkeypatch.setenv("ARK_API_KEY", ARK_KEY)
        monkeypatch.setenv("ARK_API_BASE", fake.base)
        yield fake


def ark_body(ark: ArkFake) -> dict:
    return ark.requests("POST", r"/api/v3/images/generations")[-1].json()


def test_seedream_draws_a_still_with_the_references(ark: ArkFake, tmp_path: Path):
    refs = [write_image(tmp_path / f"ref{i}.png", color=(30 * i, 80, 200)) for i in range(3)]
    place = write_image(tmp_path / "street.png", size=(640, 360), color=(5, 5, 5))
    cast = (CharacterRef(name="A", reference_images=(refs[0], refs[1])), CharacterRef(name="B",
                                                                                     reference_images=(refs[2],)))
    engine = SeedreamEngine()
    shot = request(characters=cast, scene=SceneContext(location_image=place))
    task = engine.submit(shot, key="job-1")
    assert (task.provider, task.external_id, task.cost.units, task.cost.amount) == ("ark", "job-1", 1.0, 0.03)
    assert ark.generated == 1  # made at submit: Ark answers with the image
    status = wait(engine, task)
    assert status.state == "succeeded" and status.result_urls == [task.data["url"]]
    folder = out(tmp_path)
    still = engine.fetch(task, status, folder)
    assert still.image == folder / "still.png" and list(folder.iterdir()) == [still.image]
    assert still.image.read_bytes() == ark.images["img-000001"]
    assert (still.width, still.height) == (720, 1280) and still.meta["provider"] == "ark"

    body = ark_body(ark)
    # every character's first image before anyone's second, then the place; sent as the files' own bytes
    assert body == {"model": DEFAULT_MODEL, "prompt": shot.prompt, "size": "720x1280",
                    "image": [data_uri_of(p) for p in (refs[0], refs[2], refs[1], place)],
                    "sequential_image_generation": "disabled", "stream": False, "response_format": "url",
                    "watermark": False}
    assert ark.requests("POST", r".*")[-1].headers["authorization"] == f"Bearer {ARK_KEY}"


def test_seedream_seed_and_size_on_the_3_0_model_tell_draws_apart(ark: ArkFake, tmp_path: Path):
    engine = SeedreamEngine(model=T2I3)
    first = engine.render(request(seed=7), out(tmp_path, "a"))
    again = engine.render(request(seed=7), out(tmp_path, "b"))
    other = engine.render(request(seed=8), out(tmp_path, "c"))
    body = ark_body(ark)
    assert (body["seed"], body["size"], "image" in body, "stream" in body) == (8, "544x960", False, False)
    assert pixels(first.image) == pixels(again.image) != pixels(other.image)
    assert pixels(first.image)[0] == (544, 960)


def test_seedream_single_reference_goes_as_one_string_and_seededit_edits_the_first_frame(ark: ArkFake,
                                                                                        tmp_path: Path):
    ref = write_image(tmp_path / "ref.png")
    SeedreamEngine().render(request(characters=(CharacterRef(name="A", reference_images=(ref,)),)), out(tmp_path))
    assert ark_body(ark)["image"] == data_uri_of(ref)

    frame = write_image(tmp_path / "frame.png", size=(400, 400), color=(1, 2, 3))
    SeedreamEngine(model=EDIT3).render(request(first_frame=frame), out(tmp_path, "edit"))
    assert {k: ark_body(ark)[k] for k in ("image", "size", "seed")} == {"image": data_uri_of(frame),
                                                                         "size": "adaptive", "seed": 1234}
    with pytest.raises(RemoteError, match="no first frame nor reference image"):
        SeedreamEngine(model=EDIT3).submit(request(), key="k")


def test_seedream_says_what_it_cannot_take(ark: ArkFake, tmp_path: Path):
    layout = write_image(tmp_path / "layout.png")
    task = SeedreamEngine().submit(request(negative_prompt="blur", controls=(Control(kind="layout", path=layout),)),
                                   key="k")
    assert task.data["ignored"] == "negative_prompt,controls"
    assert "negative" not in str(ark_body(ark))


@pytest.mark.parametrize(("fault", "kind", "retryable", "code"), [
    ("input", ContentRefused, False, "InputTextSensitiveContentDetected"),
    ("output", ContentRefused, False, "OutputImageSensitiveContentDetected"),
    ("rate", RateLimited, True, "RateLimitExceeded.EndpointRPMExceeded"),
    ("server", RemoteError, True, "InternalServiceError"),
    ("key", CredentialsError, False, "AuthenticationError"),
])
def test_seedream_faults_map_to_typed_errors(ark: ArkFake, monkeypatch: pytest.MonkeyPatch, fault: str, kind: type,
                                            retryable: bool, code: str):
    images = r"/api/v3/images/generations"
    if fault == "input":
        ark.refuse_next_create(path=images)
    elif fault == "output":
        ark.refuse_next_create("OutputImageSensitiveContentDetected", path=images)
    elif fault == "rate":
        ark.rate_limit_next(retry_after=2, path=images)
    elif fault == "server":
        ark.server_error_next(path=images)
    else:
        monkeypatch.setenv("ARK_API_KEY", "ark-WRONG-key-987654")
    with pytest.raises(kind) as caught:
        SeedreamEngine().submit(request(), key="k")
    error = caught.value
    assert (type(error), error.retryable, error.code, error.sent, error.billed) == (kind, retryable, code, False,
                                                                                   False)
    assert ARK_KEY not in str(error) and "ark-WRONG-key-987654" not in str(error)
    if fault == "rate":
        assert error.retry_after == 2.0
    if fault == "key":
        assert "ARK_API_KEY" in str(error)
    assert ark.generated == 0


@pytest.mark.parametrize(("code", "kind", "retryable"), [("OutputImageSensitiveContentDetected", ContentRefused, False),
                                                      ("InternalServiceError", RemoteError, True)])
def test_seedream_image_failed_inside_a_200_answer(ark: ArkFake, code: str, kind: type, retryable: bool):
    ark.fail_next_image(code)
    with pytest.raises(kind) as caught:
        SeedreamEngine().submit(request(), key="k")
    assert (type(caught.value), caught.value.code, caught.value.retryable) == (kind, code, retryable)
    assert ark.generated == 0


def test_seedream_retries_get_through_after_429_and_500(ark: ArkFake, tmp_path: Path):
    images = r"/api/v3/images/generations"
    ark.rate_limit_next(retry_after=0, path=images)
    ark.server_error_next(path=images)
    task = with_retries(lambda: SeedreamEngine().submit(request(), key="k"), sleep=no_sleep)
    assert ark.generated == 1 and len(ark.requests("POST", images)) == 3
    assert task.data["url"].endswith("/results/img-000001.png")


def test_seedream_lost_answer_is_sent_so_never_resubmitted_blindly(ark: ArkFake):
    ark.lose_next_answer()
    with pytest.raises(RemoteError) as caught:
        SeedreamEngine().submit(request(), key="k")
    assert (caught.value.sent, caught.value.retryable, ark.generated) == (True, True, 1)
    assert not SeedreamEngine().finds_lost_tasks  # nothing to look the image up by: RemoteRun will not resubmit


@pytest.mark.parametrize("damage", ["truncate", "corrupt", "drop"])
def test_seedream_damaged_download_is_retryable_and_leaves_nothing(ark: ArkFake, tmp_path: Path, damage: str):
    engine = SeedreamEngine()
    task = engine.submit(request(), key="k")
    status = engine.poll(task)
    {"truncate": ark.truncate_next_image, "corrupt": ark.corrupt_next_image,
     "drop": lambda: ark.drop_next("GET", r"/results/.*")}[damage]()
    folder = out(tmp_path)
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, folder)
    assert caught.value.retryable and list(folder.iterdir()) == []
    still = engine.fetch(task, status, folder)  # the next try downloads it whole
    assert still.image.read_bytes() == ark.images["img-000001"]


def test_seedream_result_older_than_a_day_is_reported_lost_and_billed(ark: ArkFake):
    engine = SeedreamEngine()
    task = engine.submit(request(), key="k")
    old = task.model_copy(update={"submitted": task.submitted - 25 * 3600})
    status = engine.poll(old)
    assert (status.state, status.billed, status.retryable) == ("failed", True, True)


def test_ark_fake_refuses_what_ark_refuses(ark: ArkFake, tmp_path: Path):
    import httpx

    def post(body: dict) -> httpx.Response:
        return httpx.post(f"{ark.base}/images/generations", json=body,
                          headers={"authorization": f"Bearer {ARK_KEY}"})

    good = {"model": DEFAULT_MODEL, "prompt": "a cat", "size": "2K"}
    assert post(good).status_code == 200
    tiny = "data:image/png;base64," + base64.b64encode(seeded_png(10, 10, 1)).decode()
    for bad, param in [({"negative_prompt": "x"}, "negative_prompt"), ({"size": "512x512"}, "size"),
                       ({"size": "4000x100"}, "size"), ({"image": tiny}, "image[0]"),
                       ({"image": [tiny] * 11}, "image"), ({"response_format": "png"}, "response_format"),
                       ({"guidance_scale": 3}, "guidance_scale"), ({"seed": 2**31}, "seed")]:
        answer = post({**good, **bad})
        assert (answer.status_code, answer.json()["error"]["param"]) == (400, param), bad
    assert post({**good, "model": T2I3, "size": "2K"}).json()["error"]["param"] == "size"
    assert post({**good, "model": T2I3, "stream": False}).json()["error"]["param"] == "stream"
    assert post({"model": EDIT3, "prompt": "x", "size": "adaptive"}).json()["error"]["param"] == "image"
    b64 = post({**good, "response_format": "b64_json", "seed": 5}).json()["data"][0]
    assert Image.open(io.BytesIO(base64.b64decode(b64["b64_json"]))).size == (2048, 2048)
    assert post({**good, "model": "doubao-seedream-9"}).status_code == 404


def test_seedream_is_registered_as_an_image_engine():
    cls = engine_class("seedream")
    assert cls is SeedreamEngine and cls.kind == "image" and cls.credentials == ("ARK_API_KEY",)


# --- fal image models -------------------------------------------------------------------------------------------

FAL_KEY = "fal-SECRET-image-key:0123456789"


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch):
    with FalFake(FAL_KEY, latency=0.02) as fake:
        monkeypatch.setenv("FAL_KEY", FAL_KEY)
        monkeypatch.setenv("FAL_QUEUE_BASE", fake.url)
        yield fake


def fal_draw(model: str | None, shot: RenderRequest, folder: Path):
    engine = FalImageEngine(**({"model": model} if model else {}))
    task = engine.submit(shot, key="job")
    status = wait(engine, task)
    assert status.state == "succeeded", status.reason
    return task, engine.fetch(task, status, folder)


def cast_of(tmp_path: Path) -> tuple[tuple[CharacterRef, ...], list[Path]]:
    refs = [write_image(tmp_path / f"c{i}.png", color=(60 * i, 20, 90)) for i in range(4)]
    return (CharacterRef(name="A", reference_images=(refs[0], refs[1])),
            CharacterRef(name="B", reference_images=(refs[2], refs[3]))), refs


def test_fal_seedream_edit_sends_the_references_and_the_size(fal: FalFake, tmp_path: Path):
    cast, refs = cast_of(tmp_path)
    place = write_image(tmp_path / "place.jpg", color=(9, 9, 9), format="JPEG")
    shot = request(characters=cast, scene=SceneContext(location_image=place))
    task, still = fal_draw(None, shot, out(tmp_path))
    assert (task.data["model"], task.data["endpoint"], task.cost.amount) == (
        "seedream-4", "fal-ai/bytedance/seedream/v4/edit", 0.03)
    [body] = fal.bodies("fal-ai/bytedance/seedream/v4/edit")
    # 540×960 scaled so the shorter side is 1024 (Seedream's minimum), in multiples of 16
    assert body == {"num_images": 1, "enable_safety_checker": True, "prompt": shot.prompt, "seed": 1234,
                    "image_size": {"width": 1024, "height": 1824},
                    "image_urls": [data_uri_of(p) for p in (refs[0], refs[2], refs[1], refs[3])]
                    + ["data:image/jpeg;base64," + base64.b64encode(place.read_bytes()).decode()]}
    assert (still.width, still.height) == (1024, 1824)
    assert still.image.read_bytes() == fal.jobs[task.task_id].image
    assert fal.requests("POST", r"/.*")[-1].headers["authorization"] == f"Key {FAL_KEY}"


def test_fal_rows_without_references_go_to_text_to_image(fal: FalFake, tmp_path: Path):
    fal_draw(None, request(), out(tmp_path, "s"))
    assert "image_urls" not in fal.bodies("fal-ai/bytedance/seedream/v4/text-to-image")[0]
    fal_draw("nano-banana", request(width=960, height=540), out(tmp_path, "n"))
    assert fal.bodies("fal-ai/nano-banana")[0] == {"num_images": 1, "output_format": "png", "prompt": request().prompt,
                                                  "aspect_ratio": "16:9"}


def test_fal_kontext_takes_one_image_and_nano_banana_three(fal: FalFake, tmp_path: Path):
    cast, refs = cast_of(tmp_path)
    task, still = fal_draw("flux-kontext", request(characters=cast), out(tmp_path, "k"))
    [body] = fal.bodies("fal-ai/flux-pro/kontext")
    assert body == {"num_images": 1, "output_format": "png", "guidance_scale": 3.5, "prompt": request().prompt,
                    "image_url": data_uri_of(refs[0]), "seed": 1234, "aspect_ratio": "9:16"}
    assert (still.width, still.height) == (768, 1360)  # the fake draws about a megapixel at the ratio

    fal_draw("nano-banana", request(characters=cast), out(tmp_path, "n"))
    [body] = fal.bodies("fal-ai/nano-banana/edit")
    assert body["image_urls"] == [data_uri_of(p) for p in (refs[0], refs[2], refs[1])] and "seed" not in body


def test_fal_flux_dev_seeds_tell_draws_apart_and_references_are_listed_as_ignored(fal: FalFake, tmp_path: Path):
    cast, _ = cast_of(tmp_path)
    task, first = fal_draw("flux-dev", request(seed=3, characters=cast), out(tmp_path, "a"))
    assert task.data["ignored"] == "references"
    _, again = fal_draw("flux-dev", request(seed=3), out(tmp_path, "b"))
    _, other = fal_draw("flux-dev", request(seed=4), out(tmp_path, "c"))
    assert fal.bodies("fal-ai/flux/dev")[-1] == {"num_images": 1, "num_inference_steps": 28, "output_format": "png",
                                                 "prompt": request().prompt, "seed": 4,
                                                 "image_size": {"width": 544, "height": 960}}
    assert pixels(first.image) == pixels(again.image) != pixels(other.image)


def test_fal_rows_match_the_fakes_schemas(fal: FalFake, tmp_path: Path):
    """Every row of the table, with and without references, is accepted field by field by the fake's own copy of
    the model pages (so a wrong field name in the table fails here)."""
    cast, _ = cast_of(tmp_path)
    _, models = load_fal_image_models()
    for name in models:
        for index, shot in enumerate((request(), request(characters=cast))):
            fal_draw(name, shot, out(tmp_path, f"{name}-{index}"))


@pytest.mark.parametrize(("fault", "retryable", "words"), [("refused", False, "content policy"),
                                                           ("error", True, "Runner disconnected")])
def test_fal_image_job_that_fails(fal: FalFake, fault: str, retryable: bool, words: str):
    fal.job_faults.append(fault)
    engine = FalImageEngine(model="flux-dev")
    status = wait(engine, engine.submit(request(), key="k"))
    assert (status.state, status.retryable, status.billed) == ("failed", retryable, False)
    assert words in status.reason


def test_fal_image_submit_faults(fal: FalFake, monkeypatch: pytest.MonkeyPatch):
    engine = FalImageEngine(model="flux-dev")
    fal.fault("POST", r"/fal-ai/flux/dev", Response(429, {"detail": "Too many"}, {"retry-after": "4"}))
    with pytest.raises(RateLimited) as limited:
        engine.submit(request(), key="k")
    assert (limited.value.retryable, limited.value.retry_after) == (True, 4.0)
    fal.fault("POST", r"/fal-ai/flux/dev", Response(drop=True))
    with pytest.raises(RemoteError) as dropped:
        engine.submit(request(), key="k")
    assert dropped.value.sent and dropped.value.retryable
    monkeypatch.setenv("FAL_KEY", "fal-WRONG:key")
    with pytest.raises(CredentialsError) as refused:
        FalImageEngine(model="flux-dev").submit(request(), key="k")
    assert "FAL_KEY" in str(refused.value) and "fal-WRONG:key" not in str(refused.value)
    assert FAL_KEY not in str(limited.value) + str(dropped.value)
    row = FalImageModel(name="refs-only", endpoint="fal-ai/x/edit", references="image_urls", requires=("references",))
    with pytest.raises(RemoteError, match="needs reference images"):
        row.arguments(request())
    assert FalImageEngine().model(request()).endpoint.endswith("text-to-image")


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_fal_damaged_image_download_is_retryable(fal: FalFake, tmp_path: Path, damage: str):
    engine = FalImageEngine(model="flux-dev")
    task = engine.submit(request(), key="k")
    status = wait(engine, task)
    fal.fault("GET", r"/files/.*\.png", truncated_image() if damage == "truncate" else corrupt_image())
    folder = out(tmp_path)
    with pytest.raises(RemoteError) as caught:
        engine.fetch(task, status, folder)
    assert caught.value.retryable and list(folder.iterdir()) == []
    assert engine.fetch(task, status, folder).image.read_bytes() == fal.jobs[task.task_id].image


# --- ComfyUI image workflows ------------------------------------------------------------------------------------

@pytest.fixture
def comfy(monkeypatch: pytest.MonkeyPatch):
    with ComfyUIFake(latency=0.02) as fake:
        monkeypatch.setenv("COMFYUI_URL", fake.url)
        yield fake


def test_comfyui_image_workflow_draws_a_seeded_still(comfy: ComfyUIFake, tmp_path: Path):
    engine = ComfyUIImageEngine(poll_interval=0.01)
    task = engine.submit(request(seed=99, negative_prompt="blur"), key="job-9")
    status = wait(engine, task)
    assert status.state == "succeeded" and status.result_urls[0].startswith("view?filename=still_00000_.png")
    still = engine.fetch(task, status, out(tmp_path))
    assert (still.image.name, still.width, still.height) == ("still.png", 544, 960)  # SDXL: multiples of 8
    graph = comfy.prompts[task.task_id].graph
    assert graph["3"]["inputs"]["seed"] == 99
    assert graph["5"]["inputs"] == {"width": 544, "height": 960, "batch_size": 1}
    assert (graph["6"]["inputs"]["text"], graph["7"]["inputs"]["text"]) == (request().prompt, "blur")
    assert still.image.read_bytes() == comfy.outputs[("drama", "still_00000_.png")]
    assert task.cost.amount == 0.0 and engine.estimate(request(options={"price_per_task": 0.01})).amount == 0.01

    again = engine.render(request(seed=99, negative_prompt="blur"), out(tmp_path, "again"))
    other = engine.render(request(seed=100, negative_prompt="blur"), out(tmp_path, "other"))
    assert pixels(again.image) == pixels(still.image) != pixels(other.image)


def test_comfyui_layout_workflow_follows_the_previz_layout(comfy: ComfyUIFake, tmp_path: Path):
    layout = write_image(tmp_path / "layout.png", size=(540, 960), color=(70, 70, 70))
    depth_video = tmp_path / "depth.mp4"  # a video engine's control: not a picture, never uploaded
    depth_video.write_bytes(b"not used")
    engine = ComfyUIImageEngine(workflow="sdxl_layout_image", poll_interval=0.01)
    shot = request(controls=(Control(kind="depth", path=depth_video), Control(kind="layout", path=layout,
                                                                             strength=0.45)))
    task = engine.submit(shot, key="layout-1")
    graph = comfy.prompts[task.task_id].graph
    assert comfy.uploads[graph["10"]["inputs"]["image"]] == layout.read_bytes()
    assert graph["13"]["inputs"]["strength"] == 0.45 and graph["3"]["inputs"]["positive"] == ["13", 0]
    assert list(comfy.uploads) == [graph["10"]["inputs"]["image"]]
    first = engine.fetch(task, wait(engine, task), out(tmp_path, "a"))
    other = write_image(tmp_path / "other.png", size=(540, 960), color=(200, 10, 10))
    moved = engine.render(request(controls=(Control(kind="layout", path=other),)), out(tmp_path, "b"))
    assert pixels(first.image) != pixels(moved.image)  # same seed and prompt, another layout

    posts = len(comfy.requests("POST", r".*"))
    with pytest.raises(RemoteError, match="sdxl_layout_image.json needs layout"):
        engine.submit(request(), key="no-layout")
    assert len(comfy.requests("POST", r".*")) == posts  # refused before any upload or queueing


def test_comfyui_image_failures(comfy: ComfyUIFake, tmp_path: Path):
    engine = ComfyUIImageEngine()
    comfy.job_faults.append("oom")
    status = wait(engine, engine.submit(request(), key="oom"))
    assert (status.state, status.retryable) == ("failed", True) and "out of memory" in status.reason
    comfy.models["checkpoints"] = []  # the checkpoint is not on the server: refused before queueing
    with pytest.raises(RemoteError, match="model file not on the server: sd_xl_base_1.0.safetensors"):
        engine.submit(request(), key="missing")
    comfy.models["checkpoints"] = ["sd_xl_base_1.0.safetensors"]
    # a video workflow run by the image engine finishes without a still: said so, not fetched as one
    status = wait(engine, engine.submit(request(options={"workflow": str(template("wan22_ti2v_5b"))}), key="v"))
    assert (status.state, status.reason) == ("failed", "the workflow finished without an image output (SaveImage)")


def test_comfyui_image_lost_record_is_recovered_by_its_key(comfy: ComfyUIFake):
    engine = ComfyUIImageEngine()
    task = engine.submit(request(), key="job-lost")
    found = ComfyUIImageEngine().recover("job-lost")
    assert found is not None and found.task_id == task.task_id and len(comfy.prompts) == 1


def template(name: str) -> Path:
    return Path(__file__).resolve().parents[1] / "templates" / "comfyui" / f"{name}.json"


# --- through drama's task queue ---------------------------------------------------------------------------------

def stills_project(root: Path, engine: str, settings: str = "", *, draws: int = 1) -> Path:
    """The three-shot English project drawing stills on `engine`, polled fast, with `settings` for its table."""
    return english_project(root, f'[video]\nwidth = 144\nheight = 256\nfps = 12\n[voice]\nbackend = "offline"\n'
                                 f'[engines.{engine}]\npoll_interval = 0.01\n{settings}\n'
                                 f'[render]\nengine = "{engine}"\ndraws = {draws}\n', title="stills")


def test_stills_through_drama_render_with_budget_and_ledger(tmp_path: Path, ark: ArkFake, capsys):
    """Three shots, two draws each, on seedream at 0.25 an image with a budget of four: four stills are drawn and
    billed in the ledger at 0.25 each, two draws are refused by the budget and never reach Ark."""
    from drama.cli import main
    from drama.project import Project
    from drama.render.state import StateStore

    root = stills_project(tmp_path / "p", "seedream", "price_per_task = 0.25\nconcurrency = 1", draws=2)
    (root / "drama.toml").write_text((root / "drama.toml").read_text() + "budget = 1.01\n", encoding="utf-8")
    assert main(["render", str(root)]) == 0
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())
    with StateStore(Project.load(root)) as store:
        entries, found = store.ledger(), store.candidates()
    assert ark.generated == len(entries) == len(found) == 4
    assert {(e.outcome, e.cost, e.units, e.provider) for e in entries} == {("billed", 0.25, 1.0, "ark")}
    assert "not drawn 2 draw(s): the budget of episode ep01" in printed
    for candidate in found:
        manifest = json.loads((candidate.path / "candidate.json").read_text(encoding="utf-8"))
        assert manifest["clip"]["still"] == "still.png" and manifest["clip"]["meta"]["provider"] == "ark"
        with Image.open(candidate.path / "still.png") as still:
            assert still.size == (720, 1280)  # 144×256 scaled up to Seedream 4's smallest size
    assert {r.json()["size"] for r in ark.requests("POST", r"/api/v3/images/generations")} == {"720x1280"}


def test_a_lost_answer_in_drama_render_is_billed_and_never_sent_twice(tmp_path: Path, ark: ArkFake, capsys):
    from drama.cli import main
    from drama.project import Project
    from drama.render.state import StateStore

    root = stills_project(tmp_path / "p", "seedream", "concurrency = 1")
    ark.lose_next_answer()
    main(["render", str(root)])
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())
    assert ark.generated == 3 and len(ark.requests("POST", r"/api/v3/images/generations")) == 3
    assert "so it was not sent again" in printed
    with StateStore(Project.load(root)) as store:
        outcomes = sorted(e.outcome for e in store.ledger())
    assert outcomes == ["billed", "billed", "billed"]  # the lost one counts as paid: Ark made it
    assert ARK_KEY not in printed


@pytest.mark.parametrize("engine", ["seedream", "fal-image", "comfyui-image"])
def test_every_image_engine_draws_stills_through_drama_render(tmp_path: Path, engine: str, monkeypatch, capsys):
    from drama.cli import main
    from drama.project import Project
    from drama.render.state import StateStore

    fake = {"seedream": ArkFake(ARK_KEY), "fal-image": FalFake(FAL_KEY), "comfyui-image": ComfyUIFake()}[engine]
    with fake:
        environ = {"seedream": {"ARK_API_KEY": ARK_KEY, "ARK_API_BASE": f"{fake.url}/api/v3"},
                   "fal-image": {"FAL_KEY": FAL_KEY, "FAL_QUEUE_BASE": fake.url},
                   "comfyui-image": {"COMFYUI_URL": fake.url}}[engine]
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        root = stills_project(tmp_path / "p", engine)
        assert main(["render", str(root)]) == 0, capsys.readouterr()
        with StateStore(Project.load(root)) as store:
            found, entries = store.candidates(), store.ledger()
    assert len(found) == len(entries) == 3 and {c.engine for c in found} == {engine}
    assert {e.outcome for e in entries} == {"billed"} and {e.units for e in entries} == {1.0}
    assert all((c.path / "still.png").is_file() for c in found)
