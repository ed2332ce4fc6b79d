"""The stored document format, in one place: an analysed post becomes a tantivy document, and a fetched
document becomes a hit, a listed post, a manifest entry or tag counts again.

Every compound value (the manifest entry, tag labels, term spans) round-trips any ``str``, control
characters included. search/schema.py names the fields; this module decides what goes in them.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import struct
import sys
from array import array
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Protocol
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import INLINE_SPACES
from mikke.search.analysis import NAME_JOINERS
from mikke.search.analysis import Terms
from mikke.search.analysis import get_analyzer
from mikke.search.analysis import tag_key
from mikke.search.excerpt import Span
from mikke.search.excerpt import build_excerpt
from mikke.search.excerpt import highlight
from mikke.search.excerpt import plan_excerpt
from mikke.search.excerpt import render_excerpt
from mikke.search.posts import Post
from mikke.search.results import Hit
from mikke.search.results import IndexedPost
from mikke.search.results import Section
from mikke.search.results import TagCount
from mikke.search.words import QueryWord


class UnreadableValue(ValueError):
    """A stored value is not in the form this version of mikke writes."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What the index remembers of an indexed post: enough to skip it and to settle URL collisions."""

    id: str
    source_hash: str
    url: str
    date: datetime


def encode_manifest_entry(entry: ManifestEntry) -> str:
    """Write ``entry`` as a JSON array: any path, URL or date text survives unchanged."""
    return json.dumps([entry.id, entry.source_hash, entry.url, entry.date.isoformat()], ensure_ascii=False)


def decode_manifest_entry(value: str) -> ManifestEntry:
    """Read back what :func:`encode_manifest_entry` wrote.

    :raises UnreadableValue: ``value`` is not such an entry.
    """
    try:
        data = json.loads(value)
        if not (isinstance(data, list) and len(data) == 4 and all(isinstance(x, str) for x in data)):
            raise ValueError("not a list of four strings")
        return ManifestEntry(data[0], data[1], data[2], datetime.fromisoformat(data[3]))
    except ValueError as e:
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise UnreadableValue(f"manifest entry {shown!r} cannot be read ({e})") from None


def encode_label(key: str, label: str) -> str:
    """Write a tag's (or category's) filter key with its display form, as one JSON array."""
    return json.dumps([key, label], ensure_ascii=False)


# Labels decoded and remembered: every search reads up to two hundred of each kind back, the same ones.
LABEL_CACHE_SIZE = 65_536


@functools.lru_cache(maxsize=LABEL_CACHE_SIZE)
def decode_label(value: str) -> tuple[str, str]:
    """Read back ``(key, label)`` from :func:`encode_label`.

    :raises UnreadableValue: ``value`` is not such a pair.
    """
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(x, str) for x in data)):
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise UnreadableValue(f"tag label {shown!r} cannot be read")
    return data[0], data[1]


# Term spans: the terms one per line, sorted, after a small directory of every SPAN_BLOCK_LINES-th term and
# where its block starts; then, in binary, where each term's offsets start, and the offsets themselves
# (little-endian uint32 code points, start, end, start, end, ...). A lookup reads the directory, then searches
# one block of lines: its cost does not grow with the length of the post. Offsets are binary because
# writing millions of numbers as text was a tenth of a full build. "\t", "\n" and "\" inside a term are
# escaped so the line structure holds for any term; a lookup escapes its term the same way.
SPAN_BLOCK_LINES = 32
_SPAN_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n"}
_HEADER_DIGITS = 8  # each size (directory and lines in bytes, terms), in hex, at the start of a blob
_OFFSET_BYTES = 4  # enough for any post: files are at most 8 MB
_OFFSET = next(code for code in "IL" if array(code).itemsize == _OFFSET_BYTES)  # its array typecode


def _escape_term(term: str) -> bytes:
    if "\\" in term or "\t" in term or "\n" in term:
        term = "".join(_SPAN_ESCAPES.get(ch, ch) for ch in term)
    return term.encode("utf-8")


def _little_endian(values: array[int]) -> array[int]:
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _needs_escapes(joined: str, count: int) -> bool:
    """Whether one of ``count`` terms joined by line breaks holds a character :func:`_escape_term` escapes."""
    return "\\" in joined or "\t" in joined or joined.count("\n") != count - 1


def _lookup_order(terms: Iterable[str]) -> list[str]:
    """``terms`` in the order lookups bisect in: by the escaped term (not the whole line). Without a term to
    escape (the usual case) that is the order of the text itself: UTF-8 sorts as code points do."""
    ordered = sorted(terms)
    if _needs_escapes("\n".join(ordered), len(ordered)):
        ordered.sort(key=_escape_term)
    return ordered


def encode_spans(spans: Iterable[tuple[str, Sequence[int]]]) -> bytes:
    """Encode where each term occurs: ``(term, [start, end, start, end, ...])`` pairs in code points."""
    table = dict(spans)
    return _encode_ordered(_lookup_order(table), table)


def _encode_ordered(terms: list[str], table: Mapping[str, Sequence[int]]) -> bytes:
    """:func:`encode_spans` of ``terms`` (already in lookup order) with their offsets in ``table``."""
    if _needs_escapes("\n".join(terms), len(terms)):
        keys = [_escape_term(term) for term in terms]
        blocks = [b"\n".join(keys[n : n + SPAN_BLOCK_LINES]) for n in range(0, len(keys), SPAN_BLOCK_LINES)]
    else:  # one encoding per block of lines rather than per term
        blocks = [
            "\n".join(terms[n : n + SPAN_BLOCK_LINES]).encode("utf-8")
            for n in range(0, len(terms), SPAN_BLOCK_LINES)
        ]
    # Where each block's first line starts (at the line break before it).
    block_starts = (
        itertools.accumulate((len(block) + 1 for block in blocks[:-1]), initial=0) if blocks else ()
    )
    directory = [(terms[n * SPAN_BLOCK_LINES], start) for n, start in enumerate(block_starts)]
    header = json.dumps(directory, ensure_ascii=False).encode("utf-8")
    lines = b"\n" + b"\n".join(blocks) + b"\n" if blocks else b"\n"
    lists = [table[term] for term in terms]
    # Where each term's offsets start, and where the last one's end.
    firsts = array(_OFFSET, list(itertools.accumulate(map(len, lists), initial=0)))
    offsets = array(_OFFSET)
    offsets.fromlist(list(itertools.chain.from_iterable(lists)))
    sizes = (len(header), len(lines), len(terms))
    return b"".join(
        (
            "".join(f"{size:0{_HEADER_DIGITS}x}" for size in sizes).encode(),
            header,
            lines,
            _little_endian(firsts).tobytes(),
            _little_endian(offsets).tobytes(),
        )
    )


class SpanIndex:
    """The spans of one text, ready for lookups: the directory is read once, lines only when asked for."""

    __slots__ = ("_blob", "_first", "_firsts", "_lines_end", "_offsets", "_starts", "_terms")

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._terms: list[bytes] = []
        self._starts: list[int] = []
        self._lines_end = self._firsts = self._offsets = 0
        self._first = ""
        sizes = 3 * _HEADER_DIGITS
        if len(blob) > sizes:
            header, lines, terms = (
                int(blob[k : k + _HEADER_DIGITS], 16) for k in range(0, sizes, _HEADER_DIGITS)
            )
            self._lines_end = self._firsts = sizes + header + lines
            self._offsets = self._firsts + (terms + 1) * _OFFSET_BYTES
            directory = json.loads(blob[sizes : sizes + header])
            self._first = directory[0][0] if directory else ""
            for term, start in directory:
                self._terms.append(_escape_term(term))
                self._starts.append(sizes + header + start)

    def first_term(self) -> str:
        """The first term of the blob in lookup order (``""``: it holds none)."""
        return self._first

    def offsets(self, term: str) -> list[int]:
        """The ``[start, end, start, end, ...]`` offsets stored for ``term`` (none: ``[]``)."""
        key = _escape_term(term)
        block = bisect.bisect_right(self._terms, key) - 1
        if block < 0:
            return []
        begin = self._starts[block]
        end = self._starts[block + 1] + 1 if block + 1 < len(self._starts) else self._lines_end
        at = self._blob.find(b"\n" + key + b"\n", begin, end)
        if at < 0:
            return []
        n = block * SPAN_BLOCK_LINES + self._blob.count(b"\n", begin, at)  # the term's line number
        first, last = struct.unpack_from("<2I", self._blob, self._firsts + n * _OFFSET_BYTES)
        span = self._blob[self._offsets + first * _OFFSET_BYTES : self._offsets + last * _OFFSET_BYTES]
        return _little_endian(array(_OFFSET, span)).tolist()


def span_offsets(blob: bytes, term: str) -> list[int]:
    """Return the offsets stored for ``term`` in ``blob`` (one lookup; see :class:`SpanIndex`)."""
    return SpanIndex(blob).offsets(term)


# Occurrences of one term kept for highlighting, the first in the text: a word repeated thousands of times
# through a huge post costs its hits and its stored offsets no more than this (its excerpt then comes from
# where the word first gathers).
MAX_EXCERPT_OCCURRENCES = 200
# A long text's offsets are stored in shards of about this many bytes, each a span blob of consecutive
# terms: a lookup reads the shard that holds its term, so its cost does not grow with the post's length.
SPAN_SHARD_BYTES = 8192


def encode_span_shards(spans: Iterable[tuple[str, Sequence[int]]]) -> list[bytes]:
    """Encode where each term occurs (at most MAX_EXCERPT_OCCURRENCES times) as span blobs of consecutive
    terms in lookup order, each about SPAN_SHARD_BYTES; the first shard of an empty text is empty."""
    limit = 2 * MAX_EXCERPT_OCCURRENCES
    # The lists themselves, only the few longer than the limit cut: copying every list cost a tenth of this.
    table = dict(spans)
    shards: list[bytes] = []
    shard: list[str] = []
    size = 0
    for term in _lookup_order(table):
        shard.append(term)
        offsets = table[term]
        if len(offsets) > limit:
            offsets = table[term] = offsets[:limit]
        size += len(term) + 1 + _OFFSET_BYTES * len(offsets)
        if size >= SPAN_SHARD_BYTES:
            shards.append(_encode_ordered(shard, table))
            shard, size = [], 0
    if shard or not shards:
        shards.append(_encode_ordered(shard, table))
    return shards


def shard_first_terms(shards: Sequence[bytes]) -> list[str]:
    """The first term of each shard after the first: where a lookup moves to the next shard."""
    return [SpanIndex(shard).first_term() for shard in shards[1:]]


class SpanLookup(Protocol):
    def offsets(self, term: str) -> list[int]: ...


class ShardedSpans:
    """Lookups in a text's offset shards: the first is at hand, each other one is loaded (``load(n)``)
    the first time a term falls in it."""

    __slots__ = ("_firsts", "_load", "_shards")

    def __init__(self, first: bytes, firsts: Sequence[str], load: Callable[[int], bytes]) -> None:
        self._shards = {0: SpanIndex(first)}
        self._firsts = [_escape_term(term) for term in firsts]
        self._load = load

    def offsets(self, term: str) -> list[int]:
        """The ``[start, end, ...]`` offsets of ``term`` (none: ``[]``), from the one shard that holds it."""
        n = bisect.bisect_right(self._firsts, _escape_term(term))
        shard = self._shards.get(n)
        if shard is None:
            shard = self._shards[n] = SpanIndex(self._load(n))
        return shard.offsets(term)


# ------------------------------------------------------------------------------------------------ writing

# A text's terms as plain tuples (term, position, start, end), for a pre-tokenized field.
TermTuples = list[tuple[str, int, int, int]]


def term_tuples(terms: Terms, *, fine: bool) -> TermTuples:
    """The C terms (or with ``fine``, the A terms) of ``terms`` as tuples with positions and offsets."""
    analysis = terms.analysis()
    stream = analysis.fine if fine else analysis.coarse
    return [(t.text, t.position, t.start, t.end) for t in stream]


def pair_texts(fine: Sequence[str]) -> list[str]:
    """One pair term per A term (``schema.pair_term`` of the term and the next), and the last term alone,
    which no pair looks up. A pair field so has a term wherever its fine field has one (the same
    fieldnorms), and a pair's frequency is the phrase count of its two parts."""
    pairs = list(map(f.pair_term, fine, fine[1:]))
    if fine:
        pairs.append(fine[-1])
    return pairs


def _pair_tuples(tuples: TermTuples) -> TermTuples:
    """:func:`pair_texts` of pre-tokenized fine terms, at their positions (a pair spans both terms)."""
    texts = pair_texts([t[0] for t in tuples])
    ends = [t[3] for t in tuples[1:]] + [t[3] for t in tuples[-1:]]
    return [(text, t[1], t[2], end) for text, t, end in zip(texts, tuples, ends, strict=True)]


def _joined(texts: list[str], tuples: Callable[[], TermTuples]) -> str | TermTuples:
    """``texts`` one per line, which the whitespace tokenizer splits back into the same terms at the same
    positions (docs/DESIGN.md, T21); as pre-tokenized ``tuples()`` if a term were empty or held ASCII
    whitespace, which the analysis never gives (it writes a space inside a term as a no-break space), but
    then the index would still be right."""
    sep = f.TERM_SEPARATOR
    joined = sep.join(texts)
    # A term holding the separator would make more lines than terms; an empty one, an empty line (the
    # tokenizer skips it, and every later term would move up one position).
    if (
        joined.count(sep) != len(texts) - 1
        or sep * 2 in joined
        or joined[:1] in ("", sep)
        or joined[-1:] == sep
        or " " in joined
        or "\t" in joined
        or "\r" in joined
        or "\x0c" in joined
    ):
        return tuples()
    return joined


@dataclass(frozen=True, slots=True)
class TextTerms:
    """One text value's terms at both granularities and its A-part pairs, in the form tantivy takes them
    fastest.

    A ``str`` is the terms one per line, for a field on the whitespace tokenizer; a list of tuples is
    pre-tokenized in Python (the stored title, and any text with a term the tokenizer would not give back).
    """

    coarse: str | TermTuples
    fine: str | TermTuples
    pairs: str | TermTuples

    @classmethod
    def joined(cls, terms: Terms) -> TextTerms:
        fine = terms.fine_texts()
        joined_fine = _joined(fine, lambda: term_tuples(terms, fine=True))
        return cls(
            _joined(terms.coarse_texts(), lambda: term_tuples(terms, fine=False)),
            joined_fine,
            # Pairs of terms that went one per line hold no whitespace and are never empty: no check.
            f.TERM_SEPARATOR.join(pair_texts(fine))
            if isinstance(joined_fine, str)
            else _pair_tuples(term_tuples(terms, fine=True)),
        )

    @classmethod
    def tokens(cls, terms: Terms) -> TextTerms:
        fine = term_tuples(terms, fine=True)
        return cls(term_tuples(terms, fine=False), fine, _pair_tuples(fine))


@dataclass(frozen=True, slots=True)
class AnalyzedPost:
    """The output of analysis for one post: what a worker process sends back (small and quick to pickle:
    a few strings per text, no object per term)."""

    title: TextTerms  # pre-tokenized: the title field is stored
    headings: list[TextTerms]
    body: TextTerms
    title_spans: bytes
    body_spans: list[bytes]  # shards (encode_span_shards)
    vocabulary: tuple[str, ...] = ()  # the post's nouns by reading (search/readings.py)
    pairs: tuple[str, ...] = ()  # names the post gives twice, 検索拡張生成（RAG） (search/synonyms.py)
    related_terms: bytes = b""  # the post's weighted content words (related.encode_post_terms)


def term_spans(terms: Terms) -> bytes:
    """Encode where each term of a short text occurs (code points), for highlighting at search time."""
    return encode_spans(terms.occurrences.items())


def term_span_shards(terms: Terms) -> list[bytes]:
    """Encode where each term of a text occurs, in shards (see :func:`encode_span_shards`)."""
    return encode_span_shards(terms.occurrences.items())


def _add_text(doc: tantivy.Document, coarse_field: str, fine_field: str, text: str, terms: TextTerms) -> None:
    for field_name, value in (
        (coarse_field, terms.coarse),
        (fine_field, terms.fine),
        (f.PAIRS_OF[fine_field], terms.pairs),
    ):
        if isinstance(value, str):
            doc.add_text(field_name, value)
        else:
            tokens = [tantivy.Token(term, position, start, end) for term, position, start, end in value]
            doc.add_pre_tokenized_text(field_name, tantivy.PreTokenizedString(text, tokens))


@dataclass(frozen=True, slots=True)
class PostDocuments:
    """A post's documents in each index of a generation."""

    post: tantivy.Document  # the posts index
    texts: list[tantivy.Document]  # the texts index: term offsets, then the text part by part


# The clean text is stored in parts of this many code points, each a document of its own: an excerpt reads
# the one or two parts around its window, whatever the length of the post.
TEXT_PART_CHARS = 1024
_SPANS_PART = "spans"
_TERMS_PART = "terms"


def text_part_key(post_id: str, part: int | None, *, shard: int = 0) -> str:
    """The key of a post's offsets document (``part`` None; with ``shard``, a further shard of its offsets)
    or of one part of its text: the part comes first and ends at the first ":", so any post id follows
    unchanged."""
    if part is None:
        return f"{_SPANS_PART}{shard or ''}:{post_id}"
    return f"{part}:{post_id}"


def terms_part_key(post_id: str) -> str:
    """The key of a post's terms document (its weighted content words, read by related.py)."""
    return f"{_TERMS_PART}:{post_id}"


def _text_documents(
    post_id: str, body: str, shards: Sequence[bytes], related_terms: bytes
) -> list[tantivy.Document]:
    offsets = tantivy.Document()
    offsets.add_text(f.TEXT_FIELD_ID, post_id)
    offsets.add_text(f.TEXT_FIELD_PART, text_part_key(post_id, None))
    offsets.add_bytes(f.TEXT_FIELD_SPANS, shards[0])
    offsets.add_bytes(f.TEXT_FIELD_SHARDS, json.dumps(shard_first_terms(shards), ensure_ascii=False).encode())
    offsets.add_unsigned(f.TEXT_FIELD_LENGTH, len(body))
    docs = [offsets]
    for n, shard in enumerate(shards[1:], start=1):
        doc = tantivy.Document()
        doc.add_text(f.TEXT_FIELD_ID, post_id)
        doc.add_text(f.TEXT_FIELD_PART, text_part_key(post_id, None, shard=n))
        doc.add_bytes(f.TEXT_FIELD_SPANS, shard)
        docs.append(doc)
    for part, start in enumerate(range(0, len(body), TEXT_PART_CHARS)):
        doc = tantivy.Document()
        doc.add_text(f.TEXT_FIELD_ID, post_id)
        doc.add_text(f.TEXT_FIELD_PART, text_part_key(post_id, part))
        doc.add_bytes(f.TEXT_FIELD_BODY, body[start : start + TEXT_PART_CHARS].encode("utf-8"))
        docs.append(doc)
    terms = tantivy.Document()
    terms.add_text(f.TEXT_FIELD_ID, post_id)
    terms.add_text(f.TEXT_FIELD_PART, terms_part_key(post_id))
    terms.add_bytes(f.TEXT_FIELD_TERMS, related_terms)
    docs.append(terms)
    return docs


# A hit links to the section its excerpt is in by the section's heading, cut to this many characters: a
# "heading" can be a whole paragraph (4,243 characters in the sample), which a hit should not carry.
SECTION_TITLE_CHARS = 80


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section_starts(text: str, sections: Sequence[tuple[str, str, str]]) -> list[tuple[int, str, str]]:
    """Where each section of ``sections`` ((first block, id, heading), in order) starts in ``text`` (one
    block a line, each once), as ``(offset, fragment, heading)``, the fragment being the id quoted for a
    link (once, here: a heading's id can run to kilobytes, and quoting goes byte by byte); one whose first
    block the text no longer holds (site template) is left out."""
    by_block = {
        block: (quote(section_id, safe=_FRAGMENT_SAFE), _shortened(title, SECTION_TITLE_CHARS))
        for block, section_id, title in sections
    }
    starts: list[tuple[int, str, str]] = []
    offset = 0
    for line in text.split("\n"):
        found = by_block.get(line)
        if found is not None:
            starts.append((offset, *found))
        offset += len(line) + 1
    return starts


def build_documents(post: Post, analyzed: AnalyzedPost) -> PostDocuments:
    """Assemble the tantivy documents of ``post`` from its analysis."""
    doc = tantivy.Document()
    doc.add_text(f.FIELD_ID, post.id)
    doc.add_unsigned(f.FIELD_SERIAL, f.post_serial(post.id))
    manifest = ManifestEntry(post.id, post.source_hash, post.url, post.date)
    doc.add_text(f.FIELD_SOURCE, encode_manifest_entry(manifest))
    _add_text(doc, f.FIELD_TITLE, f.FIELD_TITLE_FINE, post.title, analyzed.title)
    for heading, terms in zip(post.headings, analyzed.headings, strict=True):
        _add_text(doc, f.FIELD_HEADINGS, f.FIELD_HEADINGS_FINE, heading, terms)
    _add_text(doc, f.FIELD_BODY, f.FIELD_BODY_FINE, post.text, analyzed.body)
    for label_field, key_field, values in (
        (f.FIELD_TAG_LABEL, f.FIELD_TAG, post.tags),
        (f.FIELD_CATEGORY_LABEL, f.FIELD_CATEGORY, post.categories),
    ):
        for value in values:
            key = tag_key(value)
            if key:
                doc.add_text(key_field, key)
                doc.add_text(label_field, encode_label(key, value))
    doc.add_date(f.FIELD_DATE, post.date.astimezone(UTC))
    for key in post.block_keys:
        doc.add_text(f.FIELD_BLOCKS, key)
    written = len(post.text) + post.template_chars
    meta = {
        "url": post.url,
        "date": post.date.isoformat(),
        "excerpt": post.excerpt,
        "tags": list(post.tags),
        "categories": list(post.categories),
        "template_share": round(post.template_chars / written, 3) if written else 0.0,
        "sections": section_starts(post.text, post.sections),
        "image": post.image,
    }
    doc.add_bytes(f.FIELD_META, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    doc.add_bytes(f.FIELD_TITLE_SPANS, analyzed.title_spans)
    for entry in analyzed.vocabulary:
        doc.add_text(f.FIELD_VOCAB, entry)
    for pair in analyzed.pairs:
        doc.add_text(f.FIELD_PAIRS, pair)
    for url in url_keys(post.url):
        doc.add_text(f.FIELD_URL, url)
    return PostDocuments(
        doc, _text_documents(post.id, post.text, analyzed.body_spans, analyzed.related_terms)
    )


def url_keys(url: str) -> list[str]:
    """What a post can be found by besides its id: its link, the link's path, and that path unquoted."""
    path = urlsplit(url).path
    return list(dict.fromkeys(k for k in (url, path, unquote(path)) if k))


# ------------------------------------------------------------------------------------------------ reading


@functools.cache
def _text_schema() -> tantivy.Schema:
    return f.build_text_schema()


def _text_document(
    searcher: tantivy.Searcher, post_id: str, part: int | None, *, shard: int = 0
) -> tantivy.Document | None:
    key = text_part_key(post_id, part, shard=shard)
    query = tantivy.Query.term_query(_text_schema(), f.TEXT_FIELD_PART, key)
    hits = searcher.search(query, 1, count=False).hits
    return searcher.doc(hits[0][1]) if hits else None


def read_post_terms(searcher: tantivy.Searcher, post_id: str) -> bytes | None:
    """The weighted content words stored for ``post_id`` (None: no such post in this texts index)."""
    query = tantivy.Query.term_query(_text_schema(), f.TEXT_FIELD_PART, terms_part_key(post_id))
    hits = searcher.search(query, 1, count=False).hits
    if not hits:
        return None
    return bytes(searcher.doc(hits[0][1]).get_first(f.TEXT_FIELD_TERMS) or b"")


class StoredText:
    """A post's stored clean text: its length and the first shard of its term offsets, read at once; the
    other shards and the parts of the text, read only when a lookup or an excerpt needs them."""

    __slots__ = ("_firsts", "_parts", "_searcher", "_shards", "length", "post_id")

    def __init__(self, searcher: tantivy.Searcher, post_id: str, offsets: tantivy.Document) -> None:
        self._searcher = searcher
        self.post_id = post_id
        self.length = int(offsets.get_first(f.TEXT_FIELD_LENGTH) or 0)
        self._shards = {0: SpanIndex(bytes(offsets.get_first(f.TEXT_FIELD_SPANS) or b""))}
        firsts = json.loads(bytes(offsets.get_first(f.TEXT_FIELD_SHARDS) or b"[]"))
        self._firsts = [_escape_term(term) for term in firsts]
        # The parts read so far: a highlight reads the whitespace between a word's parts, then the excerpt
        # the text around them, mostly from the same part.
        self._parts: dict[int, str] = {}

    def offsets(self, term: str) -> list[int]:
        """The ``[start, end, ...]`` offsets of ``term`` in the text, from the one shard that holds it."""
        n = bisect.bisect_right(self._firsts, _escape_term(term))
        shard = self._shards.get(n)
        if shard is None:
            doc = _text_document(self._searcher, self.post_id, None, shard=n)
            shard = self._shards[n] = SpanIndex(
                bytes(doc.get_first(f.TEXT_FIELD_SPANS) or b"") if doc else b""
            )
        return shard.offsets(term)

    def piece(self, start: int, end: int) -> str:
        """The code points ``start..end`` (clamped to the text), reading only the parts that hold them."""
        start, end = max(0, min(start, self.length)), max(0, min(end, self.length))
        first = start // TEXT_PART_CHARS
        texts = []
        for part in range(first, (max(end, start + 1) - 1) // TEXT_PART_CHARS + 1):
            read = self._parts.get(part)
            if read is None:
                doc = _text_document(self._searcher, self.post_id, part)
                read = bytes(doc.get_first(f.TEXT_FIELD_BODY) or b"").decode("utf-8") if doc else ""
                self._parts[part] = read
            texts.append(read)
        base = first * TEXT_PART_CHARS
        return "".join(texts)[start - base : end - base]

    def read(self) -> str:
        """The whole text."""
        return self.piece(0, self.length)


def read_text(searcher: tantivy.Searcher, post_id: str) -> StoredText | None:
    """Look up the stored text of post ``post_id`` in a texts-index searcher (``None``: not there)."""
    offsets = _text_document(searcher, post_id, None)
    return None if offsets is None else StoredText(searcher, post_id, offsets)


# Characters a URL fragment keeps as they are (RFC 3986); the rest, Japanese included, is percent-encoded
# as UTF-8, which every browser decodes to the heading's id.
_FRAGMENT_SAFE = "!$&'()*+,;=:@/?-._~"


class StoredPost:
    """A fetched document, read field by field only as needed: a hit past the excerpt budget never
    decodes the post's text or term offsets."""

    __slots__ = ("_doc", "meta")

    def __init__(self, doc: tantivy.Document) -> None:
        self._doc = doc
        self.meta: Mapping[str, Any] = json.loads(doc.get_first(f.FIELD_META) or b"{}")

    @property
    def id(self) -> str:
        return str(self._doc.get_first(f.FIELD_ID) or "")

    @property
    def date(self) -> datetime:
        return datetime.fromisoformat(self.meta["date"])

    @property
    def title(self) -> str:
        return str(self._doc.get_first(f.FIELD_TITLE) or "")

    def listed(self) -> IndexedPost:
        """The post as ``mikke list`` shows it."""
        return IndexedPost(
            id=self.id,
            url=self.meta["url"],
            title=self.title,
            date=self.meta["date"],
            tags=tuple(self.meta.get("tags", ())),
            categories=tuple(self.meta.get("categories", ())),
            template_share=float(self.meta.get("template_share", 0.0)),
        )

    def hit(
        self, score: float | None, words: Sequence[QueryWord], excerpt_chars: int, text: StoredText | None
    ) -> Hit:
        """The post as a hit, its excerpt cut from ``text`` around the matches of ``words``.

        Without ``text`` (past a request's excerpt budget) it carries the post's stored summary and its
        title unmarked: nothing of the post's body is read.
        """
        title = self.title
        title_spans: list[Span] = []
        body_spans: list[Span] = []
        if words and text is not None:
            title_index = SpanIndex(self._doc.get_first(f.FIELD_TITLE_SPANS) or b"")
            title_spans = match_spans(title_index, words, lambda start, end: title[start:end])
            body_spans = match_spans(text, words, text.piece)
        summary = self.meta.get("excerpt") or ""
        words_at = get_analyzer().word_boundaries
        section = None
        if text is not None and (body_spans or not summary):
            plan = plan_excerpt(body_spans, excerpt_chars, text.length)
            start, end = plan.needed
            excerpt = render_excerpt(text.piece(start, end), plan, words_at, offset=start)
            if body_spans:
                section = self._section(plan.cluster[0])
        else:
            excerpt = build_excerpt(summary, [], excerpt_chars, words_at)
        listed = self.listed()
        return Hit(
            id=listed.id,
            url=listed.url,
            title=title,
            date=listed.date,
            tags=listed.tags,
            categories=listed.categories,
            template_share=listed.template_share,
            title_html=highlight(title, title_spans),
            score=score,
            excerpt=excerpt,
            section=section,
            image=self.meta.get("image"),
        )

    def _section(self, at: int) -> Section | None:
        """The last heading starting at or before offset ``at`` of the text, as a link."""
        starts = self.meta.get("sections") or []
        k = bisect.bisect_right([start for start, _, _ in starts], at) - 1
        if k < 0:
            return None
        _, fragment, title = starts[k]
        return Section(title, f"{self.meta['url']}#{fragment}")


# The most whitespace between two parts of a word or phrase that a highlight joins them across: enough for
# any run a writer types (Claude 4, "Claude 　4"), and a bound on the text read to tell it is whitespace.
MAX_JOINED_SPACES = 16
# What a highlight joins two parts of a word across: whitespace within a line, and one hyphen or period
# (GPT-4, llama-3.1), which the search drops between them as well.
_JOINED_ACROSS = INLINE_SPACES | NAME_JOINERS


def match_spans(
    index: SpanLookup, words: Sequence[QueryWord], text: Callable[[int, int], str] | None = None
) -> list[Span]:
    """Find where each query word occurs, from the stored term offsets of one text.

    A word of several parts (a compound, a name, a phrase) is one span from its first part to its last,
    wherever its parts stand one after the other in the text, next to each other or parted only by
    whitespace within the line (analysis.INLINE_SPACES) and at most one hyphen or period
    (analysis.NAME_JOINERS), which the search drops too.

    :param text: the code points ``start..end`` of the text; without it, parts join only where one ends
        where the next begins.
    """
    offsets = index.offsets

    def marked(found: list[int], key: str) -> Iterable[Span]:
        return map(Span, found[::2], found[1::2], itertools.repeat(key))

    def spaces_only(start: int, end: int) -> bool:
        if text is None or end - start > MAX_JOINED_SPACES:
            return False
        gap = text(start, end)
        return _JOINED_ACROSS.issuperset(gap) and sum(ch in NAME_JOINERS for ch in gap) <= 1

    spans: list[Span] = []
    for word in words:
        key = word.coarse
        spans.extend(marked(offsets(key), key))
        if len(word.parts) == 1:
            if word.parts[0] != key:
                spans.extend(marked(offsets(word.parts[0]), key))
            continue
        # Parts count only where they stand together, as the phrase query matched them.
        part_offsets = [offsets(p) for p in word.parts]
        if not all(part_offsets):
            continue
        nexts = [{o[k]: o[k + 1] for k in range(0, len(o), 2)} for o in part_offsets[1:]]
        starts = [sorted(following) for following in nexts]
        first = part_offsets[0]
        for k in range(0, len(first), 2):
            start, end = first[k], first[k + 1]
            for following, begins in zip(nexts, starts, strict=True):
                nxt = following.get(end)
                if nxt is None:
                    # The next part's nearest occurrence after this one's end: only that one can follow it
                    # across nothing but whitespace (a further one has that occurrence in between).
                    at = bisect.bisect_left(begins, end)
                    if at == len(begins) or not spaces_only(end, begins[at]):
                        break
                    nxt = following[begins[at]]
                end = nxt
            else:
                spans.append(Span(start, end, word.coarse))
    return spans


def read_label_counts(
    result: Mapping[str, Any], name: str, forms: Mapping[str, str] | None = None
) -> tuple[TagCount, ...]:
    """Tag (or category) counts from a terms aggregation over a label field, most used first.

    :param forms: the display form of each key (its most common spelling over every post); a key missing
        there shows its most common spelling among the counted posts.
    """
    by_key: dict[str, tuple[int, dict[str, int]]] = {}
    for bucket in result.get(name, {}).get("buckets", []):
        key, label = decode_label(str(bucket["key"]))
        total, labels = by_key.get(key, (0, {}))
        labels[label] = labels.get(label, 0) + int(bucket["doc_count"])
        # A post lists a key once, so summing the label variants of one key counts posts.
        by_key[key] = (total + int(bucket["doc_count"]), labels)
    forms = forms or {}
    counts = [
        TagCount(tag=forms.get(key) or _most_common(labels), key=key, count=total)
        for key, (total, labels) in by_key.items()
    ]
    counts.sort(key=lambda c: (-c.count, c.key))
    return tuple(counts)


def _most_common(labels: Mapping[str, int]) -> str:
    # Ties go to a spelling with capitals (Python over python: names are written so), then to the first.
    return max(labels.items(), key=lambda kv: (kv[1], kv[0] != kv[0].lower(), [-ord(c) for c in kv[0]]))[0]
