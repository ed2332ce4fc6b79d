"""The analysis contract: one pipeline, both granularities, code-point offsets, never raises."""

from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sudachipy import Dictionary

from mikke.search.analysis import INLINE_SPACES
from mikke.search.analysis import MAX_CHUNK_BYTES
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.analysis import Sentence
from mikke.search.analysis import get_analyzer
from mikke.search.analysis import iter_chunks


def coarse_terms(analyzer: JapaneseAnalyzer, text: str) -> list[str]:
    return [t.text for t in analyzer.analyze(text).coarse]


def fine_terms(analyzer: JapaneseAnalyzer, text: str) -> list[str]:
    return [t.text for t in analyzer.analyze(text).fine]


def test_compound_is_kept_whole_and_split_into_parts(analyzer: JapaneseAnalyzer) -> None:
    analysis = analyzer.analyze("外国人参政権について調べた")
    unit = analysis.units[0]
    assert unit.coarse.text == "外国人参政権"
    assert [p.text for p in unit.parts] == ["外国", "人", "参政", "権"]
    assert "検索" in fine_terms(analyzer, "全文検索エンジン")
    assert "エンジン" in fine_terms(analyzer, "全文検索エンジン")


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [("附属", "付属"), ("ｶﾀｶﾅ", "片仮名"), ("カタカナ", "片仮名"), ("ＡＢＣ", "abc"), ("Python", "python")],
)
def test_spelling_variants_analyse_to_the_same_term(
    analyzer: JapaneseAnalyzer, variant: str, canonical: str
) -> None:
    assert coarse_terms(analyzer, variant) == [canonical]


def test_inflected_forms_share_their_lemma(analyzer: JapaneseAnalyzer) -> None:
    assert "読む" in coarse_terms(analyzer, "本を読んだ")
    assert "読む" in coarse_terms(analyzer, "本を読む")


def test_punctuation_whitespace_and_emoji_are_dropped(analyzer: JapaneseAnalyzer) -> None:
    assert coarse_terms(analyzer, "東京、　大阪！ 🍣") == ["東京", "大阪"]


def test_rows_of_dashes_and_stray_kana_marks_are_dropped_as_symbols(analyzer: JapaneseAnalyzer) -> None:
    assert coarse_terms(analyzer, "--- 〜〜〜 －－－ ｰｰ") == []
    assert "ぃ" not in coarse_terms(analyzer, "てぃー")
    assert coarse_terms(analyzer, "人々とデーター") == ["人々", "と", "データ"]


def test_scripts_unknown_to_sudachi_are_kept(analyzer: JapaneseAnalyzer) -> None:
    # Sudachi tags Thai as 補助記号; dropping it would make such queries find nothing.
    assert coarse_terms(analyzer, "จุลศักราช") == ["จุลศักราช"]


def test_function_words_are_marked(analyzer: JapaneseAnalyzer) -> None:
    flags = {t.text: t.is_function_word for t in analyzer.analyze("日本で梅雨がないのはどこか").coarse}
    assert flags["梅雨"] is False
    assert flags["で"] is True
    assert flags["どこ"] is True


def test_input_longer_than_sudachis_limit_is_analysed_whole(analyzer: JapaneseAnalyzer) -> None:
    sentence = "東京都の図書館で本を読んだ。"
    text = sentence * 8000  # about 336,000 UTF-8 bytes, far over 49,149
    analysis = analyzer.analyze(text)
    assert sum(1 for t in analysis.coarse if t.text == "図書館") == 8000
    last = analysis.coarse[-1]
    assert text[last.start : last.end] == "だ"


def test_a_single_huge_line_without_boundaries_is_analysed(analyzer: JapaneseAnalyzer) -> None:
    text = "あ" * 30_000  # 90,000 bytes, no line or sentence end to cut at
    analysis = analyzer.analyze(text)
    assert analysis.coarse
    assert all(text[t.start : t.end] for t in analysis.coarse)


def test_lone_surrogates_and_nul_do_not_break_offsets(analyzer: JapaneseAnalyzer) -> None:
    text = "東京\ud800図書館\x00本"
    for term in analyzer.analyze(text).coarse:
        assert term.end <= len(text)
    assert "図書館" in coarse_terms(analyzer, text)


def test_chunks_are_under_the_limit_and_cover_the_text() -> None:
    text = ("短い文です。" * 50 + "\n") * 40
    pieces = list(iter_chunks(text, 1000))
    assert all(len(p.encode()) <= 1000 for _, p in pieces)
    assert "".join(p for _, p in pieces) == text
    assert all(text[start : start + len(p)] == p for start, p in pieces)


def test_one_analyzer_per_process() -> None:
    assert get_analyzer() is get_analyzer()


def test_threads_share_the_dictionary_without_tokenizer_conflicts(analyzer: JapaneseAnalyzer) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(30):
                analyzer.analyze("並行して形態素解析を実行する。" * 20)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_analysis_never_raises_and_offsets_index_the_surface(text: str) -> None:
    analyzer = get_analyzer()
    for unit in analyzer.analyze(text).units:
        for term in (unit.coarse, *unit.parts):
            assert 0 <= term.start < term.end <= len(text)
            assert term.text


_JAPANESE = st.sampled_from(
    list("東京都図書館本読んだ全文検索エンジン外国人参政権がのをにはで、カタカナabc 123")
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(_JAPANESE, min_size=1, max_size=30), min_size=1, max_size=30),
    st.sampled_from(["\n", "。"]),
)
def test_chunked_text_gives_the_same_terms_as_whole_text(lines: list[str], sep: str) -> None:
    analyzer = get_analyzer()
    text = sep.join(lines)
    whole = analyzer.analyze(text, max_chunk_bytes=MAX_CHUNK_BYTES)
    chunked = analyzer.analyze(text, max_chunk_bytes=160)  # forces many chunks, cut at each separator
    assert [(t.text, t.start, t.end) for t in chunked.coarse] == [
        (t.text, t.start, t.end) for t in whole.coarse
    ]


def test_a_character_sudachi_expands_into_two_morphemes_gives_each_term_its_surface() -> None:
    # Sudachi normalises ㎼ to "μW" and returns W as a second morpheme with an empty surface.
    text = "出力は㎼単位"
    for unit in get_analyzer().analyze(text).units:
        for term in (unit.coarse, *unit.parts):
            assert 0 <= term.start < term.end <= len(text), term
    terms = {t.text: text[t.start : t.end] for t in get_analyzer().analyze(text).coarse}
    assert terms["w"] == "㎼"


@pytest.mark.parametrize("text", ["ﾃﾞｼﾞﾀﾙカメラとデジタルカメラ", "デジタルカメラとﾃﾞｼﾞﾀﾙカメラ"])
def test_a_word_split_under_two_spellings_keeps_the_offsets_of_each(
    analyzer: JapaneseAnalyzer, text: str
) -> None:
    # Sudachi's entry for both spellings is one word; its parts' offsets depend on the spelling.
    first, _, second = analyzer.analyze(text).units
    for unit in (first, second):
        surfaces = [text[p.start : p.end] for p in unit.parts]
        assert "".join(surfaces) == text[unit.coarse.start : unit.coarse.end]
        assert [p.text for p in unit.parts] == ["デジタル", "カメラ"]


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return Dictionary(dict="core")


# Compounds, spellings of one word, characters Sudachi expands (㎼ -> μW) and kaomoji pieces.
_MIXED = st.sampled_from(
    list("東京都図書館本読んだ全文検索エンジン外国人参政権がのをにはで、。カタカナｶﾀｶﾅﾃﾞｼﾞﾀﾙカメラｷﾛﾜｯﾄﾞﾟｰー")
    + list("㎼㍍㌔㍻㈱①½ﬁabcＡＢＣWatt 123（^o^）ω/\n")
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(_MIXED, min_size=1, max_size=40), min_size=1, max_size=6))
def test_remembered_words_give_the_terms_a_fresh_analyzer_gives(
    dictionary: Dictionary, texts: list[str]
) -> None:
    # What a word contributes is worked out once per process and reused; reuse must change nothing.
    warm = get_analyzer()
    for text in texts:
        assert warm.analyze(text) == JapaneseAnalyzer(dictionary).analyze(text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(_MIXED, min_size=1, max_size=30), min_size=1, max_size=5),
    st.lists(st.integers(0, 4), min_size=1, max_size=12),
)
def test_a_sentence_repeated_in_a_post_is_analysed_once_with_the_same_terms(
    pieces: list[str], order: list[int]
) -> None:
    analyzer = get_analyzer()
    text = "。".join(pieces[i % len(pieces)] for i in order) + "。"
    sentences: dict[str, Sentence] = {}
    once = analyzer.terms(text, sentences=sentences)
    again = analyzer.terms(text, sentences=sentences)  # every sentence is known now
    assert once == again == analyzer.terms(text)
    assert set(sentences) == {chunk for _, chunk in iter_chunks(text)}


def test_an_unknown_word_reads_as_written_whatever_was_analysed_before() -> None:
    # 十二 and 12 are the same out-of-vocabulary number to Sudachi (normalized "12"), read differently.
    def reading(analyzer: JapaneseAnalyzer, text: str) -> str:
        terms = analyzer.terms(text)
        return next(w.reading for w in terms.words if w.text == "12")

    fresh = JapaneseAnalyzer(get_analyzer()._dictionary)
    alone = reading(fresh, "記事12の本文")
    after = JapaneseAnalyzer(get_analyzer()._dictionary)
    assert reading(after, "十二月のはじめ") == "ジュウニ"
    assert reading(after, "記事12の本文") == alone == "イチニ"


def test_the_spaces_a_highlight_joins_across_are_the_whitespace_sudachi_drops_within_a_line() -> None:
    tokenizer = get_analyzer()._dictionary.tokenizer()
    for ch in map(chr, range(sys.maxunicode + 1)):
        if not ch.isspace():
            continue
        (morpheme,) = tokenizer.tokenize(ch)
        within_a_line = len(f"a{ch}b".splitlines()) == 1
        assert (ch in INLINE_SPACES) == (morpheme.part_of_speech()[0] == "空白" and within_a_line), hex(
            ord(ch)
        )


def test_a_term_keeps_a_variation_selector_with_its_character(analyzer: JapaneseAnalyzer) -> None:
    # A highlight is a term's span: it must not end between a character and its selector.
    text = "葛\U000e0100と☀\ufe0fと辻\U000e0101の話"
    terms = analyzer.terms(text)
    for start, end in zip(terms.starts, terms.ends, strict=True):
        assert not _is_selector(text[start]) and (end == len(text) or not _is_selector(text[end]))
    assert "葛\U000e0100" in [text[s:e] for s, e in zip(terms.starts, terms.ends, strict=True)]


def _is_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"
