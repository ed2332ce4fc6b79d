"""The settings only ``mikke serve``'s app reads (its public URL, the hosts it answers), and their checks,
made once before the server starts: a value the app refused in each worker would end every worker
(gunicorn: "Worker failed to boot") with a traceback apiece, instead of one line from the command.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mikke.search.config import Settings
from mikke.search.errors import SettingError
from mikke.search.stats import check_stats_dir


def public_url(value: str) -> str:
    """``MIKKE_PUBLIC_URL`` without its trailing slash (empty when unset), checked to be an http(s) URL of a
    host: the base of every absolute URL mikke writes.

    :raises SettingError: it is set but not such a URL.
    """
    public = value.strip().rstrip("/")
    if public:
        try:
            parts = urlsplit(public)
            scheme, host = parts.scheme, parts.hostname
        except ValueError:  # a malformed IPv6 address: http://[x
            scheme, host = "", None
        if scheme not in {"http", "https"} or not host:
            raise SettingError(
                f"MIKKE_PUBLIC_URL must be like https://search.example.jp, not {value.strip()!r}."
            )
    return public


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


def allowed_hosts(settings: Settings) -> AllowedHosts:
    """The hosts requests may name: ``MIKKE_ALLOWED_HOSTS`` and ``MIKKE_PUBLIC_URL``'s host.

    :raises SettingError: either is not what it should be.
    """
    hosts = list(settings.allowed_hosts)
    host = urlsplit(public_url(settings.public_url)).hostname
    if host:
        hosts.append(host)
    return AllowedHosts.parse(hosts)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def allowed_origins(entries: Iterable[str]) -> frozenset[str]:
    """``MIKKE_ALLOWED_ORIGINS`` as a browser writes its ``Origin`` header, so that each entry can match:
    ``scheme://host[:port]``, lowercase, IDNA-encoded, without the scheme's default port or a trailing slash.

    :raises SettingError: an entry is not an http(s) origin (a path, no scheme, ``*``): it would never match,
        and the blog's searches would fail in every reader's browser with nothing said on the server.
    """
    origins = set()
    for entry in entries:
        written = entry.strip()
        try:
            parts = urlsplit(written)
            host, port = parts.hostname, parts.port
            if host and not host.isascii():
                host = host.encode("idna").decode("ascii")
        except (ValueError, UnicodeError):  # a port that is no number, a malformed IPv6 address or name
            host, port = None, None
        if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
            raise SettingError(
                f"MIKKE_ALLOWED_ORIGINS: {written!r} is not an origin; write the blog's scheme, host and "
                "port, like https://blog.example.jp."
            )
        scheme = parts.scheme.lower()
        origin = f"{scheme}://{f'[{host}]' if ':' in host else host}"
        if port is not None and port != _DEFAULT_PORTS[scheme]:
            origin += f":{port}"
        if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
            raise SettingError(
                f"MIKKE_ALLOWED_ORIGINS: {written!r} is not an origin (a browser names only the scheme, "
                f"host and port of the page); write {origin!r}."
            )
        origins.add(origin)
    return frozenset(origins)


def check_listen_address(host: str, port: int) -> None:
    """Refuse, in one line, an address ``mikke serve`` cannot listen on (gunicorn would retry it for five
    seconds, logging each try, and end without saying which setting to change).

    Bound as gunicorn binds it (IPv6 for an address with a colon, else IPv4; SO_REUSEADDR, so a port
    still in TIME_WAIT from a server just stopped counts as free), then released at once.

    :raises SettingError: the host is no name or address of this machine, the port is taken, or it needs
        privileges this process lacks.
    """
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except (socket.gaierror, UnicodeError) as e:
            reason = (e.strerror if isinstance(e, socket.gaierror) else None) or str(e)
            raise SettingError(
                f"Cannot listen on {where}: MIKKE_HOST (--host) {host!r} is not a name of this machine "
                f"({reason}); use 127.0.0.1, or 0.0.0.0 for every address."
            ) from None
        except OSError as e:
            other_port = "choose another MIKKE_PORT (--port)"
            reasons: dict[int | None, str] = {
                errno.EADDRINUSE: f"another program listens there; stop it or {other_port}",
                errno.EACCES: f"ports below 1024 need privileges; {other_port}",
                errno.EADDRNOTAVAIL: f"MIKKE_HOST (--host) {host!r} is not an address of this machine",
            }
            reason = reasons.get(e.errno) or e.strerror or str(e)
            raise SettingError(f"Cannot listen on {where}: {reason}.") from None


def check_serve_settings(settings: Settings) -> None:
    """Refuse what the server's app would refuse in every worker: ``MIKKE_PUBLIC_URL`` that is not an
    http(s) URL of a host, a name in ``MIKKE_ALLOWED_HOSTS`` that is none, an entry of
    ``MIKKE_ALLOWED_ORIGINS`` that is no origin, ``MIKKE_STATS_DIR`` inside the index folder or a file; and an
    address it cannot listen on.

    :raises SettingError: one of them, in one line.
    """
    allowed_hosts(settings)
    allowed_origins(settings.allowed_origins)
    check_stats_dir(settings.stats_dir, settings.index)
    check_listen_address(settings.host, settings.port)
