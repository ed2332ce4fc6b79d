"""`mikke index --watch`: one debounced re-index per burst of saves to posts or _config.yml."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.watch import is_source_change
from mikke.search.watch import watch_site

from .conftest import post_source


def test_only_posts_and_config_count_as_source_changes(site: Path) -> None:
    assert is_source_change(site, str(site / "_posts" / "2024-01-01-a.md"))
    assert is_source_change(site, str(site / "_config.yml"))
    assert not is_source_change(site, str(site / "_site" / "_posts" / "x.html"))
    assert not is_source_change(site, str(site / "assets" / "style.css"))
    assert not is_source_change(site, "/elsewhere/_posts/2024-01-01-a.md")


def test_saving_a_post_reindexes_it_once_per_burst(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    runs: list[float] = []
    stop = threading.Event()

    def reindex() -> None:
        build_index(site, index, jobs=1)
        runs.append(time.monotonic())

    watcher = threading.Thread(target=watch_site, args=(site, reindex), kwargs={"stop": stop})
    watcher.start()
    try:
        time.sleep(0.5)  # let the observer start
        post = site / "_posts" / "2024-05-09-new.md"
        for i in range(5):  # an editor saving several times in a row
            post.write_text(post_source("新しい記事", f"保存{i}回目の本文。流星群を見た。"), "utf-8")
            time.sleep(0.02)
        deadline = time.monotonic() + 20
        while not runs and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # any further run for the same burst would have started by now
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert len(runs) == 1
    assert search(open_store(index), "流星群").hits[0].title == "新しい記事"


def test_an_error_while_reindexing_is_reported_and_the_watch_goes_on(site: Path) -> None:
    calls: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def reindex() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the index is locked by another run")

    watcher = threading.Thread(
        target=watch_site, args=(site, reindex), kwargs={"stop": stop, "on_error": errors.append}
    )
    watcher.start()
    try:
        time.sleep(0.5)  # let the observer start
        post = site / "_posts" / "2024-05-09-new.md"
        for attempt in range(2):
            post.write_text(post_source("新しい記事", f"{attempt}回目の保存。"), "utf-8")
            deadline = time.monotonic() + 20
            while len(calls) <= attempt and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert len(calls) == 2
    assert [str(e) for e in errors] == ["the index is locked by another run"]
    assert not watcher.is_alive()


def test_a_link_counts_by_where_it_lies_not_where_it_points(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n", "utf-8")
    (site / "_posts" / "2024-01-19-passwd.md").symlink_to(outside / "passwd")
    (site / "_posts" / "etc").symlink_to(outside, target_is_directory=True)
    # Saving the link is a change to the site (the re-index reports it); the file it points to is not.
    assert is_source_change(site, str(site / "_posts" / "2024-01-19-passwd.md"))
    assert not is_source_change(site, str(site / "_posts" / "etc" / "passwd"))


def runs_after(site: Path, change: Callable[[], None]) -> int:
    """How many times the watch re-indexes ``site`` after ``change``."""
    calls: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_site, args=(site, lambda: calls.append(0)), kwargs={"stop": stop})
    watcher.start()
    try:
        time.sleep(0.5)  # let the observer start
        change()
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(timeout=10)
    return len(calls)


def test_the_owners_synonyms_count_as_a_source_change(site: Path) -> None:
    (site / "_data").mkdir()
    synonyms = site / "_data" / "mikke_synonyms.yml"
    assert runs_after(site, lambda: synonyms.write_text("- [猫, ねこ]\n", "utf-8")) == 1


def test_a_category_folder_moved_out_of_the_site_is_a_source_change(site: Path, tmp_path: Path) -> None:
    (site / "travel" / "_posts").mkdir(parents=True)
    (site / "travel" / "_posts" / "2024-05-09-trip.md").write_text(post_source("旅", "旅の記録。"), "utf-8")
    assert runs_after(site, lambda: (site / "travel").rename(tmp_path / "travel")) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="signals a child process")
def test_sigterm_ends_a_watch_as_ctrl_c_does(site: Path, tmp_path: Path) -> None:
    # A service manager stops `mikke index --watch` with SIGTERM: it must end as Ctrl-C does (a rebuild
    # under way rolled back, exit status 0), not be killed by the signal mid-write.
    args = [sys.executable, "-m", "mikke", "index", str(site), "--index", str(tmp_path / "i"), "--watch"]
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as run:
        try:
            assert run.stderr is not None
            for line in run.stderr:  # the first build, then the watch
                if line.startswith("Watching"):
                    break
            time.sleep(0.5)
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=30) == 0
        finally:
            run.kill()
