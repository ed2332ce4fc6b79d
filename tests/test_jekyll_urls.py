"""Post URLs as Jekyll 4.3 publishes them, one rule per test.

Each test states the URLs (after ``baseurl``) a tiny site's posts must get and checks mikke against them;
where Debian's jekyll is installed it also builds the site and checks that Jekyll's ``relative_url`` of
each post gives the same, so the stated URLs are Jekyll's own and not a guess. Where Jekyll's link misses
the file Jekyll wrote (``relative_url`` NFKC-normalizes the path, and reads a ``?`` or ``#`` in it as a
query or fragment), mikke gives the URL that file is served at instead.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

from mikke.search.site import load_site

JEKYLL = shutil.which("jekyll")

# A page listing every post Jekyll publishes with the link a theme writes for it.
_LIST_PAGE = (
    "---\nlayout: null\npublished: true\npermalink: /post-urls.txt\n---\n"
    "{% for p in site.posts %}{{ p.path }}\t{{ p.url | relative_url }}\t{{ site.baseurl | append: p.url }}\n"
    "{% endfor %}"
)


def make_site(tmp_path: Path, config: str, posts: dict[str, str]) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "_config.yml").write_text(config, encoding="utf-8")
    for rel, text in posts.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def jekyll_urls(root: Path, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """What ``jekyll build`` publishes: each post's path, ``page.url | relative_url``, and ``baseurl``
    + ``page.url``, escaped as the file it is written to is named."""
    assert JEKYLL is not None
    source = tmp_path / "jekyll-source"
    shutil.copytree(root, source)
    (source / "post-urls.txt").write_text(_LIST_PAGE, encoding="utf-8")
    destination = tmp_path / "jekyll-site"
    done = subprocess.run(
        [JEKYLL, "build", "--disable-disk-cache", "-s", str(source), "-d", str(destination)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (destination / "post-urls.txt").read_text(encoding="utf-8").splitlines()
    return {path: (link, written) for path, link, written in (line.split("\t") for line in lines if line)}


def _served_path(url: str) -> str:
    return unquote(urlsplit(url).path)


def assert_urls(
    tmp_path: Path, config: str, posts: dict[str, str], expected: dict[str, str], *, collections_dir: str = ""
) -> None:
    """mikke publishes exactly the posts of ``expected`` at those URLs (baseurl included), and so does
    Jekyll when it is installed (whose post paths are below ``collections_dir``)."""
    root = make_site(tmp_path, config, posts)
    site = load_site(root)
    assert {p.id: site.config.baseurl + p.permalink for p in site.posts} == expected, site.skipped
    if JEKYLL is None:
        return
    below = f"{collections_dir}/" if collections_dir else ""
    jekyll = {below + path: urls for path, urls in jekyll_urls(root, tmp_path).items()}
    assert jekyll.keys() == expected.keys()
    for path, (link, written) in jekyll.items():
        if _served_path(link) == unquote(written):
            assert expected[path] == link, path
        else:  # Jekyll's own link misses the page: the page's address
            assert _served_path(expected[path]) == unquote(written), path
            assert quote(_served_path(expected[path]), safe="/-._~!$&'()*+,;=:@") == expected[path], path


def test_an_unquoted_yaml_time_without_offset_is_utc_as_ruby_reads_it(tmp_path: Path) -> None:
    # Ruby's YAML reads an unquoted `2019-03-28 23:00:00` as a time in UTC, which is the 29th in
    # Tokyo; quoted, or without seconds, it is text that Time.parse reads in the site's timezone.
    template = "---\ndate: {}\n---\nbody\n"
    assert_urls(
        tmp_path,
        "timezone: Asia/Tokyo\npermalink: /:year/:month/:day/:hour:minute/:title/\n",
        {
            "_posts/2019-03-28-plain.md": template.format("2019-03-28 23:00:00"),
            "_posts/2019-03-28-iso.md": template.format("2019-03-28T23:00:00.5"),
            "_posts/2019-03-28-quoted.md": template.format('"2019-03-28 23:00:00"'),
            "_posts/2019-03-28-minutes.md": template.format("2019-03-28 23:00"),
            "_posts/2019-03-28-offset.md": template.format("2019-03-28 23:00:00 +09:00"),
            "_posts/2019-03-28-day.md": template.format("2019-03-28"),
        },
        {
            "_posts/2019-03-28-plain.md": "/2019/03/29/0800/plain/",
            "_posts/2019-03-28-iso.md": "/2019/03/29/0800/iso/",
            "_posts/2019-03-28-quoted.md": "/2019/03/28/2300/quoted/",
            "_posts/2019-03-28-minutes.md": "/2019/03/28/2300/minutes/",
            "_posts/2019-03-28-offset.md": "/2019/03/28/2300/offset/",
            "_posts/2019-03-28-day.md": "/2019/03/28/0000/day/",
        },
    )


def test_an_empty_slug_empties_title_and_slug_and_file_slugs_lose_trailing_periods(tmp_path: Path) -> None:
    # Jekyll keeps `slug: ""` (Ruby's "" is true) and slugifies it to nothing; `slug:` left empty is nil
    # and the file's slug is used, without the periods it ends with.
    assert_urls(
        tmp_path,
        "permalink: /:year/x:title-:slug:output_ext\n",
        {
            "_posts/2020-01-02-empty.md": '---\nslug: ""\n---\nbody\n',
            "_posts/2020-01-03-nil.md": "---\nslug:\n---\nbody\n",
            "_posts/2020-01-04-dots...md": "---\ntitle: t\n---\nbody\n",
            "_posts/2020-01-05-own.md": "---\nslug: Own Slug.\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-empty.md": "/2020/x-.html",
            "_posts/2020-01-03-nil.md": "/2020/xnil-nil.html",
            "_posts/2020-01-04-dots...md": "/2020/xdots-dots.html",
            "_posts/2020-01-05-own.md": "/2020/xOwn-Slug.-own-slug.html",
        },
    )


def test_slugified_categories_and_path_are_placeholders_of_their_own(tmp_path: Path) -> None:
    # mikke read them as :slug or :path's unknown name; Jekyll slugifies each category, and :path is the
    # file's path without its extension and without the first "_posts".
    post = "---\ncategories: [C++ Tips, 日本 語, c++ tips]\n---\nbody\n"
    assert_urls(
        tmp_path,
        'permalink: "/:slugified_categories/:path/"\n',
        {"Top/_posts/Sub Dir/2020-01-02-My Post.md": post, "_posts/2020-01-03-x..md": "---\n---\nbody\n"},
        {
            "Top/_posts/Sub Dir/2020-01-02-My Post.md": "/top/c-tips/%E6%97%A5%E6%9C%AC-%E8%AA%9E"
            "/Top/Sub%20Dir/2020-01-02-My%20Post/",
            "_posts/2020-01-03-x..md": "/2020-01-03-x/",
        },
    )


def test_output_ext_is_the_own_permalinks_else_html_for_markdown_else_the_files(tmp_path: Path) -> None:
    # Jekyll's Renderer#output_ext: a post's own permalink with an extension sets it (even where the
    # template does not end with it); Markdown becomes .html; HTML keeps its extension as written.
    assert_urls(
        tmp_path,
        "permalink: /:title:output_ext\n",
        {
            "_posts/2020-01-02-page.htm": "---\n---\nbody\n",
            "_posts/2020-01-03-upper.HTML": "---\n---\nbody\n",
            "_posts/2020-01-04-text.MD": "---\n---\nbody\n",
            "_posts/2020-01-05-own.md": "---\npermalink: /x/:title:output_ext.php\n---\nbody\n",
            "_posts/2020-01-06-folder.htm": "---\npermalink: /y.z/:title:output_ext/\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-page.htm": "/page.htm",
            "_posts/2020-01-03-upper.HTML": "/upper.HTML",
            "_posts/2020-01-04-text.MD": "/text.html",
            "_posts/2020-01-05-own.md": "/x/own.php.php",
            "_posts/2020-01-06-folder.htm": "/y.z/folder.htm/",
        },
    )


def test_categories_that_differ_only_in_width_are_both_in_the_url(tmp_path: Path) -> None:
    # Jekyll merges categories only when equal, then lower-cased: `ＡＢ` and `ab` are two, `Tips` and
    # `tips` one.
    assert_urls(
        tmp_path,
        "permalink: /:categories/:title/\n",
        {"_posts/2020-01-02-p.md": "---\ncategories: [ＡＢ, ab, Tips, tips]\n---\nbody\n"},
        {"_posts/2020-01-02-p.md": "/%EF%BD%81%EF%BD%82/ab/tips/p/"},
    )


def test_an_escape_written_in_a_permalink_is_kept_and_a_percent_in_a_value_is_text(tmp_path: Path) -> None:
    # Jekyll writes `permalink: /p%20q/` to the folder "p q", served at /p%20q/; a "%" in a category is
    # escaped (%25), as is one in the template that starts no escape.
    assert_urls(
        tmp_path,
        "permalink: /:categories/:title/\n",
        {
            "_posts/2020-01-02-own.md": "---\npermalink: /p%20q/:title/\n---\nbody\n",
            "_posts/2020-01-03-cat.md": "---\ncategory: 100%\n---\nbody\n",
            "_posts/2020-01-04-bare.md": "---\npermalink: /50%/:title/\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-own.md": "/p%20q/own/",
            "_posts/2020-01-03-cat.md": "/100%25/cat/",
            "_posts/2020-01-04-bare.md": "/50%25/bare/",
        },
    )


# ----------------------------------------------------------------------------- front matter defaults


def test_defaults_apply_by_path_prefix_and_type_the_longer_path_then_a_type_winning(tmp_path: Path) -> None:
    # Jekyll's FrontmatterDefaults: a scope's path is a plain prefix of the post's path (_posts/x
    # matches _posts/xy/), one starting with "/" matches nothing in Jekyll 4.3, type "post" is the old
    # name of "posts", "pages" is not posts; of two matching scopes the longer path wins, then one with
    # a type over one without, whatever their order; the post's own permalink wins over all.
    config = (
        "permalink: /:title/\n"
        "defaults:\n"
        "  - {scope: {path: '', type: posts}, values: {permalink: /posts/:title/}}\n"
        "  - {scope: {path: ''}, values: {permalink: /all/:title/}}\n"
        "  - {scope: {path: c, type: post}, values: {permalink: /c/:title/}}\n"
        "  - {scope: {path: c/_posts/deep, type: pages}, values: {permalink: /pages/:title/}}\n"
        "  - {scope: {path: /d}, values: {permalink: /slash/:title/}}\n"
        "  - {scope: {path: _posts/x}, values: {permalink: /x/:title/}}\n"
    )
    assert_urls(
        tmp_path,
        config,
        {
            "_posts/2020-01-02-a.md": "---\n---\nbody\n",
            "c/_posts/2020-01-03-b.md": "---\n---\nbody\n",
            "c/_posts/deep/2020-01-04-p.md": "---\n---\nbody\n",
            "d/_posts/2020-01-05-d.md": "---\n---\nbody\n",
            "_posts/xy/2020-01-06-e.md": "---\n---\nbody\n",
            "_posts/2020-01-07-own.md": "---\npermalink: /own/\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-a.md": "/posts/a/",
            "c/_posts/2020-01-03-b.md": "/c/b/",
            "c/_posts/deep/2020-01-04-p.md": "/c/p/",
            "d/_posts/2020-01-05-d.md": "/posts/d/",
            "_posts/xy/2020-01-06-e.md": "/x/e/",
            "_posts/2020-01-07-own.md": "/own/",
        },
    )


def test_default_categories_join_the_folders_and_the_posts_own_and_category_adds_to_them(
    tmp_path: Path,
) -> None:
    # Document#merge_categories!: folder categories, then the defaults' (a string is split), then the
    # post's own; `categories:` left empty keeps those before it; `category` (the post's, else the
    # defaults') is added after them, as populate_categories does: it never replaces `categories`.
    config = (
        "permalink: /:categories/:title/\n"
        "defaults:\n"
        "  - {scope: {path: ''}, values: {categories: d1 d2}}\n"
        "  - {scope: {path: c}, values: {category: dc}}\n"
    )
    assert_urls(
        tmp_path,
        config,
        {
            "_posts/2020-01-02-a.md": "---\n---\nbody\n",
            "c/_posts/2020-01-03-b.md": "---\ncategories: [own, d1]\n---\nbody\n",
            "c/_posts/2020-01-04-n.md": "---\ncategories:\ncategory: mine\n---\nbody\n",
            "_posts/2020-01-05-both.md": "---\ncategories: [x]\ncategory: y\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-a.md": "/d1/d2/a/",
            "c/_posts/2020-01-03-b.md": "/c/d1/d2/own/dc/b/",
            "c/_posts/2020-01-04-n.md": "/c/d1/d2/mine/n/",
            "_posts/2020-01-05-both.md": "/d1/d2/x/y/both/",
        },
    )


def test_defaults_decide_publication_date_and_slug_and_the_posts_own_values_win(tmp_path: Path) -> None:
    # A default date replaces the file name's (Document#modify_date only uses it without one); an
    # empty `published:` keeps the default's false, as Jekyll's merge keeps a value over nil.
    config = (
        "timezone: Asia/Tokyo\n"
        "permalink: /:year/:month/:day/:title/\n"
        "defaults:\n"
        "  - {scope: {path: _posts/old}, values: {published: false}}\n"
        "  - {scope: {path: _posts/dated}, values: {date: 2021-05-05 23:00:00, slug: fixed}}\n"
    )
    assert_urls(
        tmp_path,
        config,
        {
            "_posts/old/2020-01-02-hidden.md": "---\n---\nbody\n",
            "_posts/old/2020-01-03-shown.md": "---\npublished: true\n---\nbody\n",
            "_posts/old/2020-01-04-nil.md": "---\npublished:\n---\nbody\n",
            "_posts/dated/2020-01-05-x.md": "---\n---\nbody\n",
            "_posts/dated/2020-01-06-y.md": "---\ndate: 2020-01-06\nslug: own\n---\nbody\n",
        },
        {
            "_posts/old/2020-01-03-shown.md": "/2020/01/03/shown/",
            "_posts/dated/2020-01-05-x.md": "/2021/05/06/fixed/",
            "_posts/dated/2020-01-06-y.md": "/2020/01/06/own/",
        },
    )


def test_default_scope_paths_with_a_star_are_globs_of_the_sites_files(tmp_path: Path) -> None:
    # Jekyll globs such a path (Dir.glob: * within a name, ** across folders, {a,b}) and applies the
    # values to posts at or below what it finds; the longer pattern wins.
    config = (
        "permalink: /:title/\n"
        "defaults:\n"
        "  - {scope: {path: '_posts/*'}, values: {permalink: /star/:title/}}\n"
        "  - {scope: {path: '*/_posts'}, values: {permalink: /cat/:title/}}\n"
        "  - {scope: {path: '_posts/20*-b.md'}, values: {permalink: /file/:title/}}\n"
        "  - {scope: {path: '{d,e}/_po*'}, values: {permalink: /brace/:title/}}\n"
        "  - {scope: {path: '**/deep/*'}, values: {permalink: /deep/:title/}}\n"
        "  - {scope: {path: 'f*/_posts/'}, values: {permalink: /folder/:title/}}\n"
    )
    assert_urls(
        tmp_path,
        config,
        {
            "_posts/2020-01-02-a.md": "---\n---\nbody\n",
            "_posts/2020-01-03-b.md": "---\n---\nbody\n",
            "_posts/sub/2020-01-04-s.md": "---\n---\nbody\n",
            "c/_posts/2020-01-05-c.md": "---\n---\nbody\n",
            "d/_posts/2020-01-06-d.md": "---\n---\nbody\n",
            "_posts/a/deep/2020-01-07-deep.md": "---\n---\nbody\n",
            "ff/_posts/2020-01-08-f.md": "---\n---\nbody\n",
        },
        {
            "_posts/2020-01-02-a.md": "/star/a/",
            "_posts/2020-01-03-b.md": "/file/b/",
            "_posts/sub/2020-01-04-s.md": "/star/s/",
            "c/_posts/2020-01-05-c.md": "/cat/c/",
            "d/_posts/2020-01-06-d.md": "/brace/d/",
            "_posts/a/deep/2020-01-07-deep.md": "/deep/deep/",
            "ff/_posts/2020-01-08-f.md": "/folder/f/",
        },
    )


def test_default_scope_paths_are_read_below_collections_dir_with_or_without_it(tmp_path: Path) -> None:
    # Jekyll matches the post's path below collections_dir, and takes collections_dir off a scope path
    # (or a globbed one) that starts with it.
    config = (
        "collections_dir: coll\n"
        "permalink: /:title/\n"
        "defaults:\n"
        "  - {scope: {path: _posts/a}, values: {permalink: /short/:title/}}\n"
        "  - {scope: {path: coll/_posts/b}, values: {permalink: /long/:title/}}\n"
        "  - {scope: {path: 'coll/c*/_posts'}, values: {permalink: /glob/:title/}}\n"
    )
    assert_urls(
        tmp_path,
        config,
        {
            "coll/_posts/a/2020-01-02-x.md": "---\n---\nbody\n",
            "coll/_posts/b/2020-01-03-y.md": "---\n---\nbody\n",
            "coll/cat/_posts/2020-01-04-z.md": "---\n---\nbody\n",
        },
        {
            "coll/_posts/a/2020-01-02-x.md": "/short/x/",
            "coll/_posts/b/2020-01-03-y.md": "/long/y/",
            "coll/cat/_posts/2020-01-04-z.md": "/glob/z/",
        },
        collections_dir="coll",
    )


def test_markdown_ext_decides_which_posts_jekyll_converts_to_html(tmp_path: Path) -> None:
    # Converters::Markdown#matches: `markdown_ext` split at "," (not stripped: " txt" matches nothing),
    # each entry lowercased, compared with the file's extension lowercased. Jekyll's default list has
    # no .mdown: such a post is published unconverted, under its own extension. (Not .txt here: the page
    # listing Jekyll's URLs is one.)
    body = "---\ntitle: t\n---\n# 見出し\n\n本文\n"
    names = ["a.md", "b.text", "c.MKD", "d.mdown", "e.markdown", "f.TEXT"]
    posts = {f"_posts/2020-01-0{n}-{name}": body for n, name in enumerate(names, 1)}
    assert_urls(
        tmp_path,
        'markdown_ext: "md,Text, mdown,Mkd"\npermalink: /:title:output_ext\n',
        posts,
        {
            "_posts/2020-01-01-a.md": "/a.html",
            "_posts/2020-01-02-b.text": "/b.html",
            "_posts/2020-01-03-c.MKD": "/c.html",
            "_posts/2020-01-04-d.mdown": "/d.mdown",
            "_posts/2020-01-05-e.markdown": "/e.markdown",
            "_posts/2020-01-06-f.TEXT": "/f.html",
        },
    )


def test_the_default_markdown_ext_leaves_mdown_unconverted(tmp_path: Path) -> None:
    body = "---\ntitle: t\n---\n# 見出し\n\n本文\n"
    assert_urls(
        tmp_path,
        "permalink: /:title:output_ext\n",
        {"_posts/2020-01-01-a.mdown": body, "_posts/2020-01-02-b.mkdn": body},
        {"_posts/2020-01-01-a.mdown": "/a.mdown", "_posts/2020-01-02-b.mkdn": "/b.html"},
    )


def test_posts_of_other_extensions_are_published_unconverted_under_their_extension(tmp_path: Path) -> None:
    # Without a converter for them (jekyll-textile-converter is a plugin), Jekyll publishes such posts as
    # they are, Liquid rendered, front matter or not, with their own extension as :output_ext.
    body = "---\ntitle: t\n---\nh1. 見出し\n\n本文\n"
    assert_urls(
        tmp_path,
        "",
        {
            "_posts/2020-01-01-a.txt": body,
            "_posts/2020-01-02-b.textile": body,
            "_posts/2020-01-03-c.md.backup": body,
            "_posts/2020-01-04-d.TXT": "no front matter\n",
            "_posts/2020-01-05-e.json": '---\n---\n{"a": 1}\n',
        },
        {
            "_posts/2020-01-01-a.txt": "/2020/01/01/a.txt",
            "_posts/2020-01-02-b.textile": "/2020/01/02/b.textile",
            "_posts/2020-01-03-c.md.backup": "/2020/01/03/c.md.backup",
            "_posts/2020-01-04-d.TXT": "/2020/01/04/d.TXT",
            "_posts/2020-01-05-e.json": "/2020/01/05/e.json",
        },
    )
