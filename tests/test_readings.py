"""Query understanding by reading: kana typed as words, romaji, katakana names, homophones."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikke.search import search
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.indexer import analyze_post
from mikke.search.indexer import index_posts
from mikke.search.posts import Post
from mikke.search.readings import Vocabulary
from mikke.search.readings import entry_json
from mikke.search.readings import kana_runs
from mikke.search.readings import loose_key
from mikke.search.readings import to_katakana
from mikke.search.romaji import romaji_to_katakana
from mikke.search.store import Store

from .conftest import PostFactory

StoreFactory = Callable[[Iterable[Post]], Store]


@pytest.fixture
def blog(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    posts = [
        make_post(
            "人工知能の歴史",
            "人工知能の研究は長い歴史を持つ。人工知能は今も進歩している。",
            slug="ai-history",
        ),
        make_post("人工知能と仕事", "人工知能が仕事を変える。", slug="ai-work"),
        make_post("ひらがなで書く", "この記事では「じんこうちのう」とひらがなで書いた。", slug="hiragana"),
        make_post("画像生成の今", "画像生成の技術。画像生成は速くなった。", slug="image-gen"),
        make_post("画像生成モデル", "新しい画像生成モデルが出た。生成の品質が上がった。", slug="image-model"),
        make_post("文章の生成", "文章の生成も進んだ。生成の話。", slug="text-gen"),
        make_post("石油の精製", "石油を精製する工場。", slug="refining"),
        make_post("半導体の工場", "半導体の需要が伸びる。", slug="chips"),
        make_post("NVIDIAの決算", "NVIDIAの売上が伸びた。", slug="nvidia"),
        make_post("声のtone", "話すときのtoneを整える。", slug="tone-1"),
        make_post("写真のtone", "tone カーブで写真を整える。", slug="tone-2"),
        make_post("利根川の旅", "利根川を下る。", slug="tone-river"),
        make_post("ロボットの未来", "ロボットが家事をする。", slug="robot"),
        make_post("サーバーの選び方", "サーバーを借りる。", slug="server"),
    ]
    return memory_store(posts)


def slugs(page) -> list[str]:
    return [h.id.split("-", 3)[-1].removesuffix(".md") for h in page.hits]


# ------------------------------------------------------------------------------------------- rules


def test_hiragana_folds_to_katakana_and_long_vowels_meet_in_the_loose_key() -> None:
    assert to_katakana("じんこうちのう") == "ジンコウチノウ"
    assert loose_key("トウキョウ") == loose_key("トーキョー") == loose_key("トキョ")
    assert loose_key("エイガ") == loose_key("エーガ")
    assert loose_key("ジヂ") == "ジジ"
    assert loose_key("カキ") != loose_key("カイキ")  # a vowel after another vowel row stays


def test_kana_next_to_kanji_is_ordinary_writing_not_a_word_typed_in_kana() -> None:
    text = "じんこうちのう 歴史の本 gpt-4のつかいかた ロボット"
    runs = [text[s:e] for s, e in kana_runs(text)]
    assert runs == ["じんこうちのう", "のつかいかた", "ロボット"]
    assert kana_runs("使われた技術") == []
    text = "オランダでは、エヌビディアの株価"
    assert [text[s:e] for s, e in kana_runs(text)] == ["オランダ", "エヌビディア"]
    assert kana_runs("あ") == []  # one kana is a particle or a typo, not a word


def test_a_long_vowel_mark_typed_in_hiragana_stays_in_the_word() -> None:
    # Typing a loanword in hiragana, the IME gives ー as it does in katakana: ぐーぐる is one word.
    for text in ("ぐーぐる", "さーばー 比較", "すまーとふぉん"):
        word = text.split()[0]
        assert [text[s:e] for s, e in kana_runs(text)] == [word], text


def test_romaji_in_hepburn_and_kunrei_reads_as_the_same_katakana() -> None:
    assert romaji_to_katakana("shinbun") == romaji_to_katakana("sinbun") == "シンブン"
    assert romaji_to_katakana("tsukue") == romaji_to_katakana("tukue") == "ツクエ"
    assert (
        romaji_to_katakana("chinou") == romaji_to_katakana("tinou") == romaji_to_katakana("chinō") == "チノウ"
    )
    assert romaji_to_katakana("kin'en") == "キンエン"
    assert romaji_to_katakana("kinen") == "キネン"


def test_a_word_that_leaves_a_consonant_over_is_not_romaji() -> None:
    for word in ("rag", "deepseek", "gpt", "python", "nvidia", "dx", "a1"):
        assert romaji_to_katakana(word) is None, word


def test_segmenting_prefers_fewest_pieces_then_the_most_common() -> None:
    def value(reading: str, word: str) -> str:
        return json.dumps([reading, word, word, 0], ensure_ascii=False)

    vocab = Vocabulary.from_values(
        [
            (value("ジンコウチノウ", "人工知能"), 5),
            (value("ジンコウ", "人工"), 5),
            (value("ジンコウ", "人口"), 1),
            (value("チノウ", "知能"), 5),
            (value("ジン", "陣"), 9),
            (value("コウチ", "高知"), 9),
            (value("ノウ", "脳"), 9),
            (value("セイセイ", "生成"), 50),
            (value("セイセイ", "精製"), 1),
        ],
        posts=60,
    )
    assert vocab.segment("ジンコウチノウ") == ["ジンコウチノウ"]
    assert vocab.segment("ジンコウセイセイ") == ["ジンコウ", "セイセイ"]
    assert vocab.segment("ジンコウx") is None
    assert [e.word for e in vocab.words("ジンコウ")] == ["人工", "人口"]  # 1 of 6: common enough
    assert [e.word for e in vocab.words("セイセイ")] == ["生成"]  # 1 of 51: a rare homophone is left out
    assert vocab.segment("ジンコーチノー", loose=True) == ["ジンコウチノウ"]


def test_posts_list_each_noun_once_with_its_reading_and_spelling(make_post: PostFactory) -> None:
    post = make_post("NVIDIAの決算", "NVIDIAと人工知能。人工知能の話。走る。", headings=["人工知能とは"])
    entries = [json.loads(v) for v in analyze_post(post).vocabulary]
    by_word = {e[1]: e for e in entries}
    assert by_word["nvidia"] == ["エヌビディア", "nvidia", "NVIDIA", 1]
    assert by_word["人工知能"] == ["ジンコウチノウ", "人工知能", "人工知能", 1]
    assert by_word["人工"][0] == "ジンコウ"  # the parts of a compound are listed too
    assert "走る" not in by_word  # verbs inflect: readers do not type them alone in kana
    assert len(entries) == len({(e[0], e[1]) for e in entries})


# ------------------------------------------------------------------------------------------- search


def test_a_word_typed_in_hiragana_or_katakana_finds_the_posts_that_write_it_in_kanji(blog: Store) -> None:
    for text in ("じんこうちのう", "ジンコウチノウ"):
        page = search(blog, text)
        assert {"ai-history", "ai-work"} <= set(slugs(page)), text
        assert [e.to_json() for e in page.expanded] == [{"word": text, "with": ["人工知能"], "by": "reading"}]


def test_the_exact_spelling_ranks_first_and_reading_matches_are_marked(blog: Store) -> None:
    page = search(blog, "じんこうちのう")
    assert slugs(page)[0] == "hiragana"
    assert page.hits[0].matched_by is None
    assert {h.matched_by for h in page.hits[1:]} == {"reading"}
    assert "<mark>人工知能</mark>" in page.hits[1].excerpt


def test_kana_next_to_other_words_is_read_too(blog: Store) -> None:
    page = search(blog, "じんこうちのう 歴史")
    assert slugs(page)[0] == "ai-history"


def test_a_kana_string_of_two_words_finds_them_together(blog: Store) -> None:
    page = search(blog, "がぞうせいせい")
    assert set(slugs(page)[:2]) == {"image-gen", "image-model"}
    assert "refining" not in slugs(page)  # 精製 is a rare homophone on this blog


def test_a_katakana_name_finds_the_latin_spelling_sudachi_reads_that_way(blog: Store) -> None:
    page = search(blog, "エヌビディア")
    assert slugs(page) == ["nvidia"]
    assert page.hits[0].matched_by == "reading"
    assert "<mark>NVIDIA</mark>" in page.hits[0].title_html


def test_a_loanword_typed_in_hiragana_with_long_vowels_finds_its_katakana(blog: Store) -> None:
    page = search(blog, "さーばー")
    assert slugs(page) == ["server"]
    expanded = [{"word": "さーばー", "with": ["サーバー"], "by": "reading"}]
    assert [e.to_json() for e in page.expanded] == expanded


def test_katakana_the_posts_use_is_not_expanded_to_itself(blog: Store) -> None:
    page = search(blog, "ロボット")
    assert slugs(page) == ["robot"]
    assert page.expanded == ()
    assert page.hits[0].matched_by is None


def test_romaji_finds_the_word_it_spells(blog: Store) -> None:
    page = search(blog, "handoutai")
    assert slugs(page) == ["chips"]
    assert page.expanded[0].by == "romaji"
    assert page.hits[0].matched_by == "romaji"


def test_romaji_words_typed_apart_find_the_compound_they_spell(blog: Store) -> None:
    page = search(blog, "jinkou chinou")
    assert set(slugs(page)[:2]) == {"ai-history", "ai-work"}
    assert page.expanded[0].with_[0] == "人工知能"


def test_an_english_word_the_blog_uses_keeps_its_meaning(blog: Store) -> None:
    page = search(blog, "tone")  # also romaji for トネ (利根)
    assert set(slugs(page)) == {"tone-1", "tone-2"}
    assert page.expanded == ()


def test_exact_search_expands_nothing(blog: Store) -> None:
    page = search(blog, "じんこうちのう", exact=True)
    assert slugs(page) == ["hiragana"]
    assert page.expanded == ()
    assert search(blog, "handoutai", exact=True).total == 0


def test_json_keeps_every_key_and_adds_expanded_and_matched_by(blog: Store) -> None:
    data = search(blog, "エヌビディア").to_json()
    assert data["expanded"] == [{"word": "エヌビディア", "with": ["NVIDIA"], "by": "reading"}]
    assert data["hits"][0]["matched_by"] == "reading"  # type: ignore[index]
    assert search(blog, "ロボット").to_json()["expanded"] == []


def test_the_vocabulary_follows_updates(blog: Store, make_post: PostFactory) -> None:
    assert search(blog, "でんきじどうしゃ").total == 0
    index_posts(blog, [make_post("電気自動車の普及", "電気自動車が増えた。", slug="ev")])
    assert slugs(search(blog, "でんきじどうしゃ")) == ["ev"]


def test_the_same_analyzer_gives_readings_for_posts_and_queries(analyzer: JapaneseAnalyzer) -> None:
    unit = analyzer.analyze("人工知能を使う").units[0]
    assert unit.coarse.reading == "ジンコウチノウ"
    assert [p.reading for p in unit.parts] == ["ジンコウ", "チノウ"]
    assert analyzer.analyze("使う").units[0].coarse.reading == ""


# ------------------------------------------------------------------------------------------- did you mean


@pytest.fixture
def ml_blog(make_post: PostFactory, memory_store: StoreFactory) -> Store:
    posts = [make_post(f"機械学習の入門{n}", "機械学習でモデルを作る。", slug=f"ml-{n}") for n in range(4)]
    posts += [
        make_post("学習の機会", "学ぶ機会を増やす。機会があれば学習する。", slug="chance"),
        make_post("著作権の話", "著作権を守る。", slug="copyright-1"),
        make_post("著作権と生成", "著作権が問題になる。", slug="copyright-2"),
        make_post("石油の精製", "石油を精製する工場。", slug="refining"),
        make_post("原稿の校正", "原稿を校正する。", slug="proof-1"),
        make_post("校正の手順", "校正は二度する。", slug="proof-2"),
        make_post("画像生成", "画像を生成する。生成の話。", slug="gen-1"),
        make_post("生成の品質", "生成の品質が上がった。", slug="gen-2"),
    ]
    return memory_store(posts)


def test_a_compound_with_the_wrong_kanji_suggests_the_one_with_its_reading(ml_blog: Store) -> None:
    page = search(ml_blog, "機会学習")
    assert page.did_you_mean == "機械学習"
    assert not page.corrected  # it found posts (機会, 学習): those are shown, with the suggestion
    assert page.to_json()["did_you_mean"] == "機械学習"


def test_a_query_with_no_results_shows_the_suggestions_results(ml_blog: Store) -> None:
    page = search(ml_blog, "構成 -手順")  # 構成 is in no post; 校正 reads the same
    assert page.did_you_mean == "校正 -手順"
    assert page.corrected
    assert page.query == "構成 -手順"
    assert slugs(page) == ["proof-1"]
    assert search(ml_blog, "著作件").did_you_mean == "著作権"


def test_newest_first_also_suggests_and_shows_the_suggestions_results_newest_first(ml_blog: Store) -> None:
    assert search(ml_blog, "機会学習", sort="date").did_you_mean == "機械学習"
    page = search(ml_blog, "構成", sort="date")  # 構成 is in no post; 校正 reads the same
    assert page.corrected and page.sort == "date"
    assert slugs(page) == slugs(search(ml_blog, "校正", sort="date"))
    assert len(page.hits) == 2 and page.hits[0].date > page.hits[1].date


def test_a_suggestion_that_finds_nothing_under_the_same_filters_is_not_offered(
    ml_blog: Store, make_post: PostFactory
) -> None:
    index_posts(ml_blog, [make_post("好機", "良い機会を作る。", tags=["勉強"], slug="study")])
    # 機会学習 finds the post through 機会; 機械学習 is in no post tagged 勉強.
    page = search(ml_blog, "機会学習", tags=["勉強"])
    assert slugs(page) == ["study"]
    assert page.did_you_mean is None
    nothing = search(ml_blog, "構成", tags=["勉強"])  # neither 構成 nor 校正 under the tag
    assert (nothing.total, nothing.did_you_mean, nothing.corrected) == (0, None, False)
    assert search(ml_blog, "機会学習").did_you_mean == "機械学習"  # without the filter it still is


def test_a_rare_word_that_is_in_the_posts_is_not_respelled(ml_blog: Store) -> None:
    assert search(ml_blog, "精製").did_you_mean is None  # 生成 reads the same and is commoner
    assert search(ml_blog, "機械学習").did_you_mean is None
    assert search(ml_blog, "機会学習", respell=False).did_you_mean is None


def test_the_same_reading_in_more_posts_but_not_far_more_is_not_suggested(ml_blog: Store) -> None:
    assert search(ml_blog, "画像精製").did_you_mean is None  # 画像生成 stands together in one post only


def test_a_one_kana_romaji_word_is_not_read(blog: Store) -> None:
    assert search(blog, "to").expanded == ()


@given(st.text(), st.text(), st.text(), st.sampled_from([0, 1]))
def test_a_vocabulary_entry_is_written_as_json_dumps_writes_it(
    reading: str, word: str, spelling: str, in_title: int
) -> None:
    entry = [reading, word, spelling, in_title]
    assert entry_json(*entry) == json.dumps(entry, ensure_ascii=False)
