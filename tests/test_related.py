"""Related posts: what each post stores, which posts count as related and in what order, finding a post."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mikke.search import PostNotFound
from mikke.search import all_related
from mikke.search import build_index
from mikke.search import open_store
from mikke.search import related_posts
from mikke.search import write_jekyll_data
from mikke.search.analysis import JapaneseAnalyzer
from mikke.search.related import MAX_LIMIT
from mikke.search.related import encode_post_terms

CONFIG = (
    'url: "https://blog.example.jp"\nbaseurl: "/blog"\npermalink: /:year/:month/:day/:title/\n'
    "timezone: Asia/Tokyo\n"
)

# Topics with their own words; every post also talks about the blog itself (ブログ, 記事, 更新), in its own
# sentence so that no paragraph repeats word for word (that would be site template, not indexed).
POSTS = {
    "2024-01-05-cat-care": (
        "猫の爪切りとブラッシング",
        "[猫, ペット]",
        "猫の爪切りは難しい。ブラッシングで毛玉を防ぐ。キャットフードも見直した。",
    ),
    "2024-02-05-kitten": (
        "子猫を迎える準備",
        "[猫]",
        "子猫のためにキャットフードとトイレを用意した。毛玉が気になる猫もいる。",
    ),
    "2024-03-05-old-cat": (
        "老猫の健康管理",
        "[猫, 健康]",
        "老猫は動物病院で健康診断を受ける。キャットフードを柔らかいものにした。",
    ),
    "2024-04-05-chips": (
        "半導体の微細化",
        "[技術]",
        "半導体のトランジスタは微細化が進む。ウェハーに露光装置で回路を描く。",
    ),
    "2024-05-05-fab": (
        "半導体工場の見学",
        "[技術]",
        "半導体工場のクリーンルームでウェハーを見た。露光装置は巨大だった。",
    ),
    "2024-06-05-curry": ("カレーの作り方", "[料理]", "玉ねぎを炒めてスパイスを加え、じっくり煮込む。"),
    "2024-07-05-spice": (
        "スパイスカレー入門",
        "[料理]",
        "クミンなどのスパイスと玉ねぎで作るカレーは香りがよい。",
    ),
    "2024-08-05-laundry": ("洗濯日和", "[猫]", "晴れた日は洗濯物がよく乾く。天気予報を毎朝確認している。"),
}


def write_post(site: Path, name: str, title: str, tags: str, body: str, n: int, extra: str = "") -> None:
    day = name[:10]
    generic = f"ブログの記事を{n}回目に更新した。この記事はブログの更新として書いた。"
    head = f'---\ntitle: "{title}"\ndate: {day} 10:00:00 +0900\ntags: {tags}\n{extra}---\n\n'
    source = f"{head}{body}\n\n{generic}\n"
    (site / "_posts" / f"{name}.md").write_text(source, "utf-8")


def make_site(root: Path) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, "utf-8")
    for n, (name, (title, tags, body)) in enumerate(POSTS.items()):
        write_post(root, name, title, tags, body, n)
    return root


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = make_site(tmp_path_factory.mktemp("related") / "site")
    index = site.parent / "index"
    build_index(site, index, full=True, jobs=1)
    return index


def titles(index: Path, reference: str, **kwargs: int) -> list[str]:
    return [p.title for p in related_posts(open_store(index), reference, **kwargs).related]


def test_related_posts_share_distinctive_words_and_never_include_the_post_itself(indexed: Path) -> None:
    found = titles(indexed, "_posts/2024-01-05-cat-care.md")
    assert set(found[:2]) == {"子猫を迎える準備", "老猫の健康管理"}
    assert "猫の爪切りとブラッシング" not in found
    assert titles(indexed, "_posts/2024-04-05-chips.md")[0] == "半導体工場の見学"
    assert titles(indexed, "_posts/2024-06-05-curry.md")[0] == "スパイスカレー入門"


def test_words_every_post_uses_make_no_post_related(indexed: Path) -> None:
    # Every post shares ブログ, 記事 and 更新: on their own they relate nothing, not even with a shared tag.
    found = titles(indexed, "_posts/2024-08-05-laundry.md")
    assert found == []
    assert "洗濯日和" not in titles(indexed, "_posts/2024-01-05-cat-care.md")


def test_a_shared_tag_lifts_a_post_above_one_with_the_same_words(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    body = "惑星の観測には望遠鏡と星図が要る。土星の環を見た。"
    write_post(site, "2024-09-01-planets", "惑星観測", "[天文]", body, 20)
    write_post(site, "2024-09-02-planets-tagged", "惑星観測記録", "[天文]", body, 21)
    write_post(site, "2024-09-03-planets-untagged", "惑星観測記録", "[日記]", body, 22)
    build_index(site, tmp_path / "index", full=True, jobs=1)
    found = titles(tmp_path / "index", "_posts/2024-09-01-planets.md", limit=2)
    assert found == ["惑星観測記録", "惑星観測記録"]
    ids = [
        p.id for p in related_posts(open_store(tmp_path / "index"), "_posts/2024-09-01-planets.md").related
    ]
    # The older post comes first: it shares the tag, and the newer one only the words.
    assert ids[:2] == ["_posts/2024-09-02-planets-tagged.md", "_posts/2024-09-03-planets-untagged.md"]


def test_newest_first_among_posts_of_equal_score(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    body = "惑星の観測には望遠鏡と星図が要る。土星の環を見た。"
    write_post(site, "2024-09-01-planets", "惑星観測", "[天文]", body, 20)
    for day in ("2024-09-02", "2024-09-04", "2024-09-03"):
        write_post(site, f"{day}-again", "惑星観測記録", "[天文]", body, 20)
    build_index(site, tmp_path / "index", full=True, jobs=1)
    related = related_posts(open_store(tmp_path / "index"), "_posts/2024-09-01-planets.md").related
    assert [p.date[:10] for p in related[:3]] == ["2024-09-04", "2024-09-03", "2024-09-02"]


def test_a_post_a_url_collision_overwrote_is_never_related(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    same = "permalink: /cats/\n"
    write_post(
        site,
        "2024-09-01-cats-a",
        "猫の毛玉対策",
        "[猫]",
        "猫の毛玉にはブラッシングとキャットフード。",
        30,
        same,
    )
    write_post(
        site,
        "2024-09-02-cats-b",
        "猫の毛玉予防",
        "[猫]",
        "猫の毛玉はブラッシングで防ぐ。キャットフードも。",
        31,
        same,
    )
    index = tmp_path / "index"
    build_index(site, index, full=True, jobs=1)
    store = open_store(index)
    lists = all_related(store)
    listed = {p.id for r in lists for p in r.related} | {r.post.id for r in lists}
    assert "_posts/2024-09-02-cats-b.md" in listed  # the later post is the one Jekyll writes
    assert "_posts/2024-09-01-cats-a.md" not in listed
    with pytest.raises(PostNotFound):
        related_posts(store, "_posts/2024-09-01-cats-a.md")
    assert related_posts(store, "https://blog.example.jp/blog/cats/").post.id == "_posts/2024-09-02-cats-b.md"


@pytest.mark.parametrize(
    "reference",
    [
        "_posts/2024-02-05-kitten.md",
        "site/_posts/2024-02-05-kitten.md",
        "/home/someone/blog/_posts/2024-02-05-kitten.md",
        "https://blog.example.jp/blog/2024/02/05/kitten/",
        "https://blog.example.jp/blog/2024/02/05/kitten/#section?x",
        "https://blog.example.jp/blog/2024/02/05/kitten/?utm_source=x",
        "http://127.0.0.1:4000/blog/2024/02/05/kitten/",
        "/blog/2024/02/05/kitten/",
        "/blog/2024/02/05/kitten",
        "/blog/2024/02/05/kitten/index.html",
        "  /blog/2024/02/05/kitten/  ",
    ],
)
def test_a_post_is_found_by_its_path_its_url_or_the_urls_path(indexed: Path, reference: str) -> None:
    assert related_posts(open_store(indexed), reference).post.title == "子猫を迎える準備"


def test_a_post_is_found_by_its_url_with_unquoted_japanese(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    write_post(site, "2024-09-01-子猫", "子猫の写真", "[猫]", "子猫とキャットフード。", 40)
    build_index(site, tmp_path / "index", full=True, jobs=1)
    store = open_store(tmp_path / "index")
    quoted = "/blog/2024/09/01/%E5%AD%90%E7%8C%AB/"
    for reference in (quoted, "/blog/2024/09/01/子猫/", "https://blog.example.jp" + quoted):
        assert related_posts(store, reference).post.title == "子猫の写真"


@pytest.mark.parametrize(
    "reference",
    [
        *("", " ", "/", "_posts", "https://blog.example.jp/", "https://other.example/x", "\x00", "a" * 5000),
        # Unbalanced IPv6 brackets, which urlsplit refuses with ValueError.
        *("http://[x", "https://[::1/x", "http://a]b/", "//[x", "/[x"),
    ],
)
def test_a_reference_to_no_post_raises_post_not_found(indexed: Path, reference: str) -> None:
    with pytest.raises(PostNotFound):
        related_posts(open_store(indexed), reference)


def test_limit_is_clamped(indexed: Path) -> None:
    store = open_store(indexed)
    assert len(related_posts(store, "_posts/2024-01-05-cat-care.md", limit=1).related) == 1
    assert len(related_posts(store, "_posts/2024-01-05-cat-care.md", limit=0).related) == 1
    assert len(related_posts(store, "_posts/2024-01-05-cat-care.md", limit=10**9).related) <= MAX_LIMIT


def test_every_posts_list_is_its_own_lookup(indexed: Path) -> None:
    store = open_store(indexed)
    lists = all_related(store, limit=3)
    assert [r.post.id for r in lists] == sorted((r.post.id for r in lists), reverse=True)  # newest first
    assert len(lists) == len(POSTS)
    for r in lists:
        assert r == related_posts(store, r.post.id, limit=3)


def test_an_edited_post_is_related_by_its_new_words_after_an_update(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    index = tmp_path / "index"
    build_index(site, index, full=True, jobs=1)
    assert "洗濯日和" not in titles(index, "_posts/2024-01-05-cat-care.md")
    write_post(
        site,
        "2024-08-05-laundry",
        "洗濯日和",
        "[猫]",
        "猫の毛玉が洗濯物につく。爪切りとブラッシングをした。",
        7,
    )
    build_index(site, index, jobs=1)
    updated = related_posts(open_store(index), "_posts/2024-01-05-cat-care.md")
    full = tmp_path / "full"
    build_index(site, full, full=True, jobs=1)
    assert "洗濯日和" in [p.title for p in updated.related]
    assert [p.id for p in updated.related] == [
        p.id for p in related_posts(open_store(full), "_posts/2024-01-05-cat-care.md").related
    ]


def test_stored_words_leave_out_function_words_numbers_and_symbols(analyzer: JapaneseAnalyzer) -> None:
    title = analyzer.terms("猫の記録")
    body = analyzer.terms("猫が2024年に3回鳴いた。それは、とても可愛かった！")
    stored = json.loads(encode_post_terms(title, [analyzer.terms("猫の様子")], body))
    words = dict(stored["c"])
    assert words["猫"] == 3 + 2 + 1  # title, heading, body
    assert "記録" in words and "鳴く" in words
    for dropped in ("の", "が", "に", "それ", "2024", "3", "。", "！"):
        assert dropped not in words


def test_jekyll_data_lists_each_posts_related_posts_by_its_path(indexed: Path, tmp_path: Path) -> None:
    target = tmp_path / "site" / "_data" / "mikke_related.json"
    target.parent.mkdir(parents=True)
    written = write_jekyll_data(target, all_related(open_store(indexed), limit=2))
    data = json.loads(target.read_text("utf-8"))
    assert written == len(data) == len(POSTS)
    entries = data["_posts/2024-01-05-cat-care.md"]
    assert len(entries) == 2
    assert set(entries[0]) == {"url", "title", "date"}
    assert entries[0]["url"].startswith("https://blog.example.jp/blog/2024/")
    assert [p.name for p in target.parent.iterdir()] == ["mikke_related.json"]  # no temporary file left
