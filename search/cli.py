"""The ``mikke`` command line: each command turns its options into Settings and makes one core call.

User-facing failures (:class:`~search.errors.SearchError`) become one-line messages and exit code 1.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html import unescape
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from mikke.search.config import SETTINGS
from mikke.search.config import Setting
from mikke.search.config import Settings
from mikke.search.errors import SearchError
from mikke.search.errors import SettingError
from mikke.search.indexer import IndexReport
from mikke.search.indexer import build_index
from mikke.search.query import SORTS
from mikke.search.query import all_tags
from mikke.search.query import list_posts
from mikke.search.query import search
from mikke.search.query import suggest
from mikke.search.related import DEFAULT_LIMIT
from mikke.search.related import MAX_LIMIT
from mikke.search.related import all_related
from mikke.search.related import related_posts
from mikke.search.related import write_jekyll_data
from mikke.search.results import Hit
from mikke.search.results import RelatedPosts
from mikke.search.results import SearchPage
from mikke.search.ship import ship_index
from mikke.search.stats import MAX_REPORT_ROWS
from mikke.search.stats import StatsReport
from mikke.search.stats import check_stats_dir
from mikke.search.stats import open_stats
from mikke.search.store import open_store
from mikke.search.synonyms import OWNER_FILE
from mikke.search.syntax import UNPRINTABLE_RE
from mikke.search.syntax import parse_optional_day
from mikke.search.template import TemplateRule
from mikke.search.watch import watch_site

_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.S)


def printable(text: str) -> str:
    """Return ``text`` with control and bidi characters written as ``\\xNN`` / ``\\uNNNN`` escapes, as a
    path or URL is printed for a person."""
    return UNPRINTABLE_RE.sub(lambda m: repr(m.group())[1:-1], text)


# Characters that some line readers (Python's splitlines, older JavaScript) take as line ends; JSON only
# escapes the ASCII ones, so one JSON object per line could otherwise be split inside a string.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(value: object) -> str:
    """Return ``value`` as JSON on one line, whatever its strings hold (UTF-8, not ``\\u`` escapes)."""
    text = json.dumps(value, ensure_ascii=False)
    if any(ch in text for ch in _LINE_BREAKS):
        text = "".join(_LINE_BREAKS.get(ch, ch) for ch in text)
    return text


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.load(**overrides)
    except SettingError as e:
        raise click.ClickException(str(e)) from None


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn core errors into click errors: one line, no traceback (sqlite-utils cli.py pattern)."""
    try:
        yield
    except SearchError as e:
        raise click.ClickException(str(e)) from None


def _html_to_text(fragment: str, style: str = "bold yellow") -> Text:
    """Render an excerpt (escaped HTML with <mark>) for the terminal, emphasising the marks."""
    text = Text()
    pos = 0
    for m in _MARK_RE.finditer(fragment):
        text.append(unescape(fragment[pos : m.start()]))
        text.append(unescape(m.group(1)), style=style)
        pos = m.end()
    text.append(unescape(fragment[pos:]))
    return text


_SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def _setting_help(setting: Setting) -> str:
    default = setting.default
    # An empty default (no URL, statistics off) is named, as the README's table does, not left blank.
    shown = (", ".join(default) if isinstance(default, tuple) else str(default).lower()) or "none"
    within = f"; {setting.range_text()}" if setting.bounds else ""
    return f"{setting.help} [default: {shown}{within}; env {setting.variable}]"


def _setting_option(name: str, dest: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """A click option for setting ``name``: its flag, help and default shown come from the settings table,
    and ``None`` (not given) lets the environment or the default decide. Its value is checked (bounds
    included) with the environment's, by Settings.load, so both give the same message."""
    setting = _SETTINGS_BY_NAME[name]
    return click.option(setting.flag, dest or name, default=None, help=_setting_help(setting), **kwargs)


def _int_range(name: str) -> click.IntRange:
    """The values setting ``name`` takes, for an option that is not the setting but must stay within it."""
    low, high = _SETTINGS_BY_NAME[name].bounds or (None, None)
    return click.IntRange(None if low is None else int(low), None if high is None else int(high))


_wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait while another `mikke index` or `mikke ship` is writing the index.",
)


def _index_option(f: Callable[..., Any]) -> Any:
    return _setting_option("index", dest="index_path", metavar="DIR")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="mikke")
def cli() -> None:
    """mikke (みっけ): Japanese full-text search for Jekyll blogs.

    Index a site with `mikke index SITE`, query it with `mikke search QUERY`,
    serve the search page and JSON API with `mikke serve`.
    Settings: flags, else MIKKE_* environment variables, else defaults (see `mikke settings`).
    """


@cli.command("index")
@click.argument("site", required=False, type=click.Path(file_okay=False))
@_index_option
@click.option("--full", is_flag=True, help="Rebuild everything instead of only what changed.")
@_setting_option("include_hidden", is_flag=True)
@_setting_option("follow_symlinks")
@_setting_option("site_url", metavar="URL")
@_setting_option("jobs", type=int)
@_setting_option("index_memory_mb", type=int)
@_wait_option
@click.option("--watch", is_flag=True, help="Stay running and re-index whenever a post is saved.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def index_command(
    site: str | None,
    index_path: str | None,
    full: bool,
    include_hidden: bool | None,
    follow_symlinks: bool | None,
    site_url: str | None,
    jobs: int | None,
    index_memory_mb: int | None,
    wait: float,
    watch: bool,
    as_json: bool,
) -> None:
    """Index (or update the index of) the Jekyll site SITE.

    Only new or changed posts are analysed; deleted posts leave the index. A full rebuild happens by
    itself when URL settings, the analyzer or the schema change, and is swapped in atomically.

    Example:

        mikke index examples/site --index index/
    """
    settings = _settings(
        site=site,
        index=index_path,
        include_hidden=include_hidden,
        follow_symlinks=follow_symlinks,
        site_url=site_url,
        jobs=jobs,
        index_memory_mb=index_memory_mb,
    )
    err = Console(stderr=True, soft_wrap=True)

    def run(full_build: bool) -> None:
        with _user_errors(), _progress(err, enabled=not as_json) as progress:
            report = _build_index(settings, full=full_build, wait=wait, progress=progress)
        if as_json:
            click.echo(json_line(report.to_json()))
        else:
            _print_report(err, report)

    run(full)
    if watch:

        def report_error(error: Exception) -> None:
            message = error.format_message() if isinstance(error, click.ClickException) else repr(error)
            err.print(Text(f"Error: {message}\nStill watching; the next save tries again.", style="red"))

        err.print(f"Watching {settings.site} for changes (Ctrl-C to stop)…")
        with _user_errors():
            watch_site(settings.site, lambda: run(False), on_error=report_error)


def _build_index(
    settings: Settings, *, full: bool, wait: float, progress: Callable[[int, int], None] | None
) -> IndexReport:
    """:func:`build_index` of ``settings.site`` into ``settings.index`` with the indexing settings."""
    return build_index(
        settings.site,
        settings.index,
        full=full,
        include_hidden=settings.include_hidden,
        follow_symlinks=settings.follow_symlinks,
        site_url=settings.site_url,
        template=TemplateRule(settings.template_min_posts, settings.template_min_share),
        jobs=settings.jobs,
        memory_mb=settings.index_memory_mb,
        wait=wait,
        progress=progress,
    )


@contextmanager
def _progress(console: Console, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Analysing posts", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_report(console: Console, report: IndexReport) -> None:
    for s in report.skipped:
        console.print(Text(f"skipped {printable(s.path)}: {printable(s.reason)}", style="yellow"))
    for c in report.collisions:
        console.print(
            Text(
                f"URL collision {c.url}: {printable(c.kept)} overwrites "
                + ", ".join(printable(o) for o in c.overwritten),
                style="yellow",
            )
        )
    how = "full rebuild" + (f" ({report.full_reason})" if report.full_reason else "")
    if report.mode == "incremental":
        how = "incremental"
    # The post files skipped, as the count of files read counts them; what was left out of the site's
    # settings (a defaults entry, the owner's synonyms file) is named above and counted apart.
    settings = sum(1 for s in report.skipped if s.path in _SETTINGS_FILES)
    left_out = f", {settings} left out of {' and '.join(_SETTINGS_FILES)}" if settings else ""
    console.print(
        f"Read {report.files} post files; indexed {report.posts} posts ({how}): {len(report.added)} added, "
        f"{len(report.updated)} updated, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged, "
        f"{len(report.skipped) - settings} skipped, "
        f"{len(report.collisions)} URL collisions{left_out} in {report.seconds:.2f} s."
    )


# Files of the site's settings that a run reads besides its posts, whose problems it reports as skipped.
_SETTINGS_FILES = ("_config.yml", OWNER_FILE)


def _count(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun, singular for 1: "1 post", "2 posts"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _parse_day(value: str | None, name: str) -> date | None:
    try:
        return parse_optional_day(value)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=name) from None


class _QueryCommand(click.Command):
    """A command whose words may start with a minus: it remembers which came after ``--``.

    Unknown options are let through as query words (-深層学習 excludes a word), so a mistyped long option
    (--tga) would be searched too; knowing what followed ``--`` tells the two apart.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_AFTER_END_OF_OPTIONS] = len(args) - args.index("--") - 1 if "--" in args else 0
        return super().parse_args(ctx, args)


_AFTER_END_OF_OPTIONS = "mikke.words_after_end_of_options"


def _refuse_long_options(query: tuple[str, ...]) -> None:
    """:raises click.UsageError: a word before ``--`` is a long option (--tga), or after it a known one."""
    ctx = click.get_current_context()
    after = ctx.meta.get(_AFTER_END_OF_OPTIONS, 0)
    options = [name for param in ctx.command.params for name in param.opts if name.startswith("--")]
    for position, word in enumerate(query):
        if not word.startswith("--"):
            continue
        if position >= len(query) - after:  # after "--": a word, unless it is one of this command's options
            if word.partition("=")[0] in options:
                raise click.UsageError(f"{word} is after --, where every word is searched; put it before --.")
            continue
        close = difflib.get_close_matches(word, options)
        raise click.NoSuchOption(word, possibilities=close, ctx=ctx)


# A word after a minus (-深層学習) excludes it: the query syntax's, not an option. Long options stay options.
@cli.command("search", cls=_QueryCommand, context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@_index_option
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only posts with this tag (repeatable: each narrows further).",
)
@click.option(
    "--category",
    "categories",
    multiple=True,
    metavar="CAT",
    help="Only posts in this category (repeatable: each narrows further).",
)
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only posts on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only posts on or before this day.")
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default=SORTS[0],
    show_default=True,
    help="Best match first, or newest first.",
)
@_setting_option("per_page", type=int, metavar="N")
@click.option(
    "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page of --limit hits."
)
@click.option(
    "--exact", is_flag=True, help="Only the words as typed: kana and romaji are not also read as other words."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the web API's shape).")
def search_command(
    query: tuple[str, ...],
    index_path: str | None,
    tags: tuple[str, ...],
    categories: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    sort: str,
    per_page: int | None,
    page: int,
    exact: bool,
    as_json: bool,
) -> None:
    """Search the index for QUERY.

    Words are matched in any form (読んだ finds 読む); "quoted words" must appear together, and
    -word excludes posts containing word. Without QUERY, lists posts newest first.

    Example:

        mikke search 全文検索 --tag python --json
    """
    _refuse_long_options(query)
    settings = _settings(index=index_path, per_page=per_page)
    with _user_errors():
        store = open_store(settings.index)
        result = search(
            store,
            " ".join(query),
            tags=tags,
            categories=categories,
            date_from=_parse_day(date_from, "--from"),
            date_to=_parse_day(date_to, "--to"),
            sort=sort,
            page=page,
            per_page=settings.per_page,
            rerank=settings.rerank,
            exact=exact,
        )
    if as_json:
        click.echo(json_line(result.to_json()))
        return
    # Soft wrap: Japanese has no spaces, so hard wrapping would push whole titles onto the next line.
    out = Console(highlight=False, soft_wrap=True)
    _print_notices(out, result)
    if not result.total:
        given = (("--tag", tags), ("--category", categories), ("--from", date_from), ("--to", date_to))
        # As the page offers it: a query of one word has none to leave out.
        several = len(" ".join(query).split()) > 1
        hints = (["fewer words"] if several else []) + [f"without {flag}" for flag, value in given if value]
        out.print("No posts match." + (f" Try {' or '.join(hints)}." if hints else ""))
        return
    first = (result.page - 1) * result.per_page
    shown = f"{first + 1}–{first + len(result.hits)}" if result.hits else "none"
    out.print(
        f"{result.total} {'post matches' if result.total == 1 else 'posts match'}; showing {shown}."
        + (" (related word forms)" if result.relaxed else "")
    )
    for rank, hit in enumerate(result.hits, start=first + 1):
        _print_hit(out, rank, hit)


def _print_notices(out: Console, result: SearchPage) -> None:
    """What the search left out, what else it searched the words as, and a respelled query."""
    if result.ignored:
        out.print(Text("Too many words; left out: " + " ".join(result.ignored), style="dim"))
    for e in result.expanded:
        out.print(
            Text(
                f"Also searched {e.word} as {', '.join(e.with_)} (by {e.by}); --exact turns this off.",
                style="dim",
            )
        )
    if result.corrected:
        out.print(f"No posts match {result.query}; showing the results of {result.did_you_mean}.")
    elif result.did_you_mean:
        out.print(f"Did you mean: {result.did_you_mean}")


def _print_hit(out: Console, rank: int, hit: Hit) -> None:
    """One hit for a person: rank, day and title (and how it matched, when not as typed), its link (and
    its section's), the excerpt."""
    line = Text(f"{rank:>3}. ", style="bold")
    line.append(hit.date[:10] + "  ", style="dim")
    line.append_text(_html_to_text(hit.title_html, "bold yellow"))
    if hit.matched_by:
        line.append(f"  (matched by {hit.matched_by})", style="dim")
    out.print(line)
    out.print(Text(f"     {hit.url}", style="cyan"))
    if hit.section:
        out.print(Text(f"     § {printable(hit.section.title)}  {hit.section.url}", style="cyan"))
    if hit.excerpt:
        excerpt = Text("     ")
        excerpt.append_text(_html_to_text(hit.excerpt))
        out.print(excerpt)


@cli.command("suggest")
@click.argument("prefix")
@_index_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"query", "suggestions": [{text, count}, …]}, as /api/suggest.',
)
def suggest_command(prefix: str, index_path: str | None, as_json: bool) -> None:
    """Complete PREFIX: up to 10 words of titles, headings, tags and frequent nouns that start with it,
    by spelling or by reading (じんこう finds 人工知能), with how many posts hold each."""
    settings = _settings(index=index_path)
    with _user_errors():
        result = suggest(open_store(settings.index), prefix)
    if as_json:
        click.echo(json_line(result.to_json()))
        return
    for s in result.suggestions:
        click.echo(f"{s.count:>6}  {s.text}")


@cli.command("tags")
@_index_option
@click.option("--json", "as_json", is_flag=True, help='Print {"tags": [{tag, key, count}, …]}, as /api/tags.')
def tags_command(index_path: str | None, as_json: bool) -> None:
    """List every tag with the number of posts carrying it, most used first."""
    settings = _settings(index=index_path)
    with _user_errors():
        counts = all_tags(open_store(settings.index))
    if as_json:
        click.echo(json_line({"tags": [t.to_json() for t in counts]}))
        return
    for t in counts:
        click.echo(f"{t.count:>6}  {t.tag}")


@cli.command("list")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
def list_command(index_path: str | None, as_json: bool) -> None:
    """List every indexed post: path, URL, title, date (site timezone), tags and categories."""
    settings = _settings(index=index_path)
    with _user_errors():
        posts = list_posts(open_store(settings.index))
    for p in posts:
        if as_json:
            click.echo(json_line(p.to_json()))
            continue
        # Categories are named, as tags (in brackets) would otherwise be indistinguishable from them.
        categories = f"  categories: {', '.join(p.categories)}" if p.categories else ""
        click.echo(
            f"{p.date[:16]}  {printable(p.id)}\n    {p.title}\n    {p.url}  [{', '.join(p.tags)}]{categories}"
        )


@cli.command("related")
@click.argument("post", required=False)
@_index_option
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Posts per list.",
)
@click.option("--all", "every_post", is_flag=True, help="The related posts of every post.")
@click.option(
    "--jekyll-data",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="With --all: write them for Jekyll, e.g. SITE/_data/mikke_related.json, by post path (page.path).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {post, related: [...]} (one line per post); with --jekyll-data, {file, posts, links}.",
)
def related_command(
    post: str | None,
    index_path: str | None,
    limit: int,
    every_post: bool,
    jekyll_data: str | None,
    as_json: bool,
) -> None:
    """List the posts most related to POST (its path, as `mikke list` shows it or on disk, or its URL).

    Related posts share the post's most distinctive words; shared tags and categories count a little.

    Examples:

    \b
        mikke related _posts/2024-05-01-foo.md --limit 3
        mikke related --all --jekyll-data SITE/_data/mikke_related.json
    """
    if every_post == (post is not None):
        raise click.UsageError("Give either POST or --all.")
    if jekyll_data and not every_post:
        raise click.UsageError("--jekyll-data goes with --all.")
    settings = _settings(index=index_path)
    with _user_errors():
        store = open_store(settings.index)
        lists = (
            all_related(store, limit=limit) if every_post else [related_posts(store, post or "", limit=limit)]
        )
        if jekyll_data:
            written = write_jekyll_data(jekyll_data, lists, collections_dir=store.info.collections_dir)
    if jekyll_data:
        pairs = sum(len(r.related) for r in lists)
        if as_json:  # the lists are in the file: the summary, as `mikke index --json` prints its own
            click.echo(json_line({"file": jekyll_data, "posts": written, "links": pairs}))
        else:
            click.echo(
                f"Wrote the related posts of {_count(written, 'post')} ({_count(pairs, 'link')}) "
                f"to {printable(jekyll_data)}."
            )
        return
    for r in lists:
        if as_json:
            click.echo(json_line(r.to_json()))
        else:
            _print_related(r)


def _print_related(r: RelatedPosts) -> None:
    click.echo(f"{r.post.title}\n    {r.post.url}")
    if not r.related:
        click.echo("  (no related post)")
    for n, p in enumerate(r.related, start=1):
        click.echo(f"  {n}. {p.score:.2f}  {p.date[:10]}  {p.title}\n        {p.url}")


@cli.command("stats")
@_index_option
@_setting_option("stats_dir", metavar="DIR")
@click.option(
    "--days",
    # At most what can be kept (MIKKE_STATS_DAYS's bounds): more days back than a date holds overflowed.
    type=_int_range("stats_days"),
    help="Only the last N days (default: all kept).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_REPORT_ROWS),
    default=20,
    show_default=True,
    help="Rows per list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def stats_command(
    index_path: str | None, stats_dir: str | None, days: int | None, limit: int, as_json: bool
) -> None:
    """Show what readers searched for: the top queries, the queries that found nothing, the tags most
    filtered by (from the statistics `mikke serve` keeps when MIKKE_STATS_DIR is set)."""
    settings = _settings(index=index_path, stats_dir=stats_dir)
    with _user_errors():
        check_stats_dir(settings.stats_dir, settings.index)
        stats = open_stats(settings.stats_dir, days=settings.stats_days, index=settings.index)
        if stats is None:
            raise click.ClickException(
                "Search statistics are off: set MIKKE_STATS_DIR (or --stats-dir) to the folder `mikke serve` "
                "keeps them in."
            )
        try:
            report = stats.report(days=days, limit=limit)
        except (sqlite3.Error, OSError) as e:
            raise click.ClickException(f"Cannot read the search statistics in {stats.path}: {e}") from None
        finally:
            stats.close()
    if as_json:
        click.echo(json_line(report.to_json()))
    else:
        _print_stats(report)


def _print_stats(report: StatsReport) -> None:
    click.echo(
        f"{_count(report.searches, 'search', 'searches')} since {report.since} "
        f"(last {_count(report.days, 'day')}, UTC)."
    )
    if report.missing:
        click.echo(
            f"No search counted yet: there is no {printable(report.missing)}; `mikke serve` with this "
            "MIKKE_STATS_DIR creates it when it counts its first search."
        )
    top = [(q.searches, f"{printable(q.query)}  ({_count(q.results, 'result')})") for q in report.top]
    sections = (
        ("Top queries", top),
        ("Queries that found nothing", [(q.empty, printable(q.query)) for q in report.no_results]),
        ("Filters most used", [(f.searches, f"{f.kind}: {printable(f.key)}") for f in report.filters]),
    )
    for title, rows in sections:
        click.echo(f"\n{title}:")
        if not rows:
            click.echo("  (none)")
        for n, text in rows:
            click.echo(f"{n:>7}  {text}")


@cli.command("ship")
@click.argument("source", type=click.Path(file_okay=False))
@click.argument("dest", type=click.Path(file_okay=False))
@_wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def ship_command(source: str, dest: str, wait: float, as_json: bool) -> None:
    """Copy the live index of folder SOURCE to folder DEST, then switch DEST to it.

    A server on DEST answers from the old or the new index, whole, throughout. Build once, ship to each
    replica's index folder (on another machine: rsync SOURCE there, then ship on that machine).

    Example:

        mikke ship /srv/mikke/build /srv/mikke/index
    """
    with _user_errors():
        report = ship_index(source, dest, wait=wait)
    if as_json:
        click.echo(json_line(report.to_json()))
        return
    click.echo(
        f"{report.generation} {report.mode}: {report.files_copied} files ({report.bytes_copied:,} bytes) "
        f"copied, {report.files_removed} removed in {report.seconds:.2f} s."
    )


@cli.command("serve")
@_index_option
@_setting_option("host")
@_setting_option("port", type=int)
@_setting_option("workers", type=int)
def serve_command(index_path: str | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the search page and JSON API with gunicorn.

    Each worker loads the dictionary once and picks up new indexes without a restart.

    Example:

        mikke serve --index index/ --port 8000
    """
    # web/ sits on top of search/; the import is deferred so search/ itself never needs Flask.
    from mikke.web.server import run_server

    settings = _settings(index=index_path, host=host, port=port, workers=workers)
    with _user_errors():
        run_server(settings)


@cli.command("settings")
def settings_command() -> None:
    """Show every setting, its environment variable, default and current value."""
    current = _settings()
    for s in SETTINGS:
        value = getattr(current, s.name)
        within = f" Range: {s.range_text()}." if s.bounds else ""
        click.echo(
            f"{s.name} (MIKKE_{s.name.upper()}) = {value!r}  [default {s.default!r}]\n    {s.help}{within}"
        )
