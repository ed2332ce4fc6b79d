"""The JSON API, /healthz, headers (CSP, cache, CORS, gzip) and the app factory, via Flask's test client."""

from __future__ import annotations

import base64
import gc
import gzip
import hashlib
import json
import logging
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from mikke.search import SettingError
from mikke.search import Settings
from mikke.search import all_tags
from mikke.search import build_index
from mikke.search import open_store
from mikke.search.cli import cli
from mikke.search.query import EXCERPT_HITS
from mikke.search.store import REOPEN_RETRY_SECONDS
from mikke.web import create_app
from mikke.web import params as params_module
from mikke.web.observe import ACCESS_LOGGER
from mikke.web.server import MikkeServer
from mikke.web.server import gunicorn_options

from .test_web_support import BLOG_ORIGIN
from .test_web_support import CROWDED_POSTS
from .test_web_support import CROWDED_WORDS
from .test_web_support import MAX_PER_PAGE
from .test_web_support import MAX_QUERY_CHARS
from .test_web_support import PER_PAGE
from .test_web_support import SITE
from .test_web_support import AppFactory
from .test_web_support import assert_error_shape

# The web tests' fixtures (web_index, make_app, app, client) live in one module, registered once.
pytest_plugins = ["tests.test_web_support"]

WEB = Path(__file__).parent.parent / "web"


def test_search_answers_with_the_json_of_mikke_search(client: FlaskClient, web_index: Path) -> None:
    api = client.get("/api/search", query_string={"q": "検索", "per_page": 5})
    result = CliRunner().invoke(cli, ["search", "検索", "--index", str(web_index), "--limit", "5", "--json"])
    assert api.status_code == 200
    assert api.mimetype == "application/json"
    body = api.get_json()
    assert body.pop("truncated") is False
    assert body == json.loads(result.output)


# The same search as API parameters and as `mikke search` arguments; each pair must answer alike.
SAME_SEARCH = [
    pytest.param({"q": "検索", "page": "2"}, ["検索", "--page", "2"], id="page"),
    pytest.param({"q": "検索", "page": "99"}, ["検索", "--page", "99"], id="page-past-the-last"),
    pytest.param(
        {"q": "検索", "tag": [" python ", "Python"]},
        ["検索", "--tag", " python ", "--tag", "Python"],
        id="tags",
    ),
    # The API keeps one of each filter, the CLI passes them as given: a filter must not score.
    pytest.param(
        {"q": "検索", "tag": ["検索", "検索"]}, ["検索", "--tag", "検索", "--tag", "検索"], id="repeated-tag"
    ),
    pytest.param(
        {"q": "検索", "sort": "date", "exact": "1"}, ["検索", "--sort", "date", "--exact"], id="sort"
    ),
    pytest.param({"q": "検索 -図書館"}, ["検索", "-図書館"], id="minus-word"),
    pytest.param(
        {"from": "2024-03-01", "to": "2024-05-05"}, ["--from", "2024-03-01", "--to", "2024-05-05"], id="days"
    ),
    # A blank day is no bound: what an empty form field (or an empty shell variable) sends.
    pytest.param({"q": "検索", "from": "", "to": " "}, ["検索", "--from", "", "--to", " "], id="blank-days"),
    # Spaces alone (an IME's full-width one) ask for nothing: both answer as to an empty query.
    pytest.param({"q": "\u3000 "}, ["\u3000", " "], id="spaces-alone"),
]


@pytest.mark.parametrize(("query", "args"), SAME_SEARCH)
def test_the_api_and_mikke_search_json_answer_the_same_search_alike(
    client: FlaskClient, web_index: Path, query: dict[str, Any], args: list[str]
) -> None:
    api = client.get("/api/search", query_string={**query, "per_page": PER_PAGE})
    result = CliRunner().invoke(
        cli, ["search", *args, "--index", str(web_index), "--limit", str(PER_PAGE), "--json"]
    )
    assert api.status_code == 200 and result.exit_code == 0, result.output
    body = api.get_json()
    assert body.pop("truncated") is False
    assert body == json.loads(result.output)


def test_search_hits_have_marked_and_escaped_excerpts(client: FlaskClient) -> None:
    body = client.get("/api/search?q=エスケープ").get_json()
    hit = body["hits"][0]
    assert hit["url"] == "https://blog.example.jp/blog/2024/06/10/html-escape/"
    assert "<mark>エスケープ</mark>" in hit["excerpt"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit["excerpt"]
    assert "<script" not in hit["excerpt"] and "<img" not in hit["excerpt"]
    assert hit["title"] == "HTMLの<script>タグ & エスケープ"
    assert "<script" not in hit["title_html"]


def test_empty_query_lists_newest_posts_first(client: FlaskClient) -> None:
    body = client.get("/api/search").get_json()
    assert body["total"] == 9
    dates = [h["date"] for h in body["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert body["sort"] == "date"


def test_each_tag_narrows_the_results_further(client: FlaskClient) -> None:
    everything = client.get("/api/search?q=検索").get_json()["total"]
    one = client.get("/api/search?q=検索&tag=検索").get_json()["total"]
    two = client.get("/api/search?q=検索&tag=検索&tag=Python").get_json()
    assert everything > one > two["total"] > 0
    assert all({"検索", "Python"} <= set(h["tags"]) for h in two["hits"])


def test_tags_are_matched_by_key_or_display_form(client: FlaskClient) -> None:
    by_key = client.get("/api/search?tag=python").get_json()
    by_label = client.get("/api/search?tag=Python").get_json()
    assert by_key["total"] == by_label["total"] == 2


def test_category_filter_and_counts(client: FlaskClient) -> None:
    body = client.get("/api/search?category=日記").get_json()
    assert body["total"] == 4
    assert {"category": "日記", "key": "日記", "count": 4} in body["categories"]


def test_date_range_keeps_posts_between_the_days(client: FlaskClient) -> None:
    body = client.get("/api/search?from=2024-03-01&to=2024-05-05&per_page=5").get_json()
    assert sorted(h["date"][:10] for h in body["hits"]) == ["2024-03-03", "2024-04-01", "2024-05-05"]


@pytest.mark.parametrize("path", ["/", "/api/search", "/api/results", "/feed.atom"])
@pytest.mark.parametrize("dates", ["from=2024-04-01", "to=9999-12-31", "from=0001-01-01&to=1999-01-01"])
def test_any_valid_day_filters_without_an_error(client: FlaskClient, path: str, dates: str) -> None:
    assert client.get(f"{path}?q=検索&{dates}").status_code == 200


def test_a_from_day_alone_keeps_the_posts_from_that_day_on(client: FlaskClient) -> None:
    body = client.get("/api/search?from=2024-04-01&per_page=50").get_json()
    assert body["total"] and all(h["date"][:10] >= "2024-04-01" for h in body["hits"])


def test_dates_are_in_the_site_timezone(client: FlaskClient) -> None:
    # The post is dated 2024-01-10 23:30 UTC, which is already the 11th in Asia/Tokyo.
    hit = client.get("/api/search?q=図書館めぐり").get_json()["hits"][0]
    assert hit["date"] == "2024-01-11T08:30:00+09:00"


def test_sort_by_date_puts_newest_first(client: FlaskClient) -> None:
    body = client.get("/api/search?q=検索&sort=date&per_page=5").get_json()
    dates = [h["date"] for h in body["hits"]]
    assert body["sort"] == "date"
    assert dates == sorted(dates, reverse=True)
    assert all(h["score"] is None for h in body["hits"])


def test_pages_do_not_overlap(client: FlaskClient) -> None:
    first = client.get("/api/search?q=検索&page=1").get_json()
    second = client.get("/api/search?q=検索&page=2").get_json()
    assert first["pages"] == 2
    ids = [h["id"] for h in first["hits"]] + [h["id"] for h in second["hits"]]
    assert len(ids) == len(set(ids)) == first["total"]


@pytest.mark.parametrize(
    ("query", "page", "per_page"),
    [
        ("page=-1", 1, PER_PAGE),
        ("page=0", 1, PER_PAGE),
        ("page=abc", 1, PER_PAGE),
        ("page=1e9", 1, PER_PAGE),
        ("page=" + "9" * 5000, 1000, PER_PAGE),
        ("page=99999999999999999999", 1000, PER_PAGE),
        ("per_page=1000000000", 1, MAX_PER_PAGE),
        ("per_page=10^9", 1, PER_PAGE),
        ("per_page=-3", 1, 0),
        ("page=2&page=5", 2, PER_PAGE),
    ],
)
def test_page_and_per_page_are_clamped(client: FlaskClient, query: str, page: int, per_page: int) -> None:
    response = client.get("/api/search?q=検索&" + query)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"]) == (page, per_page)
    assert len(body["hits"]) <= per_page


def test_page_past_the_end_is_empty_not_an_error(client: FlaskClient) -> None:
    body = client.get("/api/search?q=検索&page=1000").get_json()
    assert body["total"] == 6 and body["hits"] == []


def test_pages_names_the_last_page_served_when_page_is_clamped(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(params_module, "MAX_PAGE", 2)  # 1,000 pages of hits take 1,000 posts
    body = client.get("/api/search?q=検索&per_page=1&page=3").get_json()
    assert body["total"] == 6
    assert (body["page"], body["pages"]) == (2, 2)  # a client paging up to pages never loops on page 2


def test_long_query_is_cut_and_the_answer_says_so(client: FlaskClient) -> None:
    text = "図書館で本を読む" * 12_800  # about 100 KB of UTF-8
    body = client.get("/api/search", query_string={"q": text}).get_json()
    assert body["truncated"] is True
    assert body["query"] == text[:MAX_QUERY_CHARS]
    assert body["total"] > 0


def test_query_at_the_limit_is_not_truncated(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "本" * MAX_QUERY_CHARS}).get_json()
    assert body["truncated"] is False


def test_a_full_page_of_a_hundred_hits_has_excerpts_within_the_budget(
    make_app: AppFactory, crowded_index: Path
) -> None:
    client = make_app(SEARCH_INDEX=str(crowded_index), SEARCH_MAX_PER_PAGE=100).test_client()
    body = client.get("/api/search", query_string={"q": "猫", "per_page": 100}).get_json()
    assert body["total"] == CROWDED_POSTS and len(body["hits"]) == 100
    full, cheap = body["hits"][:EXCERPT_HITS], body["hits"][EXCERPT_HITS:]
    assert all("<mark>猫</mark>" in h["excerpt"] for h in full)
    # Past the budget, each hit carries its post's stored summary, unmarked.
    assert [h["excerpt"] for h in cheap] == ["要約" + h["title"][-3:] for h in cheap]


def test_words_left_out_of_a_long_query_are_listed(make_app: AppFactory, crowded_index: Path) -> None:
    client = make_app(SEARCH_INDEX=str(crowded_index)).test_client()
    body = client.get("/api/search", query_string={"q": " ".join(CROWDED_WORDS)}).get_json()
    assert body["ignored"] == [CROWDED_WORDS[-1]]
    assert body["total"] == CROWDED_POSTS
    assert client.get("/api/search?q=猫").get_json()["ignored"] == []


ODD_QUERIES = [
    "(",
    '"',
    'he said "x',
    "a AND",
    "東京 OR",
    "foo:bar",
    "*",
    "\\",
    "-",
    "--検索",
    "\x00\x01\x1f",
    "😀🍣",
    "ｹﾝｻｸ",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u200b\u202e検索",
    "\ufffd",
    " " * 30,
    "𠮷野家",
]


@pytest.mark.parametrize("text", ODD_QUERIES)
def test_odd_queries_get_an_answer(client: FlaskClient, text: str) -> None:
    response = client.get("/api/search", query_string={"q": text, "tag": text, "category": text})
    assert response.status_code == 200
    assert set(response.get_json()) >= {"query", "total", "hits", "tags", "truncated"}


@pytest.mark.parametrize(
    "raw",
    ["q=%E3%81", "q=%ZZ%", "q=%", "tag=%FF%FE&q=%C0%AF", "q=%ED%A0%80", "q=a&&&=&q&tag"],
)
def test_invalid_percent_encoding_is_not_an_error(client: FlaskClient, raw: str) -> None:
    response = client.get("/api/search?" + raw)
    assert response.status_code == 200
    assert "hits" in response.get_json()


def test_repeated_and_unknown_parameters(client: FlaskClient) -> None:
    body = client.get("/api/search?q=カレー&q=図書館&sort=date&sort=bogus&unknown=1&tag=").get_json()
    assert body["query"] == "カレー"
    assert body["sort"] == "date"
    assert body["total"] == 1


def test_unknown_sort_is_rejected_in_the_error_shape(client: FlaskClient) -> None:
    body = assert_error_shape(client.get("/api/search?q=検索&sort=score"), 400)
    assert "relevance" in body["error"] and "'score'" in body["error"]


@pytest.mark.parametrize(
    "query", ["from=2024-02-30", "to=yesterday", "from=20240501", "to=2024-W01-1", "from=" + "1" * 10_000]
)
def test_unreadable_dates_are_rejected_in_the_error_shape(client: FlaskClient, query: str) -> None:
    body = assert_error_shape(client.get("/api/search?" + query), 400)
    assert "2024-05-01" in body["error"]
    assert len(body["error"]) < 200


def test_unknown_api_path_and_method_use_the_error_shape(client: FlaskClient) -> None:
    assert_error_shape(client.get("/api/nothing-here"), 404)
    assert_error_shape(client.post("/api/search"), 405)
    assert_error_shape(client.delete("/api/tags"), 405)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/api/search", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/api/tags", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/api/settled", {"POST", "OPTIONS"}),
        ("POST", "/", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/feed.atom", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_wrong_method_is_405_naming_the_allowed_methods(
    client: FlaskClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert response.headers["Content-Type"].count("charset") <= 1


def test_tags_lists_every_tag_with_its_count(client: FlaskClient, web_index: Path) -> None:
    body = client.get("/api/tags").get_json()
    expected = [{"tag": t.tag, "key": t.key, "count": t.count} for t in all_tags(open_store(web_index))]
    assert body == {"tags": expected}
    assert {"tag": "検索", "key": "検索", "count": 5} in body["tags"]


def test_tags_api_answers_with_the_json_of_mikke_tags(client: FlaskClient, web_index: Path) -> None:
    result = CliRunner().invoke(cli, ["tags", "--index", str(web_index), "--json"])
    assert client.get("/api/tags").get_json() == json.loads(result.stdout)


def test_healthz_reports_the_loaded_index(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["index_loaded"] is True
    assert body["posts"] == 9
    assert body["generation"].startswith("gen-")


def test_without_an_index_the_app_starts_answers_503_and_recovers(tmp_path: Path) -> None:
    index = tmp_path / "index"
    app = create_app({"TESTING": True, "SEARCH_INDEX": str(index)})
    client = app.test_client()
    assert_error_shape(client.get("/api/search?q=検索"), 503)
    assert_error_shape(client.get("/api/results?q=検索"), 503)
    assert_error_shape(client.get("/api/tags"), 503)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["index_loaded"] is False and health.get_json()["posts"] == 0
    page = client.get("/?q=検索")
    assert page.status_code == 503
    assert "検索インデックスがまだ作られていません" in page.get_data(as_text=True)
    assert str(tmp_path) not in page.get_data(as_text=True) + health.get_data(as_text=True)

    build_index(SITE, index, full=True, jobs=1)
    assert client.get("/api/search?q=検索").get_json()["total"] == 6
    assert client.get("/api/results?q=検索").get_json()["total"] == 6
    assert client.get("/healthz").get_json()["posts"] == 9


# Every view that needs the index; each must answer 503 while there is none.
NEEDS_THE_INDEX = [
    "/?q=検索",
    "/api/search?q=検索",
    "/api/results?q=検索",
    "/api/suggest?q=けん",
    "/api/tags",
    "/api/related?url=/blog/2024/07/20/python-tips/",
    "/healthz",
    "/feed.atom?q=検索",
]


@pytest.mark.parametrize("cause", ["not built", "refused"])
def test_every_503_says_when_to_retry_and_is_never_cached(
    web_index: Path, tmp_path: Path, cause: str
) -> None:
    index = tmp_path / "index"
    if cause == "refused":
        index = copy_of_web_index(web_index, tmp_path)
        (index / "CURRENT").chmod(0o666)  # world-writable: the server refuses to open it
    client = create_app({"TESTING": True, "SEARCH_INDEX": str(index)}).test_client()
    for url in NEEDS_THE_INDEX:
        response = client.get(url, headers={"Origin": BLOG_ORIGIN})
        assert response.status_code == 503, url
        # Whole seconds (RFC 9110 10.2.3), no sooner than the server would try a refused index again.
        assert response.headers["Retry-After"] == str(math.ceil(REOPEN_RETRY_SECONDS)), url
        assert response.headers["Cache-Control"] == "no-store", url


def copy_of_web_index(web_index: Path, tmp_path: Path) -> Path:
    """A copy of the fixture index that the test may damage."""
    index = tmp_path / "index"
    shutil.copytree(web_index, index)
    return index


def current_a_folder(index: Path, _: pytest.MonkeyPatch) -> None:
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()


def current_not_utf8(index: Path, _: pytest.MonkeyPatch) -> None:
    (index / "CURRENT").write_bytes(b"gen-\xff\n")


def current_unreadable(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What `chmod 000 INDEX/CURRENT` does to a server not run as root (the tests are, and root reads it).
    read_text = Path.read_text

    def refuse(path: Path, *args: Any, **kwargs: Any) -> str:
        if path == index / "CURRENT":
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)


UNREADABLE_CURRENT: dict[str, Callable[[Path, pytest.MonkeyPatch], None]] = {
    "a folder": current_a_folder,
    "not UTF-8": current_not_utf8,
    "not readable by this user": current_unreadable,
}


@pytest.mark.parametrize("damage", UNREADABLE_CURRENT.values(), ids=UNREADABLE_CURRENT.keys())
def test_a_serving_app_keeps_its_index_when_current_cannot_be_read_and_logs_it_once(
    web_index: Path,
    tmp_path: Path,
    damage: Callable[[Path, pytest.MonkeyPatch], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = copy_of_web_index(web_index, tmp_path)
    good = (index / "CURRENT").read_text("utf-8").strip()
    client = create_app({"TESTING": True, "SEARCH_INDEX": str(index)}).test_client()
    assert client.get("/healthz").status_code == 200
    damage(index, monkeypatch)
    with caplog.at_level("ERROR", logger="mikke.search.store"):
        for _ in range(3):
            assert client.get("/api/search?q=検索").get_json()["total"] == 6
            assert client.get("/?q=検索").status_code == 200
            assert client.get("/healthz").get_json()["generation"] == good
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1  # once, not once per request
    assert errors[0].startswith(f"Still serving {good}") and str(index / "CURRENT") in errors[0]


@pytest.mark.parametrize("damage", UNREADABLE_CURRENT.values(), ids=UNREADABLE_CURRENT.keys())
def test_an_app_started_on_an_unreadable_current_answers_not_built_yet_then_recovers(
    web_index: Path, tmp_path: Path, damage: Callable[[Path, pytest.MonkeyPatch], None]
) -> None:
    index = copy_of_web_index(web_index, tmp_path)
    good = (index / "CURRENT").read_text("utf-8")
    with pytest.MonkeyPatch.context() as damaged:
        damage(index, damaged)
        client = create_app({"TESTING": True, "SEARCH_INDEX": str(index)}).test_client()
        assert_error_shape(client.get("/api/search?q=検索"), 503)
        assert client.get("/healthz").status_code == 503
        page = client.get("/?q=検索")
        assert page.status_code == 503
        assert "検索インデックスがまだ作られていません" in page.get_data(as_text=True)
    if (index / "CURRENT").is_dir():
        (index / "CURRENT").rmdir()
    (index / "CURRENT").write_text(good, "utf-8")
    assert client.get("/api/search?q=検索").get_json()["total"] == 6
    assert client.get("/healthz").status_code == 200


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` by a rename, as tantivy commits its meta.json: a server sees a new commit."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def posts_meta_truncated(generation: Path) -> None:
    meta = generation / "meta.json"
    replace_file(meta, meta.read_bytes()[:100])


def texts_meta_emptied(generation: Path) -> None:
    (generation / "text" / "meta.json").write_text("{}", "utf-8")
    meta = generation / "meta.json"
    replace_file(meta, meta.read_bytes())  # a commit to the posts index, which refers to the texts


UNREADABLE_COMMIT = {
    "posts meta.json truncated": posts_meta_truncated,
    "texts meta.json emptied": texts_meta_emptied,
}


@pytest.mark.parametrize("damage", UNREADABLE_COMMIT.values(), ids=UNREADABLE_COMMIT.keys())
def test_a_serving_app_keeps_the_commit_it_loaded_when_a_newer_one_cannot_be_read_and_logs_it_once(
    web_index: Path,
    tmp_path: Path,
    damage: Callable[[Path], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("mikke.search.store.REOPEN_RETRY_SECONDS", 0.0)  # retry on every request
    index = copy_of_web_index(web_index, tmp_path)
    generation = index / (index / "CURRENT").read_text("utf-8").strip()
    saved = {
        path: path.read_bytes() for path in (generation / "meta.json", generation / "text" / "meta.json")
    }
    client = create_app({"TESTING": True, "SEARCH_INDEX": str(index)}).test_client()
    assert client.get("/healthz").status_code == 200
    damage(generation)
    with caplog.at_level("ERROR", logger="mikke.search.store"):
        for _ in range(3):
            assert client.get("/api/search?q=検索").get_json()["total"] == 6
            assert client.get("/?q=検索").status_code == 200
            assert client.get("/healthz").get_json()["posts"] == 9
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1  # once, not once per request
    assert errors[0].startswith(f"Still serving {generation.name}")

    for path, data in saved.items():
        replace_file(path, data)
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    (site / "_posts" / "2024-06-01-bike.md").write_text(
        '---\ntitle: "自転車"\ndate: 2024-06-01 10:00:00 +0900\n---\n\n自転車に乗る。\n', "utf-8"
    )
    build_index(site, index, jobs=1)
    assert client.get("/api/search?q=自転車").get_json()["total"] == 1


@pytest.mark.parametrize("path", ["/api/search?q=検索", "/api/results?q=検索"])
def test_allowed_origin_gets_cors_headers_on_the_api(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Origin": BLOG_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", BLOG_ORIGIN + ".evil.example", ""])
def test_other_origins_get_no_cors_headers(client: FlaskClient, origin: str) -> None:
    response = client.get("/api/search?q=検索", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_is_off_by_default_and_never_on_pages(make_app: AppFactory) -> None:
    default = make_app(SEARCH_ALLOWED_ORIGINS="").test_client()
    assert (
        "Access-Control-Allow-Origin" not in default.get("/api/tags", headers={"Origin": BLOG_ORIGIN}).headers
    )
    allowed = make_app().test_client()
    assert "Access-Control-Allow-Origin" not in allowed.get("/", headers={"Origin": BLOG_ORIGIN}).headers


def test_preflight_for_allowed_origin_succeeds(client: FlaskClient) -> None:
    response = client.options(
        "/api/search", headers={"Origin": BLOG_ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN


@pytest.mark.parametrize(
    "path", ["/", "/?q=検索", "/api/search?q=検索", "/api/results?q=検索", "/healthz", "/nothing"]
)
def test_every_response_has_a_csp_without_unsafe_inline(client: FlaskClient, path: str) -> None:
    csp = client.get(path).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


def test_the_page_inlines_only_its_own_stylesheet_allowed_by_hash(client: FlaskClient) -> None:
    response = client.get("/?q=検索")
    styles = re.findall(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S)
    assert styles == [(WEB / "static" / "style.css").read_text(encoding="utf-8")]
    digest = base64.b64encode(hashlib.sha256(styles[0].encode("utf-8")).digest()).decode("ascii")
    allowed = re.search(r"style-src ([^;]*)", response.headers["Content-Security-Policy"])
    assert allowed and allowed.group(1).split() == ["'self'", f"'sha256-{digest}'"]


def test_static_assets_are_cached_by_version_and_revalidated_by_etag(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    versioned = re.search(r'src="(/static/search\.js\?v=[0-9a-f]+)"', html)
    assert versioned
    with client.get(versioned.group(1)) as long:
        assert long.status_code == 200
        assert "max-age=31536000" in long.headers["Cache-Control"]
        assert "immutable" in long.headers["Cache-Control"]
    with client.get("/static/search.js") as plain:
        assert plain.headers["Cache-Control"] == "public, max-age=300"
        etag = plain.headers["ETag"]
    with client.get("/static/search.js", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/static/search.js?v=0000") as stale:
        assert "immutable" not in stale.headers["Cache-Control"]
    assert client.get("/static/nothing.js").status_code == 404


def test_a_missing_static_file_is_an_error_page_with_the_pages_headers(client: FlaskClient) -> None:
    page = client.get("/no/such/page")
    missing = client.get("/static/nothing.js")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    for name in ("Content-Security-Policy", "Cache-Control", "X-Content-Type-Options", "Referrer-Policy"):
        assert missing.headers.get(name) == page.headers[name], name


@pytest.mark.parametrize(("name", "mimetype"), [("search.js", "text/javascript"), ("style.css", "text/css")])
def test_static_assets_name_their_charset_once(client: FlaskClient, name: str, mimetype: str) -> None:
    for path in (f"/static/{name}", f"/static/{name}?v=0000"):
        with client.get(path) as response:
            assert response.headers["Content-Type"] == f"{mimetype}; charset=utf-8"


def test_static_assets_are_gzipped_when_asked(client: FlaskClient) -> None:
    plain = client.get("/static/search.js")
    packed = client.get("/static/search.js", headers={"Accept-Encoding": "gzip"})
    assert plain.mimetype == "text/javascript" and "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert (
        gzip.decompress(packed.get_data()) == plain.get_data() == (WEB / "static" / "search.js").read_bytes()
    )
    assert "Accept-Encoding" in packed.headers["Vary"]


@pytest.mark.parametrize("url", ["/static/search.js", "/api/search?q=検索", "/?q=検索", "/feed.atom?q=検索"])
def test_gzipped_and_plain_bytes_have_their_own_etag_and_304_only_for_a_client_that_reads_them(
    client: FlaskClient, url: str
) -> None:
    gzip_ok = {"Accept-Encoding": "gzip"}
    plain = client.get(url)
    packed = client.get(url, headers=gzip_ok)
    assert packed.headers["Content-Encoding"] == "gzip"
    plain_tag, packed_tag = plain.headers["ETag"], packed.headers["ETag"]
    assert plain_tag.startswith('W/"') and packed_tag.startswith('W/"')
    assert plain_tag != packed_tag
    # A cache revalidating the gzipped copy for a client without gzip gets the plain bytes, not a 304.
    refused = client.get(url, headers={"If-None-Match": packed_tag})
    assert refused.status_code == 200 and "Content-Encoding" not in refused.headers
    assert refused.headers["ETag"] == plain_tag
    for held in (plain_tag, packed_tag):  # either copy suits a client that reads gzip
        confirmed = client.get(url, headers={"If-None-Match": held, **gzip_ok})
        assert confirmed.status_code == 304 and confirmed.headers["ETag"] == held
    assert client.get(url, headers={"If-None-Match": plain_tag}).status_code == 304


def test_dynamic_answers_are_gzipped_when_asked(client: FlaskClient) -> None:
    plain = client.get("/api/search?q=検索")
    packed = client.get("/api/search?q=検索", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data())


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("br, GZIP;q=0.1", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0, *", False),  # listed with q=0: refused, whatever * says
        ("*;q=0, gzip", True),
        ("identity;q=0", True),  # refuses plain bytes, so gzip is what is left
        ("gzip;q=0", False),
        ("nogzip", False),
        ("br", False),
        ("*;q=0", False),
        ("", False),
    ],
)
@pytest.mark.parametrize("path", ["/static/search.js", "/api/search?q=検索"])
def test_answers_are_gzipped_exactly_when_accept_encoding_takes_gzip(
    client: FlaskClient, path: str, accept_encoding: str, gzipped: bool
) -> None:
    with client.get(path, headers={"Accept-Encoding": accept_encoding}) as response:
        assert response.status_code == 200
        assert (response.headers.get("Content-Encoding") == "gzip") is gzipped
        if gzipped:
            assert "Accept-Encoding" in response.headers["Vary"]


def test_settings_come_from_search_keys_of_test_config(make_app: AppFactory, web_index: Path) -> None:
    app = make_app(SEARCH_PER_PAGE=4, SEARCH_ALLOWED_ORIGINS="https://a.example, https://b.example")
    settings = app.extensions["mikke"].settings
    assert settings.per_page == 4
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert app.config["SEARCH_PER_PAGE"] == 4
    assert app.config["SEARCH_INDEX"] == str(web_index)
    assert app.extensions["mikke"].store is not None


def test_search_index_path_is_an_alias_and_settings_objects_are_accepted(web_index: Path) -> None:
    app = create_app({"SEARCH_INDEX_PATH": str(web_index)})
    assert app.extensions["mikke"].settings.index == str(web_index)
    base = Settings.load(env={}, index=str(web_index), per_page=7)
    app = create_app({"SEARCH_SETTINGS": base, "SEARCH_MAX_PER_PAGE": 9})
    assert app.extensions["mikke"].settings == base.replace(max_per_page=9)


def test_unknown_search_config_key_is_an_error(web_index: Path) -> None:
    with pytest.raises(SettingError, match="SEARCH_PER_PAGES"):
        create_app({"SEARCH_INDEX": str(web_index), "SEARCH_PER_PAGES": 3})


def test_each_app_has_its_own_store(make_app: AppFactory) -> None:
    first, second = make_app(), make_app()
    assert first.extensions["mikke"].store is not second.extensions["mikke"].store


def test_web_uses_only_the_public_search_api_and_builds_nothing_at_import() -> None:
    for path in sorted(WEB.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(tantivy|sudachipy)\b", source, re.M), path
        assert not re.search(r"^\s*from\s+search\.", source, re.M), path
        assert not re.search(r"^\s*import\s+search\b", source, re.M), path
        # No module-level app or index: everything is built inside create_app() and run_server().
        assert not re.search(r"^\w+\s*=\s*(Flask|create_app|open_store|MikkeServer)\(", source, re.M), path


def test_gunicorn_runs_one_app_per_worker_on_the_configured_address() -> None:
    options = gunicorn_options(Settings.load(env={}, host="0.0.0.0", port=9123, workers=3, threads=2))
    assert options["bind"] == "0.0.0.0:9123"
    assert (options["workers"], options["threads"]) == (3, 2)
    assert options["preload_app"] is False
    assert gunicorn_options(Settings.load(env={}, host="::1"))["bind"] == "[::1]:8000"


def test_a_worker_freezes_what_it_built_at_start_so_full_collections_skip_it(web_index: Path) -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    saved = (access.handlers[:], access.level, access.propagate)
    gc.unfreeze()
    try:
        app = MikkeServer(Settings.load(env={}, index=str(web_index))).load()
        assert gc.get_freeze_count() > 0
        assert app.test_client().get("/api/search?q=検索").status_code == 200  # type: ignore[attr-defined]
    finally:
        gc.unfreeze()
        access.handlers[:], access.level, access.propagate = saved


def test_factory_accepts_no_config(monkeypatch: pytest.MonkeyPatch, web_index: Path) -> None:
    monkeypatch.setenv("MIKKE_INDEX", str(web_index))
    app = create_app()
    assert isinstance(app, Flask)
    assert app.test_client().get("/healthz").get_json()["posts"] == 9


def test_unexpected_errors_answer_500_in_the_error_shape_without_details(make_app: AppFactory) -> None:
    app = make_app(TESTING=False)  # let Flask handle the exception as in production

    def broken() -> str:
        raise RuntimeError("secret detail /srv/index")

    app.add_url_rule("/api/broken", view_func=broken)
    app.add_url_rule("/broken", view_func=broken)
    client = app.test_client()
    body = assert_error_shape(client.get("/api/broken"), 500)
    assert "secret" not in body["error"]
    page = client.get("/broken")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "secret" not in page.get_data(as_text=True)


def test_app_config_out_of_a_settings_bounds_is_refused_before_the_app_is_built(web_index: Path) -> None:
    # A too large MIKKE_STATS_DAYS used to build an app that answered 500 to every page search.
    with pytest.raises(SettingError, match=r"^MIKKE_STATS_DAYS must be from 1 to 36500, not 10{20}\.$"):
        create_app({"SEARCH_INDEX": str(web_index), "SEARCH_STATS_DAYS": 10**20})


def test_an_index_the_server_refuses_is_not_reported_as_never_built(web_index: Path, tmp_path: Path) -> None:
    index = copy_of_web_index(web_index, tmp_path)
    (index / "CURRENT").chmod(0o666)  # world-writable: the server refuses to serve it (and logs why)
    health = create_app({"TESTING": True, "SEARCH_INDEX": str(index)}).test_client().get("/healthz")
    assert health.status_code == 503
    error = health.get_json()["error"]
    assert "the server cannot open it (its log says why)" in error
    assert str(tmp_path) not in error  # the reason, with its paths, stays in the server's log
