"""One voice per character across the series: the voice an export used is kept whatever cast.toml and drama.toml say
later (with a warning at the line of each change), `drama voice --recast NAME` changes it on purpose, a character
locked to edge-tts is not exported in a stand-in voice, and the lock survives a writer killed mid-write."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from conftest import copy_demo
from drama.cli import console, main
from drama.errors import ExportError, ProjectError, VoiceError
from drama.project import Project
from drama.voice import Speaker
from drama.voice import edge as edge_backend
from drama.voice.lock import check_export, read_locks, recast, take_locks
from drama.voice.model import WordTiming
from tests.fakes.tts import CosyVoice
from tests.test_voice_servers import CAST_ROWS, _clip, _project
from tests.voice_helpers import ROWS, demo_project, storyboard

REPO = Path(__file__).resolve().parents[1]


def _add(path: Path, name: str, *settings: str) -> int:
    """Add `settings` lines to `name`'s [[character]] in cast.toml (after its name line); the first one's line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index(f'name = "{name}"') + 1
    lines[at:at] = settings
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def _set_backend(root: Path, backend: str) -> int:
    config = root / "drama.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("backend ="))
    lines[at] = f'backend = "{backend}"'
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def _rows(out: str) -> list[list[str]]:
    """The `drama voice` table's rows: shot, speaker, line, backend, voice, line s, shot s, timing."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    return [row for row in rows if len(row) == 8 and row[0]]


def _voices(out: str) -> dict[str, set[str]]:
    voices: dict[str, set[str]] = {}
    for row in _rows(out):
        voices.setdefault(row[1], set()).add(f"{row[3]} {row[4]}")
    return voices


def _messages(caplog, text: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


@pytest.fixture
def edge_service(monkeypatch, tmp_path):
    """edge-tts replaced by real MP3 bytes (1 s of tone) while `state["up"]`, and unreachable otherwise."""
    mp3 = tmp_path / "line.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=f=220:r=24000:d=1.0",
                    "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", str(mp3)], check=True)
    state = {"up": True, "calls": 0}

    async def stream(text, spec):
        state["calls"] += 1
        if not state["up"]:
            raise OSError(-2, "Name or service not known")
        return mp3.read_bytes(), [WordTiming(text=text, start=0.0, end=1.0)]

    monkeypatch.setattr(edge_backend, "_stream", stream)
    monkeypatch.delenv("DRAMA_KOKORO_DIR", raising=False)
    return state


def test_an_exported_voice_is_kept_until_recast(tmp_path, capsys, caplog, monkeypatch):
    """Through the CLI: `drama make` exports and locks; a new offline_voice in cast.toml is not applied by `drama voice`
    or `drama make` (warned at its line); `--recast` by an alias re-voices that character's lines and no one else's."""
    monkeypatch.setattr(console, "_width", 240)
    root = copy_demo(tmp_path / "demo")  # [voice] backend = "offline"
    assert main(["make", str(root)]) == 0
    assert main(["voice", str(root)]) == 0
    exported = _voices(capsys.readouterr().out)
    locks = read_locks(Project.load(root))
    assert set(locks) == {"沈清", "顾承泽", "白薇", "陈伯"} and {lock.backend for lock in locks.values()} == {"offline"}
    assert {name: {f"offline {lock.spec.espeak_voice}"} for name, lock in locks.items()} == \
        {name: voices for name, voices in exported.items() if name in locks}, "locked to the voices the export used"
    assert locks["沈清"].spec.espeak_voice != "cmn+f5"

    cast = root / "cast.toml"
    line = _add(cast, "沈清", 'offline_voice = "cmn+f5"')
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        assert main(["voice", str(root)]) == 0
    out = capsys.readouterr().out
    assert _voices(out) == exported and "synthesised 0 line(s)" in out
    warned = _messages(caplog, "沈清's voice stays")
    assert len(warned) == 1 and f'{cast}:{line} offline_voice = "cmn+f5"' in warned[0]
    assert f"drama voice {root} --recast 沈清" in warned[0]

    assert main(["make", str(root)]) == 0
    assert "unchanged" in capsys.readouterr().out, "nothing re-voiced, so nothing re-exported"

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        assert main(["voice", str(root), "--recast", "清清"]) == 0
    out = capsys.readouterr().out
    now = _voices(out)
    assert now["沈清"] == {"offline cmn+f5"}
    assert {name: voices for name, voices in now.items() if name != "沈清"} == \
        {name: voices for name, voices in exported.items() if name != "沈清"}
    her_lines = sum(row[1] == "沈清" for row in _rows(out))
    assert her_lines > 0 and f"synthesised {her_lines} line(s)" in out, "only her lines are voiced again"
    assert "recast 沈清" in out and not _messages(caplog, "沈清's voice stays")
    relocked = read_locks(Project.load(root))
    assert relocked["沈清"].spec.espeak_voice == "cmn+f5" and relocked["沈清"].backend == "offline"
    assert {name: lock for name, lock in relocked.items() if name != "沈清"} == \
        {name: lock for name, lock in locks.items() if name != "沈清"}
    assert main(["voice", str(root)]) == 0
    assert "synthesised 0 line(s)" in capsys.readouterr().out


def test_a_name_recast_does_not_know_is_an_error_with_a_suggestion(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    assert main(["voice", str(root), "--recast", "沈青"]) == 2
    err = capsys.readouterr().err
    assert "no character '沈青'" in err and "did you mean '沈清'" in err and "cast.toml" in err
    assert main(["voice", str(root), "--recast", "Nobody"]) == 2
    assert "沈清, 顾承泽, 白薇, 陈伯" in capsys.readouterr().err
    assert not (root / ".drama" / "voice-locks.json").exists() and not (root / ".drama" / "cache" / "voice").exists()


def test_recasting_a_character_not_locked_yet_says_so(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    assert main(["voice", str(root), "--recast", "陈伯"]) == 0
    assert "陈伯 had no locked voice" in capsys.readouterr().out
    assert not (root / ".drama" / "voice-locks.json").exists()


def test_a_character_locked_to_edge_is_drafted_offline_but_not_exported_without_the_network(tmp_path, edge_service,
                                                                                           caplog):
    project = demo_project(tmp_path)  # [voice] backend = "auto"
    board = storyboard()
    lines = Speaker(project).speak(board)
    assert {line.backend for line in lines} == {"edge"}
    assert sorted(take_locks(project, "ep01", lines)) == sorted(["白薇", "顾承泽", "陈伯", "沈清"])
    locked = read_locks(project)["沈清"]
    assert locked.backend == "edge" and locked.spec.edge_voice == "zh-CN-XiaoxiaoNeural"

    edge_service["up"] = False
    edited = storyboard([*ROWS[:-1], ("沈清", "我回来了。", None, False, "dialogue")])  # a new line of hers
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        drafted = Speaker(project).speak(edited)
    hers = next(line for line in drafted if line.speaker == "沈清")
    assert hers.backend == "offline", "drafting goes on without the network"
    assert {line.backend for line in drafted if line.speaker != "沈清"} == {"edge"}, "cached edge lines are kept"
    assert len(_messages(caplog, "沈清's voice is locked to edge-tts")) == 1
    with pytest.raises(ExportError) as refused:
        check_export(project, "ep02", drafted)
    assert "ep02 is not exported" in str(refused.value) and "--recast 沈清" in str(refused.value)
    assert refused.value.path == project.root / "cast.toml" and refused.value.line is not None

    speaker = Speaker(project, recast=["沈清"])  # the network still down: a recast would lock her to eSpeak NG
    relines = speaker.speak(edited)
    with pytest.raises(VoiceError, match="沈清 is not recast: edge-tts could not speak"):
        recast(project, ["沈清"], relines, speaker.chain, speaker.down)
    assert read_locks(project)["沈清"] == locked

    edge_service["up"] = True
    back = Speaker(project).speak(edited)
    assert {line.backend for line in back} == {"edge"}
    check_export(project, "ep02", back)  # in the locked voices again: exported


def test_a_backend_change_in_drama_toml_is_named_and_not_applied(tmp_path, edge_service, caplog):
    root = copy_demo(tmp_path / "demo", tiny=False)  # [voice] backend = "offline"
    project = Project.load(root)
    take_locks(project, "ep01", Speaker(project).speak(storyboard()))
    line = _set_backend(root, "edge")
    project = Project.load(root)
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = Speaker(project).speak(storyboard())
    assert {line.backend for line in lines if line.speaker in read_locks(project)} == {"offline"}
    assert next(line for line in lines if line.speaker == "旁白").backend == "edge", "the narrator is not locked"
    warned = _messages(caplog, "顾承泽's voice stays eSpeak NG")
    assert len(warned) == 1 and f'{root / "drama.toml"}:{line} backend = "edge"' in warned[0]


def test_a_locked_clone_keeps_its_clip_when_the_file_is_replaced(tmp_path, caplog):
    with CosyVoice() as server:
        project = _project(tmp_path, server.url, {"白薇": {"voice_ref": "voices/白薇.wav", "voice_ref_text": "今天天气不错"},
                                                 "顾承泽": {"server_voice": "中文男"}})
        clip = (project.root / "voices" / "白薇.wav").read_bytes()
        take_locks(project, "ep01", Speaker(project, "cosyvoice").speak(storyboard(CAST_ROWS)))
        _clip(project.root / "voices" / "白薇.wav", "换了一段参考音频")
        project = Project.load(project.root)
        line = project.root.joinpath("cast.toml").read_text(encoding="utf-8").splitlines().index(
            'voice_ref = "voices/白薇.wav"') + 1
        new_line = [("白薇", "我先走了。", None, False, "dialogue")]
        with caplog.at_level(logging.WARNING, logger="drama.voice"):
            spoken = Speaker(project, "cosyvoice").speak(storyboard(new_line))
    assert server.clips == [clip, clip], "the new line is cloned from the locked clip, not the replaced file"
    assert spoken[0].backend == "cosyvoice"
    warned = _messages(caplog, "白薇's voice stays")
    assert len(warned) == 1 and f"{project.root / 'cast.toml'}:{line} a new clip at voice_ref" in warned[0]


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from drama import atomic
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.voice import Speaker
from drama.voice.lock import recast

project = Project.load(sys.argv[1])
speaker = Speaker(project, recast=["沈清"])
lines = prepare_episode(project, "ep01", speak=speaker).lines

def stall(fd):  # the lock's new bytes are in the temporary file, not yet renamed over the lock: killed here
    Path(sys.argv[2]).touch()
    time.sleep(60)

atomic.os.fsync = stall
recast(project, ["沈清"], lines, speaker.chain, speaker.down)
"""


def test_the_lock_survives_a_writer_killed_mid_write(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    project = Project.load(root)
    lines = Speaker(project).speak(storyboard())
    take_locks(project, "ep01", lines)
    locks_file = root / ".drama" / "voice-locks.json"
    before, locks = locks_file.read_bytes(), read_locks(project)
    _add(root / "cast.toml", "沈清", 'offline_voice = "cmn+f5"')

    started = tmp_path / "writing"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(root), str(started)], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 120
    while not started.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the writer reached the lock's write"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert locks_file.read_bytes() == before
    assert list(locks_file.parent.glob(f".{locks_file.name}.*.tmp")), "the killed writer's temporary file is left"
    project = Project.load(root)
    assert read_locks(project) == locks
    again = Speaker(project).speak(storyboard())
    assert {line.voice for line in again if line.speaker == "沈清"} == {locks["沈清"].spec.espeak_voice}
    assert main(["voice", str(root), "--recast", "沈清"]) == 0, "the next writer is not stopped by the leftover"
    assert read_locks(Project.load(root))["沈清"].spec.espeak_voice == "cmn+f5"


def test_a_damaged_lock_file_is_named(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    (root / ".drama").mkdir()
    (root / ".drama" / "voice-locks.json").write_text('{"version": 1, "characters": {"沈清": {"backend": "edge"',
                                                      encoding="utf-8")
    assert main(["voice", str(root)]) == 2
    err = capsys.readouterr().err
    assert "voice-locks.json" in err and "locked voices cannot be read" in err and "move it aside" in err


@pytest.mark.parametrize(("make", "said"), [
    (None, "is not there"),
    (lambda clip: clip.mkdir(parents=True), "is a folder"),
    (lambda clip: clip.write_bytes(b""), "is empty"),
    (lambda clip: clip.write_text("not a recording", encoding="utf-8"), "is not an audio file"),
])
def test_a_bad_reference_clip_is_caught_at_load_at_its_line(tmp_path, make, said):
    root = demo_project(tmp_path).root
    line = _add(root / "cast.toml", "白薇", 'voice_ref = "voices/白薇.wav"', 'voice_ref_text = "今天天气不错"')
    clip = root / "voices" / "白薇.wav"
    clip.parent.mkdir(exist_ok=True)
    if make is not None:
        make(clip)
    with pytest.raises(ProjectError, match=f"reference clip of '白薇' {said}") as bad:
        Project.load(root)
    assert bad.value.path == root / "cast.toml" and bad.value.line == line and bad.value.hint


def test_an_unreadable_reference_clip_is_caught_at_load(tmp_path):
    """A clip the system refuses to read, to root as to anyone: a link to /proc/self/mem, whose first page is
    unmapped, fails every read with EIO (chmod 0 would not stop root, who runs CI)."""
    root = demo_project(tmp_path).root
    line = _add(root / "cast.toml", "白薇", 'voice_ref = "voices/白薇.wav"', 'voice_ref_text = "今天天气不错"')
    (root / "voices").mkdir(exist_ok=True)
    (root / "voices" / "白薇.wav").symlink_to("/proc/self/mem")
    with pytest.raises(ProjectError, match="cannot be read") as bad:
        Project.load(root)
    assert bad.value.line == line


def test_a_renamed_character_keeps_their_lock_through_the_old_name(tmp_path, caplog):
    root = copy_demo(tmp_path / "demo")
    project = Project.load(root)
    take_locks(project, "ep01", Speaker(project).speak(storyboard()))
    kept = read_locks(project)["沈清"].spec.espeak_voice
    cast = root / "cast.toml"
    text = cast.read_text(encoding="utf-8").replace('name = "沈清"\naliases = ["清清", "Shen Qing"]',
                                                    'name = "沈清秋"\naliases = ["清清", "Shen Qing", "沈清"]')
    cast.write_text(text, encoding="utf-8")
    _add(cast, "沈清秋", 'offline_voice = "cmn+f5"')
    project = Project.load(root)
    with caplog.at_level(logging.WARNING, logger="drama.voice"):
        lines = Speaker(project).speak(storyboard())
    assert {line.voice for line in lines if line.speaker == "沈清秋"} == {kept} != {"cmn+f5"}
    assert len(_messages(caplog, "沈清秋's voice stays")) == 1
