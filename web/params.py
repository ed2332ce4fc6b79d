"""Search parameters read from a query string, coerced and clamped at the edge.

Shared by the HTML page (lenient: bad values are dropped with a notice) and the JSON API (strict: 400).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from werkzeug.datastructures import MultiDict

from mikke.search import RELATED_LIMIT
from mikke.search import RELATED_MAX_LIMIT
from mikke.search import SORTS
from mikke.search import SearchPage
from mikke.search import Settings
from mikke.search import Store
from mikke.search import parse_optional_day
from mikke.search import search

# Pages past this are never useful to a reader and would make tantivy collect a huge top-k.
MAX_PAGE = 1000
# Filters are ANDed: more than a handful can only narrow to nothing, but each one costs a query clause.
MAX_FILTERS = 20
MAX_FILTER_CHARS = 100
_INT_RE = re.compile(r"[+-]?\d+")


class BadParameter(ValueError):
    """A parameter the API rejects; ``str(error)`` is the user-facing sentence."""


@dataclass(frozen=True, slots=True)
class SearchParams:
    """One search request: every value already cut, clamped and validated."""

    q: str = ""
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    date_from: date | None = None
    date_to: date | None = None
    truncated: bool = False
    notices: tuple[str, ...] = field(default=())
    rerank: bool = True  # MIKKE_RERANK
    exact: bool = False  # the words as typed only: nothing read as kana words or romaji

    @property
    def filtered(self) -> bool:
        """Whether anything besides the query text narrows the results."""
        return bool(self.tags or self.categories or self.date_from or self.date_to)

    def run(self, store: Store) -> SearchPage:
        """Search ``store`` with these parameters (the one call both the page and the API make)."""
        return search(
            store,
            self.q,
            tags=self.tags,
            categories=self.categories,
            date_from=self.date_from,
            date_to=self.date_to,
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
            rerank=self.rerank,
            exact=self.exact,
        )

    def url_args(self, **changes: object) -> dict[str, object]:
        """Return the query-string arguments for this state with ``changes``, defaults left out.

        Lists become repeated parameters (``tag=a&tag=b``) in :func:`flask.url_for`.
        """
        values: dict[str, object] = {
            "q": self.q,
            "tag": list(self.tags),
            "category": list(self.categories),
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sort": self.sort,
            "page": self.page,
            "exact": 1 if self.exact else "",
        }
        values.update(changes)
        defaults = {"sort": "relevance", "page": 1}
        return {k: v for k, v in values.items() if v not in ("", [], None) and defaults.get(k) != v}


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    """Parse a whole number, falling back to ``default`` and clamping to ``[low, high]``."""
    text = (raw or "").strip()
    if not _INT_RE.fullmatch(text):
        return default
    if len(text.lstrip("+-")) > 18:
        # Beyond any clamp; int() would also refuse strings of more than 4300 digits.
        return low if text.startswith("-") else high
    return min(max(int(text), low), high)


def last_linked_page(pages: int) -> int:
    """The last of ``pages`` pages of results a link may lead to: a ``page`` past MAX_PAGE is read as
    MAX_PAGE, so a link further on would show that page again under another number."""
    return min(pages, MAX_PAGE)


def parse_limit(raw: str | None) -> int:
    """``limit`` of ``/api/related``: a whole number clamped to what the core allows, else its default."""
    return _int(raw, RELATED_LIMIT, 1, RELATED_MAX_LIMIT)


def _filters(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()[:MAX_FILTER_CHARS]
        if value:
            seen.setdefault(value, None)
    return tuple(seen)[:MAX_FILTERS]


def _day(raw: str | None, name: str) -> date | None:
    try:
        return parse_optional_day(raw)
    except ValueError as e:
        raise BadParameter(f"{name}: {e}") from None


def parse_search_args(args: MultiDict[str, str], settings: Settings, *, strict: bool) -> SearchParams:
    """Read ``q``, ``tag``, ``category``, ``sort``, ``page``, ``per_page``, ``from``, ``to`` and ``exact``.

    ``q`` is cut to ``settings.max_query_chars``; ``page`` and ``per_page`` are clamped; repeated
    single-valued parameters use their first value; unknown parameters are ignored.

    :param args: the request's query arguments.
    :param settings: the app's settings (limits and defaults).
    :param strict: raise :class:`BadParameter` for an unknown ``sort`` or an unreadable date (the API);
        otherwise drop them and explain in :attr:`SearchParams.notices` (the page).
    :return: the validated parameters.
    :raises BadParameter: only when ``strict``.
    """
    notices: list[str] = []
    q = args.get("q", "")
    truncated = len(q) > settings.max_query_chars
    if truncated:
        q = q[: settings.max_query_chars]
    if not q.strip():
        # Spaces alone (a space bar pressed, a full-width space, or all that is left of a long query once
        # cut) search for nothing, as the core reads them: the newest posts, not "results for 「　」".
        q = ""
    sort = args.get("sort", "").strip() or "relevance"
    if sort not in SORTS:
        if strict:
            shown = sort if len(sort) <= 40 else sort[:40] + "…"
            raise BadParameter(f"sort must be one of {', '.join(SORTS)}, not {shown!r}.")
        notices.append("並び順の指定を読み取れないため、関連度順にしました。")
        sort = "relevance"
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = _day(args.get(name), name)
        except BadParameter:
            if strict:
                raise
            notices.append(
                f"日付（{name}）を読み取れないため、無視しました。2024-05-01 の形で指定してください。"
            )
            days[name] = None
    return SearchParams(
        q=q,
        tags=_filters(args.getlist("tag")),
        categories=_filters(args.getlist("category")),
        sort=sort,
        page=_int(args.get("page"), 1, 1, MAX_PAGE),
        per_page=_int(args.get("per_page"), settings.per_page, 0, settings.max_per_page),
        date_from=days["from"],
        date_to=days["to"],
        truncated=truncated,
        notices=tuple(notices),
        rerank=settings.rerank,
        exact=args.get("exact", "").strip().lower() in ("1", "true", "yes", "on"),
    )
