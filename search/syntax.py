"""Query syntax: what a reader types, split into free words, "exact phrases" and -excluded words; dates.

Nothing here can fail on any text: whatever is not syntax is words to analyse. Imports nothing of mikke.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Control characters and bidi formatting characters: shown to a person, escape sequences could rewrite a
# terminal and a right-to-left override reverse the words around them (a file name, a page's own sentence).
UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_unprintable(text: str) -> str:
    """``text`` without its control and bidi formatting characters (:data:`UNPRINTABLE_RE`)."""
    return UNPRINTABLE_RE.sub("", text)


# A phrase is quoted with ASCII "…", typographic “…” or full-width ＂…＂ quotes (what a Japanese keyboard
# types in full-width mode). 「…」 is not a phrase: Japanese text uses it to quote titles and terms, and a
# reader pasting 「生成AI」の規制 means the words, as Google-like engines treat it.
# A phrase, and the minus before it that excludes it as a whole (-"深層学習"), as a minus before a word does.
_PHRASE_RE = re.compile(r'(?:(?:(?<=\s)|^)(?P<minus>[-－−]))?(?:"([^"]*)"|“([^”]*)”|＂([^＂]*)＂)')
_STRAY_QUOTES_RE = re.compile('["“”＂]')
# A minus right before a word excludes it: ASCII -, full-width －, or the minus sign −. The long-vowel mark
# ー (as in データ) never does, even at the start of a word.
_EXCLUDE_RE = re.compile(r"(?:(?<=\s)|^)[-－−](\S+)")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """User text split into its parts: free words, "exact phrases" and -excluded words."""

    text: str
    phrases: tuple[str, ...]
    excluded: tuple[str, ...]


def parse_user_query(text: str) -> ParsedQuery:
    """Split ``text`` into free text, ``"exact phrases"`` and ``-excluded`` words.

    Anything else, however odd (unbalanced quotes, ``AND``, ``foo:bar``), is plain text to analyse. The
    text is composed (NFC) as the posts' text is (markdown_text), so é typed either way finds both.
    """
    text = unicodedata.normalize("NFC", text)
    phrases: list[str] = []
    excluded: list[str] = []

    def take_phrase(m: re.Match[str]) -> str:
        phrase = next(g for g in m.groups()[1:] if g is not None)
        if phrase.strip():
            (excluded if m.group("minus") else phrases).append(phrase)
        return " "

    rest = _PHRASE_RE.sub(take_phrase, text)

    def take_excluded(m: re.Match[str]) -> str:
        excluded.append(m.group(1))
        return " "

    rest = _EXCLUDE_RE.sub(take_excluded, rest)
    rest = _STRAY_QUOTES_RE.sub(" ", rest)
    return ParsedQuery(rest.strip(), tuple(phrases), tuple(excluded))


_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> date:
    """Read a day written ``YYYY-MM-DD``, the one form links, the API and the CLI accept.

    ``date.fromisoformat`` alone would also take ``20240501`` and week dates; one form keeps URLs canonical.

    :raises ValueError: with a sentence naming the expected form.
    """
    text = text.strip()
    if _DAY_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise ValueError(f"{shown!r} is not a date like 2024-05-01.")


def parse_optional_day(text: str | None) -> date | None:
    """A ``from``/``to`` bound as the API and the CLI read it: ``None`` (no bound) when absent or blank, as
    an empty form field or an empty shell variable sends it, else :func:`parse_day`.

    :raises ValueError: with a sentence naming the expected form.
    """
    if text is None or not text.strip():
        return None
    return parse_day(text)
