"""Fake TTS servers that follow each protocol field by field (see shared/remote-engines-facts.md): an OpenAI-compatible
`/v1/audio/speech` (as Kokoro-FastAPI answers), CosyVoice's FastAPI server (`/inference_zero_shot`, `/inference_sft`)
and GPT-SoVITS's api_v2 (`/tts`). Each refuses a field it does not document, a missing one and a wrong value, as the
server does, and answers with real audio (a voiced buzz as long as the text takes to say)."""

from __future__ import annotations

import io
import json
import wave
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from tests.fakes.server import FakeServer, Request, Response


def speech(text: str, rate: int, seconds_per_char: float = 0.2) -> np.ndarray:
    """int16 'speech': a 140 Hz voice with harmonics, one syllable-like burst per character."""
    length = max(1, len(text)) * seconds_per_char
    t = np.arange(int(rate * length)) / rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * t / seconds_per_char - np.pi / 2)
    return (0.3 * voice * envelope / 2.3 * 32767).astype(np.int16)


def wav(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def form(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A form body, as FastAPI's Form()/File() read it (multipart/form-data, or urlencoded without files): its fields
    and its files (name → (filename, bytes))."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}, {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode() + request.body)
    fields, files = {}, {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_payload(decode=True))
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8")
    return fields, files


class OpenAISpeech(FakeServer):
    """POST /v1/audio/speech {model, input, voice, response_format, speed} → audio; GET /v1/audio/voices."""

    FIELDS = {"model", "input", "voice", "response_format", "speed", "instructions", "stream_format"}

    def __init__(self, voices: list[str], key: str | None = None, models: tuple[str, ...] = ("kokoro", "tts-1")):
        super().__init__()
        self.voices, self.key, self.models = voices, key, models
        self.route("POST", r"/v1/audio/speech", self._speech)
        self.route("GET", r"/v1/audio/voices", lambda request: Response(200, {"voices": self.voices}))

    def _speech(self, request: Request) -> Response:
        if self.key is not None and request.headers.get("authorization") != f"Bearer {self.key}":
            return Response(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}})
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"error": {"message": "We could not parse the JSON body of your request."}})
        unknown = set(body) - self.FIELDS
        if unknown:
            return Response(400, {"error": {"message": f"Unrecognized request argument supplied: {sorted(unknown)[0]}"}})
        for name in ("model", "input", "voice"):
            if not isinstance(body.get(name), str) or not body[name]:
                return Response(400, {"error": {"message": f"Missing required parameter: '{name}'.", "param": name}})
        if body["model"] not in self.models:
            return Response(404, {"error": {"message": f"The model `{body['model']}` does not exist"}})
        if body["voice"] not in self.voices:
            return Response(400, {"detail": {"error": "validation_error", "type": "invalid_request_error",
                                             "message": f"Voice '{body['voice']}' not found. Available voices: "
                                                        f"{', '.join(self.voices)}"}})
        speed = body.get("speed", 1.0)
        if not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
            return Response(422, {"detail": [{"loc": ["body", "speed"], "msg": "speed must be within 0.25 and 4.0"}]})
        form = body.get("response_format", "mp3")
        samples = speech(body["input"], 24_000, 0.2 / speed)
        if form == "wav":
            return Response(200, wav(samples, 24_000), {"content-type": "audio/wav"})
        if form == "pcm":
            return Response(200, samples.tobytes(), {"content-type": "audio/pcm"})
        return Response(400, {"error": {"message": f"this fake serves wav and pcm, not {form}", "param": "response_format"}})


class CosyVoice(FakeServer):
    """CosyVoice's runtime/python/fastapi server: form fields in, raw int16 mono PCM at `sample_rate` out."""

    def __init__(self, speakers: tuple[str, ...] = ("中文女", "中文男"), sample_rate: int = 24_000):
        super().__init__()
        self.speakers, self.sample_rate = speakers, sample_rate
        self.clips: list[bytes] = []  # every prompt_wav received
        self.route("POST", r"/inference_zero_shot", self._zero_shot)
        self.route("POST", r"/inference_sft", self._sft)

    def _check(self, request: Request, fields: set[str], files: set[str]):
        got_fields, got_files = form(request)
        missing = (fields - set(got_fields)) | (files - set(got_files))
        extra = (set(got_fields) - fields) | (set(got_files) - files)
        if missing or extra:  # FastAPI: a missing Form()/File() is 422; this fake also refuses fields it does not take
            problem = [{"loc": ["body", name], "msg": "Field required", "type": "missing"} for name in sorted(missing)]
            problem += [{"loc": ["body", name], "msg": "not a field of this endpoint"} for name in sorted(extra)]
            return None, Response(422, {"detail": problem})
        return (got_fields, got_files), None

    def _zero_shot(self, request: Request) -> Response:
        parsed, error = self._check(request, {"tts_text", "prompt_text"}, {"prompt_wav"})
        if error:
            return error
        fields, files = parsed
        clip = files["prompt_wav"][1]
        try:
            with wave.open(io.BytesIO(clip), "rb") as reference:
                reference.getnframes()
        except (wave.Error, EOFError):
            return Response(500, b"Internal Server Error")  # load_wav fails on what is not audio
        self.clips.append(clip)
        return Response(200, speech(fields["tts_text"], self.sample_rate).tobytes())

    def _sft(self, request: Request) -> Response:
        parsed, error = self._check(request, {"tts_text", "spk_id"}, set())
        if error:
            return error
        fields, _ = parsed
        if fields["spk_id"] not in self.speakers:
            return Response(500, b"Internal Server Error")  # a KeyError in the model's speaker table
        return Response(200, speech(fields["tts_text"], self.sample_rate).tobytes())


class GPTSoVITS(FakeServer):
    """GPT-SoVITS api_v2: POST /tts with JSON; the reference clip is a path the server reads."""

    FIELDS = {"text", "text_lang", "ref_audio_path", "aux_ref_audio_paths", "prompt_text", "prompt_lang", "top_k", "top_p",
              "temperature", "text_split_method", "batch_size", "batch_threshold", "split_bucket", "speed_factor",
              "fragment_interval", "seed", "media_type", "streaming_mode", "parallel_infer", "repetition_penalty",
              "sample_steps", "super_sampling"}
    LANGUAGES = {"zh", "en", "ja", "ko", "yue", "auto", "all_zh", "all_ja", "auto_yue"}
    SPLITS = {"cut0", "cut1", "cut2", "cut3", "cut4", "cut5"}

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.route("POST", r"/tts", self._tts)

    def _tts(self, request: Request) -> Response:
        try:
            body = json.loads(request.body)
        except ValueError:
            return Response(400, {"message": "tts failed", "Exception": "the body is not JSON"})
        unknown = set(body) - self.FIELDS
        if unknown:
            return Response(422, {"detail": [{"loc": ["body", name], "msg": "extra field"} for name in sorted(unknown)]})
        if not body.get("text"):
            return Response(400, {"message": "text is required"})
        if body.get("text_lang", "").lower() not in self.LANGUAGES:
            return Response(400, {"message": f"text_lang: {body.get('text_lang')} is not supported in version v2"})
        if not body.get("ref_audio_path"):
            return Response(400, {"message": "ref_audio_path is required"})
        if body.get("prompt_lang", "").lower() not in self.LANGUAGES:
            return Response(400, {"message": f"prompt_lang: {body.get('prompt_lang')} is not supported in version v2"})
        if body.get("media_type", "wav") not in ("wav", "raw", "ogg", "aac"):
            return Response(400, {"message": f"media_type: {body.get('media_type')} is not supported"})
        if body.get("text_split_method", "cut5") not in self.SPLITS:
            return Response(400, {"message": f"text_split_method:{body.get('text_split_method')} is not supported"})
        if body.get("streaming_mode") not in (None, False):
            return Response(400, {"message": "this fake answers whole files only"})
        path = Path(body["ref_audio_path"])
        if not path.is_file():
            return Response(400, {"message": "tts failed", "Exception": f"{path} not exists"})
        self.references.append(str(path))
        return Response(200, wav(speech(body["text"], 32_000, 0.2 / body.get("speed_factor", 1.0)), 32_000),
                        {"content-type": "audio/wav"})
