"""Which addresses mikke answers for and writes: from configuration, never from what a request claims.

A Host header is the client's choice; echoed into a page, an OpenSearch description or a cached answer it
would let anyone point readers elsewhere. Requests for hosts mikke was not told about get 400; absolute
URLs are built on ``MIKKE_PUBLIC_URL`` when it is set; proxy headers are trusted only from as many
proxies as ``MIKKE_PROXY_HOPS`` says.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import request
from flask import url_for
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from mikke.search import SettingError
from mikke.search import Settings
from mikke.search import public_url

EXTENSION = "mikke_public_url"


def host_key(host: str) -> str:
    """``host`` (a name or address, maybe with a port) as hosts are compared: lowercase, without the port,
    an IPv6 address in brackets and in its shortest form, as a Host header writes it (``[::1]:8000``)."""
    host = host.strip().lower()
    if host.startswith("["):
        address = host[1:].partition("]")[0]
    elif host.count(":") > 1:  # a bare IPv6 address, as in MIKKE_ALLOWED_HOSTS (its default has ::1)
        address = host
    else:
        return host.partition(":")[0]
    with contextlib.suppress(ValueError):
        address = ipaddress.IPv6Address(address).compressed
    return f"[{address}]"


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The hosts requests may name: each entry itself, and for one that starts with a dot, as in
    werkzeug's TRUSTED_HOSTS, the name after it and every name under it."""

    names: frozenset[str]
    suffixes: tuple[str, ...]

    @classmethod
    def parse(cls, entries: list[str]) -> AllowedHosts:
        """:raises SettingError: an entry is not a host name (an IDNA name that cannot be encoded)."""
        names = set()
        suffixes = []
        for entry in entries:
            name = entry.strip()
            suffix = name.startswith(".")
            name = name[1:] if suffix else name
            try:
                # A Host header carries a name in the blog's own language in its IDNA (xn--) form.
                name = host_key(name if name.isascii() else name.encode("idna").decode("ascii"))
            except UnicodeError as e:
                raise SettingError(f"MIKKE_ALLOWED_HOSTS: {entry!r} is not a host name ({e}).") from e
            names.add(name)
            if suffix:
                suffixes.append("." + name)
        return cls(frozenset(names), tuple(suffixes))

    def allow(self, host: str) -> bool:
        """Whether a request for ``host`` (its Host header, ``request.host``) is answered."""
        if not self.names:
            return True  # no names at all: no check, as werkzeug's TRUSTED_HOSTS did with an empty list
        name = host_key(host)
        return name in self.names or name.endswith(self.suffixes)


def init_app(app: Flask, settings: Settings) -> None:
    """Restrict the hosts ``app`` answers for, trust ``settings.proxy_hops`` proxies, and note the public URL.

    :raises SettingError: ``MIKKE_PUBLIC_URL`` is not an http(s) URL of a host.
    """
    public = public_url(settings.public_url)
    hosts = list(settings.allowed_hosts)
    host = urlsplit(public).hostname
    if host:
        hosts.append(host)
    # Checked here rather than by Flask's TRUSTED_HOSTS: werkzeug cuts each trusted name at its first
    # colon, so no IPv6 address ("::1", "[::1]") could ever match and such a server answered only 400s.
    allowed = AllowedHosts.parse(hosts)

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
