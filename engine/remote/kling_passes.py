"""Passes over a take Kling drew, as engines: lip-sync (`kling-lipsync`) and extension (`kling-extend`).

Both work on a video Kling made, named by the `video_id` Kling gave it (KlingEngine keeps it in the take's
`Clip.meta["video_id"]`; drama passes it as `request.options["video_id"]`). `request.source_video` is that take's
file: it is not uploaded (Kling takes a video id or a public URL, and drama has no public URL), but its bytes are
part of the render cache key, so a new take is a new pass. Being engines, the passes get drama's task queue for
free: the record before waiting, resume after a crash, budget, ledger and cache.

Lip-sync (`POST /v1/videos/lip-sync`): `{"input": {"video_id", "mode": "audio2video", "audio_type": "file",
"audio_file": <raw base64>}}`. Two copies of Kling's docs nest the fields under `input`, one lists them flat ⚠: we
send the nested form. `audio_file` is `request.audio` (the line's voice) byte for byte when it is mp3, wav, m4a or
aac of at most 5 MB; any other format is converted to 16-bit mono WAV at 24 kHz; audio that is still over 5 MB is
refused before anything is paid. No copy of the docs lists `external_task_id` for lip-sync, so none is sent and a
task lost in a crash cannot be looked up (drama's queue then counts it as billed). Kling takes videos of 2–10 s
(one copy says 5–10 s for `video_id`) in which a person is visible. Price: 0.5 Kling units per 5 s of video
(third-party copy of the price list), × `price_per_unit` (0.14).

Extension (`POST /v1/videos/video-extend`): `{"video_id", "prompt", "negative_prompt", "cfg_scale"}`, plus
`external_task_id` = the job key (listed in one copy of the docs, missing from another ⚠; sent so a lost task is
found again). Each call adds 4–5 s with the source's model and mode; an extended video can be extended again up to
3 minutes in all; sources are purged after 30 days. Kling returns the WHOLE video (the source followed by the added
part) as one new video with its own `video_id` and its total `duration`, and names the source in
`task_info.parent_video`: the Clip is that whole video, its meta holds the new `video_id`, `extends` (the source's
id) and the total duration, so the edit takes it in place of the take and a further extension chains on the new id.
Price: the source model's units for 5 s (options `model` and `mode` of the take, e.g. kling-v1-6 std = 2 units);
without them the estimate takes 10 units, the safe side.
"""

from __future__ import annotations

import base64
import io
import math
import wave
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.api import Clip, RenderRequest
from engine.remote.errors import RemoteError
from engine.remote.kling import PRICE_PER_UNIT, PRICE_UNITS, PROMPT_LIMIT, UNKNOWN_MODEL_UNITS, KlingVideoApi
from engine.remote.task import Cost, RemoteTask, TaskStatus

AUDIO_LIMIT = 5 * 1024 * 1024  # bytes of `audio_file`, before base64
AUDIO_RATE = 24000  # Hz of the WAV a voice in another format is converted to
LIPSYNC_UNITS = 0.5  # Kling units per started LIPSYNC_BLOCK seconds of lip-synced video
LIPSYNC_BLOCK = 5.0
EXTEND_SECONDS = 5.0  # what one extension adds at most, and is billed for


def audio_format(data: bytes) -> str | None:
    """mp3, wav, m4a or aac from a file's first bytes (the formats Kling's lip-sync takes), else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE6 == 0xE2):  # MPEG layer III
        return "mp3"
    if data[4:8] == b"ftyp":
        return "m4a"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0:  # ADTS
        return "aac"
    return None


def audio_file(path: Path, provider: str = "kling") -> str:
    """The line's audio as Kling's `audio_file`: raw base64 of the file itself when Kling takes its format and size,
    else of a 16-bit mono WAV made from it. A RemoteError (not retryable, nothing billed) when it cannot be read or
    is still over 5 MB."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RemoteError(f"lip-sync needs the line's audio: {error}", provider=provider) from None
    if audio_format(data) is None or len(data) > AUDIO_LIMIT:
        data = wav_of(path, provider)
    if len(data) > AUDIO_LIMIT:
        raise RemoteError(f"the line's audio {path.name} is {len(data) / 2**20:.1f} MB as 16-bit mono WAV; Kling's "
                          "lip-sync takes at most 5 MB (a lip-synced video is at most 10 s): shorten the line",
                          provider=provider)
    return base64.b64encode(data).decode("ascii")


def wav_of(path: Path, provider: str) -> bytes:
    """Any audio file PyAV decodes, as 16-bit mono WAV at AUDIO_RATE."""
    import av

    try:
        with av.open(str(path)) as container:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
            chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                      for out in resampler.resample(frame)]
            chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except (OSError, av.error.FFmpegError, IndexError) as error:
        raise RemoteError(f"the line's audio {path.name} cannot be read: {error}", provider=provider) from None
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes((np.concatenate(chunks) if chunks else np.zeros(0, np.int16)).astype("<i2").tobytes())
    return buffer.getvalue()


class KlingPass(KlingVideoApi):
    """A pass over a Kling take: the take's `video_id` comes from the request's options."""

    kind_of_pass: ClassVar[str]

    def video_id(self, request: RenderRequest) -> str:
        video_id = self.setting(request, "video_id", None)
        if not video_id:
            raise RemoteError(f"{self.kind_of_pass} needs a Kling-drawn take: Kling works only on videos it made, "
                              "named by the video_id recorded with the take (draw the shot on the kling engine "
                              "first)", provider=self.provider)
        return str(video_id)


class KlingLipSyncEngine(KlingPass):
    """Kling's lip-sync (audio to video) over a take Kling drew: `request.source_video` the take,
    `request.options["video_id"]` its Kling id, `request.audio` the line's voice."""

    name: ClassVar[str] = "kling-lipsync"
    version: ClassVar[str] = "1"
    endpoints: ClassVar[tuple[str, ...]] = ("lip-sync",)
    takes_external_id: ClassVar[bool] = False
    features: ClassVar[tuple[str, ...]] = ("source_video", "audio")
    kind_of_pass: ClassVar[str] = "lip-sync"

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        video_id = self.video_id(request)
        if request.audio is None:
            raise RemoteError("lip-sync needs the line's audio (request.audio)", provider=self.provider)
        body = {"input": {"video_id": video_id, "mode": "audio2video", "audio_type": "file",
                          "audio_file": audio_file(request.audio, self.provider)}}
        return self.create("lip-sync", body, key, self.estimate(request), {"endpoint": "lip-sync",
                                                                           "video_id": video_id})

    def billed_seconds(self, request: RenderRequest) -> float:
        return LIPSYNC_BLOCK * max(1, math.ceil(request.duration / LIPSYNC_BLOCK - 1e-9))

    def estimate(self, request: RenderRequest) -> Cost:
        """0.5 Kling units per started 5 s of the take × `price_per_unit`, unless `price_per_task` /
        `price_per_second` are given."""
        seconds = self.billed_seconds(request)
        units = LIPSYNC_UNITS * seconds / LIPSYNC_BLOCK
        priced = self.option_price(request, seconds)
        amount = priced.amount if priced else units * float(self.setting(request, "price_per_unit", PRICE_PER_UNIT))
        return Cost(units=units, amount=round(amount, 6))


class KlingExtendEngine(KlingPass):
    """Kling's video extension of a take Kling drew: `request.options["video_id"]` the take's Kling id, the prompt
    what happens in the added seconds. The result is the whole extended video."""

    name: ClassVar[str] = "kling-extend"
    version: ClassVar[str] = "1"
    endpoints: ClassVar[tuple[str, ...]] = ("video-extend",)
    features: ClassVar[tuple[str, ...]] = ("text", "source_video")
    kind_of_pass: ClassVar[str] = "extension"

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        video_id = self.video_id(request)
        body: dict[str, Any] = {"video_id": video_id, "prompt": request.prompt[:PROMPT_LIMIT]}
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt[:PROMPT_LIMIT]
        if "cfg_scale" in self.settings(request):
            body["cfg_scale"] = float(self.setting(request, "cfg_scale", 0.5))
        return self.create("video-extend", body, key, self.estimate(request),
                           {"endpoint": "video-extend", "extends": video_id})

    def fetch(self, task: RemoteTask, status: TaskStatus, out_dir: Path) -> Clip:
        """The whole extended video; its meta names the source it extends."""
        clip = super().fetch(task, status, out_dir)
        return clip.model_copy(update={"meta": {**clip.meta, "extends": str(task.data.get("extends", ""))}})

    def billed_seconds(self, request: RenderRequest) -> float:
        return EXTEND_SECONDS

    def estimate(self, request: RenderRequest) -> Cost:
        """The take's model and mode (options `model`, `mode`) for 5 s from Kling's price table, × `price_per_unit`;
        10 units when the model is not known."""
        seconds = self.billed_seconds(request)
        model, mode = self.setting(request, "model", None), str(self.setting(request, "mode", "std"))
        units = PRICE_UNITS.get(str(model), {}).get(mode, UNKNOWN_MODEL_UNITS)
        priced = self.option_price(request, seconds)
        amount = priced.amount if priced else units * float(self.setting(request, "price_per_unit", PRICE_PER_UNIT))
        return Cost(units=units, amount=round(amount, 6))
