"""Suggestions while typing: words of the index that start with what the reader has typed so far, by
spelling or by reading (じんこう -> 人工知能), with how many posts hold each.

Candidates are the nouns of titles and headings, the frequent nouns of the bodies (the vocabulary of
search/readings.py) and the tags; they are sorted once per index version, so a request is two binary
searches and a scan bounded by MAX_SCANNED.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from mikke.search.readings import Vocabulary
from mikke.search.readings import to_katakana
from mikke.search.results import Suggestion
from mikke.search.results import Suggestions
from mikke.search.results import TagCount

MAX_SUGGESTIONS = 10
# A body word is suggested when at least this many posts hold it (title and heading words always are).
MIN_BODY_POSTS = 3
# Longer prefixes than this find nothing (no word of a blog is that long), and at most this many
# candidates of a prefix are compared: a one-character prefix matches thousands.
MAX_PREFIX_CHARS = 40
MAX_SCANNED = 5_000


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    count: int


class SuggestionIndex:
    """Every candidate under its spelling and its reading, sorted for prefix lookups."""

    def __init__(self, vocab: Vocabulary, tags: tuple[TagCount, ...]) -> None:
        best: dict[str, tuple[_Candidate, set[str]]] = {}  # spelling key -> candidate, readings
        for reading, entries in vocab.by_reading.items():
            for e in entries:
                if not e.in_titles and e.posts < MIN_BODY_POSTS:
                    continue
                key = _key(e.spelling)
                known = best.get(key)
                if known is None or known[0].count < e.posts:
                    best[key] = (_Candidate(e.spelling, e.posts), (known[1] if known else set()) | {reading})
                else:
                    known[1].add(reading)
        for tag in tags:
            key = _key(tag.tag)
            known = best.get(key)
            if known is None or known[0].count < tag.count:
                best[key] = (_Candidate(tag.tag, tag.count), known[1] if known else set())
        self._candidates = [c for c, _ in best.values()]
        by_spelling = [(key, n) for n, key in enumerate(best)]
        by_reading = [(r, n) for n, (_, readings) in enumerate(best.values()) for r in readings]
        by_spelling.sort()
        by_reading.sort()
        self._spellings = by_spelling
        self._readings = by_reading

    def _matching(self, keys: list[tuple[str, int]], prefix: str) -> list[int]:
        start = bisect.bisect_left(keys, (prefix, -1))
        out = []
        for key, n in keys[start : start + MAX_SCANNED]:
            if not key.startswith(prefix):
                break
            out.append(n)
        return out

    def lookup(self, prefix: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """Up to ``limit`` candidates whose spelling or reading starts with ``prefix``, most posts first."""
        text = _key(prefix).strip()
        if not text or len(text) > MAX_PREFIX_CHARS:
            return []
        found = set(self._matching(self._spellings, text))
        reading = to_katakana(text)
        if all("\u30a1" <= ch <= "\u30fa" or ch == "ー" for ch in reading):
            found.update(self._matching(self._readings, reading))
        chosen = heapq.nsmallest(
            limit,
            found,
            key=lambda n: (
                -self._candidates[n].count,
                -len(self._candidates[n].text),
                self._candidates[n].text,
            ),
        )
        return [Suggestion(self._candidates[n].text, self._candidates[n].count) for n in chosen]


_indexes: dict[int, tuple[object, SuggestionIndex]] = {}
_lock = threading.Lock()


def suggestion_index(
    store_id: int, vocab: Vocabulary, tags: Callable[[], tuple[TagCount, ...]]
) -> SuggestionIndex:
    """The suggestion index of a store's vocabulary (built once per vocabulary, that is per version,
    with the ``tags`` counted then)."""
    cached = _indexes.get(store_id)
    if cached is not None and cached[0] is vocab:
        return cached[1]
    with _lock:
        cached = _indexes.get(store_id)
        if cached is not None and cached[0] is vocab:
            return cached[1]
        index = SuggestionIndex(vocab, tags())
        _indexes[store_id] = (vocab, index)
        return index


def make_suggestions(query: str, index: SuggestionIndex, limit: int = MAX_SUGGESTIONS) -> Suggestions:
    return Suggestions(query=query, suggestions=tuple(index.lookup(query, limit)))
