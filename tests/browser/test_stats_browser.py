"""search.js reports settled searches, and only those, to a server that keeps statistics."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import expect

from bench.server import mikke_server
from mikke.search.stats import STATS_FILE
from tests.test_web_support import build_web_index

from .conftest import SERVER_ENV

STATUS = "[data-mikke-status]"


@pytest.fixture(scope="module")
def counting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    index = build_web_index(tmp_path_factory.getbasetemp())
    stats = tmp_path_factory.mktemp("stats")
    with mikke_server(index, env={**SERVER_ENV, "MIKKE_STATS_DIR": str(stats)}) as url:
        yield url, stats


def reported(requests: list[Request]) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r.url).query) for r in requests if "/api/settled" in r.url]


def test_only_the_search_the_reader_stops_on_is_reported(
    page: Page, counting_server: tuple[str, Path]
) -> None:
    url, stats = counting_server
    page.clock.install()
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(url + "/")
    box = page.get_by_label("キーワード")
    box.press_sequentially("図")
    page.clock.run_for(400)  # results for 図 are drawn, then the reader types on
    expect(page.locator(STATUS)).to_contain_text("「図」")
    box.press_sequentially("書館")
    page.clock.run_for(5_000)
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    assert reported(requests) == []  # on screen, but the reader may still type
    with page.expect_request(lambda r: "/api/settled" in r.url):
        page.clock.run_for(2_000)  # and now has looked at it long enough
    assert reported(requests) == [{"q": ["図書館"]}]
    box.press("Enter")  # the same search again: already reported
    with page.expect_request(lambda r: "/api/settled" in r.url):
        page.locator(".mikke-facet a", has_text="東京").click()  # a filter chosen: settled once drawn
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 1件（1〜1件目）")
    page.clock.run_for(5_000)
    assert reported(requests) == [{"q": ["図書館"]}, {"q": ["図書館"], "tag": ["東京"]}]
    page.wait_for_load_state("networkidle")
    with sqlite3.connect(stats / STATS_FILE) as conn:
        assert conn.execute("SELECT key, searches FROM searches").fetchall() == [("図書館", 2)]
