"""TTS servers at `[voice.server] url`: any OpenAI-compatible `/v1/audio/speech` (Kokoro-FastAPI, fastkokoro, IndexTTS
shims …), CosyVoice's FastAPI server and GPT-SoVITS's api_v2. The cloning servers speak in a character's reference clip
(`voice_ref` + `voice_ref_text` in cast.toml).

Request shapes, as the servers document them:
- openai: POST /v1/audio/speech, JSON {model, input, voice, response_format, speed} → audio bytes; a key, if the
  server wants one, as `Authorization: Bearer` from the variable `[voice.server] key_env` names.
- cosyvoice: POST /inference_zero_shot, form {tts_text, prompt_text} + file prompt_wav (the reference clip); without a
  reference POST /inference_sft, form {tts_text, spk_id}; → raw 16-bit mono PCM at `[voice.server] sample_rate`.
- gpt-sovits: POST /tts, JSON {text, text_lang, ref_audio_path, prompt_text, prompt_lang, text_split_method,
  speed_factor, media_type, streaming_mode} → WAV; `ref_audio_path` is a path the server reads.
"""

from __future__ import annotations

import os

import httpx

from drama.errors import VoiceError
from drama.project.config import ServerConfig
from drama.project.project import Project
from drama.voice.model import Backend, LineRequest


class UnknownVoice(Exception):
    """The server said it has no such voice."""

    def __init__(self, backend: str, voice: str, detail: str):
        super().__init__(f"the {backend} server has no voice {voice!r} ({detail})")
        self.voice = voice


def synthesize(backend: Backend, project: Project, request: LineRequest) -> tuple[bytes, list[str]]:
    """The line's audio from the server and the ffmpeg input arguments that read it."""
    server = project.config.voice.server
    config = project.root / "drama.toml"
    if server is None:
        raise VoiceError(f'[voice] backend = "{backend}" needs a [voice.server] table with the server\'s url',
                         path=config, hint='add [voice.server] with url = "http://127.0.0.1:PORT"')
    headers = {}
    if server.key_env:
        key = os.environ.get(server.key_env, "").strip()
        if not key:
            raise VoiceError(f"${server.key_env} is not set ([voice.server] key_env names it)", path=config,
                             hint=f"export {server.key_env}=… (keys come from the environment, never from a file "
                                  "in the project)")
        headers["Authorization"] = f"Bearer {key}"
    spec = request.spec
    language = project.config.language
    if backend == "openai":
        if not spec.server_voice:
            raise _no_voice(backend, project, request, "a server voice (`server_voice`)")
        call = {"url": "/v1/audio/speech", "json": {"model": server.model, "input": request.text, "voice": spec.server_voice,
                                                   "response_format": server.response_format, "speed": spec.speed}}
        input_args = ["-f", "s16le", "-ar", "24000", "-ac", "1"] if server.response_format == "pcm" else []
        voice = spec.server_voice
    elif backend == "cosyvoice":
        if spec.ref:
            clip = (project.root / spec.ref).read_bytes()
            call = {"url": "/inference_zero_shot", "data": {"tts_text": request.text, "prompt_text": spec.ref_text},
                    "files": {"prompt_wav": (os.path.basename(spec.ref), clip, "audio/wav")}}
        elif spec.server_voice:
            call = {"url": "/inference_sft", "data": {"tts_text": request.text, "spk_id": spec.server_voice}}
        else:
            raise _no_voice(backend, project, request, "a reference clip (`voice_ref`, `voice_ref_text`) or a speaker (`server_voice`)")
        input_args = ["-f", "s16le", "-ar", str(server.sample_rate), "-ac", "1"]
        voice = spec.server_voice
    else:
        if not spec.ref:
            raise _no_voice(backend, project, request, "a reference clip (`voice_ref`, `voice_ref_text`)")
        call = {"url": "/tts", "json": {
            "text": request.text, "text_lang": language, "ref_audio_path": _server_path(server, project, spec.ref),
            "prompt_text": spec.ref_text, "prompt_lang": language, "text_split_method": "cut5",
            "speed_factor": spec.speed, "media_type": "wav", "streaming_mode": False}}
        input_args = []
        voice = spec.ref
    return _post(backend, server, headers, call, voice), input_args


def _server_path(server: ServerConfig, project: Project, ref: str) -> str:
    """The reference clip as the server reads it: under `ref_root` when the server sees the project elsewhere, else
    this machine's absolute path (a server on the same machine)."""
    if server.ref_root:
        return f"{server.ref_root.rstrip('/')}/{ref}"
    return str((project.root / ref).resolve())


def _no_voice(backend: str, project: Project, request: LineRequest, what: str) -> VoiceError:
    character = project.cast.find(request.speaker) if request.speaker else None
    who = f"{character.name!r} in cast.toml" if character else "the narrator ([voice.server] narrator_voice)"
    return VoiceError(f"the {backend} backend needs {what} for {who}", hint=f"set it for {who}")


def _post(backend: str, server: ServerConfig, headers: dict[str, str], call: dict, voice: str) -> bytes:
    url = server.url.rstrip("/") + call.pop("url")
    try:
        response = httpx.post(url, headers=headers, timeout=server.timeout, **call)
    except httpx.HTTPError as error:
        raise VoiceError(f"the {backend} server at {server.url} is unreachable ({type(error).__name__}: {error})",
                         hint="start the server, or fix [voice.server] url in drama.toml") from None
    if response.status_code in (401, 403):
        raise VoiceError(f"the {backend} server refused the key (HTTP {response.status_code}: {_detail(response)})",
                         hint="check the key in the variable [voice.server] key_env names" if server.key_env else
                         "the server wants a key: set [voice.server] key_env to the variable that holds it")
    if response.status_code >= 400:
        detail = _detail(response)
        if voice and response.status_code in (400, 404, 422) and voice in detail and "voice" in detail.casefold():
            raise UnknownVoice(backend, voice, detail)
        raise VoiceError(f"the {backend} server failed to speak the line (HTTP {response.status_code}: {detail})",
                         hint="see the server's log; the line and voice were sent as its API documents")
    if not response.content:
        raise VoiceError(f"the {backend} server answered with no audio", hint="see the server's log")
    return response.content


def _detail(response: httpx.Response) -> str:
    """The server's own words for an error: OpenAI's error.message, FastAPI's detail, GPT-SoVITS's message."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value
            if value:
                return str(value)[:300]
    return str(body)[:300]
