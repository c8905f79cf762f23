"""`drama review`: the local review page for one episode; with --host and --allow-host, shared on the LAN behind a
login (docs/review-sharing.md); with --watch, following the screenplay as it is written (docs/writers-desk.md)."""

from __future__ import annotations

import argparse
import socket
import threading
import webbrowser

from drama.cli import console, err_console


def _port(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535."""
    if not text.strip().isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number from 0 (any free port) to 65535")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="compare draws, pick, redraw and export in a local web page")
    parser.add_argument("project", help="the project folder")
    parser.add_argument("episode", nargs="?", help="episode id (default: the first)")
    parser.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 or a LAN address shares "
                             "the page and needs --allow-host)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME_OR_IP",
                        help="a name or address colleagues open the page under, e.g. 192.168.1.20 (repeatable); "
                             "they log in with the password printed on start")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    parser.add_argument("--watch", action="store_true",
                        help="follow the screenplay: every save re-plans and updates the page in place, marking the "
                             "shots it changed, with the check's findings on their cards and in a panel")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from drama.project import Project
    from drama.review.security import Access
    from drama.review.server import create_app
    from drama.review.session import ReviewSession

    access = Access.for_bind(args.host, args.allow_host)  # a command that would expose the page fails here, first
    session = ReviewSession.start(Project.load(args.project), args.episode, watch=args.watch)
    app = create_app(session, access=access)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if session.watch is not None:  # end the pages' event streams, which uvicorn would wait for
                await session.watch.close()
            await super().shutdown(sockets)

    server = Server(config)
    if access.beyond_loopback:
        err_console.print(f"[bold yellow]warning:[/] listening on {args.host}, beyond this machine: anyone on the "
                          f"network who has the password can watch, pick, redraw and export, and the traffic is "
                          f"plain HTTP (see docs/review-sharing.md)", highlight=False)

    def announce() -> None:
        while not server.started:
            threading.Event().wait(0.05)
        port = server.servers[0].sockets[0].getsockname()[1] if server.servers else args.port
        name = min(access.shared) if access.shared else args.host
        url = f"http://{f'[{name}]' if ':' in name else name}:{port}/"
        console.print(f"[bold]review[/] {session.project.config.title} · {session.episode_id} at [link={url}]{url}[/link]  (Ctrl-C to stop)")
        if session.watch:
            console.print("[dim]watching episodes/, cast.toml and drama.toml: every save updates the page[/]")
        if access.password:  # the one place the password is ever written
            console.print(f"  login: any user name, password [bold]{access.password}[/] (give it only to whoever "
                          f"should see the page; open under {', '.join(sorted(access.shared))})", highlight=False)
        if args.open:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()
    finally:
        session.close()
    return 0
