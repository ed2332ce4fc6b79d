"""Error responses: one JSON shape for the API and /healthz, plain text for the feed, a friendly HTML page
everywhere else (the rule: :func:`error_shape`)."""

from __future__ import annotations

from typing import Literal

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import SecurityError
from werkzeug.exceptions import ServiceUnavailable

from mikke.web.store import IndexNotReady

# One message for both causes: which it is (and the paths) stays in the server's log, never in an answer.
NOT_READY_MESSAGE = (
    "The search index is not ready: it is not built yet, or the server cannot open it (its log says why). "
    "Run `mikke index SITE` on the server, or fix what the log names, then retry."
)
NOT_READY_MESSAGE_JA = "検索インデックスがまだ作られていません。しばらくしてからもう一度お試しください。"

_MESSAGES_JA = {
    400: "リクエストを読み取れませんでした。",
    404: "ページが見つかりません。",
    405: "この方法ではアクセスできません。",
    500: "サーバーで問題が起きました。しばらくしてからもう一度お試しください。",
    503: NOT_READY_MESSAGE_JA,
}


def error_json(message: str, status: int) -> tuple[Response, int]:
    """Return the canonical API error: ``{"ok": false, "error": message, "status": status}``.

    :param message: a full sentence saying what went wrong and what to do.
    :param status: the HTTP status code.
    """
    return jsonify({"ok": False, "error": message, "status": status}), status


# Paths whose errors are plain text: a feed reader shows (or logs) an error's body as text, where JSON or a
# page's markup would be noise.
TEXT_PATHS = frozenset({"/feed.atom"})

ErrorShape = Literal["json", "text", "html"]


def error_shape() -> ErrorShape:
    """How an error answers the failing request, decided by its path alone: a request that matched no route
    (a 404, a 405) has no endpoint, yet must be answered as its neighbours are.

    JSON for the API (``/api`` and under ``/api/``) and ``/healthz``, read by programs; plain text for the
    feed (:data:`TEXT_PATHS`); an HTML page for everything else.
    """
    path = request.path
    if path.startswith("/api/") or path == "/api" or path == "/healthz":
        return "json"
    if path in TEXT_PATHS:
        return "text"
    return "html"


def wants_json() -> bool:
    """Whether the failing request was for the JSON API (or /healthz) rather than a page or the feed."""
    return error_shape() == "json"


def _message(e: HTTPException) -> str:
    if isinstance(e, InternalServerError):
        # Never leak the exception text; the traceback is in the server log.
        return "Internal server error; the details are in the server log."
    return e.description or (e.name + ".")


def _handle_http(e: HTTPException) -> Response:
    response = _error_response(e)
    # The headers the exception carries belong to the answer whatever its body: a 405's Allow (RFC 9110
    # 15.5.6 requires it), a 503's Retry-After. Its Content-Type described werkzeug's own body, not ours.
    for name, value in e.get_headers():
        if name.lower() != "content-type":
            response.headers.setdefault(name, value)
    return response


def _error_response(e: HTTPException) -> Response:
    status = e.code or 500
    if isinstance(e, SecurityError):
        # A Host mikke does not answer for: no URL can be built for it, so no page either.
        message = (
            "This server does not answer for that host name; see MIKKE_PUBLIC_URL and MIKKE_ALLOWED_HOSTS."
        )
        if wants_json():
            return _json(message, status)
        return Response(message, status=status, mimetype="text/plain")
    shape = error_shape()
    if shape == "json":
        return _json(_message(e), status)
    if shape == "text":
        return Response(_message(e) + "\n", status=status, mimetype="text/plain")
    text = _MESSAGES_JA.get(status, e.name)
    return Response(
        render_template("error.html", status=status, message=text), status=status, mimetype="text/html"
    )


def _json(message: str, status: int) -> Response:
    response, _ = error_json(message, status)
    response.status_code = status
    return response


def _handle_not_ready(_: IndexNotReady) -> Response:
    # The API views and the feed call get_store(), so this answers in the failing path's shape, as any other
    # error does. The search page (/) renders its own not-ready state, with the search form, instead.
    return _error_response(ServiceUnavailable(NOT_READY_MESSAGE))


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(IndexNotReady, _handle_not_ready)
