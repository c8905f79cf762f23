"""Bench: plan a 100-page English feature screenplay (Fountain, ~110 scenes, ~1500 lines of dialogue).

The issue asks `drama plan` to finish in under 2 seconds on it. Prints in-process figures (parse, plan) and
the wall time of the real command in a subprocess, each against a baseline measured in the same run:
parsing alone for the planner, `drama --version` (interpreter + CLI start-up) for the command.

    python bench/plan_feature.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CAST = {
    "NORA": "woman in her thirties, cropped copper hair, green field jacket, silver compass pendant",
    "ELI": "man in his forties, grey stubble, round glasses, rumpled tweed suit",
    "MARGOT": "woman in her sixties, silver bun, pearl earrings, black cashmere coat",
    "DEV": "young man, twenties, curly black hair, hoodie under a denim jacket",
    "RUTH": "woman in her fifties, reading glasses on a chain, navy police uniform",
    "SAMUEL": "tall man in his seventies, white beard, fisherman's sweater, walking cane",
    "IRIS": "girl of twelve, braided hair, yellow raincoat, muddy boots",
    "KAI": "man in his thirties, shaved head, leather jacket, tattooed knuckles",
}
PLACES = [("INT", "LIGHTHOUSE KITCHEN"), ("EXT", "HARBOUR WALL"), ("INT", "POLICE STATION"), ("EXT", "CLIFF PATH"),
          ("INT", "MARGOT'S STUDY"), ("EXT", "FISH MARKET"), ("INT", "DEV'S VAN"), ("EXT", "CHURCHYARD"),
          ("INT", "HOSPITAL CORRIDOR"), ("EXT", "BEACH"), ("INT", "BOATHOUSE"), ("EXT", "MAIN STREET")]
TIMES = ["DAY", "NIGHT", "DAWN", "DUSK", "CONTINUOUS"]
ACTIONS = ["{a} walks toward the window and stares at the sea.", "{a} looks up at the storm clouds.",
           "{a} runs down the stairs, {b} close behind.", "{a} turns around, startled.",
           "{a} sits down heavily, the letter shaking in {p} hand.", "{a} crosses the room and pours two drinks.",
           "Rain drums against the glass. A foghorn sounds somewhere far off.", "{a} looks down at the photograph on the table.",
           "{a} and {b} stand in silence. Neither moves.", "{a} opens the door. Wind howls in."]
LINES = ["Where were you the night the light went out?", "You don't get to ask me that. Not now.",
         "I found the logbook. Pages are missing.", "Somebody wanted us to stop looking.",
         "It's been twenty years. Let it go.", "I can't. Not while she's still out there.",
         "Then tell me the truth, just once.", "The tide comes in at six. We have an hour.",
         "Did you hear that?", "Keep your voice down.", "You knew. You always knew.",
         "I kept the key. I don't know why.", "We should call Ruth.", "No police. Not yet.",
         "Look at me. Look at me!", "Fine. But I'm driving."]
PARENS = ["(whispering)", "(furious)", "(crying)", "(smiling)", "(beat)", "(softly)", "(trembling)", "(sarcastic)"]


def feature(seed: int = 7, scenes: int = 110, lines_per_scene: int = 14) -> str:
    """A deterministic ~100-page feature in Fountain with every element the planner handles."""
    rng = random.Random(seed)
    names = list(CAST)
    out = ["Title: The Keeper's Daughter", "Credit: written by", "Author: drama bench", "", ""]
    for number in range(1, scenes + 1):
        setting, place = rng.choice(PLACES)
        out += [f"{setting}. {place} - {rng.choice(TIMES)}", ""]
        pair = rng.sample(names, 3)
        for _ in range(rng.randint(1, 3)):
            out += [rng.choice(ACTIONS).format(a=pair[0].title(), b=pair[1].title(), p="her"), ""]
        if number % 9 == 0:
            out += ["[[CU, slow dolly in]]", ""]
        for line in range(lines_per_scene):
            speaker = pair[line % 2] if rng.random() > 0.15 else pair[2]
            block = [speaker] if line or number % 11 else ["NARRATOR (V.O.)"]
            if rng.random() < 0.3:
                block.append(rng.choice(PARENS))
            block.append(rng.choice(LINES))
            out += block + [""]
            if rng.random() < 0.12:
                out += [rng.choice(ACTIONS).format(a=speaker.title(), b=pair[1].title(), p="his"), ""]
        if number % 10 == 0:
            out += [rng.choice(["CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:"]), ""]
        if number % 25 == 0:
            out += [f"> {number // 25} YEARS LATER <", ""]
    return "\n".join(out) + "\n"


def make_project(folder: Path) -> Path:
    (folder / "episodes").mkdir(parents=True, exist_ok=True)
    (folder / "drama.toml").write_text('title = "The Keeper\'s Daughter"\nlanguage = "en"\nstyle = "noir"\n', encoding="utf-8")
    cast = "\n".join(f'[[character]]\nname = "{name}"\ndescription = "{text}"\n' for name, text in CAST.items())
    (folder / "cast.toml").write_text(cast, encoding="utf-8")
    (folder / "episodes" / "feature.fountain").write_text(feature(), encoding="utf-8")
    return folder


def best_of(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the project here instead of a temporary folder")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from drama.project import Project
    from drama.screenplay import parse_file
    from drama.storyboard import plan

    with tempfile.TemporaryDirectory() as tmp:
        folder = make_project(args.keep or Path(tmp) / "feature")
        screenplay = folder / "episodes" / "feature.fountain"
        text = screenplay.read_text(encoding="utf-8")
        project = Project.load(folder)
        parse_s, script = best_of(args.runs, lambda: parse_file(screenplay))
        plan_s, board = best_of(args.runs, lambda: plan(script, 0, project))
        scenes = sum(len(e.scenes) for e in script.episodes)
        dialogue = sum(el.type == "dialogue" for e in script.episodes for s in e.scenes for el in s.elements)
        pages = len(text.splitlines()) / 55
        print(f"screenplay: {pages:.0f} pages (55 lines a page), {scenes} scenes, {dialogue} dialogue lines, {len(text):,} chars")
        print(f"storyboard: {len(board.shots)} shots, {board.duration / 60:.1f} min at reading speed")
        print(f"in-process (best of {args.runs}): parse {parse_s * 1000:.0f} ms · plan {plan_s * 1000:.0f} ms "
              f"({plan_s / len(board.shots) * 1e6:.0f} µs a shot) · plan/parse ratio {plan_s / parse_s:.2f}")

        command = [sys.executable, "-m", "drama"]
        env_path = {"PYTHONPATH": str(ROOT)}
        import os

        env = {**os.environ, **env_path}
        startup_s, _ = best_of(3, lambda: subprocess.run([*command, "--version"], env=env, check=True, capture_output=True))
        wall_s, done = best_of(3, lambda: subprocess.run([*command, "plan", str(folder), "--json"], env=env, check=True,
                                                         capture_output=True))
        print(f"subprocess (best of 3): `drama plan --json` {wall_s:.2f} s · baseline `drama --version` {startup_s:.2f} s "
              f"· ratio {wall_s / startup_s:.1f}× · JSON {len(done.stdout) / 1e6:.1f} MB")
        print(f"requirement: under 2 s → {'PASS' if wall_s < 2.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
