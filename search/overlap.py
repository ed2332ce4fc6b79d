"""Word-for-word overlap with the query, as pure functions: which adjacent pairs of query tokens a post
holds, and the IDF of the longest run of them (the query's words in its own order) and of all of them.

Paragraphs of one article share the query's words; the one that answers usually holds them in the
question's own order (「日本銀行が通貨を管理している」 for 通貨を管理しているのはどこか). search/rerank.py
finds which pairs each candidate holds and feeds these figures to the learned reranker.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pair:
    first: str
    second: str
    first_idf: float
    second_idf: float


def query_pairs(sequence: Sequence[str], idf: Mapping[str, float], limit: int) -> list[Pair]:
    """The adjacent pairs of ``sequence`` (query tokens or words, in order), the first ``limit``: a query of
    hundreds of words makes no more than ``limit`` of them."""
    return [Pair(a, b, idf[a], idf[b]) for a, b in itertools.islice(itertools.pairwise(sequence), limit)]


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
