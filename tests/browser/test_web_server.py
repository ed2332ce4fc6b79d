"""`mikke serve` itself (gunicorn): the limits a reader can hit before the app sees the request."""

from __future__ import annotations

import http.client
import json
import urllib.parse

from tests.test_web_support import MAX_QUERY_CHARS


def get(server_url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_a_100_kb_query_reaches_the_app_and_is_cut(server_url: str) -> None:
    query = urllib.parse.quote("図書館" * 11_000)  # 33,000 characters: about 100 KB of UTF-8
    status, _, body = get(server_url, "/api/search?q=" + query)
    assert status == 200
    answer = json.loads(body)
    assert answer["truncated"] is True
    assert answer["query"] == "図書館" * (MAX_QUERY_CHARS // 3) + "図書館"[: MAX_QUERY_CHARS % 3]
    status, _, page = get(server_url, "/?q=" + query)
    assert status == 200 and "検索語が長すぎるため" in page.decode()
    status, _, body = get(server_url, "/api/results?q=" + query)
    assert status == 200 and "検索語が長すぎるため" in json.loads(body)["html"]


def test_served_pages_and_assets_carry_their_headers(server_url: str) -> None:
    status, headers, _ = get(server_url, "/")
    assert status == 200
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    status, headers, _ = get(server_url, "/healthz")
    assert status == 200
    status, headers, _ = get(server_url, "/static/style.css")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=300"
