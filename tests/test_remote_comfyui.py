"""The comfyui engine against ComfyUIFake: the shipped Wan 2.2 workflows (5B ti2v by default, 14B i2v) patched
and queued, with and without a first frame, history, recovery, and each failure typed."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

import pytest

from engine.api import CharacterRef, RenderRequest, SceneContext
from engine.registry import get_engine
from engine.remote import RemoteError, RemoteTask
from engine.remote.comfyui import ComfyUIEngine, Inputs, inputs_path, prompt_id_for, template_path, workflow_path
from engine.remote.retry import with_retries
from tests.fakes.comfyui import INSTALLED, ComfyUIFake
from tests.fakes.server import Response
from tests.fakes.video_tasks import no_sleep, wait, write_image

I2V = workflow_path("wan22_i2v")  # Wan 2.2 14B image-to-video
TI2V = workflow_path(None)  # the default: Wan 2.2 5B, text- or image-to-video


@pytest.fixture(scope="module")
def server():
    with ComfyUIFake() as running:  # one server per module: stopping one takes half a second
        yield running


@pytest.fixture
def fake(server: ComfyUIFake, monkeypatch: pytest.MonkeyPatch) -> ComfyUIFake:
    server.log.clear()
    server.job_faults.clear()
    server.prompts.clear()
    server.latency = 0.0
    server.models = {folder: list(files) for folder, files in INSTALLED.items()}
    monkeypatch.setenv("COMFYUI_URL", server.url)
    return server


@pytest.fixture
def start(tmp_path: Path) -> Path:
    return write_image(tmp_path / "start.png", (32, 48), (180, 40, 20))


def shot(start: Path | None, **changes: object) -> RenderRequest:
    fields: dict[str, object] = dict(prompt="a lantern sways in the wind", negative_prompt="", width=540, height=960,
                                     fps=30, num_frames=70, seed=1234, first_frame=start)
    return RenderRequest(**{**fields, **changes})


def received_graph(fake: ComfyUIFake) -> dict:
    return fake.requests("POST", "/prompt")[-1].json()["prompt"]


def copy_workflow(tmp_path: Path) -> Path:
    """The shipped 14B i2v workflow and its declaration, copied where a test may edit them."""
    workflow = tmp_path / "flow" / "wan.json"
    workflow.parent.mkdir()
    shutil.copy(I2V, workflow)
    shutil.copy(inputs_path(I2V), inputs_path(workflow))
    return workflow


def test_render_end_to_end_through_engine_render(fake: ComfyUIFake, start: Path, tmp_path: Path) -> None:
    fake.latency = (0.05, 0.15)
    engine = get_engine("comfyui", poll_interval=0.02)
    (tmp_path / "out").mkdir()
    clip = engine.render(shot(start), tmp_path / "out")
    assert (clip.width, clip.height, clip.num_frames, clip.fps) == (64, 112, 24, 24.0)
    assert clip.meta["provider"] == "comfyui"


def test_a_shot_without_a_first_frame_renders_text_to_video_by_default(fake: ComfyUIFake, tmp_path: Path) -> None:
    clip = ComfyUIEngine(poll_interval=0.01).render(shot(None, num_frames=150), tmp_path)
    assert clip.num_frames == 24 and clip.meta["provider"] == "comfyui"
    graph = received_graph(fake)
    assert TI2V.name == "wan22_ti2v_5b.json" and "56" not in graph  # the start frame's LoadImage is gone …
    latent = graph["55"]["inputs"]
    assert "start_image" not in latent and latent["vae"] == ["39", 0]  # … with its link, nothing else
    assert (latent["width"], latent["height"], latent["length"]) == (544, 960, 121)  # 32s; 5 s at 24 fps
    assert graph["3"]["inputs"]["seed"] == 1234 and graph["57"]["inputs"]["fps"] == 24
    assert graph["6"]["inputs"]["text"] == "a lantern sways in the wind" and not fake.requests("POST", "/upload/image")


def test_the_default_workflow_takes_a_first_frame_when_there_is_one(fake: ComfyUIFake, start: Path) -> None:
    ComfyUIEngine().submit(shot(start), key="ti2v")
    graph = received_graph(fake)
    assert graph["55"]["inputs"]["start_image"] == ["56", 0]
    assert fake.uploads[graph["56"]["inputs"]["image"]] == start.read_bytes()


def test_the_workflow_is_patched_with_the_request(fake: ComfyUIFake, start: Path, tmp_path: Path) -> None:
    engine = ComfyUIEngine(workflow="wan22_i2v")
    task = engine.submit(shot(start, negative_prompt="text, watermark"), key="job-7")
    graph = received_graph(fake)
    body = fake.requests("POST", "/prompt")[-1].json()
    assert body["prompt_id"] == task.task_id == prompt_id_for("job-7") and uuid.UUID(task.task_id).version == 5
    assert body["client_id"] == task.data["client_id"] and task.external_id == "job-7"
    assert graph["93"]["inputs"]["text"] == "a lantern sways in the wind"
    assert graph["89"]["inputs"]["text"] == "text, watermark"
    assert graph["86"]["inputs"]["noise_seed"] == graph["85"]["inputs"]["noise_seed"] == 1234
    # 540×960 → multiples of 16; 70 frames at 30 fps = 2.33 s → 37 frames at Wan's 16 fps (4·9+1)
    assert {k: graph["98"]["inputs"][k] for k in ("width", "height", "length")} == {"width": 544, "height": 960,
                                                                                    "length": 37}
    assert graph["94"]["inputs"]["fps"] == 16
    name = graph["97"]["inputs"]["image"]
    assert fake.uploads[name] == start.read_bytes() and name.startswith("drama_")
    upload = fake.requests("POST", "/upload/image")[-1]
    assert b'name="overwrite"' in upload.body and b'name="type"' in upload.body
    status = wait(ComfyUIEngine(), RemoteTask.model_validate_json(task.model_dump_json()))
    assert status.state == "succeeded" and status.result_urls[0].startswith("view?filename=drama_")
    clip = ComfyUIEngine().fetch(task, status, tmp_path)
    assert clip.num_frames == 24


@pytest.mark.parametrize(("workflow", "frames", "fps", "length", "rate"), [
    (I2V, 150, 30, 81, 16), (I2V, 1, 30, 1, 16), (I2V, 48, 24, 33, 16), (I2V, 10, 30, 5, 16),
    (TI2V, 150, 30, 121, 24), (TI2V, 48, 24, 49, 24)])
def test_lengths_are_4n_plus_1_at_the_model_rate(workflow: Path, frames: int, fps: float, length: int,
                                                 rate: int) -> None:
    inputs = Inputs.load(inputs_path(workflow))
    assert inputs.frame_count(shot(None, num_frames=frames, fps=fps)) == (length, rate)


def test_features_are_the_default_workflows_slots() -> None:
    inputs = Inputs.load(inputs_path(TI2V))
    slots = {"text": inputs.prompt, "first_frame": inputs.first_frame, "references": inputs.references,
             "seed": inputs.seed}
    assert ComfyUIEngine.features == tuple(feature for feature, targets in slots.items() if targets)


def test_a_workflow_is_a_shipped_name_or_a_json_path(fake: ComfyUIFake, tmp_path: Path) -> None:
    assert workflow_path(str(tmp_path / "my.json")) == tmp_path / "my.json"
    assert workflow_path("wan22_i2v") == workflow_path(str(tmp_path / "wan22_i2v")) == I2V  # as drama passes it
    with pytest.raises(RemoteError, match="neither a shipped one"):
        ComfyUIEngine(workflow="wan23").submit(shot(None), key="k")


def test_queue_states_while_waiting(fake: ComfyUIFake, start: Path) -> None:
    fake.latency = 1.0
    engine = ComfyUIEngine()
    task = engine.submit(shot(start), key="queued")
    assert engine.poll(task).state == "queued"
    time.sleep(0.55)
    assert engine.poll(task).state == "running"


def test_vhs_video_combine_output_is_found_under_gifs(fake: ComfyUIFake, start: Path, tmp_path: Path) -> None:
    workflow = copy_workflow(tmp_path)
    graph = json.loads(workflow.read_text())
    del graph["108"], graph["94"]
    graph["110"] = {"class_type": "VHS_VideoCombine", "_meta": {"title": "Video Combine"},
                    "inputs": {"images": ["87", 0], "frame_rate": 16.0, "loop_count": 0, "filename_prefix": "drama",
                               "format": "video/h264-mp4", "pingpong": False, "save_output": True}}
    workflow.write_text(json.dumps(graph))
    inputs = inputs_path(workflow)
    inputs.write_text(inputs.read_text().replace('[fps]\nclass_type = "CreateVideo"\ninput = "fps"',
                                                 '[fps]\nclass_type = "VHS_VideoCombine"\ninput = "frame_rate"'))
    engine = ComfyUIEngine(workflow=str(workflow))
    task = engine.submit(shot(start), key="vhs")
    assert received_graph(fake)["110"]["inputs"]["frame_rate"] == 16
    status = wait(engine, task)
    assert status.result_urls[0].startswith("view?filename=drama_") and "subfolder=&" in status.result_urls[0]
    assert engine.fetch(task, status, tmp_path).num_frames == 24


def test_reference_images_fill_declared_load_image_nodes(fake: ComfyUIFake, start: Path, tmp_path: Path) -> None:
    workflow = copy_workflow(tmp_path)
    graph = json.loads(workflow.read_text())
    for node in ("120", "121", "122"):
        graph[node] = {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": f"Ref {node}"}}
    workflow.write_text(json.dumps(graph))
    inputs = inputs_path(workflow)
    inputs.write_text(inputs.read_text() + "".join(f'\n[[references]]\ntitle = "Ref {node}"\ninput = "image"\n'
                                                   for node in ("120", "121", "122")))
    hero, street = tmp_path / "hero.png", tmp_path / "street.png"
    write_image(hero, (16, 16), (30, 30, 30))
    write_image(street, (16, 16), (90, 90, 90))
    request = shot(start, characters=(CharacterRef(name="hero", reference_images=(hero,)),),
                   scene=SceneContext(location_image=street), options={"workflow": str(workflow)})
    ComfyUIEngine().submit(request, key="refs")
    graph = received_graph(fake)
    assert fake.uploads[graph["120"]["inputs"]["image"]] == hero.read_bytes()
    assert fake.uploads[graph["121"]["inputs"]["image"]] == street.read_bytes()  # the location after the cast
    assert "122" not in graph  # a reference node left empty is taken out, not left on example.png


def test_identity_follows_the_workflow_and_its_declaration(start: Path, tmp_path: Path) -> None:
    workflow = copy_workflow(tmp_path)
    request = shot(start, options={"workflow": str(workflow)})
    first = ComfyUIEngine.identity(request)
    assert first == ComfyUIEngine.identity(shot(start, options={"workflow": "wan22_i2v"}))  # the shipped bytes
    assert first != ComfyUIEngine.identity(shot(start))  # the default is another workflow
    workflow.write_text(workflow.read_text().replace('"steps": 20', '"steps": 30'))
    second = ComfyUIEngine.identity(request)
    assert second["workflow"] != first["workflow"] and second["inputs"] == first["inputs"]
    inputs_path(workflow).write_text(inputs_path(workflow).read_text().replace("size_multiple = 16",
                                                                               "size_multiple = 32"))
    assert ComfyUIEngine.identity(request)["inputs"] != second["inputs"]


def test_shipped_workflow_is_found_in_a_checkout_or_an_installed_wheel(tmp_path: Path) -> None:
    assert all(path.is_file() and inputs_path(path).is_file() for path in (I2V, TI2V))
    name = "comfyui/wan22_i2v.json"
    checkout = tmp_path / "checkout"
    (checkout / "templates" / "comfyui").mkdir(parents=True)
    (checkout / "templates" / name).write_text("{}")
    assert template_path(name, checkout) == checkout / "templates" / name
    wheel = tmp_path / "site-packages"
    (wheel / "drama" / "_templates" / "comfyui").mkdir(parents=True)
    (wheel / "drama" / "_templates" / name).write_text("{}")
    assert template_path(name, wheel) == wheel / "drama" / "_templates" / name
    with pytest.raises(FileNotFoundError):
        template_path(name, tmp_path / "empty")


def test_the_shipped_ti2v_graph_is_valid_and_loads_the_5b_models(fake: ComfyUIFake) -> None:
    graph = json.loads(TI2V.read_text())
    fake.uploads["example.png"] = b"png"
    assert fake.validate(graph) is None
    files = {value for node in graph.values() for value in node["inputs"].values()
             if str(value).endswith(".safetensors")}
    assert files == {"wan2.2_ti2v_5B_fp16.safetensors", "wan2.2_vae.safetensors",
                     "umt5_xxl_fp8_e4m3fn_scaled.safetensors"}
    fake.models["vae"] = ["wan_2.1_vae.safetensors"]  # the 14B graph's VAE is not the 5B one
    assert "wan2.2_vae.safetensors" in json.dumps(fake.validate(graph))


def test_the_shipped_graph_is_a_valid_wan22_i2v_graph(fake: ComfyUIFake) -> None:
    graph = json.loads(I2V.read_text())
    fake.uploads["example.png"] = b"png"
    assert fake.validate(graph) is None
    classes = sorted(node["class_type"] for node in graph.values())
    assert classes.count("KSamplerAdvanced") == 2 and classes.count("UNETLoader") == 2
    high, low = graph["86"]["inputs"], graph["85"]["inputs"]
    assert high["end_at_step"] == low["start_at_step"] and low["latent_image"] == ["86", 0]


def test_a_missing_model_file_is_a_clear_final_error(fake: ComfyUIFake, start: Path) -> None:
    fake.models["diffusion_models"] = ["wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors"]
    with pytest.raises(RemoteError) as refused:
        ComfyUIEngine(workflow="wan22_i2v").submit(shot(start), key="k")
    message = str(refused.value)
    assert not refused.value.retryable and refused.value.status == 400
    assert "model file not on the server: wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors" in message
    assert "node 95 (UNETLoader) input unet_name" in message


def test_inputs_the_workflow_cannot_take_are_refused_before_queueing(fake: ComfyUIFake, start: Path,
                                                                      tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match="needs first_frame") as no_start:
        ComfyUIEngine(workflow="wan22_i2v").submit(shot(None), key="k")
    assert not no_start.value.retryable
    workflow = copy_workflow(tmp_path)
    inputs_path(workflow).write_text(inputs_path(workflow).read_text().replace('title = "Start frame"',
                                                                               'title = "First frame"'))
    with pytest.raises(RemoteError, match=r"has no node LoadImage 'First frame'\.image"):
        ComfyUIEngine(workflow=str(workflow)).submit(shot(start), key="k")
    assert not fake.requests("POST", "/prompt") and not fake.requests("POST", "/upload/image")


@pytest.mark.parametrize(("fault", "retryable", "words"), [
    ("error", False, "node 3 (KSampler): RuntimeError: mat1"),
    ("oom", True, "CUDA out of memory"),
])
def test_execution_errors_are_failed_statuses(fake: ComfyUIFake, start: Path, fault: str, retryable: bool,
                                              words: str) -> None:
    fake.job_faults.append(fault)
    engine = ComfyUIEngine()
    status = wait(engine, engine.submit(shot(start), key="k"))
    assert status.state == "failed" and status.retryable is retryable and words in (status.reason or "")


def test_recover_finds_a_lost_task_by_its_key(fake: ComfyUIFake, start: Path) -> None:
    fake.latency = 0.6
    ComfyUIEngine().submit(shot(start), key="lost-record")
    found = ComfyUIEngine().recover("lost-record")  # another process, which never saw the task
    assert found is not None and found.task_id == prompt_id_for("lost-record") and found.external_id == "lost-record"
    assert wait(ComfyUIEngine(), found).state == "succeeded"
    assert ComfyUIEngine().recover("lost-record") is not None  # finished: found in /history
    assert ComfyUIEngine().recover("never-submitted") is None and ComfyUIEngine().recover("") is None


def test_a_submit_repeated_under_one_key_queues_once_unless_it_failed(fake: ComfyUIFake, start: Path) -> None:
    fake.latency = 0.6
    first = ComfyUIEngine().submit(shot(start), key="twice")
    again = ComfyUIEngine().submit(shot(start), key="twice")  # e.g. retried after the answer was lost
    assert again.task_id == first.task_id and len(fake.requests("POST", "/prompt")) == 1
    fake.latency = 0.0
    fake.job_faults.append("oom")
    engine = ComfyUIEngine()
    assert wait(engine, engine.submit(shot(start), key="oom")).state == "failed"
    assert wait(engine, engine.submit(shot(start), key="oom")).state == "succeeded"  # queued anew
    assert len(fake.requests("POST", "/prompt")) == 3


def test_a_prompt_the_server_forgot_fails_retryably(fake: ComfyUIFake) -> None:
    task = RemoteTask(provider="comfyui", task_id=str(uuid.uuid4()), submitted=time.time())
    status = ComfyUIEngine().poll(task)
    assert status.state == "failed" and status.retryable and "knows no prompt" in (status.reason or "")


@pytest.mark.parametrize("response", [Response(500, b"Internal Server Error"), Response(429, b"busy"),
                                      Response(drop=True)])
def test_transient_submit_faults_are_retryable_and_pass_with_retries(fake: ComfyUIFake, start: Path,
                                                                     response: Response) -> None:
    fake.fault("POST", "/prompt", response)
    with pytest.raises(RemoteError) as failed:
        ComfyUIEngine().submit(shot(start), key="k")
    assert failed.value.retryable
    fake.fault("POST", "/prompt", response)
    task = with_retries(lambda: ComfyUIEngine().submit(shot(start), key="k"), sleep=no_sleep)
    assert task.task_id == prompt_id_for("k")


def test_transient_poll_and_download_faults_pass_with_retries(fake: ComfyUIFake, start: Path,
                                                              tmp_path: Path) -> None:
    engine = ComfyUIEngine()
    task = engine.submit(shot(start), key="faults")
    fake.fault("GET", r"/history/.*", Response(drop=True))
    fake.fault("GET", r"/history/.*", Response(502, b"Bad Gateway"))
    status = with_retries(lambda: engine.poll(task), sleep=no_sleep)
    assert status.state == "succeeded"
    fake.fault("GET", "/view", Response(404, b""))
    fake.fault("GET", "/view", Response(200, b"\x00" * 4000, truncate=500))
    with pytest.raises(RemoteError) as missing:
        engine.fetch(task, status, tmp_path)
    assert missing.value.retryable and missing.value.status == 404
    clip = with_retries(lambda: engine.fetch(task, status, tmp_path), sleep=no_sleep)
    assert clip.num_frames == 24 and len(fake.requests("GET", "/view")) == 3


def test_a_stuck_prompt_times_out_in_render(fake: ComfyUIFake, start: Path, tmp_path: Path) -> None:
    fake.job_faults.append("stuck")
    with pytest.raises(RemoteError, match=r"not finished after 0\.2s") as stuck:
        ComfyUIEngine(poll_interval=0.01, timeout=0.2).render(shot(start), tmp_path / "out")
    assert stuck.value.retryable


def test_check_asks_the_server(fake: ComfyUIFake, monkeypatch: pytest.MonkeyPatch) -> None:
    check = ComfyUIEngine().check()
    assert check.configured and "ComfyUI 0.3.66" in check.detail
    monkeypatch.setenv("COMFYUI_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    down = ComfyUIEngine().check()
    assert not down.configured and "no ComfyUI at http://127.0.0.1:9" in down.detail
    assert time.monotonic() - started < 5


def test_estimate_is_free_by_default_and_priced_when_set(start: Path) -> None:
    assert ComfyUIEngine().estimate(shot(start)).amount == 0
    assert ComfyUIEngine(price_per_task=0.3).estimate(shot(start)).amount == pytest.approx(0.3)
