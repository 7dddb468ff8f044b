"""The feed server: an ASGI app (Starlette, served by uvicorn) for private iCal feeds.

``GET /feeds/<public id>/<secret>.ics`` answers the feed as ``text/calendar`` with an
ETag and Last-Modified, and 304 to a matching If-None-Match or If-Modified-Since. Every
other request, including unknown, wrong or revoked secrets, a trailing slash, another
method or a path that is not exactly a feed URL, gets the same plain 404, which reveals
nothing: no redirect is ever built (from the request's Host header or otherwise), and an
id or secret that could not be one is refused before the database sees it.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from qaframework.feeds.catalog import FeedCatalog
from qaframework.persistence.database import session_scope
from qaframework.persistence.subscriptions import scope_for

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: What a public id (hex) and a secret (URL-safe base64) can look like.
_PUBLIC_ID = re.compile(r"[0-9a-f]{1,64}", re.ASCII)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,128}\.ics", re.ASCII)


def not_found() -> Response:
    return PlainTextResponse("Not found\n", status_code=404)


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110: If-None-Match takes precedence
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return last_modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def create_app(catalog: FeedCatalog) -> Starlette:
    def feed(request: Request) -> Response:  # sync: Starlette runs it in a thread
        public_id = request.path_params["public_id"]
        name = request.path_params["secret"]
        if not (_PUBLIC_ID.fullmatch(public_id) and _SECRET.fullmatch(name)):
            return not_found()
        with session_scope(catalog.engine) as session:
            scope = scope_for(session=session, public_id=public_id, secret=name.removesuffix(".ics"))
        if scope is None or not name.endswith(".ics"):
            return not_found()
        rendered = catalog.feed(scope)
        headers = {
            "ETag": rendered.etag,
            "Last-Modified": rendered.last_modified_http,
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
        }
        if _not_modified(request, rendered.etag, rendered.last_modified):
            return Response(status_code=304, headers=headers)
        return Response(rendered.body, media_type=CONTENT_TYPE, headers=headers)

    def health(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def any_error(_: Request, exc: Exception) -> Response:
        return not_found()

    app = Starlette(
        routes=[Route("/feeds/{public_id}/{secret}", feed), Route("/health", health)],
        exception_handlers={HTTPException: any_error},
    )
    # Starlette would answer /feeds/ID/SECRET.ics/ with a redirect built from the Host
    # header; every path that is not exactly a route gets the plain 404 instead.
    app.router.redirect_slashes = False
    return app
