"""How query words become tantivy queries: a word of two A parts is looked up as one pair term, scored as
the phrase of its parts."""

from __future__ import annotations

import random
from collections.abc import Callable
from collections.abc import Iterable

import pytest
from tantivy import Query

from mikke.search import ranking
from mikke.search import schema as f
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.indexer import index_posts
from mikke.search.posts import Post
from mikke.search.ranking import QueryBuilder
from mikke.search.ranking import bm25_doc_count
from mikke.search.ranking import plan_query
from mikke.search.ranking import search_ranked
from mikke.search.store import Store
from mikke.search.words import analyse_query
from tests.conftest import PostFactory

TEXTS = [
    ("生成AIの使い方", ["生成AIとは", "画像の生成"], "生成AIで画像を生成する。生成AIは便利。AIが生成した。"),
    ("画像生成AIの比較", ["生成モデル"], "画像生成AIと文章の生成AI。生成 AI。"),
    ("自動運転の現在", ["自動運転車", "レベル4の自動運転"], "自動運転車が走る。自動で運転。運転の自動化。"),
    ("AIのニュース", [], "AIと生成。生成されたAI。" * 20),
    ("短い記事", ["見出し"], "生成AI"),
    ("関係ない記事", ["料理"], "カレーを煮込む。"),
    (
        "大規模言語モデルの自然言語処理",
        ["言語モデル"],
        "大規模言語モデル。大規模な言語モデル。言語処理と自然言語処理。",
    ),
]


def scores(store: Store, query: Query) -> dict[str, float]:
    searcher = store.searcher()
    hits = searcher.search(query, 100).hits
    return {str(searcher.doc(address).get_first(f.FIELD_ID)): score for score, address in hits}


def fine_and_phrase_scores(store: Store, parts: list[str]) -> list[tuple[dict[str, float], dict[str, float]]]:
    """Per text field, the posts' scores for ``parts`` as QueryBuilder.fine looks them up and as a phrase."""
    builder = QueryBuilder(store.schema, store.searcher())
    return [
        (
            scores(store, builder.fine(fine_field, parts)),
            scores(store, Query.phrase_query(store.schema, fine_field, list(enumerate(parts)))),
        )
        for _, fine_field in f.TEXT_FIELDS
    ]


@pytest.fixture
def store(make_post: PostFactory, memory_store: Callable[[Iterable[Post]], Store]) -> Store:
    posts = [make_post(title, body, headings=headings) for title, headings, body in TEXTS]
    store = memory_store(posts)
    # Replace two posts: their old documents stay in the index, deleted, until a merge (BM25's N counts them).
    index_posts(store, [posts[0], posts[3]])
    return store


@pytest.mark.parametrize(
    "word", ["生成AI", "自動運転", "画像生成", "AI生成", "大規模言語モデル", "自然言語処理"]
)
def test_a_word_of_several_parts_matches_and_scores_through_its_pairs_as_through_its_phrase(
    store: Store, analyzer: JapaneseAnalyzer, word: str
) -> None:
    parts = analyzer.terms(word).fine_texts()
    assert len(parts) >= 2
    fields = fine_and_phrase_scores(store, parts)
    for by_pair, by_phrase in fields:
        assert by_pair.keys() == by_phrase.keys()
        for post_id, score in by_phrase.items():
            assert by_pair[post_id] == pytest.approx(score, rel=1e-5)
    assert fields[-1][0]  # the fixture's bodies hold every word


@pytest.mark.parametrize(
    "text", ["AIが", "AIと", "画像の生成", "大規模な言語", "生成されたAI", "運転の自動化"]
)
def test_parts_with_a_function_word_whose_pairs_are_not_indexed_match_as_their_phrase(
    store: Store, analyzer: JapaneseAnalyzer, text: str
) -> None:
    parts = analyzer.terms(text).fine_texts()
    assert f.PAIR_STOP_PARTS & set(parts)
    found = 0
    for by_fine, by_phrase in fine_and_phrase_scores(store, parts):
        assert by_fine == pytest.approx(by_phrase, rel=1e-6)
        found += len(by_phrase)
    assert found


def test_bm25_counts_deleted_documents_until_a_merge(store: Store) -> None:
    searcher = store.searcher()
    assert searcher.num_docs == len(TEXTS)
    assert bm25_doc_count(searcher, store.schema, f.FIELD_BODY_FINE, "生成") == len(TEXTS) + 2
    assert bm25_doc_count(searcher, store.schema, f.FIELD_BODY_FINE, "nowhere") is None


def random_posts(make_post: PostFactory, count: int, seed: int) -> list[Post]:
    """Posts of random sentences over a few words, so that which posts hold two words close together
    varies independently of how often they hold each."""
    rng = random.Random(seed)
    words = ["生成", "AI", "画像", "運転", "自動", "料理", "天気", "音楽", "野球", "旅行", "映画", "経済"]
    fillers = ["について", "では", "とは", "の話", "を見る"]
    posts = []
    for n in range(count):
        sentences = []
        for _ in range(rng.randint(1, 20)):
            picked = rng.sample(words, rng.randint(1, 2))
            sentences.append("".join(w + rng.choice(fillers) for w in picked) + "。")
        title = "".join(rng.sample(words, 2)) if rng.random() < 0.2 else f"記事{n}"  # a few stand out
        posts.append(make_post(title, "".join(sentences)))
    return posts


@pytest.mark.parametrize("text", ["生成 AI", "画像 生成", "自動 運転", "AI 生成 画像", "料理 天気 音楽"])
def test_scoring_proximity_only_on_the_best_hits_gives_the_hits_of_the_whole_query(
    make_post: PostFactory,
    memory_store: Callable[[Iterable[Post]], Store],
    analyzer: JapaneseAnalyzer,
    text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    posts = random_posts(make_post, 60, seed=len(text))
    store = memory_store(posts)
    index_posts(store, posts[:10])  # replaced: deleted documents count in BM25's N until a merge
    searcher = store.searcher()
    plan = plan_query(store, searcher, analyse_query(searcher, analyzer, text), [])
    assert plan.without_proximity is not None
    monkeypatch.setattr(ranking, "PROXIMITY_RESCORE_POSTS", 0)  # however few posts the phrases read
    rescored = 0
    for window in (1, 5, 20):  # the fewest rescored hits, and more
        monkeypatch.setattr(ranking, "PROXIMITY_RESCORE_HITS", window)
        for limit in range(1, 6):
            for offset in range(4):
                whole = searcher.search(plan.query, limit, count=True, offset=offset)
                rescored += ranking._rescored(searcher, store.schema, plan, offset + limit) is not None
                found = search_ranked(searcher, store.schema, plan, limit, offset)
                assert found.count == whole.count  # type: ignore[attr-defined]
                assert [(a.segment_ord, a.doc) for _, a in found.hits] == [
                    (a.segment_ord, a.doc) for _, a in whole.hits
                ]
                # The same sums, added in another order: equal to 32-bit float rounding.
                assert [score for score, _ in found.hits] == pytest.approx(
                    [score for score, _ in whole.hits], rel=1e-6
                )
    assert rescored  # the rescored hits were the ones given, at least once
