"""The review web app: routes only. What the routes do to the project lives in ReviewSession.

Local by design: bound to 127.0.0.1, Host header checked (DNS rebinding), files served only from
inside the project, every state-changing request a POST carrying the per-run token.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from drama.errors import DramaError
from drama.fonts import cjk_font_path
from drama.review.security import allowed_hosts, resolve_inside, token_ok
from drama.review.session import ReviewSession
from drama.storyboard.vocabulary import Angle, Move, ShotSize
from drama.templates import environment, template_dir

STATIC_FILES = {"review.js": "text/javascript", "review.css": "text/css"}
MAX_BODY = 64 * 1024


def _vocabulary() -> dict[str, list[dict[str, str]]]:
    def options(enum: Any) -> list[dict[str, str]]:
        return [{"value": member.value, "label": f"{member.value} {member.zh}"} for member in enum]

    return {"sizes": options(ShotSize), "angles": options(Angle), "moves": options(Move)}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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


def create_app(session: ReviewSession, *, host: str = "127.0.0.1") -> Starlette:
    serialised = _Serialised()

    async def page(request: Request) -> Response:
        html = environment("review", autoescape=True).get_template("index.html").render(
            title=session.project.config.title,
            episode=session.episode_id,
            language=session.project.config.language,
            token=session.token,
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

    async def body_of(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise DramaError("request too large")
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            raise DramaError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise DramaError("the request body must be a JSON object")
        return data

    def action(handler):  # noqa: ANN001, ANN202 - a small decorator for every state-changing route
        async def endpoint(request: Request) -> Response:
            if not token_ok(request, session.token):
                return _error("missing or wrong token: reload the page", 403)
            try:
                data = await body_of(request)
                return JSONResponse({"ok": True, **(await run_in_threadpool(handler, request, data) or {})})
            except DramaError as error:
                return _error(error.message + (f" ({error.hint})" if error.hint else ""))

        return endpoint

    def pick(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.pick(request.path_params["shot"], str(data.get("candidate", "")))

    def draw(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.draw(request.path_params["shot"], data.get("count", 1))

    def edit(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.edit(request.path_params["shot"], data)

    def export(request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return session.export()

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/media/{path:path}", media),
        Route("/api/episode", episode),
        Route("/api/shots/{shot}/pick", action(pick), methods=["POST"]),
        Route("/api/shots/{shot}/draw", action(draw), methods=["POST"]),
        Route("/api/shots/{shot}/edit", action(edit), methods=["POST"]),
        Route("/api/export", action(export), methods=["POST"]),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host))]
    return Starlette(routes=routes, middleware=middleware)
