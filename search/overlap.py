"""Word-for-word overlap with the query: a query written as a sentence (with particles) has its first hits
reranked by how much of it each post holds verbatim, as adjacent token pairs and chains of them, by IDF;
keywords keep their order.

Paragraphs of one article share the query's words; the one that answers usually holds them in the
question's own order (「日本銀行が通貨を管理している」 for 通貨を管理しているのはどこか). The weights are
fitted by bench/train_ranker.py with cross-validation folds that keep an article's paragraphs together.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy
from tantivy import Occur
from tantivy import Query

from mikke.search import schema as f
from mikke.search.document import StoredPost

# Hits of a question-like query that are reranked (the first page or two; later ones keep their order).
RERANK_HITS = 20
# Adjacent pairs of query tokens looked for (one phrase query each), the first in the query.
MAX_PAIRS = 32
# How much each feature adds, relative to the best score among the reranked hits: fitted by
# bench/train_ranker.py, which writes this file.
MODEL_FILE = Path(__file__).with_name("ranker.json")


@dataclass(frozen=True, slots=True)
class Weights:
    chain: float
    pairs: float


@functools.cache
def model_weights() -> Weights:
    """The shipped model's weights (search/ranker.json)."""
    data = json.loads(MODEL_FILE.read_text("utf-8"))
    return Weights(float(data["weights"]["chain"]), float(data["weights"]["pairs"]))


@dataclass(frozen=True, slots=True)
class Pair:
    first: str
    second: str
    first_idf: float
    second_idf: float


def query_pairs(searcher: tantivy.Searcher, sequence: Sequence[str]) -> list[Pair]:
    """The adjacent pairs of the query's tokens (particles included), at most MAX_PAIRS, with their IDF."""
    n_docs = max(1, searcher.num_docs)
    idf: dict[str, float] = {}
    for token in sequence:
        if token not in idf:
            df = searcher.doc_freq(f.FIELD_BODY, token)
            idf[token] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return [Pair(a, b, idf[a], idf[b]) for a, b in itertools.pairwise(sequence)][:MAX_PAIRS]


def features(matched: Sequence[bool], pairs: Sequence[Pair], single: float = 0.0) -> tuple[float, float]:
    """``(chain, pairs)`` of one post from which query pairs it holds adjacent: the IDF of the longest run
    of consecutive matched pairs (the query's words in its own order; at least ``single``, the IDF of the
    rarest query token it holds at all), and the IDF of all matched pairs."""
    chain = single
    current = total = 0.0
    previous = False
    for is_matched, pair in zip(matched, pairs, strict=True):
        if is_matched:
            total += pair.first_idf + pair.second_idf
            # A run's tokens count once each: the pair shares its first token with the pair before it.
            current = (current if previous else pair.first_idf) + pair.second_idf
            chain = max(chain, current)
        else:
            current = 0.0
        previous = is_matched
    return chain, total


Ranked = tuple[float, tantivy.DocAddress, StoredPost]


def candidate_features(
    searcher: tantivy.Searcher, schema: tantivy.Schema, hits: Sequence[Ranked], sequence: Sequence[str]
) -> list[tuple[float, float]]:
    """``(chain, pairs)`` of each of ``hits`` for a query of tokens ``sequence``: one query per query pair
    (a phrase) and per token, limited to these posts, says which of them hold it."""
    pairs = query_pairs(searcher, sequence)
    if not hits or not pairs:
        return [(0.0, 0.0) for _ in hits]
    these = Query.boolean_query(
        [(Occur.Should, Query.term_query(schema, f.FIELD_ID, stored.id)) for _, _, stored in hits]
    )
    holders = [
        _holding(
            searcher,
            Query.phrase_query(schema, f.FIELD_BODY, [(0, p.first), (1, p.second)]),
            these,
            len(hits),
        )
        for p in pairs
    ]
    idf = {p.first: p.first_idf for p in pairs} | {p.second: p.second_idf for p in pairs}
    having = {t: _holding(searcher, Query.term_query(schema, f.FIELD_BODY, t), these, len(hits)) for t in idf}
    found = []
    for _, address, _ in hits:
        at = (address.segment_ord, address.doc)
        single = max((idf[t] for t, held in having.items() if at in held), default=0.0)
        found.append(features([at in held for held in holders], pairs, single))
    return found


def rescore(scores: Sequence[float], found: Sequence[tuple[float, float]], weights: Weights) -> list[float]:
    """Each score plus its overlap features, weighted relative to the best score of the candidates."""
    top = max(scores, default=0.0) or 1.0
    return [
        s + top * (weights.chain * chain + weights.pairs * pairs)
        for s, (chain, pairs) in zip(scores, found, strict=True)
    ]


def rerank(
    searcher: tantivy.Searcher, schema: tantivy.Schema, hits: list[Ranked], sequence: Sequence[str]
) -> list[Ranked]:
    """``hits`` (BM25 order) reordered by score plus word-for-word overlap with the query."""
    if len(hits) < 2:
        return hits
    found = candidate_features(searcher, schema, hits, sequence)
    scores = rescore([score for score, _, _ in hits], found, model_weights())
    rescored = [(score, address, stored) for score, (_, address, stored) in zip(scores, hits, strict=True)]
    rescored.sort(key=lambda x: (-round(x[0], 4), x[2].id))
    return rescored


def _holding(searcher: tantivy.Searcher, query: Query, these: Query, limit: int) -> set[tuple[int, int]]:
    """Which of the posts ``these`` matches ``query`` also matches, as (segment, doc)."""
    found = searcher.search(Query.boolean_query([(Occur.Must, query), (Occur.Must, these)]), limit)
    return {(address.segment_ord, address.doc) for _, address in found.hits}
