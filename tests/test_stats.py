"""Private search statistics: what a query counts as, daily counts several processes write, what is kept."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from mikke.search import SettingError
from mikke.search.stats import POPULAR_CANDIDATES
from mikke.search.stats import POPULAR_MIN_SEARCHES
from mikke.search.stats import SearchStats
from mikke.search.stats import _first_day
from mikke.search.stats import _today
from mikke.search.stats import check_stats_dir
from mikke.search.stats import open_stats
from mikke.search.stats import query_key
from mikke.search.stats import stats_path


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("読んだ", "読む"),
        ("図書館で本を読んだ", "図書館 本 読む"),
        ("ｹﾝｻｸ", "ケンサク"),
        ("  Python  ", "python"),
    ],
)
def test_forms_of_one_query_count_together(a: str, b: str) -> None:
    assert query_key(a) == query_key(b)


def test_excluded_words_do_not_count_and_phrases_do() -> None:
    assert query_key('"全文検索" -漫画 本') == query_key("本 全文検索")
    assert query_key("の") == "の"  # a query of function words only keeps them
    assert query_key("!!!") == "!!!"


def stats_at(tmp_path: Path, days: int = 90) -> SearchStats:
    return SearchStats(tmp_path / "stats" / "s.sqlite3", days=days)


def test_report_counts_top_queries_queries_with_no_results_and_filters(tmp_path: Path) -> None:
    stats = stats_at(tmp_path)
    stats.record("読んだ本", 3, tags=["Python"])
    stats.record("読んだ本", 4)
    stats.record("読む本", 4, tags=["python", "東京"], categories=["日記"])
    stats.record("量子コンピュータ", 0)
    stats.record("量子コンピュータ", 0)
    stats.record("", 9, tags=["東京"])  # a filter alone: no query counted
    report = stats.report()
    assert [(q.query, q.searches, q.results) for q in report.top] == [
        ("読んだ本", 3, 4),
        ("量子コンピュータ", 2, 0),
    ]
    assert report.searches == 5
    assert [(q.query, q.empty) for q in report.no_results] == [("量子コンピュータ", 2)]
    assert [(f.kind, f.key, f.searches) for f in report.filters] == [
        ("tag", "python", 2),
        ("tag", "東京", 2),
        ("category", "日記", 1),
    ]


def test_days_older_than_the_setting_are_dropped(tmp_path: Path) -> None:
    stats = stats_at(tmp_path, days=7)
    old, kept = _first_day(8), _first_day(7)
    stats.record("古い", 1, day=old, tags=["古"])
    stats.record("まだ", 1, day=kept)
    stats.record("今日", 1)  # a new day prunes
    with sqlite3.connect(stats.path) as conn:
        days = {d for (d,) in conn.execute("SELECT day FROM searches UNION SELECT day FROM filters")}
    assert days == {kept, _today()}
    assert [q.query for q in stats.report(days=1).top] == ["今日"]


def test_popular_queries_found_something_and_were_searched_several_times(tmp_path: Path) -> None:
    stats = stats_at(tmp_path)
    for _ in range(POPULAR_MIN_SEARCHES + 1):
        stats.record("猫", 5)
    for _ in range(POPULAR_MIN_SEARCHES):
        stats.record("犬", 2)
        stats.record("見つからない言葉", 0)
    for _ in range(POPULAR_MIN_SEARCHES - 1):
        stats.record("山田太郎の住所", 1)  # asked by too few searches to show anyone
    assert [q.query for q in stats.popular()] == ["猫", "犬"]


def test_nothing_about_the_reader_is_stored(tmp_path: Path) -> None:
    stats = stats_at(tmp_path)
    stats.record("猫", 1, tags=["a"])
    with sqlite3.connect(stats.path) as conn:
        columns = {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert columns == {
        "searches": ["day", "key", "query", "searches", "empty", "results"],
        "filters": ["day", "kind", "key", "searches"],
    }


@pytest.mark.parametrize("inside", ["", "stats", "stats/deeper"])
def test_statistics_never_go_into_the_index_folder(tmp_path: Path, inside: str) -> None:
    index = tmp_path / "index"
    with pytest.raises(SettingError, match="must not be inside the index folder"):
        stats_path(index / inside, index)
    assert open_stats("", days=90, index=index) is None
    assert stats_path(tmp_path / "stats", index) == (tmp_path / "stats" / "mikke-stats.sqlite3").resolve()


def _write(path: str, worker: int, searches: int) -> None:
    stats = SearchStats(path)
    for n in range(searches):
        stats.record(f"言葉{n % 5}", n % 3, tags=[f"t{worker}"])


def test_processes_writing_at_once_lose_no_count(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    SearchStats(path).record("準備", 1)  # the file exists before the race
    workers, searches = 4, 150
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(path, w, searches)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    report = SearchStats(path).report(limit=100)
    assert sum(q.searches for q in report.top) == workers * searches + 1
    assert sorted(f.searches for f in report.filters) == [searches] * workers


def test_reading_statistics_never_creates_the_file(tmp_path: Path) -> None:
    stats = stats_at(tmp_path)
    report = stats.report()
    assert (report.searches, report.top, report.filters) == (0, (), ())
    assert stats.popular() == []
    assert not stats.path.parent.exists()  # the server, not whoever reads first, creates and owns it


def test_popular_queries_ask_whether_each_may_be_shown_of_a_bounded_number(tmp_path: Path) -> None:
    stats = stats_at(tmp_path)
    for n in range(POPULAR_CANDIDATES + 5):
        for _ in range(POPULAR_MIN_SEARCHES):
            stats.record(f"言葉{n}", 1)
    most_searched = [q.query for q in stats.popular(limit=POPULAR_CANDIDATES + 5)]
    asked: list[str] = []

    def shown_if_odd(query: str) -> bool:
        asked.append(query)
        return int(query.removeprefix("言葉")) % 2 == 1

    shown = [q.query for q in stats.popular(limit=3, shown=shown_if_odd)]
    assert shown == [q for q in most_searched if int(q.removeprefix("言葉")) % 2 == 1][:3]
    assert asked == most_searched[: most_searched.index(shown[-1]) + 1]  # no more asked than needed
    asked.clear()
    assert stats.popular(shown=lambda q: asked.append(q) is not None) == []  # never shown
    assert len(asked) == POPULAR_CANDIDATES


@pytest.mark.parametrize("under", ["", "deeper"])
def test_statistics_are_refused_where_a_file_stands_for_their_folder(tmp_path: Path, under: str) -> None:
    a_file = tmp_path / "stats.sqlite3"
    a_file.write_bytes(b"")
    with pytest.raises(
        SettingError, match=f"MIKKE_STATS_DIR .* cannot hold the search statistics: {a_file} is not a folder"
    ):
        check_stats_dir(str(a_file / under))
    assert a_file.read_bytes() == b""
