"""How mikke's compound stored values are written and read back: the manifest entry, tag labels, term spans.

Every encoding here round-trips any ``str`` (control characters included); imports no tantivy or Sudachi.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


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


# Term spans are lines "term\tstart,end,start,end..."; "\t", "\n" and "\" inside a term are escaped so the
# line structure holds for any term, and a lookup escapes its term the same way.
_SPAN_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n"}


def _escape_term(term: str) -> str:
    if "\\" in term or "\t" in term or "\n" in term:
        return "".join(_SPAN_ESCAPES.get(ch, ch) for ch in term)
    return term


def encode_spans(spans: Iterable[tuple[str, Iterable[int]]]) -> bytes:
    """Encode where each term occurs: ``(term, [start, end, start, end, ...])`` pairs in code points.

    A lookup (:func:`span_offsets`) finds one term's line with a single ``bytes.find``, without decoding
    the rest of the post's spans.
    """
    lines = [f"{_escape_term(term)}\t{','.join(map(str, offsets))}" for term, offsets in spans]
    return ("\n" + "\n".join(lines) + "\n").encode("utf-8")


def span_offsets(blob: bytes, term: str) -> list[int]:
    """Return the ``[start, end, start, end, ...]`` offsets stored for ``term`` in ``blob`` (none: ``[]``)."""
    needle = b"\n" + _escape_term(term).encode("utf-8") + b"\t"
    at = blob.find(needle)
    if at < 0:
        return []
    start = at + len(needle)
    end = blob.find(b"\n", start)
    return [int(x) for x in blob[start:end].split(b",")]
