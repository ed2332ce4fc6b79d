"""`mikke related`: one post's related posts, or every post's, printed or written for Jekyll."""

from __future__ import annotations

import json
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
    code, output = run("--all", "--index", str(index), "--jekyll-data", str(target))
    assert code == 0, output
    assert "of 8 posts" in output
    data = json.loads(target.read_text("utf-8"))
    assert set(data) == {f"_posts/{name}.md" for name in POSTS}


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


@pytest.mark.parametrize("reference", ["_posts/no-such-post.md", "_posts/\udcff.md"])
def test_an_unknown_post_is_a_one_line_error(index: Path, reference: str) -> None:
    code, output = run(reference, "--index", str(index))
    assert code == 1
    assert output.startswith(f"Error: No indexed post has the path or URL {reference!r}.")
    assert len(output.strip().splitlines()) == 1
