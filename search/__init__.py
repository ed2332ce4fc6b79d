"""mikke: Japanese full-text search for Jekyll blogs.

This module is the public API that the CLI and web/ use.
"""

from __future__ import annotations

from search.analysis import tag_key
from search.config import SETTINGS
from search.config import Setting
from search.config import Settings
from search.errors import IndexBuildError
from search.errors import IndexLocked
from search.errors import IndexMissing
from search.errors import SearchError
from search.errors import SettingError
from search.errors import SiteError
from search.indexer import IndexReport
from search.indexer import build_index
from search.query import SORTS
from search.query import all_tags
from search.query import list_posts
from search.query import search
from search.results import Hit
from search.results import IndexedPost
from search.results import SearchPage
from search.results import TagCount
from search.store import Store
from search.store import open_store
from search.syntax import parse_day

__version__ = "0.1.0"

__all__ = [
    "SETTINGS",
    "SORTS",
    "Hit",
    "IndexBuildError",
    "IndexLocked",
    "IndexMissing",
    "IndexReport",
    "IndexedPost",
    "SearchError",
    "SearchPage",
    "Setting",
    "SettingError",
    "Settings",
    "SiteError",
    "Store",
    "TagCount",
    "__version__",
    "all_tags",
    "build_index",
    "list_posts",
    "open_store",
    "parse_day",
    "search",
    "tag_key",
]
