"""Searching, the one entry point: analyse the text once, run the ranked query, read back hits and counts.

The steps live in their own modules: syntax.py (what the reader typed), words.py (which words are
searched), ranking.py (the tantivy query), document.py (reading hits back), results.py (what is returned).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import tantivy
from tantivy import Occur
from tantivy import Query

from mikke.search import schema as f
from mikke.search.analysis import Analysis
from mikke.search.analysis import get_analyzer
from mikke.search.document import StoredPost
from mikke.search.document import StoredText
from mikke.search.document import read_label_counts
from mikke.search.document import read_text
from mikke.search.excerpt import DEFAULT_EXCERPT_CHARS
from mikke.search.ranking import Plan
from mikke.search.ranking import Ranking
from mikke.search.ranking import filter_queries
from mikke.search.ranking import plan_query
from mikke.search.ranking import search_ranked
from mikke.search.readings import Vocabulary
from mikke.search.readings import vocabulary
from mikke.search.rerank import RERANK_HITS
from mikke.search.rerank import Ranked
from mikke.search.rerank import rerank as model_rerank
from mikke.search.rerank import shipped_model
from mikke.search.respell import did_you_mean
from mikke.search.results import Expanded
from mikke.search.results import Hit
from mikke.search.results import IndexedPost
from mikke.search.results import SearchPage
from mikke.search.results import Suggestions
from mikke.search.results import TagCount
from mikke.search.store import SYNONYMS_FILE
from mikke.search.store import Store
from mikke.search.suggest import MAX_SUGGESTIONS
from mikke.search.suggest import make_suggestions
from mikke.search.suggest import suggestion_index
from mikke.search.syntax import parse_user_query
from mikke.search.words import Expansion
from mikke.search.words import QueryTerms
from mikke.search.words import analyse_query

SORTS = ("relevance", "date")
# Relative difference under which two scores are equal (ordered by post id): a few units in the last place
# of tantivy's 32-bit float scores, which is how far two sums of the same clause scores can be apart.
SCORE_TIE = 2.0**-21
TAG_COUNT_LIMIT = 200
# Above this share of the posts matching, tags are counted over the posts that do not match, and taken off
# the counts over every post (22,640 posts, 88 % matching: the aggregation 1.12 -> 0.57 ms; at 57 % both
# ways cost the same).
COUNT_THE_REST_SHARE = 0.75
# Distinct tag spellings counted over the whole index (mikke tags, display forms); a label field holds at
# most one spelling per key and post, so this bounds the work of one aggregation.
ALL_LABELS_LIMIT = 65_000
# Hits of one request that get an excerpt cut around their matches. Cutting one scans the post's stored
# term offsets once per highlighted word, which for a long post costs more than the rest of its hit; later
# hits of a big page carry the post's stored summary instead, as a reader rarely looks past the first
# screens of results.
EXCERPT_HITS = 20


def search(
    store: Store,
    text: str = "",
    *,
    tags: Iterable[str] = (),
    categories: Iterable[str] = (),
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 10,
    with_counts: bool = True,
    rerank: bool = True,
    exact: bool = False,
    respell: bool = True,
) -> SearchPage:
    """Search the store; the one entry point behind ``mikke search`` and the web API.

    Any ``text`` is accepted: ``"exact phrase"`` and ``-word`` are honoured, the rest is analysed as words
    (kana, romaji and synonyms also searched as the words they stand for, unless ``exact``). Keyword queries
    rank posts with every word first; the first hits are reranked by a learned model (``rerank``,
    search/rerank.py). An empty query (or one of spaces alone, answered as empty) lists posts newest first.
    The work is bounded whatever the text (search/words.py): what was left out is in
    :attr:`SearchPage.ignored`, and hits past EXCERPT_HITS carry the post's summary, not an excerpt.

    ``tags``/``categories`` filter (every one must match); ``date_from``/``date_to`` bound the post's date
    (days in the site timezone, ``date_to`` inclusive; an aware datetime is exact, ``date_to`` exclusive);
    ``sort`` is ``"relevance"`` or ``"date"``; ``page`` is 1-based; ``per_page`` 0 returns only counts;
    ``with_counts`` counts tags and categories over the whole result set; ``respell`` suggests the query
    respelled by reading (:attr:`SearchPage.did_you_mean`) and, when nothing is found, shows its results.

    :raises ValueError: ``sort`` is not one of :data:`SORTS`.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not text.strip():
        # Spaces alone (a full-width one from an IME) ask for nothing: the page answers as to an empty query,
        # so the CLI's and the API's `query` (the web layer drops such text too) agree.
        text = ""
    page = max(1, page)
    per_page = max(0, per_page)
    searcher = store.searcher()  # one snapshot for hits and counts: a commit may land meanwhile
    vocab = None if exact else _vocabulary(store, searcher)
    terms = analyse_query(searcher, get_analyzer(), text, vocab)
    filters = filter_queries(store, tags, categories, date_from, date_to)
    plan = plan_query(store, searcher, terms, filters)
    by_date = sort == "date" or not plan.has_text
    window = _Window.of(searcher, page, per_page, by_date=by_date)
    plan, result, relaxed = _retrieve(store, searcher, terms, filters, plan, window, rerank=rerank)
    ranked = result.ranked(searcher, store.schema, terms)
    hits = _hits(store, searcher, ranked[:per_page], plan, by_date=by_date, expansions=terms.expansions)
    total = result.found.count
    suggestion = None
    if respell and vocab is not None and text:
        suggestion = did_you_mean(searcher, store.schema, get_analyzer(), text, vocab, terms)
    if suggestion is not None:
        # Offered only if it finds something under the same filters; shown if nothing was found as typed.
        asked: dict[str, Any] = {"tags": tags, "categories": categories, "date_from": date_from, "sort": sort}
        asked |= {"date_to": date_to, "page": page, "per_page": 0 if total else per_page, "rerank": rerank}
        found = search(store, suggestion, **asked, with_counts=with_counts and not total, respell=False)
        if not found.total:
            suggestion = None
        elif not total:
            return dataclasses.replace(found, query=text, did_you_mean=suggestion, corrected=True)
    tag_counts, category_counts = _counts(store, searcher, plan, total) if with_counts and total else ((), ())
    return SearchPage(
        query=text,
        total=total,
        page=page,
        per_page=per_page,
        sort="date" if by_date else "relevance",
        hits=hits,
        tags=tag_counts,
        categories=category_counts,
        relaxed=relaxed and total > 0,
        ignored=terms.ignored,
        expanded=tuple(Expanded(e.typed, e.spellings, e.by) for e in terms.expansions.values()),
        did_you_mean=suggestion,
    )


def _vocabulary(store: Store, searcher: tantivy.Searcher) -> Vocabulary:
    """The vocabulary of what ``searcher`` sees, with the owner's synonyms of the live generation."""
    owner = store.root / store.generation / SYNONYMS_FILE if store.root and store.generation else None
    return vocabulary(id(store), store.loaded_version, searcher, owner)


def _retrieve(
    store: Store,
    searcher: tantivy.Searcher,
    terms: QueryTerms,
    filters: list[Query],
    plan: Plan,
    window: _Window,
    *,
    rerank: bool,
) -> tuple[Plan, _Found, bool]:
    """Run ``plan`` for the page ``window``; the plan that found the hits, what it found, and whether it is
    the relaxed retry: when nothing has these exact words, other forms sharing their kanji stem are tried
    before giving up, unless the phrases, filters and exclusions alone already match nothing."""
    rerank = rerank and shipped_model().for_query(terms) is not None
    result = window.run(searcher, store.schema, plan, rerank=rerank)
    if not result.found.count and plan.words and _may_match(searcher, plan):
        plan = plan_query(store, searcher, terms, filters, relaxed=True)
        return plan, window.run(searcher, store.schema, plan, rerank=rerank), True
    return plan, result, False


@dataclass(frozen=True, slots=True)
class _Window:
    """Which hits of a ranked or dated result a page shows."""

    by_date: bool
    offset: int
    limit: int

    @classmethod
    def of(cls, searcher: tantivy.Searcher, page: int, per_page: int, *, by_date: bool) -> _Window:
        """The window of page ``page`` (1-based) of ``per_page`` hits, ``per_page`` 0 counting only."""
        # No wider than the posts there are: tantivy makes room for every hit asked for (a page of a billion
        # from the command line had it allocate 16 GB), and takes no count past 64 bits.
        posts = max(searcher.num_docs, 1)
        return cls(by_date, min((page - 1) * per_page, posts), min(max(per_page, 1), posts))

    def run(self, searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, *, rerank: bool) -> _Found:
        """Search; a reranked query fetches the first RERANK_HITS at least, to reorder them."""
        if self.by_date:
            # By date, scores do not count: the posts the query matches, without its scoring-only clauses
            # (presence, proximity: the sloppy phrases read positions in every post holding both words).
            found = searcher.search(
                plan.match_query, self.limit, count=True, order_by_field=f.FIELD_DATE, offset=self.offset
            )
            dated = _by_date_then_id(searcher, schema, plan.match_query, Ranking.of(found), self.offset)
            return _Found(self, dated, rerank=False)
        if rerank and self.offset < RERANK_HITS:
            wide = max(RERANK_HITS, self.offset + self.limit)
            return _Found(self, _by_score_then_id(searcher, schema, plan, 0, wide), rerank=True)
        return _Found(self, _by_score_then_id(searcher, schema, plan, self.offset, self.limit), rerank=False)


def _by_date_then_id(
    searcher: tantivy.Searcher, schema: tantivy.Schema, match: Query, window: Ranking, offset: int
) -> Ranking:
    """``window``, the posts ``match`` finds from ``offset`` on, newest first, as the same window of the
    posts by date and then by id.

    tantivy orders posts of one date (a day's posts dated by their file name) by their place in the index,
    which an update changes: an edited post goes to a new segment. A page boundary between such posts
    showed other posts on each page of an incremental index than of a full rebuild, and pages did not
    follow the ids. When posts of the window's first or last date lie outside it, every post of its dates
    is placed by id (usually a few more than the window).
    """
    if not window.hits:
        return window
    newest, oldest = int(window.hits[0][0]), int(window.hits[-1][0])
    dates = Query.range_query(
        schema, f.FIELD_DATE, tantivy.FieldType.Date, _moment(oldest), _moment(newest), True, True
    )
    span = Query.boolean_query([(Occur.Must, match), (Occur.Must, dates)])
    held = int(searcher.search(span, 1, count=True).count or 0)  # type: ignore[attr-defined]
    if held <= len(window.hits):
        return window
    later = Query.range_query(
        schema, f.FIELD_DATE, tantivy.FieldType.Date, _moment(newest), f.DATE_MAX, False, False
    )
    before = searcher.search(Query.boolean_query([(Occur.Must, match), (Occur.Must, later)]), 1, count=True)
    first = offset - int(before.count or 0)  # type: ignore[attr-defined]
    found = searcher.search(span, held, order_by_field=f.FIELD_DATE)
    by_date: dict[int, list[tuple[float, tantivy.DocAddress]]] = {}
    for hit in found.hits:
        by_date.setdefault(-int(hit[0]), []).append(hit)
    placed = [h for day in sorted(by_date) for h in _in_stable_order(searcher, by_date[day])]
    return Ranking(placed[first : first + len(window.hits)], window.count)


def _by_score_then_id(
    searcher: tantivy.Searcher, schema: tantivy.Schema, plan: Plan, offset: int, limit: int
) -> Ranking:
    """The hits ``offset`` to ``offset + limit`` of ``plan`` by score, posts of one score (within
    SCORE_TIE) by id, as :func:`_fetch` orders a page.

    tantivy gives posts of one score in their place in the index, which an update changes (an edited post
    goes to a new segment): a page boundary between them showed other posts on each page of an incremental
    index than of a full rebuild. The hits are taken from the first on, as many more as it takes to hold
    every post tied with the window's last one, and the posts of a score that a boundary splits are placed
    by id.
    """
    wanted = offset + limit
    # Room for a tie at the window's end from the first search: another search costs more than more hits
    # from one (a top-K heap), and a post is often tied with a copy or two of itself.
    asked = 2 * wanted + 1
    while True:
        found = search_ranked(searcher, schema, plan, asked)
        hits = found.hits
        if len(hits) < asked or not _tied(float(hits[wanted - 1][0]), float(hits[-1][0])):
            break
        asked *= 2
    placed: list[tuple[float, tantivy.DocAddress]] = []
    group: list[tuple[float, tantivy.DocAddress]] = []
    for hit in [*hits, None]:
        if group and (hit is None or not _tied(float(group[0][0]), float(hit[0]))):
            start = len(placed)
            if len(group) > 1 and start < wanted and start + len(group) > offset:
                group = _in_stable_order(searcher, group)
            placed.extend(group)
            group = []
        if hit is not None:
            group.append(hit)
    return Ranking(placed[offset:wanted], found.count)


def _serials(searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress]) -> list[int]:
    """The FIELD_SERIAL of the posts at ``addresses``, from its fast field (every post has one)."""
    return [int(value or 0) for value in searcher.fast_field_values(f.FIELD_SERIAL, addresses)]


def _in_stable_order(
    searcher: tantivy.Searcher, hits: list[tuple[float, tantivy.DocAddress]]
) -> list[tuple[float, tantivy.DocAddress]]:
    """``hits`` (of one score or date) in an order every build of the index gives them: by the posts'
    FIELD_SERIAL (a hash of the id, read for all at once without fetching a document), by id where two
    share one."""
    serials = _serials(searcher, [address for _, address in hits])
    if len(set(serials)) == len(serials):
        keys: list[tuple[int, str]] = [(serial, "") for serial in serials]
    else:
        keys = [
            (serial, str(searcher.doc(address).get_first(f.FIELD_ID) or ""))
            for serial, (_, address) in zip(serials, hits, strict=True)
        ]
    return [hit for _, hit in sorted(zip(keys, hits, strict=True), key=lambda pair: pair[0])]


def _tied(better: float, worse: float) -> bool:
    """Whether two scores are one (see SCORE_TIE)."""
    return better - worse <= SCORE_TIE * abs(better)


def _moment(nanoseconds: int) -> datetime:
    """A FIELD_DATE sort key (nanoseconds since 1970) as the moment it is."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanoseconds // 1000)


@dataclass(frozen=True, slots=True)
class _Found:
    """A window's search result, and whether its first hits are to be reranked."""

    window: _Window
    found: Ranking
    rerank: bool

    def ranked(self, searcher: tantivy.Searcher, schema: tantivy.Schema, terms: QueryTerms) -> list[Ranked]:
        """The window's stored posts, by score (the first RERANK_HITS reranked, search/rerank.py) or by
        date."""
        ranked = _fetch(searcher, self.found, by_date=self.window.by_date)
        if not self.rerank:
            return ranked
        ranked = model_rerank(searcher, schema, ranked[:RERANK_HITS], terms) + ranked[RERANK_HITS:]
        return ranked[self.window.offset : self.window.offset + self.window.limit]


def _hits(
    store: Store,
    searcher: tantivy.Searcher,
    ranked: list[Ranked],
    plan: Plan,
    *,
    by_date: bool,
    expansions: Mapping[str, Expansion],
) -> tuple[Hit, ...]:
    """The page's hits; the first EXCERPT_HITS with an excerpt cut from their text. A hit without an
    expanded word as typed says what it matched by."""
    texts = _texts(store, [stored.id for _, _, stored in ranked[:EXCERPT_HITS]])
    words = plan.highlight_words
    hits = [
        stored.hit(None if by_date else score, words, DEFAULT_EXCERPT_CHARS, texts.get(stored.id))
        for score, _, stored in ranked
    ]
    if plan.exact_query is not None and hits:
        exact = _matching(store, searcher, plan.exact_query, [h.id for h in hits])
        kinds = {e.by for e in expansions.values()}
        label = kinds.pop() if len(kinds) == 1 else "reading"
        hits = [
            h if _key(address) in exact else dataclasses.replace(h, matched_by=label)
            for h, (_, address, _) in zip(hits, ranked, strict=True)
        ]
    return tuple(hits)


def _key(address: tantivy.DocAddress) -> tuple[int, int]:
    return (address.segment_ord, address.doc)


def _matching(store: Store, searcher: tantivy.Searcher, query: Query, ids: list[str]) -> set[tuple[int, int]]:
    """The addresses of the posts ``ids`` that ``query`` matches (one search limited to them)."""
    among = Query.boolean_query([(Occur.Should, Query.term_query(store.schema, f.FIELD_ID, i)) for i in ids])
    found = searcher.search(Query.boolean_query([(Occur.Must, query), (Occur.Must, among)]), len(ids))
    return {_key(address) for _, address in found.hits}


def _may_match(searcher: tantivy.Searcher, plan: Plan) -> bool:
    """Whether the phrases, filters and exclusions alone match any post (a relaxed retry could find it)."""
    return plan.constraints is None or bool(searcher.search(plan.constraints, 1, count=False).hits)


def _fetch(searcher: tantivy.Searcher, result: Ranking, *, by_date: bool) -> list[Ranked]:
    """The result's stored posts with their scores and addresses, in a stable order.

    Equal scores or dates come back in segment order, which differs between an incremental update and a
    full rebuild; the post's FIELD_SERIAL (then its id) makes the order the same for both. Scores within
    SCORE_TIE of the best of them are equal: tantivy adds a post's clause scores as 32-bit floats in an
    order that can change with the index's segments, and search_ranked adds proximity in another one.
    """
    fetched = [(float(score), address, StoredPost(searcher.doc(address))) for score, address in result.hits]
    # The order _in_stable_order gives posts of one score or date, as the window of hits was chosen in.
    serials = _serials(searcher, [address for _, address in result.hits])
    stable = {id(hit[2]): (serial, hit[2].id) for serial, hit in zip(serials, fetched, strict=True)}
    if by_date:
        fetched.sort(key=lambda x: stable[id(x[2])])
        fetched.sort(key=lambda x: x[2].date, reverse=True)
        return fetched
    fetched.sort(key=lambda x: -x[0])
    ordered: list[Ranked] = []
    tied: list[Ranked] = []
    for hit in fetched:
        if tied and tied[0][0] - hit[0] > SCORE_TIE * abs(tied[0][0]):
            ordered.extend(sorted(tied, key=lambda x: stable[id(x[2])]))
            tied = []
        tied.append(hit)
    ordered.extend(sorted(tied, key=lambda x: stable[id(x[2])]))
    return ordered


def _texts(store: Store, post_ids: list[str]) -> dict[str, StoredText]:
    """The texts of the posts ``post_ids`` (those whose hits get an excerpt)."""
    if not post_ids:
        return {}
    searcher = store.text_searcher()
    texts = {}
    for post_id in post_ids:
        text = read_text(searcher, post_id)
        if text is None:
            # An update commits a post's text before the post itself, but the two indexes reload on their
            # own: the posts searcher may see a post a moment before this one does.
            searcher = store.text_searcher(fresh=True)
            text = read_text(searcher, post_id)
        if text is not None:
            texts[post_id] = text
    return texts


def _counts(
    store: Store, searcher: tantivy.Searcher, plan: Plan, total: int
) -> tuple[tuple[TagCount, ...], tuple[TagCount, ...]]:
    """Tag and category counts over the whole result set (at most TAG_COUNT_LIMIT of each)."""
    labels = _every_post(store, searcher)
    if total >= searcher.num_docs:
        if labels.counts is not None:
            return labels.counts  # every post matches: the counts over every post, made once
        agg = searcher.aggregate(Query.all_query(), _label_aggregations(TAG_COUNT_LIMIT))
    elif labels.every is not None and total > COUNT_THE_REST_SHARE * searcher.num_docs:
        # Most posts match: the counts over every post less those over the few that do not.
        rest = Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, plan.match_query)])
        agg = _less(labels.every, searcher.aggregate(rest, _label_aggregations(TAG_COUNT_LIMIT)))
    else:
        agg = searcher.aggregate(plan.match_query, _label_aggregations(TAG_COUNT_LIMIT))
    tag_forms, category_forms = labels.forms
    return read_label_counts(agg, "tags", tag_forms), read_label_counts(agg, "categories", category_forms)


_LABEL_FIELDS = {"tags": f.FIELD_TAG_LABEL, "categories": f.FIELD_CATEGORY_LABEL}


def _label_aggregations(size: int) -> dict[str, Any]:
    """A terms aggregation of each label field, keeping its ``size`` most used spellings."""
    return {name: {"terms": {"field": field, "size": size}} for name, field in _LABEL_FIELDS.items()}


def _less(every: Mapping[str, Any], rest: Mapping[str, Any]) -> dict[str, Any]:
    """The buckets of ``every`` with ``rest``'s doc counts taken off (both aggregations complete)."""
    out: dict[str, Any] = {}
    for name in _LABEL_FIELDS:
        taken = {b["key"]: int(b["doc_count"]) for b in rest.get(name, {}).get("buckets", [])}
        left = [
            (b["key"], int(b["doc_count"]) - taken.get(b["key"], 0))
            for b in every.get(name, {}).get("buckets", [])
        ]
        out[name] = {"buckets": [{"key": key, "doc_count": n} for key, n in left if n > 0]}
    return out


@dataclass(frozen=True, slots=True)
class _Labels:
    """Tags and categories over every post of one index version."""

    forms: tuple[dict[str, str], dict[str, str]]  # how each key is spelled for display
    # The aggregation over every post, and the counts a search matching every post shows; None when a search
    # counts fewer label spellings than the index holds, so its own aggregation makes the cut.
    every: Mapping[str, Any] | None
    counts: tuple[tuple[TagCount, ...], tuple[TagCount, ...]] | None


_labels: dict[int, tuple[str, _Labels]] = {}  # id(store) -> (version, labels)


def _every_post(store: Store, searcher: tantivy.Searcher) -> _Labels:
    """Tags and categories over the whole index, worked out once per index version (one aggregation over
    every post)."""
    version = store.loaded_version  # search() has just loaded it through store.searcher()
    cached = _labels.get(id(store))
    if cached is not None and cached[0] == version:
        return cached[1]
    agg = searcher.aggregate(Query.all_query(), _label_aggregations(ALL_LABELS_LIMIT))
    counts = (read_label_counts(agg, "tags"), read_label_counts(agg, "categories"))
    # Each key's most common spelling over every post, so a tag reads the same in every search whichever
    # posts match (the counts over every post are spelled so already).
    forms = ({c.key: c.tag for c in counts[0]}, {c.key: c.tag for c in counts[1]})
    if all(len(agg.get(name, {}).get("buckets", [])) <= TAG_COUNT_LIMIT for name in _LABEL_FIELDS):
        labels = _Labels(forms, agg, counts)
    else:
        labels = _Labels(forms, None, None)
    _labels[id(store)] = (version, labels)
    return labels


def says_only_what_posts_say(store: Store, text: str) -> bool:
    """Whether ``text`` may be shown to other readers (the popular searches): it excludes nothing, every
    word of it is written in some post (as typed, or as the word its kana or romaji reads as), every
    "phrase" is found, and nothing else is in it but spaces and punctuation.

    A query finds posts by any one of its words, so finding something says nothing of the rest: a name, a
    number or an insult typed beside a common word must never reach every reader's page, however often
    one reader (reloading a page) or anyone with a script searched it.
    """
    parsed = parse_user_query(text)
    if parsed.excluded or not (parsed.text.strip() or parsed.phrases):
        return False
    analyzer = get_analyzer()
    if not all(_only_words(piece, analyzer.analyze(piece)) for piece in (parsed.text, *parsed.phrases)):
        return False
    searcher = store.searcher()
    terms = analyse_query(searcher, analyzer, text, _vocabulary(store, searcher))
    if terms.ignored or any(not terms.doc_freq.get(word.coarse) for word in terms.words):
        return False
    quoted = (f'"{phrase}"' for phrase in parsed.phrases)
    return all(search(store, q, per_page=0, with_counts=False, respell=False).total for q in quoted)


def _only_words(text: str, analysis: Analysis) -> bool:
    """Whether every character of ``text`` is in one of its analysed words, or a space or punctuation."""
    covered = bytearray(len(text))
    for unit in analysis.units:
        covered[unit.coarse.start : unit.coarse.end] = b"\x01" * (unit.coarse.end - unit.coarse.start)
    return all(
        covered[i] or ch.isspace() or unicodedata.category(ch).startswith("P") for i, ch in enumerate(text)
    )


def suggest(store: Store, prefix: str, *, limit: int = MAX_SUGGESTIONS) -> Suggestions:
    """Complete ``prefix``: up to ``limit`` words of titles, headings, tags and frequent body nouns
    that start with it, by spelling or by reading (じんこう -> 人工知能), with how many posts hold each."""
    searcher = store.searcher()
    vocab = _vocabulary(store, searcher)
    index = suggestion_index(id(store), vocab, lambda: all_tags(store))
    return make_suggestions(prefix, index, max(0, min(limit, MAX_SUGGESTIONS)))


def all_tags(store: Store) -> tuple[TagCount, ...]:
    """Count every tag over the whole index, most used first."""
    searcher = store.searcher()
    if not searcher.num_docs:
        return ()
    agg = searcher.aggregate(
        Query.all_query(), {"tags": {"terms": {"field": f.FIELD_TAG_LABEL, "size": ALL_LABELS_LIMIT}}}
    )
    return read_label_counts(agg, "tags")


def list_posts(store: Store) -> list[IndexedPost]:
    """Return every indexed post, newest first."""
    searcher = store.searcher()
    if not searcher.num_docs:
        return []
    result = searcher.search(Query.all_query(), searcher.num_docs)
    posts = [StoredPost(searcher.doc(address)).listed() for _, address in result.hits]
    posts.sort(key=lambda p: p.id)
    posts.sort(key=lambda p: datetime.fromisoformat(p.date), reverse=True)
    return posts
