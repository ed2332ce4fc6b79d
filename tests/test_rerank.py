"""The learned reranker: its features, its model file's forms, and the blog-shaped patterns it fixes."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

import pytest

from mikke.search import Store
from mikke.search import rerank as rerank_module
from mikke.search import search
from mikke.search.analysis import get_analyzer
from mikke.search.posts import Post
from mikke.search.query import _fetch
from mikke.search.ranking import filter_queries
from mikke.search.ranking import plan_query
from mikke.search.rerank import FEATURES
from mikke.search.rerank import Linear
from mikke.search.rerank import Model
from mikke.search.rerank import Trees
from mikke.search.rerank import candidate_features
from mikke.search.rerank import defined_term
from mikke.search.rerank import parse_model
from mikke.search.rerank import query_shape
from mikke.search.rerank import rerank
from mikke.search.rerank import shipped_model
from mikke.search.words import analyse_query

# A post about data centres that mentions power once, and a longer one about AI's power use.
NEWS = "".join(f"データセンターの新設が{n}件目に入った。データセンターの需要は強い。" for n in range(6))
ABOUT = (
    "AIの電力消費が急増している。データセンターの電力需要はAIの学習で膨らむ。"
    "電力消費を抑えるデータセンターの冷却とAIの省電力化が課題だ。電力の消費量はAIの普及とともに増える。"
    + "送電網の整備や再生可能エネルギーの調達、冷却水の確保など、立地の条件も厳しくなっている。"
    * 3
)
# News that repeats a term, and a post that explains it.
AGENT_NEWS = "".join(f"AIエージェントの導入事例{n}：AIエージェントで業務が変わった。" for n in range(5))
DEFINES = (
    "AIエージェントとは、目標に向けて自ら計画し、道具を使って作業を進めるAIのことだ。"
    + "人の指示を一つずつ待たずに、調べ、判断し、結果を確かめながら動く点がチャットボットとの違いである。" * 2
)


@pytest.fixture
def blog(make_post: Callable[..., Post], memory_store: Callable[[Iterable[Post]], Store]) -> Store:
    filler = [make_post(f"日記{n}", f"今日は{n}回目の散歩をした。公園の桜がきれいだった。") for n in range(6)]
    return memory_store(
        [
            *filler,
            make_post("AIデータセンターの建設ラッシュ", NEWS + "AIの電力消費にも触れておく。"),
            make_post("生成AIが変えるエネルギー事情", ABOUT),
            make_post("AIエージェントの導入が進む", AGENT_NEWS, headings=["AIエージェントの導入事例"]),
            make_post("AIエージェント入門", DEFINES, headings=["AIエージェントとは何か"]),
        ]
    )


def test_a_post_about_every_word_of_a_keyword_query_beats_one_about_a_single_word(blog: Store) -> None:
    query = "AI 電力消費 データセンター"
    assert search(blog, query, rerank=False).hits[0].title == "AIデータセンターの建設ラッシュ"  # BM25
    assert search(blog, query).hits[0].title == "生成AIが変えるエネルギー事情"


def test_a_what_is_question_ranks_the_post_that_defines_the_term_first(blog: Store) -> None:
    for query in ("AIエージェントとは何か", "AIエージェントとは"):
        assert search(blog, query, rerank=False).hits[0].title == "AIエージェントの導入が進む"  # BM25
        assert search(blog, query).hits[0].title == "AIエージェント入門"
    # The term alone is no question: the post that says it most still leads.
    assert search(blog, "AIエージェント").hits[0].title == "AIエージェントの導入が進む"


@pytest.mark.parametrize(
    ("query", "defined"),
    [
        ("AIエージェントとは何か", ("ai", "エージェント", "と", "は")),
        ("RAGって何", ("rag", "と", "は")),
        ("生成AIとは", ("生成ai", "と", "は")),
        ("AIとは関係ない話", ()),  # とは, but no question of what it is
        ("AI 電力", ()),
    ],
)
def test_what_is_questions_are_told_by_their_particles(
    blog: Store, query: str, defined: tuple[str, ...]
) -> None:
    assert defined_term(analyse_query(blog.searcher(), get_analyzer(), query)) == defined


def _features(store: Store, query: str, pick: slice = slice(None)) -> tuple[list[str], list[list[float]]]:
    """The titles and features of the ``pick`` of a query's first 20 hits, as candidates."""
    searcher = store.searcher()
    terms = analyse_query(searcher, get_analyzer(), query)
    plan = plan_query(store, searcher, terms, filter_queries(store, (), (), None, None))
    hits = _fetch(searcher, searcher.search(plan.query, 20), by_date=False)[pick]
    return [s.title for _, _, s in hits], candidate_features(
        searcher, store.schema, hits, query_shape(searcher, terms)
    )


def test_features_say_which_post_covers_the_query_and_which_defines_its_term(blog: Store) -> None:
    titles, rows = _features(blog, "AIエージェントとは何か")
    row = dict(zip(FEATURES, rows[titles.index("AIエージェント入門")], strict=True))
    news = dict(zip(FEATURES, rows[titles.index("AIエージェントの導入が進む")], strict=True))
    assert row["defines"] == 1.0 and news["defines"] == 0.0  # "AIエージェントとは" in a heading
    assert row["chain"] > news["chain"]  # the query's own words in its order
    assert news["prominence"] > row["prominence"]  # the news repeats the term
    titles, rows = _features(blog, "AI 電力消費 データセンター")
    about = dict(zip(FEATURES, rows[titles.index("生成AIが変えるエネルギー事情")], strict=True))
    one = dict(zip(FEATURES, rows[titles.index("AIデータセンターの建設ラッシュ")], strict=True))
    assert about["coverage"] == one["coverage"] == 1.0
    assert about["prominence_min"] > one["prominence_min"]
    assert max(r[FEATURES.index("score")] for r in rows) == 1.0


def test_a_long_question_reads_its_presences_over_several_searches(blog: Store) -> None:
    # Over 20 distinct tokens: their presences are read 20 bits per search.
    question = (
        "AIの電力消費とデータセンターの冷却と省電力化と学習と普及と需要と課題と建設と市場と売上の関係は何か"
    )
    titles, rows = _features(blog, question)
    about = dict(zip(FEATURES, rows[titles.index("生成AIが変えるエネルギー事情")], strict=True))
    assert about["chain"] > 0 and 0 < about["coverage"] <= 1.0


def test_a_model_without_a_scorer_for_keywords_keeps_their_bm25_order(blog: Store) -> None:
    searcher = blog.searcher()
    terms = analyse_query(searcher, get_analyzer(), "AI 電力消費 データセンター")
    plan = plan_query(blog, searcher, terms, filter_queries(blog, (), (), None, None))
    hits = _fetch(searcher, searcher.search(plan.query, 20), by_date=False)
    model = Model(shipped_model().sentence, None)
    assert rerank(searcher, blog.schema, hits, terms, model) == hits
    assert [h.id for h in search(blog, "AI 電力消費 データセンター", rerank=False).hits] == [
        s.id for _, _, s in hits[:10]
    ]


def test_models_are_read_as_weights_or_as_trees() -> None:
    names = ["score", "coverage"]
    model = parse_model(
        {
            "features": names,
            "sentence": {"kind": "linear", "weights": {"score": 1.0, "coverage": 0.5}},
            "keywords": {"kind": "trees", "trees": [[1, 0.5, -1.0, [0, 0.25, 0.0, 2.0]], 0.5]},
        }
    )
    row = [0.0] * len(FEATURES)
    row[FEATURES.index("score")], row[FEATURES.index("coverage")] = 0.5, 1.0
    assert isinstance(model.sentence, Linear) and model.sentence.predict(row) == 1.0
    assert isinstance(model.keywords, Trees) and model.keywords.predict(row) == 2.5  # right, right; + 0.5
    row[FEATURES.index("coverage")] = 0.2
    assert model.keywords.predict(row) == -0.5  # left
    with pytest.raises(ValueError, match="unknown scorer"):
        parse_model({"sentence": {"kind": "forest"}})


def test_the_shipped_model_reranks_both_kinds_of_query() -> None:
    model = shipped_model()
    assert isinstance(model.sentence, Linear) and isinstance(model.keywords, Linear)


def test_one_or_two_keywords_keep_the_bm25_order(blog: Store) -> None:
    # Two words: the keyword scorer is not used (rerank.KEYWORD_MIN_WORDS), whatever the features say.
    searcher = blog.searcher()
    for query in ("電力消費", "電力 データセンター"):
        terms = analyse_query(searcher, get_analyzer(), query)
        assert terms.typed_keywords < 3 and shipped_model().for_query(terms) is None
        plain = search(blog, query, rerank=False)
        assert [h.id for h in search(blog, query).hits] == [h.id for h in plain.hits]


@pytest.mark.parametrize(
    ("query", "typed", "reranked"),
    [
        # Sudachi cuts 導入率 into 導入 and 率: three words, but two keywords as typed.
        ("Copilot 導入率", 2, False),
        ("AI 電力消費 データセンター", 3, True),
        ("Copilot 導入率 企業", 3, True),
    ],
)
def test_keywords_count_as_the_reader_typed_them(blog: Store, query: str, typed: int, reranked: bool) -> None:
    terms = analyse_query(blog.searcher(), get_analyzer(), query)
    assert terms.typed_keywords == typed
    assert (shipped_model().for_query(terms) is not None) == reranked


@pytest.mark.parametrize(
    "query",
    [
        "AIエージェントとは何か",
        "AI 電力消費 データセンター",
        "AIの電力消費とデータセンターの冷却と省電力化と学習と普及と需要と課題と建設と市場と売上の関係は何か",
    ],
)
def test_features_are_the_same_whether_each_presence_or_their_union_is_limited_to_the_candidates(
    blog: Store, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rerank_module, "PER_QUERY_LIMIT_TERMS", 10**12)  # a small blog: the union limited
    union = _features(blog, query, slice(-3, None))  # not the posts that match the most
    monkeypatch.setattr(rerank_module, "PER_QUERY_LIMIT_TERMS", 0)  # a large one: each query limited
    assert _features(blog, query, slice(-3, None)) == union
    assert any(row[FEATURES.index("coverage")] for row in union[1])
