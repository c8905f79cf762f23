"""`[render] control = "previz"`: a Wan draw follows the shot's previz draw (depth, layout, masks), the previz
draw is rendered once and reused, and its bytes are part of the generative draw's cache key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")
pytest.importorskip("ftfy", reason="Wan's prompt cleaning needs ftfy (part of the diffusers extra)")

import open_weights_tiny as tiny  # noqa: E402
import torch  # noqa: E402

from drama.cli import main  # noqa: E402
from drama.pipeline import prepare_episode  # noqa: E402
from drama.project import Project  # noqa: E402
from drama.render import StateStore  # noqa: E402
from drama.render.status import shot_key_now  # noqa: E402
from engine.open_weights.wan import WanEngine  # noqa: E402
from engine.registry import get_engine  # noqa: E402

def project(root: Path, model_dir: Path, control: str) -> Path:
    return tiny.one_shot_project(root, model_dir, f'engine = "wan"\ncontrol = "{control}"\ncontrol_strength = 0.7')


def candidates(root: Path) -> dict[str, dict]:
    """Every folder under renders/ by engine (the previz control draw is one, though not a shot candidate)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in (root / "renders").glob("*/candidate.json")]
    return {c["engine"]: c for c in found}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return tiny.save_wan(tmp_path_factory.mktemp("wan") / "vace", "vace")


def render(root: Path, model: Path, monkeypatch, capsys) -> tuple[str, list[dict]]:
    """`drama render ROOT`, recording what the Wan transformer was called with."""
    engine = WanEngine(model_dir=str(model))  # the same load options as drama.toml: the same loaded pipeline
    monkeypatch.setattr("drama.render.pool.get_engine", lambda name: engine if name == "wan" else get_engine(name))
    with tiny.one_torch_thread(), tiny.transformer_inputs(engine, "WanVACEPipeline") as calls:
        assert main(["render", str(root)]) == 0
    return capsys.readouterr().out, calls


def test_previz_control_reaches_wan_and_is_reused(tmp_path, model, monkeypatch, capsys):
    root = project(tmp_path / "series", model, "previz")
    out, calls = render(root, model, monkeypatch, capsys)
    assert "1 rendered" in out
    previz, wan = candidates(root)["previz"], candidates(root)["wan"]
    folder = root / "renders" / previz["key"]
    assert previz["clip"]["depth"] == "depth.mp4" and list(previz["clip"]["masks"]) == ["林晚"]
    controls = wan["request"]["controls"]
    assert [c["kind"] for c in controls] == ["depth", "layout", "masks"]
    assert controls[0]["path"] == str(folder / "depth.mp4") and controls[0]["strength"] == 0.7
    # VACE follows the depth video; the others are named, not silently dropped.
    assert wan["clip"]["meta"]["control"] == "depth"
    assert wan["clip"]["meta"]["ignored"] == "control:layout,control:masks"
    assert torch.allclose(calls[0]["control_hidden_states_scale"], torch.tensor(0.7))

    # The same shot without control: the model's control input differs only by the previz depth video.
    plain_root = project(tmp_path / "plain", model, "none")
    _, plain_calls = render(plain_root, model, monkeypatch, capsys)
    assert candidates(plain_root).keys() == {"wan"}
    with_control, without = calls[0]["control_hidden_states"], plain_calls[0]["control_hidden_states"]
    assert with_control.shape == without.shape and not torch.equal(with_control, without)

    # Second run: nothing is drawn, the previz control draw is reused as it is.
    stamp = (folder / "candidate.json").stat().st_mtime_ns
    out, calls = render(root, model, monkeypatch, capsys)
    assert "0 rendered" in out and calls == []
    assert (folder / "candidate.json").stat().st_mtime_ns == stamp
    assert len(list((root / "renders").iterdir())) == 2
    proj = Project.load(root)
    shot = prepare_episode(proj, "ep01").storyboard.shots[0]
    with StateStore(proj) as store:
        assert [c.engine for c in store.candidates(shot.id)] == ["wan"]  # the control draw is not a candidate

    # Status reads the key through the rendered control: the Wan draw is current.
    assert main(["status", str(root), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["episodes"]["ep01"][0]
    assert (row["key"], row["stale"], row["draws"]) == (wan["shot_key"], False, 1)

    # The control's bytes are in the key: a changed depth video makes the Wan draw stale — status says so
    # without writing the flag (the next render does).
    before = shot_key_now(proj, shot, "wan")
    tiny.gradient_video(folder / "depth.mp4", 5, invert=True, size=(18, 32))
    assert shot_key_now(proj, shot, "wan") != before
    assert shot_key_now(proj, shot, "previz") == shot_key_now(Project.load(plain_root), shot, "previz")
    assert main(["status", str(root), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["episodes"]["ep01"][0]
    assert (row["stale"], row["draws"], row["stale_draws"]) == (True, 0, 1)
    with StateStore(proj) as store:
        assert [c.stale for c in store.candidates(shot.id)] == [False]

    # A control draw that is gone leaves the key unknown: status says so and renders nothing.
    (folder / "candidate.json").unlink()
    assert main(["status", str(root), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["episodes"]["ep01"][0]
    assert (row["key"], row["stale"]) == (None, None) and not (folder / "candidate.json").exists()
