"""How posts are ranked: weights, and the tantivy query built from a query's words, phrases and filters.

Queries are built from analysed terms by this code, never by tantivy's query parser, which raises on ordinary
user text (``(``, ``a AND``, ``foo:bar``).
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import tantivy
from tantivy import Occur
from tantivy import Query

from mikke.search import schema as f
from mikke.search.analysis import Analysis
from mikke.search.analysis import tag_key
from mikke.search.store import Store
from mikke.search.words import MAX_RELAXED_WORDS
from mikke.search.words import QueryTerms
from mikke.search.words import QueryWord
from mikke.search.words import rarity

# Up to this many keywords a query is a keyword search: posts with every word rank above the rest.
KEYWORD_QUERY_MAX_WORDS = 3
# Relative weights. A word in the title or a heading says more about a post than one in its body.
WEIGHT_FIELD = {f.FIELD_TITLE: 2.0, f.FIELD_HEADINGS: 1.3, f.FIELD_BODY: 1.0}
# Matching the query's own segmentation (SplitMode.C) counts as much as matching its parts (mode A), so
# an exact compound match scores both and ranks above a match of its parts only.
WEIGHT_FINE = 0.7
# Looser matches (a compound's parts alone, a shared kanji stem), used only when nothing matches exactly.
WEIGHT_PART = 0.25
# Query words standing close together in the body (within PROXIMITY_SLOP positions).
WEIGHT_PROXIMITY = 0.6
PROXIMITY_SLOP = 6
PROXIMITY_WINDOW = 1  # pair each query word with the next one only
# Coordination: each distinct query word a post contains adds its BM25 IDF times this, whatever its term
# frequency. Plain BM25 lets one repeated word outweigh several matched ones; this rewards coverage of
# the query on the same scale as BM25 itself, so it adapts to each collection's vocabulary.
WEIGHT_PRESENCE = 3.0
# Added to every post that contains all words of a short keyword query.
ALL_WORDS_BONUS = 1000.0
# Words a query word is also searched as (what its kana or romaji reads as, its synonyms) score at this
# share of the word as typed, and a post with a keyword query's words as typed gets EXACT_BONUS on top, so
# it ranks above every post that matches only through those other words.
WEIGHT_EXPANDED = 0.5
EXACT_BONUS = 2 * ALL_WORDS_BONUS

# The query words (the rarest) that excerpts and titles highlight; a long phrase by its opening parts.
# Each one is one more scan of a hit's stored term offsets.
EXCERPT_WORDS = 8
EXCERPT_PHRASE_PARTS = 8

_KANJI_STEM_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]+")


class QueryBuilder:
    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher) -> None:
        self.schema = schema
        self.searcher = searcher
        self._doc_count: int | None = None

    def fine(self, fine_field: str, parts: Sequence[str]) -> Query:
        """``parts`` standing together in ``fine_field``: a term, a pair (two parts) or a phrase."""
        if len(parts) == 1:
            return Query.term_query(self.schema, fine_field, parts[0])
        # The pair terms the pairs field holds for these parts (none for a part no indexed term can hold).
        pairs = [] if any(f.PAIR_JOINER in p for p in parts) else list(map(f.pair_term, parts, parts[1:]))
        held = [p for p in pairs if p != f.PAIR_FILLER]
        if len(parts) == 2 and held:
            return self._pair(fine_field, parts[0], parts[1])
        phrase = Query.phrase_query(self.schema, fine_field, [(i, p) for i, p in enumerate(parts)])
        if len(parts) == 2 or not held:
            return phrase
        # Longer words keep the phrase, read only in posts holding each of its pairs: the rarest pair
        # leads tantivy's intersection, and a pair scoring 0 leaves the phrase's score as it is.
        pairs_field = f.PAIRS_OF[fine_field]
        clauses = [(Occur.Must, phrase)]
        for pair in held:
            term = Query.term_query(self.schema, pairs_field, pair)
            clauses.append((Occur.Must, Query.const_score_query(term, 0.0)))
        return Query.boolean_query(clauses)

    def _pair(self, fine_field: str, first: str, second: str) -> Query:
        """The phrase ``first second`` of ``fine_field`` as one term of its pairs field, scored the same.

        A phrase reads the positions of both parts in every post holding both, which for two common parts
        (生成 + AI) is most of a search's time on a large blog. The pair term has the phrase's frequency
        and its field the same lengths, so BM25 differs only by the IDF: tantivy gives a phrase the sum of
        its parts' IDFs, which the boost restores (tests/test_ranking.py holds the scores equal).
        """
        pairs_field = f.PAIRS_OF[fine_field]
        pair = f.pair_term(first, second)
        freqs = {p: self.searcher.doc_freq(fine_field, p) for p in (first, second)}
        if not all(freqs.values()):  # a part no post holds: the pair matches nothing either
            return Query.term_query(self.schema, pairs_field, pair)
        if self._doc_count is None:
            self._doc_count = bm25_doc_count(
                self.searcher, self.schema, fine_field, min(freqs, key=freqs.__getitem__)
            )
        n = self._doc_count or self.searcher.num_docs
        phrase_idf = bm25_idf(n, freqs[first]) + bm25_idf(n, freqs[second])
        pair_idf = bm25_idf(n, self.searcher.doc_freq(pairs_field, pair))
        return Query.boost_query(Query.term_query(self.schema, pairs_field, pair), phrase_idf / pair_idf)

    def word(self, word: QueryWord) -> Query:
        """Match ``word`` in any text field, as a whole C unit or as consecutive A parts."""
        clauses: list[tuple[Occur, Query]] = []
        for coarse_field, fine_field in f.TEXT_FIELDS:
            weight = WEIGHT_FIELD[coarse_field]
            clauses.append(
                (
                    Occur.Should,
                    Query.boost_query(Query.term_query(self.schema, coarse_field, word.coarse), weight),
                )
            )
            clauses.append(
                (Occur.Should, Query.boost_query(self.fine(fine_field, word.parts), weight * WEIGHT_FINE))
            )
        return Query.boolean_query(clauses)

    def related(self, word: QueryWord) -> Query | None:
        """Looser matches for the zero-hit fallback: a compound's parts on their own, and terms sharing
        the word's leading kanji (逃げる -> 逃れる, 逃亡)."""
        clauses: list[tuple[Occur, Query]] = []
        for coarse_field, fine_field in f.TEXT_FIELDS:
            weight = WEIGHT_FIELD[coarse_field]
            if len(word.parts) > 1:
                for part in sorted(set(word.parts)):
                    q = Query.term_query(self.schema, fine_field, part)
                    clauses.append((Occur.Should, Query.boost_query(q, weight * WEIGHT_PART)))
            match = _KANJI_STEM_RE.match(word.coarse)
            if match is not None and (match.group(0) != word.coarse or len(word.parts) == 1):
                q = Query.regex_query(self.schema, fine_field, re.escape(match.group(0)) + ".*")
                clauses.append((Occur.Should, Query.boost_query(q, weight * WEIGHT_PART)))
        return Query.boolean_query(clauses) if clauses else None

    def phrase(self, analysis: Analysis) -> Query | None:
        """Match the A parts of ``analysis`` at consecutive positions in any text field."""
        fine = analysis.fine
        if not fine:
            return None
        base = fine[0].position
        words: list[str | tuple[int, str]] = [(t.position - base, t.text) for t in fine]
        clauses: list[tuple[Occur, Query]] = []
        for coarse_field, fine_field in f.TEXT_FIELDS:
            q = (
                Query.term_query(self.schema, fine_field, fine[0].text)
                if len(words) == 1
                else Query.phrase_query(self.schema, fine_field, words)
            )
            clauses.append((Occur.Should, Query.boost_query(q, WEIGHT_FIELD[coarse_field])))
        return Query.boolean_query(clauses)

    def proximity(self, pairs: Iterable[tuple[str, str]]) -> list[Query]:
        """Sloppy two-word phrases rewarding query words that stand close together in the body."""
        return [
            Query.boost_query(
                Query.phrase_query(self.schema, f.FIELD_BODY, [(0, a), (1, b)], slop=PROXIMITY_SLOP),
                WEIGHT_PROXIMITY,
            )
            for a, b in pairs
        ]


def proximity_pairs(words: Sequence[QueryWord], scored: Iterable[QueryWord]) -> list[tuple[str, str]]:
    """The pairs of words whose closeness counts (QueryBuilder.proximity): neighbours in ``words`` that
    are both ``scored`` (leaving a word out does not make its neighbours pair). tantivy's sloppy phrase
    keeps word order; pairs follow the query's order."""
    keep = {w.coarse for w in scored}
    return [
        (a.coarse, b.coarse)
        for i, a in enumerate(words)
        for b in words[i + 1 : i + 1 + PROXIMITY_WINDOW]
        if a.coarse in keep and b.coarse in keep
    ]


@dataclass(frozen=True, slots=True)
class Plan:
    query: Query
    # The same documents as ``query`` without its scoring-only clauses, for counting.
    match_query: Query
    # Phrases, filters and exclusions alone; None when there are none.
    constraints: Query | None
    highlight_words: tuple[QueryWord, ...]
    has_text: bool
    words: tuple[str, ...]
    # Posts with an expanded word as typed (None: nothing was expanded): the rest matched only through
    # the words it was expanded to.
    exact_query: Query | None = None
    # ``query`` without its proximity phrases (None: it has none), and their pairs of body terms.
    without_proximity: Query | None = None
    proximity: tuple[tuple[str, str], ...] = ()


# Proximity phrases read both words' positions in every post holding both: with common words on a large
# blog, most of a search. When they would read more posts than this, the query first runs without them and
# only its best hits are scored with them, when that provably gives the same hits (search_ranked). Below it
# the phrases cost less than that second search (at 22,640 posts, 4,160 of them: 0.35 ms against 0.4 ms).
PROXIMITY_RESCORE_POSTS = 5000
# How many of the best hits without proximity are scored with it: this many, or twice the hits asked for.
PROXIMITY_RESCORE_HITS = 100
# tantivy's BM25 k1: a term's (or a phrase's) score is below its IDF times (k1 + 1), however frequent.
BM25_K1 = 1.2


@dataclass(frozen=True, slots=True)
class Ranking:
    """The best hits of a query, ``(score, address)`` best first, and how many posts it matches."""

    hits: list[tuple[float, tantivy.DocAddress]]
    count: int

    @classmethod
    def of(cls, found: tantivy.SearchResult) -> Ranking:
        """The hits and count of a search made with ``count=True``."""
        # tantivy 0.27's type stub omits SearchResult.count, which search(..., count=True) fills in.
        return cls(found.hits, int(found.count or 0))  # type: ignore[attr-defined]


def search_ranked(
    searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, limit: int, offset: int = 0
) -> Ranking:
    """The hits ``offset`` to ``offset + limit`` of ``plan.query`` by score, and its number of matches.

    When its proximity phrases would read many posts, they score only the best hits of the query without
    them, if no other post can then overtake the last hit asked for: a post's proximity score is below the
    sum over its pairs of WEIGHT_PROXIMITY x IDF x (k1 + 1), so a post below the rescored ones scores less
    than the lowest of them plus that sum. Otherwise (and for every query with few such posts) the whole
    query runs. Both ways give the same hits in the same order; the scores are the same sums, added in
    another order (they may differ in the last bit of tantivy's 32-bit floats).
    """
    if plan.without_proximity is not None and _proximity_posts(searcher, plan) >= PROXIMITY_RESCORE_POSTS:
        rescored = _rescored(searcher, schema, plan, offset + limit)
        if rescored is not None:
            return Ranking(rescored.hits[offset:], rescored.count)
    return Ranking.of(searcher.search(plan.query, limit, count=True, offset=offset))


def _proximity_posts(searcher: tantivy.Searcher, plan: Plan) -> int:
    """About how many posts the proximity phrases read positions in: those holding the rarer word of each."""
    return sum(
        min(searcher.doc_freq(f.FIELD_BODY, a), searcher.doc_freq(f.FIELD_BODY, b)) for a, b in plan.proximity
    )


def _rescored(searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, wanted: int) -> Ranking | None:
    """The first ``wanted`` hits of ``plan.query`` found by adding the proximity scores of the best hits
    without them; None when other posts might come first."""
    assert plan.without_proximity is not None
    first = Ranking.of(
        searcher.search(plan.without_proximity, max(PROXIMITY_RESCORE_HITS, 2 * wanted), count=True)
    )
    count = first.count
    if not first.hits:
        return first
    serials = searcher.fast_field_values(f.FIELD_SERIAL, [address for _, address in first.hits])
    # These posts by one term each: a union as small as they are, which leads tantivy's intersection with
    # each phrase, so the phrases are read in these posts only. (A union of phrases, or the whole query,
    # restricted to them would be read in blocks of thousands of posts around each of them: T25.)
    these = Query.const_score_query(
        Query.boolean_query([(Occur.Should, Query.term_query(schema, f.FIELD_SERIAL, n)) for n in serials]),
        0.0,
    )
    near = [
        (Occur.Should, Query.boolean_query([(Occur.Must, these), (Occur.Must, q)]))
        for q in QueryBuilder(schema, searcher).proximity(plan.proximity)
    ]
    # Two posts may share a serial (post_serial): room for a few more than asked.
    found = searcher.search(Query.boolean_query(near), len(serials) + 16).hits
    bonus = {(a.segment_ord, a.doc): score for score, a in found}
    # As tantivy's 32-bit sums, best first, equal scores in index order as tantivy gives them.
    scores = array("f", [s + bonus.get((a.segment_ord, a.doc), 0.0) for s, a in first.hits]).tolist()
    ranked = sorted(
        zip(scores, (a for _, a in first.hits), strict=True),
        key=lambda h: (-h[0], h[1].segment_ord, h[1].doc),
    )[:wanted]
    if count <= len(first.hits):
        return Ranking(ranked, count)  # every match was rescored
    ceiling = first.hits[-1][0] + proximity_bound(searcher, schema, plan.proximity)
    # Scores are 32-bit sums of a few clauses: the margin is far above their rounding.
    if len(ranked) == wanted and ceiling + 1e-3 + 1e-5 * abs(ranked[-1][0]) < ranked[-1][0]:
        return Ranking(ranked, count)
    return None


def proximity_bound(
    searcher: tantivy.Searcher, schema: tantivy.Schema, pairs: Sequence[tuple[str, str]]
) -> float:
    """More than any post's score from the proximity phrases of ``pairs`` (QueryBuilder.proximity)."""
    freqs = {t: searcher.doc_freq(f.FIELD_BODY, t) for pair in pairs for t in pair}
    held = {t: n for t, n in freqs.items() if n}
    if not held:
        return 0.0
    n_docs = (
        bm25_doc_count(searcher, schema, f.FIELD_BODY, min(held, key=held.__getitem__)) or searcher.num_docs
    )
    bound = 0.0
    for a, b in pairs:
        if freqs[a] and freqs[b]:  # a phrase with a word no post holds matches nothing
            bound += (
                WEIGHT_PROXIMITY * (BM25_K1 + 1) * (bm25_idf(n_docs, freqs[a]) + bm25_idf(n_docs, freqs[b]))
            )
    return bound


def bm25_idf(n_docs: int, doc_freq: int) -> float:
    """BM25's inverse document frequency, the same scale tantivy scores terms on."""
    return math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25_doc_count(searcher: tantivy.Searcher, schema: tantivy.Schema, field: str, term: str) -> int | None:
    """The number of documents tantivy's BM25 counts (its N): deleted ones too, until a merge drops them,
    where ``searcher.num_docs`` counts live ones. tantivy-py does not give it, so it is read from the
    explanation of the best score of ``term`` in ``field`` (one lookup, not a pass over every post: a rare
    term is quickest); ``None`` when no post holds the term."""
    stats = _explained(searcher, schema, field, term)
    if stats is None:
        return None
    found = _explained_value(stats, "N, total number of docs")
    return searcher.num_docs if found is None else int(found)


def field_tokens(searcher: tantivy.Searcher, schema: tantivy.Schema, field: str, term: str) -> float | None:
    """About how many terms ``field`` holds over every document: BM25's N times its average field length,
    read as :func:`bm25_doc_count` reads N (``term``, a rare one, must be in some document)."""
    stats = _explained(searcher, schema, field, term)
    if stats is None:
        return None
    n = _explained_value(stats, "N, total number of docs")
    average = _explained_value(stats, "avgdl, average length of field")
    return None if n is None or average is None else n * average


def _explained(searcher: tantivy.Searcher, schema: tantivy.Schema, field: str, term: str) -> Any:
    query = Query.term_query(schema, field, term)
    hits = searcher.search(query, 1, count=False).hits
    return json.loads(query.explain(searcher, hits[0][1]).to_json()) if hits else None


def _explained_value(node: dict[str, Any], description: str) -> float | None:
    if str(node.get("description", "")).startswith(description):
        return float(node["value"])
    for child in node.get("details", ()):
        found = _explained_value(child, description)
        if found is not None:
            return found
    return None


def _date_edge(value: date | datetime | None, tz: ZoneInfo, *, end: bool) -> datetime:
    """One edge of a date filter as a moment FIELD_DATE can hold: a day starts in the site timezone (``end``:
    the next day starts, exclusive), a naive datetime is in it; no edge is the end of what the field holds.
    An edge outside that range is moved to its end, which no post is past (posts.py skips them)."""
    if value is None:
        return f.DATE_MAX if end else f.DATE_MIN
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
    else:
        # Clamped first: 9999-12-31 has no next day to start.
        day = min(max(value, f.DATE_MIN.date()), f.DATE_MAX.date())
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min, tz)
    return min(max(moment, f.DATE_MIN), f.DATE_MAX)


def filter_queries(
    store: Store,
    tags: Iterable[str],
    categories: Iterable[str],
    date_from: date | datetime | None,
    date_to: date | datetime | None,
) -> list[Query]:
    filters: list[Query] = []
    for field, values in ((f.FIELD_TAG, tags), (f.FIELD_CATEGORY, categories)):
        for key in filter(None, map(tag_key, values)):
            filters.append(
                Query.term_query(store.schema, field, key) if f.is_utf8(key) else Query.empty_query()
            )
    tz = ZoneInfo(store.info.site_timezone)
    if date_from is not None or date_to is not None:
        lower = _date_edge(date_from, tz, end=False)
        upper = _date_edge(date_to, tz, end=True)
        filters.append(
            Query.range_query(
                store.schema,
                f.FIELD_DATE,
                tantivy.FieldType.Date,
                lower,
                upper,
                include_lower=True,
                include_upper=False,
            )
        )
    # A filter narrows and never scores: a term query is scored by BM25 like any word, and over a tag field
    # as long as the post's tag list it would rank the posts with the fewest tags first (docs/DESIGN.md,
    # Traps: T36); a range query adds its constant 1 to every score.
    return [Query.const_score_query(q, 0.0) for q in filters]


def _conjunction(must: Sequence[Query], must_not: Sequence[Query]) -> Query:
    clauses = [(Occur.Must, q) for q in must]
    clauses.extend((Occur.MustNot, q) for q in must_not)
    if not must:
        clauses.append((Occur.Must, Query.all_query()))
    return Query.boolean_query(clauses)


def plan_query(
    store: Store,
    searcher: tantivy.Searcher,
    terms: QueryTerms,
    filters: Sequence[Query],
    *,
    relaxed: bool = False,
) -> Plan:
    """Build the ranked query for ``terms`` under ``filters`` (``relaxed``: also related word forms)."""
    if terms.matches_nothing:
        # Text that analyses to nothing (symbols, emoji) matches nothing rather than everything.
        nothing = Query.empty_query()
        return Plan(nothing, nothing, None, (), True, ())
    builder = QueryBuilder(store.schema, searcher)
    # The scored words in query order, so the query (and its scores) do not depend on their rarity.
    order = {w.coarse: i for i, w in enumerate(terms.words)}
    words = sorted(terms.scored, key=lambda w: order[w.coarse])
    exact_queries = _word_queries(builder, terms, words, relaxed=relaxed)
    word_queries = _expanded(builder, terms, words, exact_queries)
    should = _scoring(builder, searcher, terms, words, word_queries)
    pairs = proximity_pairs(terms.words, words) if words else []
    near = builder.proximity(pairs)
    exact_query = None
    exact_bonus = []
    if word_queries is not exact_queries:
        expanded = [q for w, q in zip(words, exact_queries, strict=True) if w.coarse in terms.expansions]
        exact_query = Query.boolean_query([(Occur.Should, q) for q in expanded])
        if len(terms.words) <= KEYWORD_QUERY_MAX_WORDS:
            exact_all = Query.boolean_query([(Occur.Must, q) for q in exact_queries])
            exact_bonus.append(Query.const_score_query(exact_all, EXACT_BONUS))
    must = [q for q in (builder.phrase(a) for a in terms.phrases) if q is not None]
    # An excluded word or compound is excluded where its parts stand together.
    must_not = [q for q in (builder.phrase(a) for a in terms.excluded) if q is not None]
    constraints = [*must, *filters]

    def ranked(clauses: list[Query]) -> Query:
        if not clauses:
            return _conjunction(constraints, must_not)
        return _conjunction(
            [Query.boolean_query([(Occur.Should, q) for q in clauses]), *constraints], must_not
        )

    query = ranked([*should, *near, *exact_bonus])
    # Every scoring-only clause (presence, proximity, all words) matches a subset of the word queries.
    match_query = (
        _conjunction([Query.boolean_query([(Occur.Should, q) for q in word_queries]), *constraints], must_not)
        if word_queries
        else query
    )
    return Plan(
        query,
        match_query,
        _conjunction(constraints, must_not) if constraints or must_not else None,
        _highlight_words(terms, words),
        bool(words or terms.phrases),
        tuple(w.coarse for w in words),
        exact_query,
        ranked([*should, *exact_bonus]) if near else None,
        tuple(pairs),
    )


def _expanded(
    builder: QueryBuilder, terms: QueryTerms, words: Sequence[QueryWord], queries: list[Query]
) -> list[Query]:
    """``queries`` (one per word) with each expanded word also matching its alternatives, at
    WEIGHT_EXPANDED; ``queries`` itself when no word is expanded."""
    if not any(w.coarse in terms.expansions for w in words):
        return queries
    out = []
    for word, query in zip(words, queries, strict=True):
        expansion = terms.expansions.get(word.coarse)
        if expansion is None:
            out.append(query)
            continue
        others = [(Occur.Should, builder.word(a)) for a in expansion.alternatives]
        widened = Query.boost_query(Query.boolean_query(others), WEIGHT_EXPANDED)
        out.append(Query.boolean_query([(Occur.Should, query), (Occur.Should, widened)]))
    return out


def _word_queries(
    builder: QueryBuilder, terms: QueryTerms, words: Sequence[QueryWord], *, relaxed: bool
) -> list[Query]:
    """One query per scored word: the word, its fusions with a neighbour, and (relaxed) related forms."""
    queries = [
        builder.word(w)
        if not terms.fused[w.coarse]
        else Query.boolean_query([(Occur.Should, builder.word(x)) for x in (w, *terms.fused[w.coarse])])
        for w in words
    ]
    if relaxed:
        widened = {w.coarse for w in terms.scored[:MAX_RELAXED_WORDS]}
        stems = [builder.related(w) if w.coarse in widened else None for w in words]
        queries = [
            q if stem is None else Query.boolean_query([(Occur.Should, q), (Occur.Should, stem)])
            for q, stem in zip(queries, stems, strict=True)
        ]
    return queries


def _scoring(
    builder: QueryBuilder,
    searcher: tantivy.Searcher,
    terms: QueryTerms,
    words: Sequence[QueryWord],
    word_queries: Sequence[Query],
) -> list[Query]:
    """The clauses a post scores with: every word, all words together, coverage (proximity is added by
    plan_query)."""
    if not words:
        return []
    should: list[Query] = []
    # A keyword query by what the user typed, even when words of a longer one were left out.
    if len(terms.words) <= KEYWORD_QUERY_MAX_WORDS and len(words) > 1:
        all_words = Query.boolean_query([(Occur.Must, q) for q in word_queries])
        should.append(Query.const_score_query(all_words, ALL_WORDS_BONUS))
    should.extend(word_queries)
    if WEIGHT_PRESENCE and len(words) > 1:
        n_docs = max(1, searcher.num_docs)
        for word, q in zip(words, word_queries, strict=True):
            idf = bm25_idf(n_docs, terms.doc_freq[word.coarse])
            should.append(Query.const_score_query(q, WEIGHT_PRESENCE * idf))
    return should


def _highlight_words(terms: QueryTerms, words: Sequence[QueryWord]) -> tuple[QueryWord, ...]:
    """What hits highlight: the rarest words with their fusions, and each phrase by its opening parts
    (every part is one more lookup per hit)."""
    chosen = sorted(words, key=lambda w: rarity(terms.doc_freq[w.coarse]))[:EXCERPT_WORDS]
    chosen.extend({x.coarse: x for w in chosen for x in terms.fused[w.coarse]}.values())
    chosen.extend(
        a
        for w in list(chosen)
        if w.coarse in terms.expansions
        for a in terms.expansions[w.coarse].alternatives
    )
    for analysis in terms.phrases:
        parts = tuple(t.text for t in analysis.fine[:EXCERPT_PHRASE_PARTS])
        chosen.append(QueryWord(analysis.units[0].coarse.text, parts))
    return tuple(chosen)
