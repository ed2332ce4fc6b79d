"""The Flask web layer of mikke: search page, JSON API, health and OpenSearch, over ``search``'s public API.

Build the app with :func:`create_app`; nothing is opened or read at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from mikke.search import SETTINGS
from mikke.search import SettingError
from mikke.search import Settings

CONFIG_PREFIX = "SEARCH_"
# The stylesheet base.html inlines: one request fewer before the first paint of a cold search. The
# embed on the blog links the same file instead.
INLINE_STYLESHEET = "style.css"
_SETTING_NAMES = frozenset(s.name for s in SETTINGS)


def settings_from_config(config: Mapping[str, Any]) -> Settings:
    """Return the effective settings for an app configured with ``config``.

    ``SEARCH_SETTINGS`` (a :class:`~search.Settings`) is the base when given; otherwise the defaults
    and ``MIKKE_*`` environment variables are. Then every ``SEARCH_<NAME>`` key overrides setting
    ``<name>`` (``SEARCH_INDEX``, ``SEARCH_PER_PAGE``, ``SEARCH_ALLOWED_ORIGINS``…);
    ``SEARCH_INDEX_PATH`` is an alias of ``SEARCH_INDEX``.

    :raises SettingError: a ``SEARCH_*`` key names no setting, or a value has the wrong type.
    """
    overrides: dict[str, Any] = {}
    for key, value in config.items():
        if not key.startswith(CONFIG_PREFIX) or key == "SEARCH_SETTINGS":
            continue
        name = "index" if key == "SEARCH_INDEX_PATH" else key[len(CONFIG_PREFIX) :].lower()
        overrides[name] = value
    unknown = sorted(set(overrides) - _SETTING_NAMES)
    if unknown:
        known = ", ".join(CONFIG_PREFIX + s.name.upper() for s in SETTINGS)
        raise SettingError(f"Unknown config key {CONFIG_PREFIX + unknown[0].upper()!r}; known keys: {known}.")
    base = config.get("SEARCH_SETTINGS")
    if isinstance(base, Settings):
        return base.replace(**overrides)
    return Settings.load(**overrides)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the mikke web app.

    :param test_config: Flask config values (``TESTING``…) plus mikke settings as ``SEARCH_<NAME>`` keys
        or a whole ``SEARCH_SETTINGS`` object; see :func:`settings_from_config`. Without it, settings
        come from the defaults and ``MIKKE_*`` environment variables.
    :return: the app; its index Store and settings are in ``app.extensions["mikke"]``.
    """
    from mikke.web import addresses
    from mikke.web import answers
    from mikke.web import api
    from mikke.web import assets
    from mikke.web import errors
    from mikke.web import feeds
    from mikke.web import headers
    from mikke.web import meta
    from mikke.web import observe
    from mikke.web import pages
    from mikke.web import stats
    from mikke.web import store

    app = Flask(__name__, static_folder=None)  # web/assets.py serves web/static/ from memory
    if test_config:
        app.config.from_mapping(test_config)
    settings = settings_from_config(app.config)
    # Mirror the effective settings in app.config, where Flask code expects configuration to be.
    app.config.update({CONFIG_PREFIX + s.name.upper(): getattr(settings, s.name) for s in SETTINGS})
    # Raw UTF-8 keeps Japanese JSON half the size of \\u escapes; order as in SearchPage.to_json().
    # These are options of Flask's DefaultJSONProvider; app.json is typed as the JSONProvider base class.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]
    observe.init_app(app, metrics=settings.metrics)  # first: ProxyFix (addresses) must wrap it
    addresses.init_app(app, settings)

    answers.init_app(app, settings)
    store.init_app(app, settings)
    stats.init_app(app, settings)
    errors.init_app(app)
    inline_styles = assets.init_app(app, inline=(INLINE_STYLESHEET,))
    headers.init_app(app, settings.allowed_origins, inline_styles=inline_styles, site_url=settings.site_url)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(feeds.bp)
    # Compile the templates now, in each worker, rather than during some reader's first search.
    for name in ("search.html", "results.html", "error.html", "opensearch.xml", "feed.atom.xml"):
        app.jinja_env.get_template(name)
    return app


__all__ = ["create_app", "settings_from_config"]
