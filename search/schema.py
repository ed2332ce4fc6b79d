"""The index schemas: field names, the schema version and the functions that build the two schemas.

A generation holds two tantivy indexes: the posts index (searched: terms, filters, a post's light stored
fields) and the texts index (each post's clean text and term offsets, read only to cut an excerpt), so a
hit that needs no excerpt never reads a long post. Imports tantivy only. Any change here must bump
SCHEMA_VERSION: tantivy refuses to reopen an index with another schema, so existing ones are rebuilt.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from datetime import datetime

import tantivy

SCHEMA_VERSION = "12"

# The posts index. FIELD_ID is raw: deleting by term takes the term as stored, untokenized.
FIELD_ID = "id"  # raw post id (source path): delete-by-term and result identity
# u64, indexed and fast: a number of the post id (post_serial), read for a batch of hits without fetching
# their documents and searched as a set, to score only those hits again (ranking.search_ranked).
FIELD_SERIAL = "serial"
FIELD_SOURCE = "source"  # fast raw JSON [id, source_hash, url, date]: the manifest (search/document.py)
FIELD_TITLE = "title"  # pre-tokenized SplitMode.C terms; stored: the display title
FIELD_TITLE_FINE = "title_fine"  # pre-tokenized SplitMode.A parts
FIELD_HEADINGS = "headings"  # h1-h3 texts, C terms one per line (TERMS_TOKENIZER)
FIELD_HEADINGS_FINE = "headings_fine"
FIELD_BODY = "body"  # clean body text, C terms one per line (the text is stored in the texts index)
FIELD_BODY_FINE = "body_fine"
# Each A part joined with the next (PAIR_JOINER), one term per A position: a word of two A parts is one term
# lookup here instead of a phrase over positions (search/ranking.py). Frequencies, no positions.
FIELD_TITLE_PAIRS = "title_pairs"
FIELD_HEADINGS_PAIRS = "headings_pairs"
FIELD_BODY_PAIRS = "body_pairs"
FIELD_TAG = "tag"  # normalised tag keys: filters (raw, case-folded by tag_key) and counts (fast)
FIELD_TAG_LABEL = "tag_label"  # fast JSON [key, display]: tag counts with the display form
FIELD_CATEGORY = "category"
FIELD_CATEGORY_LABEL = "category_label"
FIELD_DATE = "date"  # fast date: sort and ranges
# What FIELD_DATE can hold, in whole days: tantivy keeps a date as nanoseconds since 1970 in a signed 64-bit
# integer (1677-09-21 to 2262-04-11 UTC) and refuses any other. A post dated outside is skipped
# (search/posts.py); date filters are clamped to it (search/ranking.py).
DATE_MIN = datetime(1677, 9, 22, tzinfo=UTC)
DATE_MAX = datetime(2262, 4, 11, tzinfo=UTC)  # exclusive
FIELD_BLOCKS = "blocks"  # fast raw keys of the post's text blocks: how many posts each is in (template)
FIELD_META = "meta"  # stored JSON bytes: url, summary excerpt, tags/categories, local date, template share
FIELD_TITLE_SPANS = "title_spans"  # stored bytes: where each term occurs (document.encode_spans)
# fast raw JSON [reading, word, spelling, in_title] per distinct noun of the post: the vocabulary by reading
# (search/readings.py), aggregated over all posts
FIELD_VOCAB = "vocab"
# fast raw JSON [term, other] per pair of names the post writes as 検索拡張生成（RAG）(search/synonyms.py)
FIELD_PAIRS = "pairs"
FIELD_URL = "url"  # raw: the post's link, its path and its unquoted path, to find a post by URL (related.py)

# The texts index: per post, one document with the term offsets of its clean text and one per part of
# that text (TEXT_PART_CHARS code points each), so that cutting an excerpt reads the offsets and the one or
# two parts around the window, not the whole post (search/document.py).
TEXT_FIELD_ID = "id"  # raw and fast, on every document of a post: delete by post id, the list of ids
TEXT_FIELD_PART = "part"  # raw: which document of which post (search/document.py, text_part_key)
TEXT_FIELD_BODY = "body"  # stored UTF-8 bytes: one part of the clean text excerpts are cut from
TEXT_FIELD_SPANS = "body_spans"  # stored bytes: where each term of the body occurs (one shard of it)
TEXT_FIELD_SHARDS = "shards"  # stored JSON, on the offsets document: the first term of each further shard
TEXT_FIELD_LENGTH = "length"  # stored, on the offsets document: the clean text's length in code points
TEXT_FIELD_TERMS = (
    "terms"  # stored JSON, on a post's terms document: its content words, weighted (related.py)
)

# Headings and bodies are indexed from their analysed terms, one per line: a term never holds a line break
# (Sudachi ends every chunk at one and drops it). tantivy's built-in whitespace tokenizer, which needs no
# registration (T10), splits them back; a term never holds ASCII whitespace (the analysis writes the space of
# "machine learning" as a no-break space), so every term comes back whole (docs/DESIGN.md, T21).
TERMS_TOKENIZER = "whitespace"
TERM_SEPARATOR = "\n"

# (coarse field, fine field) pairs searched by a query word, with their relative weights.
TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    (FIELD_TITLE, FIELD_TITLE_FINE),
    (FIELD_HEADINGS, FIELD_HEADINGS_FINE),
    (FIELD_BODY, FIELD_BODY_FINE),
)
# The field of A-part pairs beside each fine field.
PAIRS_OF: dict[str, str] = {
    FIELD_TITLE_FINE: FIELD_TITLE_PAIRS,
    FIELD_HEADINGS_FINE: FIELD_HEADINGS_PAIRS,
    FIELD_BODY_FINE: FIELD_BODY_PAIRS,
}
# Joins two A parts into a pair term. Clean text never holds a control character (markdown_text drops
# them), so no indexed term holds it and a pair term cannot be read as two other parts joined.
PAIR_JOINER = "\x1f"
# Particles, auxiliaries and formal words (Sudachi's normalized forms): most pairs hold one (の, は, 為る…),
# and a word a reader searches rarely does. Such a pair is written as PAIR_FILLER, one term no query looks
# up, which keeps the field's lengths while leaving out most of its distinct terms (they cost a full build
# more than the pairs themselves); a query word with such a part is searched as a phrase.
PAIR_STOP_PARTS = frozenset(
    [
        "の",
        "は",
        "が",
        "を",
        "に",
        "で",
        "と",
        "も",
        "や",
        "か",
        "へ",
        "より",
        "から",
        "まで",
        "て",
        "た",
        "だ",
        "です",
        "ます",
        "ない",
        "ず",
        "ぬ",
        "れる",
        "られる",
        "せる",
        "させる",
        "たい",
        "う",
        "よう",
        "様",
        "為る",
        "居る",
        "成る",
        "有る",
        "無い",
        "此の",
        "其の",
        "此れ",
        "其れ",
        "事",
        "物",
        "所",
        "ね",
        "よ",
        "な",
        "ば",
        "けど",
        "けれど",
        "など",
        "のみ",
        "しか",
        "こそ",
        "さえ",
    ]
)
PAIR_FILLER = PAIR_JOINER


def pair_term(first: str, second: str) -> str:
    """The pairs-field term of two A parts standing together (parts that hold no PAIR_JOINER): the two
    joined, or PAIR_FILLER when either is one of PAIR_STOP_PARTS."""
    if first in PAIR_STOP_PARTS or second in PAIR_STOP_PARTS:
        return PAIR_FILLER
    return first + PAIR_JOINER + second


def is_utf8(text: str) -> bool:
    """Whether tantivy can take ``text`` as a term: it holds UTF-8 only, and a lone surrogate (what Python
    makes of a byte that is not UTF-8 on a command line) has no UTF-8 form, so no stored term equals it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def post_serial(post_id: str) -> int:
    """The FIELD_SERIAL of the post ``post_id``: 64 bits of its hash, the same in every build. Two posts
    sharing one (odds under 1 in a billion on a 100,000-post blog) only make a rescoring read one more."""
    return int.from_bytes(hashlib.blake2b(post_id.encode("utf-8"), digest_size=8).digest(), "little")


def build_schema() -> tantivy.Schema:
    """Build the mikke schema; the same function is used to create and to reopen an index."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field(FIELD_ID, stored=True, tokenizer_name="raw")
    sb.add_unsigned_field(FIELD_SERIAL, indexed=True, fast=True)
    sb.add_text_field(FIELD_SOURCE, tokenizer_name="raw", fast=True, index_option="basic")
    # The title is stored, so it is pre-tokenized (the stored value is the title itself); a pre-tokenized
    # field still names a tokenizer, and "raw" is built in, so reopening needs no registration (T10).
    sb.add_text_field(FIELD_TITLE, stored=True, tokenizer_name="raw")
    sb.add_text_field(FIELD_TITLE_FINE, tokenizer_name="raw")
    # Headings and bodies get their analysed terms one per line: TERMS_TOKENIZER splits them back into the
    # same terms at the same positions, for far less than a Python Token object per term (docs/DESIGN.md,
    # T21). Offsets are not indexed either way; highlighting reads the stored spans.
    sb.add_text_field(FIELD_HEADINGS, tokenizer_name=TERMS_TOKENIZER)
    sb.add_text_field(FIELD_HEADINGS_FINE, tokenizer_name=TERMS_TOKENIZER)
    sb.add_text_field(FIELD_BODY, tokenizer_name=TERMS_TOKENIZER)
    sb.add_text_field(FIELD_BODY_FINE, tokenizer_name=TERMS_TOKENIZER)
    # A pair field has as many terms as its fine field, so the two have the same lengths (fieldnorms) and
    # BM25 scores a pair as it scores the phrase of its two parts (ranking.QueryBuilder).
    for pairs_field in PAIRS_OF.values():
        sb.add_text_field(pairs_field, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    sb.add_text_field(FIELD_TAG, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(FIELD_TAG_LABEL, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(FIELD_CATEGORY, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(FIELD_CATEGORY_LABEL, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_date_field(FIELD_DATE, stored=True, indexed=True, fast=True)
    sb.add_text_field(FIELD_BLOCKS, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_bytes_field(FIELD_META, stored=True)
    sb.add_bytes_field(FIELD_TITLE_SPANS, stored=True)
    sb.add_text_field(FIELD_VOCAB, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(FIELD_PAIRS, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(FIELD_URL, tokenizer_name="raw", index_option="basic")
    return sb.build()


def build_text_schema() -> tantivy.Schema:
    """Build the schema of the texts index; the same function creates and reopens it."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field(TEXT_FIELD_ID, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field(TEXT_FIELD_PART, tokenizer_name="raw", index_option="basic")
    sb.add_bytes_field(TEXT_FIELD_BODY, stored=True)
    sb.add_bytes_field(TEXT_FIELD_SPANS, stored=True)
    sb.add_bytes_field(TEXT_FIELD_SHARDS, stored=True)
    sb.add_unsigned_field(TEXT_FIELD_LENGTH, stored=True)
    sb.add_bytes_field(TEXT_FIELD_TERMS, stored=True)
    return sb.build()
