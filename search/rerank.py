"""The learned reranker: a query's first RERANK_HITS hits reordered by a small model over features of each
post against the query (word-for-word overlap, IDF-weighted coverage, close windows, how prominent each
word is, the title) and its score relative to the other candidates.

Features come from a few searches limited to the candidates (what the posts index already holds: no text is
read); the model is search/ranker.json, fitted by bench/train_ranker.py with the same code.
"""

from __future__ import annotations

import functools
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
from mikke.search.overlap import Pair
from mikke.search.overlap import features as overlap
from mikke.search.overlap import query_pairs
from mikke.search.ranking import ALL_WORDS_BONUS
from mikke.search.ranking import BM25_K1
from mikke.search.ranking import QueryBuilder
from mikke.search.ranking import bm25_idf
from mikke.search.ranking import field_tokens
from mikke.search.words import QueryTerms
from mikke.search.words import QueryWord

# Hits of a query that are reranked (the first page or two; later ones keep their order).
RERANK_HITS = 20
# Keyword queries of fewer keywords keep the BM25 order: in cross-validation on jsquad's questions turned
# into keywords the model did not improve one- and two-word queries (bench/train_ranker.py prints it).
# Keywords as typed: a compound Sudachi cuts (導入率 -> 導入, 率) stays one, as in the training queries,
# whose keywords are single words.
KEYWORD_MIN_WORDS = 3
# Adjacent pairs of query tokens looked for, the first in the query.
MAX_PAIRS = 32
# Query words whose presence, prominence and title are looked at: the rarest (one search each).
MAX_FEATURE_WORDS = 8
# Presences are read as bits: each query adds a power of two to a post's score. tantivy scores are 32-bit
# floats, whose sums of distinct powers of two stay exact up to 2**24.
BITS_PER_SEARCH = 20
# Above this many terms in the posts' bodies, each presence query is limited to the candidates on its own
# (_Among.bits): what the union limited as a whole costs grows with the text it reads, what each query
# limited costs does not. Bits of 40 jsquad questions, union / each: 1,145 paragraphs (0.2 M terms) 0.33 /
# 1.08 ms; the sample's copies, 283 posts (1.2 M) 0.46 / 0.87, 2,264 posts (9.9 M) 2.30 / 1.02, 22,640
# posts 12.3 / 1.29 ms; three-keyword queries on the copies 0.21 / 0.54, 1.15 / 0.64, 6.44 / 0.89 ms.
PER_QUERY_LIMIT_TERMS = 3_000_000
# Query words standing within this many positions of each other (a 4- and a 10-token window).
WINDOW_SLOPS = (2, 8)
# The shipped model (bench/train_ranker.py writes it).
MODEL_FILE = Path(__file__).with_name("ranker.json")

# The features of a candidate, in the order the model file lists them.
FEATURES = (
    "score",  # its score over the best candidate's (the keyword bonuses aside)
    "rank",  # 1 / (1 + its place in the BM25 order)
    "chain",  # IDF of the longest run of query tokens it holds verbatim (search/overlap.py)
    "pairs",  # IDF of all adjacent query-token pairs it holds
    "chain_share",  # chain over the IDF of all query tokens
    "coverage",  # IDF share of the query words it holds anywhere
    "coverage_untitled",  # the same, over the query words its title does not hold
    "title",  # IDF share of the query words in its title
    "headings",  # IDF share of the query words in its headings
    "prominence",  # IDF-weighted mean of each word's score over its IDF: how much the post is about it
    "prominence_min",  # the least prominent query word: a post about one word mentions the others once
    "window4",  # IDF share of the longest chain of query words standing within a 4-token window
    "window10",  # the same within a 10-token window
    "defines",  # a "what is X" question: "X とは" in its title or a heading (1) or its body (0.5)
)


@dataclass(frozen=True, slots=True)
class QueryShape:
    """What the reranker needs of a query, beside its candidates."""

    tokens: tuple[str, ...]  # every token, particles included, in order
    words: tuple[QueryWord, ...]  # the content words looked at (the rarest), in query order
    word_idf: tuple[float, ...]
    sentence: bool
    defined: tuple[str, ...]  # "X と は" of "X とは何か" (empty: not such a question)


# Where a definition is looked for: a title or heading that says "X とは" (1), else the body (0.5).
_DEFINED_IN = (f.FIELD_TITLE, f.FIELD_HEADINGS, f.FIELD_BODY)
# Function words that ask what something is: X とは (何), X って何.
_WHAT_IS = (("と", "は"), ("って", "何"), ("って", "なに"))
_WHAT = ("何", "なに")


def defined_term(terms: QueryTerms) -> tuple[str, ...]:
    """The tokens of a "what is" question's term with the と and は a definition writes after it
    (AIエージェントとは何か, AIエージェントって何 -> ai, エージェント, と, は): the content tokens right
    before とは or って何, when the question ends there or only asks 何 (何ですか); else nothing."""
    analysis = terms.analysis
    if analysis is None:
        return ()
    units = [u.coarse for u in analysis.units]
    for k in range(1, len(units) - 1):
        pair = (units[k].text, units[k + 1].text)
        if pair not in _WHAT_IS:
            continue
        rest = units[k + 2 :]
        # Only asking words may follow (何, か, です): 梅雨とは何季の一種か asks something else.
        if not all(u.is_function_word for u in rest) or (
            pair[0] == "と" and rest and rest[0].text not in _WHAT
        ):
            continue
        start = k
        while start > 0 and not units[start - 1].is_function_word:
            start -= 1
        return (*(u.text for u in units[start:k]), "と", "は")
    return ()


def query_shape(searcher: tantivy.Searcher, terms: QueryTerms) -> QueryShape:
    n_docs = max(1, searcher.num_docs)
    looked = {w.coarse for w in terms.scored[:MAX_FEATURE_WORDS]}
    words = tuple(w for w in terms.words if w.coarse in looked)
    idf = tuple(bm25_idf(n_docs, terms.doc_freq.get(w.coarse, 0)) for w in words)
    return QueryShape(terms.sequence, words, idf, terms.sentence, defined_term(terms))


Ranked = tuple[float, tantivy.DocAddress, StoredPost]
_Key = tuple[int, int]


def _key(address: tantivy.DocAddress) -> _Key:
    return (address.segment_ord, address.doc)


class _Among:
    """Searches limited to the candidates."""

    def __init__(
        self, searcher: tantivy.Searcher, schema: tantivy.Schema, hits: Sequence[Ranked], *, each: bool
    ) -> None:
        self.searcher = searcher
        self.schema = schema
        self.limit = len(hits)
        self.each = each  # bits() limits each query to the candidates, not their union
        ids = [(Occur.Should, Query.term_query(schema, f.FIELD_ID, s.id)) for _, _, s in hits]
        self.these = Query.const_score_query(Query.boolean_query(ids), 0.0)

    def within(self, query: Query) -> Query:
        """``query`` in the candidates only (scores as ``query`` scores them)."""
        return Query.boolean_query([(Occur.Must, query), (Occur.Must, self.these)])

    def scores(self, query: Query) -> dict[_Key, float]:
        """Each candidate's score for ``query`` (absent: no match)."""
        found = self.searcher.search(self.within(query), self.limit)
        return {_key(address): float(score) for score, address in found.hits}

    def bits(self, queries: Sequence[Query | None]) -> dict[_Key, int]:
        """Which of ``queries`` each candidate matches, as bits (bit i: ``queries[i]``).

        tantivy's union of the queries, seeking to each candidate, scores every query over the block of
        thousands of posts that follows it (docs/DESIGN.md, T25): on a large blog that is every post, so
        there (``each``) each query is limited to the candidates on its own, which costs a few more lookups.
        """
        each = self.each
        held: dict[_Key, int] = {}
        for base in range(0, len(queries), BITS_PER_SEARCH):
            clauses = [
                (Occur.Should, Query.const_score_query(self.within(q) if each else q, float(1 << i)))
                for i, q in enumerate(queries[base : base + BITS_PER_SEARCH])
                if q is not None
            ]
            if not clauses:
                continue
            union = Query.boolean_query(clauses)
            found = self.searcher.search(union if each else self.within(union), self.limit)
            for score, address in found.hits:
                key = _key(address)
                held[key] = held.get(key, 0) | (round(score) << base)
        return held


def _in_field(schema: tantivy.Schema, coarse_field: str, fine_field: str, word: QueryWord) -> Query:
    """``word`` in one field, as its C term or its A parts standing together."""
    whole = Query.term_query(schema, coarse_field, word.coarse)
    if len(word.parts) < 2:
        return whole
    parts = Query.phrase_query(schema, fine_field, [(i, p) for i, p in enumerate(word.parts)])
    return Query.boolean_query([(Occur.Should, whole), (Occur.Should, parts)])


def _share(mask: int, weights: Sequence[float]) -> float:
    total = sum(weights)
    return sum(w for i, w in enumerate(weights) if mask >> i & 1) / total if total else 0.0


def candidate_features(
    searcher: tantivy.Searcher, schema: tantivy.Schema, hits: Sequence[Ranked], shape: QueryShape
) -> list[list[float]]:
    """The FEATURES of each of ``hits`` (in their BM25 order) for a query of ``shape``."""
    if not hits:
        return []
    n_docs = max(1, searcher.num_docs)
    token_freq = {t: searcher.doc_freq(f.FIELD_BODY, t) for t in shape.tokens}
    token_idf = {t: bm25_idf(n_docs, n) for t, n in token_freq.items()}
    held = {t: n for t, n in token_freq.items() if n}
    terms = field_tokens(searcher, schema, f.FIELD_BODY, min(held, key=held.__getitem__)) if held else None
    among = _Among(searcher, schema, hits, each=(terms or 0) > PER_QUERY_LIMIT_TERMS)

    # Word-for-word overlap: which adjacent token pairs (phrases) each candidate holds.
    pairs = query_pairs(shape.tokens, token_idf, MAX_PAIRS) if shape.sentence else []
    pair_bits = among.bits(
        [Query.phrase_query(schema, f.FIELD_BODY, [(0, p.first), (1, p.second)]) for p in pairs]
    )
    # Each word's own score (all fields, as search() scores it).
    builder = QueryBuilder(schema, searcher)
    word_scores = [among.scores(builder.word(w)) for w in shape.words]
    word_pairs = query_pairs(
        [w.coarse for w in shape.words],
        dict(zip([w.coarse for w in shape.words], shape.word_idf, strict=True)),
        MAX_PAIRS,
    )
    flags, defines_at = _flag_queries(schema, shape, word_pairs)
    evidence = _Evidence(
        shape,
        pairs,
        word_pairs,
        pair_bits,
        among.bits(flags),
        word_scores,
        defines_at,
        sum(token_idf.values()) or 1.0,
    )
    # The best score (within the best bonus tier) that the others are measured against.
    bases = [score - tier(score) * ALL_WORDS_BONUS for score, _, _ in hits]
    top = max(bases) or 1.0
    return [evidence.row(k, _key(address), bases[k] / top) for k, (_, address, _) in enumerate(hits)]


def _flag_queries(
    schema: tantivy.Schema, shape: QueryShape, word_pairs: Sequence[Pair]
) -> tuple[list[Query | None], int]:
    """What is read as bits, all in as few searches as the bits allow: each word in the title, each in a
    heading; neighbouring words within each window, in either order (tantivy's sloppy phrases keep their
    order); for a "what is X" question, "X とは" in the title, a heading, the body, as a definition says it.
    Also where the definition's bits start."""
    flags: list[Query | None] = [_in_field(schema, f.FIELD_TITLE, f.FIELD_TITLE_FINE, w) for w in shape.words]
    flags += [_in_field(schema, f.FIELD_HEADINGS, f.FIELD_HEADINGS_FINE, w) for w in shape.words]
    for slop in WINDOW_SLOPS:
        flags += [
            Query.phrase_query(schema, f.FIELD_BODY, [(0, first), (1, second)], slop=slop)
            for x in word_pairs
            for first, second in ((x.first, x.second), (x.second, x.first))
        ]
    definition: list[str | tuple[int, str]] = [(i, t) for i, t in enumerate(shape.defined)]
    defines_at = len(flags)
    if len(definition) > 2:
        flags += [Query.phrase_query(schema, field, definition) for field in _DEFINED_IN]
    return flags, defines_at


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What the candidates of one query were found to hold, from which each one's features are read."""

    shape: QueryShape
    pairs: list[Pair]  # adjacent query tokens (sentences only)
    word_pairs: list[Pair]  # adjacent query words
    pair_bits: dict[_Key, int]  # bit i: holds pairs[i] as a phrase
    flag_bits: dict[_Key, int]  # bits of _flag_queries
    word_scores: list[dict[_Key, float]]  # each word's own score
    defines_at: int
    all_idf: float  # of every query token

    def row(self, rank: int, key: _Key, relative: float) -> list[float]:
        """The FEATURES of the candidate ``key`` at BM25 ``rank`` with ``relative`` score."""
        shape, n = self.shape, len(self.shape.words)
        word_total = sum(shape.word_idf) or 1.0
        # A word's score over its IDF is at most (k1 + 1) in each field query (C and A terms, three fields).
        ceiling = (BM25_K1 + 1) * 4.3 * 1.7
        held_pairs = self.pair_bits.get(key, 0)
        own = [self.word_scores[i].get(key, 0.0) for i in range(n)]
        present = sum(1 << i for i in range(n) if own[i] > 0)
        # The rarest query word it holds: the chain's floor, and the windows'.
        single = max((idf for i, idf in enumerate(shape.word_idf) if present >> i & 1), default=0.0)
        matched_pairs = [bool(held_pairs >> i & 1) for i in range(len(self.pairs))]
        chain, pair_idf = overlap(matched_pairs, self.pairs, single)
        held = self.flag_bits.get(key, 0)
        title_mask, heading_mask = held & ((1 << n) - 1), held >> n & ((1 << n) - 1)
        untitled = [idf if not title_mask >> i & 1 else 0.0 for i, idf in enumerate(shape.word_idf)]
        prominence = [
            min(1.0, own[i] / (idf * ceiling)) if idf else 0.0 for i, idf in enumerate(shape.word_idf)
        ]
        window_features = []
        for j in range(len(WINDOW_SLOPS)):
            at = 2 * n + 2 * len(self.word_pairs) * j
            matched = [bool(held >> (at + 2 * i) & 3) for i in range(len(self.word_pairs))]
            window_features.append(overlap(matched, self.word_pairs, single)[0] / word_total)
        defined_in = held >> self.defines_at & 7
        defines = 1.0 if defined_in & 3 else 0.5 if defined_in else 0.0
        return [
            relative,
            1.0 / (1 + rank),
            chain,
            pair_idf,
            chain / self.all_idf,
            _share(present, shape.word_idf),
            _share(present, untitled) if any(untitled) else 1.0,
            _share(title_mask, shape.word_idf),
            _share(heading_mask, shape.word_idf),
            sum(p * idf for p, idf in zip(prominence, shape.word_idf, strict=True)) / word_total,
            min(prominence, default=0.0),
            *window_features,
            defines,
        ]


@dataclass(frozen=True, slots=True)
class Trees:
    """A sum of regression trees (LightGBM's, dumped): each node ``[feature, threshold, left, right]``, a
    leaf its value; a feature at most the threshold goes left."""

    trees: tuple[object, ...]

    def predict(self, row: Sequence[float]) -> float:
        total = 0.0
        for node in self.trees:
            while isinstance(node, list):
                node = node[2] if row[node[0]] <= node[1] else node[3]
            total += float(node)  # type: ignore[arg-type]
        return total


@dataclass(frozen=True, slots=True)
class Linear:
    weights: tuple[float, ...]

    def predict(self, row: Sequence[float]) -> float:
        return sum(w * x for w, x in zip(self.weights, row, strict=True))


@dataclass(frozen=True, slots=True)
class Model:
    """The shipped model: one scorer for queries written as sentences, one for keywords of at least
    KEYWORD_MIN_WORDS words (None: they keep the BM25 order)."""

    sentence: Linear | Trees | None
    keywords: Linear | Trees | None

    def for_query(self, terms: QueryTerms) -> Linear | Trees | None:
        """The scorer for ``terms``; None for one or two keywords, which keep the BM25 order."""
        if terms.sentence:
            return self.sentence
        return self.keywords if terms.typed_keywords >= KEYWORD_MIN_WORDS else None


def _scorer(data: object, names: Sequence[str]) -> Linear | Trees | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("a scorer is an object")
    if data["kind"] == "linear":
        weights = data["weights"]
        return Linear(tuple(float(weights.get(name, 0.0)) for name in FEATURES))
    if data["kind"] == "trees":
        index = {name: FEATURES.index(name) for name in names}

        def node(x: object) -> object:
            if isinstance(x, list):
                return [index[names[x[0]]], float(x[1]), node(x[2]), node(x[3])]
            return float(x)  # type: ignore[arg-type]

        return Trees(tuple(node(t) for t in data["trees"]))
    raise ValueError(f"unknown scorer kind {data['kind']!r}")


def parse_model(data: dict[str, object]) -> Model:
    """A model from its JSON form (what bench/train_ranker.py writes)."""
    names = [str(n) for n in data.get("features", FEATURES)]  # type: ignore[attr-defined]
    return Model(_scorer(data.get("sentence"), names), _scorer(data.get("keywords"), names))


@functools.cache
def shipped_model() -> Model:
    """The model search/ranker.json holds."""
    return parse_model(json.loads(MODEL_FILE.read_text("utf-8")))


def tier(score: float) -> int:
    """The group a candidate is reordered within, higher first: its keyword bonus, so that a short
    keyword query's posts with every word (and with every word as typed) stay above the others."""
    return math.floor(score / ALL_WORDS_BONUS)


def reorder(hits: Sequence[Ranked], predicted: Sequence[float]) -> list[Ranked]:
    """``hits`` by :func:`tier`, then by the model's prediction; ties by post id."""
    keyed = [(tier(hit[0]), p, hit) for hit, p in zip(hits, predicted, strict=True)]
    keyed.sort(key=lambda x: (-x[0], -round(x[1], 6), x[2][2].id))
    return [hit for _, _, hit in keyed]


def rerank(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    hits: list[Ranked],
    terms: QueryTerms,
    model: Model | None = None,
) -> list[Ranked]:
    """``hits`` (BM25 order) reordered by the model; as they are when it has no scorer for this kind of
    query."""
    scorer = (model or shipped_model()).for_query(terms)
    if len(hits) < 2 or scorer is None:
        return hits
    rows = candidate_features(searcher, schema, hits, query_shape(searcher, terms))
    return reorder(hits, [scorer.predict(row) for row in rows])
