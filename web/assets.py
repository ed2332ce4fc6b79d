"""Static assets (search.js, style.css), read once per app and served from memory, gzipped when asked.

Pages link them with a content hash (``?v=``) so browsers may keep them for a year; other URLs (the
blog embed) are revalidated with the ETag after five minutes. The page inlines its stylesheet (allowed
by hash in the CSP) because a render-blocking request is the largest cost of a cold search we control.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask import Response
from flask import abort
from flask import request
from flask import url_for
from markupsafe import Markup

from mikke.web.headers import GZIP_ETAG_SUFFIX
from mikke.web.headers import accepts_gzip

LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str  # the whole header: "text/css; charset=utf-8"
    version: str  # a prefix of the content hash

    @property
    def csp_source(self) -> str:
        """The CSP source (``'sha256-…'``) that allows this asset's text inline."""
        return "'sha256-" + base64.b64encode(hashlib.sha256(self.body).digest()).decode("ascii") + "'"

    def etag(self, *, gzipped: bool) -> str:
        """The validator of the plain or the gzipped bytes, sent weak: the file is the same whatever the
        coding, but each coding has its own tag, so that a cache holding the gzipped bytes never has them
        confirmed for a client that cannot read them."""
        return self.version + (GZIP_ETAG_SUFFIX if gzipped else "")


def load_assets(folder: Path) -> dict[str, Asset]:
    """Read every file under ``folder`` with its gzipped form and content hash."""
    assets = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        assets[path.relative_to(folder).as_posix()] = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            content_type=content_type,
            version=hashlib.sha256(body).hexdigest()[:12],
        )
    return assets


def init_app(app: Flask, inline: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Serve ``web/static/`` at ``/static/``; add the ``asset_url(name)`` and ``inline_asset(name)`` helpers.

    :param inline: the assets templates may inline with ``inline_asset``.
    :return: their CSP hash sources, for the Content-Security-Policy to allow exactly them.
    """
    assets = load_assets(Path(app.root_path) / "static")

    def asset_url(name: str) -> str:
        return url_for("static", filename=name, v=assets[name].version)

    def inline_asset(name: str) -> Markup:
        if name not in inline:
            raise KeyError(f"{name} is not allowed inline by the CSP; add it to assets.init_app(inline=...)")
        # Our own file, byte for byte: the CSP hash is of exactly this text.
        return Markup(assets[name].body.decode("utf-8"))

    def serve(filename: str) -> Response:
        asset = assets.get(filename)
        if asset is None:
            abort(404)
        # content_type is used as given; a mimetype would get a second "; charset=utf-8" from werkzeug.
        response = Response(content_type=asset.content_type)
        gzipped = accepts_gzip() and len(asset.gzipped) < len(asset.body)
        response.set_etag(asset.etag(gzipped=gzipped), weak=True)
        fresh = request.args.get("v") == asset.version
        response.headers["Cache-Control"] = LONG_CACHE if fresh else SHORT_CACHE
        response.vary.add("Accept-Encoding")
        held = request.if_none_match
        for known in (True, False) if gzipped else (False,):  # plain bytes suit every client
            tag = asset.etag(gzipped=known)
            if held.contains_weak(tag):
                response.set_etag(tag, weak=True)
                response.status_code = 304
                return response
        if gzipped:
            response.set_data(asset.gzipped)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response.set_data(asset.body)
        return response

    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=serve)
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["inline_asset"] = inline_asset
    return tuple(assets[name].csp_source for name in inline)
