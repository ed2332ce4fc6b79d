"""mikke: Japanese full-text search for Jekyll blogs.

This module is the public API that the CLI and web/ use.
"""

from __future__ import annotations

from mikke.search.analysis import tag_key
from mikke.search.config import SETTINGS
from mikke.search.config import Setting
from mikke.search.config import Settings
from mikke.search.errors import IndexBuildError
from mikke.search.errors import IndexLocked
from mikke.search.errors import IndexMissing
from mikke.search.errors import SearchError
from mikke.search.errors import SettingError
from mikke.search.errors import SiteError
from mikke.search.indexer import IndexReport
from mikke.search.indexer import build_index
from mikke.search.query import SORTS
from mikke.search.query import all_tags
from mikke.search.query import list_posts
from mikke.search.query import search
from mikke.search.query import suggest
from mikke.search.results import Hit
from mikke.search.results import IndexedPost
from mikke.search.results import SearchPage
from mikke.search.results import Suggestions
from mikke.search.results import TagCount
from mikke.search.store import Store
from mikke.search.store import open_store
from mikke.search.syntax import parse_day

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
    "Suggestions",
    "TagCount",
    "__version__",
    "all_tags",
    "build_index",
    "list_posts",
    "open_store",
    "parse_day",
    "search",
    "suggest",
    "tag_key",
]
