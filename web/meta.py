"""Blueprint ``meta``: ``/healthz`` for monitors and ``/opensearch.xml`` for browsers."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import render_template

from mikke.search import search
from mikke.web.errors import NOT_READY_MESSAGE
from mikke.web.store import get_state

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether an index is loaded and how many posts it holds (503 when none is)."""
    store = get_state().open(current_app)
    if store is None:
        return jsonify(
            {"ok": False, "index_loaded": False, "posts": 0, "error": NOT_READY_MESSAGE, "status": 503}
        ), 503
    # per_page=0 counts without building any hit; the count is over the live generation.
    posts = search(store, "", per_page=0, with_counts=False).total
    return jsonify({"ok": True, "index_loaded": True, "posts": posts, "generation": store.generation}), 200


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """Describe the search page so a browser can add it as a search engine."""
    xml = render_template("opensearch.xml")
    return Response(xml, mimetype="application/opensearchdescription+xml")
