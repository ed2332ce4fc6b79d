"""Words read by their kana or romaji on the page and in the API: what was added, the exact search link."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from mikke.search.cli import cli

pytest_plugins = ["tests.test_web_support"]


def test_api_says_what_a_kana_word_was_read_as_and_marks_reading_only_hits(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "としょかん"}).get_json()
    assert body["expanded"] == [{"word": "としょかん", "with": ["図書館"], "by": "reading"}]
    assert body["total"] >= 1
    assert {h["matched_by"] for h in body["hits"]} == {"reading"}
    assert "<mark>図書館</mark>" in body["hits"][0]["excerpt"]


def test_exact_turns_expansion_off_in_the_api(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "としょかん", "exact": "1"}).get_json()
    assert body["expanded"] == []
    assert body["total"] == 0


def test_page_shows_the_reading_and_links_to_the_exact_words(client: FlaskClient) -> None:
    html = client.get("/", query_string={"q": "としょかん"}).get_data(as_text=True)
    assert "「としょかん」を「図書館」とも読んで検索しました。" in html
    assert '<a href="?q=%E3%81%A8%E3%81%97%E3%82%87%E3%81%8B%E3%82%93&amp;exact=1" data-mikke-nav>' in html
    assert "読みで一致" in html
    exact = client.get("/", query_string={"q": "としょかん", "exact": "1"}).get_data(as_text=True)
    assert "とも読んで" not in exact and "読みで一致" not in exact


def test_words_the_posts_use_are_not_read_as_other_words(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "図書館"}).get_json()
    assert [e for e in body["expanded"] if e["by"] != "synonym"] == []
    assert body["hits"][0]["matched_by"] is None


def test_a_query_with_no_results_shows_the_results_of_the_word_it_reads_as(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "研削"}).get_json()  # 検索 reads ケンサク too
    assert body["did_you_mean"] == "検索"
    assert body["corrected"] is True
    assert body["query"] == "研削"
    assert body["total"] >= 2
    html = client.get("/", query_string={"q": "研削"}).get_data(as_text=True)
    assert "「研削」に一致する記事がないため、「<a href=" in html
    assert "」の検索結果を表示しています。" in html


def test_the_cli_prints_the_suggestion_and_exact_expands_nothing(web_index: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "研削", "--index", str(web_index)])
    assert "No posts match 研削; showing the results of 検索." in result.output
    exact = CliRunner().invoke(cli, ["search", "としょかん", "--exact", "--index", str(web_index)])
    assert "No posts match." in exact.output


def test_page_names_the_synonyms_searched_too(client: FlaskClient) -> None:
    html = client.get("/", query_string={"q": "図書館"}).get_data(as_text=True)
    assert "「図書館」の同義語「図書室」も検索しました。" in html  # Sudachi's synonyms; a post holds 図書室
    assert "同義語で一致" not in html  # every hit has 図書館 itself
