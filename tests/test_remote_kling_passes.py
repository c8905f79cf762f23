"""kling-lipsync and kling-extend against the fake Kling: a take drawn on Kling keeps its video_id, a lip-sync sends
the line's audio (the bytes the fake received are the line's), an extension returns the whole, longer video, prices,
and what the fake refuses."""

from __future__ import annotations

import base64
import io
import wave
from pathlib import Path

import httpx
import jwt
import numpy as np
import pytest
from fakes.kling import ACCESS_KEY, KlingFake, SECRET_KEY, kling_in_environment
from fakes.video_tasks import out, wait

from engine.api import Clip, RenderRequest
from engine.registry import get_engine
from engine.remote import RemoteError
from engine.remote.kling import KlingEngine
from engine.remote.kling_passes import KlingExtendEngine, KlingLipSyncEngine


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_in_environment(monkeypatch) as fake:
        yield fake


def take(tmp_path: Path, name: str = "take") -> Clip:
    """A take drawn on (the fake) Kling."""
    engine = KlingEngine()
    task = engine.submit(RenderRequest(prompt="Ann says: you came back.", fps=24, num_frames=96), key="")
    return engine.fetch(task, wait(engine, task), out(tmp_path, name))


def write_wav(path: Path, seconds: float, rate: int = 24000, channels: int = 1) -> Path:
    samples = (np.sin(np.arange(int(seconds * rate) * channels) * 0.05) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())
    return path


def pass_request(clip: Clip, **fields) -> RenderRequest:
    return RenderRequest(**{"prompt": "Ann says: you came back.", "fps": clip.fps, "num_frames": clip.num_frames,
                            "source_video": clip.video, "options": {"video_id": clip.meta["video_id"]}, **fields})


def posted(kling: KlingFake, endpoint: str) -> list[dict]:
    return [r.json() for r in kling.requests("POST", rf"/v1/videos/{endpoint}")]


# --- a take remembers its Kling video id -------------------------------------------------------------------------

def test_a_kling_take_records_its_video_id(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    [task_id] = kling.tasks
    assert clip.meta["video_id"] == f"video-{task_id}" and clip.meta["duration"] == 5.1


# --- lip-sync ----------------------------------------------------------------------------------------------------

def test_lip_sync_sends_the_line_s_audio(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    line = write_wav(tmp_path / "line.wav", 2.5)
    engine = get_engine("kling-lipsync", poll_interval=0.01)
    task = engine.submit(pass_request(clip, audio=line), key="lipsync-key")
    [body] = posted(kling, "lip-sync")
    assert set(body) == {"input"}  # the nested form; no external_task_id (not documented for lip-sync)
    fields = body["input"]
    assert {k: v for k, v in fields.items() if k != "audio_file"} == {
        "video_id": clip.meta["video_id"], "mode": "audio2video", "audio_type": "file"}
    assert base64.b64decode(fields["audio_file"]) == line.read_bytes()
    assert kling.audio[task.task_id] == line.read_bytes()  # what the fake received is the line's audio
    assert task.external_id is None and not engine.finds_lost_tasks and engine.recover("lipsync-key") is None
    synced = engine.fetch(task, wait(engine, task), out(tmp_path, "synced"))
    assert synced.video.exists() and synced.num_frames == clip.num_frames
    assert synced.meta["video_id"] == f"video-{task.task_id}" != clip.meta["video_id"]


def test_lip_sync_needs_a_kling_take(kling: KlingFake, tmp_path: Path):
    line = write_wav(tmp_path / "line.wav", 2.5)
    video = tmp_path / "previz.mp4"
    video.write_bytes(b"not sent")
    with pytest.raises(RemoteError, match="needs a Kling-drawn take") as caught:
        KlingLipSyncEngine().submit(RenderRequest(prompt="x", source_video=video, audio=line), key="k")
    assert not caught.value.retryable and not caught.value.billed and not kling.log
    with pytest.raises(RemoteError, match="line's audio"):
        KlingLipSyncEngine().submit(RenderRequest(prompt="x", options={"video_id": "video-1"}), key="k")


def test_a_video_kling_did_not_make_is_refused(kling: KlingFake, tmp_path: Path):
    line = write_wav(tmp_path / "line.wav", 2.5)
    with pytest.raises(RemoteError, match="not a video Kling generated") as caught:
        KlingLipSyncEngine().submit(RenderRequest(prompt="x", audio=line, options={"video_id": "video-999"}), key="")
    assert caught.value.code == 1201 and not kling.tasks


def test_audio_over_5_mb_is_converted_to_mono_wav(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    line = write_wav(tmp_path / "long.wav", 60, rate=48000, channels=2)  # 11.5 MB as recorded
    task = KlingLipSyncEngine().submit(pass_request(clip, audio=line), key="")
    received = kling.audio[task.task_id]
    with wave.open(io.BytesIO(received)) as handle:
        assert (handle.getnchannels(), handle.getframerate(), handle.getsampwidth()) == (1, 24000, 2)
        assert abs(handle.getnframes() / 24000 - 60) < 0.05
    assert len(received) < 5 * 1024 * 1024


def test_audio_that_stays_over_5_mb_is_refused_before_paying(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    line = write_wav(tmp_path / "too-long.wav", 120)  # 5.8 MB even as 24 kHz mono
    with pytest.raises(RemoteError, match="at most 5 MB") as caught:
        KlingLipSyncEngine().submit(pass_request(clip, audio=line), key="")
    assert not caught.value.retryable and not kling.requests("POST", "/v1/videos/lip-sync")


def test_lip_sync_price_per_started_5_seconds():
    engine = KlingLipSyncEngine()
    five = RenderRequest(prompt="x", fps=24, num_frames=120)
    assert engine.estimate(five).model_dump() == {"units": 0.5, "amount": 0.07}
    assert engine.estimate(five.model_copy(update={"num_frames": 168})).model_dump() == {"units": 1.0, "amount": 0.14}
    assert engine.estimate(five.model_copy(update={"options": {"price_per_task": 0.3}})).amount == 0.3


# --- extension -----------------------------------------------------------------------------------------------------

def test_extension_returns_the_whole_longer_video(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    engine = KlingExtendEngine(cfg_scale=0.7)
    task = engine.submit(pass_request(clip, prompt="She turns to the door.", negative_prompt="cuts"), key="ext-1")
    [body] = posted(kling, "video-extend")
    assert body == {"video_id": clip.meta["video_id"], "prompt": "She turns to the door.", "negative_prompt": "cuts",
                    "cfg_scale": 0.7, "external_task_id": "ext-1"}
    status = wait(engine, task)
    extended = engine.fetch(task, status, out(tmp_path, "extended"))
    assert extended.num_frames == clip.num_frames + 24  # the fake's source (24 frames) and the added part
    assert extended.meta["duration"] == pytest.approx(5.1 + 4.6)
    assert extended.meta["extends"] == clip.meta["video_id"] != extended.meta["video_id"]
    again = engine.submit(pass_request(extended), key="ext-2")  # an extended video extends again
    twice = engine.fetch(again, wait(engine, again), out(tmp_path, "twice"))
    assert twice.num_frames == extended.num_frames + 24 and twice.meta["extends"] == extended.meta["video_id"]
    found = KlingExtendEngine().recover("ext-1")
    assert found is not None and found.task_id == task.task_id


def test_extension_stops_at_3_minutes(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    kling.tasks[str(clip.meta["video_id"]).removeprefix("video-")].seconds = 176.0
    with pytest.raises(RemoteError, match="3 minutes"):
        KlingExtendEngine().submit(pass_request(clip), key="")


def test_lip_sync_takes_videos_of_at_most_10_seconds(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    extend = KlingExtendEngine()
    task = extend.submit(pass_request(clip), key="")
    longer = extend.fetch(task, wait(extend, task), out(tmp_path, "longer"))
    line = write_wav(tmp_path / "line.wav", 2.5)
    kling.tasks[str(longer.meta["video_id"]).removeprefix("video-")].seconds = 14.3
    with pytest.raises(RemoteError, match="2 to 10 s"):
        KlingLipSyncEngine().submit(pass_request(longer, audio=line), key="")


def test_extension_price_is_the_take_s_model_for_5_seconds():
    request = RenderRequest(prompt="x", options={"video_id": "v", "model": "kling-v1-6", "mode": "std"})
    assert KlingExtendEngine().estimate(request).model_dump() == {"units": 2.0, "amount": 0.28}
    assert KlingExtendEngine().estimate(RenderRequest(prompt="x")).units == 10.0  # model unknown: the safe side


def test_extension_needs_a_kling_take(kling: KlingFake):
    with pytest.raises(RemoteError, match="extension needs a Kling-drawn take"):
        KlingExtendEngine().submit(RenderRequest(prompt="x"), key="")
    assert not kling.log


# --- the fake ------------------------------------------------------------------------------------------------------

def token() -> str:
    return jwt.encode({"iss": ACCESS_KEY, "exp": 2**31, "nbf": 0}, SECRET_KEY, algorithm="HS256",
                      headers={"typ": "JWT"})


def audio_b64(tmp_path: Path) -> str:
    return base64.b64encode(write_wav(tmp_path / "a.wav", 2.5).read_bytes()).decode()


def test_the_fake_takes_the_flat_lip_sync_form_too(kling: KlingFake, tmp_path: Path):
    clip = take(tmp_path)
    body = {"video_id": clip.meta["video_id"], "mode": "audio2video", "audio_type": "file",
            "audio_file": audio_b64(tmp_path)}
    answer = httpx.post(f"{kling.url}/v1/videos/lip-sync", json=body, headers={"authorization": f"Bearer {token()}"})
    assert answer.json()["code"] == 0, answer.json()


@pytest.mark.parametrize("change", [
    {"video_url": "https://example.com/v.mp4"},  # both video_id and video_url
    {"mode": "video2video"},
    {"audio_type": "stream"},
    {"audio_file": base64.b64encode(b"\x89PNG not audio at all").decode()},
    {"audio_file": "data:audio/wav;base64,AAAA"},
    {"seed": 3},
    {"mode": "text2video"},  # without text and voice_id
    {"video_id": "video-424242"},
])
def test_the_fake_refuses_bad_lip_sync_bodies(kling: KlingFake, tmp_path: Path, change: dict):
    clip = take(tmp_path)
    fields = {"video_id": clip.meta["video_id"], "mode": "audio2video", "audio_type": "file",
              "audio_file": audio_b64(tmp_path), **change}
    answer = httpx.post(f"{kling.url}/v1/videos/lip-sync", json={"input": fields},
                        headers={"authorization": f"Bearer {token()}"})
    assert answer.status_code == 400 and answer.json()["code"] == 1201, answer.json()
    assert len(kling.tasks) == 1  # only the take


@pytest.mark.parametrize("change", [{"video_id": ""}, {"cfg_scale": 2}, {"prompt": "x" * 2501}, {"duration": "5"},
                                    {"mode": "ultra"}])
def test_the_fake_refuses_bad_extend_bodies(kling: KlingFake, tmp_path: Path, change: dict):
    clip = take(tmp_path)
    body = {"video_id": clip.meta["video_id"], "prompt": "x", **change}
    answer = httpx.post(f"{kling.url}/v1/videos/video-extend", json=body,
                        headers={"authorization": f"Bearer {token()}"})
    assert answer.status_code == 400 and answer.json()["code"] == 1201, answer.json()
