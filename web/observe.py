"""What a running server tells its operator: one access-log line per request and ``GET /metrics``.

Requests are counted and timed by a WSGI middleware (every response, errors and 400s for unknown hosts
included) into ``prometheus_client`` metrics; under ``mikke serve`` they live in its multiprocess
directory, so ``/metrics`` sums every gunicorn worker. The index figures are read when scraped.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from mikke.search import search
from mikke.web.store import get_state

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

ACCESS_LOGGER = "mikke.access"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The Flask endpoint that answered, left in the WSGI environ for the middleware; "other" for no route.
ENDPOINT_KEY = "mikke.endpoint"
# A logged path is cut here: gunicorn lets long request lines through (the app cuts long queries itself).
MAX_LOGGED_PATH = 300
# Searches take milliseconds; the upper buckets catch a loaded machine or a cold worker.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# One set per process (a second app in the same process, as in the tests, counts into the same ones).
# Labels are bounded: endpoints are the app's routes, statuses the few codes it answers with.
REQUESTS = Counter(
    "mikke_http_requests", "HTTP requests answered, by endpoint and status.", ("endpoint", "status")
)
LATENCY = Histogram(
    "mikke_http_request_duration_seconds",
    "Time from receiving a request to its response being ready, by endpoint.",
    ("endpoint",),
    buckets=LATENCY_BUCKETS,
)

bp = Blueprint("observe", __name__)
access_log = logging.getLogger(ACCESS_LOGGER)


def logged_path(path: str) -> str:
    """``path`` as one printable token: percent-encoded (no space, no line break), and bounded."""
    text = quote(path, safe="/:@!$&'()*+,;=-._~")
    return text if len(text) <= MAX_LOGGED_PATH else text[:MAX_LOGGED_PATH] + "…"


class Observed:
    """WSGI middleware: time each request, count it, and write its access-log line.

    The line holds the client address, method, path (never the query string: it is what readers
    searched for), status and milliseconds.
    """

    def __init__(self, app: WSGIApplication, *, metrics: bool) -> None:
        self.app = app
        self.metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status = "500"  # what the client gets if the app raises before answering

        def recording_start_response(
            status_line: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            nonlocal status
            status = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            seconds = time.perf_counter() - started
            endpoint = environ.get(ENDPOINT_KEY) or "other"
            if self.metrics:
                REQUESTS.labels(endpoint, status).inc()
                LATENCY.labels(endpoint).observe(seconds)
            access_log.info(
                "%s %s %s %s %.1fms",
                # As ProxyFix took it from X-Forwarded-For: a token whatever a misconfigured proxy passed.
                quote(environ.get("REMOTE_ADDR") or "-", safe=":.-[]"),
                environ.get("REQUEST_METHOD", "-"),
                logged_path(environ.get("PATH_INFO", "")),
                status,
                seconds * 1000,
            )


class IndexCollector(Collector):
    """The index the current app serves, read when scraped: loaded or not, generation, posts, seconds
    since its last commit. Collected inside the request for ``/metrics``."""

    def collect(self) -> Iterator[Metric]:
        store = get_state().open(current_app)
        loaded = GaugeMetricFamily("mikke_index_loaded", "1 when an index is loaded, else 0.")
        loaded.add_metric([], 1 if store is not None else 0)
        yield loaded
        if store is None:
            return
        store.version()  # follow a new generation or commit first, as a request would
        info = GaugeMetricFamily(
            "mikke_index_info", "The live index generation (value 1).", labels=["generation"]
        )
        info.add_metric([store.generation or "memory"], 1)
        yield info
        posts = GaugeMetricFamily("mikke_index_posts", "Posts in the live index.")
        posts.add_metric([], search(store, "", per_page=0, with_counts=False).total)
        yield posts
        committed = store.committed_at
        if committed is not None:
            age = GaugeMetricFamily(
                "mikke_index_age_seconds", "Seconds since the live index was last committed."
            )
            age.add_metric([], max(0.0, time.time() - committed))
            yield age


def request_registry() -> CollectorRegistry:
    """The request metrics of every worker (multiprocess mode), or of this process alone."""
    path = os.environ.get(MULTIPROCESS_ENV)
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]  # untyped in the package
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """Serve the request and index metrics in Prometheus' text format."""
    index = CollectorRegistry()
    index.register(IndexCollector())
    body = generate_latest(request_registry()) + generate_latest(index)
    response = Response(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, *, metrics: bool) -> None:
    """Count, time and log every request of ``app``; serve ``/metrics`` when ``metrics`` is on.

    Call before ProxyFix wraps the app (web/addresses.py): the address logged is then the one it trusts.
    """

    @app.after_request
    def note_endpoint(response: Response) -> Response:
        request.environ[ENDPOINT_KEY] = request.endpoint or "other"
        return response

    app.wsgi_app = Observed(app.wsgi_app, metrics=metrics)  # type: ignore[method-assign]
    if metrics:
        app.register_blueprint(bp)
