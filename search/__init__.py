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
from mikke.search.query import says_only_what_posts_say
from mikke.search.query import search
from mikke.search.query import suggest
from mikke.search.related import DEFAULT_LIMIT as RELATED_LIMIT
from mikke.search.related import MAX_LIMIT as RELATED_MAX_LIMIT
from mikke.search.related import DataFileError
from mikke.search.related import PostNotFound
from mikke.search.related import all_related
from mikke.search.related import related_posts
from mikke.search.related import write_jekyll_data
from mikke.search.results import Hit
from mikke.search.results import IndexedPost
from mikke.search.results import RelatedPost
from mikke.search.results import RelatedPosts
from mikke.search.results import SearchPage
from mikke.search.results import Suggestions
from mikke.search.results import TagCount
from mikke.search.serving import AllowedHosts
from mikke.search.serving import allowed_hosts
from mikke.search.serving import allowed_origins
from mikke.search.serving import check_serve_settings
from mikke.search.serving import public_url
from mikke.search.stats import SearchStats
from mikke.search.stats import StatsReport
from mikke.search.stats import open_stats
from mikke.search.store import REOPEN_RETRY_SECONDS
from mikke.search.store import Store
from mikke.search.store import open_store
from mikke.search.syntax import parse_day
from mikke.search.syntax import parse_optional_day
from mikke.search.syntax import without_unprintable

__version__ = "0.1.0"

__all__ = [
    "RELATED_LIMIT",
    "RELATED_MAX_LIMIT",
    "REOPEN_RETRY_SECONDS",
    "SETTINGS",
    "SORTS",
    "AllowedHosts",
    "DataFileError",
    "Hit",
    "IndexBuildError",
    "IndexLocked",
    "IndexMissing",
    "IndexReport",
    "IndexedPost",
    "PostNotFound",
    "RelatedPost",
    "RelatedPosts",
    "SearchError",
    "SearchPage",
    "SearchStats",
    "Setting",
    "SettingError",
    "Settings",
    "SiteError",
    "StatsReport",
    "Store",
    "Suggestions",
    "TagCount",
    "__version__",
    "all_related",
    "all_tags",
    "allowed_hosts",
    "allowed_origins",
    "build_index",
    "check_serve_settings",
    "list_posts",
    "open_stats",
    "open_store",
    "parse_day",
    "parse_optional_day",
    "public_url",
    "related_posts",
    "says_only_what_posts_say",
    "search",
    "suggest",
    "tag_key",
    "without_unprintable",
    "write_jekyll_data",
]
