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


def test_keywords_keep_the_bm25_order(siblings: Store) -> None:
    for query in ("通貨 管理", "管理"):
        plain = search(siblings, query, rerank=False)
        assert [h.id for h in search(siblings, query).hits] == [h.id for h in plain.hits]
