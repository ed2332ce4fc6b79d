"""A running `mikke serve` picks up every rebuild within seconds, with no failed or partial response."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from search import build_index

from .conftest import post_source

PICKUP_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(port: int, query: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": query, "per_page": 100})
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return json.load(response)


@pytest.fixture
def server(site: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    port = free_port()
    env = dict(os.environ, MIKKE_INDEX=str(index))
    proc = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            api(port, "")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    proc.stderr.read().decode() if proc.stderr else "server did not start"
                ) from None
            time.sleep(0.2)
    yield port, index
    proc.terminate()
    proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()


def add_batch(site: Path, batch: int, size: int) -> None:
    for i in range(size):
        (site / "_posts" / f"2024-08-{batch:02d}-b{batch}-{i}.md").write_text(
            post_source(f"夕立{batch}-{i}", "夕立の記録。図書館に雨宿りした。"), "utf-8"
        )


def wait_for(port: int, query: str, total: int) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 30:
        if api(port, query)["total"] == total:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the server never returned {total} hits for {query!r}")


def test_server_answers_from_each_new_index_within_two_seconds(server, site: Path) -> None:  # type: ignore[no-untyped-def]
    port, index = server
    add_batch(site, 1, 3)
    build_index(site, index, jobs=1)  # incremental: commits into the live generation
    assert wait_for(port, "夕立", 3) <= PICKUP_SECONDS
    add_batch(site, 2, 2)
    build_index(site, index, full=True, jobs=1)  # full: a new generation swapped in
    assert wait_for(port, "夕立", 5) <= PICKUP_SECONDS


def test_queries_during_rebuilds_never_fail_or_see_partial_results(server, site: Path) -> None:  # type: ignore[no-untyped-def]
    port, index = server
    seen: set[int] = set()
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                data = api(port, "夕立")
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
        wait_for(port, "夕立", 20)
    finally:
        stop.set()
        for c in clients:
            c.join()
    assert errors == []
    assert seen <= {0, 5, 10, 15, 20}  # only complete index states, never a mix
    assert 20 in seen
