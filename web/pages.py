"""Blueprint ``pages``: the search page ``GET /?q=&tag=…`` and its results region alone, ``GET /api/results``.

Every state lives in the URL; the page is complete without JavaScript. search.js only makes it live, by
putting the region rendered here (templates/results.html) in place: results have one renderer.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus
from urllib.parse import urlencode

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from markupsafe import Markup
from markupsafe import escape

from mikke.search import Hit
from mikke.search import SearchPage
from mikke.search import TagCount
from mikke.search import tag_key
from mikke.search import without_unprintable
from mikke.web.params import SearchParams
from mikke.web.params import last_linked_page
from mikke.web.params import parse_search_args
from mikke.web.stats import popular_queries
from mikke.web.stats import stats_enabled
from mikke.web.store import get_state
from mikke.web.store import get_store

bp = Blueprint("pages", __name__)

# The facet lists show the most common values; more would bloat every page for little use.
FACET_LIMIT = 30
# Pages linked on each side of the current one (plus the first and last).
PAGE_WINDOW = 2
_MARK_RE = re.compile(r"(</?mark>)")


def marked(fragment: str) -> Markup:
    """Return ``fragment`` (escaped HTML with ``<mark>``, from the core) re-escaped except for its marks.

    The core already escapes excerpts; rebuilding them here means no other tag can reach the page even
    if that ever changed (defence in depth for posts that contain raw HTML).
    """
    out: list[str] = []
    is_open = False
    for part in _MARK_RE.split(fragment):
        if part == "<mark>":
            if not is_open:
                out.append(part)
            is_open = True
        elif part == "</mark>":
            if is_open:
                out.append(part)
            is_open = False
        elif part:
            out.append(str(escape(html.unescape(part))))
    if is_open:
        out.append("</mark>")
    return Markup("".join(out))


def local_day(iso: str) -> str:
    """Format an ISO 8601 date, already in the site timezone, as ``2024年5月1日``."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:10]
    return f"{when.year}年{when.month}月{when.day}日"


def safe_href(url: str) -> str:
    """Return ``url`` if it is a web or site-relative link, else ``"#"`` (never ``javascript:``)."""
    if url.startswith(("https://", "http://", "/")):
        return url
    return "#"


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str
    count: int = 0
    active: bool = False


@dataclass(frozen=True, slots=True)
class Facet:
    """One filter list (tags or categories) for the current results."""

    name: str  # the URL parameter: "tag" or "category"
    title: str
    links: tuple[Link, ...]


def _url(params: SearchParams, **changes: object) -> str:
    """The link to the state ``params`` with ``changes``: a query string alone (``?q=…&tag=…``).

    Relative, so that it leads to whichever page shows the results: mikke's own page, or the blog page
    that embeds the search (where search.js puts the same region). ``?`` alone is the empty state.
    """
    return "?" + urlencode(params.url_args(**changes), doseq=True, quote_via=_quote)


@functools.lru_cache(maxsize=4096)
def _quote(value: str, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    """quote_plus, remembered: a results page links a hundred states that share the query and the tags."""
    return quote_plus(value, safe, encoding, errors)


def _label(value: str, counts: tuple[TagCount, ...]) -> str:
    for c in counts:
        if value in (c.key, c.tag):
            return c.tag
    return value


def _without(values: tuple[str, ...], value: str) -> list[str]:
    return [v for v in values if v != value]


def _facet(
    params: SearchParams, counts: tuple[TagCount, ...], name: str, title: str, active: tuple[str, ...]
) -> Facet:
    links = []
    for i, c in enumerate(counts):
        is_active = c.key in active or c.tag in active
        if i >= FACET_LIMIT and not is_active:
            continue
        values = [v for v in active if v not in (c.key, c.tag)] if is_active else [*active, c.key]
        links.append(Link(c.tag, _url(params, **{name: values, "page": 1}), c.count, is_active))
    return Facet(name, title, tuple(links))


def _pagination(params: SearchParams, result: SearchPage) -> tuple[Link | None, ...]:
    """Links to the first, last and nearby pages; ``None`` marks a gap."""
    last = last_linked_page(result.pages)
    if last <= 1:
        return ()
    current = min(params.page, last)
    shown = sorted({1, last, *range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)})
    links: list[Link | None] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            links.append(None)
        links.append(Link(str(n), _url(params, page=n), active=n == params.page))
    return tuple(links)


def _active_filters(params: SearchParams, result: SearchPage | None) -> list[Link]:
    """The filters in force, each with the URL that removes it."""
    tags = result.tags if result else ()
    categories = result.categories if result else ()
    links = [
        Link(f"タグ: {_label(t, tags)}", _url(params, tag=_without(params.tags, t), page=1))
        for t in params.tags
    ]
    for c in params.categories:
        remove = _url(params, category=_without(params.categories, c), page=1)
        links.append(Link(f"カテゴリ: {_label(c, categories)}", remove))
    if params.date_from:
        links.append(Link(f"{params.date_from.isoformat()} 以降", _url(params, **{"from": "", "page": 1})))
    if params.date_to:
        links.append(Link(f"{params.date_to.isoformat()} 以前", _url(params, to="", page=1)))
    return links


def _fewer_words(params: SearchParams) -> list[Link]:
    """For a query of several words, links that search again without one of them."""
    words = params.q.split()
    if len(words) < 2:
        return []
    queries = [" ".join(words[:i] + words[i + 1 :]) for i in range(min(len(words), 5))]
    return [Link(q, _url(params, q=q, page=1)) for q in queries]


@bp.app_template_filter("marked")
def _marked_filter(fragment: str) -> Markup:
    return marked(fragment)


@bp.app_template_filter("safe_href")
def _safe_href_filter(url: str) -> str:
    return safe_href(url)


@bp.app_template_filter("local_day")
def _local_day_filter(iso: str) -> str:
    return local_day(iso)


def _quoted(q: str) -> str:
    """``q`` as the page's title and status quote it: a right-to-left override in a link's q= would
    otherwise reverse the page's own words after it."""
    return without_unprintable(q)


def page_title(params: SearchParams) -> str:
    """The page's ``<title>`` for the state ``params``."""
    return f"「{_quoted(params.q)}」の検索結果 - 記事検索" if params.q else "記事検索"


def status_text(params: SearchParams, result: SearchPage | None) -> str:
    """The one-line summary read out by screen readers (``role=status``); ``None`` means no index yet."""
    if result is None:
        return "検索インデックスがまだ作られていません。"
    if not params.q and not params.filtered:
        return f"新しい記事 {result.total}件"
    if result.total and result.hits:
        first = (result.page - 1) * result.per_page + 1
        head = f"「{_quoted(params.q)}」の検索結果" if params.q else "絞り込み結果"
        if result.corrected:
            head = f"「{_quoted(params.q)}」は見つからず、「{result.did_you_mean}」の検索結果"
        return f"{head}: {result.total}件（{first}〜{first + len(result.hits) - 1}件目）"
    if result.total:
        return f"{result.total}件見つかりましたが、このページに結果はありません。"
    if params.q:
        return f"「{_quoted(params.q)}」に一致する記事は見つかりませんでした。"
    return "条件に合う記事は見つかりませんでした。"


def _page_params() -> SearchParams:
    """The request's search state, read leniently: bad values are dropped with a notice, never a 400."""
    settings = get_state().settings
    # Results always come in the configured page size; per_page is a JSON API parameter.
    return dataclasses.replace(
        parse_search_args(request.args, settings, strict=False), per_page=settings.per_page
    )


def hit_tags(params: SearchParams, result: SearchPage, hit: Hit) -> list[Link]:
    """The tags of ``hit`` as the tag facet shows them, each linking to the results narrowed to it.

    A post keeps its own spelling of a tag (``Python``), the facet names the key (``python``) by its most
    common spelling among the results: showing the facet's, the reader sees one tag, not two.
    """
    shown = {c.key: c.tag for c in result.tags}
    links = []
    for tag in hit.tags:
        key = tag_key(tag)
        links.append(Link(shown.get(key, tag), _url(params, tag=[*params.tags, key], page=1)))
    return links


def _popular(params: SearchParams) -> list[dict[str, object]]:
    """The popular queries the results region offers: on the empty search only (templates/results.html)."""
    return popular_queries() if not params.q and not params.filtered else []


def _results_context(
    params: SearchParams, result: SearchPage, popular: list[dict[str, object]]
) -> dict[str, object]:
    """What templates/results.html needs to draw ``result``."""
    last_page = last_linked_page(result.pages)
    return {
        "params": params,
        "result": result,
        "popular": popular,
        "not_ready": False,
        "first": (result.page - 1) * result.per_page + 1,
        "facets": [
            f
            for f in (
                _facet(params, result.tags, "tag", "タグ", params.tags),
                _facet(params, result.categories, "category", "カテゴリ", params.categories),
            )
            if f.links
        ],
        "active_filters": _active_filters(params, result),
        "clear_url": _url(params, tag=[], category=[], page=1, **{"from": "", "to": ""}),
        "fewer_words": _fewer_words(params) if not result.total else [],
        "pages": _pagination(params, result),
        "first_page_url": _url(params, page=1),
        "exact_url": _url(params, exact=1, page=1),
        "did_you_mean_url": _url(params, q=result.did_you_mean or "", page=1),
        "prev_url": _url(params, page=min(params.page - 1, result.pages)) if params.page > 1 else "",
        "next_url": _url(params, page=params.page + 1) if params.page < last_page else "",
        "sort_links": [
            Link("関連度順", _url(params, sort="relevance", page=1), active=result.sort == "relevance"),
            Link("新しい順", _url(params, sort="date", page=1), active=result.sort == "date"),
        ],
        "hit_tags": lambda hit: hit_tags(params, result, hit),
    }


@bp.get("/")
def index() -> Response:
    """Show the search form and the results for the query in the URL."""
    params = _page_params()
    state = get_state()
    store = state.open(current_app)
    if store is None:
        context: dict[str, object] = {"params": params, "result": None, "not_ready": True}
        page = render_template(
            "search.html", title=page_title(params), status=status_text(params, None), **context
        )
        return Response(page, status=503, mimetype="text/html")

    # They change while the index does not: part of the answer's validator, so no 304 keeps old ones.
    popular = _popular(params)

    def respond(result: SearchPage) -> Response:
        page = render_template(
            "search.html",
            title=page_title(params),
            status=status_text(params, result),
            **_results_context(params, result, popular),
        )
        return Response(page, mimetype="text/html")

    return state.results.answer(params, store, respond, also=popular)


@bp.get("/api/results")
def results_view() -> Response:
    """Answer with the page's results region for the query in the URL, rendered, for search.js to show.

    ``{"html": …, "status": …, "title": …, "total": …}``: the HTML is what the page has inside
    ``data-mikke-results``, its links relative query strings; ``status`` and ``title`` are plain text.
    """
    params = _page_params()
    popular = _popular(params)

    def respond(result: SearchPage) -> Response:
        region = render_template("results.html", **_results_context(params, result, popular))
        return jsonify(
            {
                "html": region,
                "status": status_text(params, result),
                "title": page_title(params),
                "total": result.total,
                "stats": stats_enabled(),  # search.js then reports the searches the reader settles on
            }
        )

    return get_state().results.answer(params, get_store(), respond, also=popular)
