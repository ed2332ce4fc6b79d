"""Which addresses mikke answers for and writes: from configuration, never from what a request claims.

A Host header is the client's choice; echoed into a page, an OpenSearch description or a cached answer it
would let anyone point readers elsewhere. Requests for hosts mikke was not told about get 400; absolute
URLs are built on ``MIKKE_PUBLIC_URL`` when it is set; proxy headers are trusted only from as many
proxies as ``MIKKE_PROXY_HOPS`` says.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import current_app
from flask import request
from flask import url_for
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from mikke.search import Settings
from mikke.search import allowed_hosts
from mikke.search import public_url

EXTENSION = "mikke_public_url"


def init_app(app: Flask, settings: Settings) -> None:
    """Restrict the hosts ``app`` answers for, trust ``settings.proxy_hops`` proxies, and note the public URL.

    :raises SettingError: ``MIKKE_PUBLIC_URL`` is not an http(s) URL of a host.
    """
    public = public_url(settings.public_url)
    # Checked here rather than by Flask's TRUSTED_HOSTS: werkzeug cuts each trusted name at its first
    # colon, so no IPv6 address ("::1", "[::1]") could ever match and such a server answered only 400s.
    allowed = allowed_hosts(settings)

    def check_host() -> None:
        if not allowed.allow(request.host):
            # Unrouted, as with Flask's own check: no route's handlers or metrics take a refused host.
            request.url_rule = None
            raise SecurityError(f"Host {request.host!r} is not trusted.")  # 400, before any view runs

    app.before_request(check_host)
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
