"""Jekyll's front matter defaults (``defaults:`` in ``_config.yml``), as Jekyll 4.3's FrontmatterDefaults and
Document#merge_data! apply them to posts.

Each entry has a ``scope`` (a ``path`` prefix or glob, a ``type``) and ``values``; a post gets the values of
every entry whose scope matches its path, the more specific scope winning, and its own front matter wins over
them all. The entries are read once per site (into :class:`SiteConfig`) and matched per post with patterns
compiled here, once. Imports no sudachipy, tantivy or flask.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any
from typing import TypeGuard
from zoneinfo import ZoneInfo

import yaml

from mikke.search.posts import _YAML_TIME_RE
from mikke.search.posts import PlainScalar
from mikke.search.posts import PostSkipped
from mikke.search.posts import _GuardedLoader
from mikke.search.posts import _is_yaml_null
from mikke.search.posts import deep_merge
from mikke.search.posts import one_line
from mikke.search.posts import parse_date

# Jekyll's FrontmatterDefaults#update_deprecated_types: the singular type names still work.
_DEPRECATED_TYPES = {"post": "posts", "page": "pages", "draft": "drafts"}
# What Ruby's YAML reads as something other than a string from an unquoted scalar (besides true, false
# and null): integers, floats and dates. Only strings are scope paths and types to Jekyll.
_RUBY_NUMBER_RE = re.compile(
    r"[-+]?(?:0|[1-9][0-9_,]*)|0[xX][0-9a-fA-F_]+|0[0-7_]+|0b[01_]+"
    r"|[-+]?(?:[0-9][0-9_,]*\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_RUBY_DATE_RE = re.compile(r"\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)")  # Psych's ScalarScanner
_RUBY_BOOLEANS = {"true", "false", "yes", "no", "on", "off"}


def _ruby_string(value: Any) -> TypeGuard[str]:
    """Whether Ruby's YAML reads ``value`` (from the front matter loader) as a String."""
    if not isinstance(value, str):
        return False
    if not isinstance(value, PlainScalar):
        return True
    text = value.strip()
    return not (
        _is_yaml_null(value)
        or text.lower() in _RUBY_BOOLEANS
        or _RUBY_NUMBER_RE.fullmatch(text)
        or _RUBY_DATE_RE.fullmatch(text)
        or _YAML_TIME_RE.fullmatch(text)
    )


def glob_regex(pattern: str) -> str:
    """A regular expression matching the paths Ruby's ``Dir.glob(pattern)`` lists: ``*`` and ``?`` within
    a name (not a leading ``.``), ``**/`` any folders (not hidden ones), ``[...]`` (``^`` or ``!``
    negates), ``{a,b}`` alternatives, ``\\`` escaping the next character."""
    out: list[str] = []
    braces: list[bool] = []  # whether each open brace started a name: its alternatives do too
    at_name = True  # the next character starts a name (where * and ? do not match a leading ".")
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        hidden = r"(?!\.)" if at_name else ""
        if c == "*":
            if at_name and pattern.startswith("**/", i):
                out.append(r"(?:(?!\.)[^/]*/)*")
                i += 3
                continue
            while i < n and pattern[i] == "*":
                i += 1
            out.append(hidden + "[^/]*")
            at_name = False
            continue
        if c == "?":
            out.append(hidden + "[^/]")
        elif c == "[" and (end := _class_end(pattern, i)) > 0:
            body = pattern[i + 1 : end]
            negated = body[:1] in ("^", "!")
            chars = "".join(ch if ch == "-" else re.escape(ch) for ch in body[negated:])
            out.append(hidden + (f"[^/{chars}]" if negated else f"(?!/)[{chars}]"))
            i = end
        elif c == "{" and "}" in pattern[i:]:
            braces.append(at_name)
            out.append("(?:")
            i += 1
            continue
        elif c == "," and braces:
            out.append("|")
            at_name = braces[-1]
            i += 1
            continue
        elif c == "}" and braces:
            braces.pop()
            out.append(")")
            i += 1
            continue
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        at_name = c == "/"
        i += 1
    out.extend(")" * len(braces))  # an unclosed one
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """The index of the ``]`` closing the character class opened at ``start``, or -1."""
    i = start + 1
    if pattern[i : i + 1] in ("^", "!"):
        i += 1
    if pattern[i : i + 1] == "]":  # a leading ] is a member
        i += 1
    end = pattern.find("]", i)
    return end if end > start + 1 else -1


@dataclass(frozen=True, slots=True)
class DefaultSet:
    """One usable ``defaults`` entry that can apply to posts."""

    path: str  # the scope path as written ("" when missing, empty or not a string: every post)
    glob: re.Pattern[str] | None  # a path with "*": the site paths Dir.glob lists, under the site root
    folders_only: bool  # a glob ending with "/" lists folders only
    weight: int  # has_precedence?: the length of the path without a leading "/"
    typed: bool  # the scope names a type (posts): it wins over one without at equal weight
    scoped: bool  # the entry has a scope at all (Jekyll's precedence chain restarts after one without)
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FrontMatterDefaults:
    """The ``defaults`` of a site that apply to posts, and why the others are not used."""

    sets: tuple[DefaultSet, ...] = ()
    collections_dir: str = ""
    skipped: tuple[str, ...] = ()  # one line per entry skipped, for the build report

    def __bool__(self) -> bool:
        return bool(self.sets)

    def for_post(self, post_id: str) -> dict[str, Any]:
        """Jekyll's ``FrontmatterDefaults#all`` for the post at ``post_id`` (its path from the site root).

        A later matching entry wins over the one before if it takes precedence (has_precedence?), and is
        merged under it otherwise.
        """
        coll = self.collections_dir
        relative = post_id.removeprefix(coll + "/") if coll else post_id  # Document#relative_path
        out: dict[str, Any] = {}
        old: DefaultSet | None = None
        for s in self.sets:
            if not self._applies(s, relative, post_id):
                continue
            if old is None or _precedes(old, s):
                out = deep_merge(out, s.values)
                old = s if s.scoped else None
            else:
                out = deep_merge(s.values, out)
        return out

    def _applies(self, s: DefaultSet, relative: str, post_id: str) -> bool:
        if not s.path:
            return True
        if s.glob is None:
            return relative.startswith(self._strip_collections_dir(s.path))
        # Jekyll globs the pattern under the site root and matches a post at or below a path found
        # (String#start_with?). The post's own path and its folders are the paths found that it can start
        # with, so they are matched against the pattern instead of listing the site.
        parts = post_id.split("/")
        for depth in range(1, len(parts) + (not s.folders_only)):
            found = self._strip_collections_dir("/".join(parts[:depth]))
            if relative.startswith(found) and s.glob.fullmatch("/".join(parts[:depth])):
                return True
        return False

    def _strip_collections_dir(self, path: str) -> str:
        coll = self.collections_dir
        return path[len(coll) + 1 :] if coll and path.startswith(coll + "/") else path

    def fingerprint_data(self) -> list[Any]:
        """The sets as JSON values, telling ``false`` from ``"false"``: for the site's fingerprint."""
        return [[s.path, s.typed, s.scoped, _tagged(s.values)] for s in self.sets]


def _precedes(old: DefaultSet, new: DefaultSet) -> bool:
    """Jekyll's ``has_precedence?(old_scope, new_scope)``: the longer path, then a type over none."""
    if new.weight != old.weight:
        return new.weight >= old.weight
    return new.typed or not old.typed


def _tagged(value: Any) -> Any:
    if isinstance(value, PlainScalar):
        return ["plain", str(value)]
    if isinstance(value, str):
        return ["text", value]
    if isinstance(value, list):
        return ["list", [_tagged(v) for v in value]]
    if isinstance(value, dict):
        return ["map", [[str(k), _tagged(v)] for k, v in value.items()]]
    return ["other", repr(value)]


def read_defaults(config_text: str, collections_dir: str) -> FrontMatterDefaults:
    """The ``defaults`` of a ``_config.yml`` (its text), with values read as front matter is (scalars as
    text, so ``false`` and ``"false"`` differ as in Ruby). Entries Jekyll ignores, or that would stop its
    build, are skipped with a one-line reason each; nothing here raises."""
    try:
        data = yaml.load(config_text, Loader=_GuardedLoader)
    except PostSkipped as e:  # too many aliases: the loader's guard
        return FrontMatterDefaults(skipped=(f"defaults are not read: {e.reason}",))
    except (yaml.YAMLError, RecursionError, ValueError) as e:
        return FrontMatterDefaults(skipped=(f"defaults are not read: {one_line(e)}",))
    entries = data.get("defaults") if isinstance(data, dict) else None
    if entries is None or _is_yaml_null(entries):
        return FrontMatterDefaults()
    if not isinstance(entries, list):
        # Jekyll's valid_sets ignores it silently; a list was surely meant.
        return FrontMatterDefaults(skipped=("defaults must be a list of entries; it is ignored",))
    sets: list[DefaultSet] = []
    skipped: list[str] = []
    for number, entry in enumerate(entries, start=1):
        result = _default_set(entry)
        if isinstance(result, str):
            skipped.append(f"defaults entry {number} {result}; it is ignored")
        elif result is not None:
            sets.append(result)
    return FrontMatterDefaults(tuple(sets), collections_dir, tuple(skipped))


def _default_set(entry: Any) -> DefaultSet | str | None:
    """The set of one entry, None if it never applies to posts, or why Jekyll cannot use it."""
    if not isinstance(entry, dict):
        return "is not a mapping of scope and values"  # Jekyll: "An invalid front-matter default set"
    values = entry.get("values")
    if not isinstance(values, dict):
        return "has no values mapping"
    scoped = "scope" in entry
    scope = entry.get("scope") if scoped else {}
    if not isinstance(scope, dict):  # Jekyll fails on every post reading it
        return "has a scope that is not a mapping (path, type)"
    if "type" in scope:
        kind = scope["type"]
        if not _ruby_string(kind):  # Jekyll fails on every post calling to_sym on it
            return "has a scope type that is not a name like posts"
        if _DEPRECATED_TYPES.get(kind, kind) != "posts":
            return None
    if "date" in values:
        problem = _date_problem(values["date"])
        if problem:
            return problem
    # A path that is missing, empty or not a string matches every post (applies_path?). One starting
    # with "/" matches none: Jekyll 4.3 compares it as written, and globs it from the file system's root.
    raw = scope.get("path")
    path = raw if _ruby_string(raw) else ""
    glob: re.Pattern[str] | None = None
    folders_only = False
    if "*" in path:
        folders_only = path.endswith("/")
        # Pathname#join resolves "..": a pattern climbing out of the site finds nothing Jekyll can match.
        clean = posixpath.normpath(path)
        glob = re.compile(r"(?!)" if clean.startswith("..") else glob_regex(clean))
    return DefaultSet(
        path=path,
        glob=glob,
        folders_only=folders_only,
        weight=len(path.removeprefix("/")),
        typed="type" in scope,
        scoped=scoped,
        values=values,
    )


def _date_problem(value: Any) -> str | None:
    """Why Jekyll's ensure_time! stops the build on a default ``date`` (Time.parse of a non-string or an
    unreadable string), or None. An unquoted YAML time is a Time already."""
    if isinstance(value, PlainScalar) and _YAML_TIME_RE.fullmatch(value.strip()):
        return None
    if not _ruby_string(value):
        return (
            f"has a date ({value or 'empty'}) that Jekyll cannot read: quote it, like date: "
            '"2024-01-02 10:00"'
            if isinstance(value, str)
            else "has a date that is not text"
        )
    try:
        parse_date(value, ZoneInfo("UTC"))
    except ValueError:
        return f"has a date ({value}) that is not a date"
    return None
