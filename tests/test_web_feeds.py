"""Atom feeds of a search (``/feed.atom``), read back with a real feed parser, and how pages announce them."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import feedparser
import pytest
from flask.testing import FlaskClient

from mikke.search import Hit
from mikke.search import open_store
from mikke.search import search
from mikke.web import create_app
from mikke.web.errors import NOT_READY_MESSAGE
from mikke.web.feeds import entry

from .test_web_api import ODD_QUERIES
from .test_web_support import CROWDED_POSTS
from .test_web_support import AppFactory
from .test_web_support import parse_page

pytest_plugins = ["tests.test_web_support"]

ATOM = "{http://www.w3.org/2005/Atom}"


def read_feed(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    ET.fromstring(response.data)  # well-formed XML, whatever the posts and the query hold
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def newest_matches(index: Path, q: str = "", **filters: Any) -> list[Any]:
    """The same search through the core: the newest 20 matches, newest first."""
    return list(search(open_store(index), q, sort="date", per_page=20, **filters).hits)


@pytest.mark.parametrize(
    ("q", "filters"), [("検索", {}), ("", {"categories": ["技術"]}), ("本", {"tags": ["読書"]})]
)
def test_feed_lists_the_same_posts_as_the_search_newest_first(
    client: FlaskClient, web_index: Path, q: str, filters: dict[str, list[str]]
) -> None:
    args = [f"q={q}"] + [f"tag={t}" for t in filters.get("tags", [])]
    url = "/feed.atom?" + "&".join(args + [f"category={c}" for c in filters.get("categories", [])])
    feed = read_feed(client, url)
    expected = newest_matches(web_index, q, **filters)
    assert expected, "the fixture must match something"
    assert [e.link for e in feed.entries] == [h.url for h in expected]
    assert [e.id for e in feed.entries] == [h.url for h in expected]
    assert [e.title for e in feed.entries] == [h.title for h in expected]
    updated = [datetime.fromisoformat(e.updated) for e in feed.entries]
    assert updated == [datetime.fromisoformat(h.date) for h in expected]
    assert updated == sorted(updated, reverse=True)
    assert feed.feed.updated == feed.entries[0].updated
    for item, hit in zip(feed.entries, expected, strict=True):
        assert {t.term for t in item.tags} == {*hit.tags, *hit.categories}


def test_feed_holds_the_newest_twenty_of_many_matches(make_app: AppFactory, crowded_index: Path) -> None:
    client = make_app(SEARCH_INDEX=str(crowded_index)).test_client()
    feed = read_feed(client, "/feed.atom?q=天気")
    titles = [e.title for e in feed.entries]
    assert titles == [f"猫の記録{n:03}" for n in range(CROWDED_POSTS - 1, CROWDED_POSTS - 21, -1)]


def test_summary_is_the_excerpt_as_plain_text(client: FlaskClient) -> None:
    feed = read_feed(client, "/feed.atom?q=エスケープ")
    (item,) = feed.entries
    assert item.summary_detail.type == "text/plain"
    assert "<script>alert(1)</script>" in item.summary
    assert "エスケープ" in item.summary
    assert "<mark>" not in item.summary and "&lt;" not in item.summary


def test_feed_describes_the_search_it_follows(client: FlaskClient) -> None:
    feed = read_feed(client, "/feed.atom?q=検索&tag=Python&category=技術&sort=relevance&page=3")
    assert feed.feed.title == "記事検索: 「検索」　タグ: Python　カテゴリ: 技術"
    links = {link.rel: link.href for link in feed.feed.links}
    # Sorting and paging mean nothing to a feed: the links name the search alone.
    assert parse_qs(urlsplit(links["self"]).query) == {"q": ["検索"], "tag": ["Python"], "category": ["技術"]}
    assert links["self"].startswith("http://localhost/feed.atom?")
    assert links["alternate"].startswith("http://localhost/?")
    assert feed.feed.id == links["self"]


def test_no_match_is_an_empty_valid_feed(client: FlaskClient) -> None:
    feed = read_feed(client, "/feed.atom?q=存在しない言葉ぴよぴよ&tag=ない")
    assert feed.entries == []
    assert feed.feed.updated


def test_feed_addresses_follow_the_public_url(make_app: AppFactory) -> None:
    client = make_app(SEARCH_PUBLIC_URL="https://search.example.jp/").test_client()
    feed = read_feed(client, "/feed.atom?q=検索")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"].startswith("https://search.example.jp/feed.atom?q=")
    assert links["alternate"].startswith("https://search.example.jp/?q=")
    # Post links are the blog's own, never moved onto the search service's address.
    assert all(e.link.startswith("https://blog.example.jp/blog/") for e in feed.entries)


def test_feed_answers_are_cacheable_like_the_other_answers(client: FlaskClient) -> None:
    first = client.get("/feed.atom?q=検索")
    assert first.headers["Cache-Control"] == "public, max-age=1"
    again = client.get("/feed.atom?q=検索", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/feed.atom?q=図書館")
    assert other.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize("text", ODD_QUERIES)
def test_odd_queries_give_a_valid_feed(client: FlaskClient, text: str) -> None:
    response = client.get("/feed.atom", query_string={"q": text, "tag": text, "from": text, "sort": text})
    ET.fromstring(response.data)
    assert not feedparser.parse(response.data).bozo


def test_search_page_announces_the_feed_of_its_search(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索&tag=Python&page=2"))
    (link,) = [a for tag, a in page.tags if tag == "link" and a.get("rel") == "alternate"]
    assert link["type"] == "application/atom+xml"
    href = link["href"] or ""
    assert urlsplit(href).path == "/feed.atom"
    assert parse_qs(urlsplit(href).query) == {"q": ["検索"], "tag": ["Python"]}
    assert link["title"] == "記事検索: 「検索」　タグ: Python"
    feed = read_feed(client, href)
    assert feed.entries


def test_opensearch_lists_the_feed_as_a_second_url(client: FlaskClient) -> None:
    root = ET.fromstring(client.get("/opensearch.xml").data)
    urls = {u.get("type"): u.get("template") for u in root.iter("{http://a9.com/-/spec/opensearch/1.1/}Url")}
    assert urls["application/atom+xml"] == "http://localhost/feed.atom?q={searchTerms}"
    assert urls["text/html"] == "http://localhost/?q={searchTerms}"


def test_a_post_link_without_a_host_is_read_against_the_search_page() -> None:
    hit = Hit(
        id="_posts/2024-05-01-x.md",
        url="/blog/2024/05/01/x/",
        title="題\x00名",
        date="2024-05-01T10:00:00+09:00",
        tags=("猫",),
        categories=(),
        excerpt="&lt;b&gt; と <mark>猫</mark>\x0b",
    )
    e = entry(hit, "https://search.example.jp/?q=%E7%8C%AB")
    assert e.link == e.id == "https://search.example.jp/blog/2024/05/01/x/"
    assert e.title == "題名"  # characters XML cannot carry are dropped
    assert e.summary == "<b> と 猫"
    assert e.author == "search.example.jp"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//blog/2024/05/01/x/", "JavaScript:alert(1)", "data:text/html,<b>x</b>"]
)
def test_a_post_link_that_is_no_web_address_is_not_given_to_feed_readers(url: str) -> None:
    hit = Hit(
        id="_posts/2024-05-01-x.md",
        url=url,
        title="題名",
        date="2024-05-01T10:00:00+09:00",
        tags=(),
        categories=(),
    )
    e = entry(hit, "https://search.example.jp/?q=%E7%8C%AB")
    assert e.link == e.id == "https://search.example.jp/?q=%E7%8C%AB#_posts/2024-05-01-x.md"
    assert e.author == "search.example.jp"


def test_feed_is_gzipped_when_asked(client: FlaskClient) -> None:
    plain = client.get("/feed.atom")
    packed = client.get("/feed.atom", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()


def test_a_feed_without_an_index_answers_503_in_plain_text_not_json(tmp_path: Path) -> None:
    # A feed reader shows (or logs) the body as text: JSON would be noise to it, a page's markup too.
    client = create_app({"TESTING": True, "SEARCH_INDEX": str(tmp_path / "index")}).test_client()
    response = client.get("/feed.atom?q=検索")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.get_data(as_text=True) == NOT_READY_MESSAGE + "\n"
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_other_feed_errors_are_plain_text_too(client: FlaskClient) -> None:
    response = client.post("/feed.atom?q=検索")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).endswith(".\n")
