"""Fixtures shared across test files: one way to copy the demo project, and a guard that fails any test
reaching past this machine."""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "projects" / "demo"
GENERATED = (".drama", "renders", "exports")


def copy_demo(target: Path, *, tiny: bool = True, width: int = 144, height: int = 256, fps: int = 12, draws: int = 2,
              engine: str | None = None, offline_voice: bool = True) -> Path:
    """A copy of projects/demo without its generated folders. `tiny` sets a small size, fps and draws so
    whole-pipeline tests run in seconds (tiny=False keeps the demo's own); `engine` replaces the render engine;
    `offline_voice` speaks with the offline voice, never edge-tts over the network."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(*GENERATED))
    config = target / "drama.toml"
    text = config.read_text(encoding="utf-8")
    settings: dict[str, object] = {"width": width, "height": height, "fps": fps, "draws": draws} if tiny else {}
    if engine is not None:
        settings["engine"] = f'"{engine}"'
    if offline_voice:
        settings["backend"] = '"offline"'
    for key, value in settings.items():
        text, found = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
        assert found == 1, f"{key} is not set once in {config}"
    config.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def tiny_demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run several times faster on one thread than on two contended cores."""
    from open_weights_tiny import one_torch_thread as single_thread

    with single_thread():
        yield


# --- no network -----------------------------------------------------------------------------------------------

_reached: list[str] = []  # attempts since the last test ended (module fixtures are set up before a test's own)


def _loopback(host: object) -> bool:
    if not isinstance(host, str) or host == "localhost":
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded(real, what: str, host_of, refusal: type[OSError]):
    def guarded(*args, **kwargs):
        host = host_of(*args, **kwargs)
        if host is not None and not _loopback(host):
            _reached.append(f"{what} {host}")
            raise refusal(f"tests may not reach the network ({what} {host})")
        return real(*args, **kwargs)
    return guarded


def _address_host(sock: socket.socket, address: object, *_: object) -> object:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6)
    return address[0] if inet and isinstance(address, tuple) else None


@pytest.fixture(scope="session", autouse=True)
def _no_network():
    """Any connect or name lookup beyond 127.0.0.1 / ::1 / localhost is refused (as if offline) and recorded."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex"):
            patch.setattr(socket.socket, name, _guarded(getattr(socket.socket, name), "connect", _address_host,
                                                        ConnectionRefusedError))
        patch.setattr(socket, "getaddrinfo", _guarded(socket.getaddrinfo, "getaddrinfo", lambda host, *a, **k: host,
                                                      socket.gaierror))
        yield


@pytest.fixture(autouse=True)
def no_network(_no_network):
    """Fails the test if it (or a module fixture it uses) tried to reach the network, even where the code under
    test caught the refusal and went on offline."""
    yield
    reached, _reached[:] = list(_reached), []
    if reached:
        pytest.fail(f"reached for the network: {', '.join(dict.fromkeys(reached))}", pytrace=False)


@pytest.fixture
def network_unreachable():
    """For a test of what happens without a network: the guard refuses as always (as a machine offline does:
    no name resolves, no connection opens), and the refusals do not fail this test."""
    yield
    _reached.clear()
