"""Related posts: the content words each post stores at index time, and the posts that share the most
distinctive of them (weighted by IDF over the live index), with shared tags and categories a smaller signal.

A lookup reads one stored document, asks the index how common each of the post's words is, and runs one
query of at most QUERY_TERMS words: its cost does not grow with the site or the post.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from pathlib import PurePath
from urllib.parse import SplitResult
from urllib.parse import unquote
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import tantivy
from tantivy import Occur
from tantivy import Query

from mikke.search import schema as f
from mikke.search.analysis import Terms
from mikke.search.analysis import Word
from mikke.search.analysis import tag_key
from mikke.search.document import StoredPost
from mikke.search.document import read_post_terms
from mikke.search.errors import SearchError
from mikke.search.ranking import bm25_idf
from mikke.search.results import IndexedPost
from mikke.search.results import RelatedPost
from mikke.search.results import RelatedPosts
from mikke.search.store import Store
from mikke.search.words import posts_holding

# What one occurrence of a word counts for, by where it is: a title names what a post is about.
WEIGHT_TITLE = 3
WEIGHT_HEADING = 2
WEIGHT_BODY = 1
# Words stored per post and kind (whole words, compound parts), its most frequent first. A long post's
# distinctive words recur, so this keeps them while bounding a lookup's work.
STORED_TERMS = 256
# Words of the post a lookup searches for: the ones with the highest weight times IDF.
QUERY_TERMS = 30
# A word in more than this share of the posts is the blog's own vocabulary, not a topic: left out.
MAX_POST_SHARE = 0.5
# A compound's parts ("検索" of "全文検索") count less than whole words.
WEIGHT_PART = 0.5
# How much more a shared word counts in a candidate's title or headings than in its body.
FIELD_BOOST = {f.FIELD_BODY: 1.0, f.FIELD_HEADINGS: 1.3, f.FIELD_TITLE: 2.0}
FINE_FIELDS = {
    f.FIELD_BODY: f.FIELD_BODY_FINE,
    f.FIELD_HEADINGS: f.FIELD_HEADINGS_FINE,
    f.FIELD_TITLE: f.FIELD_TITLE_FINE,
}
# The share of a candidate's tags and categories in common with the post (Jaccard) adds at most this to
# its score, which is its text match as a share of the post's match with itself (1.0).
WEIGHT_LABELS = 0.1
# A candidate whose text matches less than this share of the post's match with itself is not related,
# whatever its tags: it shares no distinctive word worth showing.
MIN_SIMILARITY = 0.05
# Scores closer than this count as equal: the newer post comes first.
NEAR_EQUAL = 0.02
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
# Candidates read per lookup, beyond the limit: room for the ones the label signal lifts.
CANDIDATE_FACTOR = 3
# A reference to a post (path or URL) longer than this is cut; a file path's last this many parts are read.
MAX_REFERENCE_CHARS = 2000
MAX_PATH_PARTS = 16


class PostNotFound(SearchError):
    """No indexed post has the path or URL given."""


class DataFileError(SearchError):
    """The Jekyll data file cannot be written where it was asked to be."""


# Words judged per process (see _content), like the analyzer's own memory of words.
CONTENT_CACHE_LIMIT = 200_000
_CONTENT: dict[int, tuple[Word, str | None, tuple[str, ...]]] = {}
# A letter of any script: a word without one (2024, 3.5, ％) names no topic.
_LETTER_RE = re.compile(r"[^\W\d_]")


def _has_letter(term: str) -> bool:
    return _LETTER_RE.search(term) is not None


def _content(word: Word) -> tuple[str | None, tuple[str, ...]]:
    """What ``word`` contributes to a post's content words: itself (or None) and its compound parts.

    Remembered per Word object: the analyzer hands out one per dictionary word (and keeps it), so each
    is judged once per process. The entry holds the word, so its id is never reused while remembered.
    """
    known = _CONTENT.get(id(word))
    if known is not None and known[0] is word:
        return known[1], known[2]
    whole = word.text if not word.is_function_word and _has_letter(word.text) else None
    parts: tuple[str, ...] = ()
    if len(word.parts) > 1:
        # A one-character part of a compound is mostly an affix (物, 的, 性, 者): no topic.
        parts = tuple(
            p.text for p in word.parts if len(p.text) > 1 and not p.is_function_word and _has_letter(p.text)
        )
    if len(_CONTENT) >= CONTENT_CACHE_LIMIT:
        _CONTENT.clear()
    _CONTENT[id(word)] = (word, whole, parts)
    return whole, parts


def encode_post_terms(title: Terms, headings: Sequence[Terms], body: Terms) -> bytes:
    """The content words of a post (function words, numbers and symbols left out) with their weighted
    counts, as stored at index time: ``{"c": [[word, n], …], "f": [[part, n], …]}``, most frequent first."""
    whole: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    remembered = _CONTENT.get
    # The headings counted together: their weight is one integer, so the sums are the same.
    heading_words = [word for h in headings for word in h.words]
    for words, weight in (
        (title.words, WEIGHT_TITLE),
        (heading_words, WEIGHT_HEADING),
        (body.words, WEIGHT_BODY),
    ):
        # Counting the Word objects first (in C) leaves a pass of Python per distinct word; the words
        # themselves are looked up only for the few not judged yet in this process.
        by_id: dict[int, Word] | None = None
        for key, n in Counter(map(id, words)).items():
            known = remembered(key)  # an entry holds its word, so a remembered id is that word (_content)
            if known is not None:
                _, text, word_parts = known
            else:
                if by_id is None:
                    by_id = dict(zip(map(id, words), words, strict=True))
                text, word_parts = _content(by_id[key])
            if text is not None:
                whole[text] += weight * n
            for part in word_parts:
                parts[part] += weight * n
    stored = {
        "c": [[t, n] for t, n in _most_common(whole)],
        "f": [[t, n] for t, n in _most_common(parts)],
    }
    return json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _most_common(counts: Counter[str]) -> list[tuple[str, int]]:
    # Ties by the word itself, so the same post always stores the same words (two sorts in C: the second
    # is stable).
    return sorted(sorted(counts.items()), key=itemgetter(1), reverse=True)[:STORED_TERMS]


def _decode_post_terms(blob: bytes) -> dict[str, list[tuple[str, int]]]:
    try:
        stored = json.loads(blob or b"{}")
        return {kind: [(str(t), int(n)) for t, n in stored.get(kind, ())] for kind in ("c", "f")}
    except (ValueError, TypeError, AttributeError):
        return {"c": [], "f": []}


@dataclass(frozen=True, slots=True)
class _Word:
    field: str  # the body field the word is looked up in: FIELD_BODY (whole word) or FIELD_BODY_FINE
    term: str
    weight: float


class _Frequencies:
    """How many posts hold each word, asked of one searcher once (a bulk run shares it across posts)."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher
        self.posts = searcher.num_docs
        self._seen: dict[tuple[str, str], int] = {}

    def __call__(self, field: str, term: str) -> int:
        key = (field, term)
        n = self._seen.get(key)
        if n is None:
            n = self._seen[key] = posts_holding(self.searcher, field, term)
        return n


def _distinctive(stored: dict[str, list[tuple[str, int]]], freq: _Frequencies) -> list[_Word]:
    """The post's QUERY_TERMS most distinctive words: weighted count (dampened) times IDF. A word no other
    post holds cannot make another post related, and one most posts hold relates them all: both are left
    out."""
    words: list[_Word] = []
    n = freq.posts
    for kind, field, factor in (("c", f.FIELD_BODY, 1.0), ("f", f.FIELD_BODY_FINE, WEIGHT_PART)):
        for term, count in stored[kind]:
            df = freq(field, term)
            if df < 2 or df > n * MAX_POST_SHARE:
                continue
            idf = bm25_idf(n, df)
            words.append(_Word(field, term, factor * (1 + math.log(count)) * idf))
    words.sort(key=lambda w: (-w.weight, w.field, w.term))
    return words[:QUERY_TERMS]


def _query(schema: tantivy.Schema, words: Iterable[_Word]) -> Query:
    clauses: list[tuple[Occur, Query]] = []
    for word in words:
        fine = word.field == f.FIELD_BODY_FINE
        for field, boost in FIELD_BOOST.items():
            name = FINE_FIELDS[field] if fine else field
            term = Query.term_query(schema, name, word.term)
            clauses.append((Occur.Should, Query.boost_query(term, word.weight * boost)))
    return Query.boolean_query(clauses)


def _labels(post: IndexedPost) -> set[str]:
    return {"t:" + tag_key(t) for t in post.tags} | {"c:" + tag_key(c) for c in post.categories}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _newest_among_equals(ranked: list[RelatedPost]) -> list[RelatedPost]:
    """``ranked`` (best first) with each run of near-equal scores put newest first."""
    out: list[RelatedPost] = []
    group: list[RelatedPost] = []
    for post in ranked:
        if group and group[0].score - post.score > NEAR_EQUAL:
            out += sorted(group, key=lambda p: datetime.fromisoformat(p.date), reverse=True)
            group = []
        group.append(post)
    out += sorted(group, key=lambda p: datetime.fromisoformat(p.date), reverse=True)
    return out


class _Lookup:
    """Related posts of any post of one index snapshot."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.searcher = store.searcher()
        self.freq = _Frequencies(self.searcher)
        self._listed: dict[object, IndexedPost] = {}

    def listed(self, address: tantivy.DocAddress) -> IndexedPost:
        key = (address.segment_ord, address.doc)
        post = self._listed.get(key)
        if post is None:
            post = self._listed[key] = StoredPost(self.searcher.doc(address)).listed()
        return post

    def related(self, post: IndexedPost, limit: int) -> tuple[RelatedPost, ...]:
        blob = read_post_terms(self.store.text_searcher(), post.id)
        if blob is None:  # the texts index reloads on its own; an update commits it first
            blob = read_post_terms(self.store.text_searcher(fresh=True), post.id)
        words = _distinctive(_decode_post_terms(blob or b""), self.freq)
        if not words:
            return ()
        query = _query(self.store.schema, words)
        found = self.searcher.search(query, limit * CANDIDATE_FACTOR + 1, count=False).hits
        own = next((float(s) for s, a in found if self.listed(a).id == post.id), None)
        if own is None:
            own = self._own_score(query, post.id)
        if not own:
            return ()
        labels = _labels(post)
        ranked = []
        for score, address in found:
            other = self.listed(address)
            similarity = float(score) / own
            if other.id == post.id or similarity < MIN_SIMILARITY:
                continue
            combined = similarity + WEIGHT_LABELS * _jaccard(labels, _labels(other))
            ranked.append(RelatedPost.of(other, round(combined, 4)))
        ranked.sort(key=lambda p: (-p.score, p.id))
        return tuple(_newest_among_equals(ranked)[:limit])

    def _own_score(self, query: Query, post_id: str) -> float:
        itself = Query.term_query(self.store.schema, f.FIELD_ID, post_id)
        hits = self.searcher.search(
            Query.boolean_query([(Occur.Should, query), (Occur.Must, Query.const_score_query(itself, 0.0))]),
            1,
            count=False,
        ).hits
        return float(hits[0][0]) if hits else 0.0

    def find(self, reference: str) -> IndexedPost:
        for field, value in _candidate_keys(reference):
            hits = self.searcher.search(
                Query.term_query(self.store.schema, field, value), 1, count=False
            ).hits
            if hits:
                return self.listed(hits[0][1])
        shown = reference if len(reference) <= 80 else reference[:80] + "…"
        raise PostNotFound(
            f"No indexed post has the path or URL {shown!r}. Give a post's path as `mikke list` shows it "
            "(_posts/…), or its URL."
        )


def _path_forms(path: str) -> list[str]:
    forms = []
    for p in (path, unquote(path)):
        forms.append(p)
        if p.endswith("/index.html"):
            forms.append(p.removesuffix("index.html"))
        elif not p.endswith("/"):
            forms.append(p + "/")
    return forms


def _candidate_keys(reference: str) -> list[tuple[str, str]]:
    """The (field, value) pairs a reference may name a post by, most exact first (a few dozen at most).

    A file path names the post whose id (its path under the site) ends it: ``site/_posts/x.md`` and
    ``/home/me/site/_posts/x.md`` both name ``_posts/x.md``. Nothing is read from disk.
    """
    reference = reference.strip()[:MAX_REFERENCE_CHARS]
    if not reference or not f.is_utf8(reference):
        return []
    keys = [(f.FIELD_ID, reference)]
    parts = _split_url(reference)
    if parts is not None and parts.scheme in ("http", "https") and parts.netloc:
        keys.append((f.FIELD_URL, urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))))
        keys += [(f.FIELD_URL, p) for p in _path_forms(parts.path or "/")]
        return list(dict.fromkeys(keys))
    names = PurePath(reference).parts[-MAX_PATH_PARTS:]
    keys += [(f.FIELD_ID, "/".join(names[i:])) for i in range(len(names))]
    if parts is not None and reference.startswith("/"):
        keys += [(f.FIELD_URL, p) for p in _path_forms(parts.path)]
    return list(dict.fromkeys(keys))


def _split_url(reference: str) -> SplitResult | None:
    """``reference`` split as a URL, or ``None`` where urlsplit refuses it: an unbalanced IPv6 bracket
    (``http://[x``, ``//[x``) raises ValueError. No post's URL is written so (each is split as it is
    indexed), so such a reference can only be a path under the site (docs/DESIGN.md, Traps: T35)."""
    try:
        return urlsplit(reference)
    except ValueError:
        return None


def related_posts(store: Store, reference: str, *, limit: int = DEFAULT_LIMIT) -> RelatedPosts:
    """The posts most related to the post ``reference`` names, best first.

    :param store: an opened :class:`~search.store.Store`.
    :param reference: the post's id (its path under the site, as ``mikke list`` shows it), a path to its
        file, its URL, or the URL's path (``/blog/2024/05/01/foo/``).
    :param limit: how many at most (clamped to 1…MAX_LIMIT).
    :raises PostNotFound: no indexed post has that path or URL.
    """
    lookup = _Lookup(store)
    post = lookup.find(reference)
    return RelatedPosts(post, lookup.related(post, _clamp(limit)))


def all_related(store: Store, *, limit: int = DEFAULT_LIMIT) -> list[RelatedPosts]:
    """The related posts of every indexed post, newest post first (one snapshot of the index)."""
    lookup = _Lookup(store)
    searcher = lookup.searcher
    if not searcher.num_docs:
        return []
    posts = [lookup.listed(a) for _, a in searcher.search(Query.all_query(), searcher.num_docs).hits]
    posts.sort(key=lambda p: p.id)
    posts.sort(key=lambda p: datetime.fromisoformat(p.date), reverse=True)
    limit = _clamp(limit)
    return [RelatedPosts(p, lookup.related(p, limit)) for p in posts]


def jekyll_data(
    related: Iterable[RelatedPosts], collections_dir: str = ""
) -> dict[str, list[dict[str, str]]]:
    """The related posts as a Jekyll data file holds them: by the post's path (Jekyll's ``page.path``, from
    the site's ``collections_dir``), each a list of ``{url, title, date}``."""
    prefix = f"{collections_dir}/" if collections_dir else ""
    return {
        r.post.id.removeprefix(prefix): [{"url": p.url, "title": p.title, "date": p.date} for p in r.related]
        for r in related
    }


def _clamp(limit: int) -> int:
    return min(max(limit, 1), MAX_LIMIT)


def _data_file(target: Path) -> os.stat_result | None:
    """What is at ``target`` (None: nothing yet), once its folder is there and it is a file to replace.

    :raises DataFileError: the folder cannot be made, or ``target`` is not a regular file.
    """
    folder = target.parent
    if not folder.is_dir():
        # The folder a data file goes in is made (a new site has no _data/), not a whole missing path:
        # that is more likely a mistyped one than a place to build.
        try:
            os.mkdir(folder)
        except FileNotFoundError:
            raise DataFileError(
                f"Cannot write {target}: there is no folder {folder.parent}/; create it first."
            ) from None
        except OSError as e:
            raise DataFileError(f"Cannot write {target}: cannot make {folder}/: {e.strerror or e}.") from None
    try:
        existing = os.lstat(target)
    except FileNotFoundError:
        existing = None
    except OSError as e:
        raise DataFileError(f"Cannot write {target}: {e.strerror or e}.") from None
    if existing is not None and stat.S_ISLNK(existing.st_mode):
        raise DataFileError(
            f"Cannot write {target}: it is a symbolic link; give the path of the file it points to."
        )
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise DataFileError(f"Cannot write {target}: it is not a regular file; give the path of a JSON file.")
    return existing


def write_jekyll_data(path: str | Path, related: Iterable[RelatedPosts], *, collections_dir: str = "") -> int:
    """Write :func:`jekyll_data` of ``related`` as JSON to ``path``, replacing the file at once (a file
    written beside it, then renamed over it) so that a Jekyll build running meanwhile reads the old file or
    the new one, whole.

    ``path``'s folder is made if its own parent exists (a site's ``_data/``; no deeper path is made), and
    ``path`` must be absent or a regular file: a symbolic link is refused
    rather than replaced by a file (its target would silently stay old), and so is anything else (a
    device, a pipe), which a rename would replace.

    :return: the number of posts written.
    :raises DataFileError: the folder is missing, ``path`` is not a regular file, or writing fails.
    """
    target = Path(path)
    folder = target.parent
    existing = _data_file(target)
    data = jekyll_data(related, collections_dir)
    # Beside the target (one file system, so the rename is atomic), with the modes the umask gives.
    temp = folder / f".{target.name}.{os.getpid()}.tmp"
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)  # left by a killed run of a process with the same id
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        with open(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())  # the new file's data is on disk before the rename names it
        if existing is not None:  # a replaced file keeps who may read it
            os.chmod(temp, stat.S_IMODE(existing.st_mode))
        os.replace(temp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise DataFileError(f"Cannot write {target}: {e.strerror or e}.") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return len(data)
