"""Japanese text analysis: the one pipeline that turns posts *and* queries into search terms.

Owns the Sudachi dictionary (one per process) and per-thread tokenizers. Imports sudachipy only.
"""

from __future__ import annotations

import importlib.metadata
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sudachipy import Dictionary
from sudachipy import SplitMode
from sudachipy import Tokenizer

# Bump when anything below changes the terms produced for a given text: the index is rebuilt by itself.
ANALYZER_VERSION = "4"

# SudachiPy rejects more than 49,149 UTF-8 bytes per call ("Input is too long"; docs/DESIGN.md, T4). We stay
# well below it so a chunk is cut at a line or sentence boundary rather than at the hard limit.
MAX_CHUNK_BYTES = 16_000

# Coarse parts of speech never indexed: punctuation, symbols and emoji (補助記号) and whitespace (空白).
_DROPPED_POS = frozenset({"補助記号", "空白"})
# Words that carry grammar rather than topic: indexed (so phrases still match) but never a query keyword on
# their own, like Lucene's Japanese stop tags. Matched with Sudachi's pos_matcher, which
# compares POS ids rather than strings.
FUNCTION_WORD_POS: tuple[tuple[str] | tuple[str, str], ...] = (
    ("助詞",),
    ("助動詞",),
    ("接続詞",),
    ("感動詞",),
    ("代名詞",),  # 何, どこ, いつ, 誰: the question, not the answer
    ("連体詞",),
    ("接頭辞",),
    ("接尾辞",),
    ("動詞", "非自立可能"),  # する, いる, ある, なる, できる
    ("形容詞", "非自立可能"),  # ない, よい
    ("形状詞", "助動詞語幹"),  # よう, そう
)


class Term(NamedTuple):
    """One term of a text, with where it came from.

    :param text: the search term: Sudachi's normalized form, lower-cased.
    :param start: code-point offset of the surface in the analysed text.
    :param end: code-point end offset (exclusive), so ``text[start:end]`` is the surface.
    :param position: token position within its granularity stream (phrases need consecutive positions).
    :param is_function_word: a grammatical word (particle, light verb, pronoun, ...), see FUNCTION_WORD_POS.
    """

    text: str
    start: int
    end: int
    position: int
    is_function_word: bool = False


class Unit(NamedTuple):
    """A SplitMode.C unit and its SplitMode.A parts (a single part when it does not split)."""

    coarse: Term
    parts: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text analysed at both granularities: C units (compounds kept) and A parts (compounds split)."""

    units: tuple[Unit, ...]

    @property
    def coarse(self) -> list[Term]:
        return [u.coarse for u in self.units]

    @property
    def fine(self) -> list[Term]:
        return [p for u in self.units for p in u.parts]


def tag_key(tag: str) -> str:
    """Normalise a tag or category for filtering (NFKC, lower-case, trimmed), at index and query time."""
    return unicodedata.normalize("NFKC", str(tag)).strip().lower()


def dictionary_version() -> str:
    """Return the installed sudachidict-core version, part of what the index was built with."""
    return importlib.metadata.version("sudachidict-core")


_UNSAFE_RE = re.compile("[\x00\ud800-\udfff]")
# A sentence ends at 。！？!? or a line end. ASCII and full-width periods are left alone: they also sit
# inside numbers and abbreviations (3.14, e.g.).
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[」』）)]*|\n|$)")


def _sanitize(text: str) -> str:
    """Replace code points Sudachi cannot take (lone surrogates, NUL) one for one, keeping offsets."""
    return _UNSAFE_RE.sub(lambda m: " " if m.group() == "\x00" else "\ufffd", text)


def _has_word_chars(text: str) -> bool:
    # Sudachi tags scripts it has no entries for (Thai, Devanagari, ...) as 補助記号: keep those words.
    return any(ch.isalnum() for ch in text)


def _surface_span(begin: int, end: int, length: int) -> tuple[int, int]:
    """The code-point span of a morpheme, never empty.

    Sudachi's input normalisation can expand one character into two morphemes (``㎼`` -> ``μ`` + ``W``),
    the second with no surface of its own; it is given the character it came from, so every term can be
    highlighted and ``start < end`` always holds.
    """
    if end > begin:
        return begin, end
    if begin > 0:
        return begin - 1, begin
    return 0, min(1, length)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def iter_chunks(text: str, max_bytes: int = MAX_CHUNK_BYTES) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into sentences (and lines), the units Sudachi analyses one at a time.

    Sudachi's best path runs across line breaks and sentence ends, so analysing a text in pieces of
    varying size would change its tokens; analysing each sentence alone makes the result independent
    of how a long post is cut (docs/DESIGN.md, T4). A sentence longer than ``max_bytes`` is cut by size.

    :return: ``(start, piece)`` pairs with the code-point offset of each piece in ``text``.
    """
    hard = max(1, max_bytes // 4)  # a code point takes at most 4 bytes
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group()
        if not sentence:
            continue
        start = match.start()
        if len(sentence) <= hard or _utf8_len(sentence) <= max_bytes:
            yield start, sentence
            continue
        for i in range(0, len(sentence), hard):
            yield start + i, sentence[i : i + hard]


class JapaneseAnalyzer:
    """Sudachi-based analyzer shared by indexing and querying.

    One :class:`sudachipy.Dictionary` is loaded per analyzer (create one per process, see
    :func:`get_analyzer`); each thread gets its own Tokenizer because a Tokenizer cannot be used by two
    threads at once (docs/DESIGN.md, T2).
    """

    def __init__(self, dictionary: Dictionary | None = None) -> None:
        self._dictionary = dictionary if dictionary is not None else Dictionary(dict="core")
        self._local = threading.local()
        self._is_function_word = self._dictionary.pos_matcher(list(FUNCTION_WORD_POS))
        self.version = f"{ANALYZER_VERSION}/sudachidict-core-{dictionary_version()}"

    def _tokenizer(self) -> Tokenizer:
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._dictionary.tokenizer(SplitMode.C)
            self._local.tokenizer = tok
        return tok

    def analyze(self, text: str, *, max_chunk_bytes: int = MAX_CHUNK_BYTES) -> Analysis:
        """Analyse ``text`` into C units with their A parts; symbols and whitespace are dropped.

        Never raises for any ``str``: long input is chunked below Sudachi's size limit and code points
        it cannot take are replaced one for one, so offsets still index the original text.

        :param text: any text.
        :param max_chunk_bytes: chunk size limit (lowered by tests to check chunking changes nothing).
        :return: the :class:`Analysis`; positions count kept terms from 0 in each stream.
        """
        tok = self._tokenizer()
        clean = _sanitize(text)
        units: list[Unit] = []
        c_pos = 0
        a_pos = 0
        for offset, chunk in iter_chunks(clean, max_chunk_bytes):
            # Copy every value out before the next tokenize call reuses memory.
            for m in tok.tokenize(chunk):
                norm = m.normalized_form().lower()
                if m.part_of_speech()[0] in _DROPPED_POS and not _has_word_chars(norm):
                    continue
                begin, end = _surface_span(m.begin(), m.end(), len(chunk))
                function_word = self._is_function_word(m)
                coarse = Term(norm, offset + begin, offset + end, c_pos, function_word)
                c_pos += 1
                # A single character cannot split; skipping the call saves a fifth of the analysis time.
                pieces = m.split(SplitMode.A) if end - begin > 1 else ()
                if len(pieces) <= 1:
                    parts: tuple[Term, ...] = (Term(norm, coarse.start, coarse.end, a_pos, function_word),)
                    a_pos += 1
                else:
                    plist = []
                    for p in pieces:
                        pnorm = p.normalized_form().lower()
                        if not _has_word_chars(pnorm) and p.part_of_speech()[0] in _DROPPED_POS:
                            continue
                        p_begin, p_end = _surface_span(p.begin(), p.end(), len(chunk))
                        plist.append(
                            Term(pnorm, offset + p_begin, offset + p_end, a_pos, self._is_function_word(p))
                        )
                        a_pos += 1
                    if not plist:
                        plist.append(Term(norm, coarse.start, coarse.end, a_pos, function_word))
                        a_pos += 1
                    parts = tuple(plist)
                units.append(Unit(coarse, parts))
        return Analysis(tuple(units))

    def word_boundaries(self, text: str) -> list[int]:
        """Where words (C units) begin and end in ``text``, as code-point offsets: places to cut it."""
        return sorted({o for unit in self.analyze(text).units for o in (unit.coarse.start, unit.coarse.end)})


_analyzer: JapaneseAnalyzer | None = None
_analyzer_lock = threading.Lock()


def get_analyzer() -> JapaneseAnalyzer:
    """Return this process's analyzer, loading the Sudachi dictionary on first use only (T1)."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                _analyzer = JapaneseAnalyzer()
    return _analyzer
