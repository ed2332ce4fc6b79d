"""Search statistics in the web app: off by default; when on, settled searches count and keystrokes do not."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from mikke.search import SettingError
from mikke.search.cli import cli
from mikke.search.stats import POPULAR_MIN_SEARCHES
from mikke.search.stats import STATS_FILE
from mikke.web import stats as web_stats

from .test_web_support import BLOG_ORIGIN
from .test_web_support import AppFactory
from .test_web_support import parse_page

pytest_plugins = ["tests.test_web_support"]


@pytest.fixture
def stats_dir(tmp_path: Path) -> Path:
    return tmp_path / "stats"


@pytest.fixture
def counting(make_app: AppFactory, stats_dir: Path) -> FlaskClient:
    return make_app(SEARCH_STATS_DIR=str(stats_dir)).test_client()


def counts(stats_dir: Path) -> dict[str, int]:
    with sqlite3.connect(stats_dir / STATS_FILE) as conn:
        return dict(conn.execute("SELECT key, SUM(searches) FROM searches GROUP BY key").fetchall())


def test_statistics_are_off_by_default(client: FlaskClient, tmp_path: Path) -> None:
    assert client.post("/api/settled?q=検索").status_code == 204
    assert client.get("/api/popular").get_json() == {"queries": []}
    assert client.get("/api/results?q=検索").get_json()["stats"] is False
    assert "よく検索されている言葉" not in client.get("/").get_data(as_text=True)
    assert not list(tmp_path.rglob(STATS_FILE))


def test_a_page_opened_with_a_search_counts_and_live_results_do_not(
    counting: FlaskClient, stats_dir: Path
) -> None:
    assert counting.get("/api/results?q=図書館").get_json()["stats"] is True
    counting.get("/api/results?q=図")  # keystrokes on the way
    counting.get("/api/search?q=図書館")
    counting.get("/?q=図書館で本を読んだ")
    counting.get("/?q=図書館で本を読んだ&page=2")  # paging through one search is not another search
    counting.get("/")
    assert counts(stats_dir) == {"図書館 本 読む": 1}


def test_a_settled_search_reported_by_search_js_counts_with_its_form(
    counting: FlaskClient, stats_dir: Path
) -> None:
    assert counting.post("/api/settled?q=図書館で本を読む&tag=読書").status_code == 204
    assert counting.post("/api/settled?q=図書館で本を読んだ").status_code == 204
    assert counting.post("/api/settled?q=図書館&page=3").status_code == 204
    assert counts(stats_dir) == {"図書館 本 読む": 2}
    with sqlite3.connect(stats_dir / STATS_FILE) as conn:
        assert conn.execute("SELECT kind, key, searches FROM filters").fetchall() == [("tag", "読書", 1)]
        results = conn.execute("SELECT results FROM searches").fetchall()
    assert all(r > 0 for (r,) in results)


def test_reports_from_pages_of_other_sites_are_not_counted(counting: FlaskClient, stats_dir: Path) -> None:
    counting.post("/api/settled?q=カレー", headers={"Origin": "https://evil.example"})
    counting.post("/api/settled?q=カレー", headers={"Origin": BLOG_ORIGIN})
    counting.post("/api/settled?q=カレー", headers={"Origin": "http://localhost"})
    assert counts(stats_dir) == {"カレー": 2}


@pytest.mark.parametrize(
    "raw", ["q=%E3%81", "q=%00%01", "tag=%FF&q=(", "q=" + "長" * 3000, "page=x&sort=best"]
)
def test_odd_reports_never_fail(counting: FlaskClient, raw: str) -> None:
    assert counting.post("/api/settled?" + raw).status_code == 204


def test_the_empty_page_offers_the_queries_most_searched(counting: FlaskClient) -> None:
    for _ in range(POPULAR_MIN_SEARCHES):
        counting.post("/api/settled?q=図書館")
        counting.post("/api/settled?q=zzqxjv")  # found nothing: not offered
    assert counting.get("/api/popular").get_json() == {"queries": [{"query": "図書館", "searches": 3}]}
    page = parse_page(counting.get("/"))
    offered = [a for a in page.anchors if a.text == "図書館"]
    assert offered and offered[0].href == "?q=%E5%9B%B3%E6%9B%B8%E9%A4%A8"
    assert "よく検索されている言葉" in page.texts["mikke-popular"]
    assert "mikke-popular" not in counting.get("/?q=図書館").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/api/results"])
def test_an_empty_search_held_from_before_new_popular_queries_is_answered_anew(
    counting: FlaskClient, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(web_stats, "POPULAR_SECONDS", 0.0)  # read the statistics on every request
    before = counting.get(url)
    for _ in range(POPULAR_MIN_SEARCHES):
        counting.post("/api/settled?q=図書館")
    after = counting.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "よく検索されている言葉" in after.get_data(as_text=True)
    assert counting.get(url, headers={"If-None-Match": after.headers["ETag"]}).status_code == 304


def test_statistics_inside_the_index_folder_are_refused(make_app: AppFactory, web_index: Path) -> None:
    with pytest.raises(SettingError, match="index folder"):
        make_app(SEARCH_STATS_DIR=str(web_index / "stats"))
    assert not (web_index / "stats").exists()


def test_mikke_stats_prints_what_readers_searched(counting: FlaskClient, stats_dir: Path) -> None:
    counting.get("/?q=図書館&tag=読書")
    counting.get("/?q=量子コンピュータ")
    runner = CliRunner()
    shown = runner.invoke(cli, ["stats", "--stats-dir", str(stats_dir), "--index", "/nonexistent"])
    assert shown.exit_code == 0, shown.output
    assert "2 searches since" in shown.output
    assert "図書館  (2 results)" in shown.output.split("Top queries:")[1]
    one_day = runner.invoke(cli, ["stats", "--stats-dir", str(stats_dir), "--days", "1"])
    assert "(last 1 day, UTC)" in one_day.output
    assert "量子コンピュータ" in shown.output.split("Queries that found nothing:")[1]
    assert "tag: 読書" in shown.output
    as_json = runner.invoke(cli, ["stats", "--stats-dir", str(stats_dir), "--days", "1", "--json"])
    body = json.loads(as_json.output)
    assert {q["query"] for q in body["top"]} == {"図書館", "量子コンピュータ"}
    assert [q["query"] for q in body["no_results"]] == ["量子コンピュータ"]
    off = runner.invoke(cli, ["stats"])
    assert off.exit_code == 1 and "statistics are off" in off.output


def test_statistics_that_cannot_be_written_never_fail_a_search(
    make_app: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", "utf-8")  # the statistics folder is a file: nothing can be written there
    client = make_app(SEARCH_STATS_DIR=str(blocked)).test_client()
    assert client.get("/?q=図書館").status_code == 200
    assert client.post("/api/settled?q=図書館").status_code == 204
    assert client.get("/").status_code == 200
    assert client.get("/api/popular").get_json() == {"queries": []}
    assert "search statistics in" in caplog.text


@pytest.mark.parametrize(
    "typed",
    [
        "図書館 山田太郎",  # a name the posts never write, beside a word they do
        "図書館 090-3141-5926",  # a number
        "図書館 -山田太郎",  # excluded: the posts need not say it
        '図書館 "山田太郎"',
        "図書館 ☠☠☠",  # symbols, which the search itself ignores
    ],
)
def test_popular_queries_show_only_what_the_posts_say(counting: FlaskClient, typed: str) -> None:
    # Searched often enough and finding posts (by 図書館), yet one reader reloading a page three times, or
    # anyone with curl, must not publish a name, a number or an insult on every reader's empty page.
    for _ in range(POPULAR_MIN_SEARCHES + 1):
        counting.post("/api/settled?" + urlencode({"q": typed}))
    for _ in range(POPULAR_MIN_SEARCHES):
        counting.post("/api/settled?q=本を読む")
    assert counting.get("/api/popular").get_json() == {"queries": [{"query": "本を読む", "searches": 3}]}
