"""What a search returns: plain, frozen result classes and their one JSON shape each.

Shared by ``search()``, ``mikke search --json``, ``mikke list --json`` and the web API; no tantivy type here.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True, slots=True)
class IndexedPost:
    """A post as the index holds it: what every listing of posts shows (``mikke list``, each hit)."""

    id: str  # the post's path relative to the site root, e.g. "_posts/2024-05-01-foo.md"
    url: str
    title: str
    date: str  # ISO 8601 in the site timezone
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    template_share: float = 0.0  # of the post's text that was site template, not indexed (0 to 1)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "date": self.date,
            "tags": list(self.tags),
            "categories": list(self.categories),
            "template_share": self.template_share,
        }


@dataclass(frozen=True, slots=True)
class Section:
    """The heading (h2 or h3) that precedes a hit's excerpt, and the link that opens the post there."""

    title: str
    url: str  # the post's url + "#" + the heading's id, as Jekyll writes it

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True, slots=True)
class Hit(IndexedPost):
    """One result. ``excerpt`` and ``title_html`` are escaped HTML with ``<mark>``ed matches."""

    title_html: str = ""
    score: float | None = None  # None when sorted by date
    excerpt: str = ""
    section: Section | None = None  # None: the excerpt is before any heading, or is the summary
    image: str | None = None  # the post's picture, an absolute http(s) URL
    # None: the post has the query's words as typed; "reading" / "romaji" / "synonym": it matched only
    # through the words an expanded query word stands for (see SearchPage.expanded).
    matched_by: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            **IndexedPost.to_json(self),
            "title_html": self.title_html,
            "score": self.score,
            "excerpt": self.excerpt,
            "section": self.section.to_json() if self.section else None,
            "image": self.image,
            "matched_by": self.matched_by,
        }


@dataclass(frozen=True, slots=True)
class Expanded:
    """A query word that was also searched as other words, and why ("reading", "romaji")."""

    word: str
    with_: tuple[str, ...]
    by: str

    def to_json(self) -> dict[str, object]:
        return {"word": self.word, "with": list(self.with_), "by": self.by}


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str  # display form
    key: str  # normalised key, the value to filter by
    count: int

    def to_json(self, label: str = "tag") -> dict[str, object]:
        """The JSON shape of one count; ``label`` names the display form ("tag" or "category")."""
        return {label: self.tag, "key": self.key, "count": self.count}


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results plus facts about the whole result set."""

    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: tuple[Hit, ...]
    tags: tuple[TagCount, ...] = ()
    categories: tuple[TagCount, ...] = ()
    relaxed: bool = False  # no post had the exact words; these match related word forms
    # Query words ("phrases", -excluded words) left out to bound the request's work, in query order.
    ignored: tuple[str, ...] = field(default=())
    # Query words also searched as other words (by reading, romaji); empty with exact=True.
    expanded: tuple[Expanded, ...] = ()
    # The query respelled by reading when it finds far fewer posts than that (機会学習 -> 機械学習),
    # else None; ``corrected``: the query found nothing, and these are the results of ``did_you_mean``.
    did_you_mean: str | None = None
    corrected: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

    def to_json(self) -> dict[str, object]:
        """The JSON shape shared by ``mikke search --json`` and ``GET /api/search``."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "sort": self.sort,
            "relaxed": self.relaxed,
            "ignored": list(self.ignored),
            "expanded": [e.to_json() for e in self.expanded],
            "did_you_mean": self.did_you_mean,
            "corrected": self.corrected,
            "hits": [h.to_json() for h in self.hits],
            "tags": [t.to_json() for t in self.tags],
            "categories": [c.to_json("category") for c in self.categories],
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A completion of what the reader is typing, and how many posts hold it."""

    text: str
    count: int

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "count": self.count}


@dataclass(frozen=True, slots=True)
class Suggestions:
    """The completions of one prefix: the shape of ``GET /api/suggest`` and ``mikke suggest --json``."""

    query: str
    suggestions: tuple[Suggestion, ...]

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "suggestions": [s.to_json() for s in self.suggestions]}
