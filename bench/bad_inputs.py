"""Bad inputs and faults, tried as a careless or unlucky user would: every one must end in a clear message
(exit ≠ 0, no traceback, the file at fault named) or, where the input is harmless, in success — never in a
traceback, a hang or a silent acceptance of something wrong.

    python bench/bad_inputs.py            # all cases (a few minutes: one demo render is made first and reused)
    python bench/bad_inputs.py -k cast    # only cases whose name contains "cast"

Prints one row per case and the table: tried / clear message / traceback / accepted / hang. Exit 1 if any case
ends badly. Each case runs the real `drama` CLI in a subprocess on its own copy of projects/demo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "projects" / "demo"
TIMEOUT = 180.0
Setup = Callable[[Path], list[str]]  # mutates a project copy, returns the drama arguments to run


@dataclass
class Case:
    name: str
    setup: Setup
    expect: str = "error"  # "error": must fail with a message; "warn": goes on, warning and naming it; "ok": harmless
    names: str | None = None  # what the message must name (a file, a value), when the fault has one
    made: bool = False  # starts from the rendered and exported demo


# -- small helpers for setups ---------------------------------------------------------------------------------

def write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def folder(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    path.mkdir(parents=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"bench setup: {old!r} not in {path}")
    path.write_text(text.replace(old, new, 1))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height but carries one tiny compressed row: what a bomb looks like."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def first_shot(project: Path) -> str:
    """The id of the project's first shot, for cases that name one; "unknown" when it plans none."""
    out = subprocess.run([sys.executable, "-m", "drama", "plan", str(project), "--json"], capture_output=True, text=True)
    shots = json.loads(out.stdout).get("shots", []) if out.returncode == 0 else []
    return shots[0]["id"] if shots else "unknown"


EP = "episodes/ep01.txt"
CAST = "cast.toml"
TOML = "drama.toml"


def on(command: str, *extra: str) -> Callable[[Path], list[str]]:
    return lambda p: [command, str(p), *extra]


def case_cast(name: str, old: str, new: str, command: str = "plan", names: str | None = CAST) -> Case:
    def setup(p: Path) -> list[str]:
        edit(p / CAST, old, new)
        return [command, str(p)]
    return Case(name, setup, names=names)


def case_toml(name: str, old: str, new: str, command: str = "plan", names: str | None = TOML, expect: str = "error") -> Case:
    def setup(p: Path) -> list[str]:
        edit(p / TOML, old, new)
        return [command, str(p)]
    return Case(name, setup, names=names, expect=expect)


def case_script(name: str, text: str | bytes, command: str = "plan", names: str | None = "ep01.txt", expect: str = "error") -> Case:
    def setup(p: Path) -> list[str]:
        write(p / EP, text)
        return [command, str(p)]
    return Case(name, setup, names=names, expect=expect)


def case_args(name: str, *args: str, names: str | None = None, made: bool = False, expect: str = "error") -> Case:
    return Case(name, lambda p: [a.replace("PROJECT", str(p)) for a in args], names=names, made=made, expect=expect)


def cases() -> list[Case]:
    demo_head = (DEMO / EP).read_text().split("1-1 夜 外 跨江大桥")[0]
    scene = "1-1 夜 外 跨江大桥\n人物：沈清\n"
    listed: list[Case] = []
    # drama.toml
    listed += [
        Case("drama.toml missing", lambda p: ((p / TOML).unlink(), ["plan", str(p)])[1], names=TOML),
        Case("drama.toml is a folder", lambda p: (folder(p / TOML), ["plan", str(p)])[1], names=TOML),
        Case("drama.toml empty", lambda p: (write(p / TOML, ""), ["plan", str(p)])[1], names=TOML),
        Case("drama.toml binary", lambda p: (write(p / TOML, os.urandom(256)), ["plan", str(p)])[1], names=TOML),
        Case("drama.toml invalid utf-8", lambda p: (write(p / TOML, b'title = "\xff\xfe"\n'), ["plan", str(p)])[1], names=TOML),
        Case("drama.toml broken toml", lambda p: (append(p / TOML, "\n[render\n"), ["plan", str(p)])[1], names=TOML),
        case_toml("drama.toml unknown key", 'style = "cinematic"', 'style = "cinematic"\nstyel = 1'),
        case_toml("drama.toml unknown style", 'style = "cinematic"', 'style = "nope"'),
        case_toml("drama.toml language fr", 'language = "zh"', 'language = "fr"'),
        case_toml("drama.toml width text", "width = 1080", 'width = "wide"'),
        case_toml("drama.toml width odd", "width = 1080", "width = 1081"),
        case_toml("drama.toml width huge", "width = 1080", "width = 100000"),
        case_toml("drama.toml fps negative", "fps = 30", "fps = -1"),
        case_toml("drama.toml fps zero", "fps = 30", "fps = 0"),
        case_toml("drama.toml draws zero", "draws = 1", "draws = 0"),
        case_toml("drama.toml draws 1000", "draws = 1", "draws = 1000"),
        case_toml("drama.toml engine unknown", 'engine = "previz"', 'engine = "nopez"', command="render"),
        case_toml("drama.toml voice backend", 'backend = "auto"', 'backend = "loud"'),
        case_toml("drama.toml title missing", 'title = "归来"', ""),
        case_toml("drama.toml title number", 'title = "归来"', "title = 5"),
        case_toml("drama.toml draft_scale 2", "fps = 30", "fps = 30\ndraft_scale = 2"),
        case_toml("drama.toml budget negative", "draws = 1", "draws = 1\nbudget = -5"),
        Case("drama.toml music missing file", lambda p: (edit(p / TOML, "[voice]", '[edit]\nmusic = "nothere.mp3"\n\n[voice]'),
                                                         ["export", str(p), "--force"])[1], names="nothere.mp3", made=True),
    ]
    # cast.toml
    listed += [
        Case("cast.toml missing (warned, plans)", lambda p: ((p / CAST).unlink(), ["plan", str(p)])[1], expect="ok", names=None),
        Case("cast.toml is a folder", lambda p: (folder(p / CAST), ["plan", str(p)])[1], names=CAST),
        Case("cast.toml binary", lambda p: (write(p / CAST, os.urandom(300)), ["plan", str(p)])[1], names=CAST),
        Case("cast.toml broken toml", lambda p: (append(p / CAST, "\n[[character]\n"), ["plan", str(p)])[1], names=CAST),
        case_cast("cast.toml unknown key", "aliases = [\"清清\"", "descriptoin = \"x\"\naliases = [\"清清\""),
        Case("cast.toml duplicate name", lambda p: (append(p / CAST, '\n[[character]]\nname = "沈清"\n'), ["plan", str(p)])[1],
             names=CAST),
        case_cast("cast.toml missing portrait", "refs/shenqing.png", "refs/nobody.png"),
        case_cast("cast.toml colour bad", 'color = "#d8dee9"', 'color = "pink"'),
        case_cast("cast.toml rate fast", 'rate = "-5%"', 'rate = "fast"'),
        case_cast("cast.toml rate huge", 'rate = "-5%"', 'rate = "+9999999%"'),
        case_cast("cast.toml pitch bad", 'rate = "-5%"', 'pitch = "high"'),
        case_cast("cast.toml volume bad", 'rate = "-5%"', 'volume = "11"'),
        case_cast("cast.toml offline_voice zz", 'rate = "-5%"', 'offline_voice = "zz"'),
        case_cast("cast.toml edge voice shape", 'voice = "zh-CN-XiaoxiaoNeural"', 'voice = "Xiaoxiao"'),
        case_cast("cast.toml sex bad", 'rate = "-5%"', 'sex = "robot"'),
        case_cast("cast.toml age bad", 'rate = "-5%"', 'age = "ancient"'),
        case_cast("cast.toml name empty", 'name = "陈伯"', 'name = ""'),
        case_cast("cast.toml references not a list", 'references = ["refs/shenqing.png"]', 'references = "refs/shenqing.png"'),
        case_cast("cast.toml portrait not an image", "refs/shenqing.png", "/etc/hostname", command="render"),
        Case("portrait garbage bytes", lambda p: (write(p / "refs/shenqing.png", os.urandom(2000)), ["render", str(p), "--draws", "1"])[1],
             names="shenqing.png"),
        Case("portrait empty file", lambda p: (write(p / "refs/shenqing.png", b""), ["render", str(p), "--draws", "1"])[1],
             names="shenqing.png"),
        Case("portrait 20000x20000", lambda p: (write(p / "refs/shenqing.png", png_header(20000, 20000)),
                                                ["render", str(p), "--draws", "1"])[1], names="shenqing.png"),
        Case("portrait is a folder", lambda p: (folder(p / "refs/shenqing.png"), ["render", str(p), "--draws", "1"])[1],
             names="shenqing.png"),
        Case("portrait truncated png", lambda p: (write(p / "refs/shenqing.png", (DEMO / "refs/shenqing.png").read_bytes()[:3000]),
                                                  ["render", str(p), "--draws", "1"])[1], names="shenqing.png"),
    ]
    # screenplays
    listed += [
        case_script("screenplay empty", ""),
        case_script("screenplay binary", os.urandom(4000)),
        case_script("screenplay invalid utf-8", demo_head.encode() + b"\xff\xfe\xfa\n"),
        case_script("screenplay unknown speaker", demo_head + scene + "林婉：你好。\n"),
        case_script("screenplay only a heading", demo_head + scene, expect="ok", names=None),
        case_script("screenplay line of 10 MB", demo_head + scene + "沈清：" + "好" * 10_000_000 + "\n"),
        case_script("screenplay line of 5000 chars", demo_head + scene + "沈清：" + "好" * 5000 + "\n"),
        case_script("screenplay 3000 scenes", demo_head + "".join(f"1-{i} 夜 外 跨江大桥\n人物：沈清\n沈清：第{i}句。\n" for i in range(1, 3001)),
                    expect="ok", names=None),
        case_script("screenplay bad direction", demo_head + scene + "【镜头：飞起来】\n沈清：你好。\n", expect="warn", names="飞起来"),
        case_script("screenplay nul bytes", demo_head + scene + "沈清：你\x00好。\n"),
        Case("screenplay is a folder", lambda p: (folder(p / EP), ["plan", str(p)])[1], names="ep01.txt"),
        Case("screenplay symlinked from outside", lambda p: ((p / EP).unlink(), (p / EP).symlink_to(DEMO / EP), ["plan", str(p)])[2],
             names="ep01.txt"),
        Case("no screenplays", lambda p: (shutil.rmtree(p / "episodes"), ["plan", str(p)])[1], names="episodes"),
        Case("fountain unclosed boneyard", lambda p: ((p / EP).unlink(), write(p / "episodes/ep01.fountain", "INT. ROOM - DAY\n\n/* never closed\n"),
                                                      ["plan", str(p)])[2], names="ep01.fountain"),
        Case("fountain unknown character", lambda p: ((p / EP).unlink(), write(p / "episodes/ep01.fountain",
                                                       "INT. ROOM - DAY\n\nSHEN QIN\nHello.\n"), ["plan", str(p)])[2], names="ep01.fountain"),
        Case("fountain and txt same episode", lambda p: (write(p / "episodes/ep01.fountain", "INT. ROOM - DAY\n\nHello.\n"),
                                                         ["plan", str(p)])[1], names="ep01"),
    ]
    # command lines
    listed += [
        case_args("no such project", "plan", "/nonexistent/project", names="/nonexistent/project"),
        Case("project is a file", lambda p: ["plan", str(p / TOML)], names=TOML),
        case_args("unknown episode", "plan", "PROJECT", "ep99", names="ep99"),
        case_args("render --draws 0", "render", "PROJECT", "--draws", "0", names="--draws"),
        case_args("render --draws -1", "render", "PROJECT", "--draws", "-1", names="--draws"),
        case_args("render --draws 1000000", "render", "PROJECT", "--draws", "1000000", names="--draws"),
        case_args("render --draws abc", "render", "PROJECT", "--draws", "abc", names="--draws"),
        case_args("render --shots nope123", "render", "PROJECT", "--shots", "nope123", names="nope123"),
        case_args("render --shots empty", "render", "PROJECT", "--shots", "", names="--shots"),
        case_args("render --engine nope", "render", "PROJECT", "--engine", "nopez", names="nopez"),
        case_args("render unknown episode", "render", "PROJECT", "ep99", names="ep99"),
        case_args("make --draws 0", "make", "PROJECT", "--draws", "0", names="--draws"),
        case_args("make --draws 1000000", "make", "PROJECT", "--draws", "1000000", names="--draws"),
        case_args("pick unknown shot", "pick", "PROJECT", "nope123", "abc", names="nope123", made=True),
        case_args("pick unknown candidate", "pick", "PROJECT", "SHOT", "zzzzzz", names="zzzzzz", made=True),
        case_args("status unknown episode", "status", "PROJECT", "ep99", names="ep99"),
        case_args("export unknown episode", "export", "PROJECT", "ep99", names="ep99"),
        case_args("review port -1", "review", "PROJECT", "--port", "-1", names="--port"),
        case_args("review port 70000", "review", "PROJECT", "--port", "70000", names="--port"),
        case_args("review host 0.0.0.0 alone", "review", "PROJECT", "--host", "0.0.0.0", names="--allow-host"),
        case_args("voice unknown episode", "voice", "PROJECT", "ep99", names="ep99"),
        case_args("parse missing file", "parse", "/nonexistent/x.fountain", names="x.fountain"),
        case_args("parse bad dialect", "parse", "PROJECT/episodes/ep01.txt", "--dialect", "klingon", names="--dialect"),
        case_args("engine sample no checkpoint", "engine", "sample", "--checkpoint", "/nonexistent.pt", "--prompt", "x",
                  "--out", "PROJECT/x.mp4", names="nonexistent.pt"),
        case_args("cast init on existing", "cast", "init", "PROJECT", names=CAST),
        case_args("new into existing project", "new", "PROJECT", names="already exists"),
        case_args("unknown command", "frobnicate", "PROJECT", names="frobnicate"),
    ]
    # the project's own folders
    listed += [
        Case("state.db garbage", lambda p: (write(p / ".drama/state.db", os.urandom(5000)), ["status", str(p)])[1], names="state.db", made=True),
        Case("state.db is a folder", lambda p: (folder(p / ".drama/state.db"), ["status", str(p)])[1], names="state.db", made=True),
        Case("state.db empty file", lambda p: (write(p / ".drama/state.db", b""), ["status", str(p)])[1], expect="ok", names=None),
        Case("render.lock is a folder", lambda p: (folder(p / ".drama/render.lock"), ["render", str(p), "--draws", "2"])[1],
             names="render.lock", made=True),
        Case(".drama is a file", lambda p: (shutil.rmtree(p / ".drama", ignore_errors=True), write(p / ".drama", "x"),
                                            ["render", str(p), "--draws", "1"])[2], names=".drama"),
        Case("exports is a file", lambda p: (shutil.rmtree(p / "exports", ignore_errors=True), write(p / "exports", "x"),
                                             ["export", str(p)])[2], names="exports", made=True),
        Case("renders is a file", lambda p: (shutil.rmtree(p / "renders", ignore_errors=True), write(p / "renders", "x"),
                                             ["render", str(p), "--draws", "1"])[2], names="renders"),
        Case("music garbage file", lambda p: ((p / "music/tension_bed.ogg").write_bytes(os.urandom(5000)), ["export", str(p)])[1],
             names="tension_bed.ogg", made=True),
        Case("music is a folder", lambda p: ((p / "music/tension_bed.ogg").unlink(), folder(p / "music/tension_bed.ogg"),
                                             ["export", str(p)])[2], names="tension_bed.ogg", made=True),
        Case("location image garbage", lambda p: (write(p / "locations/跨江大桥.png", os.urandom(3000)),
                                                  ["render", str(p), "--draws", "1"])[1], names="跨江大桥.png"),
        Case("candidate.json garbage", lambda p: (write(next((p / "renders").glob("*/candidate.json")), b"{nope"),
                                                   ["make", str(p)])[1], expect="ok", names=None, made=True),
        Case("draw video deleted", lambda p: (next((p / "renders").glob("*/video.mp4")).unlink(), ["make", str(p)])[1],
             expect="ok", names=None, made=True),
        Case("voice cache garbage wav", lambda p: ([f.write_bytes(b"RIFF") for f in (p / ".drama/cache").rglob("*.wav")][:0],
                                                   ["export", str(p)])[1], expect="ok", names=None, made=True),
    ]
    # engines and secrets
    listed += [
        case_toml("kling without key", 'engine = "previz"', 'engine = "kling"', command="render", names="KLING"),
        case_toml("engines table unknown engine", "[voice]", "[engines.nopez]\nconcurrency = 2\n\n[voice]", names="nopez"),
        case_toml("engines concurrency 0", "[voice]", "[engines.kling]\nconcurrency = 0\n\n[voice]", names=TOML),
        case_toml("engines option unknown type", "[voice]", "[engines.kling]\nmodel = [1, 2]\n\n[voice]", names=TOML),
        Case("env file missing", lambda p: ["engines", str(p)], expect="ok", names=None),
    ]
    return listed


# -- running -------------------------------------------------------------------------------------------------

def made_base(work: Path) -> Path:
    """The demo, drawn once (one draw per shot) and exported: the starting point of cases that need draws."""
    base = work / "made"
    if not (base / "exports").is_dir():
        shutil.copytree(DEMO, base, dirs_exist_ok=True)
        edit(base / TOML, "draws = 3", "draws = 1")
        subprocess.run([sys.executable, "-m", "drama", "make", str(base)], check=True, capture_output=True)
    return base


def run_case(case: Case, work: Path, index: int) -> tuple[str, str, float]:
    project = work / f"case{index:03d}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(made_base(work) if case.made else DEMO, project, symlinks=True)
    if not case.made:
        edit(project / TOML, "draws = 3", "draws = 1")
    args = case.setup(project)
    if "SHOT" in args:
        args = [a.replace("SHOT", first_shot(project)) for a in args]
    started = time.monotonic()
    try:
        out = subprocess.run([sys.executable, "-m", "drama", *args], capture_output=True, text=True, timeout=TIMEOUT,
                             stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})
    except subprocess.TimeoutExpired:
        return "hang", f"no answer in {TIMEOUT:.0f} s", time.monotonic() - started
    finally:
        shutil.rmtree(project, ignore_errors=True)
    elapsed = time.monotonic() - started
    text = (out.stderr + out.stdout).strip()
    if "Traceback (most recent call last)" in text or "drama failed unexpectedly" in text:  # the latter: a traceback hidden
        return "traceback", [line for line in text.splitlines() if line.strip()][-1], elapsed
    lines = out.stderr.strip().splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(("error:", "bug:"))), 0)
    message = " ".join(line.strip() for line in lines[first:first + 3])  # the error and its hint, past any warnings
    if case.expect == "ok":
        return ("ok", "", elapsed) if out.returncode == 0 else ("weak message", message or text[-200:], elapsed)
    if case.expect == "warn":
        warned = out.returncode == 0 and "warning" in text.lower() and (case.names or "") in text
        return ("warned", "", elapsed) if warned else ("accepted" if out.returncode == 0 else "weak message",
                                                       message or text[-200:], elapsed)
    if out.returncode == 0:
        return "accepted", (text.splitlines() or [""])[-1][:160], elapsed
    named = case.names is None or case.names.lower() in out.stderr.lower()
    return ("clear message" if named and "error" in out.stderr.lower() else "weak message"), message[:200], elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    console = Console()
    chosen = [case for case in cases() if args.k in case.name]
    table = Table("case", "outcome", "s", "what the user saw", show_lines=False)
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="drama-bad-") as tmp:
        work = Path(tmp)
        if any(case.made for case in chosen):
            console.print("drawing and exporting the demo once (the base of cases that need draws) …")
            made_base(work)
        for index, case in enumerate(chosen):
            outcome, seen, elapsed = run_case(case, work, index)
            outcomes[outcome] += 1
            style = {"clear message": "green", "ok": "green", "warned": "green"}.get(outcome, "red")
            table.add_row(case.name, f"[{style}]{outcome}[/]", f"{elapsed:.1f}", seen[:150])
            console.print(f"{index + 1:3d}/{len(chosen)} [{style}]{outcome:13}[/] {case.name:36} {elapsed:5.1f} s  {seen[:90]}",
                          highlight=False, soft_wrap=True)
    console.print(table, width=200)
    bad = outcomes["traceback"] + outcomes["accepted"] + outcomes["hang"] + outcomes["weak message"]
    console.print(f"tried {len(chosen)} · clear message {outcomes['clear message']} · warned and went on "
                  f"{outcomes['warned']} · harmless and fine {outcomes['ok']} · "
                  f"weak message {outcomes['weak message']} · traceback {outcomes['traceback']} · "
                  f"accepted {outcomes['accepted']} · hang {outcomes['hang']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
