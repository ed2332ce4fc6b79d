"""Hits link to the section their excerpt is in, with the heading ids Jekyll's kramdown writes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.document import SECTION_TITLE_CHARS
from mikke.search.markdown_text import JEKYLL_HEADING_IDS
from mikke.search.markdown_text import HeadingIds
from mikke.search.markdown_text import gfm_heading_id
from mikke.search.markdown_text import render_text
from mikke.search.posts import SiteConfig
from mikke.search.posts import post_image
from mikke.search.site import read_site_config

from .conftest import SITE_CONFIG
from .conftest import post_source


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("生成AIの課題", "生成aiの課題"),
        ("Hello World", "hello-world"),
        ("C++ & Rust: 比較", "c--rust-比較"),
        ("全角　スペース！？", "全角スペース"),  # a full-width space is no space to kramdown
        ("「かぎ括弧」と（丸括弧）", "かぎ括弧と丸括弧"),
        ("長音ーとカタカナ・中黒", "長音ーとカタカナ中黒"),
        ("Ｆｕｌｌ－width ２０２４", "ｆｕｌｌwidth-２０２４"),  # full-width digits are decimal digits
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("a -- b --- c", "a--b--c"),  # dashes kramdown turns into typographic ones are dropped
        ("①②", ""),  # not decimal digits
    ],
)
def test_heading_ids_follow_kramdowns_gfm_rule(heading: str, expected: str) -> None:
    assert gfm_heading_id(heading) == expected


def sections_of(markdown: str, ids: HeadingIds | None = JEKYLL_HEADING_IDS) -> list[tuple[str, str, str]]:
    return list(render_text(markdown, heading_ids=ids).sections)


def test_repeated_headings_are_numbered_and_an_explicit_id_wins() -> None:
    markdown = "## まとめ\n\n一つ目。\n\n## まとめ\n\n二つ目。\n\n## 独自 {#mine}\n\n三つ目。\n\n"
    markdown += "# 章\n\n## まとめ\n\n四つ目。\n"
    assert sections_of(markdown) == [
        ("まとめ", "まとめ", "まとめ"),
        # The repeated heading is dropped from the text; its section starts at the block after it.
        ("二つ目。", "まとめ-1", "まとめ"),
        ("独自", "mine", "独自"),
        ("四つ目。", "まとめ-2", "まとめ"),  # h1 headings count too, but are no sections
    ]


def test_only_h2_and_h3_headings_are_sections_and_the_prefix_applies_to_derived_ids() -> None:
    markdown = "# 一\n\n本文。\n\n## 二\n\n本文二。\n\n### 三\n\n本文三。\n\n#### 四\n\n本文四。\n"
    ids = [section_id for _, section_id, _ in sections_of(markdown, HeadingIds(prefix="sec-"))]
    assert ids == ["sec-二", "sec-三"]


def test_without_auto_ids_only_explicit_ids_remain() -> None:
    markdown = "## 自動\n\n本文。\n\n## 明示 {#given}\n\n本文二。\n"
    assert sections_of(markdown, HeadingIds(auto=False)) == [("明示", "given", "明示")]
    assert sections_of(markdown, None) == []
    assert "{#given}" not in render_text(markdown, heading_ids=None).text


def test_an_html_heading_keeps_its_own_id_and_one_without_an_id_is_no_section() -> None:
    html = '<h2 id="own">独自の見出し</h2><p>本文。</p><h2>番号なし</h2><p>本文二。</p>'
    assert list(render_text(html, markdown=False).sections) == [("独自の見出し", "own", "独自の見出し")]


def test_the_config_decides_how_headings_get_ids(tmp_path: Path) -> None:
    def ids(extra: str) -> HeadingIds | None:
        (tmp_path / "_config.yml").write_text(SITE_CONFIG + extra, "utf-8")
        return read_site_config(tmp_path).heading_ids

    assert ids("") == HeadingIds()
    assert ids("kramdown:\n  auto_ids: false\n") == HeadingIds(auto=False)
    assert ids("kramdown:\n  auto_id_prefix: h-\n") == HeadingIds(prefix="h-")
    assert ids("kramdown:\n  input: kramdown\n") is None  # another id rule: hits link the post
    assert ids("markdown: CommonMarkGhPages\n") is None


LONG_POST = """\
冒頭の段落には見出しがない。ここで鯛焼きの話をする。

## 生成AIの課題

誤った内容を書く点が課題だ。ここで鴨南蛮の話をする。

## 料理の話

出汁の取り方を説明する。ここで湯豆腐の話をする。

## LONG_HEADING

ここで茶碗蒸しの話をする。
"""
# A "heading" that is a whole paragraph.
LONG_HEADING = "とても長い見出しが続く" * 20
LONG_POST = LONG_POST.replace("LONG_HEADING", LONG_HEADING)


@pytest.fixture
def store(site: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    (site / "_posts" / "2024-06-01-long.md").write_text(
        post_source("長い記事", LONG_POST, tags="[料理]"), "utf-8"
    )
    build_index(site, tmp_path / "index", jobs=1)
    return open_store(tmp_path / "index")


def test_a_hit_links_the_heading_before_its_excerpt(store) -> None:  # type: ignore[no-untyped-def]
    (hit,) = search(store, "鴨南蛮").hits
    assert hit.section is not None and hit.section.title == "生成AIの課題"
    assert unquote(hit.section.url) == hit.url + "#生成aiの課題"
    assert hit.to_json()["section"] == {"title": "生成AIの課題", "url": hit.section.url}
    (hit,) = search(store, "湯豆腐").hits
    assert hit.section is not None and unquote(hit.section.url).endswith("#料理の話")


def test_a_hit_in_a_section_with_a_long_heading_links_its_whole_id_under_a_shortened_title(
    store,  # type: ignore[no-untyped-def]
) -> None:
    (hit,) = search(store, "茶碗蒸し").hits
    assert hit.section is not None
    assert unquote(hit.section.url) == hit.url + "#" + LONG_HEADING
    assert len(hit.section.title) == SECTION_TITLE_CHARS and hit.section.title.endswith("…")
    assert LONG_HEADING.startswith(hit.section.title[:-1])


def test_a_hit_before_any_heading_or_without_matches_in_the_text_links_the_post(
    store,  # type: ignore[no-untyped-def]
) -> None:
    (hit,) = search(store, "鯛焼き").hits
    assert hit.section is None and hit.to_json()["section"] is None
    # No query words: the summary, no section.
    assert [h.section for h in search(store, "", tags=["料理"]).hits] == [None, None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/assets/ogp.png", "https://example.jp/blog/assets/ogp.png"),
        ("assets/ogp.png", "https://example.jp/blog/assets/ogp.png"),
        ("https://cdn.example.com/a.png", "https://cdn.example.com/a.png"),
        ("//cdn.example.com/a.png", "https://cdn.example.com/a.png"),
        ("/assets/画像 1.png", "https://example.jp/blog/assets/%E7%94%BB%E5%83%8F%201.png"),
        ({"path": "/assets/seo.png", "height": 630}, "https://example.jp/blog/assets/seo.png"),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("", None),
        (["/a.png"], None),
        ("/a.png\n<script>", None),
        ("http://[x/a.png", None),  # urlsplit refuses it: no image, and the post is indexed all the same
        ("//[x/a.png", None),
    ],
)
def test_a_posts_image_becomes_an_absolute_http_url_or_nothing(value: object, expected: str | None) -> None:
    config = SiteConfig(root=Path("/site"), url="https://example.jp", baseurl="/blog")
    assert post_image(config, value) == expected


def test_a_relative_image_of_a_site_without_url_is_left_out() -> None:
    assert post_image(SiteConfig(root=Path("/site")), "/assets/a.png") is None


def test_a_hit_carries_its_posts_image(site: Path, tmp_path: Path) -> None:
    source = post_source("写真つきの記事", "鴨南蛮の写真を載せる。").replace(
        "---\n\n", "image: /img/kamo.jpg\n---\n\n"
    )
    (site / "_posts" / "2024-06-02-photo.md").write_text(source, "utf-8")
    build_index(site, tmp_path / "index", jobs=1)
    (hit,) = search(open_store(tmp_path / "index"), "鴨南蛮").hits
    assert hit.image == "https://example.jp/blog/img/kamo.jpg"
    assert hit.to_json()["image"] == hit.image
    (other,) = search(open_store(tmp_path / "index"), "図書館").hits
    assert other.image is None and other.to_json()["image"] is None
