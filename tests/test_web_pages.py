"""The server-rendered search page (it must work without JavaScript), OpenSearch and HTML errors."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from mikke.search import build_index
from mikke.web.pages import local_day
from mikke.web.pages import marked
from mikke.web.pages import safe_href

from .test_web_api import ODD_QUERIES
from .test_web_support import CROWDED_WORDS
from .test_web_support import MAX_QUERY_CHARS
from .test_web_support import AppFactory
from .test_web_support import PageParser
from .test_web_support import links
from .test_web_support import parse_page

pytest_plugins = ["tests.test_web_support"]


def args_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def on_page(href: str) -> str:
    """A results link as a browser resolves it on the search page ``/``: they are relative query strings."""
    return urljoin("/", href)


def test_page_is_japanese_with_a_labelled_search_box(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    page = parse_page(response)
    inputs = [a for tag, a in page.tags if tag == "input" and a.get("name") == "q"]
    labels = [a for tag, a in page.tags if tag == "label"]
    assert inputs and inputs[0]["id"] == "mikke-q" and inputs[0]["type"] == "search"
    assert any(a.get("for") == "mikke-q" for a in labels)
    assert any(
        tag == "form" and a.get("role") == "search" and a.get("method") == "get" for tag, a in page.tags
    )


def test_no_query_yet_explains_and_lists_newest_posts(client: FlaskClient) -> None:
    page = parse_page(client.get("/"))
    assert page.texts["mikke-status"] == "新しい記事 9件"
    assert "キーワードを入力すると" in page.texts["mikke-empty"]
    titles = [a.text for a in page.anchors if a.href.startswith("https://blog.example.jp/")]
    assert titles[0] == "検索のコツ"  # the newest post


@pytest.mark.parametrize("spaces", [" ", "\u3000", " \t\u3000 ", " " * MAX_QUERY_CHARS + "図書館"])
def test_a_query_of_only_spaces_is_the_empty_search(client: FlaskClient, spaces: str) -> None:
    response = client.get("/", query_string={"q": spaces})
    page = parse_page(response)
    assert page.texts["mikke-status"] == "新しい記事 9件"
    assert "<title>記事検索</title>" in response.get_data(as_text=True)
    assert client.get("/api/results", query_string={"q": spaces}).get_json()["title"] == "記事検索"


def test_bidi_and_control_characters_of_a_query_are_not_quoted_in_the_title_or_status(
    client: FlaskClient,
) -> None:
    # A crafted link's right-to-left override would reverse the page's own words after the quote.
    q = "図書館\u202e館書図\u2066x\u0007"
    response = client.get("/", query_string={"q": q})
    page = parse_page(response)
    assert "<title>「図書館館書図x」の検索結果 - 記事検索</title>" in response.get_data(as_text=True)
    assert page.texts["mikke-status"].startswith("「図書館館書図x」")
    body = client.get("/api/results", query_string={"q": q}).get_json()
    assert body["title"] == "「図書館館書図x」の検索結果 - 記事検索"
    assert "\u202e" not in body["status"]


def test_results_show_count_links_dates_tags_and_marked_excerpts(client: FlaskClient) -> None:
    response = client.get("/?q=図書館")
    html = response.get_data(as_text=True)
    page = parse_page(response)
    assert page.texts["mikke-status"].startswith("「図書館」の検索結果: 2件")
    post_links = [a.href for a in page.anchors if a.href.startswith("https://")]
    assert "https://blog.example.jp/blog/2024/01/11/tokyo-library/" in post_links
    # 2024-01-10 23:30 UTC is the 11th in the site's timezone (Asia/Tokyo).
    assert '<time datetime="2024-01-11T08:30:00+09:00">2024年1月11日</time>' in html
    assert "<mark>図書館</mark>" in html
    assert {"#読書", "#東京"} <= {a.text for a in links(page, "mikke-tag")}


def test_post_html_and_query_text_are_escaped(client: FlaskClient) -> None:
    html = client.get("/?q=エスケープ").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "HTMLの&lt;script&gt;タグ &amp; <mark>エスケープ</mark>" in html
    typed = client.get("/?q=エスケープ <script>alert(9)</script>").get_data(as_text=True)
    assert "「エスケープ &lt;script&gt;alert(9)&lt;/script&gt;」の検索結果" in typed
    assert 'value="エスケープ &lt;script&gt;alert(9)&lt;/script&gt;"' in typed
    for page in (html, typed):
        (script,) = re.findall(r"<script[^>]*>", page)
        assert re.fullmatch(r'<script src="/static/search\.js\?v=\w+" defer>', script)
        assert "<img" not in page


def test_page_has_no_inline_script_style_attribute_or_event_handlers(client: FlaskClient) -> None:
    for url in ["/", "/?q=検索&tag=python", "/?q=ぴよぴよ&tag=python", "/nothing"]:
        page = parse_page(client.get(url))
        for tag, attrs in page.tags:
            assert "style" not in attrs, (url, tag)
            assert not any(name.startswith("on") for name in attrs), (url, tag, attrs)
            if tag == "script":
                assert attrs.get("src"), url
        # The one <style> element is the app's own stylesheet, allowed by hash (test_web_api checks it).
        assert client.get(url).get_data(as_text=True).count("<style") == 1


def test_tag_list_counts_the_current_results_and_adds_a_filter(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索"))
    facet = {a.text.split()[0]: a for a in page.anchors if a.href.startswith("?") and "tag=" in a.href}
    python = facet["Python"]
    assert python.text == "Python 2"
    assert args_of(python.href) == {"q": ["検索"], "tag": ["python"]}

    filtered = parse_page(client.get(on_page(python.href)))
    assert filtered.texts["mikke-status"].startswith("「検索」の検索結果: 2件")
    chips = links(filtered, "mikke-chip")
    assert [c.attrs["aria-label"] for c in chips] == ["タグ: Python の絞り込みを外す"]
    assert args_of(chips[0].href) == {"q": ["検索"]}


def test_hits_show_each_tag_as_the_tag_list_does_whatever_each_post_wrote(
    tmp_path: Path, make_app: AppFactory
) -> None:
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("timezone: Asia/Tokyo\n", "utf-8")
    for n, tags in enumerate(["[Python, 猫]", "[python]", "[Python]", "[ｐｙｔｈｏｎ]"], start=1):
        source = f"---\ntitle: 記事{n}\ntags: {tags}\n---\n\nプログラムの話。\n"
        (site / "_posts" / f"2024-01-0{n}-post.md").write_text(source, "utf-8")
    build_index(site, tmp_path / "index", full=True, jobs=1)
    client = make_app(SEARCH_INDEX=str(tmp_path / "index"), SEARCH_PER_PAGE=10).test_client()
    page = parse_page(client.get("/?q=プログラム"))
    hit_tags = [a.text for a in links(page, "mikke-tag")]
    facet = [a.text.split()[0] for a in page.anchors if "tag=" in a.href and "#" not in a.text]
    assert facet[0] == "Python"  # the most common spelling of the key python
    assert sorted(hit_tags) == ["#Python"] * 4 + ["#猫"]
    assert {tuple(args_of(a.href)["tag"]) for a in links(page, "mikke-tag")} == {("python",), ("猫",)}


def test_several_tags_narrow_further_and_each_can_be_removed(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索&tag=検索&tag=python"))
    assert page.texts["mikke-status"].startswith("「検索」の検索結果: 2件")
    chips = links(page, "mikke-chip")
    assert [args_of(c.href).get("tag") for c in chips] == [["python"], ["検索"]]
    (clear,) = links(page, "mikke-clear")
    assert args_of(clear.href) == {"q": ["検索"]}
    active = [a for a in page.anchors if a.attrs.get("class") == "mikke-on"]
    assert {a.text.split()[0] for a in active} == {"検索", "Python"}  # ticked in the tag list


def test_search_form_keeps_the_filters_as_hidden_fields(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索&tag=python&sort=date"))
    hidden = [(a["name"], a["value"]) for tag, a in page.tags if tag == "input" and a.get("type") == "hidden"]
    assert hidden == [("tag", "python"), ("sort", "date")]


def test_sort_links_switch_between_relevance_and_date(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索"))
    assert "並び順: 関連度順 新しい順" in page.texts["mikke-sort"]
    (by_date,) = [a for a in page.anchors if a.text == "新しい順"]
    assert args_of(by_date.href) == {"q": ["検索"], "sort": ["date"]}
    html = client.get(on_page(by_date.href)).get_data(as_text=True)
    dates = re.findall(r'<time datetime="([^"]+)"', html)
    assert dates == sorted(dates, reverse=True)
    assert '<strong aria-current="true">新しい順</strong>' in html


def test_pagination_links_pages_and_marks_the_current_one(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索"))
    assert page.texts["mikke-status"] == "「検索」の検索結果: 6件（1〜3件目）"
    (nxt,) = links(page, "mikke-next")
    assert args_of(nxt.href) == {"q": ["検索"], "page": ["2"]}
    second = client.get(on_page(nxt.href))
    html = second.get_data(as_text=True)
    assert '<strong aria-current="page">2</strong>' in html
    assert '<ol class="mikke-hits" start="4">' in html
    assert parse_page(second).texts["mikke-status"] == "「検索」の検索結果: 6件（4〜6件目）"
    assert links(parse_page(second), "mikke-prev")


def test_page_past_the_end_offers_the_first_page(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=検索&page=50"))
    assert page.texts["mikke-status"] == "6件見つかりましたが、このページに結果はありません。"
    back = [a for a in page.anchors if a.text == "1ページ目に戻る"]
    assert args_of(back[0].href) == {"q": ["検索"]}


def test_every_page_link_leads_to_the_page_it_names_even_past_the_last_page_served(
    make_app: AppFactory, crowded_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A blog of more pages than MAX_PAGE (22,640 posts are 2,264 pages of ten): a page past it is clamped,
    # so a link to it would show page MAX_PAGE again. Four pages here, of the 40 the crowded site fills.
    monkeypatch.setattr("mikke.web.params.MAX_PAGE", 4)
    client = make_app(SEARCH_INDEX=str(crowded_index)).test_client()
    for url in ("/", "/?page=3", "/?page=4", "/?page=40"):
        page = parse_page(client.get(url))
        numbered = [a for a in links(page) if a.text.isdigit()]
        for a in [*numbered, *links(page, "mikke-next"), *links(page, "mikke-prev")]:
            target = client.get(on_page(a.href)).get_data(as_text=True)
            shown = re.search(r'<strong aria-current="page">(\d+)</strong>', target)
            assert shown and shown.group(1) == args_of(a.href).get("page", ["1"])[0], (url, a.text, a.href)
    last = parse_page(client.get("/?page=4"))
    assert not links(last, "mikke-next")
    assert [a.text for a in last.anchors if a.text.isdigit()] == ["1", "2", "3"]


def test_no_results_suggest_removing_a_tag_or_a_word(client: FlaskClient) -> None:
    page = parse_page(client.get("/?q=カレー 煮込む&tag=python"))
    assert page.texts["mikke-status"] == "「カレー 煮込む」に一致する記事は見つかりませんでした。"
    suggestions = {a.text: args_of(a.href) for a in page.anchors if a.text.startswith("「")}
    assert suggestions["「タグ: python」の絞り込みを外す"] == {"q": ["カレー 煮込む"]}
    assert suggestions["「煮込む」で検索する"] == {"q": ["煮込む"], "tag": ["python"]}
    assert suggestions["「カレー」で検索する"] == {"q": ["カレー"], "tag": ["python"]}


def test_long_query_is_cut_with_a_notice(client: FlaskClient) -> None:
    page = parse_page(client.get("/", query_string={"q": "図書館" * 10_000}))
    assert "検索語が長すぎるため" in page.texts["mikke-notices"]
    q_input = next(a for tag, a in page.tags if tag == "input" and a.get("name") == "q")
    assert len(q_input["value"] or "") == MAX_QUERY_CHARS


def test_words_left_out_of_a_long_query_are_named_in_a_notice(
    make_app: AppFactory, crowded_index: Path
) -> None:
    client = make_app(SEARCH_INDEX=str(crowded_index)).test_client()
    page = parse_page(client.get("/", query_string={"q": " ".join(CROWDED_WORDS)}))
    # Every post has all four words: three of them fill the postings budget, the fourth is left out.
    assert f"次の語は使いませんでした: {CROWDED_WORDS[-1]}" in page.texts["mikke-notices"]


def test_unreadable_dates_and_sort_are_ignored_with_a_notice(client: FlaskClient) -> None:
    response = client.get("/?q=検索&from=2024-02-30&to=tomorrow&sort=best")
    assert response.status_code == 200
    notices = parse_page(response).texts["mikke-notices"]
    assert "日付（from）を読み取れないため" in notices and "日付（to）" in notices
    assert "並び順の指定を読み取れないため" in notices
    assert parse_page(response).texts["mikke-status"].startswith("「検索」の検索結果: 6件")


def test_date_filters_show_as_removable_filters(client: FlaskClient) -> None:
    page = parse_page(client.get("/?from=2024-03-01&to=2024-05-05"))
    assert page.texts["mikke-status"].startswith("絞り込み結果: 3件")
    chips = {c.text.strip(" ×"): args_of(c.href) for c in links(page, "mikke-chip")}
    assert chips == {"2024-03-01 以降": {"to": ["2024-05-05"]}, "2024-05-05 以前": {"from": ["2024-03-01"]}}


STATES = [
    "",
    "q=検索",
    "q=検索&page=2",
    "q=検索&tag=python&tag=検索&sort=date",
    "from=2024-03-01&to=2024-05-05",
    "q=検索&page=50",
    "q=カレー 煮込む&tag=python",
    "q=検索&from=2024-02-30&sort=best",
    "q=エスケープ <script>alert(9)</script>",
]


def results_region(html: str) -> str:
    """The inside of the page's ``data-mikke-results`` element (the region closes the page's main)."""
    found = re.search(
        r"<div class=\"mikke-results\" data-mikke-results>(.*)\n</div>\n</div>\s*</main>", html, re.S
    )
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("state", STATES)
def test_results_endpoint_answers_with_the_pages_own_results_status_and_title(
    client: FlaskClient, state: str
) -> None:
    page = client.get("/?" + state)
    answer = client.get("/api/results?" + state)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"html", "status", "title", "total", "stats"}
    html = page.get_data(as_text=True)
    assert body["html"] == results_region(html)
    assert body["status"] == parse_page(page).texts["mikke-status"]
    title = re.search(r"<title>(.*)</title>", html)
    assert title and body["title"] == unescape(title.group(1))


@pytest.mark.parametrize("state", STATES)
def test_results_links_are_query_strings_that_work_on_any_page(client: FlaskClient, state: str) -> None:
    region = PageParser()
    region.feed(client.get("/api/results?" + state).get_json()["html"])
    for a in region.anchors:
        if "data-mikke-nav" in a.attrs:
            assert a.href.startswith("?"), a.href  # mikke's page or the blog page that embeds the search
        else:
            assert a.href.startswith("https://blog.example.jp/blog/"), a.href  # a post


def test_results_endpoint_escapes_post_and_query_text(client: FlaskClient) -> None:
    body = client.get("/api/results", query_string={"q": "ぴよぴよ <script>alert(9)</script>"}).get_json()
    # Plain text, which search.js sets as text; the post about HTML is found by "script" and "alert".
    assert body["status"].startswith("「ぴよぴよ <script>alert(9)</script>」の検索結果")
    assert "<script" not in body["html"]
    body = client.get("/api/results?q=エスケープ").get_json()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body["html"]
    assert "HTMLの&lt;script&gt;タグ &amp; <mark>エスケープ</mark>" in body["html"]
    assert "<script" not in body["html"] and "<img" not in body["html"]


def test_results_endpoint_reads_odd_values_as_the_page_does(client: FlaskClient) -> None:
    body = client.get("/api/results?q=検索&sort=best&page=x&per_page=1").get_json()
    assert "並び順の指定を読み取れないため" in body["html"]
    assert body["status"] == "「検索」の検索結果: 6件（1〜3件目）"  # the page size is the page's


@pytest.mark.parametrize("text", ODD_QUERIES)
def test_odd_input_renders_the_page(client: FlaskClient, text: str) -> None:
    response = client.get("/", query_string={"q": text, "tag": text, "page": text, "sort": text})
    assert response.status_code == 200


@pytest.mark.parametrize("raw", ["q=%E3%81", "q=%ZZ", "tag=%FF&tag=%FF", "page=-1", "page=1&page=x", "&&=&"])
def test_odd_query_strings_render_the_page(client: FlaskClient, raw: str) -> None:
    assert client.get("/?" + raw).status_code == 200


def test_opensearch_description_is_linked_and_points_at_the_page(client: FlaskClient) -> None:
    page = parse_page(client.get("/"))
    (link,) = [a for tag, a in page.tags if tag == "link" and a.get("rel") == "search"]
    assert link["type"] == "application/opensearchdescription+xml"
    response = client.get(link["href"] or "")
    assert response.mimetype == "application/opensearchdescription+xml"
    xml = response.get_data(as_text=True)
    assert 'template="http://localhost/?q={searchTerms}"' in xml
    assert "<InputEncoding>UTF-8</InputEncoding>" in xml


def test_unknown_page_is_a_friendly_html_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_post_to_the_page_is_405_in_html(client: FlaskClient) -> None:
    response = client.post("/")
    assert response.status_code == 405 and response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("a<mark>b</mark>c", "a<mark>b</mark>c"),
        ("&lt;script&gt;", "&lt;script&gt;"),
        ("<script>x</script><mark>y</mark>", "&lt;script&gt;x&lt;/script&gt;<mark>y</mark>"),
        ("<mark>open", "<mark>open</mark>"),
        ("close</mark><mark><mark>x</mark>", "close<mark>x</mark>"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("&amp;lt;", "&amp;lt;"),
    ],
)
def test_marked_keeps_only_mark_elements(fragment: str, expected: str) -> None:
    assert str(marked(fragment)) == expected


def test_safe_href_refuses_script_urls() -> None:
    assert safe_href("https://blog.example.jp/a/") == "https://blog.example.jp/a/"
    assert safe_href("/blog/a/") == "/blog/a/"
    assert safe_href("javascript:alert(1)") == "#"
    assert safe_href(" JAVASCRIPT:alert(1)") == "#"
    assert safe_href("data:text/html,x") == "#"


def test_local_day_reads_the_date_as_written() -> None:
    assert local_day("2024-01-11T08:30:00+09:00") == "2024年1月11日"
    assert local_day("2024-12-31T23:59:00-10:00") == "2024年12月31日"
    assert local_day("not a date") == "not a date"
