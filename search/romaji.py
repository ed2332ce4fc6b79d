"""Romaji: a word typed in Latin letters with the IME off (jinkou, handoutai, toukyou) read as katakana.

Hepburn and Kunrei spellings (shi/si, chi/ti, tsu/tu, ji/zi), ``n'`` before a vowel, long vowels written
double, with ``ou`` or with a macron (ō, â). The conversion is jaconv's; this module decides what is
romaji at all: a word that leaves a consonant over (``rag``, ``deepseek``) is not.
"""

from __future__ import annotations

import re

import jaconv

# Words longer than this are not looked up as romaji (no Japanese word in a blog is that long in kana).
MAX_ROMAJI_CHARS = 40
_MACRONS = str.maketrans({"ā": "aa", "ī": "ii", "ū": "uu", "ē": "ee", "ō": "ou", "â": "aa", "î": "ii"})
_MACRONS_MORE = str.maketrans({"û": "uu", "ê": "ee", "ô": "ou"})
_LATIN_WORD_RE = re.compile(r"[a-z']+")
_KATAKANA_RE = re.compile("[\u30a1-\u30fa\u30fc]+")


def romaji_to_katakana(word: str) -> str | None:
    """The katakana ``word`` spells as romaji, or ``None`` when it is not romaji.

    >>> romaji_to_katakana("jinkou"), romaji_to_katakana("chinō"), romaji_to_katakana("rag")
    ('ジンコウ', 'チノウ', None)
    """
    text = word.lower().translate(_MACRONS).translate(_MACRONS_MORE)
    if not text or len(text) > MAX_ROMAJI_CHARS or not _LATIN_WORD_RE.fullmatch(text):
        return None
    if text.startswith("'") or text.endswith("'"):
        return None
    kana = jaconv.alphabet2kata(text).replace("'", "")
    # jaconv writes a consonant it cannot pair with a vowel as ッ (doubling) or leaves it as a letter;
    # either means the word is not romaji. ッ is doubling only before a consonant kana.
    if not _KATAKANA_RE.fullmatch(kana) or kana[0] in "ンッー" or kana.endswith("ッ") or "ッッ" in kana:
        return None
    if any(kana[i + 1] in "アイウエオンッーャュョァィゥェォ" for i, k in enumerate(kana[:-1]) if k == "ッ"):
        return None
    return kana
