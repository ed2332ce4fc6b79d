"""The app's one index Store per worker process, kept in ``app.extensions["mikke"]`` (flaskr/db.py pattern).

When no index exists yet the app still starts; opening is retried on each later request until it works.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import field

from flask import Flask
from flask import current_app

from mikke.search import IndexMissing
from mikke.search import Settings
from mikke.search import Store
from mikke.search import open_store
from mikke.search import search
from mikke.web.answers import ResultCache

EXTENSION = "mikke"
# Searched once when the index opens, so the Sudachi dictionary loads before the first reader arrives.
WARM_UP_QUERY = "検索"


class IndexNotReady(Exception):
    """No usable index has been published yet; pages and the API answer 503."""


@dataclass
class MikkeState:
    """Per-app state: the settings and the lazily opened, shared :class:`~search.Store`."""

    settings: Settings
    store: Store | None = None
    problem: str = ""  # why the index could not be opened (server-side detail, logged, not shown)
    results: ResultCache = field(default_factory=ResultCache, repr=False)  # this worker's known answers
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def open(self, app: Flask) -> Store | None:
        """Open the index if it is not open yet; return it, or ``None`` if there is none.

        A Store follows new generations by itself (it re-reads ``CURRENT``), so it is opened once and
        shared by every request and thread of this worker.
        """
        if self.store is not None:
            return self.store
        with self._lock:  # threads of one worker must not each load the index
            if self.store is not None:
                return self.store
            try:
                store = open_store(self.settings.index)
            except IndexMissing as e:
                if str(e) != self.problem:
                    app.logger.warning("%s", e)
                self.problem = str(e)
                return None
            search(store, WARM_UP_QUERY, per_page=1)
            self.store = store
            self.problem = ""
            return store


def init_app(app: Flask, settings: Settings) -> MikkeState:
    """Register the state on ``app`` and try to open the index now, so workers start warm.

    :param app: the Flask app being built.
    :param settings: the effective settings.
    :return: the registered state.
    """
    state = MikkeState(settings)
    app.extensions[EXTENSION] = state
    state.open(app)
    return state


def get_state() -> MikkeState:
    """Return the current app's :class:`MikkeState`."""
    state: MikkeState = current_app.extensions[EXTENSION]
    return state


def get_store() -> Store:
    """Return the current app's Store, opening it first if an index has appeared since.

    :raises IndexNotReady: there is still no index.
    """
    store = get_state().open(current_app)
    if store is None:
        raise IndexNotReady
    return store
