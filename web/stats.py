"""Private search statistics in the web app (only with ``MIKKE_STATS_DIR``): settled searches are counted,
``GET /api/popular`` and the empty search page offer the queries most searched.

A search is settled when the reader has it on screen on purpose: a page opened with it (a submitted form
without JavaScript, a link, a reload), or, with search.js, the results it showed once the reader stopped
typing, pressed Enter or chose a filter, which search.js reports with ``POST /api/settled?q=…``. Keystrokes
in between are never counted; nothing about the reader (address, user agent, cookie) is stored.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from mikke.search import SearchStats
from mikke.search import Settings
from mikke.search import Store
from mikke.search import allowed_origins
from mikke.search import open_stats
from mikke.search import says_only_what_posts_say
from mikke.web.params import SearchParams
from mikke.web.params import parse_search_args
from mikke.web.store import get_state

bp = Blueprint("stats", __name__)

EXTENSION = "mikke_stats"
# Queries the empty page and /api/popular offer, and how long one process reuses the list it read.
POPULAR_LIMIT = 10
POPULAR_SECONDS = 60.0
POPULAR_CACHE_CONTROL = "public, max-age=60"
# Verdicts on queries (may they be shown) one process remembers at most; more start the memory afresh.
SHOWN_KEPT = 1_000


@dataclasses.dataclass
class StatsState:
    stats: SearchStats | None
    allowed_origins: frozenset[str]
    public_origin: str
    _popular: tuple[float, list[dict[str, object]]] = (0.0, [])
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    # Whether each query may be shown, as the index of version _shown_in says (a query's analysis each).
    _shown: dict[str, bool] = dataclasses.field(default_factory=dict)
    _shown_in: str = ""

    def popular(self) -> list[dict[str, object]]:
        """The popular queries, read at most once a POPULAR_SECONDS per process (none if unreadable)."""
        if self.stats is None:
            return []
        with self._lock:
            read_at, queries = self._popular
            if time.monotonic() - read_at < POPULAR_SECONDS:
                return queries
        store = get_state().open(current_app)
        if store is None:
            return []
        try:
            found = self.stats.popular(limit=POPULAR_LIMIT, shown=self._shown_with(store))
        except (sqlite3.Error, OSError) as e:
            current_app.logger.warning("search statistics in %s not read: %s", self.stats.path, e)
            found = []
        queries = [{"query": q.query, "searches": q.searches} for q in found]
        with self._lock:
            self._popular = (time.monotonic(), queries)
        return queries

    def _shown_with(self, store: Store) -> Callable[[str], bool]:
        """Whether a query may be shown to readers, remembered until the index changes."""
        version = store.version()
        with self._lock:
            if version != self._shown_in or len(self._shown) > SHOWN_KEPT:
                self._shown, self._shown_in = {}, version
            shown = self._shown

        def may_show(query: str) -> bool:
            verdict = shown.get(query)
            if verdict is None:
                verdict = shown[query] = says_only_what_posts_say(store, query)
            return verdict

        return may_show


def init_app(app: Flask, settings: Settings) -> None:
    """Open the statistics when ``MIKKE_STATS_DIR`` is set, and count the searches pages are opened with.

    :raises SettingError: the statistics folder is inside the index folder.
    """
    stats = open_stats(settings.stats_dir, days=settings.stats_days, index=settings.index)
    public = urlsplit(settings.public_url)
    state = StatsState(
        stats,
        allowed_origins(settings.allowed_origins),
        f"{public.scheme}://{public.netloc}" if public.netloc else "",
    )
    app.extensions[EXTENSION] = state
    app.register_blueprint(bp)
    if stats is not None:
        app.after_request(_count_page)


def _state() -> StatsState:
    state: StatsState = current_app.extensions[EXTENSION]
    return state


def popular_queries() -> list[dict[str, object]]:
    """The queries the empty search offers (``{"query", "searches"}``); none when statistics are off."""
    return _state().popular()


def stats_enabled() -> bool:
    """Whether this app keeps search statistics (search.js then reports settled searches)."""
    return _state().stats is not None


def _params() -> SearchParams:
    settings = get_state().settings
    # As the page and /api/results read them, so the answer cache already holds their results.
    params = parse_search_args(request.args, settings, strict=False)
    return dataclasses.replace(params, per_page=settings.per_page)


def _record(params: SearchParams) -> None:
    stats = _state().stats
    if stats is None or params.page != 1 or not (params.q.strip() or params.filtered):
        return
    state = get_state()
    store = state.open(current_app)
    if store is None:
        return
    total = state.results.run(params, store, store.version()).total
    try:
        stats.record(params.q, total, tags=params.tags, categories=params.categories)
    except (sqlite3.Error, OSError) as e:
        # A reader's search never fails for the owner's statistics; the log says what is wrong.
        current_app.logger.warning("search statistics in %s not written: %s", stats.path, e)


def _count_page(response: Response) -> Response:
    """Count the search a page is opened with (the page is a navigation: the search is settled)."""
    if request.endpoint == "pages.index" and request.method == "GET" and response.status_code in (200, 304):
        _record(_params())
    return response


def _origin_allowed() -> bool:
    """A browser names the page's origin: only mikke's own page and the blogs allowed may report."""
    origin = request.headers.get("Origin", "").rstrip("/")
    if not origin:
        return True  # not a browser's cross-site request
    state = _state()
    own = f"{request.scheme}://{request.host}"
    return origin in state.allowed_origins or origin in (own, state.public_origin)


@bp.post("/api/settled")
def settled() -> Response:
    """Count the search in the query string as settled (search.js, once the reader stopped on it): 204."""
    if _state().stats is not None and _origin_allowed():
        _record(_params())
    return Response(status=204)


@bp.get("/api/popular")
def popular() -> Response:
    """``{"queries": [{"query": …, "searches": n}, …]}``: the most searched queries that found posts,
    each searched at least a few times; empty when statistics are off."""
    response = jsonify({"queries": _state().popular()})
    response.headers["Cache-Control"] = POPULAR_CACHE_CONTROL
    return response
