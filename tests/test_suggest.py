"""Suggestions: completions by spelling and by reading, from titles, headings, tags and frequent nouns."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from mikke.search import suggest
from mikke.search.cli import cli
from mikke.search.posts import Post
from mikke.search.store import Store
from mikke.web import create_app

from .conftest import PostFactory

StoreFactory = Callable[[Iterable[Post]], Store]

pytest_plugins = ["tests.test_web_support"]


@pytest.fixture
def blog(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    posts = [
        make_post("人工知能の歴史", "人工知能の研究。", tags=["AI"]),
        make_post("人工知能と仕事", "人工知能が仕事を変える。", tags=["AI"]),
        make_post("人工衛星の話", "衛星の軌道。", headings=["人工衛星とは"]),
        make_post("人口の推移", "人口が減る。"),
        make_post("日記", "今日は人生について考えた。"),  # 人生: in one body only
    ]
    return memory_store(posts)


def texts(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.text for s in result.suggestions]


def test_a_reading_prefix_completes_to_the_words_read_that_way(blog: Store) -> None:
    result = suggest(blog, "じんこう")
    assert texts(result)[:2] == ["人工", "人工知能"]  # most posts first
    assert "人口" in texts(result)  # ジンコウ too
    assert {s.text: s.count for s in result.suggestions}["人工知能"] == 2
    assert texts(suggest(blog, "ジンコウチ")) == ["人工知能"]


def test_a_spelling_prefix_completes_and_tags_count(blog: Store) -> None:
    assert texts(suggest(blog, "人工"))[:2] == ["人工", "人工知能"]
    assert "人工衛星" in texts(suggest(blog, "人工"))  # a heading word
    assert suggest(blog, "ai").to_json() == {"query": "ai", "suggestions": [{"text": "AI", "count": 2}]}


def test_a_word_in_one_body_only_is_not_suggested(blog: Store) -> None:
    assert "人生" not in texts(suggest(blog, "じんせい")) + texts(suggest(blog, "人"))


def test_at_most_ten_and_odd_prefixes_find_nothing(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    words = "タイヤ タイム タイプ タイトル タイマー タイル タイミング タイガー タイツ タイピング タイムライン"
    store = memory_store([make_post(f"{w}の話", "本文。") for w in words.split()])
    assert len(suggest(store, "たい").suggestions) == 10
    for odd in ("", " ", "ー", "\x00", "a" * 1000, '"(', "\ud800"):
        assert suggest(store, odd).suggestions == ()


def test_api_and_cli_answer_with_one_shape(client: FlaskClient, web_index: Path) -> None:
    api = client.get("/api/suggest", query_string={"q": "としょ"})
    assert api.status_code == 200
    body = api.get_json()
    assert body["query"] == "としょ"
    assert body["suggestions"][0] == {"text": "図書館", "count": 2}
    cli_json = CliRunner().invoke(cli, ["suggest", "としょ", "--index", str(web_index), "--json"])
    assert json.loads(cli_json.output) == body
    plain = CliRunner().invoke(cli, ["suggest", "としょ", "--index", str(web_index)])
    assert "     2  図書館" in plain.output
    assert client.get("/api/suggest").get_json() == {"query": "", "suggestions": []}


def test_suggest_answers_503_without_an_index_and_304_for_an_answer_held(
    client: FlaskClient, tmp_path: Path
) -> None:
    first = client.get("/api/suggest", query_string={"q": "けん"})
    again = client.get(
        "/api/suggest", query_string={"q": "けん"}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    other = client.get("/api/suggest", query_string={"q": "けんさ"})
    assert other.headers["ETag"] != first.headers["ETag"]
    empty = create_app({"TESTING": True, "SEARCH_INDEX": str(tmp_path / "none")}).test_client()
    answer = empty.get("/api/suggest", query_string={"q": "けん"})
    assert answer.status_code == 503
    assert answer.get_json()["ok"] is False
