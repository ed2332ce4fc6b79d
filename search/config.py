"""Settings, declared once as data: name, default and help, layered defaults -> MIKKE_* env -> flags.

Nothing reads the environment at import time; call :meth:`Settings.load`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from search.errors import SettingError

ENV_PREFIX = "MIKKE_"


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name (``MIKKE_<NAME>`` in the environment), default and help text."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("index", "index", "Folder of the on-disk index."),
    Setting("site", ".", "Root folder of the Jekyll site to index (the folder holding _config.yml)."),
    Setting("include_hidden", False, "Also index posts with `sitemap: false` or `robots: noindex`."),
    Setting(
        "follow_symlinks",
        True,
        "Follow symbolic links that stay inside the site, as Jekyll's safe mode does (links leaving the "
        "site are never followed). False: skip every link.",
    ),
    Setting("jobs", 0, "Processes used to parse and analyse posts when indexing (0 = one per CPU core)."),
    Setting("host", "127.0.0.1", "Address `mikke serve` listens on."),
    Setting("port", 8000, "Port `mikke serve` listens on."),
    Setting("workers", 2, "Worker processes of `mikke serve` (each loads the dictionary once)."),
    Setting("threads", 4, "Threads per `mikke serve` worker."),
    Setting("per_page", 10, "Results per page when the request does not say."),
    Setting("max_per_page", 100, "Largest `per_page` the web API accepts (larger values are clamped)."),
    Setting("max_query_chars", 1000, "Queries longer than this many characters are cut (and say so)."),
    Setting(
        "allowed_origins",
        (),
        "Origins (comma-separated, e.g. https://blog.example.jp) allowed to call the API from a browser "
        "(CORS). Empty: none.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any) -> Any:
    """Convert ``value`` (often a string from the environment) to the type of the setting's default."""
    default = setting.default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingError(f"{ENV_PREFIX}{setting.name.upper()} must be true or false, not {value!r}.")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingError(
                f"{ENV_PREFIX}{setting.name.upper()} must be a whole number, not {value!r}."
            ) from None
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective settings. Build with :meth:`load`; fields mirror :data:`SETTINGS`."""

    index: str
    site: str
    include_hidden: bool
    follow_symlinks: bool
    jobs: int
    host: str
    port: int
    workers: int
    threads: int
    per_page: int
    max_per_page: int
    max_query_chars: int
    allowed_origins: tuple[str, ...]

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Layer the defaults, then ``MIKKE_*`` environment variables, then ``overrides``.

        :param env: the environment to read (``os.environ`` when ``None``).
        :param overrides: values from flags or ``create_app(test_config)``; ``None`` means "not given".
        :raises SettingError: a value has the wrong type, or an override names no setting.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            value = setting.default
            env_value = env.get(ENV_PREFIX + setting.name.upper())
            if env_value is not None:
                value = _coerce(setting, env_value)
            values[setting.name] = value
        for name, value in overrides.items():
            if name not in _BY_NAME:
                raise SettingError(f"Unknown setting {name!r}; known settings: {', '.join(_BY_NAME)}.")
            if value is not None:
                values[name] = _coerce(_BY_NAME[name], value)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied (coerced like overrides)."""
        return dataclasses.replace(
            self, **{k: _coerce(_BY_NAME[k], v) for k, v in changes.items() if v is not None}
        )
