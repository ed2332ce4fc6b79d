"""``GET /api/related``: the posts related to the post a URL names, as ``mikke related --json``."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .test_web_api import ODD_QUERIES
from .test_web_support import assert_error_shape

pytest_plugins = ["tests.test_web_support"]


def test_related_answers_the_posts_related_to_a_url(client: FlaskClient) -> None:
    url = "https://blog.example.jp/blog/2024/07/20/python-tips/"
    response = client.get("/api/related", query_string={"url": url, "limit": "2"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["post"]["url"] == url
    assert 1 <= len(body["related"]) <= 2
    assert url not in [p["url"] for p in body["related"]]
    assert {"id", "url", "title", "date", "tags", "categories", "score"} <= set(body["related"][0])
    # The same as the URL's path alone, and as the post's path under the site.
    for other in ("/blog/2024/07/20/python-tips/", "_posts/2024-07-20-python-tips.md"):
        assert client.get("/api/related", query_string={"url": other, "limit": "2"}).get_json() == body


def test_related_is_cacheable_and_keyed_by_url_and_limit(client: FlaskClient) -> None:
    url = "/api/related?url=/blog/2024/07/20/python-tips/"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=1"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(url + "&limit=1").headers["ETag"] != first.headers["ETag"]


def test_related_of_no_post_stays_a_404_for_a_client_that_holds_any_answer(client: FlaskClient) -> None:
    # `If-None-Match: *` asks for 304 only when an answer exists; a URL naming no post has none.
    anything = {"If-None-Match": "*"}
    assert_error_shape(client.get("/api/related?url=/no/such/post/", headers=anything), 404)
    held = client.get("/api/related?url=/blog/2024/07/20/python-tips/", headers=anything)
    assert held.status_code == 304 and held.headers["ETag"]


@pytest.mark.parametrize("limit", ["0", "-5", "x", "99999999999999999999", ""])
def test_related_limit_is_clamped(client: FlaskClient, limit: str) -> None:
    response = client.get(
        "/api/related", query_string={"url": "/blog/2024/07/20/python-tips/", "limit": limit}
    )
    assert response.status_code == 200
    assert 1 <= len(response.get_json()["related"]) <= 20


# Text only of spaces says no more than an empty url= (a 400, below).
@pytest.mark.parametrize(
    "text", [*(q for q in ODD_QUERIES if q.strip()), "https://blog.example.jp/blog/no/such/post/", "/" * 3000]
)
def test_related_of_no_post_is_a_404_in_the_error_shape(client: FlaskClient, text: str) -> None:
    assert_error_shape(client.get("/api/related", query_string={"url": text}), 404)


@pytest.mark.parametrize("query", [{}, {"url": ""}, {"url": " " * 30}, {"url": "", "limit": "3"}])
def test_related_without_a_url_is_a_400_naming_the_parameter(
    client: FlaskClient, query: dict[str, str]
) -> None:
    body = assert_error_shape(client.get("/api/related", query_string=query), 400)
    assert body["error"].startswith("url is required:")


@pytest.mark.parametrize("url", ["http://[x", "https://[::1/blog/", "http://a]b/", "//[x/"])
def test_related_of_a_url_with_an_unbalanced_bracket_is_a_404_not_a_500(
    client: FlaskClient, url: str
) -> None:
    body = assert_error_shape(client.get("/api/related", query_string={"url": url}), 404)
    assert repr(url) in body["error"]
