"""Excerpts are a pure function of text and match spans."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mikke.search.excerpt import Span
from mikke.search.excerpt import build_excerpt
from mikke.search.excerpt import highlight
from mikke.search.excerpt import merge_spans
from mikke.search.excerpt import plan_excerpt
from mikke.search.excerpt import render_excerpt


def spans_of(text: str, *words: str) -> list[Span]:
    return [Span(m.start(), m.end(), w) for w in words for m in re.finditer(re.escape(w), text)]


def test_matches_are_marked_and_everything_else_escaped() -> None:
    text = "<b>東京</b> & 大阪"
    assert build_excerpt(text, spans_of(text, "東京")) == "&lt;b&gt;<mark>東京</mark>&lt;/b&gt; &amp; 大阪"


def test_window_goes_to_the_densest_cluster_of_distinct_words() -> None:
    filler = "関係のない文章がしばらく続きます。" * 20
    text = "図書館の話。" + filler + "東京の図書館で本を読んだ。" + filler
    excerpt = build_excerpt(text, spans_of(text, "東京", "図書館"), max_chars=60)
    assert "<mark>東京</mark>の<mark>図書館</mark>" in excerpt
    assert "話" not in excerpt  # the lone earlier match is not chosen


def test_excerpt_is_about_the_requested_length() -> None:
    text = "吾輩は猫である。名前はまだ無い。" * 30
    excerpt = build_excerpt(text, spans_of(text, "名前")[10:11], max_chars=80)
    plain = re.sub(r"</?mark>", "", excerpt).strip("…")
    assert 40 <= len(plain) <= 80 + 2 * 24


def test_edges_land_on_sentence_boundaries_when_close() -> None:
    text = "最初の文です。二番目の文には検索語があります。三番目の文です。" * 3
    excerpt = build_excerpt(text, spans_of(text, "検索語")[1:2], max_chars=40)
    plain = re.sub(r"</?mark>", "", excerpt)
    assert plain.startswith(("最初", "二番目", "三番目"))
    assert plain.endswith("。")


def test_without_matches_the_start_of_the_text_is_shown() -> None:
    text = "冒頭の段落です。" * 40
    excerpt = build_excerpt(text, [], max_chars=50)
    assert excerpt.startswith("冒頭の段落です。")
    assert excerpt.endswith("…") or len(excerpt) <= 60


def test_a_heading_in_an_excerpt_stays_apart_from_the_sentence_after_it() -> None:
    text = "仕組みです。\n転置インデックス\n転置インデックスは単語から文書への対応表です。"
    excerpt = build_excerpt(text, spans_of(text, "対応表"), max_chars=80)
    assert "\n" not in excerpt
    assert "仕組みです。 ／ 転置インデックス ／ 転置インデックスは" in excerpt


def test_overlapping_spans_are_merged() -> None:
    assert merge_spans([Span(0, 4, "a"), Span(2, 6, "b"), Span(8, 9, "c")]) == [
        Span(0, 6, "a"),
        Span(8, 9, "c"),
    ]


def test_highlight_marks_the_whole_title() -> None:
    assert highlight("全文検索エンジン入門", [Span(2, 4, "検索")]) == "全文<mark>検索</mark>エンジン入門"


def test_spans_outside_the_text_are_ignored() -> None:
    assert build_excerpt("短い", [Span(5, 9, "x"), Span(-1, 1, "y")]) == "短い"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 30)), max_size=20))
def test_excerpt_is_always_safe_html(text: str, raw_spans: list[tuple[int, int]]) -> None:
    spans = [Span(s, s + n, str(s)) for s, n in raw_spans]
    excerpt = build_excerpt(text, spans)
    without_marks = excerpt.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks
    assert ">" not in without_marks
    assert excerpt.count("<mark>") == excerpt.count("</mark>")


def test_an_edge_far_from_any_sentence_end_lands_between_words_with_an_ellipsis() -> None:
    words = ["自然言語処理", "の", "研究", "が", "進み", "大規模", "言語", "モデル", "が", "登場", "した"]
    text = "".join(words * 12)  # no sentence end anywhere
    cuts = [0]
    for w in words * 12:
        cuts.append(cuts[-1] + len(w))

    def boundaries(piece: str) -> list[int]:  # the pieces' own word starts, as the analyser gives them
        offset = text.find(piece)
        return [c - offset for c in cuts if 0 <= c - offset <= len(piece)]

    target = text.find("モデル", 150)
    excerpt = build_excerpt(text, [Span(target, target + 3, "モデル")], max_chars=60, words=boundaries)
    assert excerpt.startswith("…") and excerpt.endswith("…")
    plain = re.sub(r"</?mark>", "", excerpt).strip("…")
    start = text.find(plain)
    assert start in cuts and start + len(plain) in cuts


def test_an_excerpt_that_ends_at_a_block_end_has_no_ellipsis() -> None:
    text = "短い見出し\n" + "本文の段落です。" * 30
    assert build_excerpt(text, [Span(0, 2, "短い")], max_chars=5) == "<mark>短い</mark>見出し"


def test_with_the_analyser_no_word_is_cut(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "大規模言語モデルを用いた自然言語処理の研究開発を進めている企業の事例" * 8
    target = text.find("自然言語処理", 200)
    excerpt = build_excerpt(text, [Span(target, target + 6, "x")], 60, analyzer.word_boundaries)
    plain = re.sub(r"</?mark>", "", excerpt).strip("…")
    start = text.find(plain)
    bounds = set(analyzer.word_boundaries(text))
    assert start in bounds and start + len(plain) in bounds


# Text with sentence ends, line breaks and word-like runs, so that every edge rule gets exercised.
_EXCERPT_TEXT = st.text(alphabet=st.sampled_from("あいう漢字カナab。！\n &<"), max_size=900)


@settings(max_examples=300, deadline=None)
@given(
    _EXCERPT_TEXT,
    st.lists(st.tuples(st.integers(0, 900), st.integers(0, 12), st.sampled_from("xyz")), max_size=12),
    st.integers(1, 200),
    st.booleans(),
)
def test_an_excerpt_cut_from_only_the_piece_it_needs_equals_one_cut_from_the_whole_text(
    text: str, raw_spans: list[tuple[int, int, str]], max_chars: int, with_words: bool
) -> None:
    spans = [Span(s, s + n, key) for s, n, key in raw_spans]

    def boundaries(piece: str) -> list[int]:  # every position after a kana or kanji run
        return [k for k in range(len(piece) + 1) if k == len(piece) or piece[k] in "漢a"]

    words = boundaries if with_words else None
    plan = plan_excerpt(spans, max_chars, len(text))
    lo, hi = plan.needed
    assert render_excerpt(text[lo:hi], plan, words, offset=lo) == build_excerpt(text, spans, max_chars, words)


def _merged_one_by_one(spans: list[Span]) -> list[Span]:
    """What merge_spans gives, span by span: sorted by start (longest first), overlaps merged."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end <= span.start:
            continue
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.key)
            continue
        merged.append(span)
    return merged


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(-2, 12), st.sampled_from("xy")), max_size=40))
def test_merged_spans_are_sorted_with_overlaps_joined_whether_or_not_any_overlap(
    raw_spans: list[tuple[int, int, str]],
) -> None:
    spans = [Span(s, s + n, key) for s, n, key in raw_spans]
    assert merge_spans(spans) == _merged_one_by_one(spans)
    disjoint = _merged_one_by_one(spans)
    assert merge_spans(disjoint[::-1]) == disjoint


@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, 9), st.sampled_from("wwxy")), min_size=1, max_size=60
    ),
    st.integers(1, 120),
    st.booleans(),
)
def test_the_excerpt_goes_to_the_earliest_window_with_the_most_words_then_the_most_matches(
    gaps: list[tuple[int, int, str]], width: int, one_word: bool
) -> None:
    spans, at = [], 0
    for gap, length, key in gaps:
        spans.append(Span(at + gap, at + gap + length, "w" if one_word else key))
        at += gap + length

    def held(i: int, j: int) -> tuple[int, int]:  # distinct words, then matches
        return len({s.key for s in spans[i : j + 1]}), j - i

    # The widest window that fits in ``width`` and ends at each match (a single match always fits);
    # the first end whose window holds the most wins.
    widest = {
        j: min(i for i in range(j + 1) if i == j or spans[j].end - spans[i].start <= width)
        for j in range(len(spans))
    }
    best = max(held(widest[j], j) for j in widest)
    j = min(j for j in widest if held(widest[j], j) == best)
    plan = plan_excerpt(spans, width, at + 1)
    assert plan.cluster == (spans[widest[j]].start, spans[j].end)


def test_a_match_that_starts_before_the_excerpt_is_marked_where_the_excerpt_shows_it() -> None:
    text = "a" * 200
    # y and z are the only window of two words; x ends one character into the excerpt cut around them.
    spans = [Span(40, 71, "x"), Span(75, 80, "y"), Span(82, 90, "z")]
    plan = plan_excerpt(spans, 30, len(text))
    assert plan.window[0] == 70
    assert render_excerpt(text, plan).startswith("…<mark>a</mark>aaaa<mark>aaaaa</mark>")


# Base characters with what may follow one inside a grapheme cluster: combining marks, the combining voiced
# sound mark, variation selectors (emoji and ideographic), an emoji skin tone.
_CLUSTER_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            "葛",
            "か",
            "e",
            "☀",
            "👍",
            "。",
            "\n",
            " ",
            "\u0301",
            "\u3099",
            "\ufe0f",
            "\U000e0100",
            "\U0001f3fd",
        ]
    ),
    max_size=300,
)


def _extends(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me", "Mc") or ch in "\ufe0f\U000e0100\U0001f3fd"


@settings(max_examples=300, deadline=None)
@given(
    _CLUSTER_TEXT,
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 6)), max_size=12),
    st.integers(1, 120),
)
def test_marks_and_excerpt_edges_never_cut_a_grapheme_cluster(
    text: str, raw_spans: list[tuple[int, int]], max_chars: int
) -> None:
    text = "あ" + text  # a text starts with a whole cluster
    spans = [Span(s, s + n, str(s % 3)) for s, n in raw_spans]
    for excerpt in (build_excerpt(text, spans, max_chars), highlight(text, spans)):
        body = excerpt.removeprefix("…")
        assert not body or not _extends(body[0])
        for tag in re.finditer("</?mark>", excerpt):
            after = excerpt[tag.end() : tag.end() + 1]
            assert not after or not _extends(after), (excerpt, tag.group())
        assert "<mark></mark>" not in excerpt
