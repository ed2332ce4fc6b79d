"""Shared by the web tests: the fixture site's index (built once per session), apps on it, and helpers.

The fixture site is tests/fixtures/web_site: nine short Japanese posts, one of them full of raw HTML.
"""

from __future__ import annotations

import html.parser
from collections.abc import Callable
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mikke.search import build_index
from mikke.web import create_app

SITE = Path(__file__).parent / "fixtures" / "web_site"
# Small pages so that the nine-post fixture has several pages of results for 検索 (six posts).
PER_PAGE = 3
MAX_PER_PAGE = 5
MAX_QUERY_CHARS = 50
BLOG_ORIGIN = "https://blog.example.jp"


def build_web_index(base: Path) -> Path:
    """Build the fixture site's index under ``base`` unless an earlier test already did."""
    path = base / "web-index"
    if not (path / "CURRENT").exists():
        build_index(SITE, path, full=True, jobs=1)
    return path


@pytest.fixture(scope="session")
def web_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of the fixture site; read-only, shared by every web test."""
    return build_web_index(tmp_path_factory.getbasetemp())


# A site with more posts than the largest page, all of which match the same common words.
CROWDED_POSTS = 120
CROWDED_WORDS = ("天気", "公園", "電車", "図書館")


@pytest.fixture(scope="session")
def crowded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of a generated site of CROWDED_POSTS posts; each has a stored summary "要約NNN"."""
    site = tmp_path_factory.mktemp("crowded-site")
    (site / "_posts").mkdir()
    (site / "_config.yml").write_text('url: "https://example.jp"\ntimezone: Asia/Tokyo\n', "utf-8")
    for n in range(CROWDED_POSTS):
        day = date(2024, 1, 1) + timedelta(days=n)
        (site / "_posts" / f"{day}-post-{n:03}.md").write_text(
            f'---\ntitle: "猫の記録{n:03}"\nexcerpt: "要約{n:03}"\n---\n\n'
            # Each body its own: a paragraph every post repeats word for word would be site template.
            f"天気がよい。公園まで電車で行った、{n}回目。猫が寝ていた。図書館にも寄った。\n",
            "utf-8",
        )
    index = tmp_path_factory.mktemp("crowded") / "index"
    build_index(site, index, full=True, jobs=1)
    return index


AppFactory = Callable[..., Flask]


def app_config(web_index: Path, **config: Any) -> dict[str, Any]:
    """The config of the web tests' apps on the fixture index (limits small enough to reach), ``config``
    overriding it."""
    return {
        "TESTING": True,
        "SEARCH_INDEX": str(web_index),
        "SEARCH_PER_PAGE": PER_PAGE,
        "SEARCH_MAX_PER_PAGE": MAX_PER_PAGE,
        "SEARCH_MAX_QUERY_CHARS": MAX_QUERY_CHARS,
        "SEARCH_ALLOWED_ORIGINS": BLOG_ORIGIN,
    } | config


@pytest.fixture
def make_app(web_index: Path) -> AppFactory:
    """Return a function building an app on the fixture index; keyword arguments override config."""

    def factory(**config: Any) -> Flask:
        return create_app(app_config(web_index, **config))

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def assert_error_shape(response: TestResponse, status: int) -> dict[str, Any]:
    """Check the one JSON error shape (datasette's assert_canonical_error) and return the body."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"].endswith(".")
    return body


class Anchor:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.attrs = attrs
        self.href = attrs.get("href") or ""
        self.text = ""


class PageParser(html.parser.HTMLParser):
    """Collects links, elements by class and all attributes of a rendered page, for assertions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[Anchor] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}  # class -> text of the first element with that class
        self._open: list[Anchor] = []
        self._classes: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "a":
            anchor = Anchor(a)
            self.anchors.append(anchor)
            self._open.append(anchor)
        if tag not in {"input", "link", "meta", "img", "br"}:
            self._classes.append((tag, (a.get("class") or "").split()))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            self._open.pop()
        while self._classes:
            open_tag, _ = self._classes.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for anchor in self._open:
            anchor.text += data
        for _, classes in self._classes:
            for c in classes:
                self.texts[c] = self.texts.get(c, "") + data


def parse_page(response: TestResponse) -> PageParser:
    parser = PageParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def links(page: PageParser, css_class: str | None = None) -> list[Anchor]:
    """Anchors of the page, optionally only those whose class list holds ``css_class``."""
    if css_class is None:
        return page.anchors
    return [a for a in page.anchors if css_class in (a.attrs.get("class") or "").split()]
