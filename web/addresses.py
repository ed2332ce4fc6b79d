"""Which addresses mikke answers for and writes: from configuration, never from what a request claims.

A Host header is the client's choice; echoed into a page, an OpenSearch description or a cached answer it
would let anyone point readers elsewhere. Requests for hosts mikke was not told about get 400; absolute
URLs are built on ``MIKKE_PUBLIC_URL`` when it is set; proxy headers are trusted only from as many
proxies as ``MIKKE_PROXY_HOPS`` says.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from mikke.search import SettingError
from mikke.search import Settings

EXTENSION = "mikke_public_url"


def init_app(app: Flask, settings: Settings) -> None:
    """Restrict the hosts ``app`` answers for, trust ``settings.proxy_hops`` proxies, and note the public URL.

    :raises SettingError: ``MIKKE_PUBLIC_URL`` is not an http(s) URL of a host.
    """
    public = settings.public_url.strip().rstrip("/")
    hosts = list(settings.allowed_hosts)
    if public:
        parts = urlsplit(public)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingError(f"MIKKE_PUBLIC_URL must be like https://search.example.jp, not {public!r}.")
        hosts.append(parts.hostname)
    # Flask (werkzeug) answers 400 to a request whose Host is not one of these, before any view runs.
    app.config["TRUSTED_HOSTS"] = hosts
    if settings.proxy_hops > 0:
        n = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions[EXTENSION] = public
    app.jinja_env.globals["absolute_url_for"] = absolute_url_for


def absolute_url_for(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` (with ``values`` as url_for takes them): on ``MIKKE_PUBLIC_URL``
    when set, else on the (trusted) request."""
    public: str = current_app.extensions[EXTENSION]
    if public:
        return public + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
