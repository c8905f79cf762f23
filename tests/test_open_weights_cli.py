"""`drama render --engine wan` end to end on a one-shot project with a tiny random-weight Wan VACE model."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")
pytest.importorskip("ftfy", reason="Wan's prompt cleaning needs ftfy (part of the diffusers extra)")

import open_weights_tiny as tiny  # noqa: E402

from drama.cli import main  # noqa: E402
from engine.video import read_frames  # noqa: E402

def test_drama_render_with_the_wan_engine(tmp_path, capsys):
    root = tiny.one_shot_project(tmp_path / "series", tiny.save_wan(tmp_path / "wan", "vace"))
    with tiny.one_torch_thread():
        assert main(["render", str(root), "--engine", "wan"]) == 0
    assert "1 rendered" in capsys.readouterr().out
    [candidate] = [json.loads(p.read_text(encoding="utf-8")) for p in (root / "renders").glob("*/candidate.json")]
    request, clip = candidate["request"], candidate["clip"]
    assert candidate["engine"] == "wan" and clip["meta"]["pipeline"] == "WanVACEPipeline"
    assert clip["meta"]["references"] == 1  # the cast portrait went in as a VACE reference image
    frames = list(read_frames(root / "renders" / candidate["key"] / clip["video"]))
    assert len(frames) == request["num_frames"] == clip["num_frames"]
    assert frames[0].shape == (request["height"], request["width"], 3)

    capsys.readouterr()
    assert main(["render", str(root), "--engine", "wan"]) == 0  # cached: nothing is drawn again
    assert "0 rendered" in capsys.readouterr().out


def test_a_missing_model_folder_fails_the_draw_with_where_to_put_it(tmp_path, capsys):
    root = tiny.one_shot_project(tmp_path / "series", tmp_path / "models" / "Wan2.1-VACE-1.3B")
    assert main(["render", str(root), "--engine", "wan"]) == 1
    err = "".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "ModelNotFoundError" in err and "/models/Wan2.1-VACE-1.3Bdoesnotexist" in err
    assert "hfdownloadWan-AI/Wan2.1-VACE-1.3B-diffusers--local-dir" in err
