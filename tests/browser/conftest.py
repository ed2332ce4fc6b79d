"""Browser-test fixtures: a real `mikke serve` on the fixture site, a blog on two other origins, Chromium.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import ConsoleMessage
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright

from bench.chromium import CHROMIUM
from bench.chromium import CHROMIUM_ARGS
from bench.server import free_port
from bench.server import mikke_server
from tests.test_web_support import MAX_QUERY_CHARS
from tests.test_web_support import PER_PAGE
from tests.test_web_support import build_web_index

INCLUDE = Path(__file__).parents[2] / "examples" / "site" / "_includes" / "mikke-search.html"
# Three results per page, so the six posts about 検索 span two pages; the same limits as the app tests.
SERVER_ENV = {
    "MIKKE_PER_PAGE": str(PER_PAGE),
    "MIKKE_MAX_QUERY_CHARS": str(MAX_QUERY_CHARS),
    "MIKKE_THREADS": "4",
}


@dataclass(frozen=True)
class Blog:
    allowed: str  # an origin listed in MIKKE_ALLOWED_ORIGINS
    other: str  # an origin that is not, on the owner's machine (127.0.0.1)
    reader: str  # an origin that is not, on a host name as readers of a real blog see


@pytest.fixture(scope="session")
def blog_ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory, blog_ports: tuple[int, int]) -> Iterator[str]:
    """A `mikke serve` (gunicorn, the production path) on the fixture site's index."""
    index = build_web_index(tmp_path_factory.getbasetemp())
    env = {**SERVER_ENV, "MIKKE_ALLOWED_ORIGINS": f"http://127.0.0.1:{blog_ports[0]}"}
    with mikke_server(index, env=env) as url:
        yield url


def render_include(mikke_url: str, scheme: str = "auto") -> str:
    """Render the Jekyll include as Jekyll would with `url=mikke_url scheme=scheme` (its only variables)."""
    text = re.sub(
        r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", "", INCLUDE.read_text("utf-8"), flags=re.S
    )
    text = re.sub(r"\{%-?\s*assign mikke_(url|scheme)[^%]*-?%\}", "", text)
    assert "{%" not in text
    text = text.replace("{{ mikke_url }}", mikke_url).replace("{{ mikke_scheme }}", scheme)
    assert "{{" not in text
    return text.strip()


# A dark blog: the page's own colours, which the embed must not inherit into unreadable combinations.
DARK_BLOG_STYLE = "body{background:#16181c;color:#e6e6e6} a{color:#f0f0f0} strong,mark,input{color:#16181c}"
# A host name that is not the owner's machine, for the page a reader sees; Chromium resolves it to
# 127.0.0.1 (the blog servers listen there).
READER_HOST = "blog.test"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def blog(
    tmp_path_factory: pytest.TempPathFactory, server_url: str, blog_ports: tuple[int, int]
) -> Iterator[Blog]:
    """A static blog page with the embed include, served on an allowed and on a refused origin."""
    root = tmp_path_factory.mktemp("blog")

    def page(style: str = "", scheme: str = "auto") -> str:
        return (
            '<!doctype html>\n<html lang="ja">\n<head><meta charset="utf-8"><title>ブログ</title>'
            f'<link rel="icon" href="data:,"><style>{style}</style></head>\n<body>\n<h1>テスト用ブログ</h1>\n'
            f"{render_include(server_url, scheme)}\n</body>\n</html>\n"
        )

    (root / "search.html").write_text(page(), encoding="utf-8")
    (root / "dark.html").write_text(page(DARK_BLOG_STYLE), encoding="utf-8")
    (root / "dark-scheme.html").write_text(page(DARK_BLOG_STYLE, "dark"), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root))
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) for port in blog_ports]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield Blog(
            *(f"http://127.0.0.1:{port}" for port in blog_ports), f"http://{READER_HOST}:{blog_ports[1]}"
        )
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        for t in threads:
            t.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium: apt-get install chromium")
    with sync_playwright() as p:
        args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {READER_HOST} 127.0.0.1"]
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


class ConsoleLog:
    """Console errors and uncaught exceptions of one page; tests assert it stays empty."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error: PlaywrightError) -> None:
        self.errors.append(str(error))


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    yield page
    context.close()
