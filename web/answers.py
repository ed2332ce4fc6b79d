"""Answers already known are not recomputed: a per-worker cache of search results, and HTTP validators.

Both are keyed by the index version (``Store.version()``: a new generation or commit changes it) and the
normalised request, so a live update is served from the first request after it, as without caching.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from pathlib import Path

from flask import Flask
from flask import Response
from flask import current_app
from flask import request

from mikke import search as _search_package
from mikke.search import SearchPage
from mikke.search import Settings
from mikke.search import Store
from mikke.web.headers import GZIP_ETAG_SUFFIX
from mikke.web.headers import accepts_gzip
from mikke.web.params import SearchParams

# Result pages kept per worker. A page of 10 hits is a few kilobytes; 512 of them stay well under the
# memory of one worker and cover the repeated queries of a busy hour (trending words, back buttons).
CACHE_ENTRIES = 512
# How long a browser or CDN may reuse an answer without asking again: short, so a reader sees a new
# post within about as long as the server takes to pick it up. After that, a conditional request is
# answered 304 without searching while the index is unchanged.
ANSWER_CACHE_CONTROL = "public, max-age=1"
# What answers are made by besides the index: the code, templates, assets and data of both packages. A
# new release renders the same search otherwise (and sends another Content-Security-Policy, which a 304
# would put on the page held from before), so it must not confirm that page.
CODE_FOLDERS = (Path(__file__).parent, Path(_search_package.__file__).parent)
EXTENSION = "mikke_answers"


def _code_digest(folders: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def init_app(app: Flask, settings: Settings) -> None:
    """Name what ``app``'s answers are made by besides the index and the request (its code and settings),
    for every validator it gives. Read once per app (about 5 ms), when its worker starts."""
    code = _code_digest(CODE_FOLDERS)
    app.extensions[EXTENSION] = hashlib.sha256(repr((code, settings)).encode()).hexdigest()


class ResultCache:
    """A small, thread-safe LRU of search results by (index version, request)."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._pages: OrderedDict[Hashable, SearchPage] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, params: SearchParams, store: Store, version: str) -> SearchPage:
        """``params.run(store)``, or the page it gave under index ``version`` (``store.version()``)."""
        key = (version, params)
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = params.run(store)
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self._entries:
                self._pages.popitem(last=False)
        return page

    def answer(
        self,
        params: SearchParams,
        store: Store,
        respond: Callable[[SearchPage], Response],
        also: object = None,
    ) -> Response:
        """The answer to a search request: ``304`` when the client holds this index version's answer,
        else ``respond(page)`` for the (cached) page, marked with its validator.

        :param also: whatever else the answer shows that can change while the index does not (the
            popular queries of the empty search); it is part of the validator.
        """
        version = store.version()  # once: the ETag and the cached page name the same version
        tag = etag(version, params, also)
        known = not_modified(tag)
        if known is not None:
            return known
        return validate(respond(self.run(params, store, version)), tag)


def etag(version: str, *request_parts: object) -> str:
    """The validator (an opaque value, sent weak) of the answer to ``request_parts`` under index
    ``version`` (``store.version()``, taken once per request), by this server's code and settings."""
    server = current_app.extensions[EXTENSION]
    return hashlib.sha256(repr((server, version, request.path, request_parts)).encode()).hexdigest()[:32]


def not_modified(tag: str, *, answer_exists: bool = True) -> Response | None:
    """A 304 answer when the client already holds the answer ``tag`` names, else ``None``.

    :param answer_exists: whether the request has an answer rather than an error. ``If-None-Match: *``
        asks for 304 whenever an answer exists; while the caller does not know yet, only a tag the
        client names counts, which it can hold only from an answer under this index version.
    """
    held = request.if_none_match
    # The gzipped answer has its own tag (web/headers.py); it holds only while the client still takes gzip.
    # The plain one always does: plain bytes are what every client can read.
    for known in (tag + GZIP_ETAG_SUFFIX, tag) if accepts_gzip() else (tag,):
        if held.is_weak(known) or held.is_strong(known):
            return validate(Response(status=304), known)
    if answer_exists and held.star_tag:
        return validate(Response(status=304), tag)
    return None


def validate(response: Response, tag: str) -> Response:
    """Mark ``response`` as the answer ``tag`` names, reusable for a moment."""
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = ANSWER_CACHE_CONTROL
    return response
