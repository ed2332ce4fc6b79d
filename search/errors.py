"""Errors mikke reports to users: each carries a full sentence that says what to do next."""

from __future__ import annotations


class SearchError(Exception):
    """Base class: ``str(error)`` is a user-facing message."""


class IndexMissing(SearchError):
    """There is no index at the given path."""


class IndexLocked(SearchError):
    """Another ``mikke index`` or ``mikke ship`` is writing this index (or copying it)."""


class IndexBuildError(SearchError):
    """Building or updating the index failed; the previous index is untouched."""


class SiteError(SearchError):
    """The site cannot be read at all (missing folder, unreadable ``_config.yml``)."""


class SettingError(SearchError):
    """A setting (environment variable or flag) has an invalid value."""
