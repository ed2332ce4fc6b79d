"""Blueprint ``api``: ``GET /api/search`` (the ``mikke search --json`` shape), ``GET /api/suggest``,
``GET /api/tags`` and ``GET /api/related`` (the ``mikke related --json`` shape)."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from mikke.search import PostNotFound
from mikke.search import SearchPage
from mikke.search import all_tags
from mikke.search import related_posts
from mikke.search import suggest
from mikke.web.answers import etag
from mikke.web.answers import not_modified
from mikke.web.answers import validate
from mikke.web.errors import error_json
from mikke.web.params import BadParameter
from mikke.web.params import last_linked_page
from mikke.web.params import parse_limit
from mikke.web.params import parse_search_args
from mikke.web.store import get_state
from mikke.web.store import get_store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search_view() -> Response | tuple[Response, int]:
    """Search the index; answer with the JSON shape of ``mikke search --json`` plus ``truncated``."""
    state = get_state()
    try:
        params = parse_search_args(request.args, state.settings, strict=True)
    except BadParameter as e:
        return error_json(str(e), 400)

    def respond(page: SearchPage) -> Response:
        # The last page is the last one served: a client paging until ``pages`` stops where page= does.
        return jsonify(
            page.to_json() | {"pages": last_linked_page(page.pages), "truncated": params.truncated}
        )

    return state.results.answer(params, get_store(), respond)


@bp.get("/suggest")
def suggest_view() -> Response:
    """Complete ``q`` (a prefix): ``{"query": q, "suggestions": [{"text", "count"}, …]}``."""
    store = get_store()
    q = request.args.get("q", "")[: get_state().settings.max_query_chars]
    tag = etag(store.version(), "suggest", q)
    known = not_modified(tag)
    if known is not None:
        return known
    return validate(jsonify(suggest(store, q).to_json()), tag)


@bp.get("/tags")
def tags_view() -> Response:
    """List every tag with its number of posts, most used first."""
    store = get_store()
    tag = etag(store.version())
    known = not_modified(tag)
    if known is not None:
        return known
    tags = all_tags(store)
    return validate(jsonify({"tags": [t.to_json() for t in tags]}), tag)


@bp.get("/related")
def related_view() -> Response | tuple[Response, int]:
    """The posts related to the post at ``url`` (its URL, the URL's path, or its path under the site),
    at most ``limit``: ``{"post": {...}, "related": [...]}``; 400 without ``url``, 404 when no indexed post
    has it."""
    url = request.args.get("url", "")
    if not url.strip():
        # A caller that forgot the parameter (or sent it blank) gets told so, not that no post has "".
        # Checked before the index is opened, as /api/search checks its parameters.
        return error_json("url is required: the post's URL, the URL's path, or its path under the site.", 400)
    limit = parse_limit(request.args.get("limit"))
    store = get_store()
    tag = etag(store.version(), url, limit)
    known = not_modified(tag, answer_exists=False)  # a URL that names no post must stay a 404
    if known is not None:
        return known
    try:
        found = related_posts(store, url, limit=limit)
    except PostNotFound as e:
        return error_json(str(e), 404)
    known = not_modified(tag)  # the post exists: `If-None-Match: *` holds
    if known is not None:
        return known
    return validate(jsonify(found.to_json()), tag)
