"""Did you mean: a query word the IME converted to the wrong kanji (機会学習 for 機械学習) is told apart by
its reading, which the right word shares and the posts use far more often.
"""

from __future__ import annotations

import re

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import Analysis
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.analysis import Unit
from mikke.search.ranking import QueryBuilder
from mikke.search.ranking import Ranking
from mikke.search.readings import Vocabulary
from mikke.search.readings import combinations
from mikke.search.readings import read_as_words
from mikke.search.readings import spelled
from mikke.search.words import QueryTerms
from mikke.search.words import as_word
from mikke.search.words import posts_holding
from mikke.search.words import word_for

# Only short queries are looked at (a reader's keywords, not a pasted question), a few groups of words each.
MAX_CONTENT_WORDS = 4
MAX_GROUPS = 3
# The respelled words must be in at least this many posts, and this many times as many as the words as
# typed, to be suggested.
MIN_POSTS = 2
MIN_RATIO = 3

_KANJI_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")


def _groups(analysis: Analysis, text: str) -> list[tuple[Unit, ...]]:
    """Runs of adjacent nouns with readings, at least one written in kanji: what an IME converts."""
    groups: list[list[Unit]] = []
    last_end = -1
    for unit in analysis.units:
        c = unit.coarse
        if c.is_function_word or not c.reading:
            last_end = -1
            continue
        if groups and c.start == last_end:
            groups[-1].append(unit)
        else:
            groups.append([unit])
        last_end = c.end
    return [tuple(g) for g in groups if any(_KANJI_RE.search(text[u.coarse.start : u.coarse.end]) for u in g)]


def _posts(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    return Ranking.of(searcher.search(query, 1, count=True)).count


def did_you_mean(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    analyzer: JapaneseAnalyzer,
    text: str,
    vocab: Vocabulary,
    terms: QueryTerms,
) -> str | None:
    """The query respelled by reading, or ``None``.

    A run of nouns (機会学習: 機会 + 学習) reads as words of the index (キカイガクシュウ: 機械学習);
    when those stand together in at least MIN_RATIO times as many posts as the words as typed, the
    query with them in their place is suggested. A single word is respelled only when no post
    holds it, since a rare word is often meant (精製 is not a slip for 生成).
    """
    free, analysis = terms.text, terms.analysis
    if analysis is None or not _KANJI_RE.search(free):
        return None
    if sum(1 for u in analysis.units if not u.coarse.is_function_word) > MAX_CONTENT_WORDS:
        return None
    builder = QueryBuilder(schema, searcher)
    suggestion = text
    changed = False
    for group in _groups(analysis, free)[:MAX_GROUPS]:
        typed = free[group[0].coarse.start : group[-1].coarse.end]
        match = read_as_words(vocab, "".join(u.coarse.reading for u in group))
        if match is None:
            continue
        respelled = spelled(combinations(match, 1)[0])
        original = as_word(Analysis(group))
        alternative = word_for(analyzer, respelled)
        if original is None or alternative is None or alternative.coarse == original.coarse:
            continue
        if len(group) == 1 and any(
            posts_holding(searcher, field, original.coarse) for field, _ in f.TEXT_FIELDS
        ):
            continue
        typed_posts = _posts(searcher, builder.word(original))
        if len(group) == 1 and typed_posts:
            continue
        if _posts(searcher, builder.word(alternative)) < max(MIN_POSTS, MIN_RATIO * typed_posts):
            continue
        suggestion = suggestion.replace(typed, respelled, 1)
        changed = True
    return suggestion if changed else None
