"""Every fault a message, never a traceback; nothing left behind (issue #12, parts 1 and 3).

Each case runs the real CLI on a copy of a made tiny demo and checks: the exit code says it failed, there is no
traceback, the message names the file and says what to do, and nothing valuable (draws, picks, the last export)
is lost. Faults are real where this machine allows (a read-only bind mount in a private mount namespace, a file
where a folder belongs, a killed export); a full disk and, where mounts are not allowed, a read-only store are
injected at the write, as the OS or SQLite would report them.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_demo
from drama.cli import main
from drama.project import Project
from drama.render import StateStore

DRAMA = [sys.executable, "-m", "drama"]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, str]:
    """A made tiny demo (one draw per shot, exported) with one pick made by the creator; returns it and that shot."""
    root = copy_demo(tmp_path_factory.mktemp("faults") / "demo", draws=1)
    assert main(["make", str(root), "--draws", "1"]) == 0
    with StateStore(Project.load(root)) as store:
        shot = store.shot_ids()[0]
        candidate = store.candidates(shot)[0]
    assert main(["pick", str(root), shot, candidate.id]) == 0
    return root, shot


@pytest.fixture
def project(made, tmp_path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(made[0], root)
    return root


@pytest.fixture
def shot(made) -> str:
    return made[1]


def valuables(root: Path) -> dict[str, object]:
    """What a fault must never cost: the picks, the draws (recorded and on disk) and the published export."""
    with StateStore(Project.load(root)) as store:
        picks, drawn = store.picks(), sorted(c.id for c in store.candidates())
    exports = root / "exports"
    return {"picks": picks, "drawn": drawn,
            "renders": sorted(p.name for p in (root / "renders").iterdir() if not p.name.startswith(".")),
            "exports": {str(p.relative_to(exports)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(exports.rglob("*")) if p.is_file()} if exports.is_dir() else None}


def run(capsys, *args: str) -> tuple[int, str]:
    code = main([*args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def error_of(output: str) -> str:
    """The error message (and its hint), on one line."""
    assert "Traceback" not in output
    assert "error:" in output, output
    return " ".join(output[output.index("error:"):].split())


# --- a read-only project ------------------------------------------------------------------------------------------

def test_a_read_only_store_is_looked_at_and_a_pick_says_make_it_writable(project, shot, capsys, monkeypatch):
    """The state store opened as SQLite opens a file it may not write: status works, a pick says what to do."""
    before = valuables(project)
    connect = sqlite3.connect

    def read_only(target, *args, uri=False, **kwargs):
        if str(target).endswith("state.db"):
            target, uri = f"{Path(target).as_uri()}?mode=ro", True
        return connect(target, *args, uri=uri, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    code, output = run(capsys, "status", str(project), "--json")
    assert code == 0 and "Traceback" not in output
    assert shot in output and before["picks"][shot] in output  # the creator's pick is read
    code, output = run(capsys, "pick", str(project), shot, "auto")
    message = error_of(output)
    assert code == 2
    assert "state.db" in message and "read-only" in message and "writable" in message
    monkeypatch.undo()
    assert valuables(project) == before


def _read_only_mount(source: Path, mountpoint: Path, *args: str) -> subprocess.CompletedProcess:
    """`drama ARGS` with `source` mounted read-only at `mountpoint`, in a mount namespace of its own."""
    script = 'mount --bind "$0" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, str(source),
                           str(mountpoint), *args], capture_output=True, text=True)


def test_every_command_on_a_read_only_project_looks_or_says_make_it_writable(project, shot, tmp_path):
    mountpoint = tmp_path / "ro"
    mountpoint.mkdir()
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here for a read-only bind mount; the injected read-only store above covers the store")
    probe = _read_only_mount(project, mountpoint, "touch", str(mountpoint / "probe"))
    if "Read-only file system" not in probe.stderr:
        pytest.skip(f"no read-only bind mount here (unshare/mount: {probe.stderr.strip()[-200:]}); "
                    "the injected read-only store above covers the store")
    before = valuables(project)
    status = _read_only_mount(project, mountpoint, *DRAMA, "status", str(mountpoint), "--json")
    assert status.returncode == 0, status.stderr
    assert before["picks"][shot] in status.stdout
    cached = _read_only_mount(project, mountpoint, *DRAMA, "render", str(mountpoint), "--draws", "1")
    assert cached.returncode == 0 and "Traceback" not in cached.stderr, cached.stderr  # nothing to draw: nothing written
    for args, names in ((["pick", str(mountpoint), shot, "auto"], "state.db"),
                        (["render", str(mountpoint), "--draws", "2", "--shots", shot], ".drama/"),
                        (["export", str(mountpoint), "--force"], "exports"),
                        (["make", str(mountpoint), "--force-export"], "exports")):
        result = _read_only_mount(project, mountpoint, *DRAMA, *args)
        message = error_of(result.stdout + result.stderr)
        assert result.returncode == 2, (args, message)
        assert names in message and "read-only" in message and "writable" in message, (args, message)
    page = ("import sys; from drama.project import Project; from drama.review.session import ReviewSession; "
            "s = ReviewSession.start(Project.load(sys.argv[1]), None); v = s.view(); s.close(); "
            "print(sum(1 for shot in v['shots'] if shot.get('pick')))")
    review = _read_only_mount(project, mountpoint, sys.executable, "-c", page, str(mountpoint))
    assert review.returncode == 0 and int(review.stdout) > 0, review.stderr  # the review page's data, picks shown
    assert valuables(project) == before
    fresh = tmp_path / "fresh"  # never rendered: no .drama/ at all, and none can be made
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
    status = _read_only_mount(fresh, mountpoint, *DRAMA, "status", str(mountpoint), "--json")
    assert status.returncode == 0, status.stderr
    assert '"pick": null' in status.stdout and not (fresh / ".drama").exists()


# --- a full disk ----------------------------------------------------------------------------------------------

class _FullDisk(sqlite3.Connection):
    """A connection to a store on a full disk: every insert fails as SQLite fails it there."""

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def test_a_full_disk_during_render_says_free_space_and_keeps_the_draw(project, shot, capsys, monkeypatch):
    before = valuables(project)
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, **kwargs, factory=_FullDisk))
    code, output = run(capsys, "render", str(project), "--draws", "2", "--shots", shot)
    message = error_of(output)
    assert code == 2
    assert "state.db" in message and "disk is full" in message and "free some space" in message
    monkeypatch.undo()
    drawn = set(valuables(project)["renders"]) - set(before["renders"])
    assert len(drawn) == 1, "the draw finished before the disk filled is kept"
    assert valuables(project)["picks"] == before["picks"]
    code, output = run(capsys, "render", str(project), "--draws", "2", "--shots", shot)
    assert code == 0
    after = valuables(project)
    assert len(after["drawn"]) == len(before["drawn"]) + 1 and set(after["renders"]) == set(before["renders"]) | drawn


def test_a_full_disk_during_export_says_how_much_to_free(project, capsys, monkeypatch):
    before = valuables(project)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, output = run(capsys, "export", str(project), "--force")
    monkeypatch.undo()
    message = error_of(output)
    assert code == 2
    assert "disk full while writing" in message and str(project / ".drama") in message
    assert "MB and run again" in message and int(message.split("free ")[1].split(" MB")[0]) >= 1
    assert valuables(project) == before, "the last export is kept whole"
    assert not any((project / ".drama" / "cache" / "export").iterdir()), "no scratch left"


# --- things where they do not belong ------------------------------------------------------------------------------

def test_drama_toml_that_is_a_folder(project, capsys):
    (project / "drama.toml").unlink()
    (project / "drama.toml").mkdir()
    code, output = run(capsys, "status", str(project))
    message = error_of(output)
    assert code == 2
    assert str(project / "drama.toml") in message and "folder" in message and "move the folder aside" in message


def test_a_damaged_state_store_is_named_and_kept(project, capsys):
    state = project / ".drama" / "state.db"
    garbage = os.urandom(8192)
    state.write_bytes(garbage)
    for args in (["status", str(project)], ["render", str(project)]):
        code, output = run(capsys, *args)
        message = error_of(output)
        assert code == 2
        assert str(state) in message and "damaged" in message and "move it aside" in message
    assert state.read_bytes() == garbage, "the damaged store is left for the creator to look at"


def test_a_state_store_that_is_a_folder(project, capsys):
    state = project / ".drama" / "state.db"
    state.unlink()
    state.mkdir()
    (state / "notes.txt").write_text("mine")
    code, output = run(capsys, "status", str(project))
    message = error_of(output)
    assert code == 2
    assert str(state) in message and "folder" in message and "move the folder aside" in message
    assert (state / "notes.txt").read_text() == "mine"


def test_a_render_lock_that_is_a_folder(project, shot, capsys):
    before = valuables(project)
    lock = project / ".drama" / "render.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    code, output = run(capsys, "render", str(project), "--draws", "2", "--shots", shot)
    message = error_of(output)
    assert code == 2
    assert str(lock) in message and "folder" in message and f"rmdir {lock}" in message
    assert valuables(project) == before


def test_exports_that_is_a_file_is_found_before_the_encode(project, capsys):
    exports = project / "exports"
    shutil.rmtree(exports)
    exports.write_text("my notes")
    code, output = run(capsys, "export", str(project), "--force")
    message = error_of(output)
    assert code == 2
    assert str(exports) in message and "a file is where" in message and "move the file aside" in message
    assert exports.read_text() == "my notes"
    scratch = project / ".drama" / "cache" / "export"
    assert not scratch.exists() or not any(scratch.iterdir()), "nothing was built: the encode never started"


# --- ffmpeg --------------------------------------------------------------------------------------------------------

def test_an_ffmpeg_failure_is_a_few_lines_and_a_log_that_exists(project, capsys, monkeypatch, tmp_path):
    """ffmpeg really fails (an encoder it does not have): the message quotes ffmpeg's reason, not its whole log, and
    points at a copy of the log that is still there after the scratch folder is gone."""
    from engine.video import ffmpeg_exe

    before = valuables(project)
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\nfor a; do shift; [ "$a" = libx264 ] && a=no-such-h264; set -- "$@" "$a"; done\n'
                       f'exec "{ffmpeg_exe()}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(wrapper))
    code, output = run(capsys, "export", str(project), "--force")
    message = error_of(output)
    assert code == 2
    assert "no-such-h264" in message and len(output[output.index("error:"):].strip().splitlines()) <= 3
    log = Path(message.split("error: ")[1].split(": ffmpeg")[0])
    assert log.is_file() and log.is_relative_to(project / ".drama")
    assert "Input #0" in log.read_text() and "Unknown encoder 'no-such-h264'" in log.read_text()  # the whole log
    assert str(log) in message.split("hint:")[1]
    assert valuables(project) == before


# --- the handler --------------------------------------------------------------------------------------------------

def test_debug_shows_the_traceback_and_its_absence_does_not(project):
    (project / "drama.toml").unlink()
    (project / "drama.toml").mkdir()
    plain = subprocess.run([*DRAMA, "status", str(project)], capture_output=True, text=True)
    debug = subprocess.run([*DRAMA, "status", str(project), "--debug"], capture_output=True, text=True)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "drama.toml" in plain.stderr
    assert debug.returncode != 0 and "Traceback (most recent call last)" in debug.stderr
    assert "ProjectError" in debug.stderr


def test_an_os_error_no_module_said_is_put_in_words(tmp_path, capsys):
    too_long = tmp_path / ("a" * 300)  # past NAME_MAX: the OS refuses it, nothing in drama looks for it
    code, output = run(capsys, "status", str(too_long))
    message = error_of(output)
    assert code == 2
    assert str(too_long) in message and "too long" in message and "shorter path" in message


def test_an_unexpected_error_is_one_line_that_says_bug(project, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the sqlite module fell over")

    monkeypatch.setattr(sqlite3, "connect", broken)
    code, output = run(capsys, "status", str(project))
    assert code == 1 and "Traceback" not in output
    assert "bug" in output and "RuntimeError: the sqlite module fell over" in output and "--debug" in output


# --- nothing left behind ------------------------------------------------------------------------------------------

def test_a_killed_export_leaves_scratch_that_the_next_export_sweeps(project, capsys):
    before = valuables(project)
    scratch = project / ".drama" / "cache" / "export"
    export = subprocess.Popen([*DRAMA, "export", str(project), "--force"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(scratch.glob("ep01.*/dialogue.f32")):
            assert export.poll() is None, "the export ended before it could be killed"
            assert time.monotonic() < deadline, "the export never started building"
            time.sleep(0.05)
    finally:
        os.killpg(export.pid, signal.SIGKILL)
        export.wait()
    left = list(scratch.iterdir())
    assert left, "a killed export leaves its scratch folder"
    assert valuables(project) == before, "a killed export leaves the last one whole"
    code, _ = run(capsys, "export", str(project), "--force")
    assert code == 0
    assert list(scratch.iterdir()) == []


def _voice_leftover(project: Path) -> Path:
    voice = project / ".drama" / "cache" / "voice"
    wav = sorted(voice.glob("*.wav"))[0]
    leftover = voice / f".{wav.name}.k1lled.tmp"  # as atomic.write_bytes names its temporary file
    leftover.write_bytes(wav.read_bytes()[: len(wav.read_bytes()) // 2])
    return leftover


def test_a_render_sweeps_what_a_killed_voice_or_render_left(project, shot, capsys):
    voice = project / ".drama" / "cache" / "voice"
    lines = sorted(p.name for p in voice.iterdir() if not p.name.startswith("."))
    leftover = _voice_leftover(project)
    partial = project / "renders" / ".0123abcd.5678.partial"  # a draw folder of a killed render
    partial.mkdir()
    (partial / "video.mp4").write_bytes(b"half")
    assert run(capsys, "render", str(project), "--draws", "2", "--shots", shot)[0] == 0
    assert not leftover.exists() and not partial.exists()
    assert sorted(p.name for p in voice.iterdir() if not p.name.startswith(".")) == lines


def test_a_sweep_spares_the_files_of_live_writers(project, shot, capsys):
    """A voice line being written (the voice cache's lock held shared) and an export being built (the export lock
    held) keep their temporary files through a render's sweep; once they are done, the next sweep takes them."""
    leftover = _voice_leftover(project)
    scratch = project / ".drama" / "cache" / "export" / "ep01.l1ve"
    scratch.mkdir(parents=True)
    (scratch / "dialogue.f32").write_bytes(b"\0" * 64)
    with open(leftover.parent / ".lock", "a") as writing, open(project / ".drama" / "export.lock", "a") as exporting:
        fcntl.flock(writing, fcntl.LOCK_SH)
        fcntl.flock(exporting, fcntl.LOCK_EX)
        assert run(capsys, "render", str(project), "--draws", "2", "--shots", shot)[0] == 0
        assert leftover.exists() and scratch.exists()
    assert run(capsys, "render", str(project), "--draws", "3", "--shots", shot)[0] == 0
    assert not leftover.exists()
    assert scratch.exists(), "export scratch is swept only by an export, which takes the export lock"


# --- permissions --------------------------------------------------------------------------------------------------

def test_draws_and_exports_get_the_permissions_of_the_umask(project, shot, capsys):
    before = set(valuables(project)["renders"])
    previous = os.umask(0o027)
    try:
        assert run(capsys, "render", str(project), "--draws", "2", "--shots", shot)[0] == 0
        assert run(capsys, "export", str(project), "--force")[0] == 0
    finally:
        os.umask(previous)
    (drawn,) = set(valuables(project)["renders"]) - before
    assert stat.S_IMODE((project / "renders" / drawn).stat().st_mode) == 0o750
    assert stat.S_IMODE((project / "renders" / drawn / "candidate.json").stat().st_mode) == 0o640
    for name in ("ep01.mp4", "ep01.srt", "ep01.otio"):
        assert stat.S_IMODE((project / "exports" / name).stat().st_mode) == 0o640, name
