"""kill -9 at any moment of an index run leaves the previous index serving; the next run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search import build_index
from search import open_store
from search import search
from search.store import read_current

from .conftest import post_source


def add_posts(site: Path, count: int, word: str) -> None:
    for i in range(count):
        body = f"{word}の記録{i}。" + "長い本文の段落です。図書館と検索と写真の話が続きます。\n\n" * 40
        (site / "_posts" / f"2024-07-{i % 28 + 1:02d}-{word}-{i}.md").write_text(
            post_source(f"{word}{i}", body), "utf-8"
        )


def start_indexer(site: Path, index: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(site), "--index", str(index), "--jobs", "1", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0])
@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_killed_indexer_leaves_previous_index_and_next_run_completes(
    site: Path, tmp_path: Path, mode: str, delay: float
) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    before = read_current(index)
    add_posts(site, 60, "夕焼け")
    proc = start_indexer(site, index, *(["--full"] if mode == "full" else []))
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = open_store(index)
    # Whatever moment the kill hit, the index is one complete state: the old one or the new one.
    found = search(store, "夕焼け", per_page=0).total
    assert found in (0, 60)
    if found == 0:
        assert read_current(index) == before
    assert search(store, "図書館").hits[0].title == "図書館で本を読む"
    report = build_index(site, index, jobs=1)
    assert report.posts == 63
    assert search(open_store(index), "夕焼け", per_page=0).total == 60
    assert len(list(index.glob("gen-*"))) <= 2  # leftovers of the killed build are cleaned up
