"""How fast the review page's poll (`GET /api/episode`) answers on the demo, and that it only reads.

Copies the demo project to a temp folder at a small draft size with the offline voice, voices and renders one
draw of every shot with `drama render` (setup, not timed), starts `drama review` in its own process and times
`GET /api/episode`: 20 requests one after another, then 20 at once (several open tabs polling together).
Target: p50 ≤ 50 ms. Afterwards every file of the project but the state store must be unchanged.

    python bench/review_poll.py [--requests 20] [--draws 1]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import statistics
import sys
import tempfile
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "projects" / "demo"
TARGET_MS = 50.0


def tiny_demo(target: Path, draws: int) -> Path:
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
    config = target / "drama.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in (("width", 144), ("height", 256), ("fps", 12), ("draws", draws)):
        text = re.sub(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
    config.write_text(re.sub(r'(?m)^backend\s*=.*$', 'backend = "offline"', text), encoding="utf-8")
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Every file's bytes (as a hash) but the state store's."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith("state.db")}


def drama(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "drama", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **popen)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the review server did not come up at {url}")


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--draws", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="drama-bench-") as tmp:
        root = tiny_demo(Path(tmp) / "demo", args.draws)
        started = time.perf_counter()
        if drama("render", str(root)).wait() != 0:
            raise RuntimeError("drama render failed on the demo copy")
        console.print(f"setup: voiced and rendered the demo in {time.perf_counter() - started:.1f} s")
        before = snapshot(root)
        port = free_port()
        server = drama("review", str(root), "--port", str(port))  # its own process, as under a browser
        url = f"http://127.0.0.1:{port}/api/episode"
        try:
            wait_until_up(url)
            with httpx.Client(timeout=60) as client:
                first = timed_get(client, url)
                sequential = [timed_get(client, url) for _ in range(args.requests)]
            clients = [httpx.Client(timeout=60) for _ in range(args.requests)]
            for client in clients:  # connections open, so the timed requests measure the server only
                client.get(url)
            with ThreadPoolExecutor(args.requests) as pool:
                parallel = list(pool.map(timed_get, clients, [url] * args.requests))
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait()
        after = snapshot(root)
        changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))

    table = Table(title=f"GET /api/episode on the demo ({args.requests} requests, ms)")
    for column in ("run", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "run" else "right")
    table.add_row("first (cold)", f"{first:.1f}", "", "")
    for name, times in (("one after another", sequential), (f"{args.requests} at once", parallel)):
        ordered = sorted(times)
        table.add_row(name, f"{statistics.median(times):.1f}", f"{ordered[int(0.95 * (len(ordered) - 1))]:.1f}",
                      f"{ordered[-1]:.1f}")
    console.print(table)
    p50 = statistics.median(parallel)
    console.print(f"p50 under {args.requests} parallel requests {p50:.1f} ms: "
                  f"{'meets' if p50 <= TARGET_MS else 'MISSES'} the ≤ {TARGET_MS:.0f} ms target")
    console.print("files changed by the polls: " + (", ".join(changed) if changed else "none (only the state store)"))


if __name__ == "__main__":
    main()
