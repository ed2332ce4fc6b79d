"""Settings, declared once as data: name, default and help, layered defaults -> MIKKE_* env -> flags.

Nothing reads the environment at import time; call :meth:`Settings.load`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mikke.search.errors import SettingError

ENV_PREFIX = "MIKKE_"
# The indexer's default memory (MB); build_index's own default too.
INDEX_MEMORY_MB = 1000

Number = int | float


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name (``MIKKE_<NAME>`` in the environment), default and help text; the command-line
    flag that sets it, where one does (``mikke --help`` and error messages name it); and, for a number, the
    values it may take, ``(low, high)`` inclusive (``None``: no limit on that side), checked wherever a value
    comes from."""

    name: str
    default: Any
    help: str
    flag: str = ""
    bounds: tuple[Number | None, Number | None] | None = None
    # A folder that must be named: an empty path is the current folder, where an index would be written
    # among whatever files are there.
    required: bool = False
    # A path: a leading ~ is the home folder. No shell expands it in a systemd EnvironmentFile, a crontab's
    # variables or --index=~/…, and a folder named "~" would be made in the current one instead.
    path: bool = False

    @property
    def variable(self) -> str:
        """Its environment variable, ``MIKKE_<NAME>``."""
        return ENV_PREFIX + self.name.upper()

    def range_text(self) -> str:
        """The values it takes, as help and the README say them (``1 to 64``, ``at least 1``); empty when
        any value of its type is."""
        low, high = self.bounds or (None, None)
        if low is not None and high is not None:
            return f"{low} to {high}"
        if low is not None:
            return f"at least {low}"
        return "" if high is None else f"at most {high}"


SETTINGS: tuple[Setting, ...] = (
    Setting("index", "index", "Folder of the on-disk index.", flag="--index", required=True, path=True),
    Setting(
        "site",
        ".",
        "Root folder of the Jekyll site to index (the folder holding _config.yml).",
        required=True,
        path=True,
    ),
    Setting(
        "site_url",
        "",
        "Where the site is served, e.g. http://127.0.0.1:4000 while trying it locally: `mikke index` links "
        "posts to it instead of _config.yml's `url` (the link is url + baseurl + permalink). Empty: `url`.",
        flag="--site-url",
    ),
    Setting(
        "include_hidden",
        False,
        "Also index posts with `sitemap: false` or `robots: noindex`.",
        flag="--include-hidden",
    ),
    Setting(
        "follow_symlinks",
        True,
        "Follow symbolic links that stay inside the site, as Jekyll's safe mode does (links leaving the "
        "site are never followed). False: skip every link.",
        flag="--follow-symlinks/--no-follow-symlinks",
    ),
    Setting(
        "template_min_posts",
        5,
        "A text block (paragraph, list item, heading) in at least this many posts, and in at least "
        "MIKKE_TEMPLATE_MIN_SHARE of them, is site template (adverts, contact prompts), not indexed.",
        # A block in one post only is that post's own text (template.py never goes below 2).
        bounds=(2, None),
    ),
    Setting(
        "template_min_share",
        0.02,
        "The share of posts a text block must also be in to count as site template.",
        bounds=(0, 1),
    ),
    Setting(
        "jobs",
        0,
        "Processes used to parse and analyse posts when indexing (0 = one per CPU core).",
        flag="--jobs",
        bounds=(0, 64),
    ),
    Setting(
        "index_memory_mb",
        INDEX_MEMORY_MB,
        "Memory (MB) each of `mikke index`'s two index writers may fill before it writes out a "
        "segment. A full build that fits leaves each index in one segment, which searches fastest (the "
        "memory is taken only as needed: about 20 MB more for 2,400 posts, 500 MB for 24,000).",
        flag="--memory-mb",
        # What tantivy accepts as the memory of one writer thread: at least 15 MB, below 4 GiB.
        bounds=(16, 4000),
    ),
    Setting("host", "127.0.0.1", "Address `mikke serve` listens on.", flag="--host"),
    Setting("port", 8000, "Port `mikke serve` listens on.", flag="--port", bounds=(1, 65535)),
    Setting(
        "workers",
        2,
        "Worker processes of `mikke serve` (each loads the dictionary once, about 150 MB).",
        flag="--workers",
        # Each worker holds its own dictionary: a mistyped count must not fork until memory runs out.
        bounds=(1, 64),
    ),
    Setting("threads", 4, "Threads per `mikke serve` worker.", bounds=(1, 64)),
    Setting(
        "per_page",
        10,
        "Results per page: of `mikke search`, of the search page, and of the API when a request gives no "
        "per_page.",
        flag="--limit",
        # No upper bound: `mikke search --limit` takes any number (search() reads no more hits than there
        # are posts); the web API clamps what a request asks to MIKKE_MAX_PER_PAGE.
        bounds=(1, None),
    ),
    Setting(
        "rerank",
        True,
        "Rerank the first hits of a query with the learned model of search/ranker.json "
        "(search/rerank.py; false: BM25 order).",
    ),
    Setting(
        "max_per_page",
        100,
        "Largest `per_page` the web API accepts (larger values are clamped).",
        bounds=(1, 1000),
    ),
    Setting(
        "max_query_chars",
        1000,
        "Queries longer than this many characters are cut (and say so).",
        bounds=(1, 100_000),
    ),
    Setting(
        "public_url",
        "",
        "The address readers reach mikke at (e.g. https://search.example.jp): the base of every absolute URL "
        "mikke writes, and a host it answers for. Empty: absolute URLs use the request's own address.",
    ),
    Setting(
        "allowed_hosts",
        ("localhost", "127.0.0.1", "::1"),
        "Host names (comma-separated) mikke answers for besides MIKKE_PUBLIC_URL's; a request for any other "
        "Host gets 400, so no client-chosen address reaches a page or a cache.",
    ),
    Setting(
        "proxy_hops",
        0,
        "Reverse proxies in front of mikke whose X-Forwarded-For/-Proto/-Host headers it trusts (0: none).",
        bounds=(0, 10),
    ),
    Setting(
        "metrics",
        True,
        "Serve request and index metrics for Prometheus at /metrics (false: no such endpoint).",
    ),
    Setting(
        "stats_dir",
        "",
        "Folder for private search statistics (an SQLite file): what readers search for and do not find, "
        "as daily counts; no address, user agent or cookie. Empty: off. Never inside the index folder.",
        flag="--stats-dir",
        path=True,
    ),
    Setting(
        "stats_days",
        90,
        "Days of search statistics kept; older days are dropped.",
        # Dates are counted back from today: a hundred years stays well inside what a date holds.
        bounds=(1, 36_500),
    ),
    Setting(
        "allowed_origins",
        (),
        "Origins (comma-separated; scheme, host and port, no path: e.g. https://blog.example.jp) allowed to "
        "call the API from a browser (CORS). Empty: none.",
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
        raise SettingError(f"{setting.variable} must be true or false, not {value!r}.")
    if isinstance(default, int):
        try:
            number: Number = int(value)
        except (TypeError, ValueError):
            raise SettingError(f"{setting.variable} must be a whole number, not {value!r}.") from None
        return _in_bounds(setting, number)
    if isinstance(default, float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SettingError(f"{setting.variable} must be a number, not {value!r}.") from None
        return _in_bounds(setting, number)
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(value)
    text = str(value)
    if setting.required and not text.strip():
        raise SettingError(
            f"{_who(setting)} is empty; name a folder (or leave it unset for the default, {setting.default})."
        )
    return os.path.expanduser(text) if setting.path else text


def _in_bounds(setting: Setting, number: Number) -> Number:
    """``number`` if the setting takes it, else a SettingError naming the variable (and its flag)."""
    low, high = setting.bounds or (None, None)
    # Written so that NaN, which compares false with everything, is refused too.
    if (low is None or number >= low) and (high is None or number <= high):
        return number
    within = ("from " if low is not None and high is not None else "") + setting.range_text()
    raise SettingError(f"{_who(setting)} must be {within}, not {number}.")


def _who(setting: Setting) -> str:
    """The setting as a message names it: its variable, and its flag where there is one."""
    return setting.variable + (f" ({setting.flag})" if setting.flag else "")


def checked_setting(name: str, value: Any) -> Any:
    """``value`` as setting ``name`` takes it (converted to its type, within its bounds).

    For core functions that take one setting's value as an argument, so they refuse what the setting does.
    :raises SettingError: the value has the wrong type or is out of the setting's bounds.
    """
    return _coerce(_BY_NAME[name], value)


def env_setting(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The value of one setting from its ``MIKKE_*`` environment variable, else its default.

    For code that needs one setting without the others (whose values might be invalid).
    :param env: the environment to read (``os.environ`` when ``None``).
    :raises SettingError: the variable's value has the wrong type.
    """
    setting = _BY_NAME[name]
    env_value = (os.environ if env is None else env).get(setting.variable)
    return setting.default if env_value is None else _coerce(setting, env_value)


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective settings. Build with :meth:`load`; fields mirror :data:`SETTINGS`."""

    index: str
    site: str
    site_url: str
    include_hidden: bool
    follow_symlinks: bool
    template_min_posts: int
    template_min_share: float
    jobs: int
    index_memory_mb: int
    host: str
    port: int
    workers: int
    threads: int
    per_page: int
    rerank: bool
    max_per_page: int
    max_query_chars: int
    public_url: str
    allowed_hosts: tuple[str, ...]
    proxy_hops: int
    metrics: bool
    stats_dir: str
    stats_days: int
    allowed_origins: tuple[str, ...]

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Layer the defaults, then ``MIKKE_*`` environment variables, then ``overrides``.

        :param env: the environment to read (``os.environ`` when ``None``).
        :param overrides: values from flags or ``create_app(test_config)``; ``None`` means "not given".
        :raises SettingError: a value has the wrong type, or an override names no setting.
        """
        values = {setting.name: env_setting(setting.name, env) for setting in SETTINGS}
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
