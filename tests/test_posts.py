"""Jekyll loading: which files are published, at which URL, with which clean text; bad input is skipped."""

from __future__ import annotations

import os
import re
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from mikke.search import site as site_module
from mikke.search.analysis import tag_key
from mikke.search.errors import SettingError
from mikke.search.errors import SiteError
from mikke.search.posts import MAX_POST_BYTES
from mikke.search.posts import MAX_VARIABLE_CHARS
from mikke.search.posts import MAX_VARIABLE_DEPTH
from mikke.search.posts import MAX_VARIABLES
from mikke.search.posts import PostSkipped
from mikke.search.posts import _FastLoader
from mikke.search.posts import _GuardedLoader
from mikke.search.posts import parse_date
from mikke.search.posts import slugify
from mikke.search.site import Site
from mikke.search.site import load_site
from mikke.search.site import read_site_config
from mikke.search.site import read_site_file

from .conftest import finishes_despite_fifo

TOKYO_CONFIG = 'url: "https://example.jp"\nbaseurl: ""\ntimezone: Asia/Tokyo\n'


def make_site(tmp_path: Path, files: dict[str, str | bytes], config: str = TOKYO_CONFIG) -> Path:
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    (root / "_config.yml").write_text(config, encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def post(front: str = 'title: "タイトル"', body: str = "本文です。") -> str:
    return f"---\n{front}\n---\n\n{body}\n"


def only(site: Site):  # type: ignore[no-untyped-def]
    assert len(site.posts) == 1, (site.posts, site.skipped)
    return site.posts[0]


def skipped(site: Site) -> dict[str, str]:
    return {s.path: s.reason for s in site.skipped}


# --- which files are posts -------------------------------------------------------------------------


def test_posts_in_category_folders_get_the_folder_as_leading_category(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "tech/_posts/2024-06-01-a.md": post("title: a\ncategories: [Python]"),
            "_posts/2024-06-02-b.md": post(),
        },
    )
    site = load_site(root)
    a = next(p for p in site.posts if p.id == "tech/_posts/2024-06-01-a.md")
    assert a.categories == ("tech", "Python")
    assert len(site.posts) == 2


def test_bad_names_are_reported_and_other_extensions_published(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "_posts/2024-01-01-a.md.backup": post(),
            "_posts/notes.md": post(),
            "_posts/2024-01-02-b.html": post(body="<p>HTMLの記事</p>"),
            "_posts/2024-01-03-c.markdown": post(),
        },
    )
    site = load_site(root)
    reasons = skipped(site)
    assert "YYYY-MM-DD" in reasons["_posts/notes.md"]
    # Jekyll publishes a post of any extension; one it has no converter for, as it is.
    assert {p.id for p in site.posts} == {
        "_posts/2024-01-01-a.md.backup",
        "_posts/2024-01-02-b.html",
        "_posts/2024-01-03-c.markdown",
    }


def test_unpublished_drafts_and_excluded_files_are_not_indexed(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "_posts/2024-01-01-off.md": post("title: off\npublished: false"),
            "_drafts/2024-01-02-draft.md": post(),
            "old/_posts/2024-01-03-old.md": post(),
            "_posts/2024-01-04-on.md": post(),
        },
        config=TOKYO_CONFIG + "exclude: [old]\n",
    )
    site = load_site(root)
    assert [p.id for p in site.posts] == ["_posts/2024-01-04-on.md"]
    assert skipped(site)["_posts/2024-01-01-off.md"] == "published: false"


def test_folders_jekyll_skips_as_special_or_backups_hold_no_posts(tmp_path: Path) -> None:
    # Jekyll's EntryFilter: a folder starting with . _ # ~ or ending with ~ is not read; inside _posts
    # that is decided for the path below _posts, so only its first folder counts (checked with jekyll 4.3).
    names = [
        "#drafts/_posts",
        "~old/_posts",
        "old~/_posts",
        "_posts/_wip",
        "_posts/#tmp",
        "_posts/~x",
        "_posts/.hidden",
        "_posts/a/_deeper",  # published: only the first folder below _posts is checked
        "_posts/a/#deeper",
        "_posts/x~",  # published: a backup is a path ending with ~, and this one ends with the file
        "c.d/_posts",
    ]
    files = {f"{name}/2024-01-0{i % 9 + 1}-p{i}.md": post() for i, name in enumerate(names)}
    root = make_site(tmp_path, files)
    published = {p.id.rsplit("/", 1)[0] for p in load_site(root).posts}
    assert published == {"_posts/a/_deeper", "_posts/a/#deeper", "_posts/x~", "c.d/_posts"}


def test_include_brings_back_what_jekyll_would_skip_and_exclude_is_a_prefix_as_in_jekyll(
    tmp_path: Path,
) -> None:
    root = make_site(
        tmp_path,
        {
            "_posts/_wip/2024-01-01-a.md": post(),
            "_posts/old/2024-01-02-b.md": post(),
            "_posts/older/2024-01-03-c.md": post(),  # Jekyll's exclude matches a prefix: old is in older
            "cat/_posts/2024-01-04-d.md": post(),
            "category/_posts/2024-01-05-e.md": post(),
            # Included, but its posts' paths are still excluded (by cat): include is matched against
            # the folder's name, exclude against each post's path from the site root.
            "catalogue/_posts/2024-01-06-f.md": post(),
            "tech/_posts/2024-01-07-g.md": post(),
            "#notes/_posts/2024-01-08-h.md": post(),
        },
        config=TOKYO_CONFIG + "exclude: [_posts/old, cat, tech/]\ninclude: [_wip, catalogue, '#notes']\n",
    )
    assert sorted(p.id for p in load_site(root).posts) == [
        "#notes/_posts/2024-01-08-h.md",
        "_posts/_wip/2024-01-01-a.md",
    ]


@pytest.mark.parametrize(
    ("front", "published"),
    [
        ("published: false", False),
        ("published: FALSE", False),
        ("published: no", False),
        ("published: off", False),
        ("published:", False),  # nil: Jekyll's fetch("published", true) gives nil, which hides the post
        ("published: ~", False),
        ('published: "false"', True),  # a string, and every string is true in Ruby
        ("published: 'no'", True),
        ("published: 0", True),  # 0 is true in Ruby
        ("published: n", True),  # Ruby's YAML reads n as a string
        ("published: true", True),
    ],
)
def test_published_follows_ruby_truthiness_as_jekyll_does(
    tmp_path: Path, front: str, published: bool
) -> None:
    site = load_site(make_site(tmp_path, {"_posts/2024-01-01-p.md": post(f"title: p\n{front}")}))
    assert bool(site.posts) is published
    if not published:
        assert skipped(site)["_posts/2024-01-01-p.md"].startswith("published: ")


def test_future_posts_need_future_true(tmp_path: Path) -> None:
    files = {"_posts/2200-01-01-later.md": post()}
    assert "future" in skipped(load_site(make_site(tmp_path, files)))["_posts/2200-01-01-later.md"]
    future_site = make_site(tmp_path, files, config=TOKYO_CONFIG + "future: true\n")
    assert only(load_site(future_site)).id == "_posts/2200-01-01-later.md"


@pytest.mark.parametrize("front", ["sitemap: false", "robots: noindex", 'robots: "noindex, nofollow"'])
def test_hidden_posts_are_excluded_unless_asked_for(tmp_path: Path, front: str) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-01-hidden.md": post(f"title: x\n{front}")})
    assert load_site(root).posts == []
    assert only(load_site(root, include_hidden=True)).title == "x"


# --- dates --------------------------------------------------------------------------------------------


def test_evening_utc_date_is_next_day_in_tokyo_and_in_the_url(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {"_posts/2025-08-29-ai.md": post("title: x\ndate: 2025-08-29 17:25:03 +0000")},
        config=TOKYO_CONFIG + "permalink: /:year/:month/:day/:title/\n",
    )
    p = only(load_site(root))
    assert p.date.isoformat() == "2025-08-30T02:25:03+09:00"
    assert p.url == "https://example.jp/2025/08/30/ai/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-29 17:25:03 +0000", "2025-08-30T02:25:03+09:00"),
        ("2025-08-29 17:25:03 +0900", "2025-08-29T17:25:03+09:00"),
        ("2025-08-29 17:25:03 +09:00", "2025-08-29T17:25:03+09:00"),
        ("2025-08-29T08:25:03Z", "2025-08-29T17:25:03+09:00"),
        ("2025/08/29 17:25", "2025-08-29T17:25:00+09:00"),
        ("2025-08-29", "2025-08-29T00:00:00+09:00"),
        ("2025-08-29 10:00:00 -0500", "2025-08-30T00:00:00+09:00"),
    ],
)
def test_dates_parse_like_ruby_time_parse(text: str, expected: str) -> None:
    from zoneinfo import ZoneInfo

    assert parse_date(text, ZoneInfo("Asia/Tokyo")).isoformat() == expected


def test_front_matter_date_wins_over_the_file_name(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-01-x.md": post("title: x\ndate: 2024-02-03 10:00:00 +0900")})
    assert only(load_site(root)).date.day == 3


def test_invalid_date_is_reported(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-01-x.md": post("title: x\ndate: someday")})
    assert "not a valid date" in skipped(load_site(root))["_posts/2024-01-01-x.md"]


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01",  # the site timezone's midnight: still a valid datetime
        "0001-01-01 00:00:00 +0900",  # before year 1 once moved to UTC
        "9999-12-31 23:59:59 -1000",  # after year 9999 in Asia/Tokyo
        "1600-06-01",
        "2300-06-01",
    ],
)
def test_a_date_the_index_cannot_hold_skips_only_that_post(tmp_path: Path, date: str) -> None:
    files = {"_posts/2024-01-01-x.md": post(f"title: x\ndate: {date}"), "_posts/2024-01-02-ok.md": post()}
    site = load_site(make_site(tmp_path, files, TOKYO_CONFIG + "future: true\n"))
    reason = skipped(site)["_posts/2024-01-01-x.md"]
    assert reason.endswith("is outside the dates the index can hold (1677-09-22 to 2262-04-10)")
    assert only(site).id == "_posts/2024-01-02-ok.md"


@pytest.mark.parametrize(
    "nested", ["[" * 400 + "]" * 400, "[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000]
)
def test_front_matter_nested_too_deeply_skips_only_that_post(tmp_path: Path, nested: str) -> None:
    files = {"_posts/2024-01-01-x.md": post(f"title: x\nx: {nested}"), "_posts/2024-01-02-ok.md": post()}
    site = load_site(make_site(tmp_path, files))
    reason = skipped(site)["_posts/2024-01-01-x.md"]
    assert reason == "front matter is not valid YAML (its values are nested too deeply)"
    assert only(site).id == "_posts/2024-01-02-ok.md"


@pytest.mark.parametrize(
    ("setting", "message"),
    [("built: 2024-13-01", "month must be in 1..12"), ("x: " + "[" * 600 + "]" * 600, "nested too deeply")],
)
def test_config_that_yaml_cannot_build_is_a_site_error(tmp_path: Path, setting: str, message: str) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-02-good.md": post()}, TOKYO_CONFIG + setting + "\n")
    with pytest.raises(SiteError, match=rf"Cannot read .*_config\.yml: .*{message}"):
        load_site(root)


@pytest.mark.parametrize("url", ["http://[oops", "https://[::1/blog"])
def test_a_site_url_that_is_no_url_is_named_with_its_file(tmp_path: Path, url: str) -> None:
    config = f'url: "{url}"\ntimezone: Asia/Tokyo\n'
    root = make_site(tmp_path, {"_posts/2024-01-02-good.md": post()}, config)
    with pytest.raises(SiteError, match=rf"_config\.yml: url {re.escape(repr(url))} is not a URL"):
        load_site(root)


# --- URLs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("permalink", "url"),
    [
        ("", "/web/2024/03/05/hello-world.html"),  # Jekyll's default style is "date"
        ("date", "/web/2024/03/05/hello-world.html"),
        ("pretty", "/web/2024/03/05/hello-world/"),
        ("none", "/web/hello-world.html"),
        ("ordinal", "/web/2024/065/hello-world.html"),
        ("weekdate", "/web/2024/W10/Tue/hello-world.html"),
        ("/:year/:i_month/:i_day/:slug/", "/2024/3/5/hello-world/"),
        ("/:short_year/:y_day/:hour:minute:second/:title:output_ext", "/24/065/093007/hello-world.html"),
        ("/blog/:categories/:title", "/blog/web/hello-world"),
    ],
)
def test_permalink_styles_and_placeholders(tmp_path: Path, permalink: str, url: str) -> None:
    config = TOKYO_CONFIG + (f"permalink: {permalink}\n" if permalink else "")
    front = "title: x\ndate: 2024-03-05 09:30:07 +0900\ncategories: Web"
    root = make_site(tmp_path, {"_posts/2024-03-05-hello-world.md": post(front)}, config=config)
    assert only(load_site(root)).permalink == url


def test_collection_permalink_wins_over_site_permalink(tmp_path: Path) -> None:
    config = TOKYO_CONFIG + "permalink: date\ncollections:\n  posts:\n    permalink: /p/:title/\n"
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post()}, config=config)
    assert only(load_site(root)).permalink == "/p/x/"


@pytest.mark.parametrize(
    ("own", "url"), [("pretty", "/pretty"), ("none", "/none"), ("/:year/:title/", "/2024/x/")]
)
def test_a_posts_own_permalink_is_a_template_never_a_style_name(tmp_path: Path, own: str, url: str) -> None:
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post(f"title: t\npermalink: {own}")})
    assert only(load_site(root)).permalink == url


def test_the_name_placeholder_is_the_file_name_with_its_date(tmp_path: Path) -> None:
    front = "title: t\nslug: My Custom Slug\npermalink: /:slug/:title/:name"
    root = make_site(tmp_path, {"_posts/2024-01-03-slugged.md": post(front)})
    assert only(load_site(root)).permalink == "/my-custom-slug/My-Custom-Slug/2024-01-03-slugged"


def test_front_matter_permalink_is_used(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post("title: t\npermalink: /about/me/")})
    assert only(load_site(root)).permalink == "/about/me/"


@pytest.mark.parametrize(
    ("text", "pretty", "default"),
    [
        ("What? #100% done", "What-100-done", "what-100-done"),
        ("trailing-", "trailing", "trailing"),
        ("Tom's (new) post", "Tom's-(new)-post", "tom-s-new-post"),
        ("東京の図書館", "東京の図書館", "東京の図書館"),
        ("a__b..c", "a__b..c", "a-b-c"),
    ],
)
def test_slugify_matches_jekyll(text: str, pretty: str, default: str) -> None:
    assert slugify(text, mode="pretty", cased=True) == pretty
    assert slugify(text) == default


def test_title_placeholder_keeps_case_and_non_ascii_is_percent_encoded(tmp_path: Path) -> None:
    config = TOKYO_CONFIG + "permalink: /:categories/:title/\n"
    files = {"_posts/2024-03-05-GPT-5無料化-.md": post("title: x\ncategories: [AI最新ニュース]")}
    p = only(load_site(make_site(tmp_path, files, config=config)))
    assert (
        p.permalink
        == "/ai%E6%9C%80%E6%96%B0%E3%83%8B%E3%83%A5%E3%83%BC%E3%82%B9/GPT-5%E7%84%A1%E6%96%99%E5%8C%96/"
    )


def test_front_matter_slug_replaces_the_file_slug(tmp_path: Path) -> None:
    config = TOKYO_CONFIG + "permalink: /:title/\n"
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post("title: t\nslug: My Post")}, config=config)
    assert only(load_site(root)).permalink == "/My-Post/"


def test_link_is_url_plus_baseurl_plus_path(tmp_path: Path) -> None:
    config = 'url: "https://example.jp/"\nbaseurl: "/blog/"\npermalink: pretty\n'
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post()}, config=config)
    assert only(load_site(root)).url == "https://example.jp/blog/2024/03/05/x/"


@pytest.mark.parametrize(
    ("baseurl", "link"),
    [
        ('"/b\\"<x> y"', "https://example.jp/b%22%3Cx%3E%20y/2024/03/05/x/"),
        ('"/ブログ%20x"', "https://example.jp/%E3%83%96%E3%83%AD%E3%82%B0%20x/2024/03/05/x/"),
    ],
)
def test_baseurl_is_percent_encoded_as_jekylls_absolute_url_writes_it(
    tmp_path: Path, baseurl: str, link: str
) -> None:
    # As `{{ page.url | absolute_url }}` gives them under `jekyll build` 4.3 (its escaping kept, the rest
    # encoded as UTF-8): a raw space, quote or < made no valid link.
    config = f'url: "https://example.jp"\nbaseurl: {baseurl}\npermalink: pretty\n'
    root = make_site(tmp_path, {"_posts/2024-03-05-x.md": post()}, config=config)
    assert only(load_site(root)).url == link


def test_later_post_wins_a_url_collision(tmp_path: Path) -> None:
    config = TOKYO_CONFIG + "permalink: /:title/\n"
    files = {
        "_posts/2024-01-01-same.md": post('title: "古い"'),
        "_posts/2024-02-01-same.md": post('title: "新しい"'),
    }
    site = load_site(make_site(tmp_path, files, config=config))
    assert only(site).title == "新しい"
    assert site.collisions[0].kept == "_posts/2024-02-01-same.md"
    assert site.collisions[0].overwritten == ("_posts/2024-01-01-same.md",)


# --- clean text ---------------------------------------------------------------------------------------


def test_reader_visible_text_only(tmp_path: Path) -> None:
    body = (
        "{% include note.html %}{{ site.title }}前文。\n\n"
        "{% raw %}{{ 残す }}{% endraw %}\n\n"
        '<div class="note">注意：<b>重要</b></div>\n\n'
        "<script>alert('x')</script>\n<style>p{}</style>\n<!-- コメント -->\n\n"
        "---END---\n\n"
        "**太字**と[リンク](https://example.jp)。\n"
    )
    p = only(load_site(make_site(tmp_path, {"_posts/2024-01-01-x.md": post(body=body)})))
    assert p.text.split("\n") == ["前文。", "{{ 残す }}", "注意：重要", "太字とリンク。"]


def test_repeated_sections_are_indexed_once(tmp_path: Path) -> None:
    section = "## 概要\n\n同じ段落が繰り返されます。\n\n別の段落です。\n\n"
    p = only(load_site(make_site(tmp_path, {"_posts/2024-01-01-x.md": post(body=section * 3 + "最後。")})))
    assert p.text.split("\n") == ["概要", "同じ段落が繰り返されます。", "別の段落です。", "最後。"]
    assert p.headings == ("概要",)


SITE_WITH_VALUES = TOKYO_CONFIG + (
    "title: みっけ日記\n"
    "description: 小さなブログ\n"
    "author:\n  name: 猫\n  links: [a, b]\n"
    "comments: true\n"
    "since: 2019\n"
    "started: 2019-04-01\n"
    "nav: [ホーム, 検索]\n"
)


def test_site_values_render_in_the_post_text(tmp_path: Path) -> None:
    body = (
        "{{ site.title }}らしい素朴な味。\n\n"
        "{{ site.title | escape }}と{{ site.description }}。\n\n"
        "著者は{{ site.author.name }}、{{ site.since }}年から、"
        "開始{{ site.started }}、コメント{{ site.comments }}。\n\n"
        "空の値: [{{ site.nav }}][{{ site.author }}][{{ site.author.links }}][{{ site.nothing }}]"
    )
    root = make_site(tmp_path, {"_posts/2024-04-20-curry.md": post(body=body)}, config=SITE_WITH_VALUES)
    assert only(load_site(root)).text.split("\n") == [
        "みっけ日記らしい素朴な味。",
        "みっけ日記と小さなブログ。",
        "著者は猫、2019年から、開始2019-04-01、コメントtrue。",
        "空の値: [][][][]",
    ]


def test_page_values_render_in_the_post_text(tmp_path: Path) -> None:
    front = (
        'title: "カレー"\ndate: 2024-04-20 12:00:00 +0900\nauthor:\n  name: 犬\n'
        "draft: yes\nrating: 5\ntags: [料理]\nnote: ~"
    )
    body = (
        "{{ page.title }}を作る。{{ page.author.name }}が書いた。\n\n"
        "{{ page.date }} / {{ page.url }} / {{ page.slug }}\n\n"
        "[{{ page.draft }}][{{ page.rating }}][{{ page.tags }}][{{ page.note }}]"
    )
    root = make_site(tmp_path, {"_posts/2024-04-20-curry.md": post(front, body)})
    assert only(load_site(root)).text.split("\n") == [
        "カレーを作る。犬が書いた。",
        "2024-04-20 12:00:00 +0900 / /2024/04/20/curry.html / curry",
        "[true][5][][]",
    ]


def test_page_title_without_a_title_is_the_one_jekyll_derives_from_the_file_name(tmp_path: Path) -> None:
    root = make_site(
        tmp_path, {"_posts/2024-04-20-spice-curry.md": post("tags: [a]", "「{{ page.title }}」")}
    )
    assert only(load_site(root)).text == "「Spice Curry」"


def test_front_matter_title_is_not_rendered_as_liquid_as_in_jekyll(tmp_path: Path) -> None:
    root = make_site(
        tmp_path, {"_posts/2024-01-01-x.md": post('title: "{{ site.title }}の記事"')}, config=SITE_WITH_VALUES
    )
    assert only(load_site(root)).title == "の記事"


def test_site_values_kept_are_bounded(tmp_path: Path) -> None:
    many = "".join(f"key{n}: value{n}\n" for n in range(MAX_VARIABLES + 50))
    deep = "deep: " + "{a: " * (MAX_VARIABLE_DEPTH + 2) + "x" + "}" * (MAX_VARIABLE_DEPTH + 2) + "\n"
    config = f"long: {'長' * (MAX_VARIABLE_CHARS + 1)}\nshort: 短い\n{deep}{many}"
    root = make_site(tmp_path, {}, config=TOKYO_CONFIG + config)
    variables = read_site_config(root).variables
    assert len(variables) == MAX_VARIABLES
    assert variables["site.short"] == "短い"
    assert "site.long" not in variables
    assert not any(name.startswith("site.deep") for name in variables)


def test_a_changed_site_value_changes_the_fingerprint(tmp_path: Path) -> None:
    root = make_site(tmp_path, {}, config=SITE_WITH_VALUES)
    before = read_site_config(root).fingerprint()
    assert read_site_config(root).fingerprint() == before
    (root / "_config.yml").write_text(SITE_WITH_VALUES.replace("みっけ日記", "別の日記"), "utf-8")
    assert read_site_config(root).fingerprint() != before


def test_site_url_setting_replaces_url_in_links_and_in_site_url(tmp_path: Path) -> None:
    files = {"_posts/2024-01-01-x.md": post(body="{{ site.url }}")}
    root = make_site(tmp_path, files, config='url: "https://example.jp"\nbaseurl: /blog\n')
    p = only(load_site(root, site_url="http://127.0.0.1:4000/"))
    assert p.url == "http://127.0.0.1:4000/blog/2024/01/01/x.html"
    assert p.text == "http://127.0.0.1:4000"
    served = read_site_config(root, site_url="http://127.0.0.1:4000").fingerprint()
    assert read_site_config(root, site_url="").fingerprint() != served
    assert read_site_config(root, site_url="").link("/x/") == "https://example.jp/blog/x/"


@pytest.mark.parametrize("value", ["127.0.0.1:4000", "ftp://example.jp", "http://example.jp/blog", "http://"])
def test_site_url_that_is_not_an_origin_is_refused_naming_the_setting(tmp_path: Path, value: str) -> None:
    root = make_site(tmp_path, {})
    with pytest.raises(SettingError, match="MIKKE_SITE_URL"):
        read_site_config(root, site_url=value)


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ('"**太字**のタイトル"', "太字のタイトル"),
        ('"## 見出しのタイトル"', "見出しのタイトル"),
        ('"```markdown タイトル```"', "タイトル"),
        ('"後ろに空白   "', "後ろに空白"),
        ('"壊れた文字\ufffd"', "壊れた文字"),
    ],
)
def test_titles_are_cleaned(tmp_path: Path, title: str, clean: str) -> None:
    p = only(load_site(make_site(tmp_path, {"_posts/2024-01-01-x.md": post(f"title: {title}")})))
    assert p.title == clean


def test_empty_title_falls_back_to_first_heading_then_file_name(tmp_path: Path) -> None:
    files = {
        "_posts/2024-01-01-with-heading.md": post('title: ""', "## 最初の見出し\n\n本文"),
        "_posts/2024-01-02-no-heading.md": post("layout: post", "本文だけ"),
    }
    titles = {p.id: p.title for p in load_site(make_site(tmp_path, files)).posts}
    assert titles["_posts/2024-01-01-with-heading.md"] == "最初の見出し"
    assert titles["_posts/2024-01-02-no-heading.md"] == "No Heading"


def test_excerpt_comes_from_front_matter_or_first_paragraph(tmp_path: Path) -> None:
    files = {
        "_posts/2024-01-01-a.md": post('title: a\nexcerpt: "**要約**です"', "本文"),
        "_posts/2024-01-02-b.md": post("title: b", "## 見出し\n\n最初の段落。\n\n二つ目。"),
    }
    excerpts = {p.id: p.excerpt for p in load_site(make_site(tmp_path, files)).posts}
    assert excerpts == {"_posts/2024-01-01-a.md": "要約です", "_posts/2024-01-02-b.md": "最初の段落。"}


# --- tags ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "tags"),
    [
        ("tags: [Python, 機械学習]", ("Python", "機械学習")),
        ("tags: 料理 レシピ", ("料理", "レシピ")),
        ("tags: [no, on, 2025, 1.5]", ("no", "on", "2025", "1.5")),
        ("tag: 単数", ("単数",)),
        ("tags: [Python, python, ＰＹＴＨＯＮ]", ("Python",)),
        ("tags:", ()),
    ],
)
def test_tags_are_read_as_jekyll_reads_them_and_kept_as_written(
    tmp_path: Path, front: str, tags: tuple[str, ...]
) -> None:
    p = only(load_site(make_site(tmp_path, {"_posts/2024-01-01-x.md": post(f"title: x\n{front}")})))
    assert p.tags == tags


def test_tag_key_is_nfkc_lower_case() -> None:
    assert tag_key(" ＰＹＴＨＯＮ ") == "python"
    assert tag_key("ｶﾀｶﾅ") == "カタカナ"


# --- bad input ----------------------------------------------------------------------------------------

BAD_FILES: dict[str, bytes] = {
    "shift-jis": "---\ntitle: 日本語\n---\n本文\n".encode("shift_jis"),
    "utf-16": "---\ntitle: x\n---\n本文\n".encode("utf-16"),
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    "cut-title": "---\ntitle: 途中で切れ".encode()[:-1] + b"\n---\n",
    "yaml-colon": "---\ntitle: 比較: AとB\n---\n本文\n".encode(),
    "unclosed": "---\ntitle: x\n本文だけ\n".encode(),
    "control-char": "---\ntitle: x\x07y\n---\n本文\n".encode(),
    "list-front-matter": "---\n- a\n- b\n---\n本文\n".encode(),
    "empty": b"",
    "alias-bomb": (
        "---\ntitle: bomb\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "tags: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n---\n本文\n"
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_skipped_with_a_reason_and_others_are_indexed(tmp_path: Path, kind: str) -> None:
    root = make_site(
        tmp_path, {"_posts/2024-01-01-bad.md": BAD_FILES[kind], "_posts/2024-01-02-good.md": post()}
    )
    site = load_site(root)
    assert [p.id for p in site.posts] == ["_posts/2024-01-02-good.md"]
    reason = skipped(site)["_posts/2024-01-01-bad.md"]
    assert reason
    assert "\n" not in reason
    if kind == "alias-bomb":
        assert "more than 1000 values" in reason  # refused before flattening ten million tags


def test_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    data = "\ufeff---\r\ntitle: BOM付き\r\ntags: [a]\r\n---\r\n\r\n本文です。\r\n".encode()
    p = only(load_site(make_site(tmp_path, {"_posts/2024-01-01-bom.md": data})))
    assert (p.title, p.tags, p.text) == ("BOM付き", ("a",), "本文です。")


def test_big_post_and_very_long_line_are_indexed(tmp_path: Path) -> None:
    files = {
        "_posts/2024-01-01-big.md": post(body="長い本文の段落です。\n\n" * 250_000),  # about 5 MB
        "_posts/2024-01-02-line.md": post(body="あ" * 25_000),
    }
    site = load_site(make_site(tmp_path, files))
    assert len(site.posts) == 2
    assert next(p for p in site.posts if p.id.endswith("line.md")).text == "あ" * 25_000


@pytest.mark.parametrize("posts", ["_posts", "日記/_posts"])
def test_a_folder_with_posts_is_a_site_without_config(tmp_path: Path, posts: str) -> None:
    (tmp_path / posts).mkdir(parents=True)
    (tmp_path / posts / "2024-01-01-x.md").write_text(post(), "utf-8")
    assert only(load_site(tmp_path)).id == f"{posts}/2024-01-01-x.md"


def test_a_folder_without_config_or_posts_is_not_a_site(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "2024-01-01-x.md").write_text(post(), "utf-8")
    with pytest.raises(SiteError, match=r"is not a Jekyll site: it holds neither _config\.yml nor a _posts/"):
        load_site(tmp_path)


def test_missing_config_uses_jekyll_defaults(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / "_posts").mkdir(parents=True)
    (root / "_posts" / "2024-01-01-x.md").write_text(post(), "utf-8")
    p = only(load_site(root))
    assert p.permalink == "/2024/01/01/x.html"
    assert p.date.tzinfo is not None
    assert p.date.astimezone(UTC) == datetime(2024, 1, 1, tzinfo=UTC)


# --- the site boundary ------------------------------------------------------------------------------


def test_load_site_skips_links_leaving_the_site_and_with_follow_symlinks_false_every_link(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(post('title: "秘密"'), "utf-8")
    root = make_site(tmp_path, {"_posts/2024-01-02-real.md": post(), "_drafts/2024-01-03-d.md": post()})
    (root / "_posts" / "2024-01-01-secret.md").symlink_to(secret)
    (root / "_posts" / "2024-01-03-d.md").symlink_to("../_drafts/2024-01-03-d.md")

    site = load_site(root)
    assert [p.id for p in site.posts] == ["_posts/2024-01-02-real.md", "_posts/2024-01-03-d.md"]
    assert skipped(site)["_posts/2024-01-01-secret.md"].startswith("is a symbolic link to a file outside")

    site = load_site(root, follow_symlinks=False)
    assert [p.id for p in site.posts] == ["_posts/2024-01-02-real.md"]
    assert "MIKKE_FOLLOW_SYMLINKS is false" in skipped(site)["_posts/2024-01-03-d.md"]


def test_an_unexpected_error_in_one_post_skips_only_that_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-01-bad.md": post(), "_posts/2024-01-02-good.md": post()})
    parse = site_module.parse_post

    def parse_or_fail(config, post_id, data, **kwargs):  # type: ignore[no-untyped-def]
        if post_id.endswith("bad.md"):
            raise AssertionError("expected name token at '<![ x'")
        return parse(config, post_id, data, **kwargs)

    monkeypatch.setattr(site_module, "parse_post", parse_or_fail)
    site = load_site(root)
    assert skipped(site) == {
        "_posts/2024-01-01-bad.md": "could not be read (AssertionError: expected name token at '<![ x'); "
        "please report this"
    }
    assert only(site).id == "_posts/2024-01-02-good.md"


def test_fifo_named_like_a_post_is_skipped_by_load_site_without_blocking(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-02-good.md": post()})
    fifo = root / "_posts" / "2024-01-01-x.md"
    os.mkfifo(fifo)
    site = finishes_despite_fifo(fifo, lambda: load_site(root))
    assert skipped(site) == {"_posts/2024-01-01-x.md": "is not a regular file"}
    assert only(site).id == "_posts/2024-01-02-good.md"


def test_config_that_is_a_fifo_is_a_site_error_not_a_hang(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-02-good.md": post()})
    (root / "_config.yml").unlink()
    os.mkfifo(root / "_config.yml")
    with pytest.raises(SiteError, match=r"_config\.yml is not a regular file"):
        finishes_despite_fifo(root / "_config.yml", lambda: load_site(root))


def test_reading_a_huge_site_file_stops_one_byte_past_the_post_limit(tmp_path: Path) -> None:
    root = make_site(tmp_path, {})
    huge = root / "_posts" / "2024-01-01-huge.md"
    huge.parent.mkdir()
    with open(huge, "wb") as f:
        f.truncate(64 * MAX_POST_BYTES)  # sparse: 512 MB that take no disk
    assert len(read_site_file(root.resolve(), "_posts/2024-01-01-huge.md")) == MAX_POST_BYTES + 1
    assert skipped(load_site(root)) == {"_posts/2024-01-01-huge.md": "is larger than 8 MB"}


def test_reading_a_path_that_leaves_the_site_through_a_folder_link_is_refused(tmp_path: Path) -> None:
    # find_post_files never yields such a path; the reader checks again in case the site changed since.
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n", "utf-8")
    root = make_site(tmp_path, {})
    (root / "_posts").mkdir()
    (root / "_posts" / "etc").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PostSkipped) as refused:
        read_site_file(root.resolve(), "_posts/etc/passwd")
    assert refused.value.reason == (
        f"leads through a symbolic link outside the site ({(outside / 'passwd').resolve()}); "
        "mikke reads no file outside the site root"
    )


def test_post_whose_name_is_not_utf8_is_reported_under_a_readable_name(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"_posts/2024-01-02-good.md": post()})
    with open(os.fsencode(root / "_posts") + b"/2024-01-01-\x82\xa0.md", "wb") as f:
        f.write(post().encode())
    site = load_site(root)
    assert only(site).id == "_posts/2024-01-02-good.md"
    assert skipped(site) == {"_posts/2024-01-01-\ufffd\ufffd.md": "file name is not valid UTF-8; rename it"}


def test_site_settings_with_liquid_values_pickle_for_the_worker_processes(tmp_path: Path) -> None:
    import pickle

    root = make_site(tmp_path, {}, config='title: "みっけ日記"\nauthor:\n  name: 花子\n')
    config = read_site_config(root)
    assert pickle.loads(pickle.dumps(config)) == config
    assert config.variables["site.author.name"] == "花子"


FRONT_MATTERS = [
    "title: 日本語のタイトル\ndate: 2024-01-02 03:04:05 +0900\npublished: false\n",
    "title: \"false\"\npublished: 'no'\nsitemap: off\ntags: [a, 'b', \"c\", 2024, ~, null]\n",
    "categories:\n  - AI\n  - 機械学習\nimage: /img/x.png\n",
    "excerpt: |\n  一行目\n  二行目\nsummary: >\n  a\n  b\n",
    'nested:\n  a: {b: [1, 2, {c: d}]}\n  e: "\\u3042\\t"\nempty:\nlist: []\n',
    "title: a & b\nanchor: &x only-an-anchor\nkey with spaces: value, with comma\n",
]


@pytest.mark.parametrize("front", FRONT_MATTERS)
def test_front_matter_reads_the_same_through_libyaml_and_pure_python(front: str) -> None:
    def shape(value: object) -> object:  # the value with each scalar's type: plain or quoted matters
        if isinstance(value, dict):
            return {shape(k): shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return (type(value).__name__, value)

    fast, guarded = yaml.load(front, Loader=_FastLoader), yaml.load(front, Loader=_GuardedLoader)
    assert shape(fast) == shape(guarded)


def test_invalid_front_matter_gets_the_same_reason_whichever_parser_reads_it(tmp_path: Path) -> None:
    files = {"_posts/2024-01-01-bad.md": "---\ntitle: [unclosed\n---\n本文\n".encode()}
    reason = skipped(load_site(make_site(tmp_path, files)))["_posts/2024-01-01-bad.md"]
    with pytest.raises(yaml.YAMLError) as raised:
        yaml.load("title: [unclosed\n", Loader=yaml.BaseLoader)
    assert " ".join(str(raised.value).split()) in reason


def test_posts_are_read_from_collections_dir_with_categories_below_it_as_jekyll_does(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "_posts/2024-01-01-a.md": post(),  # outside collections_dir: Jekyll reads no posts there
            "cat/_posts/2024-01-02-b.md": post(),
            "my/_posts/2024-01-03-c.md": post(),
            "my/travel/_posts/2024-01-04-d.md": post(),
        },
        config=TOKYO_CONFIG + "collections_dir: my\n",
    )
    site = load_site(root)
    assert {p.id: (p.permalink, p.categories) for p in site.posts} == {
        "my/_posts/2024-01-03-c.md": ("/2024/01/03/c.html", ()),
        "my/travel/_posts/2024-01-04-d.md": ("/travel/2024/01/04/d.html", ("travel",)),
    }


@pytest.mark.parametrize("value", ["../../outside", "/outside", "link"])
def test_collections_dir_never_leads_outside_the_site(tmp_path: Path, value: str) -> None:
    outside = tmp_path / "outside" / "_posts"
    outside.mkdir(parents=True)
    (outside / "2024-01-01-secret.md").write_text(post(body="秘密"), "utf-8")
    root = make_site(tmp_path, {"_posts/2024-01-02-a.md": post()}, config=f"collections_dir: {value}\n")
    (root / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    site = load_site(root)
    assert site.posts == []
    if value == "link":
        assert skipped(site) == {
            "link": f"is a symbolic link to a folder outside the site ({(tmp_path / 'outside').resolve()}); "
            "mikke reads no file outside the site root"
        }


def test_default_values_reach_title_tags_sitemap_and_the_page_variables(tmp_path: Path) -> None:
    # Every value of a matching default is the post's unless its front matter sets it: `tag` wins over
    # the post's `tags` as in Jekyll's pluralized_array_from_hash; sitemap: false hides the post.
    config = (
        TOKYO_CONFIG + "defaults:\n"
        "  - scope: {path: _posts}\n"
        "    values: {title: 既定の題, tag: 既定, author: 猫}\n"
        "  - scope: {path: _posts/hidden, type: posts}\n"
        "    values: {sitemap: false}\n"
    )
    root = make_site(
        tmp_path,
        {
            "_posts/2024-01-02-a.md": post("tags: [a, b]", "{{ page.author }}の本文。"),
            "_posts/2024-01-03-b.md": post('title: "自分の題"\ntag:'),
            "_posts/hidden/2024-01-04-c.md": post("sitemap: true"),
            "_posts/hidden/2024-01-05-d.md": post(""),
        },
        config,
    )
    site = load_site(root)
    posts = {p.id: p for p in site.posts}
    assert posts.keys() == {
        "_posts/2024-01-02-a.md",
        "_posts/2024-01-03-b.md",
        "_posts/hidden/2024-01-04-c.md",
    }
    a, b = posts["_posts/2024-01-02-a.md"], posts["_posts/2024-01-03-b.md"]
    assert (a.title, a.tags, a.text) == ("既定の題", ("既定",), "猫の本文。")
    assert (b.title, b.tags) == ("自分の題", ("既定",))
    assert skipped(site)["_posts/hidden/2024-01-05-d.md"].startswith("sitemap: false")
    assert len(load_site(root, include_hidden=True).posts) == 4


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ("defaults: {scope: {path: ''}, values: {permalink: /x/}}", "defaults must be a list"),
        ("defaults:\n  - just text", "entry 1 is not a mapping"),
        ("defaults:\n  - scope: {path: ''}", "entry 1 has no values mapping"),
        ("defaults:\n  - {scope: {path: ''}, values: [permalink]}", "entry 1 has no values mapping"),
        (
            "defaults:\n  - {scope: _posts, values: {permalink: /x/}}",
            "entry 1 has a scope that is not a mapping",
        ),
        (
            "defaults:\n  - {scope: {type: 5}, values: {permalink: /x/}}",
            "entry 1 has a scope type that is not a",
        ),
        (
            "defaults:\n  - {scope: {type: }, values: {permalink: /x/}}",
            "entry 1 has a scope type that is not a",
        ),
        ("defaults:\n  - {scope: {path: ''}, values: {date: 2024-01-01}}", "entry 1 has a date"),
        ("defaults:\n  - {scope: {path: ''}, values: {date: soon}}", "entry 1 has a date"),
    ],
)
def test_a_defaults_entry_jekyll_cannot_use_is_skipped_naming_the_config_file(
    tmp_path: Path, defaults: str, message: str
) -> None:
    # Jekyll ignores such an entry with a warning, or stops the build; mikke skips the entry and says so.
    config = "permalink: /:title/\n" + defaults + "\n  - {scope: {path: ''}, values: {category: ok}}\n"
    if defaults.startswith("defaults: {"):
        config = "permalink: /:title/\n" + defaults + "\n"
    root = make_site(tmp_path, {"_posts/2024-01-02-a.md": post()}, config)
    site = load_site(root)
    assert only(site).permalink == "/a/"
    assert message in skipped(site)["_config.yml"]


def test_a_defaults_entry_without_scope_or_with_a_path_that_is_no_text_applies_everywhere(
    tmp_path: Path,
) -> None:
    # Jekyll's applies_path? matches every post when the scope or its path is missing or not a string.
    config = (
        "permalink: /:categories/:title/\n"
        "defaults:\n"
        "  - values: {categories: [a]}\n"
        "  - {scope: {path: 2024}, values: {category: b}}\n"
        "  - {scope: {path: }, values: {tags: t}}\n"
    )
    site = load_site(make_site(tmp_path, {"_posts/2024-01-02-p.md": post()}, config))
    assert (only(site).permalink, only(site).tags) == ("/a/b/p/", ("t",))
    assert not site.skipped


def test_changed_defaults_change_the_fingerprint(tmp_path: Path) -> None:
    root = make_site(tmp_path, {}, "defaults:\n  - {scope: {path: ''}, values: {published: false}}\n")
    before = read_site_config(root).fingerprint()
    assert read_site_config(root).fingerprint() == before
    (root / "_config.yml").write_text("defaults:\n  - {scope: {path: ''}, values: {published: 'false'}}\n")
    quoted = read_site_config(root).fingerprint()
    (root / "_config.yml").write_text(
        "defaults:\n  - {scope: {path: _posts}, values: {published: 'false'}}\n"
    )
    assert len({before, quoted, read_site_config(root).fingerprint()}) == 3


def test_a_post_jekyll_does_not_convert_is_indexed_as_the_plain_text_it_shows(tmp_path: Path) -> None:
    # Jekyll publishes a .txt post (and a .mdown one: not in its default markdown_ext) as written, Liquid
    # rendered: "#", "*" and tags are what the reader sees, and the text has its blank-line paragraphs.
    body = "# 見出し {{ page.title }}\n\n本文 *強調* <b>太字</b> &amp;\n\n次の段落"
    root = make_site(
        tmp_path,
        {
            "_posts/2024-01-01-a.txt": post('title: "題"', body),
            "_posts/2024-01-02-b.mdown": post('title: "題"', body),
        },
    )
    site = load_site(root)
    assert not site.skipped
    for p in site.posts:
        assert p.text.split("\n") == ["# 見出し 題", "本文 *強調* <b>太字</b> &amp;", "次の段落"], p.id
        assert p.headings == ()
        assert p.excerpt == "# 見出し 題"


def test_markdown_ext_makes_jekyll_convert_txt_posts_as_markdown(tmp_path: Path) -> None:
    body = "# 見出し\n\n本文 *強調*"
    files = {"_posts/2024-01-01-a.txt": post(body=body), "_posts/2024-01-02-b.md": post(body=body)}
    root = make_site(tmp_path, files, config=TOKYO_CONFIG + 'markdown_ext: "md,TXT"\n')
    site = load_site(root)
    assert {p.id: (p.text, p.permalink) for p in site.posts} == {
        "_posts/2024-01-01-a.txt": ("見出し\n本文 強調", "/2024/01/01/a.html"),
        "_posts/2024-01-02-b.md": ("見出し\n本文 強調", "/2024/01/02/b.html"),
    }


def test_stylesheets_and_scripts_in_posts_are_reported_not_indexed(tmp_path: Path) -> None:
    # Jekyll publishes them too (.scss and .sass converted to .css), but they are no text to search.
    css = "---\n---\nbody { color: red; }\n"
    names = ["a.css", "b.scss", "c.sass", "d.js", "e.coffee"]
    root = make_site(tmp_path, {f"_posts/2024-01-0{n}-{name}": css for n, name in enumerate(names, 1)})
    site = load_site(root)
    assert not site.posts
    reasons = skipped(site)
    assert "stylesheet" in reasons["_posts/2024-01-02-b.scss"]
    assert "/2024/01/02/b.css" in reasons["_posts/2024-01-02-b.scss"]
    assert "script" in reasons["_posts/2024-01-05-e.coffee"]
    assert len(reasons) == 5


def test_a_changed_markdown_ext_changes_the_fingerprint(tmp_path: Path) -> None:
    root = make_site(tmp_path, {})
    before = read_site_config(root).fingerprint()
    (root / "_config.yml").write_text(TOKYO_CONFIG + 'markdown_ext: "md,txt"\n', "utf-8")
    txt = read_site_config(root).fingerprint()
    (root / "_config.yml").write_text(TOKYO_CONFIG + 'markdown_ext: "md,TXT"\n', "utf-8")
    assert len({before, txt, read_site_config(root).fingerprint()}) == 3
