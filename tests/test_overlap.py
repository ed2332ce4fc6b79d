"""A query written as a sentence ranks the post that holds its words in its own order first."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

import pytest

from mikke.search import Store
from mikke.search import search
from mikke.search.overlap import Pair
from mikke.search.overlap import features
from mikke.search.posts import Post
from mikke.search.words import name_runs


def test_features_add_the_idf_of_matched_pairs_and_of_the_longest_run_of_them() -> None:
    pairs = [Pair("a", "b", 1.0, 2.0), Pair("b", "c", 2.0, 3.0), Pair("c", "d", 3.0, 4.0)]
    assert features([True, True, False], pairs) == (6.0, 8.0)  # a b c in a row: 1 + 2 + 3
    assert features([True, False, True], pairs) == (7.0, 10.0)  # c d alone outweighs a b
    assert features([False, False, False], pairs, single=3.0) == (3.0, 0.0)  # the rarest token it holds


@pytest.fixture
def siblings(make_post: Callable[..., Post], memory_store: Callable[[Iterable[Post]], Store]) -> Store:
    # Two paragraphs of one article: both hold 通貨 and 管理; the second repeats 管理, the first says what
    # the question asks, in the question's own order.
    return memory_store(
        [
            make_post(
                "日本銀行",
                "日本銀行が通貨を管理している。日本銀行は中央銀行である。",
                date=None,
            ),
            make_post(
                "日本銀行",
                "通貨の管理、資産の管理、決済の管理。管理の方法は法律で決まる。通貨の歴史も長い。",
                date=None,
            ),
            make_post("料理", "玉ねぎを炒めてカレーを煮込む。", date=None),
        ]
    )


def test_a_sentence_query_ranks_the_post_holding_its_words_in_order_first(siblings: Store) -> None:
    question = "通貨を管理しているのはどこか"
    plain = search(siblings, question, rerank=False)
    reranked = search(siblings, question)
    assert plain.total == reranked.total == 2
    assert "日本銀行が通貨を管理している" in reranked.hits[0].excerpt.replace("<mark>", "").replace(
        "</mark>", ""
    )
    assert {h.id for h in plain.hits} == {h.id for h in reranked.hits}  # the same posts, reordered


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("HBM4", ["HBM4"]),
        ("GPT-5 の性能", ["GPT-5"]),
        ("GPT-4.5 API", ["GPT-4.5"]),
        ("o3 と o4-mini", ["o3", "o4-mini"]),
        ("SB53 法案", ["SB53"]),
        ("Claude 4 と Llama 3.1", ["Claude 4", "Llama 3.1"]),  # a version number after a space
        ("AI 2024", []),  # a year is no version
        ("AI 技術 4", []),
        ("AI 1つ", []),  # a counter, not a version
        ("生成AI", []),
        ("第2次", []),
        ("自動運転 レベル4", ["レベル4"]),  # a katakana word and a number written together
        ("フェーズ3試験", ["フェーズ3"]),
        ("アプリ2つ", []),  # counts
        ("ポイント3倍", []),
        ("レベル 4", []),
    ],
)
def test_names_of_letters_and_a_number_are_one_word(
    query: str,
    names: list[str],
    analyzer,  # type: ignore[no-untyped-def]
) -> None:
    assert [query[a:b] for a, b in name_runs(query, analyzer.analyze(query))] == names


def test_a_name_ranks_posts_that_write_it_whole_first(
    make_post: Callable[..., Post], memory_store: Callable[[Iterable[Post]], Store]
) -> None:
    store = memory_store(
        [
            make_post("HBMの市場", "HBMの需要が伸びる。HBMの価格とHBMの供給。4社が参入した。HBMは高い。"),
            make_post("新しいメモリ", "SK hynixがHBM4の量産を始めた。"),
        ]
    )
    hits = search(store, "HBM4").hits
    assert hits[0].title == "新しいメモリ" and len(hits) == 1
