"""Synonyms: Sudachi's dictionary (flags, nouns only), pairs the posts teach, names by how they sound."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path

import pytest

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.posts import Post
from mikke.search.store import Store
from mikke.search.synonyms import parse_owner_synonyms
from mikke.search.synonyms import post_pairs
from mikke.search.synonyms import read_sudachi_synonyms
from mikke.search.synonyms import sounds_like
from mikke.search.synonyms import sudachi_synonyms

from .conftest import PostFactory

StoreFactory = Callable[[Iterable[Post]], Store]


def slugs(page) -> list[str]:
    return [h.id.split("-", 3)[-1].removesuffix(".md") for h in page.hits]


def test_sudachi_flags_decide_which_entries_expand_and_which_are_reached() -> None:
    table = read_sudachi_synonyms(
        "000001,1,0,1,0,0,0,(),人工知能,,\n"
        "000001,1,1,2,0,1,0,(),AI,,\n"
        "000001,1,2,3,0,0,0,(),悪い語,,\n"
        "\n"
        "000002,2,0,1,0,0,0,(),走る,,\n"
        "000002,2,0,2,0,0,0,(),駆ける,,\n"
    )
    assert table.synonyms(["人工知能"]) == ["AI"]  # flag 2 is never used
    assert table.synonyms(["AI"]) == []  # flag 1 is reached, never a trigger itself
    assert table.synonyms(["悪い語"]) == []
    assert table.synonyms(["走る"]) == []  # 用言: verbs are not expanded


def test_the_shipped_dictionary_links_a_term_to_its_abbreviation() -> None:
    assert "DX" in sudachi_synonyms().synonyms(["デジタルトランスフォーメーション"])
    assert "AI" in sudachi_synonyms().synonyms(["人工知能"])


def test_a_pair_is_the_whole_term_before_the_bracket_when_it_is_plausible(analyzer: JapaneseAnalyzer) -> None:
    text = (
        "米国の大規模言語モデル（LLM）と検索拡張生成（RAG）。NVIDIA（エヌビディア）とアリババ（Alibaba）。"
        "新しいモデル（LLM）。同社（Google）。東京大学（東大）。価格（約3万円）。"
    )
    pairs = [json.loads(p) for p in post_pairs(text, analyzer.terms(text))]
    assert pairs == [
        ["大規模言語モデル", "LLM"],
        ["検索拡張生成", "RAG"],
        ["NVIDIA", "エヌビディア"],
        ["アリババ", "Alibaba"],
    ]


def test_katakana_sounds_like_the_latin_name_it_renders() -> None:
    assert sounds_like("アンソロピック", "Anthropic")
    assert sounds_like("ディープシーク", "DeepSeek")
    assert not sounds_like("アマゾン", "Google")
    assert not sounds_like("メタ", "Mistral")


def test_a_short_consonant_skeleton_must_be_the_same_to_sound_alike() -> None:
    # チャット is k-t and Quest k-s-t: one consonant more was 0.8 alike, above the 0.75 needed.
    assert sounds_like("クエスト", "Quest")
    assert not sounds_like("チャット", "Quest")
    assert not sounds_like("クエスト", "xAI")


def test_a_katakana_word_the_posts_write_is_not_read_as_a_name_sharing_its_consonants(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store(
        [
            make_post("行動", "次のアクションを決める。", slug="action"),
            *(make_post(f"xAIの話{n}", "xAIが新しいモデルを出した。", slug=f"xai-{n}") for n in range(3)),
        ]
    )
    page = search(store, "アクション")
    assert slugs(page) == ["action"]
    assert page.expanded == ()


def test_a_katakana_name_no_post_writes_reads_as_the_name_with_its_very_consonants(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store(
        [
            *(make_post(f"xAIの話{n}", "xAIが新しいモデルを出した。", slug=f"xai-{n}") for n in range(5)),
            *(make_post(f"Questの話{n}", "Meta Questを買った。", slug=f"quest-{n}") for n in range(3)),
        ]
    )
    page = search(store, "クエスト")
    assert [e.to_json()["with"] for e in page.expanded] == [["Quest"]]
    assert set(slugs(page)) == {"quest-0", "quest-1", "quest-2"}


@pytest.fixture
def blog(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    posts = [
        make_post("人工知能の歴史", "人工知能の研究の歴史。", slug="jinkou"),
        make_post("AIの使い方", "AIを仕事に使う。AIは便利だ。", slug="ai-1"),
        make_post("AIと教育", "学校でAIを使う。", slug="ai-2"),
        make_post("RAGとは", "検索拡張生成（RAG）の基本。", slug="rag-1"),
        make_post("RAGの作り方", "検索拡張生成（RAG）を作る。", slug="rag-2"),
        make_post("RAGの評価", "RAGの評価指標を考える。", slug="rag-3"),
        make_post("GPUの話", "画像処理装置（GPU）の話。", slug="gpu-1"),
        make_post("GPUの値段", "GPUが高い。", slug="gpu-2"),
        *(
            make_post(f"Anthropicの発表{n}", "Anthropicが新しいモデルを出した。", slug=f"anthropic-{n}")
            for n in range(3)
        ),
    ]
    return memory_store(posts)


def test_a_noun_is_also_searched_as_its_synonyms_below_the_word_itself(blog: Store) -> None:
    page = search(blog, "人工知能")
    assert slugs(page)[0] == "jinkou"
    assert {"ai-1", "ai-2"} <= set(slugs(page))
    assert page.hits[0].matched_by is None
    assert {h.matched_by for h in page.hits[1:]} == {"synonym"}
    assert [e.to_json() for e in page.expanded] == [{"word": "人工知能", "with": ["AI"], "by": "synonym"}]


def test_an_entry_sudachi_marks_as_no_trigger_does_not_expand(blog: Store) -> None:
    page = search(blog, "AI")
    assert page.expanded == ()
    assert "jinkou" not in slugs(page)


def test_a_pair_two_posts_teach_links_the_term_and_its_abbreviation(blog: Store) -> None:
    page = search(blog, "検索拡張生成")
    assert set(slugs(page)[:2]) == {"rag-1", "rag-2"}
    assert "rag-3" in slugs(page)  # writes only RAG
    assert search(blog, "RAG").expanded[0].with_ == ("検索拡張生成",)


def test_a_pair_one_post_writes_is_not_learned(blog: Store) -> None:
    assert search(blog, "画像処理装置").expanded == ()


def test_a_katakana_name_finds_the_latin_word_it_sounds_like(blog: Store) -> None:
    page = search(blog, "アンソロピック")
    assert {"anthropic-0", "anthropic-1", "anthropic-2"} == set(slugs(page))
    assert page.expanded[0].with_ == ("Anthropic",)


def test_exact_turns_synonyms_off(blog: Store) -> None:
    assert slugs(search(blog, "人工知能", exact=True)) == ["jinkou"]


# ------------------------------------------------------------------------------------------- owner's list


def test_the_owners_list_takes_effect_on_the_next_index_run(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    (site / "_data").mkdir()
    owner = site / "_data" / "mikke_synonyms.yml"
    owner.write_text("- [カレー, スパイス料理]\n", encoding="utf-8")
    report = build_index(site, index)
    assert report.synonym_groups == 1
    store = open_store(index)
    page = search(store, "スパイス料理")
    assert [h.title for h in page.hits] == ["カレーの作り方"]
    assert page.expanded[0].to_json() == {"word": "スパイス料理", "with": ["カレー"], "by": "synonym"}

    owner.write_text("{}\n", encoding="utf-8")
    assert build_index(site, index).mode == "incremental"  # no post changed: the list alone
    assert search(store, "スパイス料理").total == 0


def test_an_unreadable_owners_list_is_reported_and_ignored(site: Path, tmp_path: Path) -> None:
    (site / "_data").mkdir()
    (site / "_data" / "mikke_synonyms.yml").write_text("- [a, b\n", encoding="utf-8")
    report = build_index(site, tmp_path / "index")
    assert report.synonym_groups == 0
    assert [s.path for s in report.skipped] == ["_data/mikke_synonyms.yml"]
    assert "not valid YAML" in report.skipped[0].reason


def test_an_owners_list_linking_outside_the_site_is_not_read(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yml"
    outside.write_text("- [カレー, スパイス料理]\n", encoding="utf-8")
    (site / "_data").mkdir()
    (site / "_data" / "mikke_synonyms.yml").symlink_to(outside)
    report = build_index(site, tmp_path / "index")
    assert report.synonym_groups == 0
    assert "outside the site" in report.skipped[0].reason


def test_owner_groups_may_be_a_mapping_and_aliases_are_refused() -> None:
    assert parse_owner_synonyms("AI: [人工知能, エーアイ]\nDX: デジタル変革\n".encode()) == [
        ["AI", "人工知能", "エーアイ"],
        ["DX", "デジタル変革"],
    ]
    with pytest.raises(ValueError, match="aliases"):
        parse_owner_synonyms(b"- &a [x, y]\n- *a\n")
    with pytest.raises(ValueError, match="list of groups"):
        parse_owner_synonyms(b"just text\n")


def test_a_no_trigger_word_of_another_lexeme_is_not_reached_unless_an_abbreviation() -> None:
    table = read_sudachi_synonyms(
        "000003,1,0,1,0,0,0,(教育),図書室,,\n"
        "000003,1,0,2,0,0,0,(教育),図書館,,\n"
        "000003,1,1,3,0,0,0,(教育),ライブラリー,,\n"
        "000003,1,1,3,0,0,1,(教育),library,,\n"
        "000004,1,0,1,0,0,0,(IT),人工知能,,\n"
        "000004,1,0,2,0,0,0,(IT),アーティフィシャルインテリジェンス,,\n"
        "000004,1,1,2,0,1,0,(IT),AI,,\n"
    )
    assert table.synonyms(["図書館"]) == ["図書室"]
    assert table.synonyms(["人工知能"]) == ["アーティフィシャルインテリジェンス", "AI"]
    assert "ライブラリー" not in sudachi_synonyms().synonyms(["図書館"])


def test_expansions_of_common_words_give_way_to_the_postings_budget(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    # 人工知能 is in 2 of 8 posts, its synonym AI in all 8: allowed alone, not beside words that already
    # use most of the budget (3 postings per post).
    posts = [
        make_post(f"記事{n}", "AIと技術と企業の話。" + ("人工知能も。" if n < 2 else "")) for n in range(8)
    ]
    store = memory_store(posts)
    assert search(store, "人工知能").expanded != ()
    assert search(store, "人工知能 技術 企業").expanded == ()


def test_a_word_most_posts_hold_is_not_expanded_by_synonyms(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store(
        [make_post(f"記事{n}", "人工知能の話。" + ("AIも。" if n < 2 else "")) for n in range(4)]
    )
    assert search(store, "人工知能").expanded == ()
