"""`mikke related`: one post's related posts, or every post's, printed or written for Jekyll."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from mikke.search.cli import cli

from .test_related import POSTS
from .test_related import make_site


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = make_site(tmp_path_factory.mktemp("cli-related") / "site")
    index = site.parent / "index"
    result = CliRunner().invoke(cli, ["index", str(site), "--index", str(index), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return index


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["related", *args])
    return result.exit_code, result.output


def test_related_prints_the_post_then_its_related_posts_with_date_and_url(
    index: Path, tmp_path: Path
) -> None:
    path = str(tmp_path / "anywhere" / "_posts" / "2024-01-05-cat-care.md")  # a path to the post's file
    code, output = run(path, "--index", str(index), "--limit", "2")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "猫の爪切りとブラッシング"
    assert lines[1].strip() == "https://blog.example.jp/blog/2024/01/05/cat-care/"
    assert lines[2].startswith("  1. ") and "2024-0" in lines[2]
    assert {lines[2].split("  ")[-1], lines[4].split("  ")[-1]} == {"子猫を迎える準備", "老猫の健康管理"}
    assert len([line for line in lines if line.startswith("  ") and ". " in line[:6]]) == 2


def test_related_json_is_the_api_shape(index: Path) -> None:
    code, output = run("https://blog.example.jp/blog/2024/04/05/chips/", "--index", str(index), "--json")
    assert code == 0, output
    body = json.loads(output)
    assert body["post"]["id"] == "_posts/2024-04-05-chips.md"
    assert body["related"][0]["title"] == "半導体工場の見学"
    assert {"url", "title", "date", "score"} <= set(body["related"][0])


def test_related_all_prints_every_post_as_one_json_line(index: Path) -> None:
    code, output = run("--all", "--index", str(index), "--json", "--limit", "1")
    assert code == 0, output
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == len(POSTS)
    assert all(len(line["related"]) <= 1 for line in lines)


def test_related_all_writes_the_jekyll_data_file(index: Path, tmp_path: Path) -> None:
    target = tmp_path / "site" / "_data" / "mikke_related.json"
    target.parent.mkdir(parents=True)
    target.write_text("{}", "utf-8")
    target.chmod(0o640)
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target))
    assert code == 0, output
    assert "of 8 posts" in output
    data = json.loads(target.read_text("utf-8"))
    assert set(data) == {f"_posts/{name}.md" for name in POSTS}
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replaced, with the modes it had
    assert [p.name for p in target.parent.iterdir()] == ["mikke_related.json"]


def test_jekyll_data_with_json_prints_its_summary_as_one_json_object(index: Path, tmp_path: Path) -> None:
    target = tmp_path / "mikke_related.json"
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target), "--json")
    assert code == 0, output
    data = json.loads(target.read_text("utf-8"))
    # A script asking for --json parses what it gets, as after `mikke index --json` or `mikke ship --json`.
    assert json.loads(output) == {
        "file": str(target),
        "posts": len(data),
        "links": sum(len(related) for related in data.values()),
    }


def test_jekyll_data_makes_its_folder_in_an_existing_one_but_no_deeper_path(
    index: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "_data" / "mikke_related.json"
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target))
    assert code == 1
    assert (
        output == f"Error: Cannot write {target}: there is no folder {tmp_path / 'no'}/; create it first.\n"
    )
    assert not (tmp_path / "no").exists()
    (tmp_path / "no").mkdir()  # a site without _data/ yet
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target))
    assert code == 0, output
    assert set(json.loads(target.read_text("utf-8"))) == {f"_posts/{name}.md" for name in POSTS}


def test_jekyll_data_refuses_a_symbolic_link_and_leaves_it_and_its_file_alone(
    index: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}", "utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(link))
    assert code == 1
    assert output == (
        f"Error: Cannot write {link}: it is a symbolic link; give the path of the file it points to.\n"
    )
    assert link.is_symlink() and real.read_text("utf-8") == "{}"


def test_jekyll_data_refuses_to_replace_what_is_not_a_regular_file(index: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(fifo))
    assert code == 1
    assert output == f"Error: Cannot write {fifo}: it is not a regular file; give the path of a JSON file.\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_jekyll_data_that_cannot_be_written_is_a_one_line_error_naming_the_path(index: Path) -> None:
    # /proc takes no new file, even from root (who could write into any folder whose modes say no).
    code, output = run("--all", "--index", str(index), "--jekyll-data", "/proc/mikke_related.json")
    assert code == 1
    assert output == "Error: Cannot write /proc/mikke_related.json: No such file or directory.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give either POST or --all."),
        (("_posts/x.md", "--all"), "Give either POST or --all."),
        (("_posts/x.md", "--jekyll-data", "x.json"), "--jekyll-data goes with --all."),
        (("_posts/x.md", "--limit", "0"), "0 is not in the range"),
    ],
)
def test_related_usage_errors_say_what_to_give(index: Path, args: tuple[str, ...], message: str) -> None:
    code, output = run(*args, "--index", str(index))
    assert code == 2
    assert message in output


@pytest.mark.parametrize("reference", ["_posts/no-such-post.md", "_posts/\udcff.md", "http://[x"])
def test_an_unknown_post_is_a_one_line_error(index: Path, reference: str) -> None:
    code, output = run(reference, "--index", str(index))
    assert code == 1
    assert output.startswith(f"Error: No indexed post has the path or URL {reference!r}.")
    assert len(output.strip().splitlines()) == 1


def test_jekyll_data_keys_are_page_path_under_a_collections_dir(tmp_path: Path) -> None:
    # Jekyll's page.path of a post is its path from the collections_dir ("_posts/…"), not from the site.
    flat = make_site(tmp_path / "flat")
    site = tmp_path / "site"
    (site / "my").mkdir(parents=True)
    (flat / "_posts").rename(site / "my" / "_posts")
    config = (flat / "_config.yml").read_text("utf-8")
    (site / "_config.yml").write_text(config + "\ncollections_dir: my\n", "utf-8")
    index = tmp_path / "index"
    result = CliRunner().invoke(cli, ["index", str(site), "--index", str(index), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    target = site / "_data" / "mikke_related.json"
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target))
    assert code == 0, output
    assert set(json.loads(target.read_text("utf-8"))) == {f"_posts/{name}.md" for name in POSTS}
