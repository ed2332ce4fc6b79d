"""Which words of a query are searched for: analysed once, bounded, the most informative kept.

The work of one request is bounded whatever its text: the index is served to the public internet, where one
pasted page or crafted query must not cost as much as hundreds of ordinary searches. What is left out is
named in ``SearchPage.ignored``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import Analysis
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.analysis import Unit
from mikke.search.syntax import parse_user_query

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


@dataclass(frozen=True, slots=True)
class QueryWord:
    """A query word: its C term and the A parts that must stand together when it is matched by parts."""

    coarse: str
    parts: tuple[str, ...]


def query_words(analysis: Analysis) -> list[QueryWord]:
    """Every distinct content word of ``analysis`` in order of first occurrence (function words only when
    the query has nothing else)."""
    content: Sequence[Unit] = [u for u in analysis.units if not u.coarse.is_function_word]
    units = content or analysis.units  # a query of only function words still searches for them
    seen: set[str] = set()
    words: list[QueryWord] = []
    for u in units:
        if u.coarse.text in seen:
            continue
        seen.add(u.coarse.text)
        words.append(QueryWord(u.coarse.text, tuple(p.text for p in u.parts)))
    return words


def fused_neighbours(
    analysis: Analysis, words: Sequence[QueryWord], searcher: tantivy.Searcher
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


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The user's text analysed and bounded: what is searched for, and what was left out."""

    words: tuple[QueryWord, ...]  # every distinct content word, in query order
    scored: tuple[QueryWord, ...]  # those searched for, the rarest first
    doc_freq: dict[str, int]  # of the scored words
    fused: dict[str, list[QueryWord]]  # scored word -> indexed fusions with a neighbour
    phrases: tuple[Analysis, ...]
    excluded: tuple[Analysis, ...]
    ignored: tuple[str, ...]
    matches_nothing: bool  # text that analyses to nothing (symbols, emoji)
    sequence: tuple[str, ...] = ()  # every token of the text outside phrases, in order (search/overlap.py)
    # Written as a sentence (it has particles or other function words), not as keywords.
    sentence: bool = False


def _word_doc_freq(searcher: tantivy.Searcher, word: QueryWord) -> int:
    df = searcher.doc_freq(f.FIELD_BODY, word.coarse)
    if df or len(word.parts) == 1:
        return df
    # A compound missing as a whole is found through its parts; its rarest part bounds how common it is.
    return min(searcher.doc_freq(f.FIELD_BODY_FINE, p) for p in word.parts)


def rarity(doc_freq: int) -> tuple[bool, int]:
    """Sort key, most informative first: the rarest words, then words in no body at all (they score
    only where they are in a title or heading)."""
    return (not doc_freq, doc_freq)


def _score_words(
    searcher: tantivy.Searcher, words: Sequence[QueryWord]
) -> tuple[list[QueryWord], dict[str, int]]:
    """Choose the words to score: the rarest first, at most MAX_QUERY_WORDS, and together in at most
    MAX_QUERY_POSTINGS_PER_POST times as many posts as the index holds. The rarest word is always kept.
    Ties keep query order (the sort is stable)."""
    candidates = words[:MAX_CANDIDATE_WORDS]
    freq = {w.coarse: _word_doc_freq(searcher, w) for w in candidates}
    budget = MAX_QUERY_POSTINGS_PER_POST * max(1, searcher.num_docs)
    scored: list[QueryWord] = []
    postings = 0
    for word in sorted(candidates, key=lambda w: rarity(freq[w.coarse])):
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


def analyse_query(searcher: tantivy.Searcher, analyzer: JapaneseAnalyzer, text: str) -> QueryTerms:
    parsed = parse_user_query(text)
    analysis = analyzer.analyze(parsed.text) if parsed.text else None
    words = query_words(analysis) if analysis else []
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

    fused = fused_neighbours(analysis, scored, searcher) if analysis and len(scored) > 1 else {}
    return QueryTerms(
        words=tuple(words),
        scored=tuple(scored),
        doc_freq=doc_freq,
        fused={w.coarse: [QueryWord(t, (t,)) for t in fused.get(w.coarse, ())] for w in scored},
        phrases=phrases,
        excluded=tuple(excluded),
        ignored=tuple(ignored),
        matches_nothing=bool(parsed.text) and not words and not phrases and not parsed.excluded,
        sequence=tuple(unit.coarse.text for unit in analysis.units) if analysis else (),
        sentence=analysis is not None and any(unit.coarse.is_function_word for unit in analysis.units),
    )
