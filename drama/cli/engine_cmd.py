"""`drama engine data previz`, `drama engine train` and `drama engine sample`: make labelled training data on the
previz, train the DiT video engine on a folder of clips, and draw a clip from a checkpoint through the same engine
interface `drama render` uses."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from drama.cli import console
from drama.errors import DramaError, did_you_mean


def register(subparsers: argparse._SubParsersAction) -> None:
    engine = subparsers.add_parser("engine", help="train and sample the DiT video engine")
    commands = engine.add_subparsers(dest="engine_command", metavar="ACTION", required=True)

    data = commands.add_parser("data", help="make training data")
    sources = data.add_subparsers(dest="data_source", metavar="SOURCE", required=True)
    previz = sources.add_parser(
        "previz", help="random shots drawn on the previz with their camera path, depth, mask and a subject reference (resumes)")
    previz.add_argument("--count", type=int, required=True, help="how many examples")
    previz.add_argument("--size", type=int, default=32, help="frame width and height, a multiple of 16 (drawn at twice the size and shrunk)")
    previz.add_argument("--frames", type=int, default=17, help="frames per clip, 1 + 4k")
    previz.add_argument("--seed", type=int, default=0)
    previz.add_argument("--held-out", action="store_true", help="only the (set × move) and (set × colour) combinations training never sees")
    previz.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes drawing at once")
    previz.add_argument("--out", type=Path, required=True, help="dataset folder (NAME.npz + NAME.json per example)")
    previz.set_defaults(handler=data_command)

    train = commands.add_parser("train", help="train the causal VAE, then the DiT, on a folder of clips (resumes)")
    train.add_argument("--data", type=Path, required=True, help="folder of clips (any aspect ratio); prompts in NAME.txt or captions.json")
    train.add_argument("--config", default="cpu", help="a named config (tiny, cpu, base) or a JSON file")
    train.add_argument("--out", type=Path, help="checkpoint folder (default: checkpoints/dit-CONFIG); training resumes from it")
    train.add_argument("--vae-steps", type=int)
    train.add_argument("--dit-steps", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--device", default="cpu")
    train.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared CPU)")
    train.set_defaults(handler=train_command)

    sample = commands.add_parser("sample", help="generate a clip from a checkpoint")
    sample.add_argument("--checkpoint", type=Path, required=True)
    sample.add_argument("--prompt", required=True)
    sample.add_argument("--out", type=Path, required=True, help="MP4 file to write")
    sample.add_argument("--negative", default="", help="negative prompt")
    sample.add_argument("--frames", type=int, default=17)
    sample.add_argument("--width", type=int, default=32)
    sample.add_argument("--height", type=int, default=32)
    sample.add_argument("--fps", type=float, default=8.0)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--steps", type=int)
    sample.add_argument("--guidance", type=float)
    sample.add_argument("--solver", choices=["euler", "heun"])
    sample.add_argument("--first-frame", type=Path, help="image to start from (image-to-video)")
    sample.add_argument("--device", default="cpu")
    sample.set_defaults(handler=sample_command)


def _config(name: str):
    from engine.dit.config import available_configs, load_config

    try:
        return load_config(name)
    except FileNotFoundError as error:
        raise DramaError(str(error), path=name, hint=did_you_mean(name, available_configs()) or f"named configs: {', '.join(available_configs())}") from None
    except ValueError as error:
        raise DramaError(f"invalid DiT config: {error}", path=name, hint="compare with engine/dit/configs/cpu.json") from None


def data_command(args: argparse.Namespace) -> int:
    from engine.dit.previz_data import contact_sheet, make_dataset

    if args.count < 1:
        raise DramaError(f"--count must be at least 1, got {args.count}", hint="e.g. --count 2400")
    if args.workers < 1:
        raise DramaError(f"--workers must be at least 1, got {args.workers}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("previz shots", total=args.count)
        try:
            paths = make_dataset(args.out, args.count, args.size, args.frames, args.seed, args.held_out, args.workers,
                                 lambda done, total: progress.update(task, completed=done))
        except ValueError as error:
            raise DramaError(str(error), hint="see `drama engine data previz --help`") from None
    sheet = contact_sheet(paths[:24], args.out / "preview.png")
    console.print(f"{len(paths)} example(s) in {escape(str(args.out))}{' (held out)' if args.held_out else ''}; preview: {escape(str(sheet))}")
    return 0


def train_command(args: argparse.Namespace) -> int:
    import torch

    from engine.dit.data import ClipFolder
    from engine.dit.training import Trainer, train_on_folder

    torch.set_num_threads(args.threads)
    config = _config(args.config)
    overrides = {k: v for k, v in {"vae_steps": args.vae_steps, "dit_steps": args.dit_steps, "batch_size": args.batch_size}.items() if v is not None}
    if overrides:
        config = config.model_copy(update={"train": config.train.model_copy(update=overrides)})
    out = args.out or Path("checkpoints") / f"dit-{config.name}"
    try:
        folder = ClipFolder(args.data, config.data, config.dit, config.latent_multiple)
    except (FileNotFoundError, ValueError) as error:
        raise DramaError(str(error), path=args.data, hint="give a folder of .mp4/.mov/.webm clips, prompts in NAME.txt beside each") from None
    trainer = Trainer(config, out, args.device)
    console.print(
        f"training [bold]{escape(config.name)}[/] on {len(folder)} clip(s) in {len(folder.buckets)} bucket(s) → {escape(str(out))}"
        + (f" (resuming: VAE step {trainer.vae_step}, DiT step {trainer.dit_step})" if trainer.vae_step or trainer.dit_step else "")
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[loss]}"))
    with Progress(*columns, console=console) as progress:
        tasks = {
            "vae": progress.add_task("VAE", total=config.train.vae_steps, completed=trainer.vae_step, loss=""),
            "dit": progress.add_task("DiT", total=config.train.dit_steps, completed=trainer.dit_step, loss=""),
        }

        def report(phase: str, step: int, total: int, metrics: dict[str, float]) -> None:
            progress.update(tasks[phase], completed=step, loss=f"loss {metrics['loss']:.4f}")

        try:
            path = train_on_folder(trainer, folder, report)
        except KeyboardInterrupt:
            trainer.save()
            raise
    console.print(f"checkpoint: {escape(str(path))}  (VAE {trainer.vae_step} steps, DiT {trainer.dit_step} steps)")
    return 0


def sample_command(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from engine.api import RenderRequest
    from engine.registry import get_engine

    try:
        request = RenderRequest(
            prompt=args.prompt, negative_prompt=args.negative, width=args.width, height=args.height, fps=args.fps,
            num_frames=args.frames, seed=args.seed, first_frame=args.first_frame,
        )
        engine = get_engine("dit", checkpoint=args.checkpoint, device=args.device, steps=args.steps, guidance=args.guidance, solver=args.solver)
    except ValidationError as error:
        raise DramaError(f"invalid sampling options: {error.errors()[0]['msg']}", hint="see `drama engine sample --help`") from None
    except (FileNotFoundError, ValueError) as error:
        raise DramaError(str(error), path=args.checkpoint, hint="pass a folder written by `drama engine train`") from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out.parent, prefix=".sample-") as tmp:
        try:
            with console.status(f"sampling {args.frames} frames at {args.width}×{args.height}…"):
                clip = engine.render(request, Path(tmp))
        except (FileNotFoundError, ValueError) as error:
            raise DramaError(str(error), hint="check the sizes and the first-frame image") from None
        os.replace(clip.video, args.out)
    console.print(f"wrote {escape(str(args.out))}: {clip.num_frames} frames, {clip.width}×{clip.height} @ {clip.fps:g} fps")
    return 0
