"""Drawing on a Ray cluster (`drama render --cluster ADDRESS`, `[render] cluster`; docs/cluster.md).

Each engine runs in long-lived Ray actors, as many as the cluster has room for with the resources the engine
declares (`Engine.resources`: one CPU for the previz, one GPU for an open-weight model), so a model loads once per
GPU, not once per draw. A job travels as its request plus the bytes of every file the request names (portraits,
location plates, control videos, first and last frames); the draw comes back as the bytes of its folder, which the
parent (drama.render.executor) publishes on this machine, where the project and its state store stay.

A node that dies takes its actors with it: their jobs go to the actors that are left, and only the first result of
a job is published, so each job lands once. Ray is an optional extra: `pip install -e '.[ray]'`.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from drama.errors import RenderError
from drama.render.draw import Drawn, draw
from drama.render.jobs import Job
from drama.render.pool import Outcome, Work
from engine.api import Engine, RenderRequest
from engine.registry import engine_class

IN_FLIGHT = 2  # calls queued on an actor at once: the next request is there when a draw ends
TRIES = 3  # a job whose actor died this many times fails instead of trying a fourth node


def files_of(value: Any) -> set[Path]:
    """Every file path a request names, however deeply (characters' portraits, controls …)."""
    if isinstance(value, Path):
        return {value}
    if isinstance(value, BaseModel):
        return set().union(*(files_of(getattr(value, name)) for name in type(value).model_fields))
    if isinstance(value, dict):
        return set().union(*(files_of(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(files_of(v) for v in value))
    return set()


def with_files(value: Any, moved: dict[Path, Path]) -> Any:
    """`value` with each path in `moved` replaced by where the file is now."""
    if isinstance(value, Path):
        return moved.get(value, value)
    if isinstance(value, BaseModel):
        return value.model_copy(update={name: with_files(getattr(value, name), moved) for name in type(value).model_fields})
    if isinstance(value, dict):
        return {key: with_files(v, moved) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(with_files(v, moved) for v in value)
    return value


class Drawer:
    """A Ray actor (wrapped by `ray.remote` on connection): keeps its engines, so a model loads once."""

    def __init__(self) -> None:
        self.engines: dict[type[Engine], Engine] = {}

    def draw(self, cls: type[Engine], request: RenderRequest, inputs: dict[str, bytes]) -> tuple[Drawn, dict[str, bytes]]:
        import ray

        if cls not in self.engines:
            self.engines[cls] = cls()
        with tempfile.TemporaryDirectory(prefix="drama-draw-") as scratch:
            moved = {}
            for index, (original, data) in enumerate(sorted(inputs.items())):
                local = Path(scratch) / "inputs" / str(index) / Path(original).name
                local.parent.mkdir(parents=True)
                local.write_bytes(data)
                moved[Path(original)] = local
            folder = Path(scratch) / "draw"
            folder.mkdir()
            drawn = draw(self.engines[cls], with_files(request, moved), folder)
            context = ray.get_runtime_context()
            drawn.ran_on = {"node": context.get_node_id(), "gpus": [str(gpu) for gpu in ray.get_gpu_ids()]}
            return drawn, {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _ray():
    try:
        import ray
    except ImportError:
        raise RenderError("drawing on a cluster needs Ray, which is not installed",
                          hint="pip install -e '.[ray]' (the same Ray version as the cluster's)") from None
    return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise ConnectionError unless something listens at HOST:PORT (ray:// or not): Ray itself would retry an
    unreachable head for minutes before giving up. An empty address (`auto` without RAY_ADDRESS) is Ray's to find."""
    where = address.removeprefix("ray://")
    if not where:
        return
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("the address is not HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(f"nothing answers at {host}:{port} ({error.strerror or error})") from None


def slots(needs: dict[str, float], nodes: list[dict]) -> int:
    """How many actors needing `needs` fit on the living `nodes` (as `ray.nodes()` lists them)."""
    count = 0
    for node in nodes:
        if node.get("Alive"):
            have = node.get("Resources", {})
            count += min((int(have.get(name, 0) // amount) for name, amount in needs.items() if amount > 0), default=0)
    return count


_connected: dict[str, RayCluster] = {}


class RayCluster:
    """A runner (drama.render.pool.Runner) whose draws run on the actors of a Ray cluster."""

    def __init__(self, address: str):
        self.address = address
        self.notes: list[str] = []
        self.actors: dict[type[Engine], list[Any]] = {}

    @classmethod
    def connect(cls, address: str, *, notes: list[str] | None = None) -> RayCluster:
        """The cluster at `address`, connected once per process: its actors (and the models they hold) serve every
        render this process runs after, such as each draw asked for on the review page."""
        ray = _ray()
        if not ray.is_initialized():
            _connected.clear()
            try:
                _check_reachable(os.environ.get("RAY_ADDRESS", "") if address == "auto" else address)
                ray.init(address=address, namespace="drama", log_to_driver=False, logging_level="warning")
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RenderError(f"cannot reach the Ray cluster at {address!r}: {error}",
                                  hint="start one (`ray start --head`, docs/cluster.md), or fix --cluster / "
                                       "[render] cluster: auto, HOST:PORT or ray://HOST:10001") from None
        cluster = _connected.setdefault(address, cls(address))
        cluster.notes = notes if notes is not None else []
        alive = [node for node in ray.nodes() if node.get("Alive")]
        cpus = sum(node["Resources"].get("CPU", 0) for node in alive)
        gpus = sum(node["Resources"].get("GPU", 0) for node in alive)
        cluster.notes.append(f"drawing on the Ray cluster at {address}: {len(alive)} nodes, {cpus:g} CPUs, {gpus:g} GPUs")
        return cluster

    def _spawn(self, cls: type[Engine]) -> list[Any]:
        """Actors for `cls`, as many as the living nodes have room for; none when no node can run it."""
        ray = _ray()
        needs = dict(cls.resources)
        count = slots(needs, ray.nodes())
        if not count:
            raise RenderError(f"no node of the Ray cluster at {self.address} can draw with {cls.name}: it needs "
                              + ", ".join(f"{amount:g} {name}" for name, amount in needs.items()),
                              hint="add a node with those resources (`ray start --address … --num-gpus 1`), "
                                   "or draw without --cluster")
        options = {"num_cpus": needs.pop("CPU", 0), "num_gpus": needs.pop("GPU", 0), "resources": needs,
                   "max_restarts": 0}
        actor = ray.remote(Drawer).options(**options)
        return [actor.remote() for _ in range(count)]

    def run(self, work: Work) -> Iterator[Outcome]:
        ray = _ray()
        lost = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ray.exceptions.WorkerCrashedError,
                ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError, ray.exceptions.OwnerDiedError)
        pending = iter(work)
        retry: deque[tuple[Job, Path, int]] = deque()
        running: dict[Any, tuple[Job, Path, int, Any]] = {}
        load: dict[Any, int] = {}

        def next_job() -> tuple[Job, Path, int] | None:
            if retry:
                return retry.popleft()
            item = next(pending, None)
            return None if item is None else (*item, 0)

        def submit() -> None:
            while (item := next_job()) is not None:
                job, folder, tries = item
                cls = engine_class(job.engine)
                if not self.actors.get(cls):  # the first job of this engine, or every actor of it was lost
                    self.actors[cls] = self._spawn(cls)
                free = [a for a in self.actors[cls] if load.get(a, 0) < IN_FLIGHT]
                if not free:  # every actor is busy: the job waits for the next one to finish
                    retry.appendleft(item)
                    return
                actor = min(free, key=lambda a: load.get(a, 0))
                inputs = {str(path): path.read_bytes() for path in sorted(files_of(job.request)) if path.is_file()}
                running[actor.draw.remote(cls, job.request, inputs)] = (job, folder, tries, actor)
                load[actor] = load.get(actor, 0) + 1

        redrawn = 0
        submit()
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            job, folder, tries, actor = running.pop(ref)
            load[actor] -= 1
            try:
                drawn, files = ray.get(ref)
            except ray.exceptions.RayTaskError as error:  # the engine (or the scoring) failed on the node
                cause = error.cause if isinstance(error.cause, Exception) else RuntimeError(str(error))
                yield job, cause
            except lost as error:  # the node (or the actor's process) died: the job goes to the actors left
                for actors in self.actors.values():
                    if actor in actors:
                        actors.remove(actor)
                if tries + 1 >= TRIES:
                    yield job, RenderError(f"shot {job.shot_id} draw {job.draw}: its node died {TRIES} times "
                                                   f"({type(error).__name__})")
                else:
                    retry.append((job, folder, tries + 1))
                    redrawn += 1
            else:
                for name, data in files.items():
                    path = folder / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                yield job, drawn
            submit()
        if redrawn:
            self.notes.append(f"{redrawn} draw(s) were lost with their node and drawn again on another")
