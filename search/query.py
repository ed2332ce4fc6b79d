"""Searching: user text -> analysed words -> tantivy queries -> plain result dataclasses.

Queries are built from analysed terms by our own code, never by tantivy's query parser (STYLE.md P18),
and no tantivy type leaves this module.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import tantivy
from tantivy import Occur
from tantivy import Query

from search import schema as f
from search.analysis import Analysis
from search.analysis import JapaneseAnalyzer
from search.analysis import Unit
from search.analysis import get_analyzer
from search.analysis import tag_key
from search.document import decode_label
from search.document import span_offsets
from search.excerpt import DEFAULT_EXCERPT_CHARS
from search.excerpt import Span
from search.excerpt import build_excerpt
from search.excerpt import highlight
from search.store import Store

SORTS = ("relevance", "date")
# Up to this many keywords a query is a keyword search: posts with every word rank above the rest.
KEYWORD_QUERY_MAX_WORDS = 3
TAG_COUNT_LIMIT = 200

# The work of one request is bounded whatever its shape: the index is served to the public internet,
# where one pasted page or crafted query must not cost as much as hundreds of ordinary searches. What is
# left out is named in SearchPage.ignored.
#
# Distinct content words scored, the rarest first. Natural-language questions have up to ~30.
MAX_QUERY_WORDS = 32
# A disjunction of words costs about the sum of their posting lists, so the words scored may together
# occur in at most this many times as many posts as the index holds. Beyond it the most common words are
# left out; they add the least to the score. At least 3, so a keyword query always keeps every word.
MAX_QUERY_POSTINGS_PER_POST = 3
# Distinct words whose document frequency is looked up at all; the rest are left out unexamined.
MAX_CANDIDATE_WORDS = 4 * MAX_QUERY_WORDS
# "Phrases" (every one must match, so the rarest are kept) and -excluded words (the first ones).
MAX_QUERY_PHRASES = 8
MAX_CANDIDATE_PHRASES = 4 * MAX_QUERY_PHRASES
MAX_EXCLUDED_WORDS = 8
# The zero-hit retry widens this many of the rarest words to forms sharing their kanji stem.
MAX_RELAXED_WORDS = 8
# Hits of one request that get an excerpt cut around their matches, and the query words (the rarest) the
# excerpts and titles highlight. Cutting an excerpt scans the post's stored term offsets once per word,
# which for a long post costs more than the rest of its hit; later hits of a big page carry the post's
# stored summary instead, as a reader rarely looks past the first screens of results.
EXCERPT_HITS = 20
EXCERPT_WORDS = 8
EXCERPT_PHRASE_PARTS = 8

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

_KANJI_STEM_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]+")
_PHRASE_RE = re.compile(r'"([^"]*)"|“([^”]*)”')
_EXCLUDE_RE = re.compile(r"(?:(?<=\s)|^)[-－](\S+)")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """User text split into its parts: free words, "exact phrases" and -excluded words."""

    text: str
    phrases: tuple[str, ...]
    excluded: tuple[str, ...]


def parse_user_query(text: str) -> ParsedQuery:
    """Split ``text`` into free text, ``"exact phrases"`` and ``-excluded`` words.

    Anything else, however odd (unbalanced quotes, ``AND``, ``foo:bar``), is plain text to analyse.
    """
    phrases: list[str] = []

    def take_phrase(m: re.Match[str]) -> str:
        phrase = m.group(1) if m.group(1) is not None else m.group(2)
        if phrase.strip():
            phrases.append(phrase)
        return " "

    rest = _PHRASE_RE.sub(take_phrase, text)
    excluded: list[str] = []

    def take_excluded(m: re.Match[str]) -> str:
        excluded.append(m.group(1))
        return " "

    # Only an ASCII/full-width minus right before a word excludes it; "ー" alone is a long-vowel mark.
    rest = _EXCLUDE_RE.sub(take_excluded, rest)
    rest = rest.replace('"', " ").replace("“", " ").replace("”", " ")
    return ParsedQuery(rest.strip(), tuple(phrases), tuple(excluded))


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. ``excerpt`` and ``title_html`` are escaped HTML with ``<mark>``ed matches."""

    id: str
    url: str
    title: str
    title_html: str
    date: str  # ISO 8601 in the site timezone
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    score: float | None  # None when sorted by date
    excerpt: str

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "title_html": self.title_html,
            "date": self.date,
            "tags": list(self.tags),
            "categories": list(self.categories),
            "score": self.score,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str  # display form
    key: str  # normalised key, the value to filter by
    count: int

    def to_json(self, label: str = "tag") -> dict[str, object]:
        """The JSON shape of one count; ``label`` names the display form ("tag" or "category")."""
        return {label: self.tag, "key": self.key, "count": self.count}


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results plus facts about the whole result set."""

    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: tuple[Hit, ...]
    tags: tuple[TagCount, ...] = ()
    categories: tuple[TagCount, ...] = ()
    words: tuple[str, ...] = field(default=())  # the analysed query words, for display
    relaxed: bool = False  # no post had the exact words; these match related word forms
    # Query words ("phrases", -excluded words) left out to bound the request's work, in query order.
    ignored: tuple[str, ...] = field(default=())

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

    def to_json(self) -> dict[str, object]:
        """The JSON shape shared by ``mikke search --json`` and ``GET /api/search``."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "sort": self.sort,
            "relaxed": self.relaxed,
            "ignored": list(self.ignored),
            "hits": [h.to_json() for h in self.hits],
            "tags": [t.to_json() for t in self.tags],
            "categories": [c.to_json("category") for c in self.categories],
        }


@dataclass(frozen=True, slots=True)
class _Word:
    """A query word: its C term and the A parts that must stand together when it is matched by parts."""

    coarse: str
    parts: tuple[str, ...]


def _words(analysis: Analysis, *, content_only: bool) -> list[_Word]:
    """Every distinct word of ``analysis`` in order of first occurrence."""
    units: Sequence[Unit] = analysis.units
    if content_only:
        content = [u for u in units if not u.coarse.is_function_word]
        units = content or units  # a query of only function words still searches for them
    seen: set[str] = set()
    words: list[_Word] = []
    for u in units:
        if u.coarse.text in seen:
            continue
        seen.add(u.coarse.text)
        words.append(_Word(u.coarse.text, tuple(p.text for p in u.parts)))
    return words


def _fused_neighbours(
    analysis: Analysis, words: Sequence[_Word], searcher: tantivy.Searcher
) -> dict[str, list[str]]:
    """Map each query word to the indexed terms it forms with an adjacent query word.

    Sudachi splits the same string differently in different contexts (``１ヘクトメートル`` gives ヘクト +
    メートル, the title ``ヘクトメートル`` one unit), so a word also matches where it and its neighbour
    were analysed as one unit. Only fusions that occur in the index are kept.
    """
    searched = {w.coarse for w in words}
    fused: dict[str, list[str]] = {}
    tried: set[str] = set()
    for a, b in itertools.pairwise(analysis.units):
        if a.coarse.text not in searched or b.coarse.text not in searched or a.coarse.end != b.coarse.start:
            continue
        term = a.coarse.text + b.coarse.text
        if term in tried or len(tried) >= MAX_QUERY_WORDS:
            continue
        tried.add(term)
        if not any(searcher.doc_freq(field, term) for field, _ in f.TEXT_FIELDS):
            continue
        for word in (a.coarse.text, b.coarse.text):
            if term not in fused.setdefault(word, []):
                fused[word].append(term)
    return fused


class _QueryBuilder:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def _fine(self, fine_field: str, parts: Sequence[str]) -> Query:
        if len(parts) == 1:
            return Query.term_query(self.schema, fine_field, parts[0])
        return Query.phrase_query(self.schema, fine_field, [(i, p) for i, p in enumerate(parts)])

    def word(self, word: _Word) -> Query:
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
                (Occur.Should, Query.boost_query(self._fine(fine_field, word.parts), weight * WEIGHT_FINE))
            )
        return Query.boolean_query(clauses)

    def related(self, word: _Word) -> Query | None:
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
        words = [(t.position - base, t.text) for t in fine]
        clauses: list[tuple[Occur, Query]] = []
        for coarse_field, fine_field in f.TEXT_FIELDS:
            q = (
                Query.term_query(self.schema, fine_field, words[0][1])
                if len(words) == 1
                else Query.phrase_query(self.schema, fine_field, words)
            )
            clauses.append((Occur.Should, Query.boost_query(q, WEIGHT_FIELD[coarse_field])))
        return Query.boolean_query(clauses)

    def proximity(self, words: Sequence[_Word], scored: Iterable[_Word]) -> list[Query]:
        """Sloppy two-word phrases rewarding query words that stand close together in the body.

        tantivy's sloppy phrase keeps word order; pairs follow the query's order. Only pairs of neighbours
        in ``words`` that are both ``scored`` count: leaving a word out does not make its neighbours pair.
        """
        keep = {w.coarse for w in scored}
        queries = []
        for i, a in enumerate(words):
            for b in words[i + 1 : i + 1 + PROXIMITY_WINDOW]:
                if a.coarse not in keep or b.coarse not in keep:
                    continue
                q = Query.phrase_query(
                    self.schema, f.FIELD_BODY, [(0, a.coarse), (1, b.coarse)], slop=PROXIMITY_SLOP
                )
                queries.append(Query.boost_query(q, WEIGHT_PROXIMITY))
        return queries


@dataclass(frozen=True, slots=True)
class _Terms:
    """The user's text analysed and bounded: what is searched for, and what was left out."""

    words: tuple[_Word, ...]  # every distinct content word, in query order
    scored: tuple[_Word, ...]  # those searched for, the rarest first
    doc_freq: dict[str, int]  # of the scored words
    fused: dict[str, list[_Word]]  # scored word -> indexed fusions with a neighbour
    phrases: tuple[Analysis, ...]
    excluded: tuple[Analysis, ...]
    ignored: tuple[str, ...]
    matches_nothing: bool  # text that analyses to nothing (symbols, emoji)


@dataclass(frozen=True, slots=True)
class _Plan:
    query: Query
    # The same documents as ``query`` without its scoring-only clauses, for counting.
    match_query: Query
    # Phrases, filters and exclusions alone; None when there are none.
    constraints: Query | None
    highlight_words: tuple[_Word, ...]
    has_text: bool
    words: tuple[str, ...]


def _idf(n_docs: int, doc_freq: int) -> float:
    """BM25's inverse document frequency, the same scale tantivy scores terms on."""
    return math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def _word_doc_freq(searcher: tantivy.Searcher, word: _Word) -> int:
    df = searcher.doc_freq(f.FIELD_BODY, word.coarse)
    if df or len(word.parts) == 1:
        return df
    # A compound missing as a whole is found through its parts; its rarest part bounds how common it is.
    return min(searcher.doc_freq(f.FIELD_BODY_FINE, p) for p in word.parts)


def _rarity(doc_freq: int) -> tuple[bool, int]:
    """Sort key, most informative first: the rarest words, then words in no body at all (they score
    only where they are in a title or heading)."""
    return (not doc_freq, doc_freq)


def _score_words(searcher: tantivy.Searcher, words: Sequence[_Word]) -> tuple[list[_Word], dict[str, int]]:
    """Choose the words to score: the rarest first, at most MAX_QUERY_WORDS, and together in at most
    MAX_QUERY_POSTINGS_PER_POST times as many posts as the index holds. The rarest word is always kept.
    Ties keep query order (the sort is stable)."""
    candidates = words[:MAX_CANDIDATE_WORDS]
    freq = {w.coarse: _word_doc_freq(searcher, w) for w in candidates}
    budget = MAX_QUERY_POSTINGS_PER_POST * max(1, searcher.num_docs)
    scored: list[_Word] = []
    postings = 0
    for word in sorted(candidates, key=lambda w: _rarity(freq[w.coarse])):
        if len(scored) >= MAX_QUERY_WORDS:
            break
        if scored and postings + freq[word.coarse] > budget:
            continue  # a word in no body still fits
        scored.append(word)
        postings += freq[word.coarse]
    return scored, {w.coarse: freq[w.coarse] for w in scored}


def _phrase_doc_freq(searcher: tantivy.Searcher, analysis: Analysis) -> int:
    """How many posts a phrase can match at most: the document frequency of its rarest part."""
    return min(searcher.doc_freq(f.FIELD_BODY_FINE, t) for t in {t.text for t in analysis.fine})


def _analyse(searcher: tantivy.Searcher, analyzer: JapaneseAnalyzer, text: str) -> _Terms:
    parsed = parse_user_query(text)
    analysis = analyzer.analyze(parsed.text) if parsed.text else None
    words = _words(analysis, content_only=True) if analysis else []
    scored, doc_freq = _score_words(searcher, words)
    kept = {w.coarse for w in scored}
    ignored: dict[str, None] = {w.coarse: None for w in words if w.coarse not in kept}

    # Every phrase must match, so the rarest ones narrow the results most and drive the intersection.
    distinct = list(dict.fromkeys(parsed.phrases))
    candidates = [
        (p, a) for p, a in ((p, analyzer.analyze(p)) for p in distinct[:MAX_CANDIDATE_PHRASES]) if a.units
    ]
    if len(candidates) > MAX_QUERY_PHRASES:
        freq = {p: _phrase_doc_freq(searcher, a) for p, a in candidates}
        chosen = set(sorted(freq, key=lambda p: freq[p])[:MAX_QUERY_PHRASES])  # stable: ties keep order
    else:
        chosen = {p for p, _ in candidates}
    phrases = tuple(a for p, a in candidates if p in chosen)
    # A phrase of only symbols is not searched for either way; it is not reported.
    searchable = {p for p, _ in candidates} | set(distinct[MAX_CANDIDATE_PHRASES:])
    ignored.update((f'"{p}"', None) for p in distinct if p in searchable and p not in chosen)

    excluded: list[Analysis] = []
    for word in dict.fromkeys(parsed.excluded):
        if len(excluded) >= MAX_EXCLUDED_WORDS:
            ignored[f"-{word}"] = None
            continue
        excluded_analysis = analyzer.analyze(word)
        if excluded_analysis.units:
            excluded.append(excluded_analysis)

    fused = _fused_neighbours(analysis, scored, searcher) if analysis and len(scored) > 1 else {}
    return _Terms(
        words=tuple(words),
        scored=tuple(scored),
        doc_freq=doc_freq,
        fused={w.coarse: [_Word(t, (t,)) for t in fused.get(w.coarse, ())] for w in scored},
        phrases=phrases,
        excluded=tuple(excluded),
        ignored=tuple(ignored),
        matches_nothing=bool(parsed.text) and not words and not phrases and not parsed.excluded,
    )


def _local_bounds(value: date | datetime | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = datetime.combine(value, time.min, tz)
    return day + timedelta(days=1) if end else day


def _filters(
    store: Store,
    tags: Iterable[str],
    categories: Iterable[str],
    date_from: date | datetime | None,
    date_to: date | datetime | None,
) -> list[Query]:
    filters: list[Query] = []
    for value in tags:
        key = tag_key(value)
        if key:
            filters.append(Query.term_query(store.schema, f.FIELD_TAG, key))
    for value in categories:
        key = tag_key(value)
        if key:
            filters.append(Query.term_query(store.schema, f.FIELD_CATEGORY, key))
    tz = ZoneInfo(store.info.site_timezone)
    lower = _local_bounds(date_from, tz, end=False)
    upper = _local_bounds(date_to, tz, end=True)
    if lower is not None or upper is not None:
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
    return filters


def _conjunction(must: Sequence[Query], must_not: Sequence[Query]) -> Query:
    clauses = [(Occur.Must, q) for q in must]
    clauses.extend((Occur.MustNot, q) for q in must_not)
    if not must:
        clauses.append((Occur.Must, Query.all_query()))
    return Query.boolean_query(clauses)


def _plan(
    store: Store,
    searcher: tantivy.Searcher,
    terms: _Terms,
    filters: Sequence[Query],
    *,
    relaxed: bool = False,
) -> _Plan:
    builder = _QueryBuilder(store.schema)
    # The scored words in query order, so the query (and its scores) do not depend on their rarity.
    order = {w.coarse: i for i, w in enumerate(terms.words)}
    words = sorted(terms.scored, key=lambda w: order[w.coarse])
    must: list[Query] = []
    should: list[Query] = []
    word_queries: list[Query] = []
    if words:
        word_queries = [
            builder.word(w)
            if not terms.fused[w.coarse]
            else Query.boolean_query([(Occur.Should, builder.word(x)) for x in (w, *terms.fused[w.coarse])])
            for w in words
        ]
        if relaxed:
            widened = {w.coarse for w in terms.scored[:MAX_RELAXED_WORDS]}
            stems = [builder.related(w) if w.coarse in widened else None for w in words]
            word_queries = [
                q if stem is None else Query.boolean_query([(Occur.Should, q), (Occur.Should, stem)])
                for q, stem in zip(word_queries, stems, strict=True)
            ]
        # A keyword query by what the user typed, even when words of a longer one were left out.
        if len(terms.words) <= KEYWORD_QUERY_MAX_WORDS and len(words) > 1:
            all_words = Query.boolean_query([(Occur.Must, q) for q in word_queries])
            should.append(Query.const_score_query(all_words, ALL_WORDS_BONUS))
        should.extend(word_queries)
        if WEIGHT_PRESENCE and len(words) > 1:
            n_docs = max(1, searcher.num_docs)
            for word, q in zip(words, word_queries, strict=True):
                idf = _idf(n_docs, terms.doc_freq[word.coarse])
                should.append(Query.const_score_query(q, WEIGHT_PRESENCE * idf))
        should.extend(builder.proximity(terms.words, words))
    for analysis in terms.phrases:
        q = builder.phrase(analysis)
        if q is not None:
            must.append(q)
    # An excluded word or compound is excluded where its parts stand together.
    must_not = [q for q in (builder.phrase(a) for a in terms.excluded) if q is not None]
    if terms.matches_nothing:
        # Text that analyses to nothing (symbols, emoji) matches nothing rather than everything.
        nothing = Query.empty_query()
        return _Plan(nothing, nothing, None, (), True, ())
    constraints = [*must, *filters]
    query = _conjunction(
        [Query.boolean_query([(Occur.Should, q) for q in should]), *constraints] if should else constraints,
        must_not,
    )
    # Every scoring-only clause (presence, proximity, all words) matches a subset of the word queries.
    match_query = (
        _conjunction([Query.boolean_query([(Occur.Should, q) for q in word_queries]), *constraints], must_not)
        if word_queries
        else query
    )
    highlight_words = sorted(words, key=lambda w: _rarity(terms.doc_freq[w.coarse]))[:EXCERPT_WORDS]
    highlight_words.extend({x.coarse: x for w in highlight_words for x in terms.fused[w.coarse]}.values())
    for analysis in terms.phrases:
        # A long phrase is highlighted by its opening parts: each part is one more scan per hit.
        parts = tuple(t.text for t in analysis.fine[:EXCERPT_PHRASE_PARTS])
        highlight_words.append(_Word(analysis.units[0].coarse.text, parts))
    return _Plan(
        query,
        match_query,
        _conjunction(constraints, must_not) if constraints or must_not else None,
        tuple(highlight_words),
        bool(words or terms.phrases),
        tuple(w.coarse for w in words),
    )


def _match_spans(blob: bytes, words: Sequence[_Word]) -> list[Span]:
    """Find where each query word occurs, from the stored term offsets of one text."""
    spans: list[Span] = []
    for word in words:
        offsets = span_offsets(blob, word.coarse)
        spans.extend(Span(offsets[k], offsets[k + 1], word.coarse) for k in range(0, len(offsets), 2))
        if len(word.parts) == 1:
            if word.parts[0] != word.coarse:
                offsets = span_offsets(blob, word.parts[0])
                spans.extend(Span(offsets[k], offsets[k + 1], word.coarse) for k in range(0, len(offsets), 2))
            continue
        # Parts count only where they stand together, as the phrase query matched them.
        part_offsets = [span_offsets(blob, p) for p in word.parts]
        if not all(part_offsets):
            continue
        nexts = [{o[k]: o[k + 1] for k in range(0, len(o), 2)} for o in part_offsets[1:]]
        first = part_offsets[0]
        for k in range(0, len(first), 2):
            start, end = first[k], first[k + 1]
            for following in nexts:
                nxt = following.get(end)
                if nxt is None:
                    break
                end = nxt
            else:
                spans.append(Span(start, end, word.coarse))
    return spans


def _hit(
    doc: tantivy.Document,
    meta: dict,
    score: float | None,
    words: Sequence[_Word],
    excerpt_chars: int,
    *,
    excerpt: bool,
) -> Hit:
    """One hit; with ``excerpt`` false it carries the post's stored summary and its title unmarked,
    without scanning its stored term offsets."""
    title = doc.get_first(f.FIELD_TITLE) or ""
    if words and excerpt:
        title_spans = _match_spans(doc.get_first(f.FIELD_TITLE_SPANS) or b"", words)
        body_spans = _match_spans(doc.get_first(f.FIELD_BODY_SPANS) or b"", words)
    else:
        title_spans, body_spans = [], []
    if body_spans or not meta.get("excerpt"):
        text = build_excerpt(doc.get_first(f.FIELD_BODY) or "", body_spans, excerpt_chars)
    else:
        text = build_excerpt(meta["excerpt"], [], excerpt_chars)
    return Hit(
        id=doc.get_first(f.FIELD_ID),
        url=meta["url"],
        title=title,
        title_html=highlight(title, title_spans),
        date=meta["date"],
        tags=tuple(meta.get("tags", ())),
        categories=tuple(meta.get("categories", ())),
        score=score,
        excerpt=text,
    )


def _counts(result: dict, name: str) -> tuple[TagCount, ...]:
    by_key: dict[str, tuple[int, dict[str, int]]] = {}
    for bucket in result.get(name, {}).get("buckets", []):
        key, label = decode_label(str(bucket["key"]))
        total, labels = by_key.get(key, (0, {}))
        labels[label] = labels.get(label, 0) + int(bucket["doc_count"])
        # A post lists a key once, so summing the label variants of one key counts posts.
        by_key[key] = (total + int(bucket["doc_count"]), labels)
    counts = [
        TagCount(tag=max(labels.items(), key=lambda kv: (kv[1], kv[0]))[0], key=key, count=total)
        for key, (total, labels) in by_key.items()
    ]
    counts.sort(key=lambda c: (-c.count, c.key))
    return tuple(counts)


def search(
    store: Store,
    text: str = "",
    *,
    tags: Iterable[str] = (),
    categories: Iterable[str] = (),
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 10,
    with_counts: bool = True,
    excerpt_chars: int = DEFAULT_EXCERPT_CHARS,
    analyzer: JapaneseAnalyzer | None = None,
) -> SearchPage:
    """Search the store; the one entry point behind ``mikke search`` and the web API.

    Any ``text`` is accepted: ``"exact phrase"`` and ``-word`` are honoured, everything else is analysed
    as words. Short keyword queries rank posts containing every word first; longer, question-like
    queries rank by overall match. An empty query lists posts newest first. The work is bounded whatever
    the text (see MAX_QUERY_WORDS and the limits after it): words, phrases and exclusions left out are
    listed in :attr:`SearchPage.ignored`, and hits past the first EXCERPT_HITS carry the post's stored
    summary rather than an excerpt cut around their matches.

    :param store: an opened :class:`~search.store.Store`.
    :param text: the user's query.
    :param tags: tag filters (display form or key); a post must carry every one.
    :param categories: category filters, likewise.
    :param date_from: first day (or instant) to include, in the site timezone when naive.
    :param date_to: last day (inclusive) or instant (exclusive).
    :param sort: ``"relevance"`` or ``"date"`` (newest first).
    :param page: 1-based page number; values below 1 mean 1.
    :param per_page: hits per page (0 returns only counts).
    :param with_counts: also count tags and categories over the whole result set.
    :return: a :class:`SearchPage`.
    :raises ValueError: ``sort`` is not one of :data:`SORTS`.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    page = max(1, page)
    per_page = max(0, per_page)
    analyzer = analyzer or get_analyzer()
    searcher = store.searcher()  # one snapshot for hits and counts (STYLE.md P14)
    terms = _analyse(searcher, analyzer, text)
    plan_for = functools.partial(
        _plan, store, searcher, terms, _filters(store, tags, categories, date_from, date_to)
    )
    plan = plan_for(relaxed=False)
    by_date = sort == "date" or not plan.has_text
    offset = (page - 1) * per_page
    limit = max(per_page, 1)

    def run(query: Query) -> tantivy.SearchResult:
        if by_date:
            return searcher.search(query, limit, count=True, order_by_field=f.FIELD_DATE, offset=offset)
        return searcher.search(query, limit, count=True, offset=offset)

    result = run(plan.query)
    relaxed = False
    # Nothing has these exact words: accept other forms sharing their kanji stem before giving up, unless
    # the phrases, filters and exclusions alone already match nothing and the retry cannot help.
    if (
        not result.count
        and plan.words
        and (plan.constraints is None or searcher.search(plan.constraints, 1, count=False).hits)
    ):
        plan = plan_for(relaxed=True)
        result = run(plan.query)
        relaxed = True
    fetched = []
    for score, address in result.hits[:per_page]:
        doc = searcher.doc(address)
        fetched.append((None if by_date else float(score), doc, json.loads(doc.get_first(f.FIELD_META))))
    # Equal scores or dates come back in segment order, which differs between an incremental update and
    # a full rebuild; the post id makes the order the same for both.
    if by_date:
        fetched.sort(key=lambda x: x[1].get_first(f.FIELD_ID))
        fetched.sort(key=lambda x: datetime.fromisoformat(x[2]["date"]), reverse=True)
    else:
        fetched.sort(key=lambda x: (-round(x[0] or 0.0, 4), x[1].get_first(f.FIELD_ID)))
    hits = [
        _hit(doc, meta, score, plan.highlight_words, excerpt_chars, excerpt=rank < EXCERPT_HITS)
        for rank, (score, doc, meta) in enumerate(fetched)
    ]
    total = int(result.count or 0)
    tag_counts: tuple[TagCount, ...] = ()
    category_counts: tuple[TagCount, ...] = ()
    if with_counts and total:
        # When every post matches, counting over all of them skips evaluating the query a second time.
        counted = Query.all_query() if total >= searcher.num_docs else plan.match_query
        agg = searcher.aggregate(
            counted,
            {
                "tags": {"terms": {"field": f.FIELD_TAG_LABEL, "size": TAG_COUNT_LIMIT}},
                "categories": {"terms": {"field": f.FIELD_CATEGORY_LABEL, "size": TAG_COUNT_LIMIT}},
            },
        )
        tag_counts = _counts(agg, "tags")
        category_counts = _counts(agg, "categories")
    return SearchPage(
        query=text,
        total=total,
        page=page,
        per_page=per_page,
        sort="date" if by_date else "relevance",
        hits=tuple(hits),
        tags=tag_counts,
        categories=category_counts,
        words=plan.words,
        relaxed=relaxed and total > 0,
        ignored=terms.ignored,
    )


def all_tags(store: Store) -> tuple[TagCount, ...]:
    """Count every tag over the whole index, most used first."""
    searcher = store.searcher()
    if not searcher.num_docs:
        return ()
    agg = searcher.aggregate(
        Query.all_query(), {"tags": {"terms": {"field": f.FIELD_TAG_LABEL, "size": 65_000}}}
    )
    return _counts(agg, "tags")


@dataclass(frozen=True, slots=True)
class IndexedPost:
    """A post as the index holds it (``mikke list``)."""

    id: str
    url: str
    title: str
    date: str  # ISO 8601 in the site timezone
    tags: tuple[str, ...]
    categories: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.id,
            "url": self.url,
            "title": self.title,
            "date": self.date,
            "tags": list(self.tags),
            "categories": list(self.categories),
        }


def list_posts(store: Store) -> list[IndexedPost]:
    """Return every indexed post, newest first."""
    searcher = store.searcher()
    if not searcher.num_docs:
        return []
    result = searcher.search(Query.all_query(), searcher.num_docs)
    posts = []
    for _, address in result.hits:
        doc = searcher.doc(address)
        meta = json.loads(doc.get_first(f.FIELD_META))
        posts.append(
            IndexedPost(
                id=doc.get_first(f.FIELD_ID),
                url=meta["url"],
                title=doc.get_first(f.FIELD_TITLE) or "",
                date=meta["date"],
                tags=tuple(meta.get("tags", ())),
                categories=tuple(meta.get("categories", ())),
            )
        )
    posts.sort(key=lambda p: p.id)
    posts.sort(key=lambda p: datetime.fromisoformat(p.date), reverse=True)
    return posts


_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> date:
    """Read a day written ``YYYY-MM-DD``, the one form links, the API and the CLI accept.

    ``date.fromisoformat`` alone would also take ``20240501`` and week dates; one form keeps URLs canonical.

    :raises ValueError: with a sentence naming the expected form.
    """
    text = text.strip()
    if _DAY_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise ValueError(f"{shown!r} is not a date like 2024-05-01.")
