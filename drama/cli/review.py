"""`drama review`: the local review page for one episode."""

from __future__ import annotations

import argparse
import threading
import webbrowser

from drama.cli import console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="compare draws, pick, redraw and export in a local web page")
    parser.add_argument("project", help="the project folder")
    parser.add_argument("episode", nargs="?", help="episode id (default: the first)")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from drama.project import Project
    from drama.review.server import create_app
    from drama.review.session import ReviewSession

    session = ReviewSession.start(Project.load(args.project), args.episode)
    app = create_app(session, host=args.host)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            threading.Event().wait(0.05)
        port = server.servers[0].sockets[0].getsockname()[1] if server.servers else args.port
        url = f"http://{args.host}:{port}/"
        console.print(f"[bold]review[/] {session.project.config.title} · {session.episode_id} at [link={url}]{url}[/link]  (Ctrl-C to stop)")
        if args.open:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()
    finally:
        session.close()
    return 0
