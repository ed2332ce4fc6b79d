"""Jekyll posts: which files Jekyll publishes, at which URL, with which clean text.

Follows Jekyll 4 (PostReader, Document, Drops::UrlDrop, Utils.slugify).
Imports no sudachipy, tantivy or flask.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import stat
import unicodedata
import urllib.parse
from collections import deque
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any
from typing import Protocol
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import yaml
from frontmatter.default_handlers import YAMLHandler

from search.errors import SiteError
from search.markdown_text import clean_inline
from search.markdown_text import render_text

MAX_POST_BYTES = 8 * 1024 * 1024  # larger files are skipped: no blog post is this big
MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_YAML_ALIASES = 100  # guards against alias bombs ("billion laughs") in front matter
MAX_LABELS = 1000  # tags or categories of one post, after flattening nested lists

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})

# Jekyll's Document::DATE_FILENAME_MATCHER: date, slug, and the last extension. The slug is any run of
# characters but "/", line breaks included (Ruby's [^/]*), so every name Jekyll publishes is read.
_POST_NAME_RE = re.compile(r"\A(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)\Z")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)

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

PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_URL_SAFE = "/-._~!$&'()*+,;=:@"
_PRETTY_KEEP = set("._~!$&'()+,;=@")


def tag_key(tag: str) -> str:
    """Normalise a tag or category for filtering (NFKC, lower-case, trimmed), at index and query time."""
    return unicodedata.normalize("NFKC", str(tag)).strip().lower()


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The settings of ``_config.yml`` that decide which posts are published and where."""

    root: Path
    url: str = ""
    baseurl: str = ""
    permalink: str = "date"
    timezone: str = "UTC"
    future: bool = False
    exclude: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def fingerprint(self) -> str:
        """A stable hash of every setting that changes a post's URL, date or publication."""
        data = [self.url, self.baseurl, self.permalink, self.timezone, self.future, list(self.exclude)]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:16]

    def link(self, permalink_path: str) -> str:
        """The link a reader follows: ``url`` + ``baseurl`` + the post's path."""
        return f"{self.url}{self.baseurl}{permalink_path}"


@dataclass(frozen=True, slots=True)
class Post:
    """A published post, cleaned for indexing."""

    id: str  # path relative to the site root, posix: "_posts/2025-08-29-foo.md"
    source_hash: str  # sha256 of the file's bytes
    url: str  # full link: site url + baseurl + permalink
    permalink: str  # the path part, percent-encoded
    title: str
    date: datetime  # aware, in the site timezone
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    excerpt: str
    text: str  # the clean text a reader sees; blocks separated by "\n", repeated blocks removed
    headings: tuple[str, ...]


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


class PostSkipped(Exception):
    """Jekyll would not publish this file, or it cannot be read; ``reason`` is one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Dated(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def date(self) -> datetime: ...


# ---------------------------------------------------------------------------------------------- config


def read_site_config(root: str | os.PathLike[str], *, follow_symlinks: bool = True) -> SiteConfig:
    """Read the URL- and publication-relevant settings of ``root/_config.yml`` (defaults if absent).

    :param follow_symlinks: accept a ``_config.yml`` that is a link inside the site (one leaving the site
        never is: indexing with another file's URL settings would publish wrong links).
    :raises SiteError: the folder is missing or ``_config.yml`` cannot be read or parsed.
    """
    root = Path(root)
    if not root.is_dir():
        raise SiteError(f"No site at {root}/; pass the folder that holds _config.yml and _posts/.")
    path = root / "_config.yml"
    data: Any = {}
    if path.exists() or path.is_symlink():
        try:
            raw = read_site_file(root.resolve(), "_config.yml", follow_symlinks=follow_symlinks)
        except PostSkipped as e:
            raise SiteError(f"{path} {e.reason}.") from None
        if len(raw) > MAX_POST_BYTES:
            raise SiteError(f"{path} is larger than {MAX_POST_BYTES // (1024 * 1024)} MB.")
        try:
            data = yaml.safe_load(raw.decode("utf-8-sig")) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as e:
            raise SiteError(f"Cannot read {path}: {_one_line(e)}.") from e
        if not isinstance(data, dict):
            raise SiteError(f"{path} must be a mapping of settings, not a {type(data).__name__}.")
    permalink = str(data.get("permalink") or "date")
    collections = data.get("collections")
    if isinstance(collections, dict) and isinstance(collections.get("posts"), dict):
        permalink = str(collections["posts"].get("permalink") or permalink)
    timezone = str(data.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise SiteError(f"{path}: unknown timezone {timezone!r}; use an IANA name like Asia/Tokyo.") from e
    exclude = data.get("exclude") or []
    if not isinstance(exclude, list):
        exclude = [exclude]
    return SiteConfig(
        root=root.resolve(),
        url=str(data.get("url") or "").rstrip("/"),
        baseurl=_clean_baseurl(str(data.get("baseurl") or "")),
        permalink=permalink,
        timezone=timezone,
        future=data.get("future") is True,
        exclude=tuple(str(e) for e in exclude),
    )


def _clean_baseurl(baseurl: str) -> str:
    baseurl = baseurl.strip().rstrip("/")
    if baseurl and not baseurl.startswith("/"):
        baseurl = "/" + baseurl
    return baseurl


# --------------------------------------------------------------------------------------------- finding


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        p = pattern.strip().strip("/")
        if not p:
            continue
        if rel == p or rel.startswith(p + "/") or fnmatch.fnmatch(rel, p):
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
    ``follow_symlinks`` is true; each real folder is read once, so link loops end.
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
        self.patterns = (*_DEFAULT_EXCLUDE, *config.exclude)
        self.follow_symlinks = follow_symlinks
        self.ids: list[str] = []
        self.skipped: list[Skipped] = []
        self._read_as: dict[tuple[int, int], str] = {}  # real folder -> the path it is read as
        self._links: deque[tuple[str, str]] = deque()  # (link path, resolved target) of folder links

    def run(self) -> None:
        self._read_as[_folder_key(str(self.root))] = ""
        self._walk(str(self.root), "")
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
                        subdir = self._folder(entry, rel, is_link=is_link)
                        if subdir:
                            subdirs.append(subdir)
                elif in_posts:
                    self._file(entry, rel, is_link=is_link)
            stack.extend(reversed(subdirs))  # popped in name order

    def _walked_by_jekyll(self, name: str, rel: str, *, in_posts: bool) -> bool:
        # Jekyll ignores folders starting with "_" or "." (besides _posts) and the excluded ones.
        return not (
            name.startswith(".")
            or (not in_posts and name.startswith("_") and name != "_posts")
            or name == "_site"
            or _excluded(rel, self.patterns)
        )

    def _folder(self, entry: os.DirEntry[str], rel: str, *, is_link: bool) -> tuple[str, str] | None:
        """The real folder to read next for ``entry``; a link is queued (or skipped), not read now."""
        if is_link:
            target = os.path.realpath(entry.path)
            if not self.follow_symlinks:
                self._skip(rel, f"is a symbolic link to a folder; {_NO_LINKS}")
            elif not _inside(self.root, target):
                self._skip(rel, _outside("folder", target))
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
        if name.startswith(".") or name.endswith("~") or _excluded(rel, self.patterns):
            return
        problem = _utf8_problem(rel)
        if problem:
            self._skip(rel, problem)
            return
        match = _POST_NAME_RE.match(name)
        if match is None:
            self._skip(rel, "name is not YYYY-MM-DD-title.EXT, so Jekyll does not publish it")
            return
        ext = match.group(3).lower()
        if ext not in MARKDOWN_EXTENSIONS | HTML_EXTENSIONS:
            self._skip(rel, f"extension {match.group(3)!r} is neither Markdown nor HTML")
            return
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


# --------------------------------------------------------------------------------------------- parsing


class PlainScalar(str):
    """A YAML scalar written without quotes: only these can be YAML's booleans or null (``false``, ``~``)."""

    __slots__ = ()


class _GuardedLoader(yaml.BaseLoader):
    """YAML with every scalar kept as text (tags like `no` or `2025` stay as written) and few aliases.

    Unquoted scalars come back as :class:`PlainScalar`, so ``published: false`` and ``published: "false"``
    can be told apart as Ruby's YAML tells them apart.
    """

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise PostSkipped(f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases")
        return super().compose_node(parent, index)

    def construct_scalar(self, node: Any) -> Any:  # type: ignore[override]
        value = super().construct_scalar(node)
        return PlainScalar(value) if node.style is None else value


class JekyllFrontMatter(YAMLHandler):
    """python-frontmatter's YAML handler with Jekyll's rules: ``---`` on the first line, closed by ``---``
    or ``...``, a size cap, and the guarded loader (no code, bounded aliases, scalars kept as text)."""

    FM_BOUNDARY = re.compile(r"\A---[ \t]*\n")

    def split(self, text: str) -> tuple[str, str]:
        match = _FRONT_MATTER_RE.match(text)
        if match is None:
            raise PostSkipped("front matter is not closed by a '---' line")
        return match.group(1), text[match.end() :]

    def load(self, fm: str, **kwargs: object) -> Any:
        if len(fm.encode()) > MAX_FRONT_MATTER_BYTES:
            raise PostSkipped(f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KB")
        try:
            return yaml.load(fm, Loader=_GuardedLoader)
        except yaml.YAMLError as e:
            raise PostSkipped(f"front matter is not valid YAML ({_one_line(e)})") from None


_FRONT_MATTER = JekyllFrontMatter()


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _decode(data: bytes) -> str:
    if data.startswith(b"\x89PNG") or data[:4] in (b"GIF8", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1"):
        raise PostSkipped("is an image, not a text file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PostSkipped("is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PostSkipped(
            f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise PostSkipped("contains NUL bytes; it is not a text file")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not _FRONT_MATTER.detect(text):
        return {}, text
    raw, body = _FRONT_MATTER.split(text)
    data = _FRONT_MATTER.load(raw)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PostSkipped(f"front matter is a {type(data).__name__}, not a mapping of keys to values")
    return data, body


_NULLS = {"", "~", "null", "Null", "NULL"}
# What Ruby's YAML (Psych, YAML 1.1) reads as false or nil from an unquoted scalar.
_YAML_FALSE = {"false", "no", "off"}
_YAML_NULL = {"", "~", "null"}


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return None if value in _NULLS else value
    return None


def _is_yaml_false(value: Any) -> bool:
    """Whether Jekyll sees ``false`` here: an unquoted false/no/off in any case (``"false"`` is a string)."""
    return isinstance(value, PlainScalar) and value.strip().lower() in _YAML_FALSE


def _is_yaml_null(value: Any) -> bool:
    return isinstance(value, PlainScalar) and value.strip().lower() in _YAML_NULL


def _unpublished(front: dict[str, Any]) -> bool:
    """Jekyll's ``data.fetch("published", true)``: only false and nil (``published:`` left empty) hide it."""
    if "published" not in front:
        return False
    value = front["published"]
    return _is_yaml_false(value) or _is_yaml_null(value)


def _string_list(value: Any) -> list[str]:
    """Jekyll's pluralized array: a string is split on whitespace, a list keeps its items (as text).

    Nested lists are flattened, up to :data:`MAX_LABELS` values: YAML aliases can make a small file
    expand to millions of items.
    """
    if isinstance(value, str):
        return [] if value in _NULLS else value.split()
    out: list[str] = []
    stack = [iter(value)] if isinstance(value, list) else []
    visited = 0
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        visited += 1
        if visited > MAX_LABELS:
            raise PostSkipped(f"tags or categories expand to more than {MAX_LABELS} values")
        if isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, str) and item not in _NULLS:
            out.append(item)
    return out


_END = object()


_DATE_RE = re.compile(
    r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?\s*$",
    re.I,
)


def parse_date(value: str, tz: ZoneInfo) -> datetime:
    """Parse a front matter date as Ruby's ``Time.parse`` does in practice, into the site timezone.

    Accepts ``2025-08-29 17:25:03 +0000``, ``+09:00``, ``Z``, ``2025/08/29 17:25``, ``2025-08-29``.
    A time without an offset, or a date alone, is in the site timezone.

    :raises ValueError: the text is not such a date.
    """
    match = _DATE_RE.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a date")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    naive = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    if offset is None:
        return naive.replace(tzinfo=tz)
    if offset.upper() in {"Z", "UTC", "GMT"}:
        return naive.replace(tzinfo=UTC).astimezone(tz)
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    delta = (hours * 60 + minutes) * (1 if offset[0] == "+" else -1)
    return naive.replace(tzinfo=timezone(timedelta(minutes=delta))).astimezone(tz)


def slugify(text: str, *, mode: str = "default", cased: bool = False) -> str:
    """Jekyll's ``Utils.slugify`` in "default" and "pretty" modes.

    Runs of characters that are not letters, marks or decimal digits (and, in pretty mode, not one of
    ``._~!$&'()+,;=@``) become one ``-``; a leading and trailing ``-`` are removed.
    """
    out: list[str] = []
    hyphen = False
    for ch in text:
        cat = unicodedata.category(ch)
        keep = cat[0] in "LM" or cat == "Nd" or (mode == "pretty" and ch in _PRETTY_KEEP)
        if keep:
            out.append(ch)
            hyphen = False
        elif not hyphen:
            out.append("-")
            hyphen = True
    slug = "".join(out)
    slug = slug.removeprefix("-").removesuffix("-")
    return slug if cased else slug.lower()


def _placeholders(date_: datetime, slug: str, categories: Sequence[str], ext: str) -> dict[str, str]:
    seen: list[str] = []
    for c in categories:
        low = c.lower()
        if low not in seen:
            seen.append(low)
    iso_year, iso_week, iso_day = date_.isocalendar()
    return {
        "year": f"{date_.year:04d}",
        "month": f"{date_.month:02d}",
        "day": f"{date_.day:02d}",
        "hour": f"{date_.hour:02d}",
        "minute": f"{date_.minute:02d}",
        "second": f"{date_.second:02d}",
        "i_day": str(date_.day),
        "i_month": str(date_.month),
        "short_month": date_.strftime("%b"),
        "long_month": date_.strftime("%B"),
        "short_year": f"{date_.year % 100:02d}",
        "y_day": f"{date_.timetuple().tm_yday:03d}",
        "week": f"{iso_week:02d}",
        "w_year": str(iso_year),
        "w_day": str(iso_day),
        "short_day": date_.strftime("%a"),
        "long_day": date_.strftime("%A"),
        "title": slugify(slug, mode="pretty", cased=True),
        "slug": slugify(slug),
        "name": slugify(slug),
        "categories": "/".join(seen),
        "output_ext": ext,
        "collection": "posts",
    }


_PLACEHOLDER_RE = re.compile(r":([a-z_]+)")


def permalink_path(template: str, placeholders: dict[str, str]) -> str:
    """Expand a permalink template as Jekyll's URL does, then percent-encode it.

    :raises ValueError: the template names a placeholder Jekyll does not know.
    """
    template = PERMALINK_STYLES.get(template, template)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        for key in (name, name.rstrip("_")):
            if key in placeholders:
                return placeholders[key] + name[len(key) :]
        # Jekyll raises here; longest known prefix wins (":titlefoo" is not a placeholder).
        for end in range(len(name), 0, -1):
            if name[:end] in placeholders:
                return placeholders[name[:end]] + name[end:]
        raise ValueError(f"permalink {template!r} uses unknown placeholder :{name}")

    path = _PLACEHOLDER_RE.sub(replace, template)
    path = ("/" + path).replace("..", "/").replace("./", "")
    path = re.sub(r"/{2,}", "/", path)
    return urllib.parse.quote(path, safe=_URL_SAFE)


def titleize(slug: str) -> str:
    """Jekyll's default title for a post without one: ``my-first_post`` -> ``My First Post``."""
    return " ".join(w[:1].upper() + w[1:] for w in re.split(r"[-_\s]+", slug) if w)


def parse_post(
    config: SiteConfig,
    post_id: str,
    data: bytes,
    *,
    include_hidden: bool = False,
    now: datetime | None = None,
) -> Post:
    """Turn the bytes of one post file into a :class:`Post`, as Jekyll would publish it.

    :param config: the site settings.
    :param post_id: the file's path relative to the site root (from :func:`find_post_files`).
    :param data: the file's bytes.
    :param include_hidden: also accept posts marked ``sitemap: false`` or ``robots: noindex``.
    :param now: the current time (for future-dated posts).
    :raises PostSkipped: Jekyll would not publish it, or it cannot be read.
    """
    if not data.strip():
        raise PostSkipped("is empty")
    if len(data) > MAX_POST_BYTES:
        raise PostSkipped(f"is larger than {MAX_POST_BYTES // (1024 * 1024)} MB")
    text = _decode(data)
    front, body = _front_matter(text)
    name = post_id.rsplit("/", 1)[-1]
    match = _POST_NAME_RE.match(name)
    if match is None:
        raise PostSkipped("name is not YYYY-MM-DD-title.EXT")
    file_date, file_slug, ext = match.groups()

    if _unpublished(front):
        raise PostSkipped(f"published: {front['published'] or '(empty)'}")
    if not include_hidden:
        if _is_yaml_false(front.get("sitemap")):
            raise PostSkipped("sitemap: false (set MIKKE_INCLUDE_HIDDEN=true to index it)")
        robots = front.get("robots")
        if isinstance(robots, str) and "noindex" in robots.lower():
            raise PostSkipped("robots: noindex (set MIKKE_INCLUDE_HIDDEN=true to index it)")

    tz = config.tz
    raw_date = _scalar(front.get("date"))
    try:
        when = parse_date(raw_date, tz) if raw_date else parse_date(file_date, tz)
    except ValueError:
        where = f"date {raw_date!r}" if raw_date else f"date {file_date!r} in the file name"
        raise PostSkipped(f"{where} is not a valid date") from None
    current = now or datetime.now(UTC)
    if when > current and not config.future:
        raise PostSkipped(
            f"dated in the future ({when:%Y-%m-%d %H:%M}); Jekyll publishes it only with future: true"
        )

    # Categories: folders above _posts first, then front matter (Document#categories_from_path,
    # merge_categories!); tags from tag/tags (Utils.pluralized_array_from_hash).
    path_categories = post_id.split("/_posts/")[0].split("/") if "/_posts/" in post_id else []
    front_categories = (
        [front["category"]] if _scalar(front.get("category")) else _string_list(front.get("categories"))
    )
    categories = _unique([*path_categories, *front_categories])
    tags = _unique(
        _clean_labels([front["tag"]] if _scalar(front.get("tag")) else _string_list(front.get("tags")))
    )

    slug = _scalar(front.get("slug")) or file_slug
    output_ext = ".html"
    placeholders = _placeholders(when, slug, categories, output_ext)
    template = _scalar(front.get("permalink")) or config.permalink
    try:
        permalink = permalink_path(template, placeholders)
    except ValueError as e:
        raise PostSkipped(str(e)) from None

    is_markdown = ext.lower() in MARKDOWN_EXTENSIONS
    content = render_text(body, markdown=is_markdown)
    title = clean_inline(_scalar(front.get("title")) or "")
    if not title:
        title = content.headings[0] if content.headings else titleize(file_slug)
    raw_excerpt = _scalar(front.get("excerpt")) or _scalar(front.get("description")) or ""
    excerpt = clean_inline(raw_excerpt) or content.first_paragraph
    return Post(
        id=post_id,
        source_hash=hashlib.sha256(data).hexdigest(),
        url=config.link(permalink),
        permalink=permalink,
        title=title,
        date=when,
        tags=tuple(tags),
        categories=tuple(_clean_labels(categories)),
        excerpt=excerpt,
        text=content.text,
        headings=content.headings,
    )


def _clean_labels(values: Iterable[str]) -> list[str]:
    return [v for v in (clean_inline(str(x)) for x in values) if v]


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        key = tag_key(v)
        if key and key not in seen:
            seen.add(key)
            out.append(v)
    return out


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


def load_site(
    root: str | os.PathLike[str], *, include_hidden: bool = False, follow_symlinks: bool = True
) -> Site:
    """Load every post Jekyll would publish from the site at ``root``; bad files are skipped, never fatal.

    :param follow_symlinks: follow symbolic links that stay inside the site (links leaving it never are).
    :raises SiteError: the site folder or its ``_config.yml`` cannot be read.
    """
    config = read_site_config(root, follow_symlinks=follow_symlinks)
    ids, skipped = find_post_files(config, follow_symlinks=follow_symlinks)
    posts: list[Post] = []
    for post_id in ids:
        try:
            data = read_site_file(config.root, post_id, follow_symlinks=follow_symlinks)
            posts.append(parse_post(config, post_id, data, include_hidden=include_hidden))
        except PostSkipped as e:
            skipped.append(Skipped(post_id, e.reason))
    winners, collisions = resolve_collisions(posts)
    return Site(config, winners, sorted(skipped, key=lambda s: s.path), collisions)
