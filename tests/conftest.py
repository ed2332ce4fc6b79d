"""Shared fixtures: one analyzer for the run, tiny posts, and indexes built from them."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import TypeVar

import pytest

from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.analysis import get_analyzer
from mikke.search.indexer import index_posts
from mikke.search.posts import Post
from mikke.search.store import BuildInfo
from mikke.search.store import Store
from mikke.search.store import create_memory_store

JST = timezone(timedelta(hours=9))


def pytest_configure(config: pytest.Config) -> None:
    # Tests set the MIKKE_* settings they need themselves; the developer's shell (a MIKKE_SITE_URL left
    # from trying the example site) must not change what they index or serve.
    for name in [n for n in os.environ if n.startswith("MIKKE_")]:
        del os.environ[name]


PostFactory = Callable[..., Post]
T = TypeVar("T")


@pytest.fixture(scope="session")
def analyzer() -> JapaneseAnalyzer:
    # One Sudachi dictionary for the whole run, as in production (docs/DESIGN.md, T1).
    return get_analyzer()


@pytest.fixture
def make_post() -> PostFactory:
    """Build a :class:`Post` directly, for tests of indexing and querying that do not need Jekyll rules."""
    counter = iter(range(1, 10_000))

    def factory(
        title: str,
        text: str,
        *,
        tags: Iterable[str] = (),
        categories: Iterable[str] = (),
        date: datetime | None = None,
        headings: Iterable[str] = (),
        excerpt: str = "",
        slug: str | None = None,
    ) -> Post:
        n = next(counter)
        slug = slug or f"post-{n}"
        date = date or datetime(2024, 1, 1, 9, 0, tzinfo=JST) + timedelta(days=n)
        post_id = f"_posts/{date:%Y-%m-%d}-{slug}.md"
        permalink = f"/{date:%Y/%m/%d}/{slug}/"
        return Post(
            id=post_id,
            source_hash=hashlib.sha256((title + text).encode()).hexdigest(),
            url="https://example.jp" + permalink,
            permalink=permalink,
            title=title,
            date=date,
            tags=tuple(tags),
            categories=tuple(categories),
            excerpt=excerpt,
            text=text,
            headings=tuple(headings),
        )

    return factory


@pytest.fixture
def memory_store(analyzer: JapaneseAnalyzer) -> Callable[[Iterable[Post]], Store]:
    """Return a function that indexes posts into a fresh in-RAM store."""

    def build(posts: Iterable[Post]) -> Store:
        store = create_memory_store(BuildInfo("test", analyzer.version, "test", "Asia/Tokyo", "", 0.0))
        index_posts(store, list(posts))
        return store

    return build


SITE_CONFIG = """\
title: テストブログ
url: "https://example.jp"
baseurl: "/blog"
permalink: /:year/:month/:day/:title/
timezone: Asia/Tokyo
"""


def post_source(title: str, body: str, *, date: str = "2024-05-01 10:00:00 +0900", tags: str = "[]") -> str:
    return f'---\nlayout: post\ntitle: "{title}"\ndate: {date}\ntags: {tags}\n---\n\n{body}\n'


SITE_POSTS = {
    "2024-05-01-library.md": post_source(
        "図書館で本を読む", "東京都の図書館で本を読んだ。", tags="[読書, 東京]"
    ),
    "2024-05-02-engine.md": post_source(
        "全文検索エンジン", "全文検索エンジンは転置インデックスを使う。", date="2024-05-02 10:00:00 +0900"
    ),
    "2024-05-03-curry.md": post_source("カレーの作り方", "玉ねぎを炒めてカレーを煮込む。", tags="[料理]"),
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A tiny Jekyll site on disk; tests add, edit and delete posts in it."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(SITE_CONFIG, encoding="utf-8")
    for name, source in SITE_POSTS.items():
        (root / "_posts" / name).write_text(source, encoding="utf-8")
    return root


def finishes_despite_fifo(fifo: Path, call: Callable[[], T], *, seconds: float = 30) -> T:
    """Return ``call()``, failing the test if it is still blocked on ``fifo`` after ``seconds``.

    A blocked reader is released by opening the FIFO's write end, so the test run itself never hangs.
    """
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(call())
        except BaseException as e:
            errors.append(e)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # the reader sees end of file
        worker.join(seconds)
        pytest.fail(f"blocked reading the FIFO {fifo} for {seconds} s")
    if errors:
        raise errors[0]
    return results[0]
