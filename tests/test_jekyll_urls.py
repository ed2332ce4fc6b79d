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


def assert_urls(tmp_path: Path, config: str, posts: dict[str, str], expected: dict[str, str]) -> None:
    """mikke publishes exactly the posts of ``expected`` at those URLs (baseurl included), and so does
    Jekyll when it is installed."""
    root = make_site(tmp_path, config, posts)
    site = load_site(root)
    assert {p.id: site.config.baseurl + p.permalink for p in site.posts} == expected, site.skipped
    if JEKYLL is None:
        return
    jekyll = jekyll_urls(root, tmp_path)
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
