"""Bad input at the edge: every case runs the real CLI on a copy of the demo project and must end in a clear error
(exit code 2, no traceback) that names the file and line where there is one and says what to do."""

from __future__ import annotations

import asyncio
import re
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import edge_tts.communicate
import edge_tts.voices
import imageio_ffmpeg
import pytest
from aiohttp import WSMsgType, web

from conftest import copy_demo
from drama.cli import build_parser, main


def run(capsys, *argv: str) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr), with rich's wrapping undone."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit_:  # argparse refuses an option value this way
        code = exit_.code
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, re.sub(r"\s*\n\s*", " ", text)


def refused(capsys, *argv: str) -> str:
    code, text = run(capsys, *argv)
    assert code == 2, text
    return text


def line_of(path: Path, needle: str) -> int:
    return next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if needle in line)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo", draws=1)


def set_in_cast(demo: Path, character: str, key: str, value: str) -> tuple[Path, int]:
    """Set `key = "value"` in the [[character]] table of `character` in cast.toml (replacing the key if it is there);
    the file and the line it is on."""
    cast = demo / "cast.toml"
    tables = re.split(r"(?m)^(?=\[\[character\]\])", cast.read_text(encoding="utf-8"))
    index = next(i for i, table in enumerate(tables) if f'name = "{character}"\n' in table)
    table, replaced = re.subn(rf"(?m)^{key} = .*$", f'{key} = "{value}"', tables[index])
    tables[index] = table if replaced else table.replace("\n", f'\n{key} = "{value}"\n', 1)
    cast.write_text("".join(tables), encoding="utf-8")
    return cast, line_of(cast, f'{key} = "{value}"')


# --- numbers on the command line keep drama.toml's limits ----------------------------------------------------

@pytest.mark.parametrize(("draws", "says"), [
    ("1000000", "less than or equal to 100"),
    ("101", "less than or equal to 100"),
    ("0", "greater than or equal to 1"),
    ("-3", "greater than or equal to 1"),
    ("two", "a valid integer"),
])
@pytest.mark.parametrize("command", ["render", "make"])
def test_render_refuses_draws_drama_toml_would_refuse(demo, capsys, draws, says, command):
    text = refused(capsys, command, demo, "--draws", draws)
    assert f"argument --draws: {draws!r}: input should be {says}" in text and "`draws` in drama.toml" in text
    assert not (demo / "renders").exists()  # refused before anything was planned or drawn


@pytest.mark.parametrize("port", ["-1", "70000", "http"])
def test_review_refuses_a_port_that_is_not_one(demo, capsys, port):
    assert f"argument --port: {port!r} is not a port" in refused(capsys, "review", demo, f"--port={port}")


def test_render_takes_every_draws_drama_toml_takes(demo):
    parser = build_parser("render")  # parsing only: nothing is rendered
    assert [parser.parse_args(["render", str(demo), "--draws", n]).draws for n in ("1", "100")] == [1, 100]


# --- --shots names shots that exist -------------------------------------------------------------------------

def test_render_refuses_an_unknown_shot_in_a_one_episode_project(demo, capsys):
    text = refused(capsys, "render", demo, "--shots", "nope123")
    assert "no shot 'nope123'" in text and "drama status" in text
    assert not (demo / "renders").exists()


def test_render_suggests_the_shot_a_typo_was_meant_to_be(demo, capsys):
    from drama.project import Project
    from drama.storyboard import plan_episode

    shot = plan_episode(Project.load(demo), "ep01").shots[1].id
    typo = shot[:-1] + ("0" if shot[-1] != "0" else "1")
    text = refused(capsys, "render", demo, "ep01", "--shots", f"{typo}")
    assert f"no shot {typo!r} in episode ep01" in text and f"did you mean {shot!r}" in text


def test_render_refuses_shots_that_name_no_shot(demo, capsys):
    assert "--shots names no shot" in refused(capsys, "render", demo, "--shots", " , ")


# --- voice settings in cast.toml ------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "says"), [
    ("rate", "fast", "like +10% or -5%"),
    ("rate", "10%", "like +10% or -5%"),
    ("pitch", "+5%", "like +0Hz or -8Hz"),
    ("volume", "loud", "like +0% or -20%"),
    ("rate", "+9999999%", "rate +9999999% is out of range: it goes from -50% to +100%"),
    ("pitch", "-300Hz", "it goes from -100Hz to +100Hz"),
    ("voice", "Xiaoxiao", "like zh-CN-XiaoxiaoNeural"),
    ("offline_voice", "zz", "eSpeak NG has no voice 'zz'"),
    ("offline_voice", "cnm", "did you mean 'cmn'"),
    ("offline_voice", "cmn+f9", "no voice variant 'f9'"),
])
@pytest.mark.parametrize("command", ["voice", "plan"])
def test_a_malformed_voice_setting_is_an_error_at_its_line(demo, capsys, command, key, value, says):
    cast, line = set_in_cast(demo, "白薇", key, value)
    text = refused(capsys, command, demo)
    assert f"{cast}:{line}:" in text and says in text
    assert not (demo / ".drama" / "cache" / "voice").exists()  # nothing was spoken


def test_a_malformed_narrator_is_an_error_at_its_line(demo, capsys):
    config = demo / "drama.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'(?m)^narrator = .*$', 'narrator = "Yunxi"', text), encoding="utf-8")
    text = refused(capsys, "voice", demo)
    assert f"{config}:{line_of(config, 'narrator = ')}:" in text and "like zh-CN-XiaoxiaoNeural" in text


def test_well_formed_voice_settings_are_spoken_offline(demo, capsys):
    set_in_cast(demo, "白薇", "offline_voice", "cmn+f2")
    set_in_cast(demo, "陈伯", "rate", "+10%")
    code, text = run(capsys, "voice", demo)
    assert code == 0, text
    assert "cmn+f2" in text


# --- an edge-tts voice the service does not have --------------------------------------------------------------

def a_second_of_mp3() -> bytes:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=1",
               "-f", "mp3", "pipe:1"]
    return subprocess.run(command, capture_output=True, check=True).stdout


class FakeEdgeService:
    """edge-tts's two endpoints on 127.0.0.1. The voice list holds `voices`; the speech websocket answers a turn
    in one of them with a second of MP3 and ends a turn in any other voice without audio, as the service does (and
    as it does for the listed voices in `silent`, like a service in trouble)."""

    def __init__(self, voices: list[str], silent: tuple[str, ...] = ()):
        self.voices = voices
        self.silent = silent
        self.mp3 = a_second_of_mp3()
        self.spoken: list[str] = []  # the voice of every turn, as edge-tts sent it
        self.lists = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/edge/v1", self._speech)
        app.router.add_get("/voices/list", self._list)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _speech(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type != WSMsgType.TEXT or "Path:ssml" not in message.data:
                continue
            lang, name = re.search(r"<voice name='Microsoft Server Speech Text to Speech Voice \(([^,]+), ([^)]+)\)'>",
                                   message.data).groups()
            self.spoken.append(f"{lang}-{name}")
            await ws.send_str(self._text("turn.start"))
            if f"{lang}-{name}" in self.voices and f"{lang}-{name}" not in self.silent:
                # A binary frame: the header length (counting these two bytes), the headers, CRLF, the audio.
                headers = b"X-RequestId:0\r\nPath:audio\r\nContent-Type:audio/mpeg"
                await ws.send_bytes(struct.pack(">H", 2 + len(headers)) + headers + b"\r\n" + self.mp3)
            await ws.send_str(self._text("turn.end"))
        return ws

    @staticmethod
    def _text(path: str) -> str:
        return f"X-RequestId:0\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{{}}"

    async def _list(self, request: web.Request) -> web.Response:
        self.lists += 1
        return web.json_response([{"ShortName": voice, "Name": voice} for voice in self.voices])

    def __enter__(self) -> FakeEdgeService:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def edge_service(monkeypatch):
    """Point edge-tts at a FakeEdgeService (its endpoint constants only: the library's own code runs)."""
    def start(voices: list[str], silent: tuple[str, ...] = ()) -> FakeEdgeService:
        service = FakeEdgeService(voices, silent).__enter__()
        stops.append(service)
        base = f"127.0.0.1:{service.port}"
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", f"ws://{base}/edge/v1?TrustedClientToken=x")
        monkeypatch.setattr(edge_tts.voices, "VOICE_LIST", f"http://{base}/voices/list?trustedclienttoken=x")
        return service

    stops: list[FakeEdgeService] = []
    yield start
    for service in stops:
        service.__exit__()


KNOWN = ["zh-CN-XiaoxiaoNeural", "zh-CN-YunjianNeural", "zh-CN-XiaoyiNeural", "zh-CN-YunyangNeural",
         "zh-CN-YunxiNeural"]


def test_the_fake_edge_service_speaks_the_demo_through_edge_tts(demo, capsys, edge_service):
    service = edge_service(KNOWN)
    code, text = run(capsys, "voice", demo, "--backend", "edge")
    assert code == 0, text
    assert "zh-CN-XiaoyiNeural" in text and set(service.spoken) <= set(KNOWN) and len(service.spoken) > 5


@pytest.mark.parametrize("backend", ["edge", "auto"])
def test_an_edge_voice_the_service_does_not_have_is_named_at_its_line(demo, capsys, edge_service, backend):
    cast, line = set_in_cast(demo, "白薇", "voice", "zh-CN-NobodyNeural")
    service = edge_service(KNOWN)
    text = refused(capsys, "voice", demo, "--backend", backend)
    assert f"{cast}:{line}:" in text
    assert "unknown edge-tts voice 'zh-CN-NobodyNeural'" in text and "unreachable" not in text
    assert "edge-tts --list-voices" in text
    assert "zh-CN-NobodyNeural" in service.spoken and service.lists == 1  # edge-tts asked, got no audio, then looked


def test_an_unknown_narrator_voice_is_named_at_its_line(demo, capsys, edge_service):
    config = demo / "drama.toml"
    config.write_text(re.sub(r'(?m)^narrator = .*$', 'narrator = "zh-CN-GoneNeural"', config.read_text("utf-8")),
                      encoding="utf-8")
    edge_service(KNOWN)
    text = refused(capsys, "voice", demo, "--backend", "edge")
    assert f"{config}:{line_of(config, 'zh-CN-GoneNeural')}:" in text and "unknown edge-tts voice" in text


def test_a_default_voice_the_service_dropped_says_which_setting_to_make(demo, capsys, edge_service):
    config = demo / "drama.toml"
    config.write_text(re.sub(r"(?m)^narrator = .*\n", "", config.read_text("utf-8")), encoding="utf-8")
    edge_service([voice for voice in KNOWN if voice != "zh-CN-YunxiNeural"])  # the default narrator is gone
    text = refused(capsys, "voice", demo, "--backend", "edge")
    assert "unknown edge-tts voice 'zh-CN-YunxiNeural', a default that edge-tts no longer offers" in text
    assert "set `narrator` under [voice] in drama.toml" in text


def test_no_audio_in_a_listed_voice_is_still_the_service_failing(demo, capsys, edge_service):
    edge_service(KNOWN, silent=("zh-CN-XiaoyiNeural",))
    text = refused(capsys, "voice", demo, "--backend", "edge")
    assert "edge-tts is unreachable (NoAudioReceived" in text and "unknown edge-tts voice" not in text


# --- screenplays ------------------------------------------------------------------------------------------------

EPISODE = "episodes/ep01.txt"


@pytest.mark.parametrize(("name", "line"), [
    ("ep01.txt", "白薇：（娇笑）{}"),  # the Chinese short-drama format
    ("ep01.fountain", "{}"),  # Fountain: the line under a cue
])
def test_a_line_longer_than_any_shot_is_an_error_at_its_line(demo, capsys, name, line):
    (demo / EPISODE).unlink()
    fountain = name.endswith(".fountain")
    head = "INT. HALL - NIGHT\n\nSHEN QING\n" if fountain else "1-1 夜 内 宴会厅\n人物：白薇\n△ 灯光。\n"
    script = demo / "episodes" / name
    script.write_text(head + line.format("话" * 2001) + "\n", encoding="utf-8")
    number = head.count("\n") + 1
    for argv in (["plan", demo], ["render", demo], ["parse", script]):
        text = refused(capsys, *argv)
        assert f"{script}:{number}: this line is 2,0" in text and "at most 2,000" in text and "split it" in text


def test_a_line_of_2000_characters_is_a_line_like_any_other(demo, capsys):
    script = demo / EPISODE
    script.write_text(script.read_text(encoding="utf-8") + "\n白薇：" + "话" * 1997 + "\n", encoding="utf-8")
    code, text = run(capsys, "plan", demo)
    assert code == 0, text


def test_a_paragraph_joined_from_short_lines_is_measured_whole(demo, capsys):
    (demo / EPISODE).unlink()
    script = demo / "episodes" / "ep01.fountain"
    script.write_text("INT. HALL - NIGHT\n\nSHEN QING\n" + "word word word\n" * 200, encoding="utf-8")
    assert f"{script}:3: this dialogue is 2,999 characters long" in refused(capsys, "plan", demo)


def test_a_screenplay_linked_from_outside_the_project_is_refused(demo, tmp_path, capsys):
    outside = tmp_path / "secret.txt"
    outside.write_text((demo / EPISODE).read_text(encoding="utf-8"), encoding="utf-8")
    link = demo / "episodes" / "ep02.txt"
    link.symlink_to(outside)
    for command in ("plan", "render", "voice"):
        text = refused(capsys, command, demo)
        assert f"{link}: this screenplay is a link to {outside}, outside the project" in text
        assert "copy the file" in text


def test_a_screenplay_named_on_the_command_line_is_read_wherever_it_is(demo, tmp_path, capsys):
    link = tmp_path / "elsewhere.txt"
    link.symlink_to(demo / EPISODE)
    code, text = run(capsys, "parse", link)
    assert code == 0, text
    assert "跨江大桥" in text


def test_a_link_inside_the_project_is_read(demo, capsys):
    (demo / "drafts").mkdir()
    (demo / EPISODE).rename(demo / "drafts" / "ep01.txt")
    (demo / EPISODE).symlink_to(demo / "drafts" / "ep01.txt")
    code, text = run(capsys, "plan", demo)
    assert code == 0, text


# --- reference images ---------------------------------------------------------------------------------------

def png_header(path: Path, width: int, height: int) -> None:
    """A PNG that says it is width×height (the header is all an image's size is read from)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) +
                     chunk(b"IEND", b""))


@pytest.mark.parametrize(("size", "says"), [
    ((20000, 20000), "is larger than 179 megapixels"),  # past PIL's own limit: DecompressionBombError
    ((8000, 6000), "is 8000×6000 (48 megapixels)"),
])
def test_a_portrait_too_large_is_named_with_its_character_and_line(demo, capsys, size, says):
    portrait = demo / "refs" / "shenqing.png"
    png_header(portrait, *size)
    cast = demo / "cast.toml"
    text = refused(capsys, "render", demo)
    assert f"{cast}:{line_of(cast, 'refs/shenqing.png')}: the reference image of '沈清', {portrait}, {says}" in text
    assert "scale it down to at most 40 megapixels" in text
    assert not (demo / "renders").exists()


def test_a_portrait_that_is_not_an_image_is_named_with_its_character_and_line(demo, capsys):
    portrait = demo / "refs" / "baiwei.png"
    portrait.write_text("not a picture", encoding="utf-8")
    cast = demo / "cast.toml"
    text = refused(capsys, "render", demo)
    line = line_of(cast, "refs/baiwei.png")
    assert f"{cast}:{line}: the reference image of '白薇', {portrait}, is not an image" in text
    assert "save it as PNG or JPEG" in text


def test_a_location_image_too_large_is_named(demo, capsys):
    image = demo / "locations" / "宴会厅.png"  # 1-2 夜 内 顾家别墅宴会厅 is drawn in front of it
    png_header(image, 9000, 9000)
    text = refused(capsys, "render", demo)
    assert f"{image}: the image of the location '顾家别墅宴会厅' is 9000×9000 (81 megapixels)" in text
    assert "scale it down to at most 40 megapixels" in text


# --- the same through the installed entry point -------------------------------------------------------------

def test_the_testers_cases_through_python_m_drama(demo):
    """`--draws 1000000` (once a MemoryError after 71 s) and a 10 MB line of dialogue (once minutes and gigabytes),
    run as a creator runs them."""
    script = demo / EPISODE
    script.write_text(script.read_text(encoding="utf-8") + "\n白薇：" + "话" * 3_500_000 + "\n", encoding="utf-8")
    line = line_of(script, "白薇：话")
    for argv, says in ((["render", demo, "--draws", "1000000"], "less than or equal to 100"),
                       (["render", demo], f"{script}:{line}: this line is 3,500,003 characters")):
        done = subprocess.run([sys.executable, "-m", "drama", *map(str, argv)], capture_output=True, text=True,
                              check=False)
        text = re.sub(r"\s*\n\s*", " ", done.stdout + done.stderr)
        assert done.returncode == 2 and "Traceback" not in text and says in text, text


def test_render_refuses_an_unknown_engine_before_voicing(demo, capsys):
    text = refused(capsys, "render", demo, "--engine", "previs")
    assert "unknown engine 'previs'" in text and "did you mean 'previz'" in text
    assert not (demo / ".drama" / "cache" / "voice").exists()


def test_a_misspelt_engine_in_drama_toml_is_named_at_its_line(demo, capsys):
    config = demo / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('engine = "previz"', 'engine = "previs"'), encoding="utf-8")
    for command in ("render", "make"):
        text = refused(capsys, command, demo)
        assert f"{config}:{line_of(config, 'previs')}: unknown engine 'previs'" in text and "did you mean 'previz'" in text


def test_an_engines_table_of_no_engine_is_refused_at_its_line(demo, capsys):
    config = demo / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[engines.klign]\nconcurrency = 2\n", encoding="utf-8")
    text = refused(capsys, "plan", demo)
    assert f"{config}:{line_of(config, 'klign')}: [engines.klign]: there is no engine 'klign'" in text
    assert "did you mean 'kling'" in text


def test_an_engine_option_that_is_a_list_is_refused(demo, capsys):
    config = demo / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[engines.kling]\nmodel = [1, 2]\n", encoding="utf-8")
    text = refused(capsys, "plan", demo)
    assert str(config) in text and "model = [1, 2]: an engine option is a text, a number or true/false" in text


def test_an_empty_screenplay_is_refused_not_planned_as_nothing(demo, capsys):
    (demo / EPISODE).write_text("", encoding="utf-8")
    assert f"{demo / EPISODE}: this screenplay has no scene" in refused(capsys, "plan", demo)


def test_two_files_of_one_episode_are_refused(demo, capsys):
    (demo / "episodes" / "ep01.fountain").write_text("INT. ROOM - DAY\n\nRain on the window.\n", encoding="utf-8")
    text = refused(capsys, "plan", demo)
    assert "two screenplays are episode 'ep01'" in text and "ep01.fountain" in text and "ep01.txt" in text
