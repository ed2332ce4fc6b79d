"""examples/site is a blog Jekyll builds without a warning, and every link mikke gives for it exists there.

Needs Debian's jekyll and its default theme (apt-get install jekyll jekyll-theme-minima).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.cli import cli
from mikke.search.site import read_site_config

EXAMPLE = Path(__file__).parent.parent / "examples" / "site"
JEKYLL = shutil.which("jekyll")

pytestmark = pytest.mark.skipif(
    JEKYLL is None, reason="needs Debian's jekyll: apt-get install jekyll jekyll-theme-minima"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example site built by Jekyll into a temporary folder, and what Jekyll printed."""
    assert JEKYLL is not None
    destination = tmp_path_factory.mktemp("example-site") / "_site"
    # No disk cache: the build leaves nothing in the source folder (examples/site/.jekyll-cache).
    done = subprocess.run(
        [
            JEKYLL,
            "build",
            "--disable-disk-cache",
            "--source",
            str(EXAMPLE),
            "--destination",
            str(destination),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return destination, output


def test_jekyll_builds_the_example_site_without_warnings(built: tuple[Path, str]) -> None:
    _, output = built
    assert "warn" not in output.lower(), output
    assert "error" not in output.lower(), output


def test_every_post_url_mikke_lists_is_a_page_of_the_built_site(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    destination, _ = built
    runner = CliRunner()
    index = str(tmp_path / "index")
    indexed = runner.invoke(cli, ["index", str(EXAMPLE), "--index", index, "--jobs", "1", "--json"])
    assert indexed.exit_code == 0, indexed.output
    listed = runner.invoke(cli, ["list", "--index", index, "--json"])
    urls = [json.loads(line)["url"] for line in listed.stdout.splitlines()]
    assert len(urls) >= 20
    config = read_site_config(EXAMPLE)
    missing = []
    for url in urls:
        assert url.startswith(config.url + config.baseurl + "/"), url
        # Jekyll writes the site without baseurl: the server maps baseurl to the destination folder.
        path = unquote(urlsplit(url).path).removeprefix(config.baseurl)
        page = destination / path.lstrip("/")
        if path.endswith("/"):
            page = page / "index.html"
        if not page.is_file():
            missing.append(url)
    assert missing == []


def test_pages_render_in_standards_mode_for_phones_in_japanese(built: tuple[Path, str]) -> None:
    destination, _ = built
    pages = sorted(destination.rglob("*.html"))
    assert len(pages) >= 20
    for page in pages:
        html = page.read_text("utf-8")
        assert html.lstrip().lower().startswith("<!doctype html>"), page
        assert '<html lang="ja"' in html, page
        assert '<meta name="viewport" content="width=device-width' in html, page
        assert '<meta charset="utf-8">' in html, page


def test_the_search_page_embeds_the_search(built: tuple[Path, str]) -> None:
    destination, _ = built
    html = (destination / "search" / "index.html").read_text("utf-8")
    assert 'class="mikke" data-mikke="" data-mikke-scheme="auto"' in html  # as kramdown writes it
    assert '<script src="http://127.0.0.1:8000/static/search.js"' in html
    assert '<link rel="stylesheet" href="http://127.0.0.1:8000/static/style.css"' in html


def test_every_section_link_mikke_gives_opens_a_heading_of_the_built_page(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    destination, _ = built
    index = tmp_path / "index"
    build_index(EXAMPLE, index, jobs=1)
    store = open_store(index)
    config = read_site_config(EXAMPLE)
    searches = [
        "生成AIの課題",
        "最初のまとめ",
        "二つ目のまとめ",
        "コンパイラ言語",
        "全角スペース",
        "ポン酢",
        "強調",
    ]
    sections = {}
    for query in [*searches, "見出し", "記事"]:
        for hit in search(store, query, per_page=50).hits:
            if hit.section is not None:
                sections[hit.section.url] = hit.section.title
    linked = {url.split("#")[1] for url in sections}
    assert {"custom-anchor", "まとめ-1"} <= {unquote(i) for i in linked}, sections
    missing = []
    for url, title in sections.items():
        page_url, fragment = url.split("#", 1)
        path = unquote(urlsplit(page_url).path).removeprefix(config.baseurl)
        page = destination / path.lstrip("/") / "index.html"
        html = page.read_text("utf-8")
        if f' id="{unquote(fragment)}"' not in html:
            missing.append((url, title))
    assert missing == [], missing
    assert len(sections) >= len(searches)
