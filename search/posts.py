"""One Jekyll post: whether Jekyll publishes it, at which URL, with which title, date, tags and clean text.

Follows Jekyll 4 (PostReader, Document, Drops::UrlDrop, Utils.slugify).
Imports no sudachipy, tantivy or flask.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import urllib.parse
from collections import deque
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler

from mikke.search.analysis import tag_key
from mikke.search.markdown_text import JEKYLL_HEADING_IDS
from mikke.search.markdown_text import HeadingIds
from mikke.search.markdown_text import block_keys
from mikke.search.markdown_text import clean_inline
from mikke.search.markdown_text import render_text
from mikke.search.schema import DATE_MAX
from mikke.search.schema import DATE_MIN

if TYPE_CHECKING:
    from mikke.search.defaults import FrontMatterDefaults

MAX_POST_BYTES = 8 * 1024 * 1024  # larger files are skipped: no blog post is this big
MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_YAML_ALIASES = 100  # guards against alias bombs ("billion laughs") in front matter
MAX_LABELS = 1000  # tags or categories of one post, after flattening nested lists
# What Liquid outputs may render of a site's _config.yml or a post's front matter (both untrusted): the
# first scalar values found (top-level keys first), nesting, and length. Longer values render as nothing.
MAX_VARIABLES = 200
MAX_VARIABLE_DEPTH = 4
MAX_VARIABLE_CHARS = 1000
_MAX_VARIABLE_VISITS = 10_000  # values looked at, kept or not: YAML aliases can repeat a mapping

# Jekyll's default `markdown_ext`, as the extensions its Markdown converter turns into .html.
JEKYLL_MARKDOWN_EXT = (".markdown", ".mkdown", ".mkdn", ".mkd", ".md")
HTML_EXTENSIONS = frozenset({".html", ".htm"})
# Posts Jekyll publishes as a stylesheet or script (.scss and .sass converted to .css by
# jekyll-sass-converter, which Jekyll 4.3 always loads): no text for a reader to search.
_STYLESHEET_EXTENSIONS = frozenset({".css", ".scss", ".sass"})
_SCRIPT_EXTENSIONS = frozenset({".js", ".coffee"})

# Jekyll's Document::DATE_FILENAME_MATCHER: date, slug, and the last extension. The slug is any run of
# characters but "/", line breaks included (Ruby's [^/]*), so every name Jekyll publishes is read.
POST_NAME_RE = re.compile(r"\A(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)\Z")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)

PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
# The version of the rules that turn a post file into its URL and date. It is part of every site's
# fingerprint, so an index built under older rules is rebuilt in full rather than keeping old URLs.
# 2: an unquoted YAML time without an offset is in UTC. 3: slug: "" and file slugs ending in ".".
# 4: the placeholders :slugified_categories and :path. 5: :output_ext of .htm posts and own permalinks.
# 6: categories differing only by width (ＡＢ, ab) both in :categories. 7: escapes in a permalink kept.
# 8: front matter defaults (_config.yml `defaults`); `category` adds to `categories` instead of replacing.
# 9: `markdown_ext` read (.mdown is not Markdown by default); posts of any other extension published.
URL_RULES_VERSION = 9
_URL_SAFE = "/-._~!$&'()*+,;=:@"
_PRETTY_KEEP = set("._~!$&'()+,;=@")


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
    include: tuple[str, ...] = ()  # paths Jekyll reads although excluded or named like special files
    collections_dir: str = ""  # the folder, inside the site, that holds the _posts folders ("": the root)
    # The scalar values of _config.yml by dotted name ("site.title", "site.author.name"), as Liquid renders
    # them in posts: see liquid_variables.
    # A plain dict, never changed after read_site_config: a site's settings go to the worker processes
    # that parse its posts, and a read-only MappingProxyType cannot be pickled.
    variables: Mapping[str, str] = field(default_factory=dict, hash=False)
    # How Jekyll gives Markdown headings their ids (kramdown with GFM input, Jekyll's default); None when
    # the site's Markdown engine or input is another one: hits then link the post, not a section.
    heading_ids: HeadingIds | None = JEKYLL_HEADING_IDS
    # The `defaults` entries that apply to posts (search/defaults.py); None without any.
    defaults: FrontMatterDefaults | None = field(default=None, hash=False)
    # The extensions Jekyll converts as Markdown (`markdown_ext`, see markdown_extensions), lowercase.
    markdown_ext: tuple[str, ...] = JEKYLL_MARKDOWN_EXT

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def fingerprint(self) -> str:
        """A stable hash of every setting that changes a post's URL, date, publication or text."""
        data = [
            self.url,
            self.baseurl,
            self.permalink,
            self.timezone,
            self.future,
            list(self.exclude),
            sorted(self.variables.items()),
            None if self.heading_ids is None else [self.heading_ids.auto, self.heading_ids.prefix],
            ["url-rules", URL_RULES_VERSION],
        ]
        # Only when set, so that an index of a site without them keeps its fingerprint.
        if self.include:
            data.append(["include", list(self.include)])
        if self.collections_dir:
            data.append(["collections_dir", self.collections_dir])
        if self.defaults:
            data.append(["defaults", self.defaults.fingerprint_data()])
        if self.markdown_ext != JEKYLL_MARKDOWN_EXT:
            data.append(["markdown_ext", list(self.markdown_ext)])
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
    block_keys: tuple[str, ...] = ()  # of every block of the text as written (search/template.py)
    template_chars: int = 0  # characters of site template taken out of ``text``
    sections: tuple[tuple[str, str, str], ...] = ()  # h2/h3 a hit can link to: (first block, id, heading)
    image: str | None = None  # the post's picture (front matter ``image``) as an absolute http(s) URL


class PostSkipped(Exception):
    """Jekyll would not publish this file, or it cannot be read; ``reason`` is one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise PostSkipped(f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases")
        return super().compose_node(parent, index)

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)
        return PlainScalar(value) if node.style is None else value


class _FastLoader(getattr(yaml, "CBaseLoader", _GuardedLoader)):  # type: ignore[misc]
    """:class:`_GuardedLoader`'s results from libyaml's parser, for front matter without aliases: the
    pure-Python parser was a fifth of parsing a post. libyaml marks a plain scalar's style ``''``."""

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)
        return PlainScalar(value) if not node.style else value


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
            if "*" not in fm:  # no alias: nothing for the guard to count
                try:
                    return yaml.load(fm, Loader=_FastLoader)
                except yaml.YAMLError:
                    pass  # the message comes from the loader below, the same whichever parser is installed
            return yaml.load(fm, Loader=_GuardedLoader)
        except yaml.YAMLError as e:
            raise PostSkipped(f"front matter is not valid YAML ({one_line(e)})") from None
        except RecursionError:  # a few hundred nested [ or { are enough; the loaders recurse per level
            raise PostSkipped("front matter is not valid YAML (its values are nested too deeply)") from None


_FRONT_MATTER = JekyllFrontMatter()


def one_line(error: BaseException) -> str:
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
# What Ruby's YAML (Psych, YAML 1.1) reads as true, false or nil from an unquoted scalar.
_YAML_TRUE = {"true", "yes", "on"}
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


_VARIABLE_NAME_RE = re.compile(r"[A-Za-z_][\w-]*\??")


def liquid_text(value: Any) -> str | None:
    """``value`` (from any YAML loader) as a Liquid output renders it, or ``None`` if it is not a scalar."""
    if isinstance(value, PlainScalar):
        word = value.strip().lower()
        if word in _YAML_TRUE or word in _YAML_FALSE:
            return "true" if word in _YAML_TRUE else "false"
        return "" if word in _YAML_NULL else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        # Ruby's Time#to_s; YAML times without an offset are UTC.
        return value.strftime("%Y-%m-%d %H:%M:%S ") + (value.strftime("%z") if value.tzinfo else "+0000")
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return None


def liquid_variables(data: Mapping[Any, Any], prefix: str) -> dict[str, str]:
    """The scalar values of ``data`` as Liquid renders them, by dotted name under ``prefix``.

    ``{"title": "日記", "author": {"name": "猫"}}`` with prefix ``site`` gives ``{"site.title": "日記",
    "site.author.name": "猫"}``. Lists and other non-scalars are left out (they render as nothing here),
    and so is all past :data:`MAX_VARIABLES` values, :data:`MAX_VARIABLE_DEPTH` levels or
    :data:`MAX_VARIABLE_CHARS` characters: the YAML is untrusted.
    """
    out: dict[str, str] = {}
    queue: deque[tuple[str, Mapping[Any, Any], int]] = deque([(prefix, data, 1)])
    visits = 0
    while queue:
        path, mapping, depth = queue.popleft()
        for key, value in mapping.items():
            visits += 1
            if visits > _MAX_VARIABLE_VISITS or len(out) >= MAX_VARIABLES:
                return out
            if not isinstance(key, str) or not _VARIABLE_NAME_RE.fullmatch(key):
                continue
            name = f"{path}.{key}"
            if isinstance(value, Mapping):
                if depth < MAX_VARIABLE_DEPTH:
                    queue.append((name, value, depth + 1))
                continue
            text = liquid_text(value)
            if text is not None and len(text) <= MAX_VARIABLE_CHARS:
                out[name] = text
    return out


def _page_variables(
    front: Mapping[str, Any], *, title: str, when: datetime, permalink: str, slug: str
) -> dict[str, str]:
    """What ``{{ page.X }}`` renders in a post: its front matter, and what Jekyll sets itself."""
    variables = liquid_variables(front, "page")
    variables.update(
        {
            "page.title": title,
            "page.date": when.strftime("%Y-%m-%d %H:%M:%S %z"),  # Ruby's Time#to_s
            "page.url": permalink,
            "page.slug": slug,
        }
    )
    return variables


def _unpublished(front: dict[str, Any]) -> bool:
    """Jekyll's ``data.fetch("published", true)``: only false and nil (``published:`` left empty) hide it."""
    if "published" not in front:
        return False
    value = front["published"]
    return _is_yaml_false(value) or _is_yaml_null(value)


def _is_nil(value: Any) -> bool:
    return value is None or _is_yaml_null(value)


def deep_merge(target: Mapping[str, Any], overwrite: Mapping[str, Any]) -> dict[str, Any]:
    """Jekyll's ``Utils.deep_merge_hashes``: ``overwrite`` wins, except where its value is nil (the
    value before it stays); mappings in both are merged the same way."""
    out = dict(target)
    for key, new in overwrite.items():
        if key in out:
            old = out[key]
            if _is_nil(new):
                continue
            if isinstance(old, dict) and isinstance(new, dict):
                new = deep_merge(old, new)
        out[key] = new
    return out


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


# Ruby's YAML (Psych's ScalarScanner::TIME) reads an unquoted scalar of this shape as a time, and one without
# an offset as a time in UTC; any other date text stays a string that Jekyll gives Time.parse (local time).
_YAML_TIME_RE = re.compile(
    r"-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?"
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


def _placeholders(
    date_: datetime, slug: str, name: str, categories: Sequence[str], ext: str, path: str
) -> dict[str, str]:
    """Jekyll's URL placeholders of a post (``Drops::UrlDrop``); ``name`` is its file's name without the
    extension, date included; ``path`` its path below the collections folder without the extension and
    the first ``_posts`` (Document#cleaned_relative_path)."""
    seen: list[str] = []
    slugified: list[str] = []
    for c in categories:
        low = c.lower()
        if low not in seen:
            seen.append(low)
        slugged = slugify(c)
        if slugged not in slugified:
            slugified.append(slugged)
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
        "name": slugify(name),
        "categories": "/".join(seen),
        "slugified_categories": "/".join(slugified),
        "path": path,
        "output_ext": ext,
        "collection": "posts",
    }


_PLACEHOLDER_RE = re.compile(r":([a-z_]+)")


def permalink_path(template: str, placeholders: dict[str, str]) -> str:
    """Expand a permalink template as Jekyll's URL does, then percent-encode it. A style name (``pretty``)
    is the caller's to expand: Jekyll does so for the site's setting only.

    :raises ValueError: the template names a placeholder Jekyll does not know.
    """

    def value(name: str) -> str:
        # Jekyll escapes each value (URL.escape_path): a "%" in a category is text, %25.
        return urllib.parse.quote(placeholders[name], safe=_URL_SAFE)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        for key in (name, name.rstrip("_")):
            if key in placeholders:
                return value(key) + name[len(key) :]
        # Jekyll raises here; longest known prefix wins (":titlefoo" is not a placeholder).
        for end in range(len(name), 0, -1):
            if name[:end] in placeholders:
                return value(name[:end]) + name[end:]
        raise ValueError(f"permalink {template!r} uses unknown placeholder :{name}")

    path = _PLACEHOLDER_RE.sub(replace, template)
    path = ("/" + path).replace("..", "/").replace("./", "")
    path = re.sub(r"/{2,}", "/", path)
    # The template's own text is written as a URL (relative_url only escapes what must be): an escape
    # already in it (/p%20q/, the file "p q") stays, and a "%" that starts none is text.
    path = urllib.parse.quote(path, safe=_URL_SAFE + "%")
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", path)


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
    own, body, (file_date, file_slug, ext) = _read_source(post_id, data)
    # Document#read: the defaults first, then the file's own front matter over them.
    defaults = config.defaults.for_post(post_id) if config.defaults else {}
    front = deep_merge(defaults, own) if defaults else own
    _check_published(front, include_hidden=include_hidden)
    when = _post_date(front, file_date, config, now)
    categories, tags = _labels(front, post_id, config.collections_dir, layers=(defaults, own))

    slug = _slug(front, file_slug)
    permalink = _permalink(config, front, when, slug, categories, post_id)
    is_markdown = ext.lower() in config.markdown_ext
    if not is_markdown:  # a `markdown_ext` naming "css" makes .css posts Markdown pages
        _check_text_post(ext, permalink)
    raw_title = _scalar(front.get("title")) or ""
    page = _page_variables(
        front, title=raw_title or titleize(file_slug), when=when, permalink=permalink, slug=slug
    )
    content = render_text(
        body,
        markdown=is_markdown,
        plain=not is_markdown and not _served_as_html(ext, permalink),
        variables={**config.variables, **page},
        heading_ids=config.heading_ids,
    )
    return Post(
        id=post_id,
        source_hash=hashlib.sha256(data).hexdigest(),
        url=config.link(permalink),
        permalink=permalink,
        title=clean_inline(raw_title) or (content.headings[0] if content.headings else titleize(file_slug)),
        date=when,
        tags=tuple(tags),
        categories=tuple(_clean_labels(_unique(categories))),
        excerpt=_excerpt(front) or content.first_paragraph,
        text=content.text,
        headings=content.headings,
        block_keys=block_keys(content.text),
        sections=content.sections,
        image=post_image(config, front.get("image")),
    )


def _excerpt(front: dict[str, Any]) -> str:
    """The summary the post's front matter gives (``excerpt``, else ``description``), as plain text."""
    return clean_inline(_scalar(front.get("excerpt")) or _scalar(front.get("description")) or "")


def _read_source(post_id: str, data: bytes) -> tuple[dict[str, Any], str, tuple[str, str, str]]:
    """The front matter and body of a post file, and the date, slug and extension its name gives.

    :raises PostSkipped: the file is empty, too large, undecodable, or its name is not a post's.
    """
    if not data.strip():
        raise PostSkipped("is empty")
    if len(data) > MAX_POST_BYTES:
        raise PostSkipped(f"is larger than {MAX_POST_BYTES // (1024 * 1024)} MB")
    front, body = _front_matter(_decode(data))
    match = POST_NAME_RE.match(post_id.rsplit("/", 1)[-1])
    if match is None:
        raise PostSkipped("name is not YYYY-MM-DD-title.EXT")
    file_date, file_slug, ext = match.groups()
    # Jekyll's Document#populate_title: "slugs shouldn't end with a period".
    return front, body, (file_date, file_slug.rstrip("."), ext)


def _slug(front: Mapping[str, Any], file_slug: str) -> str:
    """Jekyll's ``data["slug"] ||= slug``: the front matter's ``slug`` unless it is nil or false, even an
    empty ``slug: ""`` (Ruby's empty string is true), which makes :title and :slug empty."""
    value = front.get("slug")
    if not isinstance(value, str) or _is_yaml_null(value) or _is_yaml_false(value):
        return file_slug
    return value


def _permalink(
    config: SiteConfig,
    front: Mapping[str, Any],
    when: datetime,
    slug: str,
    categories: Sequence[str],
    post_id: str,
) -> str:
    """The post's path, from its own ``permalink`` or the site's; ``post_id`` is its file's path.

    :raises PostSkipped: the permalink cannot be made (see :func:`permalink_path`).
    """
    file_name = post_id.rsplit("/", 1)[-1]
    name, ext = file_name.rsplit(".", 1)[0], "." + file_name.rsplit(".", 1)[-1]
    relative = post_id.removeprefix(config.collections_dir + "/") if config.collections_dir else post_id
    # Document#cleaned_relative_path: String#sub replaces the first "_posts" wherever it is.
    path = relative.removesuffix(ext).replace("_posts", "", 1).rstrip(".")
    own = _scalar(front.get("permalink"))
    output_ext = _output_ext(own, ext, config.markdown_ext)
    placeholders = _placeholders(when, slug, name, categories, output_ext, path)
    # A post's own permalink is a template as written: Jekyll expands style names (pretty, date…) in
    # _config.yml only, so `permalink: pretty` in a post publishes it at /pretty.
    template = own or PERMALINK_STYLES.get(config.permalink, config.permalink)
    try:
        return permalink_path(template, placeholders)
    except ValueError as e:
        raise PostSkipped(str(e)) from None


def markdown_extensions(value: Any) -> tuple[str, ...]:
    """The ``markdown_ext`` setting as Converters::Markdown#extname_list reads it: split at "," with
    Ruby's String#split (trailing empty entries dropped, none stripped: " txt" matches no file), each
    lowercased with a "." before it. Anything but text fails Jekyll's build; Jekyll's default is kept."""
    if not isinstance(value, str):
        return JEKYLL_MARKDOWN_EXT
    entries = value.split(",")
    while entries and not entries[-1]:
        entries.pop()
    return tuple("." + e.lower() for e in entries)


def _output_ext(own_permalink: str | None, ext: str, markdown_ext: Sequence[str]) -> str:
    """Jekyll's Renderer#output_ext: the extension of the post's own permalink unless it ends with "/",
    else .html for Markdown (``markdown_ext``, any case), .css for Sass, else the file's extension as
    written (the identity converter's): a ``.htm`` post is published as .htm, a ``.HTML`` one as .HTML,
    a ``.txt`` one as .txt."""
    if own_permalink and not own_permalink.endswith("/"):
        own_ext = _ruby_extname(own_permalink)
        if own_ext:
            return own_ext
    if ext.lower() in markdown_ext:
        return ".html"
    return ".css" if ext.lower() in (".scss", ".sass") else ext


def _check_text_post(ext: str, permalink: str) -> None:
    """Skip a post Jekyll publishes as a stylesheet or script: it is no page for a reader.

    :raises PostSkipped: it is one.
    """
    if ext.lower() in _STYLESHEET_EXTENSIONS:
        raise PostSkipped(f"is a stylesheet (Jekyll publishes it at {permalink}), not text to search")
    if ext.lower() in _SCRIPT_EXTENSIONS:
        raise PostSkipped(f"is a script (Jekyll publishes it at {permalink}), not text to search")


def _served_as_html(ext: str, permalink: str) -> bool:
    """Whether a post Jekyll does not convert is read as HTML: an HTML file, or one written as an .html
    page (an own permalink ending in .html, or one ending in "/", written as index.html). Anything else
    (a .txt post at /a.txt) is shown as the text it is."""
    if ext.lower() in HTML_EXTENSIONS or permalink.endswith("/"):
        return True
    return _ruby_extname(permalink).lower() in HTML_EXTENSIONS


def _ruby_extname(path: str) -> str:
    """Ruby's ``File.extname`` on Linux: from the last "." of the last segment, not counting leading dots
    (``.config`` has none); ``name.`` gives ``.``."""
    base = path.rsplit("/", 1)[-1].lstrip(".")
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


# Characters a path or URL keeps as written; the rest (spaces, Japanese) is percent-encoded as UTF-8.
_IMAGE_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def post_image(config: SiteConfig, value: Any) -> str | None:
    """The absolute URL of a post's ``image`` (a string, or jekyll-seo-tag's mapping with ``path``), as
    Jekyll's ``absolute_url`` makes it: a path is under the site's ``url`` and ``baseurl``. Only http(s)
    URLs; None for anything else, and for a path when the site has no ``url``."""
    if isinstance(value, dict):
        value = value.get("path")
    image = _scalar(value)
    if image is None or not image.strip() or any(ord(ch) < 32 or ch == "\x7f" for ch in image.strip()):
        return None
    image = urllib.parse.quote(image.strip(), safe=_IMAGE_URL_SAFE)
    if image.startswith("//"):
        image = "https:" + image
    try:
        parts = urllib.parse.urlsplit(image)
    except ValueError:  # an unbalanced IPv6 bracket (http://[x/a.png): no URL a reader could follow (T35)
        return None
    if parts.scheme or parts.netloc:
        return image if parts.scheme in ("http", "https") and parts.netloc else None
    if not config.url:
        return None
    return config.link("/" + image.lstrip("/"))


def _check_published(front: dict[str, Any], *, include_hidden: bool) -> None:
    """:raises PostSkipped: the front matter keeps the post unpublished, or out of search (hidden)."""
    if _unpublished(front):
        raise PostSkipped(f"published: {front['published'] or '(empty)'}")
    if include_hidden:
        return
    if _is_yaml_false(front.get("sitemap")):
        raise PostSkipped("sitemap: false (set MIKKE_INCLUDE_HIDDEN=true to index it)")
    robots = front.get("robots")
    if isinstance(robots, str) and "noindex" in robots.lower():
        raise PostSkipped("robots: noindex (set MIKKE_INCLUDE_HIDDEN=true to index it)")


def _post_date(front: dict[str, Any], file_date: str, config: SiteConfig, now: datetime | None) -> datetime:
    """The post's date in the site timezone: front matter ``date``, else the file name's.

    :raises PostSkipped: the date cannot be read or indexed, or lies in the future without ``future: true``.
    """
    raw_date = _scalar(front.get("date"))
    where = f"date {raw_date!r}" if raw_date else f"date {file_date!r} in the file name"
    # An unquoted `2025-08-29 17:25:03` is a YAML time, in UTC without an offset (Jekyll then shows it in
    # the site timezone); quoted, or without seconds, Jekyll reads it in the site timezone.
    yaml_time = isinstance(raw_date, PlainScalar) and _YAML_TIME_RE.fullmatch(raw_date) is not None
    zone = ZoneInfo("UTC") if yaml_time else config.tz
    try:
        when = parse_date(raw_date or file_date, zone).astimezone(config.tz)
    except ValueError:
        raise PostSkipped(f"{where} is not a valid date") from None
    except OverflowError:  # a valid date whose moment in the site timezone is before year 1 or after 9999
        when = None
    if when is not None and when > (now or datetime.now(UTC)) and not config.future:
        raise PostSkipped(
            f"dated in the future ({when:%Y-%m-%d %H:%M}); Jekyll publishes it only with future: true"
        )
    if when is None or not DATE_MIN <= when < DATE_MAX:
        raise PostSkipped(
            f"{where} is outside the dates the index can hold "
            f"({DATE_MIN:%Y-%m-%d} to {DATE_MAX - timedelta(days=1):%Y-%m-%d})"
        )
    return when


def _labels(
    front: Mapping[str, Any],
    post_id: str,
    collections_dir: str = "",
    *,
    layers: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[str], list[str]]:
    """Categories and tags as Jekyll reads them from ``front`` (the post's front matter merged over its
    defaults), ``layers`` being the defaults then the post's own front matter (``front`` alone if none).

    Categories: the folders above _posts (below ``collections_dir``), joined by each layer's
    ``categories`` (Document#categories_from_path, merge_categories!: an empty one keeps those before
    it), then ``category`` (populate_categories adds it). Tags: ``tag``, else ``tags``
    (Utils.pluralized_array_from_hash).
    """
    path = post_id.removeprefix(collections_dir + "/") if collections_dir else post_id
    path_categories = path.split("/_posts/")[0].split("/") if "/_posts/" in path else []
    # Exactly as written, as Jekyll keeps them for the URL (`Tips` and `tips`, `ＡＢ` and `ab` both count);
    # the categories shown and filtered by are these merged by tag_key.
    joined = [*path_categories]
    for layer in layers or (front,):
        if "categories" in layer and not _is_nil(layer["categories"]):
            joined.extend(_string_list(layer["categories"]))
    if _scalar(front.get("category")):
        joined.append(front["category"])
    categories = list(dict.fromkeys(joined))
    tags = _unique(
        _clean_labels([front["tag"]] if _scalar(front.get("tag")) else _string_list(front.get("tags")))
    )
    return categories, tags


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
