"""The clean text of a post body, rule by rule: kramdown markup, Liquid outputs, headings on their own."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

import pytest

from mikke.search.markdown_text import JEKYLL_HEADING_IDS
from mikke.search.markdown_text import MAX_LIQUID_OUTPUT_CHARS
from mikke.search.markdown_text import _TextExtractor
from mikke.search.markdown_text import clean_inline
from mikke.search.markdown_text import html_blocks
from mikke.search.markdown_text import render_text
from mikke.search.markdown_text import strip_liquid


def lines(body: str, **kwargs: object) -> list[str]:
    return render_text(body, **kwargs).text.split("\n")  # type: ignore[arg-type]


JEKYLL = shutil.which("jekyll")
needs_jekyll = pytest.mark.skipif(
    JEKYLL is None, reason="needs Debian's jekyll: apt-get install jekyll jekyll-theme-minima"
)


def jekyll_blocks(site: Path, bodies: Sequence[str]) -> list[list[tuple[str, str]]]:
    """Each Markdown body as a real Jekyll build shows it (its default kramdown, GFM input), read into text
    blocks as mikke reads a page: what the rules below are held to where Jekyll is installed."""
    assert JEKYLL is not None
    (site / "_posts").mkdir(parents=True)
    (site / "_layouts").mkdir()
    (site / "_layouts" / "post.html").write_text("{{ content }}", "utf-8")
    (site / "_config.yml").write_text("permalink: /:title/\n", "utf-8")
    for n, body in enumerate(bodies):
        (site / "_posts" / f"2020-01-01-case{n}.md").write_text(f"---\nlayout: post\n---\n{body}\n", "utf-8")
    build = [
        JEKYLL,
        "build",
        "--disable-disk-cache",
        "--source",
        str(site),
        "--destination",
        str(site / "_site"),
    ]
    done = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    pages = (site / "_site" / f"case{n}" / "index.html" for n in range(len(bodies)))
    return [html_blocks(page.read_text("utf-8")) for page in pages]


def jekyll_lines(site: Path, bodies: Sequence[str]) -> list[list[str]]:
    return [[text for _, text in blocks] for blocks in jekyll_blocks(site, bodies)]


# --- kramdown attribute lists, header IDs and extensions ---------------------------------------------


def test_span_ial_after_a_link_leaves_only_the_link_text() -> None:
    body = "[お問い合わせはこちら](/contact/){: .consulting-cta-link}"
    assert lines(body) == ["お問い合わせはこちら"]


@pytest.mark.parametrize(
    "body",
    [
        "**太字**{:.x}です。",
        "*強調*{: .x}です。",
        "`code`{:.lang}です。",
        "![画像](a.png){: width=100}です。",
        "<span>スパン</span>{: .z}です。",
        "[参照][r]{:.v}です。\n\n[r]: /x",
    ],
)
def test_span_ial_right_after_any_inline_element_is_removed(body: str) -> None:
    assert "{:" not in render_text(body).text


def test_braces_after_plain_text_are_text_as_in_kramdown() -> None:
    assert lines("文字{:.w}とテキスト {:.x} 途中") == ["文字{:.w}とテキスト {:.x} 途中"]


@pytest.mark.parametrize(
    "ial", ["{: .note}", '{:#id .c key="v"}', "{:.a.b}", "  {: #x}", "{:ref: .class}", "{:ref: key='v'}"]
)
def test_block_ials_and_alds_on_their_own_line_are_removed(ial: str) -> None:
    assert lines(f"段落です。\n{ial}\n\n次の段落。\n\n{ial}") == ["段落です。", "次の段落。"]


def test_block_ial_ends_the_paragraph_before_it_as_in_kramdown() -> None:
    assert lines("前の段落\n{: .x}\n後の段落") == ["前の段落", "後の段落"]


def test_block_ial_in_a_quote_and_in_a_list_item_is_removed() -> None:
    assert lines("> 引用\n> {: .q}\n> 続き") == ["引用", "続き"]
    assert lines("- 一つ目\n  {: .li}\n- 二つ目") == ["一つ目", "二つ目"]


def test_toc_marker_and_the_list_it_replaces_are_removed_so_headings_stay_headings() -> None:
    text = render_text("* 目次\n{:toc}\n\n## 最初の見出し\n\n本文。\n\n## 次の見出し\n\n本文2。")
    assert text.text.split("\n") == ["最初の見出し", "本文。", "次の見出し", "本文2。"]
    assert text.headings == ("最初の見出し", "次の見出し")


@pytest.mark.parametrize(
    ("body", "heading"),
    [
        ("## 見出し {#custom-id}\n\n本文", "見出し"),
        ("## 閉じる見出し ## {#id}\n\n本文", "閉じる見出し"),
        ("下線の見出し {#cid}\n======\n\n本文", "下線の見出し"),
    ],
)
def test_header_id_at_the_end_of_a_heading_is_dropped(body: str, heading: str) -> None:
    text = render_text(body)
    assert text.headings == (heading,)
    assert text.text.split("\n") == [heading, "本文"]


def test_header_id_with_classes_or_outside_a_heading_stays_as_kramdown_shows_it() -> None:
    assert render_text("### 見出し {#id .c}").headings == ("見出し {#id .c}",)
    assert lines("ただの文 {#id}") == ["ただの文 {#id}"]


def test_comment_extension_drops_its_content_block_and_inline() -> None:
    assert lines("{::comment}\n下書きのメモ\n{:/comment}\n\n本文") == ["本文"]
    assert lines("段落 {::comment}消す{:/comment} 続き") == ["段落 続き"]
    assert lines("{::comment}\n短く閉じる\n{:/}\n残る") == ["残る"]


def test_comment_extension_may_hide_a_code_block() -> None:
    assert lines("{::comment}\n```\nコード\n```\n{:/comment}\n本文") == ["本文"]


def test_nomarkdown_extension_keeps_its_content() -> None:
    assert lines("{::nomarkdown}<b>残す</b>{:/nomarkdown}") == ["残す"]


def test_options_extension_is_removed() -> None:
    assert lines('{::options parse_block_html="true" /}\n\n本文') == ["本文"]
    assert lines("{::comment /}\n本文") == ["本文"]


def test_unknown_or_unclosed_extensions_stay_text_as_in_kramdown() -> None:
    assert lines("{::foo}\n不明\n{:/foo}") == ["{::foo} 不明 {:/foo}"]
    assert lines("{::comment}\n閉じていない") == ["{::comment} 閉じていない"]


def test_kramdown_syntax_inside_code_is_code() -> None:
    body = "```ruby\nh = {:a => 1}\n{: .x}\n```\n\n`{:a}` と `x`{:.y}"
    assert lines(body) == ["h = {:a => 1}", "{: .x}", "{:a} と x"]


def test_kramdown_markup_in_an_html_post_is_left_as_written() -> None:
    assert lines("<p>段落</p>\n{: .note}", markdown=False) == ["段落", "{: .note}"]


# --- footnotes and other kramdown blocks that markdown-it reads otherwise -----------------------------

# Each case: a body and the text Jekyll's page shows, its footnotes' back links (↩) aside: they are links
# back up the page, which an excerpt would show as a stray arrow (see jekyll_text_blocks).
KRAMDOWN_BLOCKS = [
    # a footnote's marker is its number, and its text stands at the end of the page, numbered in the order
    # the markers first appear
    (
        "本文[^a]と本文[^b]と再び[^a]。\n\n[^b]: 二つ目の注。\n"
        "[^a]: 一つ目の注。\n    続きの行。\n\n    二段落目。",
        ["本文1と本文2と再び1。", "一つ目の注。 続きの行。", "二段落目。", "二つ目の注。"],
    ),
    ("> 引用の中[^q]\n\n[^q]: 引用の注。\n\n後ろの段落。", ["引用の中1", "後ろの段落。", "引用の注。"]),
    ("- 項目[^long-name_2]\n\n[^long-name_2]: 項目の注。", ["項目1", "項目の注。"]),
    # a marker without its definition, a definition inside a paragraph, a footnote never referred to
    ("定義のない[^x]参照。", ["定義のない[^x]参照。"]),
    ("段落の途中\n[^1]: 途中の定義\n後ろの行[^1]", ["段落の途中 [^1]: 途中の定義 後ろの行[^1]"]),
    ("使われない注。\n\n[^u]: 使われない。", ["使われない注。"]),
    ("コード `[^c]` の中[^c]。\n\n[^c]: 注。", ["コード [^c] の中1。", "注。"]),
    # two backslashes at a line's end are a line break, as two spaces are (one backslash before it stays)
    ("行末に二つ\\\\\n次の行。三つ\\\\\\\n次。", ["行末に二つ 次の行。三つ\\ 次。"]),
    ("- 項目です\\\\\n  続き\n\n> 引用\\\\\n> 続き", ["項目です 続き", "引用 続き"]),
    # an abbreviation's definition, where a block starts, is no text of the page (inside a paragraph it is)
    (
        "HTML と CSS。\n*[HTML]: Hyper Text\n続き。\n\n*[CSS]: Cascading\n*[API]: Interface\n次の段落。",
        ["HTML と CSS。 *[HTML]: Hyper Text 続き。", "次の段落。"],
    ),
]


@pytest.mark.parametrize(("body", "text"), KRAMDOWN_BLOCKS)
def test_footnotes_and_kramdown_blocks_read_as_the_page_shows_them(body: str, text: list[str]) -> None:
    assert lines(body) == text


def jekyll_text_blocks(site: Path, bodies: Sequence[str]) -> list[list[str]]:
    """jekyll_lines, without the back links (↩, ↩2…) kramdown ends each footnote with."""
    pages = jekyll_lines(site, bodies)
    return [[re.sub(r"(?:\s*↩\d*)+\Z", "", text) for text in page] for page in pages]


# kramdown's typography: smart quotes (by its rules, which read a quote after a Japanese character as a
# closing one), dashes, ellipses and guillemets; not in code, nor in an image's alt text.
TYPOGRAPHY = [
    ("\"quoted\" text 'single' and it's the '90s.", ["“quoted” text ‘single’ and it’s the ’90s."]),
    ('日本語の"テスト"です。「"引用"」と\'単\'も。', ["日本語の”テスト”です。「”引用”」と’単’も。"]),
    ('"**強調**"と"`code`"と"[リンク](/x)"。', ["“強調“と”code“と”リンク“。"]),
    ("He said, \"'Quoted' words.\"", ["He said, “‘Quoted’ words.”"]),
    (
        "1--2 と a---b と 待って... と <<引用>> と a << b >> c と \\<<x",
        ["1–2 と a—b と 待って… と «引用» と a « b » c と <<x"],
    ),
    ('行頭の\n"改行後" の引用', ["行頭の “改行後” の引用"]),
    ('## "見出し"の--ダッシュ\n\n本文。', ["“見出し”の–ダッシュ", "本文。"]),
    ("| \"セル\" | a--b |\n|---|---|\n| 'x' | ... |", ["“セル”", "a–b", "‘x’", "…"]),
    ('- "項目"...\n- it\'s', ["“項目”…", "it’s"]),
    ('![alt "x" -- y](/a.png)', ['alt "x" -- y']),
    ('\\"エスケープ\\" と &quot;実体&quot; と `a--b`', ['"エスケープ" と "実体" と a--b']),
    ('"" と \'\' と "\'" と "a"b"', ["”” と ‘’ と “’” と “a”b”"]),
    ("<span>\"スパン\"</span>と**'太'**", ["“スパン”と‘太’"]),
    ("Rock 'n' roll, don't! (\"paren\") ['br'] -\"d\"-", ["Rock ‘n’ roll, don’t! (“paren”) [‘br’] -“d”-"]),
    ('"a"."b", \'d\': "e"?', ["“a”.”b”, ‘d’: “e”?"]),
    # the lines after an element keep their text, typeset or not
    ('"前"<br>\n"後" -- 続き\n\n![](/a.png)\n画像の後', ["“前” “後” – 続き", "画像の後"]),
]


@pytest.mark.parametrize(("body", "text"), TYPOGRAPHY)
def test_quotes_dashes_and_ellipses_read_as_kramdown_typesets_them(body: str, text: list[str]) -> None:
    assert lines(body) == text


def test_titles_keep_their_quotes_as_a_layout_shows_them() -> None:
    assert clean_inline('"引用" -- それは...') == '"引用" -- それは...'


# kramdown ends a paragraph (a quote's or list item's too) at a line that starts a list, a heading, a quote
# or a fence, never at a rule: "***" or "___" right below a line of text is text of it ("* * *", which may
# start a list, is a rule).
RULES_IN_PARAGRAPHS = [
    ("段落の行\n***\n次の行", ["段落の行 *** 次の行"]),
    ("段落の行\n  ___\n次の行\n\n前\n_ _ _", ["段落の行 ___ 次の行", "前 _ _ _"]),
    ("前の段落\n\n一行目\n二行目\n---\n後", ["前の段落", "一行目 二行目 — 後"]),
    ("- 項目\n***\n後\n\n> 引用\n***\n後ろ", ["項目 *** 後", "引用 *** 後ろ"]),
    ("段落の行\n* * *\n次の行\n\n前\n- - -\n後", ["段落の行", "次の行", "前", "後"]),
    ("段落の行\n\n***\n\n次の行", ["段落の行", "次の行"]),
]

# kramdown reads "<<" as a guillemet before it could read a tag, so <<Jekyll>> is «Jekyll», not <Jekyll>.
GUILLEMETS = [
    ("<<名前>>と<<Jekyll>>と<<a href>>", ["«名前»と«Jekyll»と«a href»"]),
    ("詳細は <<Ruby>> の章、\n<<b>>太字<</b>>", ["詳細は «Ruby» の章、 «b»太字«/b»"]),
]


@pytest.mark.parametrize(("body", "text"), GUILLEMETS)
def test_a_word_in_double_angle_brackets_is_text_in_guillemets_not_a_tag(body: str, text: list[str]) -> None:
    assert lines(body) == text


@pytest.mark.parametrize(("body", "text"), RULES_IN_PARAGRAPHS)
def test_a_rule_right_below_a_line_of_text_is_text_as_in_kramdown(body: str, text: list[str]) -> None:
    assert lines(body) == text


# GFM task lists: a list item starting "[ ] " or "[x] " starts with a checkbox, which shows no text.
TASK_LISTS = [
    ("- [ ] 未着手の作業\n- [x] 済んだ作業\n- [X] **大文字**も", ["未着手の作業", "済んだ作業", "大文字も"]),
    ("1. [ ] 番号付き\n\n2. [x]  間が広い", ["番号付き", "間が広い"]),
    (
        "- [ ]\n- [y] 違う\n- 途中の [ ] 括弧\n- [x]詰めて",
        ["[ ]", "[y] 違う", "途中の [ ] 括弧", "[x]詰めて"],
    ),
    ("> - [ ] 引用の中\n\n- 外\n  - [x] 入れ子", ["引用の中", "外", "入れ子"]),
]


@pytest.mark.parametrize(("body", "text"), TASK_LISTS)
def test_a_task_list_items_checkbox_shows_no_brackets(body: str, text: list[str]) -> None:
    assert lines(body) == text


# kramdown's definition lists: the lines of a paragraph right above ": definition" (one blank line between
# at most) are its terms, each a block of its own, and each definition is a block of its own too.
DEFINITION_LISTS = [
    (
        "前の段落。\n\n用語\n: 説明です。\n: 二つ目の説明。",
        ["前の段落。", "用語", "説明です。", "二つ目の説明。"],
    ),
    (
        "用語一\n用語二\n\n:   説明、\n    続きの行\n遅れた行\n\n    二段落目",
        ["用語一", "用語二", "説明、 続きの行 遅れた行", "二段落目"],
    ),
    (
        "**太字の用語**\n: *強調*の説明\n\n次の用語\n: 次の説明\n\n後ろ",
        ["太字の用語", "強調の説明", "次の用語", "次の説明", "後ろ"],
    ),
    ("用語\n: 説明\n別の行\n: 次", ["用語", "説明 別の行", "次"]),
    # no paragraph right above: the colon is text
    (
        ": 行頭のコロン\n\n用語\n\n\n: 二行空き\n\n## 見出し\n: 見出しの下",
        [": 行頭のコロン", "用語", ": 二行空き", "見出し", ": 見出しの下"],
    ),
    ("用語\n:説明なし", ["用語 :説明なし"]),
]


@pytest.mark.parametrize(("body", "text"), DEFINITION_LISTS)
def test_a_definition_lists_terms_and_definitions_are_blocks_of_their_own(body: str, text: list[str]) -> None:
    assert lines(body) == text


# kramdown reads a table only between block boundaries: a blank line (or the start of the post or of a
# container) above it, and a blank line or the end below it. Elsewhere its lines are text of a paragraph.
TABLE = "| 項目 | 値 |\n|---|:-:|\n| 速度 | 速い |"
TABLES = [
    ("表の説明\n" + TABLE, ["表の説明 | 項目 | 値 | |—|:-:| | 速度 | 速い |"]),
    (TABLE + "\n直後の文", ["| 項目 | 値 | |—|:-:| | 速度 | 速い | 直後の文"]),
    ("## 見出し\n" + TABLE + "\n\n後", ["見出し", "| 項目 | 値 | |—|:-:| | 速度 | 速い |", "後"]),
    (TABLE + "\n- 直後の項目", ["| 項目 | 値 | |—|:-:| | 速度 | 速い |", "直後の項目"]),
    ("前\n\n" + TABLE + "\n\n後", ["前", "項目", "値", "速度", "速い", "後"]),
    (
        "> " + TABLE.replace("\n", "\n> ") + "\n\n- 入れ子\n\n  | 列 |\n  |--|\n  | 行 |",
        ["項目", "値", "速度", "速い", "入れ子", "列", "行"],
    ),
]


# A "|" in a code span is code, not the end of a cell, as kramdown reads a table row ("\\|" there stays as
# written); outside a table, code spans are left alone.
CODE_IN_TABLES = [
    (
        "| `a|b` | 意味 |\n|---|---|\n| `cmd | grep x` | 絞り込み |\n| `c\\|d` | 逃がし |",
        ["a|b", "意味", "cmd | grep x", "絞り込み", "c\\|d", "逃がし"],
    ),
    ("本文 `a|b` と `c\\|d`\n\n| 列 |\n|---|\n| `x|y` |", ["本文 a|b と c\\|d", "列", "x|y"]),
]


@pytest.mark.parametrize(("body", "text"), CODE_IN_TABLES)
def test_a_pipe_in_code_is_code_not_a_cell_border(body: str, text: list[str]) -> None:
    assert lines(body) == text


# kramdown needs no separator line: lines between blank lines that each hold a "|" (outside code, not
# escaped) are a table's rows, each cell a block on the page; a row may have more cells than another.
TABLES_WITHOUT_SEPARATOR = [
    ("前\n\nタグ: Python | Jekyll\n\n後", ["前", "タグ: Python", "Jekyll", "後"]),
    ("| a | b |\n| 1 | **2** | 3 |", ["a", "b", "1", "2", "3"]),
    (
        "行1 | x\n行2 はパイプなし\n\n`a | b` だけ\n\n東京\\|大阪",
        ["行1 | x 行2 はパイプなし", "a | b だけ", "東京|大阪"],
    ),
    ("## 見出し\nA | B\n\n- 項目\n\n  C | D", ["見出し", "A | B", "項目", "C", "D"]),
    ("表 | 1. 一 | - 二 | # 三 | > 四 | + 五", ["表", "1. 一", "- 二", "# 三", "> 四", "+ 五"]),
]


@pytest.mark.parametrize(("body", "text"), TABLES_WITHOUT_SEPARATOR)
def test_lines_of_cells_are_a_table_without_a_separator_line_as_in_kramdown(
    body: str, text: list[str]
) -> None:
    assert lines(body) == text


@pytest.mark.parametrize(("body", "text"), TABLES)
def test_a_table_is_a_table_only_between_blank_lines_as_in_kramdown(body: str, text: list[str]) -> None:
    assert lines(body) == text


# kramdown (Jekyll's default: no parse_block_html) keeps the content of a block-level HTML element as it is
# written, to its end tag, blank lines and all: Markdown in it is shown as text ("**" and "##" too), and a
# heading written there is none. An element never closed runs to the end of the post.
HTML_BLOCKS = [
    (
        '<div class="note">\n\n**注意**: 本文です。\n\n## 見出しではない\n\n- 項目\n\n</div>\n\n後ろの段落',
        ["**注意**: 本文です。 ## 見出しではない - 項目", "後ろの段落"],
    ),
    (
        "<p>一行目\n\n二行目</p>\n\n<section>\n<h2>中の見出し</h2>\n\n本文。\n\n</section>",
        ["一行目 二行目", "中の見出し", "本文。"],
    ),
    ("<div>\n<div>\n\n入れ子\n\n</div>\n\n外側\n\n</div>\n\n## 外の見出し", ["入れ子", "外側", "外の見出し"]),
    (
        '<div markdown="1">\n\n**太字**\n\n</div>\n\n'
        "<details>\n<summary>開く</summary>\n\n中身。\n\n</details>",
        ["太字", "開く", "中身。"],
    ),
    ("前の段落\n\n<div>\n\n閉じない\n\n**太字**", ["前の段落", "閉じない **太字**"]),
    ("<div>\n中\n</div>\n**直後**の段落", ["中", "直後の段落"]),
    # an autolink is no element
    ("<https://example.com/日本>\n\n**太字**の段落", ["https://example.com/日本", "太字の段落"]),
]


@pytest.mark.parametrize(("body", "text"), HTML_BLOCKS)
def test_markdown_inside_an_html_block_is_shown_as_written_as_in_kramdown(body: str, text: list[str]) -> None:
    assert lines(body) == text


def test_a_heading_inside_an_html_block_is_no_section() -> None:
    text = render_text(HTML_BLOCKS[0][0], heading_ids=JEKYLL_HEADING_IDS)
    assert (text.headings, text.sections) == ((), ())


# A comment right below a line of text (Jekyll's <!-- more --> most often) does not end the paragraph in
# kramdown, whose paragraphs end only at a tag of an element; a block of it starts only after a blank line.
COMMENTS_IN_PARAGRAPHS = [
    ("段落の一行目、\n<!-- more -->\n二行目。", ["段落の一行目、 二行目。"]),
    ("一行目\n<!-- 複数行の\nコメント -->\n続き\n\n<!-- more -->\n\n次の段落", ["一行目 続き", "次の段落"]),
    ("- 項目\n<!-- more -->\n続き\n\n> 引用\n<!-- x -->\n続き。", ["項目 続き", "引用 続き。"]),
    ("前の行\n<div>ブロック</div>\n後の行", ["前の行", "ブロック", "後の行"]),
]


@pytest.mark.parametrize(("body", "text"), COMMENTS_IN_PARAGRAPHS)
def test_a_comment_right_below_a_line_of_text_does_not_end_its_paragraph(body: str, text: list[str]) -> None:
    assert lines(body) == text


@needs_jekyll
def test_the_kramdown_syntax_cases_are_what_jekyll_shows(tmp_path: Path) -> None:
    cases = (
        KRAMDOWN_BLOCKS
        + TYPOGRAPHY
        + RULES_IN_PARAGRAPHS
        + GUILLEMETS
        + TASK_LISTS
        + DEFINITION_LISTS
        + TABLES
        + HTML_BLOCKS
        + COMMENTS_IN_PARAGRAPHS
        + CODE_IN_TABLES
        + TABLES_WITHOUT_SEPARATOR
    )
    assert jekyll_text_blocks(tmp_path, [body for body, _ in cases]) == [text for _, text in cases]


# --- headings are lines of their own ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "# 見出し\n本文です。",
        "見出し\n===\n本文です。",
        "見出し\n---\n本文です。",
        "<h2>見出し</h2>本文です。",
        "<div>\n<h3>見出し</h3>\n本文です。\n</div>",
        "<section><h2>見出し</h2><p>本文です。</p></section>",
        '<div markdown="1">\n## 見出し\n本文です。\n</div>',
        '<div class="box" markdown="block">\n## 見出し\n本文です。\n</div>',
    ],
)
def test_a_heading_never_runs_into_the_sentence_after_it(body: str) -> None:
    text = render_text(body)
    assert text.text.split("\n") == ["見出し", "本文です。"]
    assert text.headings == ("見出し",)


def test_markdown_html_block_ends_at_its_own_closing_tag() -> None:
    body = '<div markdown="1">\n<div>中</div>\n\n## 見出し\n本文\n</div>\n\n後ろ'
    assert lines(body) == ["中", "見出し", "本文", "後ろ"]


# --- Markdown as kramdown reads it ----------------------------------------------------------------------

# kramdown lets "*", "**", "_" and "~~" open where no blank follows and close where no blank comes before
# ("_" not inside a word), whatever punctuation is around them; CommonMark's flanking rules keep them as text
# next to Japanese brackets and colons, which posts put inside bold all the time.
EMPHASIS = [
    ("これは**「強調」**です。", ["これは「強調」です。"]),
    ("値は*（注）*です。", ["値は（注）です。"]),
    ("**注意:**本文", ["注意:本文"]),
    ("**「一」**と**「二」**", ["「一」と「二」"]),
    ("~~「取り消し」~~です", ["「取り消し」です"]),
    # and where kramdown keeps them as text, they stay
    ("snake_case と 日本_語_です と _「下線」_です", ["snake_case と 日本_語_です と _「下線」_です"]),
    ("a * b * c と ** 強調 ** と ~~ 線 ~~", ["a * b * c と ** 強調 ** と ~~ 線 ~~"]),
    ("前**後", ["前**後"]),
]


@pytest.mark.parametrize(("body", "text"), EMPHASIS)
def test_emphasis_next_to_punctuation_is_markup_as_in_kramdown(body: str, text: list[str]) -> None:
    assert lines(body) == text


@needs_jekyll
def test_the_emphasis_cases_are_what_jekyll_shows(tmp_path: Path) -> None:
    assert jekyll_lines(tmp_path, [body for body, _ in EMPHASIS]) == [text for _, text in EMPHASIS]


# kramdown (GFM input) ends a paragraph at a line starting an ordered list whatever its number, where
# CommonMark lets only "1." interrupt one; and it has no "1)" lists at all.
LISTS = [
    ("文章です。\n2.  二番目\n3.  三番目", ["文章です。", "二番目", "三番目"]),
    ("文章です。\n10. 十番目", ["文章です。", "十番目"]),
    ("文章です。\n1) 一番目", ["文章です。 1) 一番目"]),
    ("1) 一番目\n2) 二番目", ["1) 一番目 2) 二番目"]),
    ("文章です。\n2.5 版の話", ["文章です。 2.5 版の話"]),
]


@pytest.mark.parametrize(("body", "text"), LISTS)
def test_ordered_lists_start_where_kramdown_starts_them(body: str, text: list[str]) -> None:
    assert lines(body) == text


@needs_jekyll
def test_the_list_cases_are_what_jekyll_shows(tmp_path: Path) -> None:
    assert jekyll_lines(tmp_path, [body for body, _ in LISTS]) == [text for _, text in LISTS]


# kramdown reads an underlined line as a heading only where a block may start: first in the post, a quote or
# a list item, or after a blank line; and only one line of it. Elsewhere the underline is text of the
# paragraph, and no section link may point at a heading the page does not have.
SETEXT = [
    ("前の行\n\n見出し\n---\n\n本文", ["見出し"]),
    ("見出し\n===\n本文", ["見出し"]),
    ("> 見出し\n> ---", ["見出し"]),
    ("- 項目\n\n  見出し\n  ---", ["見出し"]),
    ("## 前\n見出しではない\n---", ["前"]),
    ("前\n\n---\n見出しではない\n---", []),
    ("一行目\n二行目\n===", []),
    ("一行目\n二行目\n---", []),
]


@pytest.mark.parametrize(("body", "headings"), SETEXT)
def test_an_underlined_line_is_a_heading_only_where_kramdown_reads_one(
    body: str, headings: list[str]
) -> None:
    assert list(render_text(body).headings) == headings


@needs_jekyll
def test_the_underline_cases_are_what_jekyll_shows(tmp_path: Path) -> None:
    pages = jekyll_blocks(tmp_path, [body for body, _ in SETEXT])
    assert [[text for kind, text in blocks if kind == "h"] for blocks in pages] == [h for _, h in SETEXT]


# --- Liquid -------------------------------------------------------------------------------------------

SITE = {"site.title": "みっけ日記", "site.author.name": "猫", "page.title": "カレー", "site.count": "3"}


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ("{{ site.title }}らしい素朴な味", "みっけ日記らしい素朴な味"),
        ("{{site.title}}", "みっけ日記"),
        ("{{- site.title -}}", "みっけ日記"),
        ("{{ site.title | escape }}", "みっけ日記"),
        ("{{ site.title | append: '!' | upcase }}", "みっけ日記"),
        ("{{ site.author.name }}", "猫"),
        ("{{ page.title }}の作り方", "カレーの作り方"),
        ("{{ site.count }}件", "3件"),
        ('{{ "文字列" }}', "文字列"),
        ("{{ 'x|y' | upcase }}", "x|y"),
    ],
)
def test_liquid_outputs_render_the_value_they_name(source: str, rendered: str) -> None:
    assert strip_liquid(source, SITE) == rendered


@pytest.mark.parametrize(
    "source", ["{{ site.missing }}", "{{ site.author }}", "{{ content }}", "{{ site.title[0] }}", "{{ 1 + }}"]
)
def test_unknown_or_non_scalar_values_render_as_nothing(source: str) -> None:
    assert strip_liquid(f"前{source}後", SITE) == "前後"


def test_without_variables_outputs_render_as_nothing() -> None:
    assert strip_liquid("前{{ site.title }}後") == "前後"


def test_rendered_values_do_not_expand_a_post_without_bound() -> None:
    long = "長" * 1000
    rendered = strip_liquid("{{ site.long }}" * 500, {"site.long": long})
    assert len(rendered) == MAX_LIQUID_OUTPUT_CHARS


def test_liquid_renders_before_markdown_as_in_jekyll() -> None:
    assert lines("## {{ page.title }}\n\n本文", variables=SITE) == ["カレー", "本文"]
    assert render_text("## {{ page.title }}\n\n本文", variables=SITE).headings == ("カレー",)


def test_raw_blocks_keep_their_liquid_as_text() -> None:
    assert strip_liquid("{% raw %}{{ site.title }}{% endraw %}", SITE) == "{{ site.title }}"


def test_a_list_of_links_only_is_navigation_and_leaves_the_text() -> None:
    body = "本文です。\n\n## 関連記事\n\n- [医療AIの次の波](/2025/09/12/a/)\n- [建設現場のVLM](/b/)\n"
    text = render_text(body)
    assert text.text.split("\n") == ["本文です。", "関連記事"]
    assert text.headings == ("関連記事",)


def test_the_same_list_written_in_html_is_navigation_too() -> None:
    body = '<p>本文です。</p><ul><li><a href="/a/">一つ目</a></li><li> <a href="/b/">二つ目</a> </li></ul>'
    assert render_text(body, markdown=False).text.split("\n") == ["本文です。"]


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # An item that says something besides its link is content, and so is the rest of its list.
        ("- [LangChain](https://x/) は便利\n- [別の記事](/b/)\n", ["LangChain は便利", "別の記事"]),
        # One link alone in a list is the point of its sentence.
        ("- [ただ一つのリンク](/a/)\n", ["ただ一つのリンク"]),
        # A list of plain items is content.
        ("- 一つ目\n- 二つ目\n", ["一つ目", "二つ目"]),
    ],
)
def test_lists_with_text_beside_their_links_stay(body: str, kept: list[str]) -> None:
    assert render_text(body).text.split("\n") == kept


def test_a_list_of_links_inside_an_item_with_text_leaves_only_the_links() -> None:
    body = "- 参考にした記事\n  - [一つ目](/a/)\n  - [二つ目](/b/)\n- まとめ\n"
    assert render_text(body).text.split("\n") == ["参考にした記事", "まとめ"]


def test_list_items_whose_end_tags_are_left_out_are_read_as_html_does() -> None:
    # HTML lets </li> be left out: each <li> ends the one before it, and the list's end ends the last.
    links = '<p>本文。</p><ul><li><a href="/a/">一つ目</a><li><a href="/b/">二つ目</a></ul><p>後の段落。</p>'
    assert render_text(links, markdown=False).text.split("\n") == ["本文。", "後の段落。"]
    mixed = "<ul><li><a href='/a/'>記事</a> の感想<li><a href='/b/'>二つ目</a></ul>"
    assert render_text(mixed, markdown=False).text.split("\n") == ["記事 の感想", "二つ目"]


def test_unclosed_list_items_do_not_pile_up_while_a_long_page_is_read() -> None:
    # Each piece of text is noted in every open item: items left open would make a long page quadratic.
    parser = _TextExtractor()
    parser.feed("<ul>" + "".join(f"<li>項目{i}" for i in range(1_000)))
    assert len(parser._items) == 1
    parser.feed("</ul><p>後の段落。</p>")
    parser.close()
    assert not parser._items and parser.blocks[-1] == ("p", "後の段落。")


# --- work in proportion to a post's length -------------------------------------------------------------

# A broken post this long takes tens of seconds to minutes where a pattern searches the rest of the text from
# every position it fails at (work growing with the square of the length), and a few hundredths of a second
# where the text is read once: the bound is far from both, so that a busy machine cannot fail a linear run.
LONG = 200_000
SECONDS = 3.0


def cpu_seconds(work: Callable[[], object]) -> float:
    """The processor time ``work`` takes; past a few times the bound it is stopped, so that work grown
    quadratic fails in seconds rather than minutes."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still working after {4 * SECONDS} s of processor time")

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, 4 * SECONDS)
    start = time.process_time()
    try:
        work()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return time.process_time() - start


def test_liquid_openings_without_a_closing_stay_text_and_the_pairs_before_them_still_render() -> None:
    unclosed = "{% if 閉じない {{ 閉じない"
    assert strip_liquid("前{{ site.title }}後" + unclosed, SITE) == "前みっけ日記後" + unclosed
    assert strip_liquid("{% raw %}{{ x }}{% endraw %}{% raw %}閉じない", SITE) == "{{ x }}閉じない"
    assert strip_liquid("{% comment %}消える{% endcomment %}{% comment %}閉じない", SITE) == "閉じない"


@pytest.mark.parametrize(
    "unit", ["{{ ", "{{", "{% ", "{%", "{% raw %}", "{% comment %}", "{% highlight x %}", "{% highlight "]
)
def test_a_long_run_of_unclosed_liquid_is_read_in_linear_time(unit: str) -> None:
    body = unit * (LONG // len(unit))
    assert cpu_seconds(lambda: strip_liquid(body)) < SECONDS


@pytest.mark.parametrize("body", ["-" * LONG, "-" * LONG + "END", "--- " * (LONG // 4)])
def test_a_long_run_of_dashes_is_read_in_linear_time(body: str) -> None:
    assert cpu_seconds(lambda: render_text(body)) < SECONDS
    assert cpu_seconds(lambda: clean_inline(body)) < SECONDS


@pytest.mark.parametrize("unit", ["**「", "*「*」", "~~「", "_a", "a_b_"])
def test_a_long_run_of_emphasis_markers_is_read_in_linear_time(unit: str) -> None:
    # Nearly every run may both open and close by kramdown's rule: pairing them must stay linear.
    assert cpu_seconds(lambda: render_text(unit * (LONG // len(unit)))) < SECONDS


def test_end_markers_inside_a_line_still_end_nothing_but_themselves() -> None:
    assert clean_inline("前---END---後 -----end----- 終") == "前 後 終"
    assert lines("前 --- END --- 後\n\n本文") == ["前 後", "本文"]


# A generator's END marker inside a heading is hidden from the text, but the page still has it in the
# heading and in the id kramdown derives from it: the section link must use that id.
END_IN_HEADING = "## 見出し ---END---\n\n本文。\n\n### 次 --- END --- 続き\n\n本文二。"


def test_an_end_marker_hidden_in_a_heading_still_counts_in_its_id() -> None:
    text = render_text(END_IN_HEADING, heading_ids=JEKYLL_HEADING_IDS)
    assert text.text.split("\n") == ["見出し", "本文。", "次 続き", "本文二。"]
    assert [section_id for _, section_id, _ in text.sections] == ["見出し-end", "次--end--続き"]


@needs_jekyll
def test_the_end_marker_heading_ids_are_what_jekyll_writes(tmp_path: Path) -> None:
    jekyll_lines(tmp_path, [END_IN_HEADING])
    page = (tmp_path / "_site" / "case0" / "index.html").read_text("utf-8")
    for _, section_id, _ in render_text(END_IN_HEADING, heading_ids=JEKYLL_HEADING_IDS).sections:
        assert f' id="{section_id}"' in page


@pytest.mark.parametrize(
    "body",
    [
        "`" * LONG,  # a fence that never gets its line end
        "<div " + " " * LONG + "markdown\n",  # blanks where markdown="1" could start
        "<div" + ' markdown="1"' * (LONG // 13),  # the attribute again and again, and no ">"
        "{#id}\n# 見出し" + " " * LONG + "#x {#y}\n",  # blanks before a header id and closing hashes
        "{#id}\n# 見出し" + " " * LONG + "終\n",
        "- 項目\n: 定義ではない\n" * (LONG // 14),  # each colon line looks for the paragraph above it
        "用語\n: 定義\n\n" * (LONG // 10),
        "<div\n" * (LONG // 5),  # HTML blocks, none of them closed
        "<div>\n\n" * (LONG // 7),
        "セル | セル\n" * (LONG // 8),  # one table of many rows
    ],
)
def test_long_runs_of_kramdown_markup_are_read_in_linear_time(body: str) -> None:
    assert cpu_seconds(lambda: render_text(body)) < SECONDS


@pytest.mark.parametrize(
    ("body", "markdown"),
    [
        ("<p>前</p>\n<!-- 閉じない <b>太字</b> 後", False),
        ("<p>前</p><div class='x' 閉じない 後", False),  # a ">" later would close the tag
        ("<p>前</p><? 閉じない 後", False),
        ("前\n\n<!-- 閉じない\n\n後の段落", True),
    ],
)
def test_markup_left_open_hides_the_rest_of_the_page_as_in_a_browser(body: str, markdown: bool) -> None:
    assert render_text(body, markdown=markdown).text == "前"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<p>前</p><![ x ]> <p>後</p>", "前\n後"),  # Python 3.11's parser raised AssertionError on these
        ("<p>前</p><![foo[ x ]]> <p>後</p>", "前\n後"),
        ("<p>前</p><![if !supportLists]>・<![endif]><p>後</p>", "前\n・\n後"),  # pasted from Word
        ("<p>前</p><![ x", "前"),
    ],
)
def test_a_marked_section_is_a_comment_up_to_the_next_angle_bracket(body: str, text: str) -> None:
    assert render_text(body, markdown=False).text == text


def test_a_lone_end_tag_opening_at_the_very_end_is_text() -> None:
    assert render_text("<p>前</p>後 </", markdown=False).text == "前\n後 </"


@pytest.mark.parametrize(
    "body",
    [
        "<!--" * (LONG // 4),
        "<div " * (LONG // 5),
        ("<div " + " " * 50 + "markdown\n") * (LONG // 60),
        "<?" * (LONG // 2),
        "<!A" * (LONG // 3),
        "</a " * (LONG // 4),
    ],
)
def test_a_long_run_of_markup_left_open_is_read_in_linear_time(body: str) -> None:
    assert cpu_seconds(lambda: render_text(body)) < SECONDS
    assert cpu_seconds(lambda: render_text(body, markdown=False)) < SECONDS


def test_lists_of_links_nested_in_lists_of_links_are_navigation_at_every_depth() -> None:
    nested = "<ul><li><a href='/a/'>一</a><ul><li><a href='/b/'>二</a><li><a href='/c/'>三</a></ul>"
    page = f"<p>本文。</p>{nested}<li><a href='/d/'>四</a></ul><p>後。</p>"
    assert render_text(page, markdown=False).text.split("\n") == ["本文。", "後。"]


# The page's HTML alone, four times as long: the work lists used to take grew with their depth times their
# text (2 s for 200 KB, 8 s for 400 KB), which at 200 KB is not yet far enough from the bound.
@pytest.mark.parametrize(
    "html",
    [
        "<ul><li>項目" * (4 * LONG // 11),  # lists nested as deep as the page is long, left open
        "<ul><li>項目" * (4 * LONG // 22) + "</li></ul>" * (4 * LONG // 22),
        "<ul><li><a href='/'>項目</a>" * (4 * LONG // 27) + "</li></ul>" * (4 * LONG // 27),
    ],
)
def test_deeply_nested_lists_are_read_in_linear_time(html: str) -> None:
    assert cpu_seconds(lambda: html_blocks(html)) < SECONDS


def test_text_and_titles_are_composed_as_a_reader_types_them() -> None:
    # e + U+0301 (as text pasted from macOS often is) is é, the one code point a keyboard gives.
    assert render_text("今日は e\u0301clair を食べた。").text == "今日は éclair を食べた。"
    assert clean_inline("Cafe\u0301 の話") == "Café の話"
