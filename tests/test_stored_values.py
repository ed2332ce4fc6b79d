"""Any text a site holds survives the index: file names, slugs, permalinks, titles, tags and categories with
any code point (every control character included) index, update incrementally and list back unchanged."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import tantivy
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mikke.search import IndexBuildError
from mikke.search import all_tags
from mikke.search import build_index
from mikke.search import document
from mikke.search import list_posts
from mikke.search import open_store
from mikke.search import schema as f
from mikke.search import search
from mikke.search.cli import cli
from mikke.search.cli import printable
from mikke.search.document import MAX_EXCERPT_OCCURRENCES
from mikke.search.document import MAX_JOINED_SPACES
from mikke.search.document import SPAN_SHARD_BYTES
from mikke.search.document import TEXT_PART_CHARS
from mikke.search.document import ManifestEntry
from mikke.search.document import ShardedSpans
from mikke.search.document import SpanIndex
from mikke.search.document import decode_label
from mikke.search.document import decode_manifest_entry
from mikke.search.document import encode_label
from mikke.search.document import encode_manifest_entry
from mikke.search.document import encode_span_shards
from mikke.search.document import encode_spans
from mikke.search.document import match_spans
from mikke.search.document import read_text
from mikke.search.document import shard_first_terms
from mikke.search.document import span_offsets
from mikke.search.excerpt import Span
from mikke.search.indexer import site_build_info
from mikke.search.site import read_site_config
from mikke.search.store import create_generation
from mikke.search.store import publish_generation
from mikke.search.words import QueryWord

from .conftest import SITE_CONFIG
from .conftest import post_source

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
# A file name may hold any code point but "/" and NUL (and at most 255 bytes: 20 code points stay below).
NAME_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"), max_size=20)


@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_manifest_entry_round_trips_any_text(post_id: str, url: str, digest: str) -> None:
    entry = ManifestEntry(post_id, digest, url, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert decode_manifest_entry(encode_manifest_entry(entry)) == entry


@given(ANY_TEXT, ANY_TEXT)
def test_label_round_trips_any_text(key: str, label: str) -> None:
    assert decode_label(encode_label(key, label)) == (key, label)


@given(st.dictionaries(ANY_TEXT, st.lists(st.integers(0, 10**6), min_size=2, max_size=6), max_size=120))
def test_spans_of_every_term_are_found_whatever_the_term_holds(spans: dict[str, list[int]]) -> None:
    blob = encode_spans(spans.items())
    for term, offsets in spans.items():
        assert span_offsets(blob, term) == offsets
    assert span_offsets(blob, "\t\n\\ not stored") == [] or "\t\n\\ not stored" in spans


def test_a_value_that_is_not_a_manifest_entry_is_refused_with_its_text() -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        decode_manifest_entry("_posts/a.md\x1fabc\x1fhttps://x/\x1f2024-01-01T00:00:00+00:00")


def test_a_path_holding_the_old_separator_character_updates_incrementally(site: Path, tmp_path: Path) -> None:
    name = "2024-05-04-unit\x1fseparator.md"
    (site / "_posts" / name).write_text(post_source("区切り文字", "区切り文字の入ったファイル名。"), "utf-8")
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    (site / "_posts" / "2024-05-05-next.md").write_text(post_source("次の記事", "次の記事です。"), "utf-8")
    report = build_index(site, index, jobs=1)
    assert report.mode == "incremental"
    assert report.added == ["_posts/2024-05-05-next.md"]
    assert f"_posts/{name}" in {p.id for p in list_posts(open_store(index))}


def test_an_index_whose_manifest_cannot_be_read_asks_for_a_full_rebuild(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    config = read_site_config(site)
    name, indexes = create_generation(index, site_build_info(config, include_hidden=False))
    writer = indexes.posts.writer(15_000_000, 1)
    doc = tantivy.Document()
    doc.add_text(f.FIELD_ID, "_posts/2024-05-01-library.md")
    doc.add_text(f.FIELD_SOURCE, "not a manifest entry")
    writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    publish_generation(index, name)
    with pytest.raises(IndexBuildError, match="--full"):
        build_index(site, index, jobs=1)
    assert build_index(site, index, full=True, jobs=1).posts == 3


def test_bidi_controls_never_reach_a_title_or_tag(site: Path, tmp_path: Path) -> None:
    source = post_source("\u202eevil\u202c txt.exe", "本文\u2066です\u2069。", tags="[\u202etag]")
    (site / "_posts" / "2024-05-04-bidi.md").write_text(source, "utf-8")
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    post = next(p for p in list_posts(open_store(index)) if p.id.endswith("bidi.md"))
    assert post.title == "evil txt.exe"
    assert post.tags == ("tag",)
    hit = search(open_store(index), "本文").hits[0]
    assert "\u2066" not in hit.excerpt and "\u2069" not in hit.excerpt


def test_paths_are_printed_for_a_person_with_control_characters_escaped() -> None:
    assert printable("_posts/a\x1b[31mb\u202e.md") == "_posts/a\\x1b[31mb\\u202e.md"


@st.composite
def odd_posts(draw: st.DrawFn) -> tuple[str, str]:
    """A post file name and source whose slug and front matter values may hold any code point."""
    day = draw(st.integers(1, 28))
    slug = draw(NAME_TEXT)
    front: dict[str, object] = {
        "title": draw(ANY_TEXT),
        "tags": draw(st.lists(ANY_TEXT, max_size=3)),
        "categories": draw(st.lists(ANY_TEXT, max_size=2)),
    }
    if draw(st.booleans()):
        front["slug"] = draw(ANY_TEXT)
    permalink = draw(st.sampled_from(["", "/:title/", "/{}/:year/:slug/", "{}"]))
    if permalink:
        front["permalink"] = permalink.replace("{}", draw(ANY_TEXT))
    body = draw(st.sampled_from(["図書館で本を読んだ。", "全文検索の話。", "猫と自転車。"])) + draw(ANY_TEXT)
    source = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n" + body + "\n"
    return f"2024-03-{day:02d}-{slug}.md", source


def _write_posts(site: Path, posts: list[tuple[str, str]]) -> None:
    for name, source in posts:
        (site / "_posts" / name).write_text(source, "utf-8")


def _snapshot(index: Path) -> tuple[object, ...]:
    store = open_store(index)
    results = [search(store, q, per_page=50).to_json() for q in ("", "図書館", "猫", "検索")]
    for result in results:
        for hit in result["hits"]:  # type: ignore[union-attr]
            hit.pop("score")  # BM25 statistics of an updated index count replaced versions until a merge
    return [p.to_json() for p in list_posts(store)], [t.to_json() for t in all_tags(store)], results


@settings(max_examples=20, deadline=None)
@given(st.lists(odd_posts(), min_size=1, max_size=4), st.lists(odd_posts(), min_size=1, max_size=3))
def test_any_names_and_front_matter_index_incrementally_as_a_full_rebuild_does(
    first: list[tuple[str, str]], later: list[tuple[str, str]]
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mikke-odd-"))
    try:
        site = tmp / "site"
        (site / "_posts").mkdir(parents=True)
        (site / "_config.yml").write_text(SITE_CONFIG, "utf-8")
        _write_posts(site, first)
        build_index(site, tmp / "incremental", jobs=1)
        _write_posts(site, later)
        report = build_index(site, tmp / "incremental", jobs=1)
        full = build_index(site, tmp / "full", full=True, jobs=1)
        assert report.mode == "incremental"
        assert _snapshot(tmp / "incremental") == _snapshot(tmp / "full")

        # Nothing is lost: every file is listed, skipped with a reason, or overwritten by a URL collision.
        files = {f"_posts/{p.name}" for p in (site / "_posts").iterdir()}
        out = CliRunner().invoke(cli, ["list", "--json", "--index", str(tmp / "incremental")])
        assert out.exit_code == 0, out.output
        listed = [json.loads(line)["id"] for line in out.output.splitlines()]
        skipped = [s.path for s in full.skipped]
        overwritten = [o for c in full.collisions for o in c.overwritten]
        assert sorted(listed + skipped + overwritten) == sorted(files)
        assert all(s.reason for s in full.skipped)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_long_text_is_read_back_whole_across_its_parts_with_any_code_point(
    site: Path, tmp_path: Path
) -> None:
    paragraphs = [f"段落{n}の本文には絵文字🍣と記号<&>が入る。" for n in range(400)]  # several parts
    (site / "_posts" / "2024-06-01-long.md").write_text(
        post_source("長い記事", "\n\n".join(paragraphs)), "utf-8"
    )
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    store = open_store(index)
    stored = read_text(store.text_searcher(), "_posts/2024-06-01-long.md")
    assert stored is not None and stored.length > 3 * TEXT_PART_CHARS
    assert stored.read() == "\n".join(paragraphs)
    start = TEXT_PART_CHARS - 5  # a piece across a part boundary
    assert stored.piece(start, start + 10) == "\n".join(paragraphs)[start : start + 10]


def test_an_excerpt_of_a_long_post_reads_only_the_parts_around_its_window(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = "\n\n".join(
        f"関係のない段落{n}がここに続いている。" for n in range(3000)
    )  # about 60,000 characters
    body = filler + "\n\n最後の段落で珍しい単語の鴨南蛮が出てくる。"
    (site / "_posts" / "2024-06-01-long.md").write_text(post_source("長い記事", body), "utf-8")
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    store = open_store(index)
    parts_read: list[int | None] = []
    real = document._text_document

    def counting(
        searcher: tantivy.Searcher, post_id: str, part: int | None, *, shard: int = 0
    ) -> tantivy.Document | None:
        parts_read.append(part)
        return real(searcher, post_id, part, shard=shard)

    monkeypatch.setattr(document, "_text_document", counting)
    (hit,) = search(store, "鴨南蛮").hits
    assert "<mark>鴨南蛮</mark>" in hit.excerpt
    parts = [p for p in parts_read if p is not None]
    # The offsets: the first shard, and the shard of each term looked up (鴨南蛮 and its parts 鴨, 南蛮).
    assert parts_read.count(None) <= 4 and 1 <= len(parts) <= 2
    assert min(parts) * TEXT_PART_CHARS > len(body) // 2  # near the end, where the word is


def test_stored_offsets_keep_at_most_a_bounded_number_of_occurrences_of_a_term() -> None:
    many = [x for k in range(3 * MAX_EXCERPT_OCCURRENCES) for x in (10 * k, 10 * k + 2)]
    (shard,) = encode_span_shards([("ai", many), ("b", [5, 6])])
    assert span_offsets(shard, "ai") == many[: 2 * MAX_EXCERPT_OCCURRENCES]  # the first in the text
    spans = match_spans(SpanIndex(shard), [QueryWord("ai", ("ai",))])
    assert len(spans) == MAX_EXCERPT_OCCURRENCES and spans[0] == Span(0, 2, "ai")


@pytest.mark.parametrize(
    ("between", "joined"),
    [
        (" ", True),
        ("\u3000", True),
        ("\u00a0", True),
        ("\t ", True),
        ("-", True),  # the parts of a name: Claude-4, GPT-4, Node.js
        ("\u2010", True),
        (".", True),
        (" - ", True),
        ("\n", False),  # a line break ends a block of the clean text
        ("、", False),
        ("--", False),
        ("-.", False),
        (" " * (MAX_JOINED_SPACES + 1), False),  # further than the text read to check
    ],
)
def test_the_parts_of_a_word_are_one_span_across_whitespace_or_one_hyphen_within_a_line_only(
    between: str, joined: bool
) -> None:
    text = f"Claude{between}4"
    (shard,) = encode_span_shards([("クロード", [0, 6]), ("4", [len(text) - 1, len(text)])])
    word = QueryWord("クロード4", ("クロード", "4"))
    spans = match_spans(SpanIndex(shard), [word], lambda start, end: text[start:end])
    assert spans == ([Span(0, len(text), "クロード4")] if joined else [])


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12), st.lists(st.integers(0, 10**6), min_size=2, max_size=60)
    )
)
def test_offsets_split_into_shards_are_found_in_the_shard_that_holds_them(
    spans: dict[str, list[int]],
) -> None:
    spans = {term: offsets[: len(offsets) // 2 * 2] for term, offsets in spans.items()}
    shards = encode_span_shards(spans.items())
    assert all(len(shard) < 3 * SPAN_SHARD_BYTES for shard in shards)
    loaded: list[int] = []

    def load(n: int) -> bytes:
        loaded.append(n)
        return shards[n]

    lookup = ShardedSpans(shards[0], shard_first_terms(shards), load)
    for term, offsets in spans.items():
        assert lookup.offsets(term) == offsets[: 2 * MAX_EXCERPT_OCCURRENCES]
    assert (
        lookup.offsets("\t\n\\ not stored")
        == spans.get("\t\n\\ not stored", [])[: 2 * MAX_EXCERPT_OCCURRENCES]
    )
    assert len(loaded) == len(set(loaded)) == len(shards) - 1 or len(spans) < len(shards)
