"""Site template text (adverts, contact prompts, related-post lists repeated across posts) is not indexed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mikke.search import build_index
from mikke.search import list_posts
from mikke.search import open_store
from mikke.search import search
from mikke.search.cli import cli
from mikke.search.markdown_text import render_text
from mikke.search.template import TemplateRule

from .conftest import SITE_CONFIG
from .conftest import post_source

ADVERT = "この記事に関連するおすすめ書籍「図解・量子計算機入門」Amazonで詳しく見る"
TOPICS = ["桜の開花", "紅葉の名所", "雪祭り", "梅雨の庭", "夏祭り", "初日の出", "菜の花畑", "月見団子"]


def write_blog(root: Path, with_advert: int, posts: int = len(TOPICS)) -> None:
    """``posts`` posts about their own topic; the first ``with_advert`` end with the same advert block."""
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(SITE_CONFIG, "utf-8")
    for n, topic in enumerate(TOPICS[:posts]):
        body = f"{ADVERT}\n\n{topic}について書いた。{topic}は今年も見事だった。" if n < with_advert else ""
        body = body or f"{topic}について書いた。{topic}は今年も見事だった。"
        source = post_source(topic, body, date=f"2024-04-{n + 1:02d} 10:00:00 +0900")
        (root / "_posts" / f"2024-04-{n + 1:02d}-topic-{n}.md").write_text(source, "utf-8")


def test_a_block_in_enough_posts_is_neither_searchable_nor_an_excerpt(tmp_path: Path) -> None:
    write_blog(tmp_path / "site", with_advert=6)
    report = build_index(tmp_path / "site", tmp_path / "index", jobs=1)
    assert report.template_blocks == 1 and report.template_chars == 6 * len(ADVERT)
    store = open_store(tmp_path / "index")
    assert search(store, "量子計算機").total == 0
    hits = search(store, "桜の開花").hits
    assert hits and "量子" not in hits[0].excerpt and "Amazon" not in hits[0].excerpt
    shares = {p.title: p.template_share for p in list_posts(store)}
    assert shares["桜の開花"] > 0.5 and shares["月見団子"] == 0.0


def test_a_block_in_fewer_posts_than_the_rule_asks_is_content(tmp_path: Path) -> None:
    write_blog(tmp_path / "site", with_advert=4)
    report = build_index(tmp_path / "site", tmp_path / "index", jobs=1)
    assert report.template_blocks == 0
    assert search(open_store(tmp_path / "index"), "量子計算機").total == 4


def test_the_rule_is_a_setting(tmp_path: Path) -> None:
    write_blog(tmp_path / "site", with_advert=4)
    rule = TemplateRule(min_posts=3, min_share=0.5)
    assert build_index(tmp_path / "site", tmp_path / "index", jobs=1, template=rule).template_blocks == 1
    runner = CliRunner()
    env = {"MIKKE_TEMPLATE_MIN_POSTS": "3", "MIKKE_TEMPLATE_MIN_SHARE": "0.5"}
    out = runner.invoke(
        cli, ["index", str(tmp_path / "site"), "--index", str(tmp_path / "i2"), "--json"], env=env
    )
    summary = json.loads(out.stdout)
    assert summary["template_blocks"] == 1 and summary["template_chars"] == 4 * len(ADVERT)


def test_when_a_new_post_makes_a_block_template_the_whole_site_is_indexed_anew(tmp_path: Path) -> None:
    site, index = tmp_path / "site", tmp_path / "index"
    write_blog(site, with_advert=4, posts=6)
    build_index(site, index, jobs=1)
    assert search(open_store(index), "量子計算機").total == 4
    write_blog(site, with_advert=5, posts=7)  # the fifth post with the advert crosses the rule
    report = build_index(site, index, jobs=1)
    assert (report.mode, report.full_reason) == ("full", "the site's template text changed")
    assert search(open_store(index), "量子計算機").total == 0
    assert build_index(site, index, jobs=1).mode == "incremental"  # and the next run is incremental again


def test_a_post_whose_first_paragraph_is_template_is_summarised_by_its_own_text(tmp_path: Path) -> None:
    write_blog(tmp_path / "site", with_advert=6)
    build_index(tmp_path / "site", tmp_path / "index", jobs=1)
    hit = search(open_store(tmp_path / "index"), "桜の開花", per_page=30).hits[0]
    assert hit.title == "桜の開花"
    cheap = [h for h in search(open_store(tmp_path / "index"), "", per_page=30).hits if h.title == "桜の開花"]
    assert "量子" not in cheap[0].excerpt


def test_a_table_of_contents_is_dropped_and_its_headings_stay() -> None:
    body = "## 目次\n\n- 概要\n- 料金体系\n\n## 概要\n\nAPIの概要です。\n\n## 料金体系\n\n従量課金です。\n"
    text = render_text(body)
    assert text.headings == ("目次", "概要", "料金体系")
    assert text.text.split("\n") == ["目次", "概要", "APIの概要です。", "料金体系", "従量課金です。"]
