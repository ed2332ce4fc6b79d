"""The mikke command line, driven through click's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mikke.search import open_store
from mikke.search import search
from mikke.search.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def indexed(site: Path, tmp_path: Path, runner: CliRunner) -> Path:
    index = tmp_path / "index"
    result = runner.invoke(cli, ["index", str(site), "--index", str(index), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return index


def test_index_json_prints_one_summary(site: Path, tmp_path: Path, runner: CliRunner) -> None:
    (site / "_posts" / "2024-05-09-bad.md").write_bytes(b"---\ntitle: \x83\x65\x83\x58\x83\x67\n---\n")
    result = runner.invoke(cli, ["index", str(site), "--index", str(tmp_path / "i"), "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["posts"] == 3
    assert summary["skipped"][0]["path"] == "_posts/2024-05-09-bad.md"
    assert summary["skipped"][0]["reason"]
    assert {"collisions", "seconds", "added", "updated", "removed"} <= summary.keys()


def test_index_summary_accounts_for_every_post_file(site: Path, tmp_path: Path, runner: CliRunner) -> None:
    posts = site / "_posts"
    (posts / "2024-05-09-bad.md").write_bytes(b"---\ntitle: [unclosed\n---\n")
    (posts / "2024-05-10-style.css").write_text("---\n---\nbody { color: red; }\n", "utf-8")
    (posts / "2024-05-11-same.md").write_text("---\ntitle: a\nslug: same\n---\n本文", "utf-8")
    (posts / "2024-05-11-same.html").write_text("---\ntitle: b\nslug: same\n---\n本文", "utf-8")
    result = runner.invoke(cli, ["index", str(site), "--index", str(tmp_path / "i"), "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    files = len([p for p in posts.iterdir() if p.is_file()])
    overwritten = sum(len(c["overwritten"]) for c in summary["collisions"])
    assert overwritten == 1 and len(summary["skipped"]) == 2
    assert summary["files"] == files == summary["posts"] + len(summary["skipped"]) + overwritten


def test_index_summary_counts_skipped_post_files_apart_from_settings_left_out(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    (site / "_posts" / "2024-05-09-bad.md").write_bytes(b"---\ntitle: [unclosed\n---\n")
    (site / "_data").mkdir()
    (site / "_data" / "mikke_synonyms.yml").write_text("- [a, b\n", encoding="utf-8")
    result = runner.invoke(cli, ["index", str(site), "--index", str(tmp_path / "i"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped _data/mikke_synonyms.yml: " in result.output
    summary = result.output.strip().splitlines()[-1]
    assert " 1 skipped, " in summary
    assert "URL collisions, 1 left out of _config.yml and _data/mikke_synonyms.yml in " in summary


def test_index_of_a_folder_that_is_no_site_leaves_the_index_as_it_was(
    indexed: Path, tmp_path: Path, runner: CliRunner
) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    result = runner.invoke(cli, ["index", str(elsewhere), "--index", str(indexed), "--full"])
    assert result.exit_code == 1
    assert "is not a Jekyll site" in result.output
    listed = runner.invoke(cli, ["list", "--index", str(indexed), "--json"]).stdout.splitlines()
    assert len(listed) == 3


def test_index_reads_site_and_index_from_environment(site: Path, tmp_path: Path, runner: CliRunner) -> None:
    env = {"MIKKE_SITE": str(site), "MIKKE_INDEX": str(tmp_path / "env-index"), "MIKKE_JOBS": "1"}
    result = runner.invoke(cli, ["index", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-index" / "CURRENT").exists()


def test_an_empty_index_setting_writes_nothing_into_the_current_folder(
    site: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(cli, ["index", str(site), "--jobs", "1"], env={"MIKKE_INDEX": ""})
    assert result.exit_code == 1
    assert result.output.startswith("Error: MIKKE_INDEX (--index) is empty; name a folder")
    assert list(work.iterdir()) == []


def test_index_memory_comes_from_the_flag_or_environment_and_is_checked_first(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    index = tmp_path / "index"
    refused = runner.invoke(cli, ["index", str(site), "--index", str(index), "--memory-mb", "8"])
    assert refused.exit_code == 1
    assert "MIKKE_INDEX_MEMORY_MB (--memory-mb) must be from 16 to 4000, not 8." in refused.output
    assert not index.exists()
    env = {"MIKKE_INDEX_MEMORY_MB": "5000"}
    assert runner.invoke(cli, ["index", str(site), "--index", str(index)], env=env).exit_code == 1
    built = runner.invoke(
        cli, ["index", str(site), "--index", str(index), "--jobs", "1"], env={"MIKKE_INDEX_MEMORY_MB": "16"}
    )
    assert built.exit_code == 0, built.output


def test_index_links_posts_to_the_site_url_setting_and_rebuilds_when_it_changes(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    index = str(tmp_path / "index")
    args = ["index", str(site), "--index", index, "--jobs", "1", "--json"]
    result = runner.invoke(cli, args, env={"MIKKE_SITE_URL": "http://127.0.0.1:4000"})
    assert result.exit_code == 0, result.output
    urls = [
        json.loads(line)["url"]
        for line in runner.invoke(cli, ["list", "--index", index, "--json"]).stdout.splitlines()
    ]
    assert urls and all(u.startswith("http://127.0.0.1:4000/blog/2024/") for u in urls)
    result = runner.invoke(cli, args)
    assert json.loads(result.stdout.strip().splitlines()[-1])["mode"] == "full"
    listed = runner.invoke(cli, ["list", "--index", index, "--json"]).stdout.splitlines()
    assert all(json.loads(line)["url"].startswith("https://example.jp/blog/") for line in listed)


def test_index_refuses_a_site_url_that_is_not_an_address(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    args = ["index", str(site), "--index", str(tmp_path / "i"), "--jobs", "1"]
    result = runner.invoke(cli, args, env={"MIKKE_SITE_URL": "127.0.0.1:4000"})
    assert result.exit_code == 1
    assert "MIKKE_SITE_URL must be" in result.output


def test_search_human_output_shows_rank_date_title_url_and_excerpt(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "図書館", "--index", str(indexed)])
    assert result.exit_code == 0, result.output
    assert "1 post matches; showing 1–1." in result.output
    assert "1. 2024-05-01" in result.output
    assert "図書館で本を読む" in result.output
    assert "https://example.jp/blog/2024/05/01/library/" in result.output
    assert "<mark>" not in result.output


def test_search_json_has_the_api_shape(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "図書館", "--index", str(indexed), "--json"])
    data = json.loads(result.stdout)
    assert {"total", "hits", "tags"} <= data.keys()
    assert set(data["hits"][0]) >= {"id", "url", "title", "date", "tags", "score", "excerpt"}
    assert {"tag": "読書", "key": "読書", "count": 1} in data["tags"]


def test_search_limit_has_no_upper_bound(site: Path, tmp_path: Path, runner: CliRunner) -> None:
    posts = site / "_posts"
    for i in range(120):
        (posts / f"2023-01-{i % 28 + 1:02d}-n{i}.md").write_text(
            f'---\ntitle: "記事{i}"\n---\nメモ{i}\n', encoding="utf-8"
        )
    index = tmp_path / "big"
    runner.invoke(cli, ["index", str(site), "--index", str(index), "--jobs", "2"])
    result = runner.invoke(cli, ["search", "メモ", "--index", str(index), "--limit", "1000", "--json"])
    assert len(json.loads(result.stdout)["hits"]) == 120


@pytest.mark.parametrize(
    "args", [("--limit", "1" + "0" * 30), ("--page", "1" + "0" * 30, "--limit", "1" + "0" * 9)]
)
def test_search_takes_any_limit_and_page(indexed: Path, runner: CliRunner, args: tuple[str, ...]) -> None:
    result = runner.invoke(cli, ["search", "", "--index", str(indexed), *args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 3  # the fixture site's posts


@pytest.mark.parametrize("flag", ["--tag", "--category"])
def test_a_filter_that_is_not_utf8_matches_nothing(indexed: Path, runner: CliRunner, flag: str) -> None:
    # How Python hands a command line's byte 0xff to click: a lone surrogate.
    result = runner.invoke(cli, ["search", "図書館", "--index", str(indexed), flag, "\udcff"])
    assert result.exit_code == 0, result.output
    assert f"No posts match. Try without {flag}." in result.output


def test_fewer_words_are_suggested_only_for_a_query_of_several(indexed: Path, runner: CliRunner) -> None:
    one = runner.invoke(cli, ["search", "--index", str(indexed), "存在しない単語"])
    assert one.exit_code == 0, one.output
    assert "No posts match." in one.output and "fewer words" not in one.output
    two = runner.invoke(cli, ["search", "--index", str(indexed), "存在しない", "単語"])
    assert "No posts match. Try fewer words." in two.output


def test_a_minus_word_on_the_command_line_excludes_it(indexed: Path, runner: CliRunner) -> None:
    every = json.loads(runner.invoke(cli, ["search", "", "--index", str(indexed), "--json"]).stdout)["total"]
    result = runner.invoke(cli, ["search", "-図書館", "--index", str(indexed), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == every - 1


def test_a_mistyped_long_option_is_still_a_usage_error(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "図書館", "--tga", "x", "--index", str(indexed)])
    assert result.exit_code == 2
    assert "No such option '--tga'. (Did you mean one of: '--tag', '--to'?)" in result.output


def test_an_option_after_the_end_of_options_is_named_as_such(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "--index", str(indexed), "--", "図書館", "--limit", "3"])
    assert result.exit_code == 2
    assert "--limit is after --, where every word is searched; put it before --." in result.output


def test_search_tag_filter_and_date_sort(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["search", "--tag", "料理", "--sort", "date", "--index", str(indexed), "--json"]
    )
    assert [h["title"] for h in json.loads(result.stdout)["hits"]] == ["カレーの作り方"]


def test_search_without_index_is_one_line_error(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "run `mikke index" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("day", ["yesterday", "20240501", "2024-W18-3"])
def test_a_date_the_api_refuses_is_a_usage_error_on_the_command_line_too(
    indexed: Path, runner: CliRunner, day: str
) -> None:
    result = runner.invoke(cli, ["search", "x", "--from", day, "--index", str(indexed)])
    assert result.exit_code == 2
    assert "2024-05-01" in result.output


def test_tags_json_has_the_shape_of_the_tags_api(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["tags", "--index", str(indexed), "--json"])
    assert {"tag": "料理", "key": "料理", "count": 1} in json.loads(result.stdout)["tags"]


def test_option_help_comes_from_the_settings_table(runner: CliRunner) -> None:
    help_text = " ".join(runner.invoke(cli, ["serve", "--help"]).output.split())
    assert "Port `mikke serve` listens on. [default: 8000; 1 to 65535; env MIKKE_PORT]" in help_text


@pytest.mark.parametrize(("command", "variable"), [("stats", "MIKKE_STATS_DIR"), ("index", "MIKKE_SITE_URL")])
def test_option_help_names_an_empty_default_as_none(runner: CliRunner, command: str, variable: str) -> None:
    # As the README's settings table does: "[default: ; env …]" read as a default gone missing from the help.
    help_text = " ".join(runner.invoke(cli, [command, "--help"]).output.split())
    assert f"[default: none; env {variable}]" in help_text
    assert "[default: ;" not in help_text


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["serve", "--port", "70000"], {}, "MIKKE_PORT (--port) must be from 1 to 65535, not 70000."),
        (["serve"], {"MIKKE_PORT": "-1"}, "MIKKE_PORT (--port) must be from 1 to 65535, not -1."),
        (["serve"], {"MIKKE_WORKERS": "1000"}, "MIKKE_WORKERS (--workers) must be from 1 to 64, not 1000."),
        (["serve", "--workers", "0"], {}, "MIKKE_WORKERS (--workers) must be from 1 to 64, not 0."),
        (["search", "x", "--limit", "0"], {}, "MIKKE_PER_PAGE (--limit) must be at least 1, not 0."),
        (["index", "--jobs", "-1"], {}, "MIKKE_JOBS (--jobs) must be from 0 to 64, not -1."),
    ],
)
def test_a_number_setting_out_of_bounds_stops_the_command_with_one_line(
    tmp_path: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    def no_server(settings: object) -> None:
        raise AssertionError("the server was started")  # a thousand workers would take the machine down

    monkeypatch.setattr("mikke.web.server.run_server", no_server)
    result = runner.invoke(cli, [*args, "--index", str(tmp_path / "index")], env=env)
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize(
    ("flag", "value", "allowed"),
    [("--days", "99999999999999999999", "1<=x<=36500"), ("--limit", "99999999999999999999", "1<=x<=10000")],
)
def test_stats_numbers_out_of_range_are_a_one_line_usage_error(
    tmp_path: Path, runner: CliRunner, flag: str, value: str, allowed: str
) -> None:
    args = ["stats", "--index", str(tmp_path / "index"), "--stats-dir", str(tmp_path / "stats"), flag, value]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert f"Invalid value for '{flag}': {value} is not in the range {allowed}" in result.output
    assert "Traceback" not in result.output


def test_list_prints_every_post_as_json_lines(indexed: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["list", "--index", str(indexed), "--json"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    library = next(r for r in rows if r["id"] == "_posts/2024-05-01-library.md")
    assert library["url"] == "https://example.jp/blog/2024/05/01/library/"
    assert library["date"].startswith("2024-05-01T10:00:00+09:00")
    assert library["tags"] == ["読書", "東京"]


def test_invalid_environment_setting_is_reported(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", "x"], env={"MIKKE_PORT": "abc"})
    assert result.exit_code == 1
    assert "MIKKE_PORT" in result.output


def test_search_names_the_words_left_out_of_a_long_query(indexed: Path, runner: CliRunner) -> None:
    words = ["東京", "図書館", "本", "読む", "全文", "検索", "エンジン", "カレー", "玉ねぎ", "煮込む"]
    result = runner.invoke(cli, ["search", " ".join(f'"{w}"' for w in words), "--index", str(indexed)])
    assert result.exit_code == 0, result.output
    # Each word is in one post, so the first eight phrases are kept and the last two left out.
    assert result.output.splitlines()[0] == 'Too many words; left out: "玉ねぎ" "煮込む"'


def test_site_url_from_the_environment_sets_where_result_links_lead(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    index = str(tmp_path / "i")
    env = {"MIKKE_SITE_URL": "http://127.0.0.1:4000"}
    assert runner.invoke(cli, ["index", str(site), "--index", index, "--jobs", "1"], env=env).exit_code == 0
    rows = [
        json.loads(line)
        for line in runner.invoke(cli, ["list", "--index", index, "--json"]).stdout.splitlines()
    ]
    assert rows and all(r["url"].startswith("http://127.0.0.1:4000/blog/") for r in rows)


def test_list_prints_each_posts_categories_beside_its_tags(
    site: Path, tmp_path: Path, runner: CliRunner
) -> None:
    (site / "_posts" / "2024-05-04-notes.md").write_text(
        "---\ntitle: 作業メモ\ncategories: [技術, 日記]\ntags: [メモ]\n---\n本文。\n", encoding="utf-8"
    )
    index = str(tmp_path / "index")
    assert runner.invoke(cli, ["index", str(site), "--index", index, "--jobs", "1"]).exit_code == 0
    result = runner.invoke(cli, ["list", "--index", index])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "_posts/2024-05-04-notes.md" in line)
    assert "[メモ]" in lines[start + 2]
    assert "categories: 技術, 日記" in lines[start + 2]


def test_an_unknown_long_option_after_the_end_of_options_is_a_query_as_the_search_box_reads_it(
    indexed: Path, runner: CliRunner
) -> None:
    after_end = runner.invoke(cli, ["search", "--index", str(indexed), "--json", "--", "--図書館"])
    assert after_end.exit_code == 0, after_end.output
    typed = search(open_store(indexed), "--図書館")
    assert json.loads(after_end.stdout)["total"] == typed.total >= 1


@pytest.mark.parametrize("command", [["list"], ["tags"], ["search", "京都"], ["related", "--all"]])
def test_an_index_that_lost_its_tantivy_meta_file_is_refused_and_left_as_it_was(
    indexed: Path, runner: CliRunner, command: list[str]
) -> None:
    generation = indexed / (indexed / "CURRENT").read_text("utf-8").strip()
    (generation / "meta.json").unlink()
    result = runner.invoke(cli, [*command, "--index", str(indexed)])
    # Not an empty answer with exit code 0, as if the blog had no posts: the damage, named, with its fix.
    assert result.exit_code == 1, result.output
    assert str(generation / "meta.json") in result.output
    assert "mikke index --full" in result.output
    assert "Traceback" not in result.output
    # A command that only reads wrote no new, empty index in the live generation's place.
    assert not (generation / "meta.json").exists()


@pytest.mark.parametrize("env", [False, True])
def test_stats_refuses_a_statistics_setting_that_names_a_file_not_a_folder(
    tmp_path: Path, runner: CliRunner, env: bool
) -> None:
    # The owner gave the statistics file itself (or any file) where its folder goes: not "0 searches".
    stats_file = tmp_path / "stats" / "mikke-stats.sqlite3"
    stats_file.parent.mkdir()
    stats_file.write_bytes(b"")
    given = ["--stats-dir", str(stats_file)] if not env else []
    result = runner.invoke(
        cli,
        ["stats", "--index", str(tmp_path / "index"), "--json", *given],
        env={"MIKKE_STATS_DIR": str(stats_file)} if env else {},
    )
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: MIKKE_STATS_DIR ({stats_file.resolve()}) cannot hold the search statistics: "
        f"{stats_file.resolve()} is not a folder. Give the folder the server keeps them in (it writes "
        "mikke-stats.sqlite3 there), e.g. /var/lib/mikke/stats.\n"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda index: None, "there is no such folder"),
        (lambda index: index.mkdir(), "it holds no CURRENT file"),
        (lambda index: index.write_text("", "utf-8"), "it is a file, not a folder"),
        (
            lambda index: index.mkdir() or (index / "CURRENT").write_text("gen-gone\n", "utf-8"),
            "its CURRENT file names 'gen-gone', which is no generation folder in it",
        ),
    ],
)
@pytest.mark.parametrize("command", [["list"], ["tags"], ["suggest", "京"], ["related", "--all"]])
def test_a_missing_index_is_named_with_why_it_is_no_index(
    tmp_path: Path, runner: CliRunner, make: Callable[[Path], object], reason: str, command: list[str]
) -> None:
    index = tmp_path / "index"
    make(index)
    result = runner.invoke(cli, [*command, "--index", str(index)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: No index at {index}/: {reason}; run `mikke index SITE --index {index}` first.\n"
    )


@pytest.mark.parametrize("given", ["env", "flag"])
def test_a_folder_setting_starting_with_a_tilde_is_in_the_home_folder(
    site: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    # MIKKE_INDEX=~/index in a systemd EnvironmentFile or a crontab, or --index=~/index, reaches mikke
    # with its tilde, as no shell expands it there: it must not become a folder named "~" in the current one.
    home, elsewhere = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = {"HOME": str(home), "MIKKE_SITE": "~/site", "MIKKE_STATS_DIR": "~/stats"}
    (home / "site").symlink_to(site, target_is_directory=True)
    flags = ["--index=~/index"] if given == "flag" else []
    env |= {"MIKKE_INDEX": "~/index"} if given == "env" else {}
    built = runner.invoke(cli, ["index", "--jobs", "1", *flags], env=env)
    assert built.exit_code == 0, built.output
    assert (home / "index" / "CURRENT").is_file()
    assert list(elsewhere.iterdir()) == []
    listed = runner.invoke(cli, ["list", "--json", *flags], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output.splitlines()[0])["id"].startswith("_posts/")
    stats = runner.invoke(cli, ["stats", "--json", *flags], env=env)
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output)["searches"] == 0


def test_stats_of_a_folder_without_statistics_says_so_and_names_the_file(
    tmp_path: Path, runner: CliRunner
) -> None:
    # A mistyped MIKKE_STATS_DIR, or a server started without it, must not read as "nobody searched".
    stats_dir = tmp_path / "stat"
    args = ["stats", "--index", str(tmp_path / "index"), "--stats-dir", str(stats_dir)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        f"No search counted yet: there is no {stats_dir.resolve() / 'mikke-stats.sqlite3'}; "
        "`mikke serve` with this MIKKE_STATS_DIR creates it when it counts its first search."
    )
    assert not stats_dir.exists()
    assert json.loads(runner.invoke(cli, [*args, "--json"]).output)["searches"] == 0
