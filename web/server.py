"""``mikke serve``: the app under gunicorn, one app (dictionary, index reader) per worker process.

Never Flask's development server. SIGHUP replaces the workers and SIGTERM stops after the requests in
flight (gunicorn's own signals); the access log goes to standard output, gunicorn's log to standard error.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

from gunicorn.app.base import BaseApplication

from mikke.search import Settings
from mikke.search import check_serve_settings
from mikke.web import create_app

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType

# prometheus_client's multiprocess folder. It picks its mode when first imported, so the master never
# imports it (web/observe.py is imported by each worker, after this is set).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """Return the gunicorn configuration for ``settings``.

    :param settings: host, port, workers and threads come from here.
    """
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return {
        "bind": f"{host}:{settings.port}",
        "workers": settings.workers,
        # More than one thread switches gunicorn to its gthread worker; Sudachi tokenizers are per thread.
        "threads": settings.threads,
        # Each worker imports and builds its own app: Sudachi's Dictionary does not survive a fork or
        # pickle (docs/DESIGN.md, T3), and a preloaded index reader would be shared across processes.
        "preload_app": False,
        # The app cuts long queries and says so (max_query_chars); gunicorn's default 4 KB request-line
        # limit would refuse them first, with a bare error page. Bound the size at your reverse proxy.
        "limit_request_line": 0,
        "proc_name": "mikke",
        # The app writes its own access line (web/observe.py): gunicorn's would hold the query string.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn >= 24 opens a control socket at one fixed path per user; two servers would collide.
        "control_socket_disable": True,
    }


class MikkeServer(BaseApplication):
    """A gunicorn application that builds the mikke app in each worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_options(self.settings).items():
            if key in self.cfg.settings:  # older gunicorn releases lack some settings
                self.cfg.set(key, value)

    def load(self) -> _WSGIAppType:
        from mikke.web.observe import ACCESS_LOGGER

        access = logging.getLogger(ACCESS_LOGGER)
        if not access.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("%(message)s"))
            access.addHandler(handler)
            access.setLevel(logging.INFO)
            access.propagate = False
        # A Flask app is a WSGI callable; the stubs' environ type is stricter than Flask's own signature.
        app: _WSGIAppType = create_app({"SEARCH_SETTINGS": self.settings})  # type: ignore[assignment]
        # What the worker has built by now (the app, the dictionary's and the index's Python side, warmed
        # by a first search) lives as long as the worker. Frozen, it is out of the collector's full passes,
        # which walk every object: over 2,000 distinct searches at 2,264 posts, the longest pause fell from
        # 81 to 34 ms (what later searches keep, their cached answers, is still collected).
        gc.freeze()
        return app


def run_server(settings: Settings) -> None:
    """Serve the search page and API with gunicorn until interrupted.

    :param settings: the effective settings (index, host, port, workers, threads, limits, origins).
    :raises SettingError: a setting the app would refuse in every worker; checked before any starts.
    """
    check_serve_settings(settings)
    with _metrics_folder(settings.metrics):
        MikkeServer(settings).run()


@contextlib.contextmanager
def _metrics_folder(enabled: bool) -> Iterator[None]:
    """Give the workers a fresh folder to count requests in together (prometheus_client multiprocess).

    Set before any worker is forked: prometheus_client picks its mode when it is first imported.
    """
    if not enabled:
        yield
        return
    folder = tempfile.mkdtemp(prefix="mikke-metrics-")
    os.environ[MULTIPROCESS_ENV] = folder
    master = os.getpid()
    try:
        yield
    finally:
        # Workers are forked inside this block and leave through it too (gunicorn ends them with
        # SystemExit): only the master, once it stops, removes the folder its workers count in.
        if os.getpid() == master:
            os.environ.pop(MULTIPROCESS_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)
