"""Readings: the index's vocabulary of nouns by their katakana reading, and what a query typed in kana
(じんこうちのう, ジンコウチノウ) means in the words the posts use.

Each post lists its nouns with their readings in a fast field (written at index time, so the vocabulary
follows every incremental update); the vocabulary is one aggregation over it per index version.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import Terms
from mikke.search.synonyms import SynonymTable
from mikke.search.synonyms import name_skeleton
from mikke.search.synonyms import owner_table
from mikke.search.synonyms import read_pairs
from mikke.search.synonyms import romanized
from mikke.search.synonyms import skeletons_match
from mikke.search.synonyms import sudachi_synonyms

# Entries one post contributes (its distinct nouns); a post longer than that lists its first ones.
MAX_VOCABULARY_PER_POST = 5_000
# Distinct (reading, word, spelling) entries read back for the whole index: bounds one aggregation.
MAX_VOCABULARY = 400_000
# Kana typed in one run that is looked up by reading (longer runs are text, not a word or two).
MAX_KANA_RUN = 32
# Kana runs of one query looked at (a pasted page is not read as typed kana).
MAX_KANA_RUNS = 16
# The longest reading a single segment of a kana query may have.
MAX_SEGMENT = 16
# A homophone is searched only when it is at least this share as common as the most common word with
# that reading: セイセイ means 生成 on a blog about AI, not 精製 or 清々.
HOMOPHONE_SHARE = 0.1
# Homophones searched per reading, the most common first.
MAX_HOMOPHONES = 3
# A Latin word a katakana query may sound like must be in this many posts (a frequent name, not noise).
NAME_MIN_POSTS = 3
# Katakana words whose sound-alike name is remembered per vocabulary (queries repeat them).
MAX_REMEMBERED_SOUNDS = 10_000
# A pair of names (検索拡張生成（RAG）) is learned when this many posts write it; at most MAX_PAIRS are read.
PAIR_MIN_POSTS = 2
MAX_PAIRS = 20_000

_KATAKANA = "\u30a1-\u30fa\u30fc"
# A run of one script, with the long-vowel mark (never starting with it): hiragana, or katakana. The IME
# gives ー in hiragana too, so a loanword typed in hiragana (ぐーぐる, さーばー) is one run.
_KANA_RUN_RE = re.compile(f"[\u3041-\u3096][\u3041-\u3096\u30fc]*|[\u30a1-\u30fa][{_KATAKANA}]*")
_KATAKANA_START = frozenset(chr(c) for c in range(0x30A1, 0x30FB))
_KANJI_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_LATIN_WORD_RE = re.compile("[a-z][a-z0-9.+-]{2,39}")
_DIGIT_RE = re.compile("[0-9０-９]")
# The longest pair of nouns written together listed as one entry.
MAX_COMPOUND_CHARS = 12


def to_katakana(text: str) -> str:
    """Fold hiragana to katakana (readings are compared in katakana)."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


# The vowel each katakana ends in, for the loose key (long vowels typed or not: トーキョー, トウキョウ,
# tokyo). Small kana take the place of the vowel before them (キョ ends in オ).
_VOWELS = {
    "ア": "アカガサザタダナハバパマヤャラワァヮ",
    "イ": "イキギシジチヂニヒビピミリィヰ",
    "ウ": "ウクグスズツヅヌフブプムユュルゥヴ",
    "エ": "エケゲセゼテデネヘベペメレェヱ",
    "オ": "オコゴソゾトドノホボポモヨョロヲォ",
}
_VOWEL_OF = {kana: vowel for vowel, kanas in _VOWELS.items() for kana in kanas}
# A vowel after a kana ending in the same (or, for ウ and イ, the usual long) vowel is a long vowel.
_LENGTHENS = {"ア": "ア", "イ": "イ", "ウ": "ウ", "エ": "エイ", "オ": "オウ"}
_LOOSE_CHARS = str.maketrans({"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヮ": "ワ"})


def loose_key(reading: str) -> str:
    """The reading with vowel length and ヂ/ジ, ヅ/ズ folded: how a romaji or casually typed reading is
    compared (トウキョウ, トーキョー and トキョ meet)."""
    out: list[str] = []
    vowel = ""
    for kana in reading.translate(_LOOSE_CHARS):
        if kana == "ー":
            continue
        if vowel and kana in _LENGTHENS.get(vowel, ""):
            continue
        out.append(kana)
        vowel = _VOWEL_OF.get(kana, "")
    return "".join(out)


# ------------------------------------------------------------------------------------------------ writing


def post_vocabulary(texts: Iterable[tuple[str, Terms, bool]]) -> list[str]:
    """The vocabulary entries of one post: each distinct noun (a C unit, an A part, or two nouns written
    together) with its reading and the spelling it first has in the post, and whether it is in the title
    or a heading.

    :param texts: ``(text, terms, is_title_or_heading)`` for each text of the post.
    :return: values for the ``vocab`` fast field, JSON ``[reading, word, spelling, in_title]``.
    """
    seen: dict[tuple[str, str], list[Any]] = {}
    latin_name = _latin_name
    for text, terms, in_title in texts:
        title = int(in_title)
        last_end, last_start, last = -1, -1, None
        for word, start, end in zip(terms.words, terms.starts, terms.ends, strict=True):
            # Each entry written out (rather than called) with its spelling cut only when it is new: most
            # nouns of a post are already listed, and a call and a slice per noun were half of this loop.
            reading = word.reading
            if reading:
                key = (reading, word.text)
                entry = seen.get(key)
                if entry is None:
                    seen[key] = [reading, word.text, text[start:end], title]
                elif title:
                    entry[3] = 1
                if last is not None and last_end == start and end - last_start <= MAX_COMPOUND_CHARS:
                    # Two nouns written together are often one term (画像 + 生成): listed as one too, for
                    # suggestions and for kana that reads as the pair.
                    key = (last.reading + reading, last.text + word.text)
                    entry = seen.get(key)
                    if entry is None or (title and not entry[3]):
                        spelling = text[last_start:end]
                        if not _DIGIT_RE.search(spelling):
                            _add_entry(seen, key[0], key[1], spelling, in_title)
                last_end, last_start, last = end, start, word
            else:
                last = None
                if not word.is_function_word and latin_name(word.text):
                    # A Latin word Sudachi has no reading for (Anthropic): listed without one, so that a
                    # katakana query can be matched to it by how it sounds (search/synonyms.py).
                    _add_entry(seen, "", word.text, text[start:end], in_title)
            if word.many_parts:  # its A parts are terms of their own
                for part in word.parts:
                    if part.reading:
                        key = (part.reading, part.text)
                        entry = seen.get(key)
                        if entry is None:
                            seen[key] = [
                                part.reading,
                                part.text,
                                text[start + part.start : start + part.end],
                                title,
                            ]
                        elif title:
                            entry[3] = 1
            if len(seen) >= MAX_VOCABULARY_PER_POST:
                break
    return [entry_json(*entry) for entry in seen.values()]


def entry_json(reading: str, word: str, spelling: str, in_title: int) -> str:
    """``json.dumps([reading, word, spelling, in_title], ensure_ascii=False)``, written out: the generic
    encoder, called per entry, cost more than the loop that finds the entries."""
    return f"[{_json_string(reading)}, {_json_string(word)}, {_json_string(spelling)}, {in_title}]"


_json_string = encode_basestring  # what json.dumps(..., ensure_ascii=False) writes a string with
# Whether a term is a Latin word, per process: most terms recur in every post (bounded like the analyzer's
# memory of words).
_LATIN_NAMES: dict[str, bool] = {}
LATIN_NAMES_LIMIT = 200_000


def _latin_name(term: str) -> bool:
    known = _LATIN_NAMES.get(term)
    if known is None:
        if len(_LATIN_NAMES) >= LATIN_NAMES_LIMIT:
            _LATIN_NAMES.clear()
        known = _LATIN_NAMES[term] = _LATIN_WORD_RE.fullmatch(term) is not None
    return known


def _add_entry(
    seen: dict[tuple[str, str], list[Any]], reading: str, word: str, surface: str, title: bool
) -> None:
    entry = seen.get((reading, word))
    if entry is None:
        seen[(reading, word)] = [reading, word, surface, int(title)]
    elif title:
        entry[3] = 1


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class Entry:
    """A word of the index with one reading: how many posts hold it, its most common spelling, and in how
    many posts it is in the title or a heading."""

    word: str
    spelling: str
    posts: int
    in_titles: int


@dataclass(slots=True)
class Vocabulary:
    """The index's nouns by reading; built once per index version."""

    by_reading: dict[str, list[Entry]] = field(default_factory=dict)  # most common word first
    posts_by_reading: dict[str, int] = field(default_factory=dict)  # sum over the reading's words
    loose_cache: dict[str, list[str]] | None = None  # see by_loose
    posts: int = 0  # posts in the index
    # Latin words with no kana reading (Anthropic), by the first letter of their consonant skeleton.
    names: dict[str, list[tuple[str, Entry]]] = field(default_factory=dict)
    pairs: SynonymTable = field(default_factory=SynonymTable)  # learned from the posts (synonyms.py)
    owner: SynonymTable = field(default_factory=SynonymTable)  # the blog owner's list
    sounds: dict[str, Entry | None] = field(default_factory=dict)  # katakana -> the name it sounds like

    @classmethod
    def from_values(cls, buckets: Iterable[tuple[str, int]], posts: int) -> Vocabulary:
        """Build from ``(vocab value, posts)`` pairs, as the aggregation returns them."""
        # (reading, word) -> [posts, posts with it in a title or heading, {spelling: posts}]
        merged: dict[tuple[str, str], list[Any]] = {}
        loads = json.loads
        for value, n in buckets:
            try:
                reading, word, spelling, in_title = loads(value)
            except (ValueError, TypeError):
                continue  # a value of another format: no reading for it
            known = merged.get((reading, word))
            if known is None:
                merged[(reading, word)] = [n, n if in_title else 0, {spelling: n}]
                continue
            known[0] += n
            known[1] += n if in_title else 0
            known[2][spelling] = known[2].get(spelling, 0) + n
        vocab = cls(posts=posts)
        by_reading = vocab.by_reading
        for (reading, word), (n, titled, forms) in merged.items():
            if len(forms) == 1:
                spelling = next(iter(forms))
            else:  # the most common; ties to a spelling with capitals (names are written so)
                spelling = max(forms.items(), key=lambda kv: (kv[1], kv[0] != kv[0].lower(), kv[0]))[0]
            entry = Entry(str(word), str(spelling), min(n, posts), titled)
            if not reading:
                if entry.posts >= NAME_MIN_POSTS:
                    skeleton = name_skeleton(entry.word)
                    if len(skeleton) >= 2:
                        vocab.names.setdefault(skeleton[0], []).append((skeleton, entry))
                continue
            entries = by_reading.get(reading)
            if entries is None:
                by_reading[str(reading)] = [entry]
            else:
                entries.append(entry)
        for reading, entries in by_reading.items():
            if len(entries) > 1:
                entries.sort(key=lambda e: (-e.posts, e.word))
            vocab.posts_by_reading[reading] = min(posts, sum(e.posts for e in entries))
        return vocab

    @property
    def by_loose(self) -> dict[str, list[str]]:
        """Loose key (see :func:`loose_key`) -> readings, most common first; worked out when first
        needed (romaji), not for every index version."""
        if self.loose_cache is None:
            loose: dict[str, list[str]] = {}
            for reading in sorted(self.posts_by_reading, key=lambda r: -self.posts_by_reading[r]):
                loose.setdefault(loose_key(reading), []).append(reading)
            self.loose_cache = loose
        return self.loose_cache

    def synonyms(self, spellings: Sequence[str]) -> list[str]:
        """Other spellings of ``spellings``: the owner's groups, then pairs the posts teach, then
        Sudachi's synonym dictionary."""
        out: dict[str, None] = {}
        for table in (self.owner, self.pairs, sudachi_synonyms()):
            out.update(dict.fromkeys(table.synonyms(spellings)))
        return list(out)

    def name_sounding_like(self, katakana: str) -> Entry | None:
        """The most common Latin word of the index (in at least NAME_MIN_POSTS posts) that ``katakana``
        sounds like (アンソロピック: Anthropic), when one does clearly."""
        if katakana in self.sounds:
            return self.sounds[katakana]
        skeleton = name_skeleton(romanized(katakana))
        found = [
            (s, e)
            for s, e in self.names.get(skeleton[:1], [])
            if abs(len(s) - len(skeleton)) <= 2 and skeletons_match(skeleton, s)
        ]
        # The same skeleton before a nearly same one (クエスト: Quest before xAI), then the most common.
        best = max(found, key=lambda se: (se[0] == skeleton, se[1].posts))[1] if found else None
        if len(self.sounds) >= MAX_REMEMBERED_SOUNDS:
            self.sounds.clear()
        self.sounds[katakana] = best
        return best

    def words(self, reading: str) -> list[Entry]:
        """The words read ``reading`` worth searching: the most common, and homophones nearly as common."""
        entries = self.by_reading.get(reading, [])
        if not entries:
            return []
        least = entries[0].posts * HOMOPHONE_SHARE
        return [e for e in entries[:MAX_HOMOPHONES] if e.posts >= least]

    def segment(self, reading: str, *, loose: bool = False) -> list[str] | None:
        """Cut a katakana string into readings of the index's words: the fewest pieces, then the most
        common ones (ジンコウチノウ -> [ジンコウチノウ]; ガゾウセイセイ -> [ガゾウ, セイセイ]).

        :param loose: compare by :func:`loose_key` (romaji, long vowels typed or not).
        :return: the readings in order, or ``None`` when no cut covers the whole string.
        """
        text = loose_key(reading) if loose else reading
        if not text or len(text) > MAX_KANA_RUN:
            return None
        n = len(text)
        # best[i]: (pieces, -sum of log posts, start of the last piece, reading of it) for text[:i]
        best: list[tuple[int, float, int, str] | None] = [None] * (n + 1)
        best[0] = (0, 0.0, 0, "")
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            for j in range(i + 1, min(n, i + MAX_SEGMENT) + 1):
                piece = text[i:j]
                found = (
                    self.by_loose.get(piece, [])[:1] if loose else [piece] if piece in self.by_reading else []
                )
                if not found:
                    continue
                # A one-kana word (ト, ノ) is a last resort: such words are everywhere as homophones.
                pieces = here[0] + (3 if j - i == 1 else 1)
                cost = here[1] - math.log1p(self.posts_by_reading[found[0]])
                if best[j] is None or (pieces, cost) < best[j][:2]:  # type: ignore[index]
                    best[j] = (pieces, cost, i, found[0])
        if best[n] is None:
            return None
        out: list[str] = []
        at = n
        while at > 0:
            step = best[at]
            assert step is not None
            out.append(step[3])
            at = step[2]
        return out[::-1]


def load_vocabulary(searcher: tantivy.Searcher) -> Vocabulary:
    """The vocabulary of what ``searcher`` sees (one aggregation over every post)."""
    if not searcher.num_docs:
        return Vocabulary()
    agg = searcher.aggregate(
        tantivy.Query.all_query(), {"v": {"terms": {"field": f.FIELD_VOCAB, "size": MAX_VOCABULARY}}}
    )
    buckets = ((str(b["key"]), int(b["doc_count"])) for b in agg.get("v", {}).get("buckets", []))
    vocab = Vocabulary.from_values(buckets, searcher.num_docs)
    agg = searcher.aggregate(
        tantivy.Query.all_query(),
        {"p": {"terms": {"field": f.FIELD_PAIRS, "size": MAX_PAIRS, "min_doc_count": PAIR_MIN_POSTS}}},
    )
    pairs = ((str(b["key"]), int(b["doc_count"])) for b in agg.get("p", {}).get("buckets", []))
    vocab.pairs = read_pairs(pairs, PAIR_MIN_POSTS)
    return vocab


_vocabularies: dict[int, tuple[tuple[str, int], Vocabulary]] = {}
_vocabularies_lock = threading.Lock()


def vocabulary(
    store_id: int, version: str, searcher: tantivy.Searcher, owner_file: Path | None = None
) -> Vocabulary:
    """The vocabulary of a store at ``version``, worked out once per version (the searcher's) and per
    change of ``owner_file``, the owner's synonym groups stored with the generation (store.SYNONYMS_FILE;
    rewritten by every index run, which may commit nothing)."""
    try:
        stamp = owner_file.stat().st_mtime_ns if owner_file is not None else 0
    except OSError:
        stamp = 0
    key = (version, stamp)
    cached = _vocabularies.get(store_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _vocabularies_lock:
        cached = _vocabularies.get(store_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        vocab = load_vocabulary(searcher)
        if stamp and owner_file is not None:
            vocab.owner = _read_owner_file(owner_file)
        _vocabularies[store_id] = (key, vocab)
        return vocab


def _read_owner_file(path: Path) -> SynonymTable:
    """The owner's groups as the index run stored them (JSON lists of words); none if unreadable."""
    try:
        groups = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return SynonymTable()
    if not isinstance(groups, list):
        return SynonymTable()
    return owner_table(
        [str(w) for w in group if isinstance(w, str)] for group in groups if isinstance(group, list)
    )


# ------------------------------------------------------------------------------------------------ queries


def _apart(neighbour: str) -> bool:
    """Whether hiragana next to ``neighbour`` stand apart from other writing: nothing, a space, a Latin
    letter or a digit."""
    return (
        not neighbour
        or neighbour.isspace()
        or (neighbour.isalnum() and neighbour.isascii())
        or (
            "\uff10" <= neighbour <= "\uff5a"  # full-width digits and Latin letters
        )
    )


def kana_runs(text: str) -> list[tuple[int, int]]:
    """Where ``text`` has kana typed as words: every katakana run (katakana write words, even next to
    a particle: エヌビディアの株価), and hiragana runs with nothing, a space, a Latin letter or a digit
    around them. Hiragana next to a kanji, katakana or punctuation (使われた, オランダでは) are ordinary
    writing, which Sudachi reads well."""
    runs: list[tuple[int, int]] = []
    for match in _KANA_RUN_RE.finditer(text):
        if len(runs) >= MAX_KANA_RUNS:
            break
        start, end = match.span()
        if end - start < 2 or end - start > MAX_KANA_RUN:
            continue
        if match.group()[0] in _KATAKANA_START or (
            _apart(text[start - 1] if start else "") and _apart(text[end] if end < len(text) else "")
        ):
            runs.append((start, end))
    return runs


@dataclass(frozen=True, slots=True)
class ReadingMatch:
    """What a kana (or romaji) string means by reading: one option per homophone of each piece, the
    most common word of every piece first."""

    pieces: tuple[str, ...]  # the readings it was cut into
    options: tuple[tuple[Entry, ...], ...]  # per piece, the words searched


def read_as_words(vocab: Vocabulary, reading: str, *, loose: bool = False) -> ReadingMatch | None:
    """The index's words that ``reading`` (katakana) stands for, or ``None`` when it reads as none."""
    pieces = vocab.segment(reading, loose=loose)
    if not pieces:
        return None
    options = tuple(tuple(vocab.words(p)) for p in pieces)
    if not all(options):
        return None
    return ReadingMatch(tuple(pieces), options)


def combinations(match: ReadingMatch, limit: int) -> list[tuple[Entry, ...]]:
    """Word sequences ``match`` stands for, the most common first: every piece's most common word, then
    each homophone of one piece in turn (at most ``limit``)."""
    first = tuple(o[0] for o in match.options)
    out = [first]
    for i, options in enumerate(match.options):
        for other in options[1:]:
            if len(out) >= limit:
                return out
            out.append((*first[:i], other, *first[i + 1 :]))
    return out


def spelled(words: Sequence[Entry]) -> str:
    """How a sequence of words is written: their spellings, a space only between two Latin words."""
    out = ""
    for e in words:
        if out and out[-1].isascii() and out[-1].isalnum() and e.spelling[:1].isascii():
            out += " "
        out += e.spelling
    return out
