"""TTS servers against in-process fakes of their protocols: an OpenAI-compatible /v1/audio/speech, CosyVoice's FastAPI
(zero-shot cloning from a reference clip and its transcript) and GPT-SoVITS's api_v2 /tts. Every request must carry
exactly the documented fields; a reference clip's bytes are part of the line's cache key."""

from __future__ import annotations

import pytest

from drama.cli import main
from drama.errors import DramaError, ProjectError
from drama.project import Project
from drama.voice import Speaker
from drama.voice.audio import read_wav
from tests.fakes.server import Response
from tests.fakes.tts import CosyVoice, GPTSoVITS, OpenAISpeech, speech, wav
from tests.voice_helpers import demo_project, storyboard

ROWS = [("旁白", "三年前的今晚。", None, True, "establishing"),
        ("白薇", "承泽，你来了。", None, False, "dialogue"),
        ("顾承泽", "嗯，我来了。", None, False, "dialogue")]
CAST_ROWS = ROWS[1:]
KEY_ENV = "DRAMA_TEST_TTS_KEY"


def _project(tmp_path, server: str, cast: dict[str, dict[str, str]], *, clips: bool = True, **settings: str) -> Project:
    """The demo with a [voice.server] table and per-character voice settings added at each character's name line;
    `clips`: a reference clip written at each voice_ref (a missing one is an error when the project is loaded)."""
    root = demo_project(tmp_path).root
    config = root / "drama.toml"
    table = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in {"url": server, **settings}.items())
    config.write_text(config.read_text(encoding="utf-8") + f"\n[voice.server]\n{table}\n", encoding="utf-8")
    path = root / "cast.toml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        name = line.removeprefix("name = ").strip('"') if line.startswith("name = ") else None
        lines += [f'{key} = "{value}"' for key, value in cast.get(name, {}).items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for settings_of in cast.values():
        if clips and "voice_ref" in settings_of:
            _clip(root / settings_of["voice_ref"])
    return Project.load(root)


def _clip(path, text: str = "今天天气不错") -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = wav(speech(text, 16_000), 16_000)
    path.write_bytes(data)
    return data


# --- OpenAI-compatible ------------------------------------------------------------------------------------------

def test_openai_server_gets_exactly_the_documented_fields_with_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-test-123")
    with OpenAISpeech(["zf_xiaobei", "zm_yunjian", "zm_yunxi"], key="sk-test-123") as server:
        project = _project(tmp_path, server.url, {"白薇": {"server_voice": "zf_xiaobei"},
                                                 "顾承泽": {"server_voice": "zm_yunjian"}},
                           model="kokoro", key_env=KEY_ENV, narrator_voice="zm_yunxi")
        lines = Speaker(project, "openai").speak(storyboard(ROWS))
        sent = [request.json() for request in server.requests("POST", r"/v1/audio/speech")]
        headers = [request.headers["authorization"] for request in server.requests("POST", r"/v1/audio/speech")]
    assert [line.voice for line in lines] == ["zm_yunxi", "zf_xiaobei", "zm_yunjian"]
    assert {line.backend for line in lines} == {"openai"} and set(headers) == {"Bearer sk-test-123"}
    assert sent[1] == {"model": "kokoro", "input": "承泽，你来了。", "voice": "zf_xiaobei", "response_format": "wav",
                       "speed": 1.0}
    assert sent[2]["speed"] == pytest.approx(0.95)  # 顾承泽's rate = "-5%" in the demo's cast
    for line, request in zip(lines, sent, strict=True):
        samples, rate = read_wav(line.audio)
        assert rate == 48_000 and line.duration == pytest.approx(samples.size / rate, abs=1e-3)
        assert line.duration == pytest.approx(0.2 * len(request["input"]) / request["speed"], abs=0.15)
        assert line.timing == "estimated" and line.words[-1].end == pytest.approx(line.duration, abs=1e-3)


def test_openai_pcm_is_read_as_24k_samples(tmp_path):
    with OpenAISpeech(["zf_xiaobei", "zm_yunjian"]) as server:
        project = _project(tmp_path, server.url, {"白薇": {"server_voice": "zf_xiaobei"},
                                                 "顾承泽": {"server_voice": "zm_yunjian"}}, response_format="pcm")
        lines = Speaker(project, "openai").speak(storyboard(CAST_ROWS))
    assert lines[0].duration == pytest.approx(0.2 * 7, abs=0.15)  # 24 kHz PCM read at 24 kHz, not at 48


def test_a_voice_the_server_does_not_have_is_named_at_its_cast_line(tmp_path, capsys):
    with OpenAISpeech(["zf_xiaobei"]) as server:
        project = _project(tmp_path, server.url, {"白薇": {"server_voice": "zf_xiaobei"},
                                                 "顾承泽": {"server_voice": "zm_nobody"}}, narrator_voice="zf_xiaobei")
        assert main(["voice", str(project.root), "ep01", "--backend", "openai"]) == 2
    err = capsys.readouterr().err
    cast = project.root / "cast.toml"
    line = next(n for n, text in enumerate(cast.read_text("utf-8").splitlines(), 1) if "zm_nobody" in text)
    assert f"{cast}:{line}:" in err and "has no voice 'zm_nobody'" in err and "unreachable" not in err


def test_a_wrong_or_missing_key_is_said_without_showing_it(tmp_path, monkeypatch):
    with OpenAISpeech(["zf_xiaobei", "zm_yunjian"], key="sk-right") as server:
        project = _project(tmp_path, server.url, {"白薇": {"server_voice": "zf_xiaobei"},
                                                 "顾承泽": {"server_voice": "zm_yunjian"}}, key_env=KEY_ENV)
        monkeypatch.delenv(KEY_ENV, raising=False)
        with pytest.raises(DramaError, match=rf"\${KEY_ENV} is not set"):
            Speaker(project, "openai").speak(storyboard(CAST_ROWS))
        monkeypatch.setenv(KEY_ENV, "sk-wrong-secret")
        with pytest.raises(DramaError, match="refused the key") as refused:
            Speaker(project, "openai").speak(storyboard(CAST_ROWS))
    assert "sk-wrong-secret" not in str(refused.value)


def test_a_server_that_is_down_or_failing_is_said_as_such(tmp_path):
    with OpenAISpeech(["zf_xiaobei", "zm_yunjian"]) as server:
        project = _project(tmp_path, server.url, {"白薇": {"server_voice": "zf_xiaobei"},
                                                 "顾承泽": {"server_voice": "zm_yunjian"}})
        server.fault("POST", r"/v1/audio/speech", Response(500, {"detail": "CUDA out of memory"}))
        with pytest.raises(DramaError, match=r"failed to speak the line \(HTTP 500: CUDA out of memory\)"):
            Speaker(project, "openai").speak(storyboard(CAST_ROWS))
    with pytest.raises(DramaError, match="is unreachable"):  # the server is stopped now
        Speaker(project, "openai").speak(storyboard(CAST_ROWS))


def test_server_settings_are_checked_at_load_with_their_line(tmp_path):
    with pytest.raises(ProjectError, match="voice.server.url") as bad:
        _project(tmp_path, "localhost:8880", {})
    assert bad.value.line is not None and "drama.toml" in str(bad.value.path)


# --- CosyVoice ---------------------------------------------------------------------------------------------------

def test_cosyvoice_clones_from_the_reference_clip_and_its_transcript(tmp_path):
    root_clip = tmp_path / "demo" / "voices" / "白薇.wav"
    with CosyVoice() as server:
        project = _project(tmp_path, server.url, {"白薇": {"voice_ref": "voices/白薇.wav", "voice_ref_text": "今天天气不错"},
                                                 "顾承泽": {"server_voice": "中文男"}})
        clip = _clip(root_clip)
        lines = Speaker(project, "cosyvoice").speak(storyboard(CAST_ROWS))
        zero_shot = server.requests("POST", r"/inference_zero_shot")
        sft = server.requests("POST", r"/inference_sft")
    assert [line.voice for line in lines] == ["clone of voices/白薇.wav", "中文男"]
    assert len(zero_shot) == 1 and len(sft) == 1 and server.clips == [clip]  # the clip's own bytes went up
    assert "tts_text" in zero_shot[0].body.decode("utf-8", "replace")
    assert lines[0].duration == pytest.approx(0.2 * 7, abs=0.15)  # raw PCM read at the server's 24 kHz


def test_a_new_reference_clip_revoices_only_that_characters_lines(tmp_path):
    clip_path = tmp_path / "demo" / "voices" / "白薇.wav"
    with CosyVoice() as server:
        project = _project(tmp_path, server.url, {"白薇": {"voice_ref": "voices/白薇.wav", "voice_ref_text": "今天天气不错"},
                                                 "顾承泽": {"server_voice": "中文男"}})
        _clip(clip_path)
        first = Speaker(project, "cosyvoice")
        first.speak(storyboard(CAST_ROWS))
        same = Speaker(project, "cosyvoice")
        same.speak(storyboard(CAST_ROWS))
        clip_path.touch()  # a new mtime, the same bytes: nothing to do
        assert same.synthesised == 0 and Speaker(project, "cosyvoice").speak(storyboard(CAST_ROWS))
        new = _clip(clip_path, "换了一段参考音频")
        again = Speaker(project, "cosyvoice")
        again.speak(storyboard(CAST_ROWS))
    assert first.synthesised == 2 and again.synthesised == 1 and again.cached == 1
    assert server.clips[-1] == new and len(server.clips) == 2


def test_a_missing_reference_clip_is_named_at_its_cast_line(tmp_path):
    """Caught when the project is loaded, before any command voices a line."""
    with pytest.raises(ProjectError, match="reference clip of '白薇' is not there") as missing:
        _project(tmp_path, "http://127.0.0.1:9", {"白薇": {"voice_ref": "voices/nobody.wav", "voice_ref_text": "你好"}},
                 clips=False)
    cast = tmp_path / "demo" / "cast.toml"
    assert missing.value.path == cast
    assert cast.read_text(encoding="utf-8").splitlines()[missing.value.line - 1] == 'voice_ref = "voices/nobody.wav"'



# --- GPT-SoVITS --------------------------------------------------------------------------------------------------

def test_gpt_sovits_gets_the_documented_fields_and_the_clip_path(tmp_path, capsys, monkeypatch):
    from drama.cli import console

    monkeypatch.setattr(console, "_width", 240)
    with GPTSoVITS() as server:
        project = _project(tmp_path, server.url, {
            "白薇": {"voice_ref": "voices/白薇.wav", "voice_ref_text": "今天天气不错"},
            "顾承泽": {"voice_ref": "voices/顾承泽.wav", "voice_ref_text": "我在公司"},
            "沈清": {"voice_ref": "voices/沈清.wav", "voice_ref_text": "我回来了"},
            "陈伯": {"voice_ref": "voices/陈伯.wav", "voice_ref_text": "先生"}})
        for name in ("白薇", "顾承泽", "沈清", "陈伯"):
            _clip(project.root / "voices" / f"{name}.wav")
        lines = Speaker(project, "gpt-sovits").speak(storyboard(CAST_ROWS))
        sent = [request.json() for request in server.requests("POST", r"/tts")]
    assert sent[0] == {"text": "承泽，你来了。", "text_lang": "zh", "ref_audio_path": str(project.root / "voices/白薇.wav"),
                       "prompt_text": "今天天气不错", "prompt_lang": "zh", "text_split_method": "cut5",
                       "speed_factor": 1.0, "media_type": "wav", "streaming_mode": False}
    assert [line.voice for line in lines] == ["clone of voices/白薇.wav", "clone of voices/顾承泽.wav"]
    assert lines[0].duration == pytest.approx(0.2 * 7, abs=0.15)


def test_gpt_sovits_without_a_reference_says_what_to_set(tmp_path):
    with GPTSoVITS() as server:
        project = _project(tmp_path, server.url, {})
        with pytest.raises(DramaError, match="needs a reference clip") as error:
            Speaker(project, "gpt-sovits").speak(storyboard(CAST_ROWS))
    assert "voice_ref" in str(error.value) and not server.requests("POST", r"/tts")
