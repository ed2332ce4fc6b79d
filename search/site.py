"""A Jekyll site on disk: its ``_config.yml``, the post files Jekyll would read, and one scan of them.

The site boundary lives here: no file outside the site root is read, whatever links point to. Parsing one
post is search/posts.py's job. Imports no sudachipy, tantivy or flask.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import posixpath
import stat
import urllib.parse
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Protocol
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import yaml

from mikke.search.defaults import read_defaults
from mikke.search.document import ManifestEntry
from mikke.search.errors import SettingError
from mikke.search.errors import SiteError
from mikke.search.markdown_text import HeadingIds
from mikke.search.posts import MAX_POST_BYTES
from mikke.search.posts import POST_NAME_RE
from mikke.search.posts import Post
from mikke.search.posts import PostSkipped
from mikke.search.posts import SiteConfig
from mikke.search.posts import liquid_variables
from mikke.search.posts import markdown_extensions
from mikke.search.posts import one_line
from mikke.search.posts import parse_post

# Jekyll's default `exclude` list (Jekyll::Configuration::DEFAULTS).
_DEFAULT_EXCLUDE = (
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor/bundle/",
    "vendor/cache/",
    "vendor/gems/",
    "vendor/ruby/",
)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Collision:
    url: str
    kept: str
    overwritten: tuple[str, ...]


@dataclass
class Site:
    config: SiteConfig
    posts: list[Post]
    skipped: list[Skipped] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)


@dataclass(slots=True)
class SiteScan:
    """What :func:`scan_site` found."""

    changed: list[Post]  # published posts that are new or changed, parsed; date then id order
    unchanged: set[str]  # ids of known posts whose file is unchanged and that Jekyll still publishes
    skipped: list[Skipped]
    collisions: list[Collision]
    files: int  # files found in _posts/ folders: published + skipped + overwritten by a collision


class _Dated(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def date(self) -> datetime: ...


# ---------------------------------------------------------------------------------------------- config


def _config_data(root: Path, *, follow_symlinks: bool) -> tuple[dict[str, Any], str]:
    """The settings ``root/_config.yml`` holds (none without one, if ``root`` holds posts), and its text.

    :raises SiteError: ``root`` is no site, or its ``_config.yml`` cannot be read or parsed.
    """
    if not root.is_dir():
        raise SiteError(f"No site at {root}/; pass the folder that holds _config.yml and _posts/.")
    path = root / "_config.yml"
    if not (path.exists() or path.is_symlink()):
        if _has_posts_folder(root):
            return {}, ""
        # Indexing a folder that is no site would publish an empty index over the real one (a cron job
        # run from the wrong folder, a MIKKE_SITE typo).
        raise SiteError(
            f"{root}/ is not a Jekyll site: it holds neither _config.yml nor a _posts/ folder. "
            "Pass the folder that holds them (mikke index SITE, or MIKKE_SITE)."
        )
    try:
        raw = read_site_file(root.resolve(), "_config.yml", follow_symlinks=follow_symlinks)
    except PostSkipped as e:
        raise SiteError(f"{path} {e.reason}.") from None
    if len(raw) > MAX_POST_BYTES:
        raise SiteError(f"{path} is larger than {MAX_POST_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
        data = yaml.safe_load(text) or {}
    except RecursionError:  # a few hundred nested [ or {: the loader recurses per level
        raise SiteError(f"Cannot read {path}: its values are nested too deeply.") from None
    except (ValueError, yaml.YAMLError) as e:  # ValueError: undecodable, or a date like 2024-13-01
        raise SiteError(f"Cannot read {path}: {one_line(e)}.") from e
    if not isinstance(data, dict):
        raise SiteError(f"{path} must be a mapping of settings, not a {type(data).__name__}.")
    return data, text


def _has_posts_folder(root: Path) -> bool:
    """Whether ``root`` or one of its folders holds ``_posts/`` (Jekyll reads ``category/_posts/`` too).
    Deeper ones are not looked for, which would walk any folder given (a home folder): a site whose posts
    are all deeper needs a ``_config.yml``."""
    if (root / "_posts").is_dir():
        return True
    try:
        with os.scandir(root) as entries:
            folders = [e.path for e in entries if e.name[0] not in "._" and e.is_dir()]
    except OSError:
        return False
    return any(os.path.isdir(os.path.join(folder, "_posts")) for folder in folders)


def read_site_config(
    root: str | os.PathLike[str], *, follow_symlinks: bool = True, site_url: str = ""
) -> SiteConfig:
    """Read the settings of ``root/_config.yml`` that decide posts' URLs, publication and text (defaults if
    absent), with the scalar values Liquid renders in posts (``{{ site.title }}``).

    :param follow_symlinks: accept a ``_config.yml`` that is a link inside the site (one leaving the site
        never is: indexing with another file's URL settings would publish wrong links).
    :param site_url: where the site is served, replacing ``url`` in links (``http://127.0.0.1:4000`` while
        trying a site locally: the ``site_url`` setting); empty keeps ``url``.
    :raises SiteError: the folder is missing or ``_config.yml`` cannot be read or parsed.
    :raises SettingError: ``site_url`` is not an http(s) URL.
    """
    root = Path(root)
    path = root / "_config.yml"
    data, text = _config_data(root, follow_symlinks=follow_symlinks)
    permalink = str(data.get("permalink") or "date")
    collections = data.get("collections")
    if isinstance(collections, dict) and isinstance(collections.get("posts"), dict):
        permalink = str(collections["posts"].get("permalink") or permalink)
    timezone = str(data.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise SiteError(f"{path}: unknown timezone {timezone!r}; use an IANA name like Asia/Tokyo.") from e
    exclude, include = _patterns(data.get("exclude")), _patterns(data.get("include"))
    variables = liquid_variables(data, "site")
    url = str(data.get("url") or "").rstrip("/")
    try:
        urllib.parse.urlsplit(url)
    except ValueError as e:  # every post's link starts with it: none could be split, so refuse it here (T35)
        raise SiteError(f"{path}: url {url!r} is not a URL ({e}).") from e
    served_at = _site_url(site_url)
    collections_dir = _collections_dir(data.get("collections_dir"))
    # Read again as front matter is (scalars as text), so the values behave as a post's own.
    defaults = read_defaults(text, collections_dir) if data.get("defaults") is not None else None
    if served_at:
        url = variables["site.url"] = served_at  # as `jekyll serve` sets site.url to where it serves
    return SiteConfig(
        root=root.resolve(),
        url=url,
        baseurl=_clean_baseurl(str(data.get("baseurl") or "")),
        permalink=permalink,
        timezone=timezone,
        future=data.get("future") is True,
        exclude=exclude,
        include=include,
        collections_dir=collections_dir,
        variables=variables,
        heading_ids=_heading_ids(data),
        defaults=defaults,
        markdown_ext=markdown_extensions(data.get("markdown_ext")),
    )


def _collections_dir(value: Any) -> str:
    """The ``collections_dir`` setting as a path below the site root, as Jekyll's ``in_source_dir`` reads
    it: ``..`` cannot climb above the root, and a leading ``/`` is the root (a link is checked when read)."""
    if not isinstance(value, str):
        return ""
    return posixpath.normpath("/" + value.strip()).strip("/")


def _heading_ids(data: Mapping[str, Any]) -> HeadingIds | None:
    """How Jekyll gives the site's Markdown headings ids: kramdown with GFM input (Jekyll's defaults)
    derives them from the text unless ``kramdown: auto_ids`` is false or empty; another engine or input
    is not followed (None: hits link posts, not sections)."""
    options = data.get("kramdown")
    kramdown: Mapping[str, Any] = options if isinstance(options, dict) else {}
    engine = str(data.get("markdown") or "kramdown").lower()
    if engine != "kramdown" or str(kramdown.get("input") or "GFM").lower() != "gfm":
        return None
    auto = kramdown.get("auto_ids", True) not in (False, None)
    return HeadingIds(auto=auto, prefix=str(kramdown.get("auto_id_prefix") or ""))


def _site_url(value: str) -> str:
    """``value`` without a trailing slash, checked to be an http(s) URL with a host and nothing after it
    (a path belongs in ``baseurl``, which stays)."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts[2:] != ("", "", ""):
        raise SettingError(
            f"MIKKE_SITE_URL must be the address the site is served at, like http://127.0.0.1:4000, "
            f"not {value!r}."
        )
    return value


# What a baseurl keeps as written: a path's own characters and the escapes already in it; the rest (a
# space, a quote, <, Japanese) is percent-encoded as UTF-8, as Jekyll's relative_url and absolute_url do.
_BASEURL_SAFE = "/-._~!$&'()*+,;=:@%"


def _clean_baseurl(baseurl: str) -> str:
    baseurl = baseurl.strip().rstrip("/")
    if baseurl and not baseurl.startswith("/"):
        baseurl = "/" + baseurl
    return urllib.parse.quote(baseurl, safe=_BASEURL_SAFE)


# --------------------------------------------------------------------------------------------- finding


def _patterns(value: Any) -> tuple[str, ...]:
    """The paths of an ``exclude`` or ``include`` setting: a list of them, or one. Jekyll matches only
    strings (a number or a date in the list matches nothing)."""
    values = value if isinstance(value, list) else [] if value is None else [value]
    return tuple(v for v in values if isinstance(v, str))


# Jekyll skips (EntryFilter#special?) names starting with one of these, unless ``include`` names them.
_SPECIAL_LEADING = (".", "_", "#", "~")


def _glob_include(patterns: Iterable[str], entry: str, *, is_dir: bool) -> bool:
    """Jekyll's ``EntryFilter#glob_include?``: ``entry`` (a path read from the site root) matches one of
    ``patterns`` as a glob (File.fnmatch?, whose ``*`` also matches ``/``), as a plain prefix (``cat``
    matches ``category/`` too), or, if it is a folder, as its path with a trailing ``/``."""
    for pattern in patterns:
        p = pattern.lstrip("/")  # File.join(source, "/old") is source/old
        if not p:
            continue  # Jekyll would match every path with it: surely not what the site means
        if entry.startswith(p) or fnmatch.fnmatchcase(entry, p) or (is_dir and p == entry + "/"):
            return True
    return False


def _inside(root: Path, path: str) -> bool:
    """Whether the resolved ``path`` is ``root`` (resolved) or lies below it."""
    top = str(root)
    return path == top or path.startswith(top.rstrip("/") + "/")


def _printable(rel: str) -> str:
    """``rel`` as a user can read it: bytes that are not UTF-8 (surrogate-escaped by os) become U+FFFD."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _utf8_problem(rel: str) -> str | None:
    """Why ``rel`` cannot be indexed for its name (tantivy stores only UTF-8), or ``None``."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        name = rel.rsplit("/", 1)[-1]
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return "file name is not valid UTF-8; rename it"
        return "a folder name in its path is not valid UTF-8; rename it"
    return None


_NO_LINKS = "mikke follows no symbolic links (MIKKE_FOLLOW_SYMLINKS is false)"


def _outside(kind: str, target: str) -> str:
    return (
        f"is a symbolic link to a {kind} outside the site ({_printable(target)}); "
        "mikke reads no file outside the site root"
    )


def find_post_files(config: SiteConfig, *, follow_symlinks: bool = True) -> tuple[list[str], list[Skipped]]:
    """Find the files under ``_posts/`` folders that Jekyll would read as posts.

    ``_posts/`` at the root and under any non-underscore folder (whose names become categories).
    Symbolic links are followed only when they stay inside the site (like Jekyll's safe mode) and
    ``follow_symlinks`` is true, and folder links inside ``_posts/`` never are (Jekyll does not enter them);
    each real folder is read once, so link loops end.
    :return: post ids (paths relative to the site root) and the files and folders skipped for their name,
        extension or link, with the reason.
    """
    finder = _PostFinder(config, follow_symlinks=follow_symlinks)
    finder.run()
    return finder.ids, finder.skipped


class _PostFinder:
    """One walk over a site: real folders first, then the folder links found in them, in order.

    Reading real folders first means a folder reachable both ways keeps its own path; remembering every
    real folder read (device, inode) means no folder is read twice and link loops end.
    """

    def __init__(self, config: SiteConfig, *, follow_symlinks: bool) -> None:
        self.root = config.root
        self.include = config.include
        self.collections_dir = config.collections_dir
        # Jekyll's `site.exclude - site.include`: a path listed in both is not excluded.
        self.exclude = tuple(p for p in (*_DEFAULT_EXCLUDE, *config.exclude) if p not in config.include)
        self.follow_symlinks = follow_symlinks
        self.ids: list[str] = []
        self.skipped: list[Skipped] = []
        self._read_as: dict[tuple[int, int], str] = {}  # real folder -> the path it is read as
        self._links: deque[tuple[str, str]] = deque()  # (link path, resolved target) of folder links

    def run(self) -> None:
        self._read_as[_folder_key(str(self.root))] = ""
        start = self._posts_folder()
        if start is not None:
            self._walk(start, self.collections_dir)
        while self._links:
            rel, target = self._links.popleft()
            try:
                key = _folder_key(target)
            except OSError as e:
                self._skip(rel, f"folder cannot be read: {e.strerror or e}")
                continue
            seen = self._read_as.get(key)
            if seen is None:
                self._read_as[key] = rel
                self._walk(target, rel)
            elif seen == "" or rel.startswith(seen + "/"):
                where = f"{_printable(seen)}/" if seen else "the site root"
                self._skip(rel, f"is a symbolic link to {where}, which holds it; following it would loop")
            else:
                self._skip(rel, f"is a symbolic link to {_printable(seen)}/; mikke reads each folder once")

    def _posts_folder(self) -> str | None:
        """The real folder Jekyll reads posts from: the root, or ``collections_dir`` if it is a folder
        inside the site that Jekyll reads (a folder on the way that its entry filter skips holds none)."""
        rel = self.collections_dir
        if not rel:
            return str(self.root)
        parts = rel.split("/")
        for depth, name in enumerate(parts, start=1):
            if not self._walked_by_jekyll(name, "/".join(parts[:depth]), in_posts=False):
                self._skip(rel, "is the collections_dir, but Jekyll reads no posts in a folder named so")
                return None
        path = os.path.join(self.root, rel)
        target = os.path.realpath(path)
        if not os.path.isdir(target):
            return None
        if target != os.path.normpath(path):
            if not self.follow_symlinks:
                self._skip(rel, f"is or lies under a symbolic link to a folder; {_NO_LINKS}")
                return None
            if not _inside(self.root, target):
                self._skip(rel, _outside("folder", target))
                return None
        self._read_as[_folder_key(target)] = rel
        return target

    def _skip(self, rel: str, reason: str) -> None:
        self.skipped.append(Skipped(_printable(rel), reason))

    def _walk(self, start: str, start_rel: str) -> None:
        """Read the real folder ``start`` (known as ``start_rel``) and the real folders below it."""
        stack = [(start, start_rel)]
        while stack:
            real_dir, rel_dir = stack.pop()
            in_posts = "_posts" in rel_dir.split("/")
            try:
                with os.scandir(real_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                self._skip(rel_dir or ".", f"folder cannot be read: {e.strerror or e}")
                continue
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}".lstrip("/")
                is_link = entry.is_symlink()
                try:
                    is_dir = entry.is_dir()  # follows a link
                except OSError:  # a link loop (ELOOP): reading it as a file reports why
                    is_dir = False
                if is_dir:
                    if self._walked_by_jekyll(entry.name, rel, in_posts=in_posts):
                        subdir = self._folder(entry, rel, is_link=is_link, in_posts=in_posts)
                        if subdir:
                            subdirs.append(subdir)
                elif in_posts:
                    self._file(entry, rel, is_link=is_link)
            stack.extend(reversed(subdirs))  # popped in name order

    def _walked_by_jekyll(self, name: str, rel: str, *, in_posts: bool) -> bool:
        """Whether Jekyll looks for posts in the folder ``rel``. Outside ``_posts`` it reads a folder unless
        its entry filter skips it; under ``_posts`` it lists every file below (Dir["**/*"], which hides
        dot-folders) and filters the files one by one (:meth:`_skipped_by_jekyll`)."""
        if in_posts:
            return not name.startswith(".")
        if name == "_posts":  # read whatever the filter says of the name (Reader#retrieve_posts)
            return True
        return name != "_site" and not self._skipped_by_jekyll(name, rel, is_dir=True)

    def _skipped_by_jekyll(self, entry: str, rel: str, *, is_dir: bool) -> bool:
        """Jekyll's ``EntryFilter#filter`` of ``entry``: a folder's name, or a file's path below its
        ``_posts`` folder; ``rel`` is its path from the site root. Excluded paths are skipped unless
        included; then included ones are kept, and names Jekyll calls special or backups are skipped."""
        if entry.endswith("."):
            return True
        name = entry.rsplit("/", 1)[-1]
        included = _glob_include(self.include, entry, is_dir=is_dir) or _glob_include(
            self.include, name, is_dir=is_dir
        )
        if included:
            return False
        return (
            _glob_include(self.exclude, rel, is_dir=is_dir)
            or entry.startswith(_SPECIAL_LEADING)
            or name.startswith(_SPECIAL_LEADING)
            or entry.endswith("~")
        )

    def _folder(
        self, entry: os.DirEntry[str], rel: str, *, is_link: bool, in_posts: bool
    ) -> tuple[str, str] | None:
        """The real folder to read next for ``entry`` (in a ``_posts`` folder if ``in_posts``); a link is
        queued (or skipped), not read now."""
        if is_link:
            target = os.path.realpath(entry.path)
            if not self.follow_symlinks:
                self._skip(rel, f"is a symbolic link to a folder; {_NO_LINKS}")
            elif not _inside(self.root, target):
                self._skip(rel, _outside("folder", target))
            elif in_posts:
                # Jekyll lists a _posts folder with Dir["**/*"], which does not enter folder links, so it
                # publishes none of the posts reached through one (a category folder link it does follow).
                self._skip(
                    rel, "is a symbolic link to a folder inside _posts; Jekyll reads no posts through it"
                )
            else:
                self._links.append((rel, target))
            return None
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as e:
            self._skip(rel, f"folder cannot be read: {e.strerror or e}")
            return None
        key = (st.st_dev, st.st_ino)
        if key in self._read_as:  # reached through a link first
            seen = _printable(self._read_as[key])
            self._skip(
                rel, f"is the folder already read through the link {seen}/; mikke reads each folder once"
            )
            return None
        self._read_as[key] = rel
        return entry.path, rel

    def _file(self, entry: os.DirEntry[str], rel: str, *, is_link: bool) -> None:
        name = entry.name
        parts = rel.split("/")
        below_posts = "/".join(parts[parts.index("_posts") + 1 :])  # the path Jekyll filters
        if name.startswith(".") or self._skipped_by_jekyll(below_posts, rel, is_dir=False):
            return
        problem = _utf8_problem(rel)
        if problem:
            self._skip(rel, problem)
            return
        match = POST_NAME_RE.match(name)
        if match is None:
            self._skip(rel, "name is not YYYY-MM-DD-title.EXT, so Jekyll does not publish it")
            return
        # Jekyll publishes a post of any extension (PostReader reads every dated name); one it cannot
        # read as text, or a stylesheet, is reported when it is parsed.
        if is_link:
            target = os.path.realpath(entry.path)
            if not self.follow_symlinks:
                self._skip(rel, f"is a symbolic link; {_NO_LINKS}")
                return
            if not _inside(self.root, target):
                self._skip(rel, _outside("file", target))
                return
        self.ids.append(rel)


def _folder_key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def read_site_file(root: Path, rel: str, *, follow_symlinks: bool = True) -> bytes:
    """Read the file ``rel`` of the site at ``root`` (resolved), at most ``MAX_POST_BYTES + 1`` bytes.

    Reads only a regular file inside the site, never blocks on a FIFO or device, and reads one byte more
    than a post may have, so a caller can tell a file is too big without holding all of it.
    :raises PostSkipped: the file lies outside the site, is not a regular file, or cannot be read.
    """
    path = root / rel
    resolved = os.path.realpath(path)
    if not _inside(root, resolved):
        if os.path.islink(path):
            raise PostSkipped(_outside("file", resolved))
        raise PostSkipped(
            f"leads through a symbolic link outside the site ({_printable(resolved)}); "
            "mikke reads no file outside the site root"
        )
    if not follow_symlinks and resolved != os.path.normpath(path):
        raise PostSkipped(f"is or lies under a symbolic link; {_NO_LINKS}")
    try:
        # Checked before opening too: opening some devices has side effects.
        if not stat.S_ISREG(os.stat(resolved).st_mode):
            raise PostSkipped("is not a regular file")
        fd = os.open(resolved, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        raise PostSkipped(f"cannot be read: {e.strerror or e}") from None
    try:
        # It may have been swapped since the check above.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PostSkipped("is not a regular file")
        chunks: list[bytes] = []
        left = MAX_POST_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise PostSkipped(f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def resolve_collisions(posts: Iterable[_Dated]) -> tuple[list[Any], list[Collision]]:
    """Keep, for each URL, the post Jekyll writes last (it overwrites the earlier ones).

    Jekyll writes posts in date order, then path order, so the latest wins.
    :return: the winners sorted by date then id, and one :class:`Collision` per contested URL.
    """
    by_url: dict[str, list[_Dated]] = {}
    for post in posts:
        by_url.setdefault(post.url, []).append(post)
    winners: list[Any] = []
    collisions: list[Collision] = []
    for url, group in by_url.items():
        group.sort(key=lambda p: (p.date, p.id))
        winners.append(group[-1])
        if len(group) > 1:
            collisions.append(Collision(url, group[-1].id, tuple(p.id for p in group[:-1])))
    winners.sort(key=lambda p: (p.date, p.id))
    collisions.sort(key=lambda c: c.url)
    return winners, collisions


def parse_site_file(config: SiteConfig, include_hidden: bool, item: tuple[str, bytes]) -> Post | Skipped:
    """Parse one post file read by :func:`scan_site`: ``item`` is its id and bytes. A module-level
    function, so worker processes can run it."""
    post_id, data = item
    try:
        return parse_post(config, post_id, data, include_hidden=include_hidden)
    except PostSkipped as e:
        return Skipped(post_id, e.reason)
    except Exception as e:
        return Skipped(post_id, f"could not be read ({type(e).__name__}: {one_line(e)}); please report this")


# Runs a parser over (post id, bytes) items, yielding the results in order, as the builtin map does.
MapPosts = Callable[
    [Callable[[tuple[str, bytes]], Post | Skipped], Iterable[tuple[str, bytes]]], Iterable[Post | Skipped]
]


def scan_site(
    config: SiteConfig,
    known: Mapping[str, ManifestEntry] | None = None,
    *,
    include_hidden: bool = False,
    follow_symlinks: bool = True,
    map_posts: MapPosts = map,
) -> SiteScan:
    """Find what Jekyll would publish, parsing only files whose bytes differ from what is ``known``.

    The one loop over a site's posts, for a full build (nothing known), an incremental one (the index's
    manifest) and :func:`load_site`. Known, unchanged posts take part in collision resolution through
    their entry (url, date), so a new post can still overwrite, or lose to, an indexed one.

    :param known: what the index holds of each post, by id.
    :param include_hidden: also accept posts marked ``sitemap: false`` or ``robots: noindex``.
    :param follow_symlinks: follow symbolic links that stay inside the site (links leaving it never are).
    :param map_posts: how the files are parsed: ``map`` by default; the indexer passes its worker pool's
        ordered map. Files are read here, in this process, and only as ``map_posts`` asks for them.
    """
    known = known or {}
    post_ids, found_skipped = find_post_files(config, follow_symlinks=follow_symlinks)
    skipped = list(found_skipped)
    if config.defaults is not None:
        skipped.extend(Skipped("_config.yml", reason) for reason in config.defaults.skipped)
    parsed: list[Post] = []
    kept: list[ManifestEntry] = []

    def to_parse() -> Iterator[tuple[str, bytes]]:
        for post_id in post_ids:
            try:
                data = read_site_file(config.root, post_id, follow_symlinks=follow_symlinks)
            except PostSkipped as e:
                skipped.append(Skipped(post_id, e.reason))
                continue
            entry = known.get(post_id)
            if entry is not None and entry.source_hash == hashlib.sha256(data).hexdigest():
                kept.append(entry)
                continue
            yield post_id, data

    for result in map_posts(functools.partial(parse_site_file, config, include_hidden), to_parse()):
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            parsed.append(result)
    winners, collisions = resolve_collisions([*parsed, *kept])
    winner_ids = {w.id for w in winners}
    changed = [p for p in parsed if p.id in winner_ids]
    changed.sort(key=lambda p: (p.date, p.id))
    return SiteScan(
        changed=changed,
        unchanged={e.id for e in kept if e.id in winner_ids},
        skipped=sorted(skipped, key=lambda s: s.path),
        collisions=collisions,
        files=len(post_ids) + len(found_skipped),
    )


def load_site(
    root: str | os.PathLike[str],
    *,
    include_hidden: bool = False,
    follow_symlinks: bool = True,
    site_url: str = "",
) -> Site:
    """Load every post Jekyll would publish from the site at ``root``; bad files are skipped, never fatal.

    :param follow_symlinks: follow symbolic links that stay inside the site (links leaving it never are).
    :raises SiteError: the site folder or its ``_config.yml`` cannot be read.
    """
    config = read_site_config(root, follow_symlinks=follow_symlinks, site_url=site_url)
    scan = scan_site(config, include_hidden=include_hidden, follow_symlinks=follow_symlinks)
    return Site(config, scan.changed, scan.skipped, scan.collisions)
