"""A real Ray cluster on this machine for the tests: a head and worker nodes, each a `ray start --block` process
in a session of its own, on 127.0.0.1 with ports of its own, a small object store and fake GPUs. Stopping kills
only those sessions — never `ray stop`, which would stop every Ray on the machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli() -> list[str]:
    return [str(Path(sys.executable).with_name("ray"))] if Path(sys.executable).with_name("ray").exists() else \
        [sys.executable, "-m", "ray.scripts.scripts"]


class Node:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def pids(self) -> list[int]:
        """Every process of this node (its session)."""
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if os.getsid(int(proc.name)) == self.process.pid:
                        found.append(int(proc.name))
                except OSError:
                    continue
        return found

    def raylet(self) -> int:
        for pid in self.pids():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet":
                    return pid
            except OSError:
                continue
        raise RuntimeError(f"no raylet among the node's processes; its log:\n{self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


class LocalCluster:
    """`LocalCluster(tmp)` then `.add(cpus=1, gpus=1)` per node (the first is the head); `.address`; `.stop()`."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: list[Node] = []

    def add(self, *, cpus: int, gpus: int = 0) -> Node:
        head = not self.nodes
        ports = {flag: free_port() for flag in ("--node-manager-port", "--object-manager-port", "--metrics-export-port",
                                                "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
                                                "--runtime-env-agent-port")}
        low = 20000 + 200 * len(self.nodes)
        args = [*_ray_cli(), "start", "--block", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}",
                f"--num-gpus={gpus}", "--object-store-memory=80000000", "--disable-usage-stats",
                f"--min-worker-port={low}", f"--max-worker-port={low + 199}",
                *(f"{flag}={port}" for flag, port in ports.items())]
        if head:
            args += ["--head", f"--port={self.port}", "--include-dashboard=false", f"--temp-dir={self.scratch}"]
        else:
            args += [f"--address={self.address}"]
        log = self.scratch.parent / f"node{len(self.nodes)}.log"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]),
               # a dead node is noticed in about a second, not the default half-minute
               "RAY_health_check_initial_delay_ms": "0", "RAY_health_check_period_ms": "300",
               "RAY_health_check_timeout_ms": "300", "RAY_health_check_failure_threshold": "3"}
        process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
        node = Node(process, log)
        self.nodes.append(node)
        self._wait_for(len(self.nodes))
        return node

    def _wait_for(self, count: int, timeout: float = 90) -> None:
        """Until `count` nodes are alive (asked through a short-lived `ray` CLI call-free probe: the GCS port)."""
        import ray

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(node.process.poll() is not None for node in self.nodes):
                raise RuntimeError("a Ray node exited while starting:\n" + "\n".join(
                    n.log.read_text()[-2000:] for n in self.nodes))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.5)
                continue
            if ray.is_initialized():
                if sum(n.get("Alive", False) for n in ray.nodes()) >= count:
                    return
            elif count == 1:
                return
            else:
                ray.init(address=self.address, namespace="drama", log_to_driver=False, logging_level="warning")
                continue
            time.sleep(0.5)
        raise RuntimeError(f"the Ray cluster did not reach {count} nodes in {timeout:.0f} s")

    def stop(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        for node in reversed(self.nodes):
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            try:
                node.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
            node.kill()
