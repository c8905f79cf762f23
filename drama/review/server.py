"""The review web app: routes only. What the routes do to the project lives in ReviewSession, what keeps the
server safe in drama.review.security.

Local by default: every request passes the guard first (Host names it answers to, no other site's scripts, a
login where the server is shared, URLs of sane length); files are served only from inside the project; every
state-changing request is a POST carrying the per-run token, with a capped body of known fields.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from drama.errors import DramaError
from drama.fonts import cjk_font_path
from drama.review.security import Access, Refused, json_object, known_fields, read_body, resolve_inside, token_ok
from drama.review.session import EditForm, ReviewSession
from drama.storyboard.vocabulary import Angle, Move, ShotSize
from drama.templates import environment, template_dir

STATIC_FILES = {"review.js": "text/javascript", "review.css": "text/css"}


def _vocabulary() -> dict[str, list[dict[str, str]]]:
    def options(enum: Any) -> list[dict[str, str]]:
        return [{"value": member.value, "label": f"{member.value} {member.zh}"} for member in enum]

    return {"sizes": options(ShotSize), "angles": options(Angle), "moves": options(Move)}


def _error(message: str, status: int = 400, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _refusal(error: DramaError) -> JSONResponse:
    return _error(error.message + (f" ({error.hint})" if error.hint else ""), getattr(error, "status", 400),
                  getattr(error, "headers", None))


class _Guard:
    """Every HTTP request passes Access.admit before it reaches a route, the page and its token included."""

    def __init__(self, app: ASGIApp, access: Access):
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url = (scope.get("raw_path") or scope["path"].encode()) + scope.get("query_string", b"")
            try:
                self.access.admit(Headers(scope=scope), scope["method"], url)
            except Refused as refused:
                await _refusal(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Serialised:
    """The JSON of the last page view: polls of an unchanged page (the session hands back the same view) serialise
    nothing. Used from the event loop only."""

    def __init__(self) -> None:
        self.view: dict[str, Any] | None = None
        self.body = b""

    def __call__(self, view: dict[str, Any]) -> bytes:
        if view is not self.view:
            self.view, self.body = view, json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode()
        return self.body


def create_app(session: ReviewSession, *, access: Access | None = None) -> Starlette:
    """The review app for `session`; `access` says whom it answers (default: this machine only, no login)."""
    serialised = _Serialised()

    async def page(request: Request) -> Response:
        html = environment("review", autoescape=True).get_template("index.html").render(
            title=session.project.config.title,
            episode=session.episode_id,
            language=session.project.config.language,
            token=session.token,
            watch=session.watch is not None,
            vocabulary=_vocabulary(),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "cjk-font":  # the bundled Noto Sans CJK, so Chinese reads on machines without CJK fonts
            return FileResponse(cjk_font_path(), media_type="font/collection", headers={"Cache-Control": "max-age=86400"})
        if name not in STATIC_FILES:
            return _error("not found", 404)
        return FileResponse(template_dir() / "review" / name, media_type=STATIC_FILES[name])

    async def media(request: Request) -> Response:
        path = resolve_inside(session.project.root, request.path_params["path"])
        if path is None:
            return _error("not found (only files inside the project are served)", 404)
        return FileResponse(path)

    async def episode(request: Request) -> Response:
        """Only reads: what is stored, never rendered or voiced to find out."""
        try:
            view = await run_in_threadpool(session.view)
        except DramaError as error:  # a project file broken meanwhile: say what, keep serving
            return _error(str(error))
        return Response(serialised(view), media_type="application/json")

    async def watch(request: Request) -> Response:
        """Server-sent events: a revision after every save of the screenplay (drama.review.watch). Only reads."""
        if session.watch is None:
            return _error("this page does not follow the screenplay: start it with `drama review PROJECT --watch`", 404)
        if not session.watch.following:
            return _error("the watch has not started yet: try again in a moment", 503)
        return StreamingResponse(session.watch.events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    def action(handler, fields: Collection[str], what: str):  # noqa: ANN001, ANN202 - wraps every state-changing route
        async def endpoint(request: Request) -> Response:
            if not token_ok(request, session.token):
                return _error("missing or wrong token: reload the page", 403)
            try:
                data = json_object(await read_body(request))
                known_fields(data, fields, what)
                return JSONResponse({"ok": True, **(await run_in_threadpool(handler, request, data) or {})})
            except DramaError as error:
                return _refusal(error)

        return endpoint

    def pick(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.pick(request.path_params["shot"], str(data.get("candidate", "")))

    def draw(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.draw(request.path_params["shot"], data.get("count", 1), data.get("track", "video"))

    def pick_sheet(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.pick_sheet(str(data.get("candidate", "")), data.get("replace", False))

    def edit(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.edit(request.path_params["shot"], data)

    def export(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.export()

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/media/{path:path}", media),
        Route("/api/episode", episode),
        Route("/api/watch", watch),
        Route("/api/shots/{shot}/pick", action(pick, ["candidate"], "pick"), methods=["POST"]),
        Route("/api/shots/{shot}/draw", action(draw, ["count", "track"], "draw request"), methods=["POST"]),
        Route("/api/shots/{shot}/edit", action(edit, EditForm.model_fields, "edit form"), methods=["POST"]),
        Route("/api/cast/pick", action(pick_sheet, ["candidate", "replace"], "sheet pick"), methods=["POST"]),
        Route("/api/export", action(export, [], "export request"), methods=["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        following = asyncio.create_task(session.watch.follow()) if session.watch else None
        try:
            yield
        finally:
            if following is not None:
                following.cancel()
                with suppress(asyncio.CancelledError):
                    await following

    return Starlette(routes=routes, middleware=[Middleware(_Guard, access=access or Access())], lifespan=lifespan)
