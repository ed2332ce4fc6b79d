"""The on-disk index layout and the only code that constructs a ``tantivy.Index``.

An index folder holds generation folders (``gen-*``, each a complete tantivy index plus ``mikke.json``) and
a ``CURRENT`` file naming the live one. A full rebuild writes a new generation and swaps ``CURRENT``
atomically; readers notice the swap on their next search. ``.lock`` serialises writers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

import filelock
import tantivy

from search.errors import IndexBuildError
from search.errors import IndexLocked
from search.errors import IndexMissing
from search.schema import SCHEMA_VERSION
from search.schema import build_schema

log = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
INFO_FILE = "mikke.json"
LOCK_FILE = ".lock"
GENERATION_PREFIX = "gen-"
TANTIVY_META_LOCK = ".tantivy-meta.lock"
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

    def compatible_with(self, other: BuildInfo) -> bool:
        return (
            self.schema_version == other.schema_version
            and self.analyzer_version == other.analyzer_version
            and self.site_fingerprint == other.site_fingerprint
        )


def _read_info(gen_path: Path) -> BuildInfo:
    data = json.loads((gen_path / INFO_FILE).read_text("utf-8"))
    return BuildInfo(**data)


def _write_json_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_current(root: Path) -> str | None:
    """Return the name of the live generation under ``root``, or ``None`` when there is none."""
    try:
        name = (root / CURRENT_FILE).read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or not (root / name).is_dir():
        return None
    return name


class Store:
    """An opened index, on disk or in RAM, handing out one consistent searcher per request.

    On disk, :meth:`searcher` first checks ``CURRENT`` so a generation swapped in by ``mikke index``
    is used from the next request on; commits to the live generation arrive through tantivy's own
    reload-on-commit (STYLE.md P14).
    """

    def __init__(self, index: tantivy.Index, info: BuildInfo, root: Path | None, generation: str | None):
        self._index = index
        self._info = info
        self.root = root
        self.generation = generation
        self.schema = build_schema()
        self._lock = threading.Lock()
        self._unopenable: tuple[str, float] | None = None  # a generation that failed to open, and when

    @property
    def info(self) -> BuildInfo:
        return self._info

    @property
    def index(self) -> tantivy.Index:
        """The tantivy index (the indexer writes to an in-RAM store through it)."""
        return self._index

    def _refresh(self) -> None:
        if self.root is None:
            return
        current = read_current(self.root)
        if current is None or current == self.generation:
            return
        with self._lock:
            if current == self.generation:
                return
            failed = self._unopenable
            if failed and failed[0] == current and time.monotonic() - failed[1] < REOPEN_RETRY_SECONDS:
                return
            gen_path = self.root / current
            try:
                index = _open_index(gen_path)
                info = _read_info(gen_path)
            except (IndexMissing, OSError, ValueError, TypeError) as e:
                # Keep answering from the index already open rather than failing every request.
                if failed is None or failed[0] != current:
                    log.error("Still serving %s: the new index cannot be opened: %s", self.generation, e)
                self._unopenable = (current, time.monotonic())
                return
            self._info = info
            self._index = index
            self.generation = current
            self._unopenable = None

    def searcher(self) -> tantivy.Searcher:
        """Return a searcher on the newest published index: a snapshot, valid for one request."""
        self._refresh()
        return self._index.searcher()

    def reload(self) -> None:
        """Make the latest commit visible now (tests and the in-process indexer; servers need not call it)."""
        self._refresh()
        self._index.reload()


def _open_index(gen_path: Path) -> tantivy.Index:
    try:
        return tantivy.Index(build_schema(), path=str(gen_path), reuse=True)
    except ValueError as e:
        if "Lockfile" in str(e) and "PermissionDenied" in str(e):
            # A tantivy reader opens this lock file for writing, so a read-only user cannot open the index.
            raise IndexMissing(
                f"Cannot open the index at {gen_path}: this user may not write its lock file "
                f"{gen_path / TANTIVY_META_LOCK}. Run mikke as the user that runs `mikke index`, or share "
                "a group with it and run `mikke index` under `umask 002`."
            ) from e
        raise IndexMissing(
            f"The index at {gen_path} cannot be opened ({e}); rebuild it with `mikke index --full SITE`."
        ) from e


def open_store(path: str | os.PathLike[str]) -> Store:
    """Open the live generation of the index folder ``path`` for searching.

    :raises IndexMissing: no index has been published there yet, or it is unreadable.
    """
    root = Path(path)
    current = read_current(root)
    if current is None:
        raise IndexMissing(f"No index at {root}/; run `mikke index SITE --index {root}` first.")
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
    return Store(_open_index(gen_path), info, root, current)


def create_memory_store(info: BuildInfo) -> Store:
    """Create an empty in-RAM index (tests, benchmarks)."""
    return Store(tantivy.Index(build_schema()), info, None, None)


def live_generation(root: Path) -> tuple[str, BuildInfo] | None:
    """Return the live generation's name and build info, or ``None`` if there is no usable one."""
    current = read_current(root)
    if current is None:
        return None
    try:
        return current, _read_info(root / current)
    except (OSError, ValueError, TypeError):
        return None


def create_generation(root: Path, info: BuildInfo) -> tuple[str, tantivy.Index]:
    """Create a fresh, unpublished generation folder under ``root`` holding an empty index.

    :raises IndexBuildError: the folder cannot be created or written.
    """
    name = f"{GENERATION_PREFIX}{time.time_ns():d}-{os.getpid()}"
    gen_path = root / name
    try:
        gen_path.mkdir(parents=True)
        _write_json_atomically(gen_path / INFO_FILE, json.dumps(asdict(info), ensure_ascii=False))
        index = tantivy.Index(build_schema(), path=str(gen_path), reuse=False)
    except (OSError, ValueError) as e:
        shutil.rmtree(gen_path, ignore_errors=True)
        raise IndexBuildError(f"Cannot create a new index under {root}/: {e}.") from e
    return name, index


def open_generation_for_update(root: Path, name: str) -> tantivy.Index:
    """Open an existing generation to update it in place (incremental indexing)."""
    return _open_index(root / name)


# tantivy replaces these through a temporary file created mode 0600, whatever the umask.
TANTIVY_ATOMIC_FILES = ("meta.json", ".managed.json")


def share_generation(root: Path, name: str) -> None:
    """Give tantivy's atomically replaced files the mode of mikke's own files in generation ``name``.

    Without this only the indexing user could open the index; with it a ``mikke serve`` running as
    another user reads it whenever the umask lets it read the rest (e.g. a shared group and umask 002).
    Call after each commit: every commit writes those files anew. Best effort: a file this user may not
    change is left as it is (the index works for this user either way).
    """
    gen_path = root / name
    try:
        mode = (gen_path / INFO_FILE).stat().st_mode & 0o666
    except OSError:
        return
    for file_name in TANTIVY_ATOMIC_FILES:
        path = gen_path / file_name
        try:
            if path.stat().st_mode & 0o777 != mode:
                os.chmod(path, mode)
        except OSError:
            continue


def publish_generation(root: Path, name: str) -> None:
    """Make generation ``name`` the live one (atomic rename of ``CURRENT``), then drop old generations."""
    try:
        _write_json_atomically(root / CURRENT_FILE, name + "\n")
    except OSError as e:
        raise IndexBuildError(f"Cannot publish the new index under {root}/: {e}.") from e
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
    """Take the index's writer lock (one ``mikke index`` at a time), waiting up to ``wait`` seconds.

    :raises IndexLocked: another process holds it.
    :raises IndexBuildError: the index folder cannot be created.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexBuildError(f"Cannot create the index folder {root}/: {e}.") from e
    lock = filelock.FileLock(str(root / LOCK_FILE))
    try:
        lock.acquire(timeout=wait)
    except filelock.Timeout:
        raise IndexLocked(
            f"Another `mikke index` is updating {root}/; wait for it to finish (or pass --wait SECONDS)."
        ) from None
    except OSError as e:
        raise IndexBuildError(f"Cannot lock the index folder {root}/: {e}.") from e
    return lock
