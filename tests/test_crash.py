"""kill -9 at every step of an index run leaves one complete index serving; the next run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.failpoints import ENV_VAR
from mikke.search.failpoints import POINTS
from mikke.search.store import read_current

from .conftest import post_source


def add_posts(site: Path, count: int, word: str) -> None:
    for i in range(count):
        # Each post's paragraphs are its own: text shared by many posts would be site template.
        paragraphs = (f"長い本文の段落{i}-{j}です。図書館と検索と写真の話が続きます。" for j in range(40))
        body = f"{word}の記録{i}。\n\n" + "\n\n".join(paragraphs)
        (site / "_posts" / f"2024-07-{i % 28 + 1:02d}-{word}-{i}.md").write_text(
            post_source(f"{word}{i}", body), "utf-8"
        )


# Where each failpoint leaves the index: before the publish step the old index serves, after it the new.
OUTCOME = {
    ("full", "first-document-added"): "old",
    ("full", "documents-added"): "old",
    ("full", "texts-committed"): "old",
    ("full", "committed"): "old",
    ("full", "published"): "new",
    ("incremental", "first-document-added"): "old",
    ("incremental", "documents-added"): "old",
    ("incremental", "texts-committed"): "old",
    ("incremental", "committed"): "new",  # an incremental run publishes by committing
}


def run_indexer(site: Path, index: Path, failpoint: str, *extra: str) -> int:
    """Run `mikke index` in a new process that kills itself with SIGKILL at ``failpoint``."""
    return subprocess.run(
        [sys.executable, "-m", "mikke", "index", str(site), "--index", str(index), "--jobs", "1", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, ENV_VAR: failpoint},
        timeout=120,
    ).returncode


@pytest.mark.parametrize(("mode", "point"), sorted(OUTCOME))
def test_indexer_killed_at_each_step_leaves_one_complete_index_and_the_next_run_completes(
    site: Path, tmp_path: Path, mode: str, point: str
) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    before = read_current(index)
    add_posts(site, 60, "夕焼け")
    returncode = run_indexer(site, index, point, *(["--full"] if mode == "full" else []))
    assert returncode == -signal.SIGKILL  # the run reached the point and died there
    store = open_store(index)
    found = search(store, "夕焼け", per_page=0).total
    if OUTCOME[mode, point] == "old":
        assert found == 0
        assert read_current(index) == before
    else:
        assert found == 60
    assert search(store, "図書館").hits[0].title == "図書館で本を読む"
    report = build_index(site, index, jobs=1)
    assert report.posts == 63
    assert search(open_store(index), "夕焼け", per_page=0).total == 60
    assert len(list(index.glob("gen-*"))) <= 2  # leftovers of the killed build are cleaned up


def test_every_failpoint_is_tested() -> None:
    assert {point for _, point in OUTCOME} == set(POINTS)


def living_processes_in_group(group: int) -> list[int]:
    """The processes of process group ``group`` that have not exited (zombies have: they hold nothing and
    wait only for a parent that may never reap them)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:  # it exited while we looked
            continue
        state, _parent, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(int(stat_file.parent.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process table from /proc")
def test_killed_run_leaves_no_worker_process_behind(site: Path, tmp_path: Path) -> None:
    add_posts(site, 60, "夕焼け")  # enough posts for worker processes
    index = tmp_path / "index"
    run = subprocess.Popen(
        [sys.executable, "-m", "mikke", "index", str(site), "--index", str(index), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, ENV_VAR: "first-document-added"},
        start_new_session=True,  # every process the run starts is in the group numbered with its id
    )
    assert run.wait(timeout=120) == -signal.SIGKILL  # killed while its workers were analysing
    deadline = time.monotonic() + 10
    while (left := living_processes_in_group(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def test_an_update_killed_between_its_two_commits_is_not_trusted_by_the_next_run(
    site: Path, tmp_path: Path
) -> None:
    # Killed between the two commits, the texts index holds the edited post's new text while the posts
    # index still holds the old post; undoing the edit before the next run leaves the file as indexed, so
    # only knowing that the update did not finish can bring the two indexes back together.
    index = tmp_path / "index"
    path = site / "_posts" / "2024-07-01-umibe.md"
    path.write_text(post_source("海辺の記録", "海辺で貝を拾った。"), "utf-8")
    build_index(site, index, jobs=1)
    original = path.read_bytes()
    path.write_text(post_source("海辺の記録", "全く別の文章。海辺で自転車に乗った。"), "utf-8")
    assert run_indexer(site, index, "texts-committed") == -signal.SIGKILL
    path.write_bytes(original)
    report = build_index(site, index, jobs=1)
    (hit,) = search(open_store(index), "海辺").hits
    assert "貝を拾った" in hit.excerpt
    assert "自転車" not in hit.excerpt
    assert (report.mode, report.full_reason) == ("full", "the last update of the index did not finish")
    assert build_index(site, index, jobs=1).mode == "incremental"  # finished: trusted again
