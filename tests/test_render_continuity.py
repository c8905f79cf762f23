"""Continuity (`[render] continuity = "chain"`, drama.render.continuity): a shot that continues the one before it
starts from the last frame of that shot's draw in use, on test-i2v, whose frame 0 is the image it is given.

H.264 tolerance: the chain frame is the first shot's last frame as decoded (bit for bit); the second shot re-encodes
it at crf 12 in yuv420p, so its decoded frame 0 is within 4 levels (of 255) of it on average."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render.continuity import Starts, continues, stale_reason
from drama.render.status import episode_status
from drama.render.tracks import keyframe_track
from drama.storyboard.model import Shot, ShotCharacter, Storyboard
from drama.storyboard.vocabulary import Move, ShotSize
from engine.video import read_selected
from render_fakes import make_project

H264 = 4.0


def chained_project(tmp_path: Path, render: str = "") -> Project:
    root = make_project(tmp_path / "p")
    config = root / "drama.toml"
    text = config.read_text(encoding="utf-8").replace('engine = "test-squares"', 'engine = "test-i2v"')
    config.write_text(text + f'continuity = "chain"\n{render}', encoding="utf-8")
    return Project.load(root)


def shot(project: Project, index: int, *, people: dict[str, str] | None = None, kind: str = "dialogue",
         scene: str = "1", location: str = "kitchen", transition: str = "cut", size: ShotSize = ShotSize.MS) -> Shot:
    """Shot s<index>: `people` by name → facing (Ann by default, facing right), a medium shot panning right."""
    people = {"Ann": "right"} if people is None else people
    return Shot(id=f"s{index}", index=index, kind=kind, scene=scene, location=location, size=size,
                move=Move.PAN, duration=1.0, prompt=f"shot {index}", transition_in=transition,
                characters=[ShotCharacter(name=name, facing=facing, x=0.5,
                                          reference_images=[project.root / "refs" / "ann.png"] if name == "Ann" else [])
                            for name, facing in people.items()])


def board(project: Project, shots: list[Shot]) -> Storyboard:
    return Storyboard(project="test", episode="ep01", width=64, height=112, fps=12, shots=shots)


def first_frame(candidate) -> Path | None:
    path = json.loads((candidate.path / "candidate.json").read_text(encoding="utf-8"))["request"]["first_frame"]
    return Path(path) if path else None


def frame(video: Path, which: int) -> np.ndarray:
    return read_selected(video, lambda total: [which % total])[2][0].astype(float)


def test_what_continues(tmp_path):
    project = chained_project(tmp_path)
    ann = shot(project, 1)
    assert continues(ann, shot(project, 2))
    assert continues(ann, shot(project, 2, people={"Ann": "right", "Bo": "left"}))  # wider, Ann still faces right
    assert continues(shot(project, 1, people={}), shot(project, 2, people={}))  # the empty set, twice
    assert not continues(ann, shot(project, 2, people={"Bo": "left"}))  # the reverse angle
    assert not continues(ann, shot(project, 2, people={"Ann": "left"}))  # the other side of the line
    assert not continues(ann, shot(project, 2, people={}))  # a cutaway to the empty room
    assert not continues(ann, shot(project, 2, kind="insert"))
    assert not continues(shot(project, 1, kind="insert"), shot(project, 2))  # the shot after a cutaway
    assert not continues(ann, shot(project, 2, scene="2"))
    assert not continues(ann, shot(project, 2, location="garden"))
    assert not continues(ann, shot(project, 2, transition="dissolve"))
    assert continues(ann, shot(project, 2, size=ShotSize.MCU)) and continues(ann, shot(project, 2, size=ShotSize.OTS))
    assert not continues(ann, shot(project, 2, size=ShotSize.CU))  # from medium to close: a new setup
    assert not continues(shot(project, 1, size=ShotSize.EWS), shot(project, 2, size=ShotSize.FS))
    title = Shot(id="t", index=1, kind="title_card", scene="1", size=ShotSize.WS, duration=1.0, text="Later")
    assert not continues(title, shot(project, 2))


def test_a_chained_shot_starts_from_the_last_frame_of_the_shot_before(tmp_path):
    project = chained_project(tmp_path)
    storyboard = board(project, [shot(project, 1), shot(project, 2)])
    report = render_shots(project, storyboard, workers=1)
    assert report.count("rendered") == 4 and not report.undrawn
    with StateStore(project) as store:
        first = store.candidates("s1")[0]  # the best draw: the one the chain continues
        assert all(first_frame(c) is None for c in store.candidates("s1"))
        for second in store.candidates("s2"):
            chain = first_frame(second)
            assert chain == project.cache_dir / "frames" / f"{first.key}-last.png"
            last = frame(first.video, -1)
            with Image.open(chain) as image:
                assert np.array_equal(np.asarray(image.convert("RGB"), dtype=float), last)
            assert np.abs(frame(second.video, 0) - last).mean() < H264
            assert np.abs(frame(second.video, 0) - frame(first.video, 0)).mean() > 5 * H264  # it did move on
        rows = {row.shot_id: row for row in episode_status(project, storyboard, store)}
        assert (rows["s2"].continues, rows["s2"].starts_from) == ("s1", f"shot s1's draw {first.id}")
        assert (rows["s1"].continues, rows["s1"].starts_from) == (None, None)


def test_the_shot_after_a_cutaway_does_not_chain(tmp_path):
    project = chained_project(tmp_path)
    storyboard = board(project, [shot(project, 1), shot(project, 2, kind="insert", people={}), shot(project, 3)])
    render_shots(project, storyboard, workers=1)
    with StateStore(project) as store:
        for shot_id in ("s1", "s2", "s3"):
            assert [first_frame(c) for c in store.candidates(shot_id)] == [None, None]


def test_a_new_pick_upstream_makes_the_chained_draws_stale_and_says_why(tmp_path):
    project = chained_project(tmp_path)
    storyboard = board(project, [shot(project, 1), shot(project, 2), shot(project, 3)])
    render_shots(project, storyboard, workers=1)
    with StateStore(project) as store:
        used, other = store.candidates("s1")
        continued = store.candidates("s2")[0]
        store.pick("s1", other.id)
        rows = {row.shot_id: row for row in episode_status(project, storyboard, store)}
        assert (rows["s1"].state, rows["s1"].draws) == ("ok", 2)
        assert (rows["s2"].state, rows["s2"].stale_draws) == ("stale", 2)
        # s3 continues s2, whose draws are all stale now: what it starts from is not known until s2 is drawn again
        assert rows["s3"].key is None and rows["s3"].waiting == "shot s2, which it continues, has no current draw"
        starts = Starts(project, storyboard, store, "test-i2v")  # the episode's: this storyboard is in no screenplay

        def why(shot_id: str, draw) -> str | None:
            return stale_reason(project, store, storyboard.shot(shot_id), draw, starts=starts)

        assert [why("s2", draw) for draw in store.candidates("s2")] == \
            [f"chained from shot s1's draw {used.id}; s1's pick is now {other.id}"] * 2
        assert why("s3", store.candidates("s3")[0]) == \
            f"chained from shot s2's draw {continued.id}; shot s2, which it continues, has no current draw"
        assert [why("s1", draw) for draw in store.candidates("s1")] == [None, None]
        frames = sorted(p.name for p in (project.cache_dir / "frames").iterdir())
    again = render_shots(project, storyboard, workers=1)
    assert sorted((r.shot_id, r.status) for r in again.results if r.status != "cached") == \
        [("s2", "rendered")] * 2 + [("s3", "rendered")] * 2
    assert frames == sorted(f"{c.key}-last.png" for c in (used, continued))  # the reads above extracted nothing
    assert len(list((project.cache_dir / "frames").iterdir())) == 4  # the render: s1's new pick's, s2's new best's
    with StateStore(project) as store:
        fresh = [c for c in store.candidates("s2") if not c.stale]
        assert len(fresh) == 2 and {first_frame(c).name for c in fresh} == {f"{other.key}-last.png"}
        assert sum(c.stale for c in store.candidates("s3")) == 2


def test_chain_frames_are_known_by_name_so_reading_needs_none_and_nothing_is_redrawn(tmp_path):
    project = chained_project(tmp_path)
    storyboard = board(project, [shot(project, 1), shot(project, 2)])
    render_shots(project, storyboard, workers=1)
    with StateStore(project) as store:
        keys = {row.shot_id: row.key for row in episode_status(project, storyboard, store)}
    shutil.rmtree(project.cache_dir / "frames")  # a fresh checkout, another machine
    with StateStore(project) as store:
        rows = {row.shot_id: row for row in episode_status(project, storyboard, store)}
        assert rows["s2"].key == keys["s2"] and rows["s2"].state == "ok" and rows["s2"].waiting is None
        assert not (project.cache_dir / "frames").exists()  # status only reads
    assert render_shots(project, storyboard, workers=1).count("rendered") == 0
    assert (project.cache_dir / "frames").is_dir()  # extracted again for the draws to start from


def test_chained_shots_draw_no_keyframes(tmp_path):
    """With keyframes too, the first shot of a chain starts from its keyframe and the rest from the chain."""
    project = chained_project(tmp_path, 'keyframes = "test-stills"\nkeyframe_draws = 2\n')
    storyboard = board(project, [shot(project, 1), shot(project, 2), shot(project, 3, scene="2")])
    render_shots(project, storyboard, workers=1)
    with StateStore(project) as store:
        assert [len(store.candidates(keyframe_track(s))) for s in ("s1", "s2", "s3")] == [2, 0, 2]
        starts = {s: {first_frame(c).name for c in store.candidates(s)} for s in ("s1", "s2", "s3")}
        assert starts["s1"] == {"still.png"} and starts["s3"] == {"still.png"}
        assert starts["s2"] == {f"{store.candidates('s1')[0].key}-last.png"}


def chained(project: Project, storyboard: Storyboard) -> dict[str, str | None]:
    with StateStore(project) as store:
        starts = Starts(project, storyboard, store, "test-i2v")
        return {shot.id: (before.id if (before := starts.chained_to(shot)) else None) for shot in storyboard.shots}


def test_the_creator_chains_or_cuts_a_shot_whatever_the_rule(tmp_path):
    project = chained_project(tmp_path)
    wide, close = shot(project, 1), shot(project, 2, size=ShotSize.CU)  # medium to close: the rule starts afresh
    again = shot(project, 3, size=ShotSize.CU)  # the rule chains it to the close-up
    assert chained(project, board(project, [wide, close, again])) == {"s1": None, "s2": None, "s3": "s2"}
    asked = [wide, close.model_copy(update={"continuity": "chain"}), again.model_copy(update={"continuity": "cut"})]
    assert chained(project, board(project, asked)) == {"s1": None, "s2": "s1", "s3": None}
    other_scene = shot(project, 2, scene="2").model_copy(update={"continuity": "chain"})
    assert chained(project, board(project, [wide, other_scene]))["s2"] is None  # never across scenes


def test_a_scene_the_creator_chains_continues_shot_after_shot(tmp_path):
    project = chained_project(tmp_path, 'chain_scenes = ["1"]\n')
    config = project.root / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('continuity = "chain"\n', ""), encoding="utf-8")
    project = Project.load(project.root)  # the rule is off: only the scene the creator named chains
    shots = [shot(project, 1), shot(project, 2, people={"Bo": "left"}, size=ShotSize.CU),  # a reverse angle
             shot(project, 3, kind="insert", people={}), shot(project, 4, scene="2"), shot(project, 5, scene="2")]
    assert chained(project, board(project, shots)) == {"s1": None, "s2": "s1", "s3": "s2", "s4": None, "s5": None}
    storyboard = board(project, shots[:3])
    report = render_shots(project, storyboard, workers=1)
    assert report.count("rendered") == 6 and not report.undrawn
    with StateStore(project) as store:
        for before, after in (("s1", "s2"), ("s2", "s3")):
            take = store.candidates(before)[0]
            assert all(first_frame(c) == project.cache_dir / "frames" / f"{take.key}-last.png"
                       for c in store.candidates(after))
            assert np.abs(frame(store.candidates(after)[0].video, 0) - frame(take.video, -1)).mean() < H264


def test_reading_one_shot_knows_the_chain_the_creator_asked_for(tmp_path):
    """The review page and `drama status` work a single shot's key out by reading (shot_key_now without the
    episode's Starts): a scene chained in drama.toml must give the key its chained draws were made under."""
    from drama.pipeline import prepare_episode
    from drama.render.status import shot_key_now
    from english_project import english_project

    settings = ('[video]\nwidth = 64\nheight = 112\nfps = 12\ndraft_scale = 1.0\n[voice]\nbackend = "offline"\n'
                '[render]\nengine = "test-i2v"\ndraws = 1\nworkers = 1\n')
    root = english_project(tmp_path / "p", settings)
    scene = prepare_episode(Project.load(root), "ep01").storyboard.shots[0].scene
    config = root / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'chain_scenes = ["{scene}"]\n', encoding="utf-8")
    project = Project.load(root)
    storyboard = prepare_episode(project, "ep01").storyboard
    render_shots(project, storyboard, workers=1)
    in_scene = [s for s in storyboard.shots if s.scene == scene]
    assert len(in_scene) >= 2
    with StateStore(project) as store:
        assert first_frame(store.candidates(in_scene[1].id)[0]) is not None  # chained by the scene's name
        for shot in in_scene:
            [draw] = store.candidates(shot.id)
            assert shot_key_now(project, shot, "test-i2v") == draw.shot_key
