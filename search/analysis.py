"""Japanese text analysis: the one pipeline that turns posts *and* queries into search terms.

Owns the Sudachi dictionary (one per process) and per-thread tokenizers. Imports sudachipy only.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sudachipy import Dictionary
from sudachipy import Morpheme
from sudachipy import MorphemeList
from sudachipy import SplitMode
from sudachipy import Tokenizer

# Bump when anything below changes the terms produced for a given text: the index is rebuilt by itself.
ANALYZER_VERSION = "15"

# SudachiPy rejects more than 49,149 UTF-8 bytes per call ("Input is too long"; docs/DESIGN.md, T4). We stay
# well below it so a chunk is cut at a line or sentence boundary rather than at the hard limit.
MAX_CHUNK_BYTES = 16_000

# Coarse parts of speech never indexed: punctuation, symbols and emoji (補助記号) and whitespace (空白).
_DROPPED_POS = frozenset({"補助記号", "空白"})
# The whitespace inside a line: the characters Sudachi tags 空白 but for the line breaks (U+1680 it tags a
# symbol). The analysis drops them, so words they alone part (Claude 4, iPhone　15, OpenAI のモデル) stand
# next to each other to a search, and a highlight joins its marks across them; across a line break, which
# ends a block of the clean text, or a symbol, it does not.
INLINE_SPACES = frozenset(" \t\u00a0\u202f\u205f\u3000") | frozenset(map(chr, range(0x2000, 0x200B)))
# What joins the parts of a name as a space does (GPT-4, Llama-3.1, Node.js, Wi‐Fi): the analysis drops it,
# so the parts stand next to each other to a search, and a highlight joins its marks across it.
NAME_JOINERS = frozenset("-\u2010\u2011\u2012\u2013\u2043\u2212\ufe63\uff0d.\uff0e")
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

    :param text: the search term: Sudachi's normalized form, lower-cased, a space in it a no-break space.
    :param start: code-point offset of the surface in the analysed text.
    :param end: code-point end offset (exclusive), so ``text[start:end]`` is the surface.
    :param position: token position within its granularity stream (phrases need consecutive positions).
    :param is_function_word: a grammatical word (particle, light verb, pronoun, ...), see FUNCTION_WORD_POS.
    :param reading: a noun's reading in katakana (see :attr:`Word.reading`), else empty.
    """

    text: str
    start: int
    end: int
    position: int
    is_function_word: bool = False
    reading: str = ""


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


class Part(NamedTuple):
    """An A part of a word, its offsets relative to the start of the word's surface."""

    text: str
    start: int
    end: int
    is_function_word: bool
    reading: str = ""  # see Word.reading


class Word(NamedTuple):
    """What a C unit contributes wherever it occurs: the same for every occurrence of one dictionary word
    (with one surface, when it splits), so it is worked out once and shared.

    :param text: the C term.
    :param is_function_word: see FUNCTION_WORD_POS.
    :param fine: the A terms, in order (``(text,)`` when the word is its own single part).
    :param parts: the A parts with their offsets; empty when the word is its own single part.
    :param splits: the dictionary splits this word in SplitMode.A (its parts depend on the surface).
    :param reading: the reading of a noun in katakana (search/readings.py); empty for other words and for
        words Sudachi knows no kana reading of (an unknown Latin word reads as itself).
    :param many_parts: it has more than one A part, each a term of its own.
    """

    text: str
    is_function_word: bool
    fine: tuple[str, ...]
    parts: tuple[Part, ...] = ()
    splits: bool = False
    reading: str = ""
    many_parts: bool = False


@dataclass(frozen=True, slots=True)
class Terms:
    """A text's analysis in columns, one entry per kept C unit: the word and the code-point span of its
    surface. Indexing reads it without building an object per term; :meth:`analysis` gives the
    :class:`Analysis` form, with positions, that queries use.

    ``occurrences`` lists where each term occurs, ``[start, end, start, end, ...]`` in text order (a unit
    before its parts): every C term, and the A parts of units that split into more than one.
    """

    words: list[Word]
    starts: list[int]
    ends: list[int]
    occurrences: dict[str, list[int]]

    def coarse_texts(self) -> list[str]:
        """The C terms in order; a term's position is its index."""
        return [w.text for w in self.words]

    def fine_texts(self) -> list[str]:
        """The A terms in order; a term's position is its index."""
        return list(itertools.chain.from_iterable(w.fine for w in self.words))

    def analysis(self) -> Analysis:
        units: list[Unit] = []
        a_pos = 0
        for c_pos, (word, start, end) in enumerate(zip(self.words, self.starts, self.ends, strict=True)):
            coarse = Term(word.text, start, end, c_pos, word.is_function_word, word.reading)
            if word.parts:
                parts = tuple(
                    Term(p.text, start + p.start, start + p.end, a_pos + k, p.is_function_word, p.reading)
                    for k, p in enumerate(word.parts)
                )
            else:
                parts = (Term(word.text, start, end, a_pos, word.is_function_word, word.reading),)
            a_pos += len(parts)
            units.append(Unit(coarse, parts))
        return Analysis(tuple(units))


class Sentence(NamedTuple):
    """One analysed sentence, as first found at ``offset``: entries ``first`` to ``last`` of the columns of
    the text it is in (which only grow), not a copy. :meth:`JapaneseAnalyzer.terms` repeats it when the same
    sentence comes again, its offsets moved by the distance between the two."""

    words: list[Word]
    starts: list[int]
    ends: list[int]
    first: int
    last: int
    offset: int


def _repeat(
    sentence: Sentence,
    offset: int,
    words: list[Word],
    starts: list[int],
    ends: list[int],
    occurrences: dict[str, list[int]],
) -> None:
    """Append ``sentence``, found again at ``offset``, to a text's columns, as analysing it would."""
    shift = offset - sentence.offset
    first, last = sentence.first, sentence.last
    found = sentence.words[first:last]
    words.extend(found)
    for word, begin, end in zip(found, sentence.starts[first:last], sentence.ends[first:last], strict=True):
        start = begin + shift
        starts.append(start)
        ends.append(end + shift)
        occurrences.setdefault(word.text, []).extend((start, end + shift))
        if word.many_parts:
            for part in word.parts:
                occurrences.setdefault(part.text, []).extend((start + part.start, start + part.end))


# A reading worth keeping: katakana only (with the long-vowel mark), which an unknown Latin or number word's
# reading (its own surface) is not.
_KATAKANA_READING_RE = re.compile("[\u30a1-\u30fa\u30fc]+")


def noun_reading(pos: str, reading: str) -> str:
    """A morpheme's reading as readers type it, folded to katakana; empty unless the word is a noun with a
    kana reading (verbs and adjectives inflect, particles are grammar: neither is typed alone in kana)."""
    if pos != "名詞":
        return ""
    reading = reading.translate(_HIRAGANA_TO_KATAKANA)
    return reading if _KATAKANA_READING_RE.fullmatch(reading) else ""


_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}


def tag_key(tag: str) -> str:
    """Normalise a tag or category for filtering (NFKC, lower-case, trimmed), at index and query time."""
    return unicodedata.normalize("NFKC", str(tag)).strip().lower()


def dictionary_version() -> str:
    """Return the installed sudachidict-core version, part of what the index was built with."""
    return importlib.metadata.version("sudachidict-core")


def analyzer_version() -> str:
    """The version of the terms this code produces (the analyzer's and the dictionary's), known without
    loading the dictionary: an index run whose workers analyse never loads one in its own process."""
    return f"{ANALYZER_VERSION}/sudachidict-core-{dictionary_version()}"


_UNSAFE_RE = re.compile("[\x00\ud800-\udfff]")
# A sentence ends at 。！？!? or a line end. ASCII and full-width periods are left alone: they also sit
# inside numbers and abbreviations (3.14, e.g.).
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[」』）)]*|\n|$)")
_SENTENCE_ENDS = frozenset(
    "。！？!?」』）)\n"
)  # how a sentence _SENTENCE_RE found can end, but at the text's end


# Invisible characters that change nothing a reader reads (Unicode's default ignorables, which NFKC_Casefold
# removes): soft hyphen, zero-width space and joiners, direction marks, word joiner, BOM, variation selectors
# (the emoji one after a sun, an ideographic one after 葛). Sudachi takes each for a symbol of its own,
# which cuts the word it stands in (機械 U+200B 学習 was 機械, U+200B, 学習; 葛 U+E0100 飾区 was 葛, 飾り,
# 区), so it is not given them: a text is analysed without them, each one part of the term before it (so a
# highlight never ends between a character and its variation selector).
_IGNORABLES = (
    "\u00ad\u034f\u061c\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff"
    "\U000e0000-\U000e0fff"
)
_IGNORABLE_RE = re.compile(f"[{_IGNORABLES}]")
# Hyphens and dashes. Between two Latin letters or digits any hyphen is the ASCII one (Wi‐Fi with U+2010,
# as word processors write it, is Wi-Fi, which Sudachi knows); between a letter and a number it parts a
# name from its version, as a space does (GPT-4 is GPT 4 and GPT4: the dictionary's GPT-4, COVID-19 and
# GPT-3 were single words, which neither GPT4 nor GPT 4 found, and it read GPT-3.5 as GPT-3 and 5); after
# a katakana letter one of them, or a dash, stands for the long-vowel mark (ケ−キ, ユ‐ザ‐ and コ─ヒ─ are
# old encodings' and keyboards' ケーキ, ユーザー, コーヒー, which Sudachi cut into kana). Full-width and
# small forms are Sudachi's NFKC input normalisation's: － and ﹣ are -.
_HYPHENS = "".join(sorted(NAME_JOINERS - frozenset(".\uff0e")))
_LONG_MARK_STANDINS = _HYPHENS + "\u2014\u2015\u2500\u2501"
_DASH_RE = re.compile(f"[{re.escape(_LONG_MARK_STANDINS)}]")
_LATIN_LETTER_RE = re.compile("[A-Za-z\uff21-\uff3a\uff41-\uff5a]")
_DIGIT_CHAR_RE = re.compile("[0-9\uff10-\uff19]")
# A katakana letter a long-vowel mark can follow (not ー itself, nor ・), full- or half-width.
_KATAKANA_LETTER_RE = re.compile("[\u30a1-\u30fa\uff66-\uff6f\uff71-\uff9f]")
_KATAKANA_RE_ANY = re.compile("[\u30a1-\u30fa\u30fc\uff66-\uff9f]")


# Latin letters with diacritics (Latin-1 Supplement to Latin Extended-B, Latin Extended Additional): each is
# read as its letter, as search engines fold accents (Lucene's ASCIIFoldingFilter). Sudachi holds the word
# written without them (cafe, its カフェ) and reads the other as an unknown word (café), so Pokémon did not
# find Pokemon. Letters that do not decompose to an ASCII letter (ß, æ, ø) stay.
_ACCENTED_RANGES = "\u00c0-\u024f\u1e00-\u1eff"
_ACCENTED_RE = re.compile(f"[{_ACCENTED_RANGES}]")


def _unaccented() -> dict[int, str]:
    """Each letter of _ACCENTED_RANGES that is an ASCII letter with combining marks -> that letter."""
    table: dict[int, str] = {}
    for code in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        parts = unicodedata.normalize("NFD", chr(code))
        letter, marks = parts[0], parts[1:]
        if marks and letter.isascii() and letter.isalpha() and all(map(unicodedata.combining, marks)):
            table[code] = letter
    return table


_UNACCENTED = _unaccented()


# The zeros that pad a month, day, hour, minute or second (2024年01月05日, 09時05分): Sudachi reads 01 as
# the number 01, another term than the 1 of 1月, so a date written one way did not match the other.
_ZERO_PADDED_RE = re.compile(
    "(?<![0-9\uff10-\uff19.,\uff0e\uff0c])[0\uff10]+(?=[0-9\uff10-\uff19]+[月日時分秒])"
)


def _unpadded(read: str, where: list[int] | None) -> tuple[str, list[int]]:
    """``read`` with the zeros that pad a month, day or time read as spaces, one for one, and ``where``
    (None: the same places) with the number after them placed at its first zero, so its term, and a
    highlight, covers the number as written (01)."""
    placed = list(range(len(read) + 1)) if where is None else list(where)
    out = list(read)
    for m in _ZERO_PADDED_RE.finditer(read):
        out[m.start() : m.end()] = " " * (m.end() - m.start())
        placed[m.end()] = placed[m.start()]
    return "".join(out), placed


# What a sentence may hold that it is not given to Sudachi as written (JapaneseAnalyzer._read): ignorables,
# middle dots, kana iteration marks, hyphens and dashes, accented Latin letters, zero-padded dates. Most
# sentences hold none, and are given as they are.
_REWRITTEN_RE = re.compile(
    f"[{_IGNORABLES}・･ゝゞヽヾ{re.escape(_LONG_MARK_STANDINS.replace('-', ''))}{_ACCENTED_RANGES}]"
)
# An ASCII hyphen is rewritten only between a Latin letter and a digit (GPT-4) or after a katakana letter
# (ケ-キ): in Markdown lists, URLs and words like state-of-the-art it is too common a character to send
# every text holding one through the rewrite. A zero, only before digits and a unit of a date or time.
_REWRITTEN_HYPHEN_RE = re.compile(
    "[A-Za-z\uff21-\uff3a\uff41-\uff5a]-[0-9\uff10-\uff19]|[\u30a1-\u30fa\uff66-\uff6f\uff71-\uff9f]-"
)
_REWRITTEN_ZERO_RE = re.compile("[0\uff10][0-9\uff10-\uff19]*[月日時分秒]")


def _may_rewrite(text: str) -> bool:
    """Whether ``text`` may hold what :meth:`JapaneseAnalyzer._read` rewrites (if not, it is given as is).
    Cheap tests first: most texts hold none of it, and this runs on every text indexed or searched."""
    return (
        _REWRITTEN_RE.search(text) is not None
        or ("-" in text and _REWRITTEN_HYPHEN_RE.search(text) is not None)
        or (("0" in text or "\uff10" in text) and _REWRITTEN_ZERO_RE.search(text) is not None)
    )


# ヶ, ケ, ヵ or が between two kanji of one word: the old genitive が (or the counter か), written four ways
# (霞ヶ関, 霞ケ関, 霞が関; 八ヶ岳, 八ケ岳). The dictionary holds the spellings as separate words, each its own
# normalized form; they are one word when it reads them alike (三ケ日, ミッカビ, is not 三ヶ日, サンガニチ).
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KE_RE = re.compile(f"(?<=[{_KANJI}])[ヶケヵが](?=[{_KANJI}])")
# The spellings tried, in this order: a word takes the normalized form of the first the dictionary holds
# with its reading, so every spelling of one word takes the same.
_KE_SPELLINGS = "ヶケが"


# A run of katakana words parted by middle dots (full- or half-width): ソフト・バンク, データ・ベース,
# ジョン・スミス, リンゴ・ミカン. Sudachi cuts it at each dot.
_DOTTED_KATAKANA_RE = re.compile(
    "[\u30a1-\u30fa\u30fc\uff66-\uff9f]+(?:[・･][\u30a1-\u30fa\u30fc\uff66-\uff9f]+)+"
)
_MIDDLE_DOTS = frozenset("・･")


# The kana iteration marks: ゝ and ヽ repeat the kana before them, ゞ and ヾ repeat it voiced (いすゞ is
# いすず, こゝろ is こころ, コヽロ is ココロ). Sudachi knows a few words with a mark, as words of their own
# (いすゞ beside いすず), and misreads the rest (さゝやか as 囁く, すゞき as す, ゞ, き).
_ITERATION_RE = re.compile("[ゝゞヽヾ]")
_HIRAGANA_RE = re.compile("[\u3041-\u3096]")
_KATAKANA_RE = re.compile("[\u30a1-\u30fa]")
_VOICED_MARK = "\u3099"


def _iterated(text: str) -> str:
    """``text`` with each kana iteration mark written as the kana it stands for, one for one (offsets
    stay); a mark after anything but a kana of its script, or voicing a kana that has no voiced form,
    stays."""
    out = list(text)
    for k, ch in enumerate(out):
        if ch not in "ゝゞヽヾ" or k == 0:
            continue
        script = _HIRAGANA_RE if ch in "ゝゞ" else _KATAKANA_RE
        if not script.fullmatch(out[k - 1]):
            continue
        base = unicodedata.normalize("NFD", out[k - 1])[0]  # the mark repeats the kana unvoiced
        kana = unicodedata.normalize("NFC", base + _VOICED_MARK) if ch in "ゞヾ" else base
        if len(kana) == 1:
            out[k] = kana
    return "".join(out)


def _dashed(text: str, one_word: Callable[[str], bool]) -> str:
    """``text`` with each hyphen or dash written as what it stands for, one for one (offsets stay): a
    space between a Latin letter and a digit, ``-`` between two Latin letters or digits, ``ー`` after a
    katakana letter (a dash of two, ――, stays a dash).

    Between two katakana a dash may also part two words (ソフト-ハード): it is ``ー`` only where
    ``one_word`` says the run of katakana it stands in is one word with ``ー`` in its place (ユ−ザ−)."""
    out: list[str] | None = None
    for m in _DASH_RE.finditer(text):
        k = m.start()
        ch = text[k]
        before = text[k - 1] if k else ""
        after = text[k + 1] if k + 1 < len(text) else ""
        latin_before = _LATIN_LETTER_RE.match(before) is not None
        alnum_before = latin_before or _DIGIT_CHAR_RE.match(before) is not None
        latin_after = _LATIN_LETTER_RE.match(after) is not None
        digit_after = _DIGIT_CHAR_RE.match(after) is not None
        if ch in _HYPHENS and latin_before and digit_after:
            read = " "
        elif ch in _HYPHENS and alnum_before and (latin_after or digit_after):
            read = "-"
        elif _KATAKANA_LETTER_RE.match(before) is None or latin_after or digit_after or _DASH_RE.match(after):
            continue
        elif _KATAKANA_RE_ANY.match(after) is None or one_word(_katakana_run(text, k)):
            read = "ー"
        else:
            continue
        if read != ch:
            if out is None:
                out = list(text)
            out[k] = read
    return text if out is None else "".join(out)


def _katakana_run(text: str, k: int) -> str:
    """The run of katakana (and single dashes between them) around the dash at ``k``, each dash after a
    katakana letter written ``ー``, NFKC (half-width katakana full-width), as the dictionary holds words."""
    start, end = k, k + 1
    while start > 0 and (_KATAKANA_RE_ANY.match(text[start - 1]) or _DASH_RE.match(text[start - 1])):
        start -= 1
    while end < len(text) and (_KATAKANA_RE_ANY.match(text[end]) or _DASH_RE.match(text[end])):
        end += 1
    run = [
        "ー" if _DASH_RE.match(ch) and j > start and _KATAKANA_LETTER_RE.match(text[j - 1]) else ch
        for j, ch in enumerate(text[start:end], start)
    ]
    return unicodedata.normalize("NFKC", "".join(run))


def _without(chunk: str, dropped: set[int]) -> tuple[str, list[int]]:
    """``chunk`` without the code points at ``dropped``, and where each code point of the result is in
    ``chunk`` (one more entry, ``len(chunk)``, for the end): an end maps past the dropped ones after it."""
    kept: list[str] = []
    at: list[int] = []
    for k, ch in enumerate(chunk):
        if k not in dropped:
            kept.append(ch)
            at.append(k)
    at.append(len(chunk))
    return "".join(kept), at


def _sanitize(text: str) -> str:
    """Replace code points Sudachi cannot take (lone surrogates, NUL) one for one, keeping offsets."""
    return _UNSAFE_RE.sub(lambda m: " " if m.group() == "\x00" else "\ufffd", text)


# Kana, the long-vowel mark and the iteration marks: Sudachi knows them, so one it tags a symbol is a stray
# mark, not a word of a script it has no entries for: a run of dashes or tildes (---, 〜〜〜, －－－ are all
# the symbol ー), a small kana typed alone (てぃー: て, ぃ, ー), ゝ.
_STRAY_KANA_RE = re.compile("[\u3005\u3006\u3031-\u3035\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


def _has_word_chars(text: str) -> bool:
    # Sudachi tags scripts it has no entries for (Thai, Devanagari, ...) as 補助記号: keep those words, but
    # not its stray kana marks, which would match every post with a horizontal rule written ---.
    return any(ch.isalnum() and not _STRAY_KANA_RE.match(ch) for ch in text)


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


def _ended(tok: Tokenizer, sentence: str) -> MorphemeList:
    """``sentence``, which ends the text without a sentence end, analysed as if a 。 ended it, which is no
    term; as it is where the 。 would join its last character into one word (an unknown symbol).

    At the end of its input Sudachi reads the last word otherwise than before a particle or a 。 (a query
    "GPT-4" was gpt, -, 4; "GPT-4 を試す" has gpt-4): ended by a 。, the most common end of a sentence, it
    reads as in the middle of a post. A line break is no neutral end: ヘクトメートル is one word before は,
    。 and the end of the input, two before a break (docs/DESIGN.md, Traps: T28).
    """
    morphemes = tok.tokenize(sentence + "。")
    if morphemes[len(morphemes) - 1].begin() == len(sentence):
        return morphemes
    return tok.tokenize(sentence)


# Sudachi's word ids for out-of-vocabulary morphemes have 0xF in their top four bits (the rest is the POS
# id), so such an id does not name one word: those are remembered by id and normalized form.
_OOV_WORD_ID = 0xF000_0000
# Remembered words and split surfaces, per process. A blog uses tens of thousands; the bound only keeps
# arbitrary input (random numbers, say) from growing the memory without end.
WORD_CACHE_LIMIT = 200_000
_DROPPED = Word("", False, ())  # a cached answer: the morpheme is not a term
# A term never holds ASCII whitespace, the characters tantivy's whitespace tokenizer cuts at (T21): a space
# inside a normalized form ("machine learning") becomes a no-break space, which Sudachi's input normalisation
# (NFKC) never leaves in a text, so no two terms become one. Queries go through the same analysis.
TERM_SPACE = "\u00a0"
_TERM_SPACES = str.maketrans(dict.fromkeys(" \t\n\r\x0b\x0c", TERM_SPACE))


# A word of katakana alone (and ー), and ヴ with the small vowel after it: the katakana stem below.
_KATAKANA_WORD_RE = re.compile("[\u30a1-\u30fa\u30fc]+")
_VU_RE = re.compile("ヴ([ァィェォュ]?)")
_VU_AS = {"ァ": "バ", "ィ": "ビ", "ェ": "ベ", "ォ": "ボ", "ュ": "ビュ", "": "ブ"}
# Lucene's katakana stemmer's bound: a word of fewer characters keeps its last ー (キー, カバー, コピー).
KATAKANA_STEM_MIN_CHARS = 4


def katakana_stem(term: str) -> str:
    """``term`` with ヴ written as the バ-row kana (ヴァイオリン is バイオリン), and, if it is a katakana word
    of at least KATAKANA_STEM_MIN_CHARS characters, without its last long-vowel mark (サーバー is サーバ).

    Loanwords are written both ways (JIS Z 8301 drops the last ー of a word of three or more sounds), and
    Sudachi's dictionary unifies only the words it holds both ways: トークナイザー and トークナイザ, パーサー
    and パーサ, ヴォーカロイド and ボーカロイド were two words each. Shorter words keep their ー, where
    dropping it makes another word (カバー is not カバ)."""
    if "ヴ" in term:
        term = _VU_RE.sub(lambda m: _VU_AS[m.group(1)], term)
    if len(term) >= KATAKANA_STEM_MIN_CHARS and term[-1] == "ー" and _KATAKANA_WORD_RE.fullmatch(term):
        return term[:-1]
    return term


def _term(normalized_form: str) -> str:
    """The search term of a normalized form: lower-cased, with no ASCII whitespace, a Roman numeral as
    its number, a katakana word by its stem (:func:`katakana_stem`)."""
    term = katakana_stem(normalized_form.lower().translate(_TERM_SPACES))
    if len(term) == 1 and "\u2160" <= term <= "\u2188":
        # Sudachi normalises Ⅶ to 7, but before a 。 after a katakana word it reads it as the symbol Ⅶ
        # (ファイナルファンタジーⅦ。): one term whatever the context.
        value = unicodedata.numeric(term, -1.0)
        if value >= 0 and value == int(value):
            return str(int(value))
    return term


def _placed(word: Word, begin: int, end: int, at: list[int]) -> tuple[int, int, Word]:
    """A morpheme at ``begin..end`` of a chunk read without its ignorables, placed in the chunk by ``at``
    (:func:`_without`), its parts' offsets too: ignorables or dots inside the word move them."""
    placed = at[begin]
    if word.parts:
        parts = tuple(
            p._replace(start=at[begin + p.start] - placed, end=at[begin + p.end] - placed) for p in word.parts
        )
        word = word._replace(parts=parts)
    return placed, at[end], word


class JapaneseAnalyzer:
    """Sudachi-based analyzer shared by indexing and querying.

    One :class:`sudachipy.Dictionary` is loaded per analyzer (create one per process, see
    :func:`get_analyzer`); each thread gets its own Tokenizer because a Tokenizer cannot be used by two
    threads at once (docs/DESIGN.md, T2).

    Everything a morpheme contributes besides its offsets (normalized form, part of speech, function word,
    A parts) depends only on its dictionary entry, and on its surface when it splits; it is worked out the
    first time and looked up after that, so the loop over morphemes makes three calls into Sudachi per
    morpheme instead of ten; what may and may not be remembered is docs/DESIGN.md, T22.
    """

    def __init__(self, dictionary: Dictionary | None = None) -> None:
        self._dictionary = dictionary if dictionary is not None else Dictionary(dict="core")
        self._local = threading.local()
        self._is_function_word = self._dictionary.pos_matcher(list(FUNCTION_WORD_POS))
        self.version = analyzer_version()
        # Shared by threads: a lookup or store is atomic, and a race only computes an entry twice.
        self._words: dict[int | tuple[int, str, str], Word] = {}
        self._split_words: dict[tuple[int, str], Word] = {}
        self._joined: dict[str, bool] = {}  # katakana runs with middle dots: one word without them?
        self._words_known: dict[str, bool] = {}  # katakana runs with dashes for ー: a word?

    def _tokenizer(self) -> Tokenizer:
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._dictionary.tokenizer(SplitMode.C)
            self._local.tokenizer = tok
        return tok

    def _one_word(self, run: str) -> bool:
        """Whether the dictionary holds ``run`` (katakana words parted by middle dots) without its dots as
        one common noun: then the dots only part a loanword's pieces (データ・ベース), where a list
        (リンゴ・ミカン) is no one word, and in a name (ボード・ガヤー, ジョン・スミス) they part names a
        reader searches alone (the dictionary's ボードガヤー does not split, so ガヤー would not find it)."""
        known = self._joined.get(run)
        if known is None:
            joined = "".join(ch for ch in run if ch not in _MIDDLE_DOTS)
            known = any(
                m.part_of_speech()[:2] == ("名詞", "普通名詞") for m in self._dictionary.lookup(joined)
            )
            if len(self._joined) >= WORD_CACHE_LIMIT:
                self._joined.clear()
            self._joined[run] = known
        return known

    def _is_word(self, katakana: str) -> bool:
        """Whether the dictionary holds ``katakana`` as a word (a dash written for ー in it, _dashed)."""
        known = self._words_known.get(katakana)
        if known is None:
            known = bool(self._dictionary.lookup(katakana))
            if len(self._words_known) >= WORD_CACHE_LIMIT:
                self._words_known.clear()
            self._words_known[katakana] = known
        return known

    def _read(self, chunk: str) -> tuple[str, list[int] | None]:
        """What Sudachi is given of ``chunk``, and where each of its code points is in ``chunk`` (None: the
        same places).

        Left out: ignorable characters, if the text has any (T29), and the middle dots of a katakana run
        the dictionary knows as one common noun without them: データ・ベース and データベース are one word
        written two ways, and Sudachi cut the first at the dot into words the second is not made of.
        A kana iteration mark is given as the kana it stands for (:func:`_iterated`), a hyphen or dash as
        what it stands for (:func:`_dashed`), a Latin letter with diacritics as its letter (é as e), the
        zeros that pad a month, day or time as spaces (:func:`_unpadded`).
        """
        dropped = {m.start() for m in _IGNORABLE_RE.finditer(chunk)}
        if "・" in chunk or "･" in chunk:
            for run in _DOTTED_KATAKANA_RE.finditer(chunk):
                if self._one_word(run.group()):
                    dropped.update(k for k in range(run.start(), run.end()) if chunk[k] in _MIDDLE_DOTS)
        read, where = (chunk, None) if not dropped else _without(chunk, dropped)
        if _ITERATION_RE.search(read) is not None:
            read = _iterated(read)
        if _DASH_RE.search(read) is not None:
            read = _dashed(read, self._is_word)
        if _ACCENTED_RE.search(read) is not None:
            read = read.translate(_UNACCENTED)  # one for one: offsets stay
        if _ZERO_PADDED_RE.search(read) is not None:
            read, where = _unpadded(read, where)
        return read, where

    def _tokenized(
        self, tok: Tokenizer, chunk: str, *, rewrite: bool
    ) -> tuple[str, list[int] | None, MorphemeList | tuple[()]]:
        """What Sudachi is given of ``chunk`` (:meth:`_read`, if its text may hold what is rewritten), where
        each of its code points is in ``chunk`` (None: the same places), and its morphemes. A text's last
        sentence may end without a sentence end: it is read as if a 。 ended it (:func:`_ended`)."""
        read, where = self._read(chunk) if rewrite and _may_rewrite(chunk) else (chunk, None)
        if not read:
            return read, where, ()
        return read, where, tok.tokenize(read) if read[-1] in _SENTENCE_ENDS else _ended(tok, read)

    def _normalized(self, m: Morpheme) -> str:
        """The term of ``m``: its normalized form (:func:`_term`), the same for the ヶ, ケ and が spellings
        of one dictionary word (:data:`_KE_RE`)."""
        surface = m.surface()
        if _KE_RE.search(surface) is None or m.is_oov():
            return _term(m.normalized_form())
        reading, pos = m.reading_form(), m.part_of_speech()[0]
        for ke in _KE_SPELLINGS:
            spelling = _KE_RE.sub(ke, surface)
            if spelling == surface:
                break
            for entry in self._dictionary.lookup(spelling):
                if entry.reading_form() == reading and entry.part_of_speech()[0] == pos:
                    return _term(entry.normalized_form())
        return _term(m.normalized_form())

    def _word(self, m: Morpheme) -> Word:
        """What ``m`` contributes as a unit, before any split: :data:`_DROPPED` if it is no term (T6)."""
        norm = self._normalized(m)
        pos = m.part_of_speech()[0]
        if pos in _DROPPED_POS and not _has_word_chars(norm):
            return _DROPPED
        reading = noun_reading(pos, m.reading_form())
        return Word(norm, self._is_function_word(m), (norm,), (), len(m.split(SplitMode.A)) > 1, reading)

    def _split_word(self, word: Word, m: Morpheme, length: int) -> tuple[Word, bool]:
        """``word`` with the A parts of ``m``; the flag says whether the result may be reused for another
        occurrence of the same word and surface (not when a part has no surface of its own, T8)."""
        begin = m.begin()
        parts: list[Part] = []
        reusable = True
        for p in m.split(SplitMode.A):
            pnorm = self._normalized(p)
            if not _has_word_chars(pnorm) and p.part_of_speech()[0] in _DROPPED_POS:
                continue
            if p.end() <= p.begin():
                reusable = False
            p_begin, p_end = _surface_span(p.begin(), p.end(), length)
            reading = noun_reading(p.part_of_speech()[0], p.reading_form())
            parts.append(Part(pnorm, p_begin - begin, p_end - begin, self._is_function_word(p), reading))
        if not parts:  # every part was punctuation: the word stands for itself
            return word._replace(splits=False), reusable
        fine = tuple(p.text for p in parts)
        return word._replace(fine=fine, parts=tuple(parts), splits=False, many_parts=len(parts) > 1), reusable

    def terms(
        self,
        text: str,
        *,
        max_chunk_bytes: int = MAX_CHUNK_BYTES,
        sentences: dict[str, Sentence] | None = None,
    ) -> Terms:
        """Analyse ``text`` into C units with their A parts; symbols and whitespace are dropped.

        Never raises for any ``str``: long input is chunked below Sudachi's size limit and code points
        it cannot take are replaced one for one, so offsets still index the original text.

        :param text: any text.
        :param max_chunk_bytes: chunk size limit (lowered by tests to check chunking changes nothing).
        :param sentences: the sentences analysed so far, by text; given, a sentence found there is not
            analysed again, and each one analysed is added. Each sentence is analysed alone (T4), so its
            terms depend on its text only: the indexer passes one dict per post, whose boilerplate
            sentences then cost one analysis.
        :return: the :class:`Terms`, in text order.
        """
        words_seen = self._words
        split_seen = self._split_words
        words: list[Word] = []
        starts: list[int] = []
        ends: list[int] = []
        occurrences: dict[str, list[int]] = {}
        add_word, add_start, add_end = words.append, starts.append, ends.append
        seen_at = occurrences.get
        oov, dropped = _OOV_WORD_ID, _DROPPED  # locals: read once per morpheme
        text = _sanitize(text)
        tok = self._tokenizer()
        rewrite = _may_rewrite(text)  # one search of the text, not one per sentence
        for offset, chunk in iter_chunks(text, max_chunk_bytes):
            if sentences is not None:
                known = sentences.get(chunk)
                if known is not None:
                    _repeat(known, offset, words, starts, ends, occurrences)
                    continue
            first = len(words)
            # Every value is copied out of the morpheme before the next tokenize call reuses memory.
            read, where, morphemes = self._tokenized(tok, chunk, rewrite=rewrite)
            for m in morphemes:
                word_id = m.word_id()
                # An out-of-vocabulary morpheme is its normalized input (after ㎼ -> μW, "Ｂ" can stand for
                # "WB") read as written (十二 and 12 are both "12", read ジュウニ and イチニ): T22.
                # An OOV id is never a key of its own (an OOV word is stored under a tuple, below): a
                # lookup of one finds nothing, which saves telling the two kinds apart for every morpheme.
                word = words_seen.get(word_id)
                if word is None:
                    oov_key = (word_id, m.normalized_form(), m.reading_form())
                    key: int | tuple[int, str, str] = word_id if word_id < oov else oov_key
                    word = words_seen.get(key)
                    if word is None:
                        word = self._word(m)
                        if len(words_seen) >= WORD_CACHE_LIMIT:
                            words_seen.clear()
                        words_seen[key] = word
                if word is dropped:
                    continue
                begin = m.begin()
                end = m.end()
                if end <= begin:
                    begin, end = _surface_span(begin, end, len(read))
                elif word.splits and end - begin > 1:  # a single character cannot split
                    split_key = (word_id, m.surface())
                    split = split_seen.get(split_key)
                    if split is None:
                        split, reusable = self._split_word(word, m, len(read))
                        if reusable:
                            if len(split_seen) >= WORD_CACHE_LIMIT:
                                split_seen.clear()
                            split_seen[split_key] = split
                    word = split
                if where is not None:
                    begin, end, word = _placed(word, begin, end, where)
                start = offset + begin
                end += offset
                add_word(word)
                add_start(start)
                add_end(end)
                # Where each term occurs, gathered here rather than in a second pass over the units, and
                # written out rather than called (as _repeat does): a call per unit costs a tenth of the loop.
                term = word.text
                at = seen_at(term)
                if at is None:
                    occurrences[term] = [start, end]
                else:
                    at += (start, end)
                if word.many_parts:
                    for part in word.parts:
                        at = seen_at(part.text)
                        if at is None:
                            occurrences[part.text] = [start + part.start, start + part.end]
                        else:
                            at += (start + part.start, start + part.end)
            if sentences is not None:
                sentences[chunk] = Sentence(words, starts, ends, first, len(words), offset)
        return Terms(words, starts, ends, occurrences)

    def analyze(self, text: str, *, max_chunk_bytes: int = MAX_CHUNK_BYTES) -> Analysis:
        """Analyse ``text`` as :meth:`terms` does, into units of :class:`Term` with positions.

        :return: the :class:`Analysis`; positions count kept terms from 0 in each stream.
        """
        return self.terms(text, max_chunk_bytes=max_chunk_bytes).analysis()

    def word_boundaries(self, text: str) -> list[int]:
        """Where words (C units) begin and end in ``text``, as code-point offsets: places to cut it."""
        terms = self.terms(text)
        return sorted({*terms.starts, *terms.ends})


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
