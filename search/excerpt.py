"""Excerpts: the best window of a post's clean text around its matched terms, as escaped HTML with <mark>.

Pure functions on text and code-point spans, as pagefind's excerpt.ts; no tantivy, no Sudachi (DESIGN.md T9).
"""

from __future__ import annotations

import bisect
import html
import operator
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_EXCERPT_CHARS = 120
# How far past the window an edge may move to land on a sentence or line boundary.
_BOUNDARY_SLACK = 24
_SENTENCE_ENDS = "。！？!?"
_ELLIPSIS = "…"
# Where an excerpt runs from one block (a heading, a paragraph, a list item) into the next: a heading stays
# a unit of its own instead of reading as the start of the sentence after it.
BLOCK_BREAK = " ／ "


class Span(NamedTuple):
    """A matched surface ``text[start:end]`` (code points) and which query word it matched (a tuple: a
    long post's hits make thousands)."""

    start: int
    end: int
    key: str = ""


_START = operator.itemgetter(0)
_END = operator.itemgetter(1)
_KEY = operator.itemgetter(2)


def _best_cluster(spans: Sequence[Span], width: int) -> tuple[int, int]:
    """Return indices ``i..j`` of the window of at most ``width`` chars holding the most distinct words.

    Ties go to more matches, then to the earliest window. ``spans`` are sorted and disjoint
    (:func:`merge_spans`), so they also end in order.
    """
    starts = list(map(_START, spans))
    keys = list(map(_KEY, spans))
    best = (0, 0)
    i = 0
    if len(set(keys)) == 1:  # one word (most queries): only the number of matches counts
        most = -1
        for j, end in enumerate(map(_END, spans)):
            cutoff = end - width
            while starts[i] < cutoff and i < j:
                i += 1
            if j - i > most:
                most, best = j - i, (i, j)
        return best
    best_score = (-1, -1)
    counts: dict[str, int] = {}
    for j, end in enumerate(map(_END, spans)):
        key = keys[j]
        counts[key] = counts.get(key, 0) + 1
        cutoff = end - width
        while starts[i] < cutoff and i < j:
            k = keys[i]
            counts[k] -= 1
            if not counts[k]:
                del counts[k]
            i += 1
        score = (len(counts), j - i)
        if score > best_score:
            best_score, best = score, (i, j)
    return best


# Word boundaries (code-point offsets) of a short piece of text, from the analyser: where an excerpt that
# cannot end at a sentence may end without cutting a word.
WordBoundaries = Callable[[str], Sequence[int]]
# How much text around a cut point is analysed to find a word boundary.
_WORD_WINDOW = 16


def _is_break(text: str, k: int) -> bool:
    """Whether ``k`` is just after a sentence end or at a line start."""
    return k == 0 or text[k - 1] in _SENTENCE_ENDS or text[k - 1] == "\n"


def _word_boundary(text: str, at: int, lo: int, hi: int, words: WordBoundaries | None) -> int:
    """The word boundary in ``[lo, hi]`` nearest to ``at`` (``at`` itself without an analyser)."""
    if words is None:
        return at
    start = max(lo, at - _WORD_WINDOW)
    end = min(hi, at + _WORD_WINDOW)
    candidates = [start + b for b in words(text[start:end]) if 0 < b < end - start]
    candidates += [k for k in (lo, hi) if start <= k <= end]
    return min(candidates, key=lambda k: (abs(k - at), k), default=at)


def _snap_start(text: str, start: int, limit: int, words: WordBoundaries | None) -> int:
    """Move ``start`` to just after a nearby sentence end (left first, then right up to ``limit``), else
    to a word boundary."""
    if start <= 0:
        return 0
    lo = max(0, start - _BOUNDARY_SLACK)
    for k in range(start, lo - 1, -1):
        if _is_break(text, k):
            return k
    for k in range(start, min(limit, start + _BOUNDARY_SLACK)):
        if _is_break(text, k):
            return k
    return _word_boundary(text, start, lo, limit, words)


def _snap_end(text: str, end: int, floor: int, words: WordBoundaries | None) -> int:
    """Move ``end`` to just after a nearby sentence end or to a line end, never before ``floor``, else to
    a word boundary."""
    n = len(text)
    if end >= n:
        return n
    for k in range(end, min(n, end + _BOUNDARY_SLACK)):
        if text[k] == "\n":
            return k
        if text[k] in _SENTENCE_ENDS:
            return k + 1
    for k in range(end, max(floor, end - _BOUNDARY_SLACK), -1):
        if text[k - 1] in _SENTENCE_ENDS or text[k] == "\n":
            return k
    return _word_boundary(text, end, floor, min(n, end + _BOUNDARY_SLACK), words)


_NEEDS_ESCAPE_RE = re.compile(r"[&<>\"']")


def _escape(text: str) -> str:
    return html.escape(text) if _NEEDS_ESCAPE_RE.search(text) else text


# How far a mark or an edge moves to take in the rest of a grapheme cluster; a piece reaches _EDGE_READ
# past the window, so the move reads the same characters on the piece as on the whole text.
_CLUSTER_REACH = 8


def _extends(ch: str) -> bool:
    """Whether ``ch`` belongs with the character before it (a combining mark, a variation selector, a
    joiner, a skin tone, a half-width voiced sound mark): no mark or edge goes between them."""
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U000e0100" <= ch <= "\U000e01ef"
        or ch in "\u200d\uff9e\uff9f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
    )


def _cluster_start(text: str, k: int, floor: int) -> int:
    """``k`` moved back to the start of the grapheme cluster it is inside, not before ``floor``."""
    lowest = max(floor, k - _CLUSTER_REACH)
    while k > lowest and k < len(text) and _extends(text[k]):
        k -= 1
    return k


def _cluster_end(text: str, k: int, ceiling: int) -> int:
    """``k`` moved on to the end of the grapheme cluster it is inside, not past ``ceiling``."""
    highest = min(ceiling, k + _CLUSTER_REACH)
    while k < highest and _extends(text[k]):
        k += 1
    return k


def _render(text: str, start: int, end: int, spans: Sequence[Span]) -> str:
    parts: list[str] = []
    pos = start
    for span in spans:
        # A mark holds whole clusters: a term Sudachi cut before a combining mark takes the mark in.
        s = _cluster_start(text, max(span.start, pos), pos)
        e = _cluster_end(text, min(span.end, end), end)
        if e <= s:
            continue
        parts.append(_escape(text[pos:s]))
        parts.append(f"<mark>{_escape(text[s:e])}</mark>")
        pos = e
    parts.append(_escape(text[pos:end]))
    return "".join(parts).replace("\n", BLOCK_BREAK)


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sort spans and merge overlapping ones (keeping the first one's key)."""
    # By start, the longest first: two stable sorts by C key functions (a Python key costs more than the
    # rest of this function on a long post's hundreds of matches).
    ordered = sorted(spans, key=_END, reverse=True)
    ordered.sort(key=_START)
    if _disjoint(ordered):  # the usual case, checked in C: nothing to merge
        return ordered
    merged: list[Span] = []
    for span in ordered:
        if span.end <= span.start:
            continue
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.key)
            continue
        merged.append(span)
    return merged


def _disjoint(ordered: Sequence[Span]) -> bool:
    """Whether spans sorted by start are each non-empty and end before (or where) the next starts."""
    starts = list(map(_START, ordered))
    ends = list(map(_END, ordered))
    return all(map(operator.lt, starts, ends)) and all(map(operator.le, ends, starts[1:]))


def highlight(text: str, spans: Sequence[Span]) -> str:
    """Return all of ``text`` HTML-escaped, with ``<mark>`` around each span."""
    return _render(text, 0, len(text), merge_spans(spans))


@dataclass(frozen=True, slots=True)
class ExcerptPlan:
    """Where an excerpt goes, found from the matches alone: the text is read only for its ``needed``
    range (edges move at most _BOUNDARY_SLACK to a boundary, reading a few characters around them)."""

    max_chars: int
    merged: list[Span]  # the matches, sorted and merged
    cluster: tuple[int, int]  # where the densest cluster of matches starts and ends
    window: tuple[int, int]  # the window before its edges move to boundaries
    needed: tuple[int, int]  # the code points of the text the excerpt reads


# Past a window's edge, how much text moving it to a boundary reads (slack, the word-boundary window and
# the character before a cut): a piece this much wider than the window always holds what is read.
_EDGE_READ = _BOUNDARY_SLACK + _WORD_WINDOW + 8


def plan_excerpt(spans: Sequence[Span], max_chars: int, length: int) -> ExcerptPlan:
    """Choose the window of about ``max_chars`` of a text of ``length`` code points around ``spans``."""
    merged = merge_spans([s for s in spans if 0 <= s.start < s.end <= length])
    if not merged:
        window = (0, min(length, max_chars))
        cluster = (max_chars // 2, max_chars // 2)
    else:
        i, j = _best_cluster(merged, max_chars)
        c_start, c_end = merged[i].start, merged[j].end
        spare = max(0, max_chars - (c_end - c_start))
        start = max(0, c_start - spare // 3)  # more context after the first match than before it
        end = min(length, max(c_end, start + max_chars))
        window = (max(0, min(start, end - max_chars)), end)
        cluster = (c_start, c_end)
    needed = (max(0, window[0] - _EDGE_READ), min(length, window[1] + _EDGE_READ))
    return ExcerptPlan(max_chars, merged, cluster, window, needed)


def render_excerpt(
    piece: str, plan: ExcerptPlan, words: WordBoundaries | None = None, *, offset: int = 0
) -> str:
    """The excerpt ``plan`` chose, cut from ``piece``: the text's code points from ``offset`` on, at least
    ``plan.needed`` of them (the whole text, or only that range).

    Its edges move to nearby sentence or line boundaries, else to word boundaries (``words``: where words
    begin and end in a short text), so no word is cut. Text is HTML-escaped, each match is wrapped in
    ``<mark>``, and "…" marks cut ends.
    """
    if not piece:
        return ""
    # In the piece's own offsets: the piece reaches at least _EDGE_READ past the window on each side (or
    # the text's own ends), so every rule below reads the same characters as on the whole text.
    text = piece
    window = (plan.window[0] - offset, plan.window[1] - offset)
    c_start, c_end = plan.cluster[0] - offset, plan.cluster[1] - offset
    if not plan.merged:
        end = _cluster_end(text, _snap_end(text, window[1], c_end, words), len(text))
        return _render(text, 0, end, []).strip() + (_ELLIPSIS if _cut_after(text, end) else "")
    start = _cluster_start(text, _snap_start(text, window[0], c_start, words), 0)
    end = _cluster_end(text, _snap_end(text, window[1], c_end, words), len(text))
    # Only the matches that reach into the rendered range: merged spans are sorted and disjoint, so they
    # end in order too, and a long post's hundreds of others are never looked at.
    first = bisect.bisect_right(plan.merged, offset + start, key=_END)
    last = bisect.bisect_left(plan.merged, offset + end, lo=first, key=_START)
    merged = [Span(m.start - offset, m.end - offset, m.key) for m in plan.merged[first:last]]
    body = _render(text, start, end, merged)
    prefix = _ELLIPSIS if not _is_break(text, start) else ""
    suffix = _ELLIPSIS if _cut_after(text, end) else ""
    return prefix + body.strip() + suffix


def build_excerpt(
    text: str,
    spans: Sequence[Span],
    max_chars: int = DEFAULT_EXCERPT_CHARS,
    words: WordBoundaries | None = None,
) -> str:
    """Cut about ``max_chars`` characters of ``text`` around the densest cluster of matches.

    The window is the one covering the most distinct query words (then the most matches), widened evenly
    to ``max_chars``, with its edges moved to nearby sentence or line boundaries. Text is HTML-escaped
    and each match is wrapped in ``<mark>``; "…" marks cut ends. (:func:`plan_excerpt` then
    :func:`render_excerpt`, for a text held whole.)

    :param text: the post's clean text.
    :param spans: matches as code-point spans into ``text`` (any order, may overlap).
    :param max_chars: target excerpt length in characters.
    :param words: where words begin and end in a short text; an edge that cannot land on a sentence or
        line boundary lands on a word boundary, so no word is cut.
    :return: an HTML fragment safe to insert into a page.
    """
    return render_excerpt(text, plan_excerpt(spans, max_chars, len(text)), words)


def _cut_after(text: str, end: int) -> bool:
    """Whether text goes on after ``end`` within the same sentence (an ellipsis says so)."""
    return end < len(text) and text[end] != "\n" and (end == 0 or text[end - 1] not in _SENTENCE_ENDS)
