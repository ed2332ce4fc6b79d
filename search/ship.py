"""``mikke ship SRC DEST``: copy the live generation of one index folder into another, then switch to it.

How several replicas serve one build: the copy follows the publication protocol of ``store.py`` (a new
generation is copied unpublished, then ``CURRENT`` is swapped; an update of the live generation copies
new files first and each index's commit files last, texts before posts), so a server on DEST always
answers from one complete index. The copy is read-only for everyone but its owner, except the lock file
a tantivy reader must open for writing (docs/DESIGN.md, T19), which the owner's group may write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mikke.search.errors import IndexBuildError
from mikke.search.store import INFO_FILE
from mikke.search.store import TANTIVY_ATOMIC_FILES
from mikke.search.store import TANTIVY_META_FILE
from mikke.search.store import TANTIVY_META_LOCK
from mikke.search.store import TEXT_FOLDER
from mikke.search.store import _fsync_dir
from mikke.search.store import missing_index
from mikke.search.store import open_store
from mikke.search.store import publish_generation
from mikke.search.store import read_current
from mikke.search.store import share_generation
from mikke.search.store import update_interrupted
from mikke.search.store import writer_lock

# A shipped file: its owner writes it, everyone else may only read it (minus the umask).
SHIPPED_FILE_MODE = 0o644
# tantivy's writer lock is for writers; a copy is only ever written by the next ship.
TANTIVY_WRITER_LOCK = ".tantivy-writer.lock"
_NOT_COPIED = frozenset({TANTIVY_META_LOCK, TANTIVY_WRITER_LOCK, TEXT_FOLDER})
# Within one index, the commit files go last; meta.json, the file a commit replaces, goes very last.
_COMMIT_ORDER = tuple(sorted(TANTIVY_ATOMIC_FILES, key=lambda name: name == TANTIVY_META_FILE))


@dataclass(frozen=True, slots=True)
class ShipReport:
    """What one ``mikke ship`` did."""

    generation: str
    mode: (
        str  # "new" (copied, then published), "update" (the live generation brought up to date), "unchanged"
    )
    files_copied: int
    bytes_copied: int
    files_removed: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "mode": self.mode,
            "files_copied": self.files_copied,
            "bytes_copied": self.bytes_copied,
            "files_removed": self.files_removed,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Tally:
    files: int = 0
    bytes: int = 0
    removed: int = 0


def ship_index(
    source: str | os.PathLike[str], dest: str | os.PathLike[str], *, wait: float = 0
) -> ShipReport:
    """Make the index folder ``dest`` serve the live generation of the index folder ``source``.

    Both writer locks are held throughout, so neither folder changes under the copy. A copy that is
    interrupted is never published; the next ship starts it again.

    :param wait: seconds to wait for a ``mikke index`` (or another ship) holding either lock.
    :raises IndexMissing: ``source`` has no index a server could open.
    :raises IndexLocked: a lock stayed busy for ``wait`` seconds.
    :raises IndexBuildError: ``dest`` is ``source``, inside it or holds it, or cannot be written; what it
        served is untouched.
    """
    started = time.perf_counter()
    if not str(source).strip() or not str(dest).strip():  # Path("") is the current folder
        raise IndexBuildError("Name both index folders, SOURCE and DEST; an empty name is no folder.")
    src, dst = Path(source), Path(dest)
    if src.resolve() == dst.resolve():
        raise IndexBuildError(f"Cannot ship {src}/ onto itself; name another index folder as DEST.")
    # A copy inside the source would sit among its generations (and a later build's clean-up would take
    # it); a source inside the copy would be written over by what is copied from it.
    if src.resolve() in dst.resolve().parents:
        raise IndexBuildError(
            f"Cannot ship {src}/ into {dst}/, a folder inside it; name a folder outside it."
        )
    if dst.resolve() in src.resolve().parents:
        raise IndexBuildError(f"Cannot ship {src}/ into {dst}/, which holds it; name a folder outside it.")
    if read_current(src) is None:  # checked before the lock, which would create the folder
        raise missing_index(src, " to ship")
    with writer_lock(src, wait=wait), writer_lock(dst, wait=wait):
        open_store(src)  # refuses what a server would refuse: another schema, world-writable files
        name = read_current(src) or ""
        if update_interrupted(src, name):
            raise IndexBuildError(
                f"The last update of {src}/ did not finish, so its posts and texts may not match; "
                f"run `mikke index SITE --index {src}` (it rebuilds the index) before shipping it."
            )
        tally = _Tally()
        try:
            if read_current(dst) == name:
                mode = _update(src / name, dst / name, tally)
                share_generation(dst, name)
            else:
                _copy_new(src / name, dst / name, tally)
                share_generation(dst, name)
                publish_generation(dst, name)
                mode = "new"
        except OSError as e:
            raise IndexBuildError(f"Shipping {src}/ to {dst}/ failed: {e}. {dst}/ serves what it did.") from e
    return ShipReport(name, mode, tally.files, tally.bytes, tally.removed, time.perf_counter() - started)


def _copy_new(src: Path, dst: Path, tally: _Tally) -> None:
    """Copy generation folder ``src`` to ``dst``, unpublished (private until share_generation)."""
    if dst.exists():
        shutil.rmtree(dst)  # not live: the leftover of an interrupted ship, or a generation superseded since
    os.mkdir(dst, 0o700)
    os.mkdir(dst / TEXT_FOLDER, 0o700)
    _copy_file(src / INFO_FILE, dst / INFO_FILE, tally)
    for folder in (TEXT_FOLDER, ""):
        _sync_index(src / folder, dst / folder, tally)


def _update(src: Path, dst: Path, tally: _Tally) -> str:
    """Bring the live generation ``dst`` up to ``src`` in the order its indexer commits: texts, then posts."""
    before = tally.files
    _copy_file(src / INFO_FILE, dst / INFO_FILE, tally)
    stale = [*_sync_index(src / TEXT_FOLDER, dst / TEXT_FOLDER, tally), *_sync_index(src, dst, tally)]
    for path in stale:  # files of merged or replaced segments; a reader still using one keeps its mapping
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            tally.removed += 1
    return "update" if tally.files > before or stale else "unchanged"


def _sync_index(src: Path, dst: Path, tally: _Tally) -> list[Path]:
    """Copy the files of the tantivy index ``src`` that ``dst`` lacks, commit files last; return the
    files of ``dst`` that ``src`` no longer has (to remove once every commit is in place)."""
    names = {e.name for e in os.scandir(src) if e.is_file(follow_symlinks=False)} - _NOT_COPIED - {INFO_FILE}
    for name in sorted(names - set(TANTIVY_ATOMIC_FILES)):
        _copy_file(src / name, dst / name, tally)
    _reader_lock(dst / TANTIVY_META_LOCK)
    _fsync_dir(dst)  # the segment files are durable before a commit file names them
    for name in _COMMIT_ORDER:
        if name in names:
            _copy_file(src / name, dst / name, tally)
    _fsync_dir(dst)
    kept = names | _NOT_COPIED | {INFO_FILE}
    return [Path(e.path) for e in os.scandir(dst) if e.is_file(follow_symlinks=False) and e.name not in kept]


def _copy_file(src: Path, dst: Path, tally: _Tally) -> None:
    """Copy ``src`` to ``dst`` atomically (a temporary file, fsync, rename), unless ``dst`` has its size
    and modification time already: tantivy never rewrites a segment file in place."""
    st = os.stat(src)
    with contextlib.suppress(FileNotFoundError):
        old = os.stat(dst)
        if (old.st_size, old.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            return
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.ship")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, SHIPPED_FILE_MODE)
    with open(fd, "wb") as out, open(src, "rb") as data:
        shutil.copyfileobj(data, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, dst)
    tally.files += 1
    tally.bytes += st.st_size


def _reader_lock(path: Path) -> None:
    """Create tantivy's reader lock file, writable by the group: a server that may read the copy but not
    change it (it shares the group, not the owner) must still open this one file for writing."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, SHIPPED_FILE_MODE)
        os.close(fd)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    with contextlib.suppress(OSError):  # another member of the group created it; it is theirs to set
        os.chmod(path, (mode | stat.S_IWGRP) & ~stat.S_IWOTH)
