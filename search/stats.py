"""Private search statistics: settled queries, normalised by the search's own analysis, counted per day in
an SQLite file that several server processes write at once (WAL); nothing about the reader is stored.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from mikke.search.analysis import get_analyzer
from mikke.search.analysis import tag_key
from mikke.search.errors import SettingError
from mikke.search.syntax import parse_user_query

STATS_FILE = "mikke-stats.sqlite3"
# A query spelling stored (and shown) is cut to this many characters; so is its key.
MAX_QUERY_CHARS = 100
# Filters of one search counted, as many as a search can have (web/params.py).
MAX_FILTERS = 20
# A query is offered to readers as popular only once this many searches asked it: a query one person
# typed once (a name, an address) is never shown to others.
POPULAR_MIN_SEARCHES = 3
# The most searched queries asked whether they may be shown, at most (each costs a query's analysis).
POPULAR_CANDIDATES = 100
# Rows per list a report shows at most (`mikke stats --limit`): SQLite takes no LIMIT beyond 64 bits.
MAX_REPORT_ROWS = 10_000
# How long a writer waits for another process's transaction before giving up (seconds).
BUSY_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    day TEXT NOT NULL,        -- UTC date, YYYY-MM-DD
    key TEXT NOT NULL,        -- the query's words as the search analyses them (読んだ and 読む: 読む)
    query TEXT NOT NULL,      -- one spelling of it, as typed (trimmed)
    searches INTEGER NOT NULL,
    empty INTEGER NOT NULL,   -- of those, searches that found nothing
    results INTEGER NOT NULL, -- the number of results of the latest one that day
    PRIMARY KEY (day, key, query)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filters (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,       -- "tag" or "category"
    key TEXT NOT NULL,        -- normalised as the index keys it
    searches INTEGER NOT NULL,
    PRIMARY KEY (day, kind, key)
) WITHOUT ROWID;
"""

_COUNT_SEARCH = (
    "INSERT INTO searches VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (day, key, query) DO UPDATE "
    "SET searches = searches + 1, empty = empty + excluded.empty, results = excluded.results"
)

_TOP_FILTERS = (
    "SELECT kind, key, SUM(searches) AS n FROM filters WHERE day >= ? GROUP BY kind, key "
    "ORDER BY n DESC, kind, key LIMIT ?"
)


def query_key(text: str) -> str:
    """What a query counts as: its content words in Sudachi's normalised form, in order, so that 読んだ and
    読む, or ｹﾝｻｸ and ケンサク, count together; excluded ``-words`` are left out. A query of function words
    keeps them; one with no word at all counts as its trimmed, lower-cased text."""
    parsed = parse_user_query(text)
    wanted = " ".join([parsed.text, *parsed.phrases])
    units = get_analyzer().analyze(wanted[: MAX_QUERY_CHARS * 4]).units
    words = [u.coarse.text for u in units if not u.coarse.is_function_word] or [u.coarse.text for u in units]
    key = " ".join(words) if words else " ".join(text.split()).lower()
    return key[:MAX_QUERY_CHARS]


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _first_day(days: int, today: str | None = None) -> str:
    """The first day of the last ``days`` days, today included."""
    end = datetime.fromisoformat(today or _today())
    return (end - timedelta(days=max(days, 1) - 1)).date().isoformat()


@dataclass(frozen=True, slots=True)
class QueryCount:
    query: str  # the spelling most searched among those counted together
    key: str
    searches: int
    empty: int  # searches that found nothing
    results: int  # the number of results on the latest day it was searched (the most, if they differed)

    def to_json(self) -> dict[str, object]:
        return {
            "query": self.query,
            "key": self.key,
            "searches": self.searches,
            "empty": self.empty,
            "results": self.results,
        }


@dataclass(frozen=True, slots=True)
class FilterCount:
    kind: str
    key: str
    searches: int

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "key": self.key, "searches": self.searches}


@dataclass(frozen=True, slots=True)
class StatsReport:
    """What ``mikke stats`` prints: the top queries, those that found nothing, the filters most used."""

    days: int
    since: str
    searches: int
    top: tuple[QueryCount, ...]
    no_results: tuple[QueryCount, ...]
    filters: tuple[FilterCount, ...]
    # The statistics file when it is not there yet (no server counted a search with this folder): a
    # mistyped folder would otherwise read as "nobody searched". Not in the JSON, whose shape stays.
    missing: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "days": self.days,
            "since": self.since,
            "searches": self.searches,
            "top": [q.to_json() for q in self.top],
            "no_results": [q.to_json() for q in self.no_results],
            "filters": [f.to_json() for f in self.filters],
        }


def stats_path(stats_dir: str | os.PathLike[str], index: str | os.PathLike[str] | None = None) -> Path:
    """The statistics file in ``stats_dir``.

    :raises SettingError: ``stats_dir`` is, or is inside, the index folder (a server never writes there).
    """
    folder = Path(stats_dir).expanduser().resolve()
    if index is not None:
        root = Path(index).expanduser().resolve()
        if folder == root or root in folder.parents:
            raise SettingError(
                f"MIKKE_STATS_DIR ({folder}) must not be inside the index folder ({root}): the server never "
                "writes there. Choose another folder, e.g. /var/lib/mikke/stats."
            )
    return folder / STATS_FILE


def check_stats_dir(stats_dir: str, index: str | os.PathLike[str] | None = None) -> None:
    """Refuse, before a command uses it, a ``MIKKE_STATS_DIR`` that cannot be the statistics' folder.

    A running server only logs what it cannot count (a search never fails for its statistics), and
    reading a file that is not there reports no searches: the statistics file itself, or any file, given
    for the folder would read as "0 searches" in ``mikke stats`` and count nothing in ``mikke serve``.

    :raises SettingError: :func:`stats_path`'s, or the folder (or the nearest parent of it that exists)
        is not a folder.
    """
    if not stats_dir.strip():
        return
    folder = stats_path(stats_dir, index).parent
    existing = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), None)
    if existing is not None and not existing.is_dir():
        raise SettingError(
            f"MIKKE_STATS_DIR ({folder}) cannot hold the search statistics: {existing} is not a folder. Give "
            f"the folder the server keeps them in (it writes {STATS_FILE} there), e.g. /var/lib/mikke/stats."
        )


class SearchStats:
    """The statistics file of one process: opened on first use (again after a fork), one connection shared
    by the process's threads under a lock; every write is one short transaction, so processes take turns.
    """

    def __init__(self, path: str | os.PathLike[str], *, days: int = 90) -> None:
        self.path = Path(path)
        self.days = max(1, days)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._pruned = ""

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit (isolation_level None): transactions are the explicit BEGIN IMMEDIATE below.
            conn = sqlite3.connect(
                self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints only: a crash may lose the last counts, never corrupt.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def record(
        self,
        query: str,
        results: int,
        *,
        tags: Iterable[str] = (),
        categories: Iterable[str] = (),
        day: str | None = None,
    ) -> None:
        """Count one settled search: ``query`` (any text) that found ``results`` posts, with its filters."""
        day = day or _today()
        key = query_key(query) if query.strip() else ""
        shown = " ".join(query.split())[:MAX_QUERY_CHARS]
        labels = [("tag", tag_key(t)) for t in tags] + [("category", tag_key(c)) for c in categories]
        labels = list(dict.fromkeys((kind, k) for kind, k in labels if k))[:MAX_FILTERS]
        if not key and not labels:
            return
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if key:
                    conn.execute(_COUNT_SEARCH, (day, key, shown, int(results == 0), results))
                conn.executemany(
                    "INSERT INTO filters VALUES (?, ?, ?, 1) ON CONFLICT (day, kind, key) DO UPDATE "
                    "SET searches = searches + 1",
                    [(day, kind, k) for kind, k in labels],
                )
                if self._pruned != day:
                    self._prune(conn, day)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._pruned = day

    def _prune(self, conn: sqlite3.Connection, today: str) -> None:
        first = _first_day(self.days, today)
        conn.execute("DELETE FROM searches WHERE day < ?", (first,))
        conn.execute("DELETE FROM filters WHERE day < ?", (first,))

    def _queries(self, since: str) -> list[QueryCount]:
        """Every query key counted since ``since``, most searched first, with its most used spelling."""
        if not self.path.exists():
            return []  # nothing counted yet; reading never creates the file (the server must own it)
        with self._lock:
            conn = self._connection()
            rows = conn.execute(
                "SELECT key, query, SUM(searches), SUM(empty), MAX(day || ' ' || printf('%012d', results)) "
                "FROM searches WHERE day >= ? GROUP BY key, query",
                (since,),
            ).fetchall()
        spellings: dict[str, Counter[str]] = {}
        totals: Counter[str] = Counter()
        empties: Counter[str] = Counter()
        latest: dict[str, str] = {}
        for key, query, searches, empty, last in rows:
            spellings.setdefault(key, Counter())[query] += searches
            totals[key] += searches
            empties[key] += empty
            latest[key] = max(latest.get(key, ""), last)
        counts = [
            QueryCount(
                query=min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0],
                key=key,
                searches=searches,
                empty=empties[key],
                results=int(latest[key].split(" ")[1]),
            )
            for key, searches in totals.items()
        ]
        counts.sort(key=lambda c: (-c.searches, c.key))
        return counts

    def report(self, *, days: int | None = None, limit: int = 20) -> StatsReport:
        """The last ``days`` days (default: all kept): top queries, queries with no results, top filters."""
        days = max(1, days or self.days)
        since = _first_day(days)
        queries = self._queries(since)
        rows: list[tuple[str, str, int]] = []
        with self._lock:
            if self.path.exists():
                rows = self._connection().execute(_TOP_FILTERS, (since, limit)).fetchall()
        no_results = sorted((q for q in queries if q.empty), key=lambda q: (-q.empty, q.key))
        return StatsReport(
            days=days,
            since=since,
            searches=sum(q.searches for q in queries),
            top=tuple(queries[:limit]),
            no_results=tuple(no_results[:limit]),
            filters=tuple(FilterCount(kind, key, int(n)) for kind, key, n in rows),
            missing="" if self.path.exists() else str(self.path),
        )

    def popular(self, *, limit: int = 10, shown: Callable[[str], bool] | None = None) -> list[QueryCount]:
        """The queries most searched over the kept days that found something, each asked at least
        POPULAR_MIN_SEARCHES times: what the empty search page offers.

        :param shown: whether a query may be shown to readers (search.says_only_what_posts_say); asked
            of the POPULAR_CANDIDATES most searched at most, so that the work stays bounded.
        """
        found = [
            q
            for q in self._queries(_first_day(self.days))
            if q.results > 0 and q.searches >= POPULAR_MIN_SEARCHES
        ]
        if shown is None:
            return found[:limit]
        return list(itertools.islice((q for q in found[:POPULAR_CANDIDATES] if shown(q.query)), limit))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def open_stats(
    stats_dir: str, *, days: int, index: str | os.PathLike[str] | None = None
) -> SearchStats | None:
    """The statistics of ``stats_dir`` (``MIKKE_STATS_DIR``), or ``None`` when it is empty (statistics off).

    :raises SettingError: the folder is inside the index folder.
    """
    if not stats_dir.strip():
        return None
    return SearchStats(stats_path(stats_dir, index), days=days)
