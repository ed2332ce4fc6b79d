"""The on-disk index layout and the only code that constructs a ``tantivy.Index``.

An index folder holds generation folders (``gen-*``: the posts index, the texts index in ``text/``, and
``mikke.json``) and a ``CURRENT`` file naming the live one. A full rebuild writes a new generation and
swaps ``CURRENT`` atomically; readers notice the swap on their next search. ``.lock`` serialises writers.
Nothing here is ever writable by other users, whatever the umask, and a server refuses an index that is.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import stat
import threading
import time
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

import filelock
import tantivy

from mikke.search.errors import IndexBuildError
from mikke.search.errors import IndexLocked
from mikke.search.errors import IndexMissing
from mikke.search.failpoints import failpoint
from mikke.search.schema import SCHEMA_VERSION
from mikke.search.schema import build_schema
from mikke.search.schema import build_text_schema

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
INFO_FILE = "mikke.json"
LOCK_FILE = ".lock"
GENERATION_PREFIX = "gen-"
TEXT_FOLDER = "text"  # the texts index, inside each generation folder
TANTIVY_META_LOCK = ".tantivy-meta.lock"
TANTIVY_META_FILE = "meta.json"  # rewritten (by a rename) on every commit
# Generations kept besides the live one, so a server that has not yet noticed a swap keeps working.
KEEP_PREVIOUS_GENERATIONS = 1
# How often a server retries a published generation it could not open (it keeps the old one meanwhile).
REOPEN_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What a generation was built from; a difference in any of these forces a full rebuild."""

    schema_version: str
    analyzer_version: str
    site_fingerprint: str
    site_timezone: str
    site_root: str
    created_at: float
    template_fingerprint: str = ""  # the site template taken out of posts (search/template.py)
    template_blocks: int = 0
    # The rule that found that template (TemplateRule.key()); "" in an index built before it was recorded.
    template_rule: str = ""
    collections_dir: str = ""  # the site's collections_dir: Jekyll's page.path of a post is from there

    def compatible_with(self, other: BuildInfo) -> bool:
        return (
            self.schema_version == other.schema_version
            and self.analyzer_version == other.analyzer_version
            and self.site_fingerprint == other.site_fingerprint
        )


@dataclass(frozen=True, slots=True)
class IndexPair:
    """The two tantivy indexes of one generation (see search/schema.py)."""

    posts: tantivy.Index  # searched: terms, filters, each post's light stored fields
    texts: tantivy.Index  # each post's clean text and term offsets, read only to cut excerpts

    def reload(self) -> None:
        self.posts.reload()
        self.texts.reload()


def _read_info(gen_path: Path) -> BuildInfo:
    data = json.loads((gen_path / INFO_FILE).read_text("utf-8"))
    return BuildInfo(**data)


# Modes mikke creates its files and folders with; the umask can only take bits away, so none is ever
# world-writable, and group write is kept when the umask grants it (the shared-group setup of the README).
FILE_MODE = 0o664
FOLDER_MODE = 0o775


def _write_json_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a killed run's leftover: never write into a file mikke did not just create
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    with open(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# Beside the indexes in a generation: the blog owner's synonym groups, rewritten by every index run.
SYNONYMS_FILE = "site-synonyms.json"


# In a generation while an update commits to it, removed once both indexes are committed: the texts index
# commits before the posts index, so an update that dies between the two leaves texts that the posts do
# not match (an edited post's new text under its old terms), which no later update can see, since the
# manifest still names the old file. The next run rebuilds instead of trusting the generation.
UPDATE_MARK_FILE = "update-in-progress"


def mark_update(root: Path, name: str) -> None:
    """Record, durably, that an update of generation ``name`` is about to commit."""
    _write_json_atomically(root / name / UPDATE_MARK_FILE, f"{os.getpid()}\n")


def clear_update_mark(root: Path, name: str) -> None:
    """Record that the update of generation ``name`` committed both indexes."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(root / name / UPDATE_MARK_FILE)
    _fsync_dir(root / name)


def update_interrupted(root: Path, name: str) -> bool:
    """Whether an update of generation ``name`` began committing and never finished."""
    return os.path.lexists(root / name / UPDATE_MARK_FILE)


def write_build_info(root: Path, name: str, info: BuildInfo) -> None:
    """Replace what generation ``name`` records of its build (an update that keeps it under a new rule)."""
    _write_json_atomically(root / name / INFO_FILE, json.dumps(asdict(info), ensure_ascii=False))


def write_generation_file(root: Path, name: str, filename: str, text: str) -> None:
    """Replace the file ``filename`` of generation ``name`` atomically, with the mode of mikke's files."""
    _write_json_atomically(root / name / filename, text)


def _make_folders(path: Path) -> None:
    """Create ``path`` and its missing parents with :data:`FOLDER_MODE` (minus the umask)."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, FOLDER_MODE)


def _drop_world_write(path: Path) -> None:
    """Take write permission for other users away from ``path``; keep every other bit (setgid too)."""
    mode = os.lstat(path).st_mode
    if mode & stat.S_IWOTH and not stat.S_ISLNK(mode):
        os.chmod(path, stat.S_IMODE(mode) & ~stat.S_IWOTH)


def _world_writable_path(root: Path, name: str) -> Path | None:
    """The first path of generation ``name`` that every user of the machine may write, or ``None``.

    Checks the index folder, ``CURRENT``, the generation folder and its files: whoever can write any of
    them chooses what a server answers.
    """
    gen_path = root / name
    candidates = [root, root / CURRENT_FILE]
    for folder in (gen_path, gen_path / TEXT_FOLDER):
        candidates.append(folder)
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            candidates.extend(Path(entry.path) for entry in entries if entry.name != TEXT_FOLDER)
    for path in candidates:
        try:
            if os.stat(path).st_mode & stat.S_IWOTH:
                return path
        except FileNotFoundError:  # tantivy removed a file it replaced
            continue
    return None


def _refuse_world_writable(root: Path, name: str) -> None:
    """Refuse generation ``name`` if any of it is world-writable.

    :raises IndexMissing: saying which path, and how to fix it.
    """
    path = _world_writable_path(root, name)
    if path is not None:
        raise IndexMissing(
            f"Refusing to open the index at {root / name}: {path} is writable by every user of this machine, "
            f"so anyone could change what mikke serves. Run `chmod -R o-w {root}`, and rebuild it with "
            "`mikke index --full SITE` if you do not trust its contents."
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_current(root: Path) -> str | None:
    """Return the name of the live generation under ``root``, or ``None`` when there is none.

    :raises IndexMissing: ``CURRENT`` is there but cannot be read (permissions, a folder in its place).
    """
    path = root / CURRENT_FILE
    try:
        name = path.read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError:
        return None  # bytes that are no generation's name, like any other text that is not one
    except OSError as e:
        raise IndexMissing(
            f"Cannot read {path} ({e.strerror or e}): it must be a file that the user running mikke may "
            'read, naming the live generation (README, "The index folder").'
        ) from e
    if not name.startswith(GENERATION_PREFIX) or "/" in name or not (root / name).is_dir():
        return None
    return name


def missing_index(root: Path, doing: str = "") -> IndexMissing:
    """The error for an index folder ``root`` where :func:`read_current` found no live generation, saying
    why (no folder, a file, no ``CURRENT``, or one naming no generation folder) and what to run.

    :param doing: what the index was wanted for (" to ship"), said after its path.
    """
    current = root / CURRENT_FILE
    if not os.path.lexists(root):
        reason = "there is no such folder"
    elif not root.is_dir():
        reason = "it is a file, not a folder"
    elif not os.path.lexists(current):
        reason = "it holds no CURRENT file"
    else:
        try:
            named = current.read_bytes()[:200].decode("utf-8", "replace").strip()
        except OSError:
            named = ""
        reason = f"its CURRENT file names {named!r}, which is no generation folder in it"
    return IndexMissing(f"No index at {root}/{doing}: {reason}; run `mikke index SITE --index {root}` first.")


_STORE_SERIALS = itertools.count()


class Store:
    """An opened index, on disk or in RAM, handing out one consistent searcher per request.

    On disk, :meth:`searcher` first checks ``CURRENT``, so a generation swapped in by ``mikke index`` is
    used from the next request on, then the posts index's ``meta.json``, so a commit to the live
    generation is too. The readers reload only then (tantivy's own reload-on-commit would follow about
    half a second later, on its own thread, and each index on its own; see docs/DESIGN.md, T11).
    """

    def __init__(self, pair: IndexPair, info: BuildInfo, root: Path | None, generation: str | None):
        self._pair = pair
        self._info = info
        self.root = root
        self.generation = generation
        self.schema = build_schema()
        self._lock = threading.Lock()
        self._unopenable: tuple[str, float] | None = None  # a generation that failed to open, and when
        self._current_problem = ""  # why CURRENT could not be followed, as last logged; "" when it can
        self._unloadable: tuple[tuple[int, int, int], float] | None = None  # a commit that failed to load
        self._commit: tuple[int, int, int] | None = None  # (inode, mtime, size) of the meta.json loaded
        # (inode, mtime, size) of the live generation's SYNONYMS_FILE as last seen: every index run rewrites
        # it, and a run that changed only the owner's list commits nothing, yet changes what searches find.
        self._synonyms: tuple[int, int, int] | None = None
        self._reloads = 0  # in RAM, where there is no meta.json: reload() calls
        # Names this store among every store of the process, for life: id() is reused once one is freed.
        self._serial = next(_STORE_SERIALS)

    @property
    def info(self) -> BuildInfo:
        return self._info

    @property
    def indexes(self) -> IndexPair:
        """The tantivy indexes (the indexer writes to an in-RAM store through them)."""
        return self._pair

    def _refresh(self) -> None:
        if self.root is None:
            return
        try:
            current = read_current(self.root)
            if current is None:
                raise IndexMissing(f"{self.root / CURRENT_FILE} names no generation folder of {self.root}/.")
        except IndexMissing as e:
            # Keep answering from the index already open; every request would log the same line.
            with self._lock:
                if str(e) != self._current_problem:
                    log.error("Still serving %s: %s", self.generation, e)
                self._current_problem = str(e)
            return
        self._current_problem = ""
        if current == self.generation:
            return
        with self._lock:
            if current == self.generation:
                return
            failed = self._unopenable
            if failed and failed[0] == current and time.monotonic() - failed[1] < REOPEN_RETRY_SECONDS:
                return
            gen_path = self.root / current
            try:
                _refuse_world_writable(self.root, current)
                pair = _open_indexes(gen_path)
                info = _read_info(gen_path)
            except (IndexMissing, OSError, ValueError, TypeError) as e:
                # Keep answering from the index already open rather than failing every request.
                if failed is None or failed[0] != current:
                    log.error("Still serving %s: the new index cannot be opened: %s", self.generation, e)
                self._unopenable = (current, time.monotonic())
                return
            self._info = info
            self._pair = pair
            self.generation = current
            self._unopenable = None
            self._commit = None
            self._unloadable = None
            self._synonyms = None

    def _follow_synonyms(self) -> None:
        """Note the live generation's owner synonyms file as it is now (searches read it by themselves)."""
        if self.root is None or self.generation is None:
            return
        try:
            st = os.stat(self.root / self.generation / SYNONYMS_FILE)
        except OSError:
            self._synonyms = None
            return
        # Written by a rename, so each run's file has a new inode whatever the timestamp granularity.
        self._synonyms = (st.st_ino, st.st_mtime_ns, st.st_size)

    def _follow_commits(self) -> None:
        """Load the live generation's newest commit, if one was made since the last request."""
        if self.root is None or self.generation is None:
            return
        try:
            st = os.stat(self.root / self.generation / TANTIVY_META_FILE)
        except OSError:
            return
        # tantivy replaces meta.json by a rename, so each commit gives it a new inode, even when two
        # commits fall within the file system's timestamp granularity.
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._commit:
            return
        with self._lock:
            if stamp == self._commit:
                return
            failed = self._unloadable
            if failed and failed[0] == stamp and time.monotonic() - failed[1] < REOPEN_RETRY_SECONDS:
                return
            try:
                self._pair.texts.reload()  # texts are committed before the posts that refer to them
                self._pair.posts.reload()
            except (OSError, ValueError) as e:
                # A damaged meta.json: the readers keep the commit they had loaded, so keep answering from
                # it, and retry, since a repaired texts index leaves the posts' meta.json as it was.
                if failed is None or failed[0] != stamp:
                    log.error(
                        "Still serving %s as last loaded: its newest commit cannot be read: %s",
                        self.generation,
                        e,
                    )
                self._unloadable = (stamp, time.monotonic())
                return
            self._commit = stamp
            self._unloadable = None

    def version(self) -> str:
        """Name what a search sees now: it changes with every new generation, every commit and every
        rewrite of the owner's synonyms, so an answer cached under one version is the answer to the same
        request under that version."""
        self._refresh()
        self._follow_commits()
        self._follow_synonyms()
        return self.loaded_version

    @property
    def loaded_version(self) -> str:
        """The version of what the last :meth:`searcher` or :meth:`version` call loaded (no file read)."""
        if self.root is None:
            return f"memory/{self._serial}/{self._reloads}"
        return f"{self.generation}/{self._commit}/{self._synonyms}"

    @property
    def committed_at(self) -> float | None:
        """When the commit last loaded was written (seconds since the epoch); ``None`` in RAM."""
        return None if self._commit is None else self._commit[1] / 1e9

    def searcher(self) -> tantivy.Searcher:
        """Return a searcher on the newest published posts index: a snapshot, valid for one request."""
        self._refresh()
        self._follow_commits()
        self._follow_synonyms()
        return self._pair.posts.searcher()

    def text_searcher(self, *, fresh: bool = False) -> tantivy.Searcher:
        """Return a searcher on the texts index of the generation :meth:`searcher` last used.

        :param fresh: reload first. An update commits the texts index before the posts index, but each
            reloads on its own; a post that the posts searcher already sees may be a moment away here.
        """
        if fresh:
            # A texts index that cannot be reloaded leaves the commit it had: the hit shows its summary.
            with contextlib.suppress(OSError, ValueError):
                self._pair.texts.reload()
        return self._pair.texts.searcher()

    def reload(self) -> None:
        """Make the latest commit visible now (the in-process indexer; on disk searcher() does it too)."""
        self._refresh()
        self._pair.reload()
        self._reloads += 1


def _open_indexes(gen_path: Path) -> IndexPair:
    pair = IndexPair(
        _open_index(gen_path, build_schema()), _open_index(gen_path / TEXT_FOLDER, build_text_schema())
    )
    # Store reloads when it sees a commit (Store._follow_commits), in the order the indexer commits.
    pair.posts.config_reader("manual")
    pair.texts.config_reader("manual")
    return pair


def _open_index(path: Path, schema: tantivy.Schema) -> tantivy.Index:
    # tantivy's Index(reuse=True) creates a new, empty index where it finds no meta.json (DESIGN.md, T56):
    # a generation that lost it would answer as a blog without posts, and be written over, by a reader.
    if not os.path.isfile(path / TANTIVY_META_FILE):
        raise IndexMissing(
            f"The index at {path} is damaged: {path / TANTIVY_META_FILE} is missing; rebuild it with "
            "`mikke index --full SITE`."
        )
    try:
        return tantivy.Index(schema, path=str(path), reuse=True)
    except ValueError as e:
        if "Lockfile" in str(e) and "PermissionDenied" in str(e):
            # A tantivy reader opens this lock file for writing, so a read-only user cannot open the index.
            raise IndexMissing(
                f"Cannot open the index at {path}: this user may not write its lock file "
                f"{path / TANTIVY_META_LOCK}. Run mikke as the user that runs `mikke index`, or share "
                "a group with it and run `mikke index` under `umask 002`."
            ) from e
        raise IndexMissing(
            f"The index at {path} cannot be opened ({e}); rebuild it with `mikke index --full SITE`."
        ) from e


def open_store(path: str | os.PathLike[str]) -> Store:
    """Open the live generation of the index folder ``path`` for searching.

    :raises IndexMissing: no index has been published there yet, or it is unreadable.
    """
    root = Path(path)
    current = read_current(root)
    if current is None:
        raise missing_index(root)
    gen_path = root / current
    try:
        info = _read_info(gen_path)
    except (OSError, ValueError, TypeError) as e:
        raise IndexMissing(
            f"The index at {gen_path} has no readable {INFO_FILE} ({e}); rebuild with `mikke index --full`."
        ) from e
    if info.schema_version != SCHEMA_VERSION:
        raise IndexMissing(
            f"The index at {root}/ was built by another version of mikke (schema {info.schema_version}, "
            f"this is {SCHEMA_VERSION}); rebuild it with `mikke index --full SITE`."
        )
    _refuse_world_writable(root, current)
    return Store(_open_indexes(gen_path), info, root, current)


def create_memory_store(info: BuildInfo) -> Store:
    """Create an empty in-RAM index (tests, benchmarks)."""
    pair = IndexPair(tantivy.Index(build_schema()), tantivy.Index(build_text_schema()))
    return Store(pair, info, None, None)


def live_generation(root: Path) -> tuple[str, BuildInfo] | None:
    """Return the live generation's name and build info, or ``None`` if there is no usable one.

    :raises IndexMissing: ``CURRENT`` cannot be read (:func:`read_current`).
    """
    current = read_current(root)
    if current is None:
        return None
    try:
        return current, _read_info(root / current)
    except (OSError, ValueError, TypeError):
        return None


def create_generation(root: Path, info: BuildInfo) -> tuple[str, IndexPair]:
    """Create a fresh, unpublished generation folder under ``root`` holding empty indexes.

    :raises IndexBuildError: the folder cannot be created or written.
    """
    name = f"{GENERATION_PREFIX}{time.time_ns():d}-{os.getpid()}"
    gen_path = root / name
    try:
        _make_folders(root)
        # Private until share_generation(): tantivy creates its files under the umask, and another user
        # who opened one while it was world-writable could keep writing to it through that descriptor.
        os.mkdir(gen_path, 0o700)
        _write_json_atomically(gen_path / INFO_FILE, json.dumps(asdict(info), ensure_ascii=False))
        os.mkdir(gen_path / TEXT_FOLDER, 0o700)
        pair = IndexPair(
            tantivy.Index(build_schema(), path=str(gen_path), reuse=False),
            tantivy.Index(build_text_schema(), path=str(gen_path / TEXT_FOLDER), reuse=False),
        )
    except (OSError, ValueError) as e:
        shutil.rmtree(gen_path, ignore_errors=True)
        raise IndexBuildError(f"Cannot create a new index under {root}/: {e}.") from e
    return name, pair


def open_generation_for_update(root: Path, name: str) -> IndexPair:
    """Open an existing generation to update it in place (incremental indexing)."""
    return _open_indexes(root / name)


# tantivy replaces these through a temporary file created mode 0600, whatever the umask.
TANTIVY_ATOMIC_FILES = ("meta.json", ".managed.json")


def share_generation(root: Path, name: str) -> None:
    """Give every file of generation ``name`` the mode of mikke's own files, and the folder its mode.

    tantivy replaces some files through 0600 temporary files, so only the indexing user could open the
    index; and it creates the others under the umask, world-writable under ``umask 000``. Afterwards each
    file has the mode of ``mikke.json`` (:data:`FILE_MODE` minus the umask) or less, none is writable by
    other users, and the folder is opened up to the users the umask allows (e.g. a shared group and
    umask 002). Call after each commit: every commit writes files anew. A file this user may not change
    (another group member's) is left as it is.
    """
    gen_path = root / name
    try:
        mode = stat.S_IMODE((gen_path / INFO_FILE).stat().st_mode) & ~stat.S_IWOTH
    except OSError:
        return
    # Folders: read implies search (x), as mkdir under the same umask would give.
    folder_mode = mode | (mode & 0o444) >> 2
    for folder in (gen_path / TEXT_FOLDER, gen_path):  # the generation folder opens last
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name == TEXT_FOLDER:
                continue
            path = Path(entry.path)
            with contextlib.suppress(OSError):
                if entry.name in TANTIVY_ATOMIC_FILES and stat.S_IMODE(entry.stat().st_mode) != mode:
                    os.chmod(path, mode)
                else:
                    _drop_world_write(path)
        with contextlib.suppress(OSError):
            special = stat.S_IMODE(folder.stat().st_mode) & ~0o777  # keep setgid from a shared folder
            os.chmod(folder, special | folder_mode)


def publish_generation(root: Path, name: str) -> None:
    """Make generation ``name`` the live one (atomic rename of ``CURRENT``), then drop old generations."""
    try:
        _write_json_atomically(root / CURRENT_FILE, name + "\n")
    except OSError as e:
        raise IndexBuildError(f"Cannot publish the new index under {root}/: {e}.") from e
    failpoint("published")
    remove_stale_generations(root)


def remove_stale_generations(root: Path) -> None:
    """Delete generations that are neither live nor among the newest previous ones.

    Call only while holding the writer lock: an unpublished generation is otherwise still being built.
    """
    current = read_current(root)
    gens = sorted(
        (p for p in root.glob(GENERATION_PREFIX + "*") if p.is_dir()),
        key=lambda p: p.name.split("-")[1] if p.name.count("-") >= 2 else p.name,
    )
    keep = {current}
    previous = [p.name for p in gens if p.name != current and (current is None or p.name < current)]
    keep.update(previous[-KEEP_PREVIOUS_GENERATIONS:] if KEEP_PREVIOUS_GENERATIONS else [])
    for p in gens:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def writer_lock(root: Path, *, wait: float = 0) -> filelock.BaseFileLock:
    """Take the index's writer lock (one ``mikke index`` or ``mikke ship`` at a time), waiting up to ``wait``
    seconds.

    :raises IndexLocked: another process (an indexer or a ship) holds it.
    :raises IndexBuildError: the index folder cannot be created.
    """
    try:
        _make_folders(root)
    except OSError as e:
        raise IndexBuildError(f"Cannot create the index folder {root}/: {e}.") from e
    lock = filelock.FileLock(str(root / LOCK_FILE))
    try:
        lock.acquire(timeout=max(wait, 0))  # filelock waits forever for a negative timeout
    except filelock.Timeout:
        raise IndexLocked(
            # The lock is the same for both: the message cannot tell which of them holds it.
            f"Another `mikke index` or `mikke ship` is using {root}/; wait for it to finish "
            "(or pass --wait SECONDS)."
        ) from None
    except OSError as e:
        raise IndexBuildError(f"Cannot lock the index folder {root}/: {e}.") from e
    # filelock creates it under the umask; best effort, it may belong to another member of the group.
    with contextlib.suppress(OSError):
        _drop_world_write(root / LOCK_FILE)
    return lock
