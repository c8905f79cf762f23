"""The offline voice end to end, the edge → offline fallback with the network unreachable, and the cache."""

from __future__ import annotations

import logging
import subprocess

import aiohttp
import edge_tts.communicate
import imageio_ffmpeg
import numpy as np
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from drama.errors import DramaError
from drama.voice import Speaker, speak_storyboard
from drama.voice import edge as edge_backend
from drama.voice.audio import TAIL, read_wav
from drama.voice.model import SAMPLE_RATE, WordTiming
from tests.voice_helpers import demo_project, storyboard


@pytest.fixture
def project(tmp_path):
    return demo_project(tmp_path)


def test_offline_lines_are_trimmed_48k_wavs_with_word_timings(project):
    board = storyboard()
    lines = Speaker(project, "offline").speak(board)
    spoken = [s.id for s in board.shots if s.text and s.kind != "title_card"]
    assert [line.shot_id for line in lines] == spoken  # title card not narrated by default, action silent
    for line in lines:
        samples, rate = read_wav(line.audio)
        assert rate == SAMPLE_RATE == 48_000
        assert line.duration == pytest.approx(samples.size / rate, abs=1e-3)
        head = samples[: int(0.02 * rate)].astype(np.float32) / 32768
        assert np.abs(head).max() > 0.02, "speech must start within the first 20 ms (leading silence trimmed)"
        assert line.backend == "offline" and line.timing == "backend"
        starts = [w.start for w in line.words]
        assert starts == sorted(starts) and starts[0] < 0.05
        assert all(0 <= w.start <= w.end <= line.duration + 1e-6 for w in line.words)
        assert "".join(w.text for w in line.words).replace(" ", "") == line.text.replace(" ", "")
    assert lines[-1].duration > lines[2].duration * 5  # the long speech is much longer than 嗯。


def test_each_character_has_a_distinct_offline_voice(project):
    lines = Speaker(project, "offline").speak(storyboard())
    voice_of = {line.speaker: line.voice for line in lines}
    assert len(set(voice_of.values())) == len(voice_of) == 5
    assert voice_of["白薇"].startswith("cmn+f") and voice_of["沈清"].startswith("cmn+f")  # Xiao* voices: female
    assert voice_of["顾承泽"].startswith("cmn+m") and voice_of["陈伯"].startswith("cmn+m")  # Yun* voices: male


def test_second_run_synthesises_nothing_and_an_edit_revoices_one_line(project):
    first = Speaker(project, "offline")
    lines = first.speak(storyboard())
    assert first.synthesised == len(lines) and first.cached == 0
    again = Speaker(project, "offline")
    assert [line.audio for line in again.speak(storyboard())] == [line.audio for line in lines]
    assert again.synthesised == 0 and again.cached == len(lines)
    edited = storyboard()
    edited.shots[4] = edited.shots[4].model_copy(update={"text": "嗯，知道了。"})
    third = Speaker(project, "offline")
    third.speak(edited)
    assert third.synthesised == 1 and third.cached == len(lines) - 1


def test_a_damaged_cached_line_is_voiced_again(project):
    lines = Speaker(project, "offline").speak(storyboard())
    lines[0].audio.write_bytes(b"RIFF")  # overwritten
    whole = lines[1].audio.read_bytes()
    lines[1].audio.write_bytes(whole[: len(whole) // 2])  # cut short by a full disk or a copy
    again = Speaker(project, "offline")
    relines = again.speak(storyboard())
    assert again.synthesised == 2 and again.cached == len(lines) - 2
    for old, new in zip(lines[:2], relines[:2], strict=True):
        samples, rate = read_wav(new.audio)
        assert new.duration == pytest.approx(old.duration, abs=1e-3) == pytest.approx(samples.size / rate, abs=1e-3)


def test_auto_falls_back_once_when_edge_raises(project, monkeypatch, caplog):
    calls = []

    async def refuse(text, spec):
        calls.append(text)
        raise OSError(-2, "Name or service not known")  # what aiohttp's DNS error subclasses

    monkeypatch.setattr(edge_backend, "_stream", refuse)
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = speak_storyboard(project, storyboard())
    assert {line.backend for line in lines} == {"offline"}
    assert len(calls) == 2  # two tries for the first line, none after: the run remembers
    warnings = [r for r in caplog.records if r.name == "drama.voice"]
    assert len(warnings) == 1 and "offline" in warnings[0].getMessage()


def test_auto_falls_back_on_403(project, monkeypatch):
    async def forbidden(text, spec):
        url = URL("wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1")
        raise aiohttp.ClientResponseError(aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url), (),
                                          status=403, message="Forbidden")

    monkeypatch.setattr(edge_backend, "_stream", forbidden)
    assert {line.backend for line in Speaker(project, "auto").speak(storyboard())} == {"offline"}


def test_real_edge_call_to_an_unreachable_host_falls_back(project, network_unreachable, monkeypatch, caplog):
    """A real edge-tts request (DNS lookup of a name that cannot resolve), as on a machine without network."""
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", "wss://speech.invalid/cognitiveservices/websocket/v1?x=1")
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = Speaker(project, "auto").speak(storyboard())
    assert lines and {line.backend for line in lines} == {"offline"}
    assert len([r for r in caplog.records if r.name == "drama.voice"]) == 1


def test_edge_only_backend_reports_unreachable_clearly(project, network_unreachable, monkeypatch):
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", "wss://speech.invalid/cognitiveservices/websocket/v1?x=1")
    with pytest.raises(DramaError) as error:
        Speaker(project, "edge").speak(storyboard())
    assert "edge-tts is unreachable" in str(error.value) and 'backend = "offline"' in str(error.value)
    assert error.value.path == project.root / "drama.toml"


def test_edge_path_decodes_mp3_trims_and_shifts_word_timings(project, monkeypatch, tmp_path):
    """The edge branch with the service replaced by real MP3 bytes: 0.3 s silence, then 1 s of tone."""
    mp3 = tmp_path / "line.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=24000:cl=mono:d=0.3",
                    "-f", "lavfi", "-i", "sine=f=220:r=24000:d=1.0", "-filter_complex", "[0][1]concat=n=2:v=0:a=1",
                    "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", str(mp3)], check=True)

    async def fake_stream(text, spec):
        return mp3.read_bytes(), [WordTiming(text="嗯。", start=0.3, end=1.3)]

    monkeypatch.setattr(edge_backend, "_stream", fake_stream)
    board = storyboard()
    lines = Speaker(project, "edge").speak(board)
    line = next(line for line in lines if line.speaker == "顾承泽")
    assert line.backend == "edge" and line.voice == "zh-CN-YunjianNeural"
    assert line.duration == pytest.approx(1.0 + TAIL, abs=0.05)  # the 0.3 s of silence is gone
    assert line.words[0].start == pytest.approx(0.0, abs=0.03)
    samples, _ = read_wav(line.audio)
    assert np.abs(samples[: int(0.02 * SAMPLE_RATE)]).max() > 0.02 * 32768
    again = Speaker(project, "auto")
    again.speak(board)
    assert again.synthesised == 0  # edge audio from the cache, no network needed
