"""Blueprint ``feeds``: ``GET /feed.atom?q=&tag=…``, the newest posts matching a search as an Atom 1.0 feed.

A reader follows "posts about 半導体" or a tag in a feed reader: the parameters are the search page's,
read as leniently; the feed always holds the newest FEED_ENTRIES matches, newest first.
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import UTC
from datetime import datetime
from urllib.parse import quote
from urllib.parse import urljoin
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request

from mikke.search import Hit
from mikke.search import SearchPage
from mikke.web.addresses import absolute_url_for
from mikke.web.params import SearchParams
from mikke.web.params import parse_search_args
from mikke.web.store import get_state
from mikke.web.store import get_store

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 20
ATOM_MIMETYPE = "application/atom+xml"
# Characters XML 1.0 cannot carry at all, even escaped: a post's text may hold them, a feed must not.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARK_RE = re.compile(r"</?mark>")
# The feed's <updated> when nothing matches: a fixed instant, so the same empty answer stays the same.
_NO_ENTRIES_UPDATED = "1970-01-01T00:00:00+00:00"


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (escaping is the template's job)."""
    return _NOT_XML_RE.sub("", text)


def plain_excerpt(fragment: str) -> str:
    """A hit's excerpt (escaped HTML with ``<mark>``) as plain text: what the reader would read."""
    return xml_text(html.unescape(_MARK_RE.sub("", fragment)))


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One post of the feed, every value ready to be escaped into XML."""

    id: str
    title: str
    link: str
    updated: str
    summary: str
    author: str  # Atom requires one; the index knows no author, so the blog's host name stands for it
    categories: tuple[str, ...]


def feed_params() -> SearchParams:
    """The request's search, read as the page reads it, turned into "the newest FEED_ENTRIES matches"."""
    params = parse_search_args(request.args, get_state().settings, strict=False)
    return dataclasses.replace(params, sort="date", page=1, per_page=FEED_ENTRIES, notices=())


@bp.app_template_global("feed_title")
def feed_title(params: SearchParams) -> str:
    """What a feed reader names the feed: the search it follows."""
    parts = [f"「{params.q.strip()}」"] if params.q.strip() else []
    parts += [f"タグ: {t}" for t in params.tags]
    parts += [f"カテゴリ: {c}" for c in params.categories]
    if params.date_from:
        parts.append(f"{params.date_from.isoformat()} 以降")
    if params.date_to:
        parts.append(f"{params.date_to.isoformat()} 以前")
    return xml_text("記事検索: " + ("　".join(parts) if parts else "新しい記事"))


def entry(hit: Hit, base: str) -> Entry:
    """``hit`` as a feed entry; a post link without a host (a site with no ``url``) is read against
    ``base``, the search page, since Atom wants absolute ids and links. A link that is no web address (a
    site whose ``url`` is ``javascript:…``) is not handed to feed readers, as the page shows it as ``#``:
    the entry leads to the search page and is named by the post's path there."""
    link = urljoin(base, hit.url)
    if urlsplit(link).scheme not in ("http", "https"):
        link = urljoin(base, "#" + quote(hit.id))
    return Entry(
        id=xml_text(link),
        title=xml_text(hit.title),
        link=xml_text(link),
        updated=datetime.fromisoformat(hit.date).isoformat(),
        summary=plain_excerpt(hit.excerpt),
        author=xml_text(urlsplit(link).hostname or link),
        categories=tuple(xml_text(t) for t in (*hit.tags, *hit.categories)),
    )


@bp.get("/feed.atom")
def atom() -> Response:
    """The newest posts matching the search in the query string, as Atom 1.0."""
    params = feed_params()
    args = params.url_args(sort="relevance", page=1)  # the defaults, so left out: the search as written

    def respond(result: SearchPage) -> Response:
        page_url = absolute_url_for("pages.index", **args)
        entries = [entry(hit, page_url) for hit in result.hits]
        newest = max((e.updated for e in entries), key=_instant, default=_NO_ENTRIES_UPDATED)
        xml = render_template(
            "feed.atom.xml",
            title=feed_title(params),
            self_url=absolute_url_for("feeds.atom", **args),
            page_url=page_url,
            updated=newest,
            entries=entries,
        )
        return Response(xml, mimetype=ATOM_MIMETYPE)

    return get_state().results.answer(params, get_store(), respond)


def _instant(iso: str) -> datetime:
    when = datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
