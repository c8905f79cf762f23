"""Atomic writes: all or nothing, and the file ends up with the permissions a plain open() would give."""

import os
import stat

import pytest

from drama import atomic


def test_write_replaces_whole_and_keeps_normal_permissions(tmp_path):
    target = tmp_path / "ep01.srt"
    atomic.write_text(target, "first")
    atomic.write_text(target, "second")
    assert target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._umask()
    assert [p.name for p in tmp_path.iterdir()] == ["ep01.srt"], "no temporary file left beside it"


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "picks.json"
    atomic.write_text(target, "old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(target, "new")
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_atomic_dir_appears_complete_or_not_at_all(tmp_path):
    target = tmp_path / "renders" / "abc"
    with pytest.raises(RuntimeError):
        with atomic.atomic_dir(target) as tmp:
            (tmp / "video.mp4").write_bytes(b"half")
            raise RuntimeError("crash mid-render")
    assert not target.exists() and list(target.parent.iterdir()) == []
    with atomic.atomic_dir(target) as tmp:
        (tmp / "video.mp4").write_bytes(b"whole")
    assert (target / "video.mp4").read_bytes() == b"whole"
