"""Which words of a query are searched for: analysed once, bounded, the most informative kept, and what
else each is searched as (kana read as words, romaji, synonyms), below the word as typed.

The work of one request is bounded whatever its text: the index is served to the public internet, where one
pasted page or crafted query must not cost as much as hundreds of ordinary searches. What is left out is
named in ``SearchPage.ignored``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import INLINE_SPACES
from mikke.search.analysis import NAME_JOINERS
from mikke.search.analysis import Analysis
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.analysis import Term
from mikke.search.analysis import Unit
from mikke.search.readings import Entry
from mikke.search.readings import ReadingMatch
from mikke.search.readings import Vocabulary
from mikke.search.readings import combinations
from mikke.search.readings import kana_runs
from mikke.search.readings import read_as_words
from mikke.search.readings import spelled
from mikke.search.readings import to_katakana
from mikke.search.romaji import romaji_to_katakana
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
# Query words also searched by what they read as (kana typed as words, romaji), and the words each one
# is also searched as: bounds the extra clauses of one request.
MAX_EXPANDED_WORDS = 8
MAX_ALTERNATIVES = 4
# Query words (and kana runs) examined for expansion at all, in query order: a pasted page is not.
MAX_EXPANSION_CANDIDATES = 16
# Synonyms looked up in the index per query word (their groups can be large), and the share of the posts
# above which a word is not expanded by synonyms at all (技術 on a tech blog).
MAX_SYNONYMS_TRIED = 12
SYNONYMS_MAX_SHARE = 0.5
# An all-ASCII word is also read as romaji when at most this many posts hold it as written: an English word
# the blog uses (deepseek, rag, sake on a blog about it) keeps its meaning.
ROMAJI_MAX_POSTS = 1


@dataclass(frozen=True, slots=True)
class QueryWord:
    """A query word: its C term and the A parts that must stand together when it is matched by parts."""

    coarse: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expansion:
    """Other words a query word is also searched as, below the word as typed, and why."""

    typed: str  # the query's text the word came from
    by: str  # "reading" (kana typed as words) or "romaji"
    alternatives: tuple[QueryWord, ...]
    spellings: tuple[str, ...]  # how each alternative is written, for the reader


def as_word(analysis: Analysis) -> QueryWord | None:
    """``analysis`` as one query word: a single unit as itself, several as a compound (their joined
    terms, matched by their parts standing together)."""
    units = analysis.units
    if not units:
        return None
    if len(units) == 1:
        return QueryWord(units[0].coarse.text, tuple(p.text for p in units[0].parts))
    return QueryWord("".join(u.coarse.text for u in units), tuple(p.text for u in units for p in u.parts))


# Words the index's words and synonyms analyse into, per process: the same few thousand come up again.
_WORDS_FOR: dict[str, QueryWord | None] = {}
MAX_REMEMBERED_WORDS = 50_000


def word_for(analyzer: JapaneseAnalyzer, spelling: str) -> QueryWord | None:
    """``spelling`` analysed as one query word (see :func:`as_word`), remembered."""
    if spelling in _WORDS_FOR:
        return _WORDS_FOR[spelling]
    word = as_word(analyzer.analyze(spelling))
    if len(_WORDS_FOR) >= MAX_REMEMBERED_WORDS:
        _WORDS_FOR.clear()
    _WORDS_FOR[spelling] = word
    return word


def query_words(analysis: Analysis, runs: Sequence[tuple[int, int]] = ()) -> list[QueryWord]:
    """Every distinct content word of ``analysis`` in order of first occurrence (function words only when
    the query has nothing else); the units inside each of ``runs`` (kana typed as words) make one word,
    since Sudachi cuts such a run into nonsense (じん|こうち|のう)."""
    content: Sequence[Unit] = [u for u in analysis.units if not u.coarse.is_function_word]
    units = content or analysis.units  # a query of only function words still searches for them
    run_of: dict[int, tuple[int, int]] = {}  # the start of a unit inside a run -> the run
    for span in runs:
        for unit in _units_in(analysis, span):
            run_of[unit.coarse.start] = span
    seen: set[str] = set()
    words: list[QueryWord] = []
    for u in units:
        run = run_of.get(u.coarse.start)
        word: QueryWord | None = QueryWord(u.coarse.text, tuple(p.text for p in u.parts))
        if run is not None:
            word = as_word(Analysis(_units_in(analysis, run)))
        if word is None or word.coarse in seen:
            continue
        seen.add(word.coarse)
        words.append(word)
    return words


_LATIN_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_VERSION_RE = re.compile(r"[0-9]{1,2}(?:\.[0-9]+)?\Z")
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)*\Z")
_KATAKANA_WORD_RE = re.compile("[\u30a1-\u30fa][\u30a1-\u30fa\u30fc]+\\Z")
# Full-width ASCII and the ideographic space as their ASCII forms, one for one (as NFKC reads them).
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# What makes a number after a word a count (2つ, 3倍, 4社), not the word's level or version.
_COUNTERS = frozenset("つ個人件回台年月日時分秒倍割位社点本枚歳円億万千兆%％")


def name_runs(text: str, analysis: Analysis) -> list[tuple[int, int]]:
    """Spans of model and product names written as letters and a number (HBM4, GPT-5, o3, SB53, GPT-4.5,
    Claude 4), or as a katakana word and a number (レベル4, フェーズ3), which Sudachi cuts apart (hbm|4):
    each is searched as one word, its parts standing together, so that a post about HBM4 ranks above one
    that says HBM often and 4 somewhere. A name typed in full-width letters (ＧＰＴ－４) is one too."""
    text = text.translate(_HALF_WIDTH)
    runs: list[tuple[int, int]] = []
    units = analysis.units
    k = 0
    while k < len(units):
        start, end = units[k].coarse.start, units[k].coarse.end
        j = k
        if _KATAKANA_WORD_RE.match(text[start:end]) and k + 1 < len(units):
            nxt = units[k + 1].coarse
            after = text[nxt.end : nxt.end + 1]
            # Written right after the word, and not a count of something (アプリ2つ, ポイント3倍).
            if nxt.start == end and _VERSION_RE.match(text[nxt.start : nxt.end]) and after not in _COUNTERS:
                runs.append((start, nxt.end))
                j = k + 1
        elif _LATIN_RE.match(text[start:end]):
            while j + 1 < len(units):
                nxt = units[j + 1].coarse
                gap = text[units[j].coarse.end : nxt.start]
                surface = text[nxt.start : nxt.end]
                # A space only before a version number (Claude 4, Llama 3.1), never a year (AI 2024).
                after = text[nxt.end : nxt.end + 1]
                version = (
                    gap == " "
                    and bool(_VERSION_RE.match(surface))
                    and bool(_LATIN_RE.match(text[start:end]))
                    and (not after or after.isascii() or not after.isalnum())  # not 1つ, 3月
                )
                if (gap not in ("", "-", ".") and not version) or not _ALNUM_RE.match(surface):
                    break
                j += 1
            surfaces = [text[u.coarse.start : u.coarse.end] for u in units[k : j + 1]]
            if j > k and any(ch.isdigit() for s in surfaces for ch in s):
                runs.append((start, units[j].coarse.end))
        k = j + 1
    return runs


def _units_in(analysis: Analysis, run: tuple[int, int]) -> tuple[Unit, ...]:
    """The units of ``analysis`` inside the span ``run`` (units are in text order)."""
    units = analysis.units
    at = bisect.bisect_left(units, run[0], key=lambda u: u.coarse.start)
    inside = []
    while at < len(units) and units[at].coarse.end <= run[1]:
        inside.append(units[at])
        at += 1
    return tuple(inside)


def _readable_runs(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    text: str,
    analysis: Analysis,
    runs: Sequence[tuple[int, int]],
    vocab: Vocabulary,
) -> dict[tuple[int, int], ReadingMatch]:
    """The kana runs that read as other words of the index than Sudachi makes of them, with what they
    read as: only those are searched as one word; the rest keep Sudachi's words.

    A katakana word the posts use reads only as one word of the index spelled in Latin letters or
    katakana (エヌビディア -> NVIDIA), never as kanji homophones (タイ is not 体); katakana no post
    uses, and hiragana, read as the words they spell when those are more common in the index than the
    kana as typed (ジンコウチノウ, じんこうちのう -> 人工知能; not はいくら -> ハイクラ).
    """
    readable: dict[tuple[int, int], ReadingMatch] = {}
    for run, word in _run_words(analysis, runs[:MAX_EXPANSION_CANDIDATES]).items():
        typed = text[run[0] : run[1]]
        match = read_as_words(vocab, to_katakana(typed))
        if typed[0] in _KATAKANA_CHARS and (match is None or not any(map(_is_name_entry, match.options[0]))):
            # No word of the index is read so: a Latin name Sudachi cannot read may sound like it.
            name = vocab.name_sounding_like(typed)
            if name is not None:
                match = ReadingMatch((typed,), ((name,),))
        if match is None:
            continue
        typed_posts = _word_doc_freq(searcher, word)
        if typed[0] in _KATAKANA_CHARS:
            if len(match.pieces) != 1:
                continue  # katakana is one word: フルネーム is not 府 + ルネーム
            if typed_posts:
                names = tuple(e for e in match.options[0] if _is_name(e.spelling))
                if not names:
                    continue
                match = ReadingMatch(match.pieces, (names,))
        if max(e.posts for e in match.options[0]) <= typed_posts and typed[0] not in _KATAKANA_CHARS:
            continue
        alternative = word_for(analyzer, spelled(combinations(match, 1)[0]))
        if alternative is not None and alternative.coarse != word.coarse:
            readable[run] = match
    return readable


_KATAKANA_CHARS = frozenset(chr(c) for c in range(0x30A1, 0x30FB))
# How a name is spelled when a katakana word is its reading: Latin letters, digits and katakana.
_NAME_SPELLING_RE = re.compile("[A-Za-z0-9\u30a1-\u30fa\u30fc .&'・+-]+")
_LETTER_RE = re.compile("[A-Za-z]")


def _is_name_entry(entry: Entry) -> bool:
    return _is_name(entry.spelling)


def _is_name(spelling: str) -> bool:
    """Whether ``spelling`` can be the Latin (or other katakana) name a katakana word reads as: at least
    three characters with a letter, so units and numbers (トン: t, メートル: m, サン: 3) are not."""
    return (
        len(spelling) >= 3
        and bool(_LETTER_RE.search(spelling))
        and bool(_NAME_SPELLING_RE.fullmatch(spelling))
    )


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _run_words(analysis: Analysis, runs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], QueryWord]:
    """The query word each run makes."""
    out: dict[tuple[int, int], QueryWord] = {}
    for run in runs:
        word = as_word(Analysis(_units_in(analysis, run)))
        if word is not None:
            out[run] = word
    return out


def expand_words(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    text: str,
    analysis: Analysis,
    words: Sequence[QueryWord],
    run_matches: Mapping[tuple[int, int], ReadingMatch],
    phrase_runs: Sequence[tuple[int, int]],
    vocab: Vocabulary,
) -> dict[str, Expansion]:
    """What each query word also reads as: a kana run as the index's words with that reading
    (じんこうちのう -> 人工知能), in an all-ASCII query a word few posts hold as written as romaji
    (handoutai -> 半導体), and any other noun its synonyms (人工知能 -> AI; ``phrase_runs``: words
    typed together that name one thing, 検索拡張生成 -> RAG). The words as typed always stay searched
    too."""
    expansions: dict[str, Expansion] = {}
    by_run = {word.coarse: run for run, word in _run_words(analysis, list(run_matches)).items()}
    # How each word is written in the query, for synonyms: nouns only (a reading, or Latin letters).
    surfaces: dict[str, str] = {
        w.coarse: text[r[0] : r[1]] for r, w in _run_words(analysis, list(phrase_runs)).items()
    }
    for u in analysis.units:
        if u.coarse.reading or (u.coarse.text.isascii() and u.coarse.text.isalnum()):
            surfaces.setdefault(u.coarse.text, text[u.coarse.start : u.coarse.end])
    ascii_query = text.isascii()
    romaji: list[tuple[QueryWord, str]] = []
    for word in words:
        if len(expansions) >= MAX_EXPANDED_WORDS:
            break
        run = by_run.get(word.coarse)
        match: ReadingMatch | None = None
        typed, by = "", ""
        if run is not None:
            typed, by, match = text[run[0] : run[1]], "reading", run_matches[run]
        elif ascii_query and word.coarse.isascii() and word.coarse.isalpha():
            kana = romaji_to_katakana(word.coarse)
            # One kana (to, ni, wa) is a particle or a letter, not a word typed in romaji.
            if kana is not None and len(kana) > 1 and _word_doc_freq(searcher, word) <= ROMAJI_MAX_POSTS:
                romaji.append((word, kana))
                typed, by = word.coarse, "romaji"
                match = read_as_words(vocab, kana) or read_as_words(vocab, kana, loose=True)
        if not by:
            if _word_doc_freq(searcher, word) > SYNONYMS_MAX_SHARE * searcher.num_docs:
                continue  # most posts hold it already: its synonyms would add little but cost
            synonyms = _synonyms(searcher, analyzer, word, surfaces.get(word.coarse), vocab)
            if synonyms is not None:
                expansions[word.coarse] = synonyms
            continue
        expansion = _read_as(analyzer, word, match, typed, by) if match is not None else None
        if expansion is not None:
            expansions[word.coarse] = expansion
    if len(romaji) > 1:
        _read_romaji_together(analyzer, romaji, vocab, expansions)
    return expansions


def _read_as(
    analyzer: JapaneseAnalyzer, word: QueryWord, match: ReadingMatch, typed: str, by: str
) -> Expansion | None:
    """``word`` also searched as the index's words its reading ``match`` spells (at most
    MAX_ALTERNATIVES spellings); None when it spells only itself."""
    alternatives: dict[str, tuple[QueryWord, str]] = {}
    for combo in combinations(match, MAX_ALTERNATIVES):
        shown = spelled(combo)
        alternative = word_for(analyzer, shown)
        if alternative is not None and alternative.coarse != word.coarse:
            alternatives.setdefault(alternative.coarse, (alternative, shown))
    if not alternatives:
        return None
    return Expansion(
        typed,
        by,
        tuple(a for a, _ in alternatives.values()),
        tuple(shown for _, shown in alternatives.values()),
    )


def _synonyms(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    word: QueryWord,
    surface: str | None,
    vocab: Vocabulary,
) -> Expansion | None:
    """``word`` (a noun written ``surface``) also searched as its synonyms the posts use, the most
    common first (at most MAX_ALTERNATIVES)."""
    if surface is None:
        return None
    found: dict[str, tuple[QueryWord, str, int]] = {}
    for spelling in vocab.synonyms([word.coarse, surface])[:MAX_SYNONYMS_TRIED]:
        alternative = word_for(analyzer, spelling)
        if alternative is None or alternative.coarse == word.coarse or alternative.coarse in found:
            continue
        posts = _word_doc_freq(searcher, alternative)
        if posts:
            found[alternative.coarse] = (alternative, spelling, posts)
    if not found:
        return None
    best = sorted(found.values(), key=lambda x: -x[2])[:MAX_ALTERNATIVES]
    return Expansion(surface, "synonym", tuple(a for a, _, _ in best), tuple(s for _, s, _ in best))


def synonym_runs(text: str, analysis: Analysis, vocab: Vocabulary) -> list[tuple[int, int]]:
    """Words typed together (between spaces) that have synonyms as a whole: 検索拡張生成 (Sudachi's
    検索 + 拡張 + 生成) is RAG. Such a run is searched as one word, with its synonyms."""
    runs: list[tuple[int, int]] = []
    for match in itertools.islice(_CHUNK_RE.finditer(text), MAX_EXPANSION_CANDIDATES):
        start, end = match.span()
        if len(_units_in(analysis, (start, end))) > 1 and vocab.synonyms([match.group()]):
            runs.append((start, end))
    return runs


_CHUNK_RE = re.compile(r"\S{2,40}")


def _read_romaji_together(
    analyzer: JapaneseAnalyzer,
    romaji: Sequence[tuple[QueryWord, str]],
    vocab: Vocabulary,
    expansions: dict[str, Expansion],
) -> None:
    """Romaji words typed apart may spell one word together (jinkou chinou -> 人工知能): the first of
    them is also searched as that word, and the posts holding it then match every one of them."""
    joined = "".join(kana for _, kana in romaji)
    match = read_as_words(vocab, joined) or read_as_words(vocab, joined, loose=True)
    if match is None or len(match.pieces) >= len(romaji):
        return
    shown = spelled(combinations(match, 1)[0])
    together = word_for(analyzer, shown)
    first = romaji[0][0]
    if together is None:
        return
    known = expansions.get(first.coarse)
    if known is None:
        expansions[first.coarse] = Expansion(first.coarse, "romaji", (together,), (shown,))
    elif together not in known.alternatives:
        expansions[first.coarse] = Expansion(
            known.typed, known.by, (together, *known.alternatives), (shown, *known.spellings)
        )


def fused_neighbours(
    analysis: Analysis,
    words: Sequence[QueryWord],
    searcher: tantivy.Searcher,
    text: str = "",
    analyzer: JapaneseAnalyzer | None = None,
) -> dict[str, list[str]]:
    """Map each query word to the indexed terms it forms with an adjacent query word.

    Sudachi splits the same string differently in different contexts (``１ヘクトメートル`` gives ヘクト +
    メートル, the title ``ヘクトメートル`` one unit), so a word also matches where it and its neighbour
    were analysed as one unit. Two Latin words parted in ``text`` by one hyphen, period or space, and two
    katakana words parted by a space, are neighbours too: a name is written whole or in parts (Node.js
    and NodeJS, K-POP and KPOP, Git Hub and GitHub, ホーム ページ and ホームページ), and the two written
    together are what ``analyzer`` makes of them (Sudachi reads Blu as blu and ray as レイ, BluRay as
    bluray). Only fusions that occur in the index are kept.
    """
    searched = {w.coarse for w in words}
    fused: dict[str, list[str]] = {}
    tried: set[str] = set()
    for a, b in itertools.pairwise(analysis.units):
        if a.coarse.text not in searched or b.coarse.text not in searched:
            continue
        parts = _name_parts(text, a.coarse, b.coarse)
        if a.coarse.end != b.coarse.start and not parts:
            continue
        term = a.coarse.text + b.coarse.text
        if parts and analyzer is not None:
            whole = word_for(
                analyzer, text[a.coarse.start : a.coarse.end] + text[b.coarse.start : b.coarse.end]
            )
            if whole is not None and len(whole.parts) == 1:
                term = whole.coarse
        if term in tried or len(tried) >= MAX_QUERY_WORDS:
            continue
        tried.add(term)
        if not any(posts_holding(searcher, field, term) for field, _ in f.TEXT_FIELDS):
            continue
        for word in (a.coarse.text, b.coarse.text):
            if term not in fused.setdefault(word, []):
                fused[word].append(term)
    return fused


def _name_parts(text: str, a: Term, b: Term) -> bool:
    """Whether ``a`` and ``b`` are Latin words (letters and digits) written together or parted in
    ``text`` by one hyphen, period or space, as the parts of a name are (Node.js, K-POP, Git Hub), or
    katakana words parted by one space (ホーム ページ)."""
    gap = text[a.end : b.start]
    if len(gap) > 1 or (gap and gap not in NAME_JOINERS and gap not in INLINE_SPACES):
        return False
    surfaces = [text[t.start : t.end].translate(_HALF_WIDTH) for t in (a, b)]
    if all(map(_LATIN_WORD_RE.fullmatch, surfaces)):
        return True
    return gap in INLINE_SPACES and all(_KATAKANA_WORD_RE.match(x) for x in surfaces)


_LATIN_WORD_RE = re.compile("[A-Za-z0-9]+")
# A name of Latin words and numbers parted by hyphens, periods or spaces (Blu-ray, Node.js, GPT-4o).
_LATIN_NAME_RE = re.compile("[A-Za-z0-9]+(?:[-.\u2010\u2013\u2212 ][A-Za-z0-9]+)+")
_NAME_GAPS_RE = re.compile("[-.\u2010\u2013\u2212 ]")


def written_whole(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    text: str,
    analysis: Analysis,
    runs: Sequence[tuple[int, int]],
) -> list[tuple[str, str]]:
    """For each run searched as one word (a name, words with synonyms as a whole) that is a Latin name in
    parts (Blu-ray), the word and the term its parts make written together (BluRay: bluray), where a post
    holds that term: the run's word also matches it, as two neighbours match their fusion."""
    found: list[tuple[str, str]] = []
    for run, word in _run_words(analysis, runs[:MAX_EXPANSION_CANDIDATES]).items():
        surface = text[run[0] : run[1]].translate(_HALF_WIDTH)
        if not _LATIN_NAME_RE.fullmatch(surface):
            continue
        whole = word_for(analyzer, _NAME_GAPS_RE.sub("", surface))
        if whole is None or len(whole.parts) != 1 or whole.coarse == word.coarse:
            continue
        if any(searcher.doc_freq(field, whole.coarse) for field, _ in f.TEXT_FIELDS):
            found.append((word.coarse, whole.coarse))
    return found


# A Latin word parted when no post holds it whole: letters only (a number in it makes a name run already),
# or a katakana word, no longer than a name is, which bounds the term lookups of one word.
_PARTED_RE = re.compile("[a-z]{3,24}|[\u30a1-\u30fa][\u30a1-\u30fa\u30fc]{3,23}")


def parted_latin(searcher: tantivy.Searcher, analyzer: JapaneseAnalyzer, word: QueryWord) -> QueryWord:
    """``word``, a Latin or katakana word no post holds (nodejs, kpop, javascript, ホームページ), as two
    words posts write next to each other (Node.js, K-POP, Java Script, ホーム ページ: the parts' pair
    term, schema.PAIRS_OF), the most posts' if several cuts are written; ``word`` itself otherwise. It is
    then matched whole or by its parts, as a compound is, and highlighted across the period, hyphen or
    space between them."""
    if len(word.parts) != 1 or not _PARTED_RE.fullmatch(word.coarse):
        return word
    if any(searcher.doc_freq(field, word.coarse) for pair in f.TEXT_FIELDS for field in pair):
        return word
    best, best_posts = word, 0
    for cut in range(1, len(word.coarse)):
        first, second = word_for(analyzer, word.coarse[:cut]), word_for(analyzer, word.coarse[cut:])
        if first is None or second is None or len(first.parts) != 1 or len(second.parts) != 1:
            continue
        pair = f.pair_term(first.parts[0], second.parts[0])
        if pair == f.PAIR_FILLER:
            continue
        posts = max(searcher.doc_freq(field, pair) for field in f.PAIRS_OF.values())
        if posts > best_posts:
            best, best_posts = QueryWord(word.coarse, (first.parts[0], second.parts[0])), posts
    return best


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
    # scored word -> what else it is searched as (by reading, romaji); empty when expansion is off
    expansions: dict[str, Expansion] = field(default_factory=dict)
    # The free text (without phrases and exclusions) and its analysis, for did-you-mean (search/respell.py).
    text: str = ""
    analysis: Analysis | None = None

    @property
    def typed_keywords(self) -> int:
        """How many keywords the reader typed: the free text's pieces between spaces that hold a letter or
        digit (導入率 is one, though Sudachi cuts it into 導入 and 率)."""
        return sum(1 for piece in self.text.split() if any(ch.isalnum() for ch in piece))


# Posts of a posting list counted one by one (about 13 ns each) to leave out the versions updates replaced;
# above it, tantivy's count is taken as it is (see posts_holding).
LIVE_COUNT_MAX_POSTS = 1_000


@functools.cache
def _schema() -> tantivy.Schema:
    return f.build_schema()


def posts_holding(searcher: tantivy.Searcher, field: str, term: str) -> int:
    """How many posts hold ``term`` in ``field``.

    tantivy's ``doc_freq`` also counts the versions of posts that an update replaced or deleted, until a
    merge of their segment drops them, so after an edit took a word out of the only post that held it the
    word would still be "held", and an edited post would share all its words with its own old version: an
    incremental index would decide otherwise than a full rebuild (docs/DESIGN.md, Traps). The live posts
    are counted when the word is in at most LIVE_COUNT_MAX_POSTS; a word in more posts is common enough
    that the few replaced versions barely move its count, and counting them would cost a search its speed.
    """
    df = searcher.doc_freq(field, term)
    if not df or df > LIVE_COUNT_MAX_POSTS:
        return df
    found = searcher.search(tantivy.Query.term_query(_schema(), field, term), 1, count=True)
    return int(found.count or 0)  # type: ignore[attr-defined]  # tantivy 0.27's stub omits count


def _word_doc_freq(searcher: tantivy.Searcher, word: QueryWord) -> int:
    df = posts_holding(searcher, f.FIELD_BODY, word.coarse)
    if df or len(word.parts) == 1:
        return df
    # A compound missing as a whole is found through its parts; its rarest part bounds how common it is.
    return min(posts_holding(searcher, f.FIELD_BODY_FINE, p) for p in word.parts)


def rarity(doc_freq: int) -> tuple[bool, int]:
    """Sort key, most informative first: the rarest words, then words in no body at all (they score
    only where they are in a title or heading)."""
    return (not doc_freq, doc_freq)


def _score_words(
    searcher: tantivy.Searcher,
    words: Sequence[QueryWord],
    expansions: dict[str, Expansion] | None = None,
) -> tuple[list[QueryWord], dict[str, int], set[str]]:
    """Choose the words to score: the rarest first, at most MAX_QUERY_WORDS, and together in at most
    MAX_QUERY_POSTINGS_PER_POST times as many posts as the index holds. The rarest word is always kept.
    Ties keep query order (the sort is stable).

    A word with ``expansions`` counts as common as the most common of its forms. Its other forms are
    searched only while the budget allows them too, the rarest words' first: they are what a pasted
    paragraph of common words would otherwise multiply.

    :return: the words scored, their document frequencies, and the scored words whose expansion fits.
    """
    candidates = words[:MAX_CANDIDATE_WORDS]
    exact = {w.coarse: _word_doc_freq(searcher, w) for w in candidates}
    freq = dict(exact)
    extra: dict[str, int] = {}
    for w in candidates:
        expansion = (expansions or {}).get(w.coarse)
        if expansion is not None:
            others = [_word_doc_freq(searcher, a) for a in expansion.alternatives]
            freq[w.coarse] = max(exact[w.coarse], *others)
            extra[w.coarse] = sum(others)
    budget = MAX_QUERY_POSTINGS_PER_POST * max(1, searcher.num_docs)
    scored: list[QueryWord] = []
    postings = 0
    for word in sorted(candidates, key=lambda w: rarity(freq[w.coarse])):
        if len(scored) >= MAX_QUERY_WORDS:
            break
        if scored and postings + exact[word.coarse] > budget:
            continue  # a word in no body still fits
        scored.append(word)
        postings += exact[word.coarse]
    expanded = set()
    for word in scored:  # the rarest first
        cost = extra.get(word.coarse)
        if cost is not None and (postings + cost <= budget or len(scored) == 1):
            expanded.add(word.coarse)
            postings += cost
    return (
        scored,
        {w.coarse: freq[w.coarse] if w.coarse in expanded else exact[w.coarse] for w in scored},
        expanded,
    )


def _phrase_doc_freq(searcher: tantivy.Searcher, analysis: Analysis) -> int:
    """How many posts a phrase can match at most: the document frequency of its rarest part."""
    return min(posts_holding(searcher, f.FIELD_BODY_FINE, t) for t in {t.text for t in analysis.fine})


def _chosen_phrases(
    searcher: tantivy.Searcher, analyzer: JapaneseAnalyzer, typed: Sequence[str], ignored: dict[str, None]
) -> tuple[Analysis, ...]:
    """The phrases searched for, at most MAX_QUERY_PHRASES; the others are added to ``ignored``.

    Every phrase must match, so the rarest ones narrow the results most and drive the intersection.
    """
    distinct = list(dict.fromkeys(typed))
    candidates = [
        (p, a) for p, a in ((p, analyzer.analyze(p)) for p in distinct[:MAX_CANDIDATE_PHRASES]) if a.units
    ]
    if len(candidates) > MAX_QUERY_PHRASES:
        freq = {p: _phrase_doc_freq(searcher, a) for p, a in candidates}
        chosen = set(sorted(freq, key=lambda p: freq[p])[:MAX_QUERY_PHRASES])  # stable: ties keep order
    else:
        chosen = {p for p, _ in candidates}
    # A phrase of only symbols is not searched for either way; it is not reported.
    searchable = {p for p, _ in candidates} | set(distinct[MAX_CANDIDATE_PHRASES:])
    ignored.update((f'"{p}"', None) for p in distinct if p in searchable and p not in chosen)
    return tuple(a for p, a in candidates if p in chosen)


def _exclusions(analyzer: JapaneseAnalyzer, typed: Sequence[str], ignored: dict[str, None]) -> list[Analysis]:
    """The first MAX_EXCLUDED_WORDS excluded words, analysed; the others are added to ``ignored``."""
    excluded: list[Analysis] = []
    for word in dict.fromkeys(typed):
        if len(excluded) >= MAX_EXCLUDED_WORDS:
            ignored[f"-{word}"] = None
            continue
        analysis = analyzer.analyze(word)
        if analysis.units:
            excluded.append(analysis)
    return excluded


def _typed_runs(
    searcher: tantivy.Searcher, analyzer: JapaneseAnalyzer, text: str, analysis: Analysis, vocab: Vocabulary
) -> tuple[dict[tuple[int, int], ReadingMatch], list[tuple[int, int]]]:
    """The runs of ``text`` searched as other words: kana (or romaji) read as the index's words, and the
    words typed together that have synonyms as a whole (where no reading took them)."""
    runs = _readable_runs(searcher, analyzer, text, analysis, kana_runs(text), vocab)
    phrase_runs = [r for r in synonym_runs(text, analysis, vocab) if not any(_overlap(r, k) for k in runs)]
    return runs, phrase_runs


def _fused(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    text: str,
    analysis: Analysis,
    scored: Sequence[QueryWord],
    whole_runs: Sequence[tuple[int, int]],
) -> dict[str, list[str]]:
    """Each scored word's other terms: what it forms with a neighbour (fused_neighbours), and what the
    run of ``whole_runs`` holding it is written together as (written_whole)."""
    fused = fused_neighbours(analysis, scored, searcher, text, analyzer) if len(scored) > 1 else {}
    for coarse, whole in written_whole(searcher, analyzer, text, analysis, whole_runs):
        if whole not in fused.setdefault(coarse, []):
            fused[coarse].append(whole)
    return fused


def analyse_query(
    searcher: tantivy.Searcher,
    analyzer: JapaneseAnalyzer,
    text: str,
    vocab: Vocabulary | None = None,
) -> QueryTerms:
    """Analyse and bound the user's ``text``; given the index's ``vocab``, words typed in kana or romaji
    are also searched as the words they read as (without it, nothing is expanded)."""
    parsed = parse_user_query(text)
    analysis = analyzer.analyze(parsed.text) if parsed.text else None
    runs, phrase_runs = (
        _typed_runs(searcher, analyzer, parsed.text, analysis, vocab)
        if analysis and vocab is not None
        else ({}, [])
    )
    names = name_runs(parsed.text, analysis) if analysis else []
    words = query_words(analysis, [*runs, *phrase_runs, *names]) if analysis else []
    candidates = words[:MAX_EXPANSION_CANDIDATES]
    expansions = (
        expand_words(searcher, analyzer, parsed.text, analysis, candidates, runs, phrase_runs, vocab)
        if analysis and vocab is not None
        else {}
    )
    # After expansion, which reads a Latin word few posts hold as romaji (handoutai), not as Latin words.
    words = [
        parted_latin(searcher, analyzer, w) if k < MAX_EXPANSION_CANDIDATES else w
        for k, w in enumerate(words)
    ]
    scored, doc_freq, expandable = _score_words(searcher, words, expansions)
    kept = {w.coarse for w in scored}
    ignored: dict[str, None] = {w.coarse: None for w in words if w.coarse not in kept}

    phrases = _chosen_phrases(searcher, analyzer, parsed.phrases, ignored)
    excluded = _exclusions(analyzer, parsed.excluded, ignored)

    fused = (
        _fused(searcher, analyzer, parsed.text, analysis, scored, [*phrase_runs, *names]) if analysis else {}
    )
    return QueryTerms(
        words=tuple(words),
        scored=tuple(scored),
        doc_freq=doc_freq,
        fused={w.coarse: [QueryWord(t, (t,)) for t in fused.get(w.coarse, ())] for w in scored},
        phrases=phrases,
        excluded=tuple(excluded),
        ignored=tuple(ignored),
        # Text, or exclusions, of symbols alone: nothing asked for, unlike an empty query (or a lone ").
        matches_nothing=bool(parsed.text or parsed.excluded) and not words and not phrases and not excluded,
        sequence=tuple(unit.coarse.text for unit in analysis.units) if analysis else (),
        sentence=analysis is not None and any(unit.coarse.is_function_word for unit in analysis.units),
        expansions={w.coarse: expansions[w.coarse] for w in scored if w.coarse in expandable},
        text=parsed.text,
        analysis=analysis,
    )
