"""search(): analysed queries, ranking rules, filters, pagination and odd input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from tantivy import Query

from mikke.search import SearchPage
from mikke.search import query
from mikke.search import ranking
from mikke.search import search
from mikke.search import words
from mikke.search.analysis import get_analyzer
from mikke.search.posts import Post
from mikke.search.store import Store
from mikke.search.syntax import parse_user_query

from .conftest import JST
from .conftest import PostFactory

StoreFactory = Callable[[Iterable[Post]], Store]


@pytest.fixture
def blog(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    posts = [
        make_post(
            "外国人参政権の論点",
            "外国人参政権をめぐる議論を整理します。地方選挙での扱いが焦点です。",
            tags=["政治", "Python"],
            slug="suffrage",
            date=datetime(2024, 3, 1, 10, tzinfo=JST),
        ),
        make_post(
            "外国人観光客が増えた",
            "京都では外国人の観光客が増えています。寺や神社が人気です。",
            tags=["旅行"],
            slug="tourists",
            date=datetime(2024, 4, 1, 10, tzinfo=JST),
        ),
        make_post(
            "全文検索エンジンを作る",
            "全文検索エンジンは転置インデックスを使います。形態素解析で文章を単語に分けます。",
            tags=["python", "検索"],
            slug="engine",
            headings=["転置インデックス"],
            date=datetime(2024, 5, 1, 10, tzinfo=JST),
        ),
        make_post(
            "図書館で本を読む",
            "東京都の図書館で本を読んだ。附属の資料室もある。",
            tags=["読書"],
            slug="library",
            date=datetime(2024, 6, 1, 10, tzinfo=JST),
        ),
        make_post(
            "東京の天気",
            "東京は晴れ。図書館には行かなかった。検索もしなかった。",
            tags=["天気"],
            slug="weather",
            date=datetime(2024, 7, 1, 10, tzinfo=JST),
        ),
    ]
    return memory_store(posts)


def slugs(page) -> list[str]:
    return [h.id.split("-", 3)[-1].removesuffix(".md") for h in page.hits]


def test_part_of_a_compound_finds_the_compound(blog: Store) -> None:
    assert "suffrage" in slugs(search(blog, "参政権"))
    assert "engine" in slugs(search(blog, "エンジン"))


def test_exact_compound_ranks_above_a_partial_match(blog: Store) -> None:
    assert slugs(search(blog, "外国人参政権"))[0] == "suffrage"


def test_query_word_matches_other_spellings_and_inflections(blog: Store) -> None:
    assert slugs(search(blog, "付属")) == ["library"]
    assert slugs(search(blog, "読む")) == ["library"]


def test_short_query_ranks_posts_with_every_word_first(blog: Store) -> None:
    page = search(blog, "東京 図書館 本")
    assert slugs(page)[0] == "library"
    assert "weather" in slugs(page)  # a partial match still appears, below


def test_title_match_outranks_body_match(make_post: PostFactory, memory_store: StoreFactory) -> None:
    store = memory_store(
        [
            make_post("料理の記録", "今日はカレーを作った。" + "おいしかった。" * 3, slug="body"),
            make_post("カレーの作り方", "玉ねぎを炒める。" + "煮込む。" * 3, slug="title"),
        ]
    )
    assert slugs(search(store, "カレー"))[0] == "title"


def test_words_close_together_outrank_scattered_words(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    filler = "関係のない話が続きます。" * 15
    store = memory_store(
        [
            make_post("日記", "猫が好きだ。" + filler + "散歩に行った。", slug="scattered"),
            make_post("日記", filler + "猫と散歩に行った。", slug="close"),
        ]
    )
    assert slugs(search(store, "猫 散歩"))[0] == "close"


def test_exact_phrase_requires_adjacent_words(blog: Store) -> None:
    assert slugs(search(blog, '"図書館で本"')) == ["library"]
    assert search(blog, '"本で図書館"').total == 0


def test_an_excluded_phrase_removes_the_posts_that_hold_it(make_post: PostFactory, memory_store) -> None:
    store = memory_store(
        [
            make_post("入門", "機械学習の入門。深層学習も扱う。", slug="deep"),
            make_post("入門書", "機械学習の入門書。", slug="plain"),
        ]
    )
    assert slugs(search(store, '機械学習 -"深層学習"')) == ["plain"]
    assert slugs(search(store, "機械学習 -“深層学習”")) == ["plain"]


def test_excluded_word_removes_posts(blog: Store) -> None:
    assert "weather" not in slugs(search(blog, "図書館 -天気"))
    assert "weather" not in slugs(search(blog, "図書館 -晴れ"))


def test_hits_carry_excerpt_with_marks_and_title_html(blog: Store) -> None:
    hit = search(blog, "図書館").hits[0]
    assert "<mark>図書館</mark>" in hit.excerpt
    assert hit.title_html == "<mark>図書館</mark>で本を読む"
    assert hit.url == "https://example.jp/2024/06/01/library/"
    assert hit.date.startswith("2024-06-01T10:00:00+09:00")


def test_compound_part_is_highlighted_inside_the_compound(blog: Store) -> None:
    hit = search(blog, "参政権").hits[0]
    assert "<mark>参政権</mark>" in hit.excerpt


# A long post that names models only in its last line: an excerpt not placed on the match shows the first
# paragraphs instead.
MODELS_POST = "\n".join(
    [
        *(f"これは段落{i}です。" for i in range(30)),
        "最後に Claude 4 と Llama 3.1 と OpenAI のモデルを試した。",
    ]
)


@pytest.mark.parametrize(
    ("typed", "marked"),
    [("Claude 4", "Claude 4"), ("Claude4", "Claude 4"), ("Llama 3.1", "Llama 3.1")],
)
def test_a_name_written_with_a_space_is_marked_where_it_matched(
    typed: str, marked: str, make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store([make_post("モデルの比較", MODELS_POST)])
    page = search(store, typed)
    assert page.total == 1
    excerpt = page.hits[0].excerpt
    assert f"<mark>{marked}</mark>" in excerpt
    assert "段落0です" not in excerpt  # the excerpt is on the last line, not the start of the post


def test_a_quoted_phrase_with_a_space_is_marked_whole_where_it_matched(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store([make_post("モデルの比較", MODELS_POST)])
    excerpt = search(store, '"OpenAI のモデル"').hits[0].excerpt
    assert "<mark>OpenAI のモデル</mark>を試した。" in excerpt
    assert excerpt.count("<mark>") == 1


def test_a_name_is_marked_across_any_space_within_a_line_but_not_across_a_line_break(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    # Full-width, no-break and ordinary spaces part it as Sudachi reads them; a line break ends a block.
    text = "新しい iPhone 15 を買った。iPhone\u300015 と iPhone\u00a015 も同じ。\n古い iPhone\n15 年前の話。"
    store = memory_store([make_post("iPhone 15 を買った", text)])
    for typed in ('"iPhone 15"', "iPhone 15"):
        hit = search(store, typed).hits[0]
        assert hit.title_html == "<mark>iPhone 15</mark> を買った"
        marked = "<mark>iPhone 15</mark> を買った。<mark>iPhone\u300015</mark> と <mark>iPhone\u00a015</mark>"
        assert marked in hit.excerpt
        assert "／ 15 年前の話。" in hit.excerpt  # no mark runs across the line break


def test_tag_filter_is_case_insensitive_and_tags_narrow(blog: Store) -> None:
    assert set(slugs(search(blog, "", tags=["PYTHON"]))) == {"suffrage", "engine"}
    assert slugs(search(blog, "", tags=["python", "検索"])) == ["engine"]


@pytest.mark.parametrize(
    "filters",
    [
        {"tags": ["猫"]},
        {"tags": ["猫", "猫"]},  # the CLI passes a repeated --tag as given
        {"categories": ["日記"]},
        {"tags": ["猫"], "date_from": date(2024, 1, 1)},
    ],
)
def test_a_filter_narrows_the_results_without_changing_their_scores_or_order(
    make_post: PostFactory, memory_store: StoreFactory, filters: dict[str, Any]
) -> None:
    # Posts of one tag and category, the more relevant ones with more tags: a scored filter (BM25 of the
    # tag term over a field as long as the post's tag list) would put the posts with fewest tags first.
    posts = [
        make_post(
            f"猫の記録{n}",
            "猫と暮らす。" * (4 - n) + "庭の話。",
            tags=["猫", *(f"タグ{i}" for i in range(4 - n))],
            categories=["日記"],
            slug=f"cat-{n}",
        )
        for n in range(4)
    ]
    store = memory_store([*posts, make_post("犬の記録", "猫を見かけた。", tags=["犬"], slug="dog")])
    everything = search(store, "猫", per_page=10, rerank=False)
    narrowed = search(store, "猫", per_page=10, rerank=False, **filters)
    kept = [(h.id, h.score) for h in everything.hits if h.id in {n.id for n in narrowed.hits}]
    assert [(h.id, h.score) for h in narrowed.hits] == kept
    assert len(kept) == 4


def test_tag_counts_cover_the_whole_result_set(blog: Store) -> None:
    page = search(blog, "", per_page=1)
    counts = {t.key: t.count for t in page.tags}
    assert counts["python"] == 2
    assert page.total == 5
    assert len(page.hits) == 1


def test_empty_query_lists_newest_first(blog: Store) -> None:
    assert slugs(search(blog, "")) == ["weather", "library", "engine", "tourists", "suffrage"]


def test_sort_by_date_orders_matches_newest_first(blog: Store) -> None:
    page = search(blog, "図書館", sort="date")
    assert slugs(page) == ["weather", "library"]
    assert all(h.score is None for h in page.hits)


def test_date_range_is_inclusive_days_in_site_timezone(blog: Store) -> None:
    page = search(blog, "", date_from=date(2024, 4, 1), date_to=date(2024, 6, 1))
    assert set(slugs(page)) == {"tourists", "engine", "library"}


def test_a_date_range_may_have_one_end_only(blog: Store) -> None:
    newer = set(slugs(search(blog, "", date_from=date(2024, 4, 1))))
    older = set(slugs(search(blog, "", date_to=date(2024, 3, 31))))
    assert newer and older and not newer & older
    assert newer | older == set(slugs(search(blog, "")))


@pytest.mark.parametrize(
    ("date_from", "date_to", "found"),
    [
        (date(1, 1, 1), date(9999, 12, 31), 5),  # past the dates the index holds: every post
        (None, date(9999, 12, 31), 5),
        (date(1, 1, 1), None, 5),
        (date(9999, 12, 31), None, 0),
        (None, date(1, 1, 1), 0),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC), 5),
    ],
)
def test_dates_the_index_cannot_hold_are_moved_to_its_ends(
    blog: Store, date_from: date | None, date_to: date | None, found: int
) -> None:
    assert search(blog, "", date_from=date_from, date_to=date_to).total == found


def test_pagination_splits_results_without_overlap(blog: Store) -> None:
    first = search(blog, "", per_page=2, page=1)
    second = search(blog, "", per_page=2, page=2)
    third = search(blog, "", per_page=2, page=3)
    assert first.pages == 3
    assert len(set(slugs(first)) | set(slugs(second)) | set(slugs(third))) == 5
    assert search(blog, "", per_page=2, page=99).hits == ()


def test_a_page_of_any_size_or_number_is_answered(blog: Store) -> None:
    assert len(search(blog, "", per_page=10**30).hits) == 5
    far = search(blog, "", page=10**30, per_page=10**9)
    assert far.total == 5 and far.hits == ()


def test_words_absent_everywhere_fall_back_to_related_forms(make_post: PostFactory, memory_store) -> None:
    store = memory_store([make_post("城下町", "殿様は城から逃れた。", slug="castle")])
    page = search(store, "どこに逃げた？")
    assert slugs(page) == ["castle"]
    assert page.relaxed


def test_relaxed_retry_counts_the_tags_of_what_it_found(make_post: PostFactory, memory_store) -> None:
    store = memory_store([make_post("城下町", "殿様は城から逃れた。", slug="castle", tags=["歴史"])])
    page = search(store, "どこに逃げた？")
    assert page.relaxed and slugs(page) == ["castle"]
    assert [(t.key, t.count) for t in page.tags] == [("歴史", 1)]


def test_unknown_sort_is_rejected(blog: Store) -> None:
    with pytest.raises(ValueError, match="sort"):
        search(blog, "x", sort="random")


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ('"(', "none"),
        ("a AND", "none"),
        ("東京 OR", "some"),
        ("foo:bar", "none"),
        ("title:図書館", "some"),
        ("🍣🍣", "none"),
        ("\x00\x01\x1f", "none"),
        ("-", "none"),
        ("---", "none"),  # an exclusion of symbols excludes nothing: no word was asked for either
        ("-🍣", "none"),
        ('"', "some"),  # nothing to search for: newest posts, as for an empty query
        ("-図書館", "some"),
        ("*", "none"),
        ("[1 TO 2]", "none"),
        ("図書館" * 3000, "some"),
        ("あ" * 10_000, "none"),
        ("\ud800", "none"),
    ],
)
def test_any_user_text_returns_a_normal_page(blog: Store, text: str, matches: str) -> None:
    page = search(blog, text)
    assert page.query == text
    assert len(page.hits) == min(page.total, page.per_page)
    assert (page.total > 0) is (matches == "some")


def test_excluding_everything_returns_all_other_posts(blog: Store) -> None:
    assert search(blog, "-図書館").total == 3


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_query_text_never_raises(blog: Store, text: str) -> None:
    search(blog, text)


def test_user_query_syntax_is_parsed() -> None:
    parsed = parse_user_query('東京 "全文 検索" -天気 foo:bar "unbalanced')
    assert parsed.phrases == ("全文 検索",)
    assert parsed.excluded == ("天気",)
    assert "foo:bar" in parsed.text
    assert "unbalanced" in parsed.text


@pytest.mark.parametrize(
    ("text", "phrases", "excluded"),
    [
        ("＂自動運転タクシー＂ 規制", ("自動運転タクシー",), ()),  # typed in full-width mode
        ("“自動運転” 規制", ("自動運転",), ()),
        ("自動運転 －規制", (), ("規制",)),  # full-width hyphen-minus
        ("自動運転 −規制", (), ("規制",)),  # minus sign
        ("ーデータ 規制", (), ()),  # the long-vowel mark is never a minus
        ("「生成AI」の規制", (), ()),  # Japanese corner brackets quote words, not a phrase
        ('自動運転 -"規制 緩和"', (), ("規制 緩和",)),  # a minus before a phrase excludes the phrase
        ("自動運転 －＂規制＂", (), ("規制",)),
        ('自動運転-"規制"', ("規制",), ()),  # a minus inside a word is the word's
    ],
)
def test_quotes_and_minus_typed_on_a_japanese_keyboard_behave_like_ascii_ones(
    text: str, phrases: tuple[str, ...], excluded: tuple[str, ...]
) -> None:
    parsed = parse_user_query(text)
    assert (parsed.phrases, parsed.excluded) == (phrases, excluded)
    assert "＂" not in parsed.text


def test_a_full_width_quoted_phrase_narrows_like_an_ascii_one(blog: Store) -> None:
    assert search(blog, "＂外国人参政権＂").total == search(blog, '"外国人参政権"').total == 1


def test_a_lone_part_of_the_query_word_does_not_match(make_post: PostFactory, memory_store) -> None:
    store = memory_store(
        [
            make_post("外国", "外国人の友人と話した。", slug="yes"),
            make_post("公園", "公園には走る人が多い。", slug="no"),
        ]
    )
    assert slugs(search(store, "外国人")) == ["yes"]


def test_compound_absent_everywhere_falls_back_to_its_parts(make_post: PostFactory, memory_store) -> None:
    store = memory_store([make_post("経歴", "彼の出身は京都だ。", slug="origin")])
    page = search(store, "出身地")
    assert slugs(page) == ["origin"]
    assert page.relaxed


@pytest.mark.parametrize("query", ["GPT-4", "gpt-4", "GPT-4 試した"])
def test_a_word_at_the_end_of_the_query_reads_as_in_the_middle_of_a_post(
    make_post: PostFactory, memory_store: StoreFactory, query: str
) -> None:
    # Sudachi read a query that ends with GPT-4 as gpt, -, 4, and the post's GPT-4 as one word.
    store = memory_store(
        [
            make_post("試用記", "今日は GPT-4 を試した。", slug="gpt"),
            make_post("数", "4 つの GPT 系列。", slug="four"),
        ]
    )
    assert slugs(search(store, query))[0] == "gpt"
    assert "<mark>GPT-4</mark>" in search(store, query).hits[0].excerpt


@pytest.mark.parametrize("typed", ["éclair", "e\u0301clair"])
def test_an_accent_typed_as_its_own_code_point_or_not_finds_the_same_posts(
    make_post: PostFactory, memory_store: StoreFactory, typed: str
) -> None:
    # A post's text is composed when it is parsed (test_markdown_text), and so is a query.
    store = memory_store([make_post("お菓子", "今日は éclair を食べた。", slug="cake")])
    page = search(store, typed)
    assert slugs(page) == ["cake"]
    assert "<mark>éclair</mark>" in page.hits[0].excerpt


def found_and_marked(
    memory_store: StoreFactory, make_post: PostFactory, sentence: str, typed: str, marked: str
) -> SearchPage:
    """Search ``typed`` (exactly as typed) among a post writing ``sentence`` and an unrelated one: the
    post, alone, with ``marked`` marked in its excerpt."""
    store = memory_store([make_post("記事", sentence, slug="post"), make_post("他", "関係ない話。")])
    page = search(store, typed, exact=True)
    assert slugs(page) == ["post"]
    assert f"<mark>{marked}</mark>" in page.hits[0].excerpt
    return page


@pytest.mark.parametrize(
    ("written", "typed", "marked"),
    [
        ("機械\u200b学習", "機械学習", "機械\u200b学習"),  # a zero-width space where a line may break
        ("機械学習", "機械\u200b学習", "機械学習"),
        ("葛\U000e0100飾区", "葛飾区", "葛\U000e0100飾区"),  # an ideographic variation selector
        ("葛飾区", "葛\U000e0100飾区", "葛飾区"),
        ("デー\u00adタベース", "データベース", "デー\u00adタベース"),  # a soft hyphen
    ],
)
def test_invisible_characters_inside_a_word_change_nothing_a_search_finds_or_marks(
    make_post: PostFactory, memory_store: StoreFactory, written: str, typed: str, marked: str
) -> None:
    # Sudachi took each invisible character for a symbol of its own, which cut the word in two.
    found_and_marked(memory_store, make_post, f"今日は{written}について書く。", typed, marked)


@pytest.mark.parametrize("typed", ["ーー", "〜〜〜", "てぃー"])
def test_a_stray_long_vowel_mark_in_a_query_does_not_match_a_row_of_dashes(
    make_post: PostFactory, memory_store: StoreFactory, typed: str
) -> None:
    # Sudachi reads ---, 〜〜〜 and a ー it cannot attach as the symbol ー, which was kept as a word.
    store = memory_store([make_post("区切り", "前半の話。\n---\n後半の話。", slug="rule")])
    page = search(store, typed, exact=True)
    assert page.total == 0
    assert "<mark>" not in "".join(h.excerpt for h in page.hits)


@pytest.mark.parametrize(
    ("written", "typed", "marked"),
    [
        ("ユーザー・インターフェース", "ユーザーインターフェース", "ユーザー・インターフェース"),
        ("ユーザーインターフェース", "ユーザー・インターフェース", "ユーザーインターフェース"),
        ("データ・ベース", "データベース", "データ・ベース"),
        ("データベース", "データ・ベース", "データベース"),
        ("ﾃﾞｰﾀ･ﾍﾞｰｽ", "データベース", "ﾃﾞｰﾀ･ﾍﾞｰｽ"),  # half-width, with the half-width dot
    ],
)
def test_a_loanword_written_with_a_middle_dot_between_its_parts_is_the_word_written_without(
    make_post: PostFactory, memory_store: StoreFactory, written: str, typed: str, marked: str
) -> None:
    # Sudachi cut データ・ベース at the dot into データ and ベース, and reads データベース as one word that
    # splits no further, so neither spelling found the other (ユーザー・インターフェース was found by its
    # parts, but not marked).
    found_and_marked(memory_store, make_post, f"今日は{written}の話を書く。", typed, marked)


def test_names_and_lists_parted_by_a_middle_dot_keep_their_words(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    # Only a run the dictionary knows as one common noun is read without its dots: names (the dictionary
    # holds ボードガヤー as one word that does not split) and a list of fruit keep words of their own,
    # each found alone.
    store = memory_store(
        [
            make_post("人", "ジョン・スミスに会った。", slug="name"),
            make_post("旅", "ボード・ガヤーを訪ねた。", slug="place"),
            make_post("果物", "リンゴ・ミカン・バナナを買った。", slug="fruit"),
        ]
    )
    assert slugs(search(store, "スミス", exact=True)) == ["name"]
    assert slugs(search(store, "ガヤー", exact=True)) == ["place"]
    assert slugs(search(store, "ミカン", exact=True)) == ["fruit"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("霞ヶ関", "霞ケ関"),
        ("霞ケ関", "霞が関"),
        ("霞が関", "霞ヶ関"),
        ("関ケ原", "関ヶ原"),
        ("自由が丘", "自由ヶ丘"),
    ],
)
def test_a_place_name_written_with_ke_small_ke_or_ga_is_one_word(
    make_post: PostFactory, memory_store: StoreFactory, written: str, typed: str
) -> None:
    # The dictionary holds 霞ヶ関, 霞ケ関 and 霞が関 as three words with three normalized forms, all read
    # カスミガセキ: a search for one spelling found the others only by the kanji-stem retry, unmarked.
    page = found_and_marked(memory_store, make_post, f"今日は{written}を歩いた。", typed, written)
    assert not page.relaxed


def test_words_read_otherwise_stay_apart_whatever_their_ke(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    # 三ケ日 (ミッカビ, a town) and 三ヶ日 (サンガニチ, the first three days of the year) are two words.
    store = memory_store([make_post("みかん", "三ケ日みかんを買った。", slug="town")])
    assert search(store, "三ヶ日", exact=True).total == 0


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("いすゞ", "いすず"),
        ("いすず", "いすゞ"),
        ("さゝやか", "ささやか"),
        ("みすゞ", "みすず"),
        ("コヽロ", "ココロ"),
        ("イスヾ", "イスズ"),
    ],
)
def test_a_kana_iteration_mark_reads_as_the_kana_it_repeats(
    make_post: PostFactory, memory_store: StoreFactory, written: str, typed: str
) -> None:
    # Sudachi read いすゞ as a word of its own beside いすず, さゝやか as 囁く, すゞき as す, ゞ, き and
    # コヽロ as an unknown word: the spelling with the mark found no other.
    found_and_marked(memory_store, make_post, f"今日は{written}の話を書く。", typed, written)


@pytest.mark.parametrize("typed", ["ファイナルファンタジーⅦ", "Ⅶ", "ファイナルファンタジーⅦ。"])
def test_a_roman_numeral_is_one_term_whatever_follows_it(
    make_post: PostFactory, memory_store: StoreFactory, typed: str
) -> None:
    # Sudachi read Ⅶ as 7 before を but as the symbol Ⅶ at the end of a query or before a 。.
    store = memory_store(
        [
            make_post("感想", "ファイナルファンタジーⅦをプレイした。", slug="play"),
            make_post("名作", "名作はファイナルファンタジーⅦ。", slug="best"),
        ]
    )
    page = search(store, typed, exact=True)
    assert sorted(slugs(page)) == ["best", "play"]
    assert all("Ⅶ</mark>" in h.excerpt for h in page.hits)


def test_words_split_in_the_query_match_the_same_string_analysed_as_one_unit(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    # Sudachi reads １ヘクトメートル as ヘクト + メートル but the title ヘクトメートル as one unit.
    store = memory_store(
        [
            make_post("ヘクトメートル", "ヘクトメートルは長さの単位。百メートル。", slug="hectometre"),
            make_post("気圧の単位", "天気図のヘクトは百の意味。高度はメートルで表す。", slug="pressure"),
        ]
    )
    page = search(store, "１ヘクトメートルは何メートルか")
    assert slugs(page) == ["hectometre", "pressure"]
    assert "<mark>ヘクトメートル</mark>" in page.hits[0].title_html


# --- The budget of one request: words, phrases, exclusions, the relaxed retry and excerpts are bounded.

COMMON = ("天気", "公園", "電車")


def scored_words(store: Store, text: str) -> tuple[str, ...]:
    """The words of ``text`` that a search scores, in query order."""
    terms = words.analyse_query(store.searcher(), get_analyzer(), text)
    kept = {w.coarse for w in terms.scored}
    return tuple(w.coarse for w in terms.words if w.coarse in kept)


@pytest.fixture
def town(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    """Six posts: every one has the common words, one also has 猫 and one 犬."""
    posts = [
        make_post(f"町の記録{n}", f"天気がよい。公園まで電車で行った。{extra}", slug=f"town-{n}", tags=["町"])
        for n, extra in enumerate(["猫が寝ていた。", "犬が走っていた。", "", "", "", ""])
    ]
    return memory_store(posts)


def test_query_with_more_words_than_the_limit_keeps_the_rarest_and_reports_the_rest(
    town: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(words, "MAX_QUERY_WORDS", 2)
    page = search(town, "天気 猫 公園 犬 電車")
    assert scored_words(town, "天気 猫 公園 犬 電車") == ("猫", "犬")  # query order
    assert page.ignored == COMMON
    assert page.to_json()["ignored"] == list(COMMON)
    assert set(slugs(page)) == {"town-0", "town-1"}


def test_most_common_words_past_the_postings_budget_are_left_out(town: Store) -> None:
    # Six posts: the words scored may together occur in 3 x 6 postings; 猫 (1) + two common words (6
    # each) fit, the third common word does not.
    page = search(town, "天気 公園 電車 猫")
    assert scored_words(town, "天気 公園 電車 猫") == ("天気", "公園", "猫")
    assert page.ignored == ("電車",)


def test_keyword_query_of_three_words_is_never_cut(town: Store) -> None:
    page = search(town, " ".join(COMMON))
    assert scored_words(town, " ".join(COMMON)) == COMMON and page.ignored == ()
    assert page.total == 6


def test_extra_phrases_are_left_out_keeping_the_rarest(town: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(words, "MAX_QUERY_PHRASES", 2)
    page = search(town, '"天気" "猫" "公園" "猫"')
    assert page.ignored == ('"公園"',)
    assert slugs(page) == ["town-0"]


def test_extra_excluded_words_are_left_out_in_query_order(
    town: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(words, "MAX_EXCLUDED_WORDS", 1)
    page = search(town, "天気 -猫 -犬")
    assert page.ignored == ("-犬",)
    assert "town-0" not in slugs(page) and "town-1" in slugs(page)


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("図書館 検索 外国人 -天気", ()),
        ('"外国人" 京都 寺', ()),
        ("図書館 東京", ("読書",)),
        ("", ("python",)),
    ],
)
def test_tag_counts_match_the_tags_of_every_hit(blog: Store, text: str, tags: tuple[str, ...]) -> None:
    page = search(blog, text, tags=tags, per_page=100)
    assert page.total == len(page.hits) > 0
    expected = Counter(t.lower() for h in page.hits for t in h.tags)
    assert {t.key: t.count for t in page.tags} == expected


def test_tag_counts_when_every_post_matches(town: Store) -> None:
    page = search(town, "天気 猫", per_page=0)
    assert page.total == 6
    assert [(t.key, t.count) for t in page.tags] == [("町", 6)]


class _CountingRelated:
    """Wraps QueryBuilder.related to count the words the relaxed retry widens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.words: list[str] = []
        original = ranking.QueryBuilder.related

        def related(builder: ranking.QueryBuilder, word: words.QueryWord) -> Query | None:
            self.words.append(word.coarse)
            return original(builder, word)

        monkeypatch.setattr(ranking.QueryBuilder, "related", related)


ABSENT_NOUNS = (
    "机 椅子 鉛筆 時計 地図 切手 封筒 辞書 財布 眼鏡 帽子 手袋 靴下 傘 鞄 鏡 茶碗 花瓶 絵本 算盤 "
    "望遠鏡 顕微鏡 温度計 磁石 羅針盤 提灯 風鈴 屏風 掛軸 団扇 扇子 草履 下駄 足袋 風呂敷 手拭 "
    "湯呑 急須 鉄瓶 火鉢"
)


def test_relaxed_retry_of_a_huge_query_widens_only_the_rarest_few_words(
    make_post: PostFactory, memory_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = memory_store([make_post("城下町", "殿様は城から逃れた。", slug="castle")])
    related = _CountingRelated(monkeypatch)
    page = search(store, "どこに逃げた？ " + ABSENT_NOUNS)
    scored = scored_words(store, "どこに逃げた？ " + ABSENT_NOUNS)
    assert len(ABSENT_NOUNS.split()) + 1 > words.MAX_QUERY_WORDS
    assert len(scored) == words.MAX_QUERY_WORDS
    # No word is in any post, so all are equally rare and the first ones in the query are widened.
    assert related.words == list(scored[: words.MAX_RELAXED_WORDS])
    assert page.relaxed and slugs(page) == ["castle"]


def test_relaxed_retry_is_skipped_when_filters_or_phrases_alone_match_nothing(
    make_post: PostFactory, memory_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = memory_store([make_post("城下町", "殿様は城から逃れた。", slug="castle", tags=["歴史"])])
    related = _CountingRelated(monkeypatch)
    assert search(store, "逃げた", tags=["料理"]).total == 0
    assert search(store, '逃げた "存在しない語句"').total == 0
    assert related.words == []
    page = search(store, "逃げた", tags=["歴史"])
    assert page.relaxed and slugs(page) == ["castle"]
    assert related.words == ["逃げる"]


def test_hits_past_the_excerpt_budget_carry_the_stored_summary_unmarked(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    n = query.EXCERPT_HITS + 5
    store = memory_store(
        [
            make_post(f"猫の日記{i:02}", "今日は猫と遊んだ。" * 3, excerpt=f"要約{i:02}", slug=f"cat-{i:02}")
            for i in range(n)
        ]
    )
    page = search(store, "猫", per_page=n)
    assert len(page.hits) == n
    full, cheap = page.hits[: query.EXCERPT_HITS], page.hits[query.EXCERPT_HITS :]
    assert all("<mark>猫</mark>" in h.excerpt and "<mark>猫</mark>" in h.title_html for h in full)
    assert [h.excerpt for h in cheap] == [f"要約{h.title[-2:]}" for h in cheap]
    assert all(h.title_html == h.title for h in cheap)


def test_excerpts_highlight_only_the_rarest_words_of_a_long_query(
    town: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "EXCERPT_WORDS", 1)
    page = search(town, "天気 猫")
    assert scored_words(town, "天気 猫") == ("天気", "猫")
    assert "<mark>猫</mark>" in page.hits[0].excerpt
    assert all("<mark>天気</mark>" not in h.excerpt for h in page.hits)


def test_phrases_of_symbols_are_not_reported_as_left_out(
    town: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(words, "MAX_QUERY_PHRASES", 1)
    page = search(town, '"!!" "猫" "🍣"')
    assert page.ignored == ()
    assert slugs(page) == ["town-0"]


def test_a_tag_reads_the_same_in_every_search_whichever_posts_match(
    make_post: PostFactory, memory_store: StoreFactory
) -> None:
    store = memory_store(
        [
            make_post("猫の本", "猫の話。", tags=["python"], slug="a"),
            make_post("犬の本", "犬の話。", tags=["python"], slug="b"),
            make_post("鳥の本", "鳥の話。", tags=["Python"], slug="c"),
            make_post("魚の本", "魚の話。", tags=["Python"], slug="d"),
            make_post("亀の本", "亀の話。", tags=["Python"], slug="e"),
        ]
    )
    for text in ("猫", "犬 猫", "鳥", ""):
        assert [t.tag for t in search(store, text).tags] == ["Python"], text


def test_tag_counts_when_every_post_matches_stop_at_the_limit_of_a_search(
    blog: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "TAG_COUNT_LIMIT", 1)  # fewer than the blog's tags
    page = search(blog, "", per_page=100)
    assert page.total == len(page.hits) > 0
    every = Counter(t.lower() for h in page.hits for t in h.tags)
    assert len(every) > 1
    # One label spelling counted, as the aggregation of any other search keeps it.
    assert len(page.tags) == 1 and page.tags[0].key in every


@pytest.mark.parametrize("text", ["図書館 検索 外国人 -天気", "京都", "図書館 東京", "東京 -京都"])
def test_tag_counts_are_the_same_taken_off_the_counts_of_every_post(
    blog: Store, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "COUNT_THE_REST_SHARE", 1.0)  # counted over the posts that match
    direct = search(blog, text, per_page=0)
    assert 0 < direct.total < search(blog, "", per_page=0).total  # some posts do not match
    monkeypatch.setattr(query, "COUNT_THE_REST_SHARE", 0.0)  # over those that do not, taken off
    rest = search(blog, text, per_page=0)
    assert (rest.tags, rest.categories) == (direct.tags, direct.categories)
    assert direct.tags
