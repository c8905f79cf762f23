"""The fake providers of the tests as servers on this machine, to try the paid engines without keys or network.

    python tools/fake_providers.py [--latency 2] [--env-file /tmp/fakes.env]

It starts the Kling, Ark (Seedance, Seedream) and fal fakes of tests/fakes/ — the same servers the tests run
against, which check every request field by field as the providers document them — prints the environment a
drama command needs to talk to them, writes it to --env-file when given (then `DRAMA_ENV_FILE=/tmp/fakes.env
drama render …`), and serves until Ctrl-C. Results are synthetic: the stills are seeded colour fields, and a
video drawn from an image is that image, slowly pushed in on.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.ark import ArkFake  # noqa: E402
from fakes.fal import FalFake  # noqa: E402
from fakes.kling import KlingFake  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds from a task's creation to its result")
    parser.add_argument("--env-file", type=Path, help="also write the variables to this file (for DRAMA_ENV_FILE)")
    args = parser.parse_args()

    kling, ark, fal = KlingFake(latency=args.latency), ArkFake(latency=args.latency), FalFake(latency=args.latency)
    environ = {**kling.environ(), "ARK_API_KEY": ark.key, "ARK_API_BASE": ark.base, "FAL_KEY": fal.key,
               "FAL_QUEUE_BASE": fal.url}
    with kling, ark, fal:
        lines = [f"{name}={value}" for name, value in environ.items()]
        if args.env_file is not None:
            args.env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"wrote {args.env_file}: run drama with DRAMA_ENV_FILE={args.env_file}")
        print("\n".join(f"export {line}" for line in lines), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
