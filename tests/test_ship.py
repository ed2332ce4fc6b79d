"""`mikke ship SRC DEST`: one build served from several index folders, each switching safely."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.server import mikke_server
from mikke.search import IndexBuildError
from mikke.search import IndexMissing
from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.cli import cli
from mikke.search.failpoints import ENV_VAR
from mikke.search.ship import ship_index
from mikke.search.store import TANTIVY_META_LOCK
from mikke.search.store import TEXT_FOLDER
from mikke.search.store import read_current
from mikke.search.store import writer_lock

WORD = "天気"


def write_site(site: Path, posts: range) -> None:
    """A site whose posts are exactly ``posts`` (each mentions WORD); other post files are removed."""
    folder = site / "_posts"
    folder.mkdir(parents=True, exist_ok=True)
    (site / "_config.yml").write_text('url: "https://example.jp"\ntimezone: Asia/Tokyo\n', "utf-8")
    wanted = {f"2024-01-{n % 28 + 1:02}-post-{n:03}.md": n for n in posts}
    for old in folder.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name, n in wanted.items():
        (folder / name).write_text(
            f'---\ntitle: "記録{n:03}"\n---\n\n今日の{WORD}は晴れ、{n}回目の散歩。\n', "utf-8"
        )


def urls(index: Path) -> list[str]:
    page = search(open_store(index), WORD, per_page=100)
    assert page.total == len(page.hits)
    return sorted(hit.url for hit in page.hits)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    site, source = tmp_path / "site", tmp_path / "build"
    write_site(site, range(6))
    build_index(site, source, jobs=1)
    return site, source


def test_a_shipped_index_serves_what_the_build_serves(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, source = built
    replica = tmp_path / "replica"
    report = ship_index(source, replica)
    assert report.mode == "new" and report.files_copied > 0
    assert read_current(replica) == read_current(source) == report.generation
    assert urls(replica) == urls(source) and len(urls(replica)) == 6
    assert ship_index(source, replica).mode == "unchanged"


def test_an_update_of_the_build_is_shipped_in_place_and_old_segments_leave(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    site, source = built
    replica = tmp_path / "replica"
    first = ship_index(source, replica)
    write_site(site, range(2, 9))  # two posts gone, three new
    assert build_index(site, source, jobs=1).mode == "incremental"
    report = ship_index(source, replica)
    assert (report.generation, report.mode) == (first.generation, "update")
    assert urls(replica) == urls(source) and len(urls(replica)) == 7
    generation = replica / report.generation
    for folder in (generation, generation / TEXT_FOLDER):
        source_folder = source / report.generation / folder.relative_to(generation)
        extra = {p.name for p in folder.iterdir()} - {p.name for p in source_folder.iterdir()}
        assert extra <= {TANTIVY_META_LOCK}, extra


def test_a_new_generation_is_published_and_one_previous_kept(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    site, source = built
    replica = tmp_path / "replica"
    generations = [ship_index(source, replica).generation]
    for _ in range(2):
        build_index(site, source, full=True, jobs=1)
        generations.append(ship_index(source, replica).generation)
    assert len(set(generations)) == 3
    assert read_current(replica) == generations[-1]
    assert sorted(p.name for p in replica.glob("gen-*")) == generations[1:]


def test_an_interrupted_copy_is_never_served_and_the_next_ship_completes(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    site, source = built
    replica = tmp_path / "replica"
    old = ship_index(source, replica).generation
    build_index(site, source, full=True, jobs=1)
    new = read_current(source)
    assert new and new != old
    partial = replica / new
    partial.mkdir()
    (partial / "meta.json").write_text("{", "utf-8")  # what a killed copy could leave
    assert read_current(replica) == old and len(urls(replica)) == 6
    assert ship_index(source, replica).mode == "new"
    assert read_current(replica) == new and urls(replica) == urls(source)


def test_the_copy_is_read_only_but_for_the_readers_lock_file(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, source = built
    replica = tmp_path / "replica"
    generation = replica / ship_index(source, replica).generation
    for path in [generation, *generation.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert not mode & stat.S_IWOTH, path
        if path.name == TANTIVY_META_LOCK:
            assert mode & stat.S_IWGRP, path  # a server sharing the group opens it for writing
        else:
            assert not mode & stat.S_IWGRP, path


def test_nothing_to_ship_or_shipping_onto_itself_is_a_clear_error(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, source = built
    with pytest.raises(IndexMissing, match="run `mikke index"):
        ship_index(tmp_path / "empty", tmp_path / "replica")
    assert not (tmp_path / "empty").exists()
    result = CliRunner().invoke(cli, ["ship", str(source), str(source)])
    assert result.exit_code == 1 and "onto itself" in result.output
    result = CliRunner().invoke(cli, ["ship", str(source), str(tmp_path / "replica"), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["mode"] == "new"


def test_a_build_whose_last_update_died_between_its_commits_is_not_shipped(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    site, source = built
    write_site(site, range(3, 9))
    killed = subprocess.run(
        [sys.executable, "-m", "mikke", "index", str(site), "--index", str(source), "--jobs", "1"],
        env={**os.environ, ENV_VAR: "texts-committed"},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL
    replica = tmp_path / "replica"
    with pytest.raises(IndexBuildError) as error:
        ship_index(source, replica)
    assert str(error.value) == (
        f"The last update of {source}/ did not finish, so its posts and texts may not match; "
        f"run `mikke index SITE --index {source}` (it rebuilds the index) before shipping it."
    )
    assert read_current(replica) is None
    build_index(site, source, jobs=1)
    ship_index(source, replica)
    assert urls(replica) == urls(source)


def test_shipping_into_a_folder_inside_the_source_or_holding_it_is_refused(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, source = built
    before = sorted(p.name for p in source.iterdir())
    inside = source / "sub"
    result = CliRunner().invoke(cli, ["ship", str(source), str(inside)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: Cannot ship {source}/ into {inside}/, a folder inside it; name a folder outside it.\n"
    )
    assert sorted(p.name for p in source.iterdir()) == before
    result = CliRunner().invoke(cli, ["ship", str(source), str(tmp_path)])
    assert result.exit_code == 1
    assert (
        result.output
        == f"Error: Cannot ship {source}/ into {tmp_path}/, which holds it; name a folder outside it.\n"
    )
    assert not (tmp_path / "CURRENT").exists()


def test_a_ship_refused_for_a_busy_source_does_not_blame_only_an_indexer(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, source = built
    lock = writer_lock(source)  # what a ship of the same source holds while it copies
    try:
        result = CliRunner().invoke(cli, ["ship", str(source), str(tmp_path / "replica")])
    finally:
        lock.release()
    assert result.exit_code == 1
    assert result.output == (
        f"Error: Another `mikke index` or `mikke ship` is using {source}/; wait for it to finish "
        "(or pass --wait SECONDS).\n"
    )


def test_a_server_on_the_replica_answers_whole_result_sets_while_shipping(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    """A client loop against a second server on the replica sees no error and every answer is one of the
    site's versions whole, while updates and full rebuilds of the build are shipped to it."""
    site, source = built
    replica = tmp_path / "replica"
    versions = [range(6), range(2, 9), range(0, 12)]
    expected = set()
    for posts in versions:
        write_site(site, posts)
        build_index(site, source, jobs=1)
        expected.add(tuple(urls(source)))
    write_site(site, versions[0])
    build_index(site, source, jobs=1)
    ship_index(source, replica)
    seen: list[tuple[str, ...]] = []
    errors: list[str] = []
    done = threading.Event()
    with mikke_server(replica, workers=2) as url:
        query = url + "/api/search?" + urllib.parse.urlencode({"q": WORD, "per_page": 20})

        def client() -> None:
            while not done.is_set():
                try:
                    with urllib.request.urlopen(query, timeout=10) as response:
                        body = json.loads(response.read())
                except OSError as e:  # HTTPError included: any status but 200
                    errors.append(repr(e))
                    continue
                hits = tuple(sorted(hit["url"] for hit in body["hits"]))
                if body["total"] != len(hits) or hits not in expected:
                    errors.append(f"incomplete answer: total {body['total']}, {len(hits)} hits")
                seen.append(hits)

        clients = [threading.Thread(target=client) for _ in range(2)]
        for t in clients:
            t.start()
        try:
            for step in range(6):
                write_site(site, versions[(step + 1) % len(versions)])
                build_index(site, source, full=step % 3 == 2, jobs=1)
                ship_index(source, replica, wait=10)
        finally:
            done.set()
            for t in clients:
                t.join()
    assert not errors, errors[:5]
    assert len(set(seen)) == len(versions), "the replica's server did not follow every shipped version"


def test_an_empty_folder_name_is_refused_rather_than_taken_as_the_current_folder(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, source = built
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = CliRunner().invoke(cli, ["ship", str(source), ""])
    assert result.exit_code == 1
    assert result.output == "Error: Name both index folders, SOURCE and DEST; an empty name is no folder.\n"
    assert list(here.iterdir()) == []


@pytest.mark.parametrize("command", ["ship", "index"])
def test_a_negative_wait_is_a_usage_error(built: tuple[Path, Path], command: str) -> None:
    site, source = built
    args = [str(source), str(source / "x")] if command == "ship" else [str(site), "--index", str(source)]
    result = CliRunner().invoke(cli, [command, *args, "--wait", "-1"])
    assert result.exit_code == 2
    assert "Invalid value for '--wait'" in result.output
