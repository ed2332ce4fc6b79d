"""Checks of the settings only ``mikke serve``'s app reads, made once before the server starts.

The app reads them in each worker; a value it refuses there would end every worker (gunicorn: "Worker
failed to boot") with a traceback apiece, instead of one line from the command.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mikke.search.config import Settings
from mikke.search.errors import SettingError
from mikke.search.stats import stats_path


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


def check_serve_settings(settings: Settings) -> None:
    """Refuse what the server's app would refuse in every worker: ``MIKKE_PUBLIC_URL`` that is not an
    http(s) URL of a host, ``MIKKE_STATS_DIR`` inside the index folder.

    :raises SettingError: one of them, in one line.
    """
    public_url(settings.public_url)
    if settings.stats_dir.strip():
        stats_path(settings.stats_dir, settings.index)
