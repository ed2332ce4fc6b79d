"""Building and updating the index from a Jekyll site: full rebuilds into a fresh generation, incremental
updates in place, parsing and analysis spread over worker processes (docs/DESIGN.md, "Build speed").

Every write is an explicit commit, or a rollback on error: tantivy's `with writer:` would commit even
when the block raised (docs/DESIGN.md, T12).
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TypeVar

import tantivy

from mikke.search import schema as f
from mikke.search.analysis import Sentence
from mikke.search.analysis import analyzer_version
from mikke.search.analysis import get_analyzer
from mikke.search.config import INDEX_MEMORY_MB
from mikke.search.config import checked_setting
from mikke.search.document import AnalyzedPost
from mikke.search.document import ManifestEntry
from mikke.search.document import TextTerms
from mikke.search.document import build_documents
from mikke.search.document import decode_manifest_entry
from mikke.search.document import term_span_shards
from mikke.search.document import term_spans
from mikke.search.errors import IndexBuildError
from mikke.search.errors import SiteError
from mikke.search.failpoints import failpoint
from mikke.search.markdown_text import TEXT_VERSION
from mikke.search.posts import Post
from mikke.search.posts import PostSkipped
from mikke.search.posts import SiteConfig
from mikke.search.readings import post_vocabulary
from mikke.search.related import encode_post_terms
from mikke.search.schema import SCHEMA_VERSION
from mikke.search.schema import build_schema
from mikke.search.site import Collision
from mikke.search.site import SiteScan
from mikke.search.site import Skipped
from mikke.search.site import read_site_config
from mikke.search.site import read_site_file
from mikke.search.site import scan_site
from mikke.search.store import SYNONYMS_FILE
from mikke.search.store import BuildInfo
from mikke.search.store import IndexPair
from mikke.search.store import Store
from mikke.search.store import clear_update_mark
from mikke.search.store import create_generation
from mikke.search.store import live_generation
from mikke.search.store import mark_update
from mikke.search.store import open_generation_for_update
from mikke.search.store import publish_generation
from mikke.search.store import remove_stale_generations
from mikke.search.store import share_generation
from mikke.search.store import update_interrupted
from mikke.search.store import write_build_info
from mikke.search.store import write_generation_file
from mikke.search.store import writer_lock
from mikke.search.synonyms import OWNER_FILE
from mikke.search.synonyms import parse_owner_synonyms
from mikke.search.synonyms import post_pairs
from mikke.search.template import TemplateRule
from mikke.search.template import count_blocks
from mikke.search.template import fingerprint
from mikke.search.template import template_keys
from mikke.search.template import without_template

# Blocks counted when an update works out the site's template (only those recurring often enough).
MAX_TEMPLATE_CANDIDATES = 65_000
# Below this many posts to parse or analyse, starting workers costs more than it saves: a worker takes about
# 0.3 s to start (spawn, imports, its dictionary) and a post about 25 ms to parse and analyse, so two
# workers pay off from about 30 posts. An incremental run with a few changed posts stays in one process.
MIN_POSTS_FOR_POOL = 32
# Tasks queued per worker process ahead of the one whose result is awaited: enough to keep every worker
# busy while results are taken in order, few enough to bound the memory results can hold.
TASKS_PER_WORKER = 4

ProgressCallback = Callable[[int, int], None]


@dataclass(slots=True)
class IndexReport:
    """What an index run did; ``to_json()`` is the summary ``mikke index --json`` prints."""

    mode: str  # "full" or "incremental"
    files: int = 0  # files found in the site's _posts/ folders
    posts: int = 0  # posts in the index after the run
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    full_reason: str = ""
    template_blocks: int = 0  # distinct text blocks found to be site template (search/template.py)
    template_chars: int = 0  # characters of template taken out of the posts this run indexed
    synonym_groups: int = 0  # groups in the site's _data/mikke_synonyms.yml (search/synonyms.py)
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "full_reason": self.full_reason or None,
            "files": self.files,
            "posts": self.posts,
            "template_blocks": self.template_blocks,
            "template_chars": self.template_chars,
            "synonym_groups": self.synonym_groups,
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "collisions": [
                {"url": c.url, "kept": c.kept, "overwritten": list(c.overwritten)} for c in self.collisions
            ],
            "seconds": round(self.seconds, 3),
        }


def analyze_post(post: Post) -> AnalyzedPost:
    """Run the Japanese analysis over every text field of ``post`` (in worker processes)."""
    analyzer = get_analyzer()
    sentences: dict[str, Sentence] = {}  # a sentence repeated in the post is analysed once
    title = analyzer.terms(post.title, sentences=sentences)
    body = analyzer.terms(post.text, sentences=sentences)
    headings = [analyzer.terms(h, sentences=sentences) for h in post.headings]
    # Each text with its terms, and whether it is the title or a heading, for the vocabulary and pairs.
    texts = [(post.title, title, True)]
    texts += [(text, terms, True) for text, terms in zip(post.headings, headings, strict=True)]
    texts.append((post.text, body, False))
    return AnalyzedPost(
        title=TextTerms.tokens(title),
        headings=[TextTerms.joined(h) for h in headings],
        body=TextTerms.joined(body),
        title_spans=term_spans(title),
        body_spans=term_span_shards(body),
        vocabulary=tuple(post_vocabulary(texts)),
        pairs=tuple(dict.fromkeys(pair for text, terms, _ in texts for pair in post_pairs(text, terms))),
        related_terms=encode_post_terms(title, headings, body),
    )


# Linux's prctl option that sends a signal to this process when the thread that started it ends.
_PR_SET_PDEATHSIG = 1
# How often a worker on another system checks that the process that started it is still there.
PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    """End this worker process when ``parent`` (the index run that started it) ends, even by ``kill -9``.

    A pool worker otherwise waits for its next task for ever: it holds the write end of its own task queue,
    so it never sees the queue close (docs/DESIGN.md, T23). On Linux the kernel sends SIGKILL; elsewhere a
    thread polls.
    """
    armed = False
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if not armed:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(PARENT_POLL_SECONDS)
            os._exit(1)

        threading.Thread(target=watch, name="mikke-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # it ended before the signal was armed
        os._exit(1)


def _init_worker(parent: int) -> None:
    _die_with_parent(parent)
    # One Sudachi Dictionary per worker, loaded before the first post; Sudachi objects do not pickle (T3).
    get_analyzer()


T = TypeVar("T")
R = TypeVar("R")


class Workers:
    """The worker processes of one index run, started when first needed and used for parsing, then
    analysis; ``jobs`` <= 1, or too few items to pay for starting them, runs everything in this process.

    Results come back in order; at most :data:`TASKS_PER_WORKER` tasks per worker are in flight, so a slow
    consumer never makes results pile up in memory.
    """

    def __init__(self, jobs: int = 0) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._leaving: list[multiprocessing.process.BaseProcess] = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def release(self) -> None:
        """Let the worker processes end without waiting for them: the run has no more work for them, and
        they exit (a tenth of a second or more) while this process commits. :meth:`close` waits for them."""
        if self._pool is not None:
            self._leaving += self._pool._processes.values() if self._pool._processes else []
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """End the worker processes and wait until they have."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for process in self._leaving:
            process.join()
        self._leaving = []

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``items``, in order; ``fn`` must be a module-level function (it is pickled)."""
        items = iter(items)
        head = list(itertools.islice(items, MIN_POSTS_FOR_POOL))
        if self.jobs <= 1 or (self._pool is None and len(head) < MIN_POSTS_FOR_POOL):
            yield from map(fn, itertools.chain(head, items))
            return
        pool = self._start()
        pending: deque[Future[R]] = deque()
        try:
            for item in itertools.chain(head, items):
                pending.append(pool.submit(fn, item))
                if len(pending) >= self.jobs * TASKS_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # the consumer stopped early or a task failed
                future.cancel()

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the parent may hold threads (servers, watchers) that fork would copy in a broken state.
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        return self._pool


def _write(
    indexes: IndexPair,
    posts: Sequence[Post],
    delete_ids: Iterable[str],
    *,
    workers: Workers,
    progress: ProgressCallback | None,
    memory_mb: int = INDEX_MEMORY_MB,
) -> None:
    """Delete the posts ``delete_ids``, add ``posts``, and commit both indexes, or roll back on any error.

    A post's text is committed before the post itself, so whoever sees a post can read its text; texts
    that no post refers to any more are deleted last (see docs/DESIGN.md, "Publishing").

    Each writer has one thread (the cores are the analysis's) and ``memory_mb``: it writes a segment each
    time its memory fills, and every segment is one more of everything a search does per segment (its
    terms looked up, its postings started, its tags counted and merged), so a full build that fits in
    memory writes one (docs/DESIGN.md, "Search speed at scale"). tantivy takes the memory only as it fills.
    """
    budget = memory_mb * 1_000_000
    texts = indexes.texts.writer(budget, 1)
    writer = indexes.posts.writer(budget, 1)
    try:
        for post_id in delete_ids:
            writer.delete_documents_by_term(f.FIELD_ID, post_id)
        for post in posts:
            texts.delete_documents_by_term(f.TEXT_FIELD_ID, post.id)  # the text this one replaces
        total = len(posts)
        if progress:
            progress(0, total)
        analyzed = workers.map(analyze_post, posts)
        for done, (post, analysis) in enumerate(zip(posts, analyzed, strict=True), start=1):
            if done == total:
                workers.release()  # the last result is in: the workers exit while the documents commit
            docs = build_documents(post, analysis)
            for text in docs.texts:
                texts.add_document(text)
            writer.add_document(docs.post)
            if done == 1:
                failpoint("first-document-added")
            if progress:
                progress(done, total)
        failpoint("documents-added")
        texts.commit()
        failpoint("texts-committed")
        writer.commit()
        writer.wait_merging_threads()
        failpoint("committed")
        indexes.posts.reload()
        for post_id in _text_ids(indexes.texts) - set(read_manifest(indexes.posts.searcher())):
            texts.delete_documents_by_term(f.TEXT_FIELD_ID, post_id)
        texts.commit()
        texts.wait_merging_threads()
    except BaseException:
        writer.rollback()
        texts.rollback()
        raise


def _text_ids(index: tantivy.Index) -> set[str]:
    """The ids of every post the texts index holds a text of."""
    index.reload()
    searcher = index.searcher()
    size = max(searcher.num_docs, 1)
    result = searcher.aggregate(
        tantivy.Query.all_query(), {"ids": {"terms": {"field": f.TEXT_FIELD_ID, "size": size}}}
    )
    return {str(bucket["key"]) for bucket in result["ids"]["buckets"]}


def index_posts(
    store: Store, posts: Sequence[Post], *, delete_ids: Iterable[str] = (), jobs: int = 1
) -> None:
    """Add ``posts`` to an opened (usually in-RAM) store, replacing earlier versions, and reload it."""
    ids = {p.id for p in posts} | set(delete_ids)
    with Workers(jobs) as workers:
        _write(store.indexes, posts, sorted(ids), workers=workers, progress=None)
    store.reload()


def read_manifest(searcher: tantivy.Searcher, where: Path | None = None) -> dict[str, ManifestEntry]:
    """Return every indexed post's :class:`ManifestEntry`, in one aggregation over a fast field.

    :param where: the generation folder, named in the error.
    :raises IndexBuildError: the index holds entries this version cannot read; the message names ``--full``.
    """
    size = max(searcher.num_docs, 1)
    try:
        result = searcher.aggregate(
            tantivy.Query.all_query(), {"s": {"terms": {"field": f.FIELD_SOURCE, "size": size}}}
        )
        entries = [decode_manifest_entry(str(bucket["key"])) for bucket in result["s"]["buckets"]]
    except (ValueError, KeyError, TypeError) as e:
        place = f"{where}/" if where else "this index"
        raise IndexBuildError(
            f"The list of indexed posts in {place} cannot be read back ({e}); "
            "rebuild the index with `mikke index --full SITE`."
        ) from None
    return {entry.id: entry for entry in entries}


def site_build_info(config: SiteConfig, *, include_hidden: bool) -> BuildInfo:
    """The :class:`BuildInfo` a build of this site with the current code would have."""
    return BuildInfo(
        schema_version=SCHEMA_VERSION,
        # The clean text's rules count as analysis: a change to either changes what is indexed.
        analyzer_version=f"{analyzer_version()}/text-{TEXT_VERSION}",
        site_fingerprint=f"{config.fingerprint()}|hidden={include_hidden}",
        site_timezone=config.timezone,
        site_root=str(config.root),
        created_at=time.time(),
        collections_dir=config.collections_dir,
    )


@dataclass(frozen=True, slots=True)
class _Build:
    """What one index run works with, whatever its kind."""

    config: SiteConfig
    root: Path
    include_hidden: bool
    follow_symlinks: bool
    template: TemplateRule
    jobs: int
    memory_mb: int
    progress: ProgressCallback | None

    def owner_synonyms(self, root: Path, generation: str) -> tuple[int, list[Skipped]]:
        """Store the site owner's synonym groups with generation ``generation`` (none without the file),
        so that the server reads them with the index: ``(groups, the file if it was skipped)``."""
        groups: list[list[str]] = []
        skipped: list[Skipped] = []
        site = Path(self.config.root)
        if (site / OWNER_FILE).exists() or (site / OWNER_FILE).is_symlink():
            try:
                raw = read_site_file(site.resolve(), OWNER_FILE, follow_symlinks=self.follow_symlinks)
                groups = parse_owner_synonyms(raw)
            except PostSkipped as e:
                skipped.append(Skipped(OWNER_FILE, e.reason))
            except ValueError as e:
                skipped.append(Skipped(OWNER_FILE, str(e)))
        write_generation_file(root, generation, SYNONYMS_FILE, json.dumps(groups, ensure_ascii=False))
        return len(groups), skipped

    def run(self, *, full: bool) -> IndexReport:
        """Update the live generation in place, or build a new one when ``full`` is asked for, there is
        none, or it no longer fits the site (its schema, analysis, URL settings or template text)."""
        info = site_build_info(self.config, include_hidden=self.include_hidden)
        live = live_generation(self.root)
        reason = ""
        if full:
            reason = "requested with --full"
        elif live is None:
            reason = "no index yet"
        elif not live[1].compatible_with(info):
            reason = _incompatibility(live[1], info)
        elif update_interrupted(self.root, live[0]):
            reason = "the last update of the index did not finish"
        report = None if reason else _incremental_build(self, live[0], live[1]) if live else None
        if report is None:
            report = _full_build(self, info)
            report.full_reason = reason or "the site's template text changed"
        return report

    def scan(self, known: dict[str, ManifestEntry], workers: Workers) -> SiteScan:
        return scan_site(
            self.config,
            known,
            include_hidden=self.include_hidden,
            follow_symlinks=self.follow_symlinks,
            map_posts=workers.map,
        )


def build_index(
    site_root: str | os.PathLike[str],
    index_root: str | os.PathLike[str],
    *,
    full: bool = False,
    include_hidden: bool = False,
    follow_symlinks: bool = True,
    site_url: str = "",
    template: TemplateRule | None = None,
    jobs: int = 0,
    memory_mb: int = INDEX_MEMORY_MB,
    wait: float = 0,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Bring the index at ``index_root`` up to date with the site at ``site_root``.

    Incremental by default: only new or changed posts are analysed, deleted ones leave. A full rebuild
    (``full=True``, or when the schema, analyzer, dictionary or URL-affecting settings changed) is
    written into a fresh generation and published atomically; a failed or killed build leaves the
    previous index serving.

    Only files inside the site are read: symbolic links leaving it are skipped and reported, and with
    ``follow_symlinks=False`` every link is. ``site_url`` replaces the site's ``url`` in links (where the
    site is served while trying it locally). Text blocks that recur across the site's posts as ``template``
    says (by default in 5 posts and 2 % of them) are site template and are not indexed.

    :raises SiteError: the site folder or its ``_config.yml`` cannot be read.
    :raises IndexLocked: another process is updating this index.
    :raises IndexBuildError: the index cannot be written; the previous one is untouched.
    :raises SettingError: ``memory_mb`` is outside what tantivy accepts (MIKKE_INDEX_MEMORY_MB's bounds).
    """
    started = time.perf_counter()
    # Before anything is created; the setting's bounds are what tantivy accepts.
    memory_mb = checked_setting("index_memory_mb", memory_mb)
    site_path = Path(site_root)
    if not site_path.is_dir():
        raise SiteError(f"No site at {site_path}/; pass the folder that holds _config.yml and _posts/.")
    root = Path(index_root)
    lock = writer_lock(root, wait=wait)
    try:
        remove_stale_generations(root)  # leftovers of killed builds; safe while we hold the lock
        config = read_site_config(site_path, follow_symlinks=follow_symlinks, site_url=site_url)
        build = _Build(
            config,
            root,
            include_hidden,
            follow_symlinks,
            template or TemplateRule(),
            jobs,
            memory_mb,
            progress,
        )
        report = build.run(full=full)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _incompatibility(old: BuildInfo, new: BuildInfo) -> str:
    if old.schema_version != new.schema_version:
        return "the index schema changed"
    if old.analyzer_version != new.analyzer_version:
        return "the analyzer or dictionary changed"
    return "site settings that change URLs or the text of posts changed"


def _full_build(build: _Build, info: BuildInfo) -> IndexReport:
    root = build.root
    # The worker processes parse the posts, then analyse the published ones without their template.
    with Workers(build.jobs) as workers:
        scan = build.scan({}, workers)
        template = template_keys(count_blocks(scan.changed), len(scan.changed), build.template)
        posts = [without_template(p, template) for p in scan.changed]
        info = dataclasses.replace(
            info,
            template_fingerprint=fingerprint(template),
            template_blocks=len(template),
            template_rule=build.template.key(),
        )
        name, indexes = create_generation(root, info)
        try:
            _write(indexes, posts, (), workers=workers, progress=build.progress, memory_mb=build.memory_mb)
            synonym_groups, synonyms_skipped = build.owner_synonyms(root, name)
            share_generation(root, name)
        except BaseException as e:
            shutil.rmtree(root / name, ignore_errors=True)
            if isinstance(e, (OSError, ValueError)):
                raise IndexBuildError(
                    f"Building the index under {root}/ failed: {e}. The previous index is unchanged."
                ) from e
            raise
    publish_generation(root, name)
    return IndexReport(
        mode="full",
        files=scan.files,
        posts=len(posts),
        added=[p.id for p in posts],
        skipped=[*scan.skipped, *synonyms_skipped],
        collisions=scan.collisions,
        template_blocks=len(template),
        template_chars=sum(p.template_chars for p in posts),
        synonym_groups=synonym_groups,
    )


def _incremental_build(build: _Build, generation: str, info: BuildInfo) -> IndexReport | None:
    """Update generation ``generation`` in place; ``None`` when the site's template text changed, which
    changes posts that did not change themselves (a full rebuild is then due)."""
    root = build.root
    indexes = open_generation_for_update(root, generation)
    indexes.reload()
    manifest = read_manifest(indexes.posts.searcher(), root / generation)
    with Workers(build.jobs) as workers:
        scan = build.scan(manifest, workers)
        changed, unchanged = scan.changed, scan.unchanged
        changed_ids = {p.id for p in changed}
        removed = sorted(set(manifest) - unchanged - changed_ids)
        updated = sorted(changed_ids & set(manifest))
        added = sorted(changed_ids - set(manifest))
        template_chars = 0
        # A rule other than the one the index was built with (MIKKE_TEMPLATE_MIN_POSTS, _MIN_SHARE) may find
        # other template in posts that did not change: it is worked out again even when no post changed.
        new_rule = info.template_rule != build.template.key()
        if changed or removed or new_rule:
            posts = len(unchanged) + len(changed)
            least = build.template.threshold(posts) - len(changed)  # fewer unchanged posts cannot make it
            counts = _block_counts(indexes.posts, {*removed, *updated}, least)
            counts.update(count_blocks(changed))
            template = template_keys(counts, posts, build.template)
            if fingerprint(template) != info.template_fingerprint:
                return None
            changed = [without_template(p, template) for p in changed]
        if changed or removed:
            template_chars = sum(p.template_chars for p in changed)
            _update_in_place(build, generation, indexes, changed, [*removed, *updated], workers)
        if new_rule:  # it finds the template the index was built without: remembered, not checked again
            remembered = dataclasses.replace(info, template_rule=build.template.key())
            try:
                write_build_info(root, generation, remembered)
            except OSError as e:
                raise IndexBuildError(f"Updating the index under {root}/ failed: {e}.") from e
        # The owner's list may change alone: it is stored again on every run.
        synonym_groups, synonyms_skipped = build.owner_synonyms(root, generation)
        share_generation(root, generation)
    return IndexReport(
        mode="incremental",
        files=scan.files,
        posts=len(unchanged) + len(changed),
        added=added,
        updated=updated,
        removed=removed,
        unchanged=len(unchanged),
        skipped=[*scan.skipped, *synonyms_skipped],
        collisions=scan.collisions,
        template_blocks=info.template_blocks,
        template_chars=template_chars,
        synonym_groups=synonym_groups,
    )


def _update_in_place(
    build: _Build,
    generation: str,
    indexes: IndexPair,
    changed: list[Post],
    leaving: list[str],
    workers: Workers,
) -> None:
    """Write ``changed`` posts and delete the ``leaving`` ids in the live ``generation``, marked as being
    updated until both indexes are committed."""
    try:
        mark_update(build.root, generation)
        _write(indexes, changed, leaving, workers=workers, progress=build.progress, memory_mb=build.memory_mb)
        # Kept when _write fails: it may have committed the texts and not the posts.
        clear_update_mark(build.root, generation)
    except (OSError, ValueError) as e:
        raise IndexBuildError(
            f"Updating the index under {build.root}/ failed: {e}. The previous index is unchanged."
        ) from e


def _block_counts(index: tantivy.Index, leaving: set[str], least: int) -> Counter[str]:
    """In how many indexed posts, not counting the ``leaving`` ones, each text block is; blocks in fewer
    than ``least`` are left out (they cannot become template in this run)."""
    searcher = index.searcher()
    clauses = [(tantivy.Occur.Must, tantivy.Query.all_query())]
    schema = build_schema()
    clauses += [(tantivy.Occur.MustNot, tantivy.Query.term_query(schema, f.FIELD_ID, i)) for i in leaving]
    agg = searcher.aggregate(
        tantivy.Query.boolean_query(clauses),
        {
            "b": {
                "terms": {
                    "field": f.FIELD_BLOCKS,
                    "size": MAX_TEMPLATE_CANDIDATES,
                    "min_doc_count": max(1, least),
                }
            }
        },
    )
    return Counter({str(b["key"]): int(b["doc_count"]) for b in agg["b"]["buckets"]})
