"""Any request, however odd, gets a well-formed answer: property tests over every route of the web app.

Query strings of any bytes (invalid escapes, lone surrogates, NUL, bidi controls, repeated and nameless
parameters), odd paths, methods and headers; each answer is checked against the rules the README gives:
never a 500, the error shape of its path (JSON under /api/ and at /healthz, text for the feed, a page
elsewhere), HEAD without a body, 304 only for a validator the client holds, errors never public, request
text never unescaped in a page, feeds a feed parser reads.
"""

from __future__ import annotations

import gzip
import html.parser
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from urllib.parse import quote_from_bytes

import feedparser
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from mikke.web import create_app

from .test_web_support import BLOG_ORIGIN
from .test_web_support import MAX_QUERY_CHARS
from .test_web_support import app_config

pytest_plugins = ["tests.test_web_support"]

# Requests are cheap (a few ms on the fixture index); these bound each property's share of a CI run.
EXAMPLES = 60
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ROUTES = [
    "/",
    "/api/search",
    "/api/results",
    "/api/suggest",
    "/api/tags",
    "/api/related",
    "/api/popular",
    "/api/settled",
    "/healthz",
    "/feed.atom",
    "/opensearch.xml",
    "/metrics",
    "/static/search.js",
    "/static/style.css",
    "/static/nothing.js",
    "/nothing",
    "/api/nothing",
]
METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]
NAMES = ["q", "tag", "category", "sort", "page", "per_page", "from", "to", "exact", "url", "limit", "v"]
ODD_NAMES = ["", "tag[]", "q[]", "Q", "q ", "%71", "+q"]
ODD_VALUES = [
    *("", " ", "+", "0", "-1", "1e9", "٣", "３", "99999", "-0", "00001", "9" * 30),
    *("date", "relevance", "DATE", "2024-02-30", "２０２４-01-01", "0001-01-01", "9999-12-31", "2024-13-01"),
    *("\x00", "\ud800", "\udfff", "\u202e\u2066", "e\u0301\u0301\u0301", "\ufeff", "\ufffe"),
    *("http://[x", "//[x", "//evil.example", "javascript:alert(1)", "/blog/2024/06/10/html-escape/"),
    *("検索", "じんこう", '"検索', "-検索", "]]>", "<mark>", "&amp;", "%s%n"),
]
# Written into a query string as they are: escapes that decode to nothing valid, separators, a bare byte.
RAW_PIECES = [
    "%zz",
    "%E3%81",
    "%",
    "%ff%fe",
    "%ED%A0%80",
    "%C0%80",
    "%u3042",
    "+",
    "%2B",
    "%20",
    "&",
    "=",
    ";",
    "%00",
]
HEADERS = [
    ("If-None-Match", "*"),
    ("If-None-Match", "garbage"),
    ("If-None-Match", 'W/"x", "y"'),
    ("If-None-Match", ","),
    ("If-Modified-Since", "garbage"),
    ("If-Modified-Since", "Thu, 01 Jan 2099 00:00:00 GMT"),
    ("Accept-Encoding", "gzip"),
    ("Accept-Encoding", "gzip;q=0"),
    ("Accept-Encoding", "*"),
    ("Accept-Encoding", "br"),
    ("Accept-Encoding", "identity;q=0"),
    ("Accept-Encoding", "gzip;q=nan"),
    ("Range", "bytes=0-10"),
    ("Accept", "application/json"),
    ("Origin", BLOG_ORIGIN),
    ("Origin", "null"),
    ("Accept-Language", "ja," * 3000),
]
# A marker no answer holds unless it reflected request text without escaping it.
INJECTED = '<mikke-injected x="1">'
PAGE_TAGS = {
    *("html", "head", "meta", "title", "link", "style", "script", "body", "main", "div", "h1", "h2"),
    *("form", "label", "input", "button", "p", "ol", "ul", "li", "a", "span", "time", "strong", "nav"),
    *("aside", "mark", "img", "code"),
}


@pytest.fixture(scope="module")
def odd_client(web_index: Path) -> FlaskClient:
    """One app for every example (hypothesis reuses it), configured as the other web tests' apps."""
    app = create_app(app_config(web_index))
    # Not TESTING's propagation: an exception in a view must become the 500 a reader would get.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


def _escaped(text: str) -> str:
    """Every byte of ``text`` (lone surrogates too) percent-encoded, as a client may send it."""
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(max_size=20),
    st.just(INJECTED),
    st.text(min_size=1, max_size=3).map(lambda s: s * 3500),  # 10 KB and more
)
parameters = st.tuples(
    st.one_of(st.sampled_from(NAMES), st.sampled_from(ODD_NAMES)),
    values,
    st.lists(st.sampled_from(RAW_PIECES), max_size=2).map("".join),
)
query_strings = st.lists(parameters, max_size=6).map(
    lambda pairs: "&".join(f"{_escaped(n)}={_escaped(v)}{raw}" for n, v, raw in pairs)
)
repeated = st.tuples(st.sampled_from(NAMES), values, st.integers(2, 1000)).map(
    lambda r: "&".join([f"{r[0]}={_escaped(r[1][:20])}"] * r[2])
)
headers = st.lists(st.sampled_from(HEADERS), max_size=3, unique_by=lambda h: h[0])


class PageChecker(html.parser.HTMLParser):
    """Collects what a page must never hold: elements it does not write, inline handlers or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.unexpected: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in PAGE_TAGS:
            self.unexpected.append(f"<{tag}>")
        self.unexpected += [
            f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on") or name == "style"
        ]


def body_of(response: TestResponse) -> bytes:
    data = response.get_data()
    return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data


def error_shape_of(path: str) -> str:
    """The shape errors.error_shape gives a path (README: API errors always have one shape)."""
    if path.startswith("/api/") or path == "/healthz":
        return "json"
    return "text" if path == "/feed.atom" else "html"


def assert_well_formed(
    response: TestResponse, method: str, path: str, sent: dict[str, str], *, ready: bool = True
) -> None:
    """The rules every answer keeps, whatever was asked (``ready``: the app has an index; else 503s)."""
    status = response.status_code
    assert status < 500 or (status == 503 and not ready), response.get_data()[:300]
    if method == "HEAD":
        assert response.get_data() == b""
    if status == 304:
        assert "If-None-Match" in sent, "304 to a client that holds nothing"
    if status >= 400:
        # An error is never kept to answer others with (a 503 is not kept at all).
        assert "public" not in response.headers.get("Cache-Control", "")
        assert response.headers["Cache-Control"] in ("no-cache", "no-store")
    if path.startswith("/api/"):
        # Shared caches keep one answer per Origin; only the origins allowed are told they may read it.
        assert "Origin" in response.headers.get("Vary", "")
        allowed = response.headers.get("Access-Control-Allow-Origin")
        assert allowed is None or allowed == sent.get("Origin") == BLOG_ORIGIN
    if "Location" in response.headers:
        assert response.headers["Location"].startswith(("http://localhost/", "/")), (
            "a redirect leaves the site"
        )
    if method in ("HEAD", "OPTIONS") or status in (204, 304) or 300 <= status < 400:
        return
    body = body_of(response)
    shape = error_shape_of(path)
    if status >= 400 or shape == "json":
        _assert_shape(response, body, shape)
    elif path == "/feed.atom":
        assert response.mimetype == "application/atom+xml"
        ET.fromstring(body)  # well-formed XML: feedparser alone would forgive some faults
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
    if response.mimetype == "text/html":
        _assert_safe_page(body)
    elif path == "/api/results" and status == 200:
        _assert_safe_page(json.loads(body)["html"].encode())  # the page's own results region


def _assert_shape(response: TestResponse, body: bytes, shape: str) -> None:
    status = response.status_code
    if shape == "json":
        assert response.mimetype == "application/json"
        data = json.loads(body)
        if status >= 400:
            assert set(data) >= {"ok", "error", "status"} and data["ok"] is False and data["status"] == status
            assert set(data) == {"ok", "error", "status"} or response.request.path == "/healthz"
    elif shape == "text":
        assert response.mimetype == "text/plain" and body.strip()
    else:
        assert response.mimetype in ("text/html", "text/plain")  # text/plain: a Host mikke refuses


def _assert_safe_page(body: bytes) -> None:
    text = body.decode("utf-8")
    assert INJECTED not in text
    checker = PageChecker()
    checker.feed(text)
    checker.close()
    assert not checker.unexpected


def _sent(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


@PROPERTY
@given(st.sampled_from(METHODS), st.sampled_from(ROUTES), query_strings, headers)
def test_any_query_string_gets_a_well_formed_answer(
    odd_client: FlaskClient, method: str, path: str, query: str, sent: list[tuple[str, str]]
) -> None:
    response = odd_client.open(path, method=method, query_string=query, headers=sent)
    assert_well_formed(response, method, path, _sent(sent))


@PROPERTY
@given(st.sampled_from(ROUTES), repeated)
def test_a_parameter_repeated_any_number_of_times_gets_a_well_formed_answer(
    odd_client: FlaskClient, path: str, query: str
) -> None:
    assert_well_formed(odd_client.get(path, query_string=query), "GET", path, {})


odd_paths = st.one_of(
    st.sampled_from(
        [
            *("/%2e%2e/", "/../", "/static/../", "/static/..%2f__init__.py", "/static/%2e%2e/errors.py"),
            *("/api//search", "/api/search/", "/API/search", "/api%2fsearch", "/static//search.js"),
            *(
                "/feed.atom/",
                "/healthz/",
                "/%ff",
                "/%ED%A0%80",
                "/%",
                "/%zz",
                "/%00",
                "/;x",
                "/\\evil.example",
            ),
        ]
    ),
    st.tuples(st.sampled_from(ROUTES), st.text(max_size=30)).map(
        lambda r: r[0] + quote(r[1].encode("utf-8", "surrogatepass"))
    ),
    st.text(min_size=1, max_size=3).map(lambda s: "/" + quote(s * 3000)),
)


@PROPERTY
@given(st.sampled_from(["GET", "HEAD", "POST"]), odd_paths)
def test_any_path_gets_a_well_formed_answer(odd_client: FlaskClient, method: str, path: str) -> None:
    response = odd_client.open(path, method=method)
    assert_well_formed(response, method, response.request.path, {})


@PROPERTY
@given(st.sampled_from(["/", "/api/search", "/api/results", "/feed.atom", "/api/suggest"]), query_strings)
def test_only_the_validator_an_answer_gave_is_confirmed_with_304(
    odd_client: FlaskClient, path: str, query: str
) -> None:
    first = odd_client.get(path, query_string=query)
    if first.status_code != 200:
        return  # a 400 for an unknown sort: nothing to confirm
    tag = first.headers["ETag"]
    held = odd_client.get(path, query_string=query, headers={"If-None-Match": tag})
    assert held.status_code == 304 and held.get_data() == b"" and held.headers["ETag"] == tag
    other = odd_client.get(path, query_string=query, headers={"If-None-Match": 'W/"' + "0" * 32 + '"'})
    assert other.status_code == 200


@pytest.fixture(scope="module")
def not_ready_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "SEARCH_INDEX": str(tmp_path_factory.mktemp("none") / "index")})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app.test_client()


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(st.sampled_from(METHODS), st.sampled_from(ROUTES), query_strings)
def test_without_an_index_every_answer_is_well_formed_too(
    not_ready_client: FlaskClient, method: str, path: str, query: str
) -> None:
    response = not_ready_client.open(path, method=method, query_string=query)
    assert_well_formed(response, method, path, {}, ready=False)
    if response.status_code == 503:
        assert response.headers["Retry-After"] and response.headers["Cache-Control"] == "no-store"


LONG_QUERY = "図書館で本を読む" * 1300  # over 10,000 characters, 30 KB of UTF-8


@pytest.mark.parametrize(
    ("path", "cut"),
    [
        ("/api/search", lambda r: r.get_json()["query"]),
        ("/api/suggest", lambda r: r.get_json()["query"]),
        ("/api/results", lambda r: r.get_json()["title"].split("」")[0].removeprefix("「")),
        ("/feed.atom", lambda r: feedparser.parse(r.get_data()).feed.title.split("「")[1].split("」")[0]),
        ("/", lambda r: re.findall(r'name="q" value="([^"]*)"', r.get_data(as_text=True))[0]),
    ],
)
def test_a_10_kb_query_is_cut_before_any_work_on_every_route_that_searches(
    odd_client: FlaskClient, path: str, cut: Callable[[TestResponse], str]
) -> None:
    response = odd_client.get(path, query_string={"q": LONG_QUERY})
    assert response.status_code == 200
    assert cut(response) == LONG_QUERY[:MAX_QUERY_CHARS]
