"""``mikke index --watch``: re-index a site shortly after any of its posts or its config is saved."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from watchdog.events import FileSystemEvent
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from mikke.search.synonyms import OWNER_FILE

# Editors write a file in several steps (temp file, rename, chmod); wait for them to settle.
DEBOUNCE_SECONDS = 0.3
# Jekyll's own output and caches change on every build; they are not sources.
_WRITE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})
_IGNORED_PARTS = {"_site", ".jekyll-cache", ".sass-cache", ".git", "node_modules"}


def is_source_change(site: Path, path: str, *, folder_gone_or_new: bool = False) -> bool:
    """Whether a change at ``path`` can affect what is indexed (posts, _config.yml, the owner's synonyms).

    A path counts by the real folder it lies in: a link saved in ``_posts/`` is a change wherever it points
    (the re-index reports one that leaves the site), and changes seen through a folder link that leaves the
    site are not. ``folder_gone_or_new``: ``path`` is a folder that was removed, moved or made, which may
    have held posts (a category folder moved out of the site is one event, naming none of its posts).
    """
    changed = Path(path)
    try:
        rel = (changed.parent.resolve() / changed.name).relative_to(site.resolve())
    except ValueError:
        return False
    if any(part in _IGNORED_PARTS or part.startswith(".") for part in rel.parts[:-1]):
        return False
    if folder_gone_or_new and not rel.name.startswith("."):
        return rel.name not in _IGNORED_PARTS
    return rel.as_posix() in {"_config.yml", OWNER_FILE} or "_posts" in rel.parts


class _Debouncer(FileSystemEventHandler):
    def __init__(self, site: Path) -> None:
        self.site = site
        self.changed = threading.Event()
        self.last_change = 0.0

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Reading posts (as the re-index itself does) raises "opened"/"closed_no_write" events too.
        if event.event_type not in _WRITE_EVENTS:
            return
        paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
        folder = event.is_directory and event.event_type in {"created", "deleted", "moved"}
        if any(p and is_source_change(self.site, p, folder_gone_or_new=folder) for p in paths):
            self.last_change = time.monotonic()
            self.changed.set()


def watch_site(
    site: str | Path,
    on_change: Callable[[], None],
    *,
    on_error: Callable[[Exception], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Call ``on_change`` after each burst of changes to the site's posts or config, until ``stop``.

    A failing ``on_change`` (the index locked by a publish job, a half-saved ``_config.yml``) does not end
    the watch: the error goes to ``on_error`` and the next save tries again.

    :param site: the site root.
    :param on_change: run in this thread, one call at a time, ``DEBOUNCE_SECONDS`` after the last change.
    :param on_error: told of each exception ``on_change`` raised (without it, they are re-raised).
    :param stop: set it to return (Ctrl-C also returns).
    """
    root = Path(site)
    handler = _Debouncer(root)
    observer = Observer()
    observer.schedule(handler, str(root), recursive=True)
    observer.start()
    stop = stop or threading.Event()
    previous = _interrupt_on_sigterm()
    try:
        while not stop.is_set():
            if not handler.changed.wait(timeout=0.2):
                continue
            quiet = time.monotonic() - handler.last_change
            if quiet < DEBOUNCE_SECONDS:
                time.sleep(DEBOUNCE_SECONDS - quiet)
                continue
            handler.changed.clear()
            try:
                on_change()
            except Exception as e:
                if on_error is None:
                    raise
                on_error(e)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        observer.stop()
        observer.join()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _interrupt_on_sigterm() -> Callable[[int, FrameType | None], Any] | int | None:
    """Have SIGTERM (how a service manager stops a process) end the watch as Ctrl-C does: a rebuild under
    way rolls back and the watch returns, where the signal's default would kill the process mid-write.
    Only the main thread can set a handler; the previous one is returned, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)
