"""A running `mikke serve` picks up every rebuild within seconds, with no failed or partial response."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import mikke_server
from mikke.search import build_index

from .conftest import post_source

PICKUP_SECONDS = 2.0


def api(url: str, query: str) -> dict:
    search_url = url + "/api/search?" + urllib.parse.urlencode({"q": query, "per_page": 100})
    with urllib.request.urlopen(search_url, timeout=10) as response:
        assert response.status == 200
        return json.load(response)


@pytest.fixture
def server(site: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A `mikke serve` with two workers on the site's index, which the tests rebuild under it."""
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    with mikke_server(index, workers=2) as url:
        yield url, index


def add_batch(site: Path, batch: int, size: int) -> None:
    for i in range(size):
        (site / "_posts" / f"2024-08-{batch:02d}-b{batch}-{i}.md").write_text(
            post_source(f"夕立{batch}-{i}", "夕立の記録。図書館に雨宿りした。"), "utf-8"
        )


def wait_for(url: str, query: str, total: int) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 30:
        if api(url, query)["total"] == total:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the server never returned {total} hits for {query!r}")


def test_server_answers_from_each_new_index_within_two_seconds(server: tuple[str, Path], site: Path) -> None:
    url, index = server
    add_batch(site, 1, 3)
    build_index(site, index, jobs=1)  # incremental: commits into the live generation
    assert wait_for(url, "夕立", 3) <= PICKUP_SECONDS
    add_batch(site, 2, 2)
    build_index(site, index, full=True, jobs=1)  # full: a new generation swapped in
    assert wait_for(url, "夕立", 5) <= PICKUP_SECONDS


def test_queries_during_rebuilds_never_fail_or_see_partial_results(
    server: tuple[str, Path], site: Path
) -> None:
    url, index = server
    seen: set[int] = set()
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                data = api(url, "夕立")
                if data["total"] != len(data["hits"]):
                    errors.append(f"total {data['total']} but {len(data['hits'])} hits")
                seen.add(data["total"])
            except Exception as e:  # every failure is recorded and fails the test below
                errors.append(repr(e))

    clients = [threading.Thread(target=client) for _ in range(3)]
    for c in clients:
        c.start()
    try:
        for batch in range(1, 5):
            add_batch(site, batch, 5)  # each rebuild adds exactly five posts
            build_index(site, index, full=batch % 2 == 0, jobs=1)
            time.sleep(0.3)
        wait_for(url, "夕立", 20)
    finally:
        stop.set()
        for c in clients:
            c.join()
    assert errors == []
    assert seen <= {0, 5, 10, 15, 20}  # only complete index states, never a mix
    assert 20 in seen
