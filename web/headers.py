"""Response headers: Content-Security-Policy and friends, caching, CORS for the API, gzip."""

from __future__ import annotations

import gzip
import math
import re

from flask import Flask
from flask import Response
from flask import request

from mikke.search import REOPEN_RETRY_SECONDS
from mikke.search import allowed_origins as parse_origins

# No 'unsafe-inline' anywhere: the only inline text allowed is our stylesheet, by its hash, so injected
# markup can neither run script nor restyle the page. Images may come from any https host: posts' pictures
# live on the blog or its CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'{inline_styles}; "
    "img-src 'self' data: https:{images}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The Retry-After of every 503, in whole seconds as RFC 9110 10.2.3 writes it. While no index is open, each
# request tries to open one (web/store.py, MikkeState.open), so a new index is seen by the very next request;
# the server's own retry period is REOPEN_RETRY_SECONDS, how often it tries again a published generation it
# could not open (search/store.py). Asking clients to wait that long means a retry can find anything the
# server can, while a script or monitor in a loop does not make a worker re-read the index folder many
# times a second for nothing.
RETRY_AFTER_SECONDS = math.ceil(REOPEN_RETRY_SECONDS)
CORS_MAX_AGE = "86400"
_HTTP_ORIGIN_RE = re.compile(r"\Ahttp://[A-Za-z0-9.\-]+(?::\d{1,5})?\Z")
GZIP_MIN_BYTES = 1024
# Ends the ETag of a gzipped answer: its bytes differ from the plain one's, so a cache holding one must
# not have the other confirmed by a 304 (RFC 9110 8.8.3), as Apache's mod_deflate does.
GZIP_ETAG_SUFFIX = "-gzip"
_COMPRESSIBLE = frozenset(
    {"text/html", "application/json", "application/atom+xml", "application/opensearchdescription+xml"}
)


def accepts_gzip() -> bool:
    """Whether the request's Accept-Encoding takes gzip (RFC 9110, 12.5.3): listed (or as x-gzip) with a
    quality above 0; else through ``*``; else when it refuses plain bytes (``identity;q=0``)."""
    qualities: dict[str, float] = {}
    for coding, quality in request.accept_encodings:
        qualities.setdefault(coding.lower(), quality)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in qualities:
            return qualities[coding] > 0
    return qualities.get("identity", 1) == 0


def _gzip(response: Response) -> None:
    if response.status_code == 304:
        # A 304 stands for the 200 it confirms and must name the same Vary (RFC 9110 15.4.5); only answers
        # that may be gzipped are ever confirmed with 304 here (web/answers.py), static ones in assets.py.
        response.vary.add("Accept-Encoding")
        return
    if (
        response.status_code != 200
        or response.direct_passthrough
        or response.mimetype not in _COMPRESSIBLE
        or "Content-Encoding" in response.headers
    ):
        return
    # Whether or not this one is gzipped, the choice read Accept-Encoding: a shared cache must not hand
    # the plain answer kept for one client to another that asked for gzip, nor the reverse.
    response.vary.add("Accept-Encoding")
    if not accepts_gzip():
        return
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return
    # Level 5: nearly the size of level 9 on Japanese HTML/JSON at a fraction of the CPU time.
    response.set_data(gzip.compress(data, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    tag, weak = response.get_etag()
    if tag:
        response.set_etag(tag + GZIP_ETAG_SUFFIX, weak=bool(weak))


def init_app(
    app: Flask, allowed_origins: tuple[str, ...], inline_styles: tuple[str, ...] = (), site_url: str = ""
) -> None:
    """Install the header hooks on ``app``.

    :param app: the Flask app being built.
    :param allowed_origins: origins whose browsers may call ``/api/*`` (CORS); others get no CORS headers.
    :param inline_styles: CSP hash sources (``'sha256-…'``) of the stylesheets pages inline.
    :param site_url: where the blog is served (``MIKKE_SITE_URL``); an http one (a site tried locally) may
        show its posts' pictures too.
    :raises SettingError: an entry of ``allowed_origins`` is not an origin.
    """
    origins = parse_origins(allowed_origins)
    local = _HTTP_ORIGIN_RE.match(site_url.rstrip("/"))
    images = f" {local.group(0)}" if local else ""
    policy = CONTENT_SECURITY_POLICY.format(
        inline_styles="".join(" " + s for s in inline_styles), images=images
    )

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.endpoint == "static" and response.status_code in (200, 304):
            return response  # web/assets.py sets its own caching and encoding; its errors are pages as any
        headers.setdefault("Content-Security-Policy", policy)
        if response.status_code == 503:
            # Not ready yet (no index, or one the server cannot open): say when to come back, and let no
            # browser or CDN keep the 503 to answer with once the index is there.
            headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
            headers["Cache-Control"] = "no-store"
        headers.setdefault("Cache-Control", "no-cache")
        if request.path.startswith("/api/"):
            response.vary.add("Origin")  # the answer differs per Origin; shared caches must know
            origin = request.headers.get("Origin", "")
            if origin and origin in origins:
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Allow-Methods"] = "GET"
                headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        _gzip(response)
        return response
