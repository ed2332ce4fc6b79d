"""Synonyms a query noun is also searched as: Sudachi's synonym dictionary (in search/data/, Apache-2.0),
pairs the site's own text teaches (検索拡張生成（RAG）, NVIDIA（エヌビディア）) and the blog owner's
``_data/mikke_synonyms.yml``.

A table maps a spelling (NFKC, lower-case) to the other spellings of its groups; words.py analyses those
into query words, so they are searched by Sudachi's normalized form like everything else.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import functools
import importlib.resources
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import jaconv
import yaml

from mikke.search.analysis import TERM_SPACE
from mikke.search.analysis import Terms
from mikke.search.analysis import katakana_stem

# Sudachi's columns: group, 体言/用言 (1: noun), expansion flag (0: expand, 1: never a trigger itself,
# 2: never used), ..., headword (column 8).
_NOUN = "1"
_NEVER_TRIGGER = "1"
_NEVER_USED = "2"
# Groups one spelling may trigger (a word in many groups is ambiguous: each adds little).
MAX_GROUPS_PER_WORD = 3


def spelling_key(text: str) -> str:
    """How spellings are compared: NFKC, lower-case, without spaces at the ends, a katakana word by its
    stem as the analysis makes its term (サーバー and サーバ are one spelling: a query word is looked up
    by its term, which is the stem)."""
    return katakana_stem(unicodedata.normalize("NFKC", text).strip().lower())


@dataclass(slots=True)
class SynonymTable:
    """Groups of spellings of one meaning; a spelling triggers the groups it may trigger."""

    groups: list[tuple[str, ...]] = field(default_factory=list)
    triggers: dict[str, list[int]] = field(default_factory=dict)  # spelling key -> group numbers

    def add(self, members: Iterable[str], triggering: Iterable[str] | None = None) -> None:
        """Add a group; ``triggering`` (default: every member) are the spellings that expand to it."""
        group = tuple(dict.fromkeys(m for m in members if spelling_key(m)))
        if len(group) < 2:
            return
        number = len(self.groups)
        self.groups.append(group)
        for word in group if triggering is None else triggering:
            numbers = self.triggers.setdefault(spelling_key(word), [])
            if number not in numbers:
                numbers.append(number)

    def synonyms(self, spellings: Iterable[str]) -> list[str]:
        """The other spellings of every group any of ``spellings`` triggers, in group order."""
        keys = {spelling_key(s) for s in spellings}
        out: dict[str, None] = {}
        for key in keys:
            for number in self.triggers.get(key, [])[:MAX_GROUPS_PER_WORD]:
                for member in self.groups[number]:
                    if spelling_key(member) not in keys:
                        out.setdefault(member, None)
        return list(out)

    def merged(self, *others: SynonymTable) -> SynonymTable:
        """One table holding this one's groups, then each of ``others``'."""
        table = SynonymTable()
        for source in (self, *others):
            for number, group in enumerate(source.groups):
                triggering = [k for k, numbers in source.triggers.items() if number in numbers]
                table.add(group, triggering)
        return table


# ---------------------------------------------------------------------------------------- the owner's list

# The site file with the blog owner's groups, and its limits (it is read like any file of the site).
OWNER_FILE = "_data/mikke_synonyms.yml"
MAX_OWNER_BYTES = 256 * 1024
MAX_OWNER_GROUPS = 10_000
MAX_GROUP_WORDS = 50


class _PlainLoader(yaml.BaseLoader):
    """Scalars as text and no aliases: a list of words needs neither types nor references."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed")
        return super().compose_node(parent, index)


def parse_owner_synonyms(raw: bytes) -> list[list[str]]:
    """The groups of ``_data/mikke_synonyms.yml``: a list of lists of words, or a mapping of a word to
    its synonyms (``AI: [人工知能, エーアイ]``).

    :raises ValueError: with a sentence saying what is wrong with the file.
    """
    if len(raw) > MAX_OWNER_BYTES:
        raise ValueError(f"is larger than {MAX_OWNER_BYTES // 1024} KB")
    try:
        data = yaml.load(raw.decode("utf-8-sig"), Loader=_PlainLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise ValueError(f"is not valid YAML ({str(e).splitlines()[0]})") from None
    if data is None:
        return []
    if isinstance(data, dict):
        data = [[key, *(value if isinstance(value, list) else [value])] for key, value in data.items()]
    if not isinstance(data, list):
        raise ValueError("must be a list of groups of words, like [[人工知能, AI], [DX, デジタル変革]]")
    groups = []
    for group in data[:MAX_OWNER_GROUPS]:
        if not isinstance(group, list):
            raise ValueError(f"has a group that is not a list of words: {str(group)[:40]!r}")
        words = [w.strip() for w in group[:MAX_GROUP_WORDS] if isinstance(w, str) and w.strip()]
        if len(words) > 1:
            groups.append(words)
    return groups


def owner_table(groups: Iterable[Iterable[str]]) -> SynonymTable:
    """The owner's groups as a table: every word of a group expands to the others."""
    table = SynonymTable()
    for group in groups:
        table.add(group)
    return table


def read_sudachi_synonyms(text: str) -> SynonymTable:
    """Read Sudachi's synonym source (CSV, groups of lines): nouns only, flag 2 entries left out.

    A word (flag 0) expands to the other flag-0 words of its group, to every form of its own lexeme, and
    to the abbreviations of the group (人工知能 -> AI). A flag-1 word is never a trigger; one that is a
    plain word of another lexeme is not reached either: Sudachi gives such words flag 1 because they
    have other senses too (図書館 lists ライブラリー, which a programming blog means otherwise).
    """
    rows: dict[str, list[tuple[str, bool, str, bool]]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 9 or row[1] != _NOUN or row[2] == _NEVER_USED or not row[8].strip():
            continue
        # (headword, may trigger, lexeme, is an abbreviation)
        rows.setdefault(row[0], []).append(
            (row[8].strip(), row[2] != _NEVER_TRIGGER, row[3], row[5] not in ("", "0"))
        )
    table = SynonymTable()
    for entries in rows.values():
        for lexeme in dict.fromkeys(lex for _, trigger, lex, _ in entries if trigger):
            reached = [w for w, trigger, lex, short in entries if trigger or lex == lexeme or short]
            table.add(reached, [w for w, trigger, lex, _ in entries if trigger and lex == lexeme])
    return table


@functools.cache
def sudachi_synonyms() -> SynonymTable:
    """Sudachi's synonym dictionary, read once per process (about 0.3 s, on the first search)."""
    source = importlib.resources.files("mikke.search") / "data" / "sudachi-synonyms" / "synonyms.txt"
    return read_sudachi_synonyms(source.read_text("utf-8"))


# ------------------------------------------------------------------------------------- learned from posts

# A name in brackets right after a term: 検索拡張生成（RAG）, NVIDIA（エヌビディア）, アリババ（Alibaba）.
_BRACKET_RE = re.compile(r"[（(]\s*([^（）()\n]{2,40}?)\s*[）)]")
_ACRONYM_RE = re.compile("[A-Z][A-Z0-9]{1,7}")
_LATIN_NAME_RE = re.compile("[A-Za-z][A-Za-z0-9.&+\\-]*(?: [A-Za-z0-9][A-Za-z0-9.&+\\-]*){0,3}")
_LATIN_BEFORE_RE = re.compile(_LATIN_NAME_RE.pattern + "$")
_KATAKANA_NAME_RE = re.compile("[\u30a1-\u30fa][\u30a1-\u30fa\u30fc・]{1,39}")
_KATAKANA_BEFORE_RE = re.compile(_KATAKANA_NAME_RE.pattern + "$")
# Sounds a katakana rendering merges (l/r, v/b, th/s, ...), folded before two names are compared.
_SOUND_FOLDS = (
    ("th", "s"),
    ("ph", "f"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("l", "r"),
    ("v", "b"),
    ("w", "u"),
    ("y", "i"),
    ("j", "z"),
    ("h", ""),
)
# How close two consonant skeletons must be for a katakana word to be read as a Latin name.
NAME_SIMILARITY = 0.75
# Skeletons this long or longer may differ a little (a consonant a katakana rendering adds or drops).
NAME_FUZZY_CONSONANTS = 4
# Pairs one post contributes.
MAX_PAIRS_PER_POST = 200


def romanized(katakana: str) -> str:
    """``katakana`` in Latin letters (アンソロピック -> ansoropikku)."""
    return str(jaconv.kata2alphabet(katakana.replace("・", "").replace("ー", ""))).replace("'", "")


def name_skeleton(latin: str) -> str:
    """The consonants of a Latin spelling as a katakana rendering keeps them (anthropic -> nsrpk)."""
    text = re.sub("[^a-z]", "", latin.lower())
    for a, b in _SOUND_FOLDS:
        text = text.replace(a, b)
    text = re.sub("[aeiou]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def sounds_like(katakana: str, latin: str) -> bool:
    """Whether ``katakana`` reads as the Latin name ``latin`` (アンソロピック and Anthropic): their
    consonant skeletons, after the sounds katakana merges are folded, are nearly the same."""
    return skeletons_match(name_skeleton(romanized(katakana)), name_skeleton(latin))


def skeletons_match(a: str, b: str) -> bool:
    """Whether two consonant skeletons (see :func:`name_skeleton`) are nearly the same: the same, when
    either is shorter than NAME_FUZZY_CONSONANTS (one consonant more, kt and kst, is 0.8 alike, and
    チャット is not Quest)."""
    if len(a) < 2 or len(b) < 2:
        return False
    if min(len(a), len(b)) < NAME_FUZZY_CONSONANTS:
        return a == b
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= NAME_SIMILARITY and matcher.ratio() >= NAME_SIMILARITY


def post_pairs(text: str, terms: Terms) -> list[str]:
    """The pairs of names ``text`` teaches, as values for the ``pairs`` fast field (JSON
    ``[term, other]``): each ``term（other）`` where the two plausibly name one thing.

    - an all-capital abbreviation in brackets after a term of about as many words as it has letters
      (大規模言語モデル（LLM）, 検索拡張生成（RAG）): the term is the longest run of nouns before the
      bracket that fits, never a single word (モデル（LLM） teaches nothing);
    - a Latin name and its katakana reading, either way round (NVIDIA（エヌビディア）,
      アリババ（Alibaba））, when the katakana sounds like the Latin spelling.
    """
    pairs: dict[tuple[str, str], None] = {}
    for match in _BRACKET_RE.finditer(text):
        if len(pairs) >= MAX_PAIRS_PER_POST:
            break
        other, before = match.group(1), text[: match.start()]
        term: str | None = None
        if _ACRONYM_RE.fullmatch(other):
            term = _term_for_acronym(text, terms, match.start(), len(other))
        elif _KATAKANA_NAME_RE.fullmatch(other):
            latin = _LATIN_BEFORE_RE.search(before)
            if latin and sounds_like(other, latin.group()):
                term = latin.group()
        elif _LATIN_NAME_RE.fullmatch(other):
            kana = _KATAKANA_BEFORE_RE.search(before)
            if kana and sounds_like(kana.group(), other):
                term = kana.group()
        if term and spelling_key(term) != spelling_key(other):
            pairs.setdefault((term, other), None)
    return [json.dumps(list(pair), ensure_ascii=False) for pair in pairs]


def _term_for_acronym(text: str, terms: Terms, bracket: int, letters: int) -> str | None:
    """The longest run of nouns ending at ``bracket`` whose words number ``letters``, give or take one."""
    at = bisect.bisect_left(terms.ends, bracket)
    if at >= len(terms.ends) or terms.ends[at] != bracket:
        return None
    parts = 0
    best: str | None = None
    start = bracket
    while at >= 0:
        word = terms.words[at]
        latin = word.text.replace(TERM_SPACE, " ").isascii()  # a term writes its spaces as TERM_SPACE (T21)
        if terms.ends[at] != start or not (word.reading or latin) or word.is_function_word:
            break
        parts += max(1, len(word.parts))
        start = terms.starts[at]
        if parts >= 2 and abs(parts - letters) <= 1:
            best = text[start:bracket]
        at -= 1
    return best


def read_pairs(buckets: Iterable[tuple[str, int]], least_posts: int) -> SynonymTable:
    """The pairs from ``(pairs value, posts)`` that recur in at least ``least_posts`` posts."""
    table = SynonymTable()
    for value, posts in buckets:
        if posts < least_posts:
            continue
        try:
            term, other = json.loads(value)
        except (ValueError, TypeError):
            continue
        table.add([str(term), str(other)])
    return table
