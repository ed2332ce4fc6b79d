"""Building indexes on disk: atomic full rebuilds, incremental updates, locking and reopening."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mikke.search import IndexLocked
from mikke.search import Store
from mikke.search import build_index
from mikke.search import indexer
from mikke.search import open_store
from mikke.search import posts
from mikke.search import search
from mikke.search.analysis import Terms
from mikke.search.analysis import Word
from mikke.search.analysis import get_analyzer
from mikke.search.document import TextTerms
from mikke.search.errors import IndexMissing
from mikke.search.errors import SettingError
from mikke.search.errors import SiteError
from mikke.search.indexer import MIN_POSTS_FOR_POOL
from mikke.search.indexer import Workers
from mikke.search.store import read_current
from mikke.search.store import writer_lock

from .conftest import finishes_despite_fifo
from .conftest import post_source


def titles(index: Path, text: str = "") -> list[str]:
    return sorted(h.title for h in search(open_store(index), text, per_page=100).hits)


def test_first_build_is_full_and_publishes_a_generation(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert report.mode == "full"
    assert report.full_reason == "no index yet"
    assert report.posts == 3
    assert read_current(index) is not None
    assert titles(index, "図書館") == ["図書館で本を読む"]


def test_search_from_another_process_after_build(site: Path, tmp_path: Path) -> None:
    # Analyzers are not saved with tantivy indexes (docs/DESIGN.md, T10); our fields need none, so a fresh
    # process can search what this one built.
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    out = subprocess.run(
        [sys.executable, "-m", "mikke", "search", "全文検索", "--index", str(index), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["hits"][0]["title"] == "全文検索エンジン"


def test_unchanged_site_analyses_nothing(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    report = build_index(site, index, jobs=1)
    assert report.mode == "incremental"
    assert (report.added, report.updated, report.removed, report.unchanged) == ([], [], [], 3)


def test_added_edited_and_deleted_posts_are_applied_incrementally(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    posts = site / "_posts"
    (posts / "2024-05-04-cat.md").write_text(post_source("猫の日記", "猫が昼寝をした。"), encoding="utf-8")
    (posts / "2024-05-03-curry.md").write_text(post_source("カレーの作り方", "スパイスを炒める。"), "utf-8")
    (posts / "2024-05-01-library.md").unlink()
    report = build_index(site, index, jobs=1)
    assert report.mode == "incremental"
    assert report.added == ["_posts/2024-05-04-cat.md"]
    assert report.updated == ["_posts/2024-05-03-curry.md"]
    assert report.removed == ["_posts/2024-05-01-library.md"]
    assert titles(index) == ["カレーの作り方", "全文検索エンジン", "猫の日記"]
    assert titles(index, "スパイス") == ["カレーの作り方"]
    assert titles(index, "玉ねぎ") == []
    assert titles(index, "図書館") == []


def test_incremental_result_equals_full_rebuild(site: Path, tmp_path: Path) -> None:
    incremental, full = tmp_path / "inc", tmp_path / "full"
    build_index(site, incremental, jobs=1)
    posts = site / "_posts"
    (posts / "2024-05-02-engine.md").rename(posts / "2024-05-02-search-engine.md")
    (posts / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車で図書館へ行く。"), "utf-8")
    build_index(site, incremental, jobs=1)
    build_index(site, full, full=True, jobs=1)
    for query in ["", "図書館", "全文検索", "自転車"]:
        a = search(open_store(incremental), query, per_page=50)
        b = search(open_store(full), query, per_page=50)
        assert [(h.id, h.url, h.title) for h in a.hits] == [(h.id, h.url, h.title) for h in b.hits]


def test_url_setting_change_triggers_full_rebuild(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    config = site / "_config.yml"
    config.write_text(config.read_text("utf-8").replace('baseurl: "/blog"', 'baseurl: ""'), "utf-8")
    report = build_index(site, index, jobs=1)
    assert report.mode == "full"
    assert "settings" in report.full_reason
    assert search(open_store(index), "図書館").hits[0].url == "https://example.jp/2024/05/01/library/"


def test_new_url_rules_rebuild_the_index_in_full(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When mikke learns a URL rule of Jekyll's, an update must not keep the URLs of unchanged posts.
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    monkeypatch.setattr(posts, "URL_RULES_VERSION", posts.URL_RULES_VERSION + 1)
    report = build_index(site, index, jobs=1)
    assert report.mode == "full"
    assert "settings" in report.full_reason


def test_changed_site_title_rebuilds_posts_that_show_it(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    (site / "_posts" / "2024-05-04-name.md").write_text(
        post_source("ブログの名前", "{{ site.title }}という名前です。"), "utf-8"
    )
    build_index(site, index, jobs=1)
    assert titles(index, "テスト") == ["ブログの名前"]
    config = site / "_config.yml"
    config.write_text(config.read_text("utf-8").replace("テストブログ", "みっけ日記"), "utf-8")
    report = build_index(site, index, jobs=1)
    assert report.mode == "full"
    assert titles(index, "みっけ日記") == ["ブログの名前"]
    assert titles(index, "テスト") == []


def test_failed_build_leaves_previous_index_serving(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    before = read_current(index)

    calls = {"n": 0}
    real = indexer.analyze_post

    def failing(post):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(post)

    monkeypatch.setattr(indexer, "analyze_post", failing)
    with pytest.raises(Exception, match="disk full"):
        build_index(site, index, full=True, jobs=1)
    assert read_current(index) == before
    assert titles(index, "図書館") == ["図書館で本を読む"]
    assert [p.name for p in index.glob("gen-*")] == [before]


def test_failed_incremental_update_publishes_nothing(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    posts = site / "_posts"
    (posts / "2024-05-01-library.md").unlink()
    (posts / "2024-05-06-a.md").write_text(post_source("新しい記事", "新しい本文。"), "utf-8")

    def failing(post):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(indexer, "analyze_post", failing)
    with pytest.raises(Exception, match="disk full"):
        build_index(site, index, jobs=1)
    # The deletion queued before the failure was rolled back with it (docs/DESIGN.md, T12).
    assert titles(index, "図書館") == ["図書館で本を読む"]


def test_second_writer_is_refused_with_a_clear_message(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    lock = writer_lock(index)
    try:
        with pytest.raises(IndexLocked, match="Another `mikke index` or `mikke ship` is using"):
            build_index(site, index, jobs=1)
    finally:
        lock.release()


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="run `mikke index"):
        open_store(tmp_path / "nothing")


def test_missing_site_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="No site"):
        build_index(tmp_path / "nosite", tmp_path / "index")


def segment_files(index: Path) -> dict[str, list[bytes]]:
    """The live generation's index files by kind (".idx", ".pos", ".store", ...; "text/" for the texts
    index), their contents sorted: segment names are random, what they hold is not."""
    generation = index / (read_current(index) or "")
    files: dict[str, list[bytes]] = {}
    for folder, prefix in ((generation, ""), (generation / "text", "text/")):
        segments = json.loads((folder / "meta.json").read_text("utf-8"))["segments"]
        for segment in segments:
            for path in folder.glob(segment["segment_id"].replace("-", "") + ".*"):
                files.setdefault(prefix + path.suffix, []).append(path.read_bytes())
    return {kind: sorted(contents) for kind, contents in files.items()}


def test_parallel_parsing_and_analysis_write_the_very_same_index(site: Path, tmp_path: Path) -> None:
    posts = site / "_posts"
    for i in range(MIN_POSTS_FOR_POOL):  # enough to start workers
        body = f"記事{i}の本文です。図書館と検索について。"
        (posts / f"2024-06-{i % 28 + 1:02d}-p{i}.md").write_text(post_source(f"記事{i}", body), "utf-8")
    build_index(site, tmp_path / "one", jobs=1)
    build_index(site, tmp_path / "two", jobs=2)
    assert segment_files(tmp_path / "one") == segment_files(tmp_path / "two")


def test_a_full_build_that_fits_in_memory_leaves_each_index_in_one_segment(
    site: Path, tmp_path: Path
) -> None:
    # Every segment is one more pass of a search's per-segment work; the writers flush only when full.
    posts = site / "_posts"
    for i in range(MIN_POSTS_FOR_POOL + 8):
        body = f"記事{i}の本文です。図書館と検索について。" * 20
        (posts / f"2024-06-{i % 28 + 1:02d}-p{i}.md").write_text(post_source(f"記事{i}", body), "utf-8")
    build_index(site, tmp_path / "index", jobs=2)
    generation = tmp_path / "index" / (read_current(tmp_path / "index") or "")
    for folder in (generation, generation / "text"):
        assert len(json.loads((folder / "meta.json").read_text("utf-8"))["segments"]) == 1


@pytest.mark.parametrize("memory_mb", [0, 15, 4001])
def test_index_memory_outside_what_tantivy_accepts_is_refused_naming_the_setting(
    site: Path, tmp_path: Path, memory_mb: int
) -> None:
    with pytest.raises(
        SettingError, match=r"MIKKE_INDEX_MEMORY_MB \(--memory-mb\) must be from 16 to 4000, not"
    ):
        build_index(site, tmp_path / "index", memory_mb=memory_mb)
    assert not (tmp_path / "index").exists()


def test_terms_one_per_line_index_exactly_as_pre_tokenized_terms(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docs/DESIGN.md, T21: same terms, positions and field lengths, so the same bytes on disk; terms
    # holding spaces ("machine learning", kaomoji) and headings included.
    body = "## 機械学習の基本\n\nMachine Learning と \\( ^o^ )/ の話。\n\n## 全文検索\n\n東京都の図書館。"
    (site / "_posts" / "2024-05-06-ml.md").write_text(post_source("Machine Learning", body), "utf-8")
    build_index(site, tmp_path / "lines", jobs=1)
    monkeypatch.setattr(TextTerms, "joined", TextTerms.tokens)
    build_index(site, tmp_path / "tokens", jobs=1)
    assert segment_files(tmp_path / "lines") == segment_files(tmp_path / "tokens")
    assert search(open_store(tmp_path / "lines"), "machine learning").total == 1


def test_a_term_no_tokenizer_would_give_back_is_indexed_pre_tokenized() -> None:
    line_break = Terms([Word("a\nb", False, ("a\nb",))], [0], [3], {"a\nb": [0, 3]})
    empty = Terms([Word("x", False, ("x",)), Word("", False, ("",))], [0, 1], [1, 2], {})
    assert TextTerms.joined(line_break).coarse == [("a\nb", 0, 0, 3)]
    assert TextTerms.joined(line_break).pairs == [("a\nb", 0, 0, 3)]
    assert TextTerms.joined(empty).fine == [("x", 0, 0, 1), ("", 1, 1, 2)]
    assert TextTerms.joined(empty).pairs == [("x\x1f", 0, 0, 2), ("", 1, 1, 2)]
    spaced = Terms([Word("machine learning", False, ("machine", "learning"))], [0], [16], {})
    assert TextTerms.joined(spaced) == TextTerms(
        [("machine learning", 0, 0, 16)], "machine\nlearning", "machine\x1flearning\nlearning"
    )


def test_a_word_written_with_a_space_is_one_term_on_one_line() -> None:
    # T21: the whitespace tokenizer cuts at ASCII whitespace, so the analysis never leaves any in a term.
    terms = get_analyzer().terms("Machine Learning と \\( ^o^ )/ の話")
    texts = [*terms.coarse_texts(), *terms.fine_texts()]
    assert "machine\u00a0learning" in texts
    assert not [t for t in texts if any(ch in t for ch in " \t\n\r\x0c")]
    joined = TextTerms.joined(terms)
    assert isinstance(joined.coarse, str) and isinstance(joined.fine, str)
    assert joined.coarse.split("\n") == terms.coarse_texts()


def test_workers_give_results_in_order_and_stop_when_the_consumer_does() -> None:
    with Workers(2) as workers:
        assert list(workers.map(abs, range(-40, 0))) == list(range(40, 0, -1))
        first = workers.map(abs, range(-40, 0))
        assert next(first) == 40
        first.close()  # pending tasks are cancelled, the pool stays usable
        assert list(workers.map(abs, range(-3, 0))) == [3, 2, 1]


def test_store_picks_up_a_swapped_generation(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    store = open_store(index)
    assert search(store, "自転車").total == 0
    (site / "_posts" / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車に乗る。"), "utf-8")
    build_index(site, index, full=True, jobs=1)
    assert search(store, "自転車").total == 1


def serving(site: Path, tmp_path: Path) -> tuple[Path, Store, str]:
    """Index ``site`` and open a store on it, as a server does; return the index, the store and its
    generation."""
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    good = read_current(index)
    assert good
    return index, open_store(index), good


def errors_while_serving(
    store: Store, query: str, total: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Search three times, each a retry of a generation the store could not open; return the errors."""
    monkeypatch.setattr("mikke.search.store.REOPEN_RETRY_SECONDS", 0.0)
    with caplog.at_level("ERROR", logger="mikke.search.store"):
        for _ in range(3):
            assert search(store, query).total == total
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


def test_store_keeps_serving_when_a_published_generation_cannot_be_opened(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    index, store, good = serving(site, tmp_path)
    broken = index / "gen-9999999999999999999-1"
    broken.mkdir()
    (broken / "mikke.json").write_text((index / good / "mikke.json").read_text("utf-8"), "utf-8")
    (broken / "meta.json").write_text("{not json", "utf-8")
    (index / "CURRENT").write_text(broken.name + "\n", "utf-8")
    errors = errors_while_serving(store, "図書館", 1, monkeypatch, caplog)
    assert store.generation == good
    assert len(errors) == 1  # once, not once per request
    assert errors[0].startswith(f"Still serving {good}") and broken.name in errors[0]
    (index / "CURRENT").write_text(good + "\n", "utf-8")
    (site / "_posts" / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車に乗る。"), "utf-8")
    build_index(site, index, full=True, jobs=1)
    assert search(store, "自転車").total == 1  # the next good generation is picked up


def test_a_texts_index_that_cannot_be_reloaded_keeps_the_texts_it_had(site: Path, tmp_path: Path) -> None:
    # A hit whose text is not there yet asks for a fresh texts searcher (query._texts); a damaged
    # meta.json must leave it the commit it had, not fail the search.
    index, store, good = serving(site, tmp_path)
    (index / good / "text" / "meta.json").write_text("{}", "utf-8")
    assert store.text_searcher(fresh=True).num_docs == store.text_searcher().num_docs > 0


def test_every_index_file_gets_the_mode_of_mikkes_own_files(site: Path, tmp_path: Path) -> None:
    # tantivy writes meta.json through a 0600 temporary file; a server running as another user of the
    # index's group could not open an index built under umask 002 without this.
    old_umask = os.umask(0o002)
    try:
        index = tmp_path / "index"
        build_index(site, index, jobs=1)
        (site / "_posts" / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車に乗る。"), "utf-8")
        build_index(site, index, jobs=1)  # an incremental commit writes meta.json again
    finally:
        os.umask(old_umask)
    generation = index / str(read_current(index))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in generation.iterdir() if p.is_file()}
    assert modes["mikke.json"] == 0o664
    assert {name: mode for name, mode in modes.items() if mode != 0o664} == {}


# --- the site boundary ----------------------------------------------------------------------------------

OUTSIDE_WORD = "山葵"  # only in files outside the site, so any hit means mikke read one


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the site, standing for /etc: nothing in it may become searchable."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "passwd").write_text(f"root:x:0:0:{OUTSIDE_WORD}の管理者:/root:/bin/bash\n", "utf-8")
    (folder / "2024-01-19-secret.md").write_text(post_source("秘密", f"{OUTSIDE_WORD}を擦る。"), "utf-8")
    return folder


def reasons(report: object) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}  # type: ignore[attr-defined]


def test_symlink_to_a_file_outside_the_site_is_skipped_with_its_reason(
    site: Path, tmp_path: Path, outside: Path
) -> None:
    (site / "_posts" / "2024-01-19-passwd.md").symlink_to(outside / "passwd")
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert search(open_store(index), OUTSIDE_WORD).total == 0
    assert reasons(report)["_posts/2024-01-19-passwd.md"] == (
        f"is a symbolic link to a file outside the site ({(outside / 'passwd').resolve()}); "
        "mikke reads no file outside the site root"
    )
    assert report.posts == 3  # the rest of the site indexes normally


@pytest.mark.parametrize("link", ["_posts/sub", "_posts", "travel/_posts"])
def test_symlink_to_a_folder_outside_the_site_is_skipped_with_its_reason(
    site: Path, tmp_path: Path, outside: Path, link: str
) -> None:
    if link == "_posts":
        shutil.rmtree(site / "_posts")
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside, target_is_directory=True)
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert search(open_store(index), OUTSIDE_WORD).total == 0
    assert reasons(report)[link] == (
        f"is a symbolic link to a folder outside the site ({outside.resolve()}); "
        "mikke reads no file outside the site root"
    )
    assert report.posts == (0 if link == "_posts" else 3)


def test_symlink_leaving_the_site_through_a_link_inside_it_is_skipped(
    site: Path, tmp_path: Path, outside: Path
) -> None:
    (site / "_links").mkdir()
    (site / "_links" / "etc").symlink_to(outside, target_is_directory=True)
    (site / "_posts" / "2024-01-19-secret.md").symlink_to(site / "_links" / "etc" / "2024-01-19-secret.md")
    (site / "_posts" / "via").symlink_to(site / "_links" / "etc", target_is_directory=True)
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert search(open_store(index), OUTSIDE_WORD).total == 0
    assert set(reasons(report)) == {"_posts/2024-01-19-secret.md", "_posts/via"}
    assert all("outside the site" in reason for reason in reasons(report).values())


@pytest.mark.parametrize(
    ("links", "looping", "message"),
    [
        ({"travel/up": ".."}, "travel/up", "is a symbolic link to the site root, which holds it"),
        ({"travel/self": "."}, "travel/self", "is a symbolic link to travel/, which holds it"),
        (
            {"a": "_b", "_b/back": "../a"},
            "a/back",
            "is a symbolic link to a/, which holds it",
        ),
    ],
    ids=["to-the-root", "to-itself", "two-links"],
)
def test_folder_link_loop_ends_and_is_reported(
    site: Path, tmp_path: Path, links: dict[str, str], looping: str, message: str
) -> None:
    for link, target in links.items():
        (site / link).parent.mkdir(parents=True, exist_ok=True)
        (site / link).symlink_to(target, target_is_directory=True)
    report = build_index(site, tmp_path / "index", jobs=1)
    assert reasons(report)[looping].startswith(message + "; following it would loop")
    assert report.posts == 3  # each post once, under its own path


def test_links_inside_the_site_are_followed_unless_follow_symlinks_is_false(
    site: Path, tmp_path: Path
) -> None:
    (site / "_drafts").mkdir()
    (site / "_drafts" / "2024-05-20-shared.md").write_text(post_source("共有", "蜜柑を食べた。"), "utf-8")
    (site / "_posts" / "2024-05-20-shared.md").symlink_to("../_drafts/2024-05-20-shared.md")
    (site / "_imported" / "_posts").mkdir(parents=True)
    (site / "_imported" / "_posts" / "2024-05-21-old.md").write_text(
        post_source("移行", "檸檬を絞った。"), "utf-8"
    )
    (site / "imported").symlink_to("_imported", target_is_directory=True)  # a category folder
    index = tmp_path / "index"

    followed = build_index(site, index, jobs=1)
    assert followed.skipped == []
    assert titles(index, "蜜柑") == ["共有"]
    assert titles(index, "檸檬") == ["移行"]

    refused = build_index(site, index, follow_symlinks=False, jobs=1)
    assert titles(index, "蜜柑") == titles(index, "檸檬") == []
    assert sorted(refused.removed) == ["_posts/2024-05-20-shared.md", "imported/_posts/2024-05-21-old.md"]
    assert reasons(refused) == {
        "_posts/2024-05-20-shared.md": "is a symbolic link; mikke follows no symbolic links "
        "(MIKKE_FOLLOW_SYMLINKS is false)",
        "imported": "is a symbolic link to a folder; mikke follows no symbolic links "
        "(MIKKE_FOLLOW_SYMLINKS is false)",
    }


def test_a_folder_link_inside_posts_is_skipped_as_jekyll_reads_no_posts_through_it(
    site: Path, tmp_path: Path
) -> None:
    # jekyll 4.3 lists _posts with Dir["**/*"], which does not enter folder links: it publishes the linked
    # file below, not the posts of the linked folder.
    (site / "_imported").mkdir()
    (site / "_imported" / "2024-05-21-old.md").write_text(post_source("移行", "檸檬を絞った。"), "utf-8")
    (site / "_imported" / "2024-05-22-one.md").write_text(post_source("一つ", "蜜柑を食べた。"), "utf-8")
    (site / "_posts" / "imported").symlink_to("../_imported", target_is_directory=True)
    (site / "_posts" / "2024-05-22-one.md").symlink_to("../_imported/2024-05-22-one.md")
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert titles(index, "檸檬") == []
    assert titles(index, "蜜柑") == ["一つ"]
    assert reasons(report) == {
        "_posts/imported": "is a symbolic link to a folder inside _posts; Jekyll reads no posts through it"
    }
    assert report.collisions == []


def test_fifo_named_like_a_post_is_skipped_without_blocking(site: Path, tmp_path: Path) -> None:
    fifo = site / "_posts" / "2024-01-01-x.md"
    os.mkfifo(fifo)
    index = tmp_path / "index"
    report = finishes_despite_fifo(fifo, lambda: build_index(site, index, jobs=1))
    assert reasons(report) == {"_posts/2024-01-01-x.md": "is not a regular file"}
    assert report.posts == 3


def test_config_linking_outside_the_site_is_a_site_error(site: Path, tmp_path: Path, outside: Path) -> None:
    (outside / "_config.yml").write_text('url: "https://attacker.example"\n', "utf-8")
    (site / "_config.yml").unlink()
    (site / "_config.yml").symlink_to(outside / "_config.yml")
    with pytest.raises(SiteError) as error:
        build_index(site, tmp_path / "index", jobs=1)
    assert str(error.value) == (
        f"{site / '_config.yml'} is a symbolic link to a file outside the site "
        f"({(outside / '_config.yml').resolve()}); mikke reads no file outside the site root."
    )
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_post_whose_name_is_not_utf8_is_skipped_and_the_rest_indexed(site: Path, tmp_path: Path) -> None:
    name = os.fsencode(site / "_posts") + b"/2024-05-04-\xff.md"
    with open(name, "wb") as f:
        f.write(post_source("壊れた名前", "無花果を干す。").encode())
    index = tmp_path / "index"
    report = build_index(site, index, jobs=1)
    assert reasons(report) == {"_posts/2024-05-04-\ufffd.md": "file name is not valid UTF-8; rename it"}
    assert report.posts == 3
    assert titles(index, "無花果") == []


# --- modes that do not depend on the umask ----------------------------------------------------------------


def index_paths(index: Path) -> list[Path]:
    return [index, *index.rglob("*")]


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022], ids=lambda u: f"umask-{u:03o}")
def test_no_index_file_or_folder_is_world_writable_and_group_write_follows_the_umask(
    site: Path, tmp_path: Path, umask: int
) -> None:
    index = tmp_path / "parent" / "index"  # mikke creates both folders
    old_umask = os.umask(umask)
    try:
        build_index(site, index, jobs=1)
        (site / "_posts" / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車に乗る。"), "utf-8")
        build_index(site, index, jobs=1)  # an incremental commit writes new files into the generation
    finally:
        os.umask(old_umask)
    paths = [index.parent, *index_paths(index)]
    assert len(paths) > 10
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.lstat().st_mode) for p in paths}
    assert {p: oct(m) for p, m in modes.items() if m & stat.S_IWOTH} == {}
    group_write = not umask & stat.S_IWGRP
    assert {p: oct(m) for p, m in modes.items() if bool(m & stat.S_IWGRP) != group_write} == {}
    assert search(open_store(index), "自転車").total == 1


def _world_writable_part(index: Path, part: str) -> Path:
    generation = index / str(read_current(index))
    return {
        "index folder": index,
        "CURRENT": index / "CURRENT",
        "generation": generation,
        "generation file": generation / "meta.json",
    }[part]


@pytest.mark.parametrize("part", ["index folder", "CURRENT", "generation", "generation file"])
def test_open_store_refuses_a_world_writable_index_naming_the_path_and_the_fix(
    site: Path, tmp_path: Path, part: str
) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    path = _world_writable_part(index, part)
    path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWOTH)
    with pytest.raises(IndexMissing) as refused:
        open_store(index)
    message = str(refused.value)
    assert f"{path} is writable by every user of this machine" in message
    assert f"`chmod -R o-w {index}`" in message
    subprocess.run(["chmod", "-R", "o-w", str(index)], check=True)  # the fix the message names works
    assert search(open_store(index), "図書館").total == 1


def test_serving_store_keeps_its_generation_when_a_world_writable_one_is_published(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    index, store, good = serving(site, tmp_path)
    (site / "_posts" / "2024-05-05-bike.md").write_text(post_source("自転車", "自転車に乗る。"), "utf-8")
    build_index(site, index, full=True, jobs=1)
    planted = index / str(read_current(index))
    assert planted.name != good
    planted.chmod(0o777)
    errors = errors_while_serving(store, "自転車", 0, monkeypatch, caplog)
    assert store.generation == good
    assert len(errors) == 1  # once, not once per request
    assert f"{planted} is writable by every user of this machine" in errors[0]
    planted.chmod(0o755)
    assert search(store, "自転車").total == 1  # once fixed, the new generation is picked up


def test_a_generation_being_built_is_closed_to_other_users_until_its_modes_are_fixed(
    site: Path, tmp_path: Path
) -> None:
    # Under umask 000 tantivy's files start world-writable; a user who opened one then could keep writing
    # to it after the chmod, so nobody else may even enter the folder before it.
    index = tmp_path / "index"
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        (building,) = [p for p in index.glob("gen-*") if p.name != read_current(index)]
        seen.append(stat.S_IMODE(building.stat().st_mode))

    old_umask = os.umask(0)
    try:
        build_index(site, index, jobs=1, progress=progress)
    finally:
        os.umask(old_umask)
    assert seen and {oct(mode) for mode in seen} == {"0o700"}
    assert stat.S_IMODE((index / str(read_current(index))).stat().st_mode) == 0o775
