"""The ``mikke`` command line: each command turns its options into Settings and makes one core call.

User-facing failures (:class:`~search.errors.SearchError`) become one-line messages and exit code 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html import unescape
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from search.config import SETTINGS
from search.config import Settings
from search.errors import SearchError
from search.errors import SettingError

_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.S)


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


def _index_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index",
        "index_path",
        metavar="DIR",
        default=None,
        help="Index folder (default: index/, or MIKKE_INDEX).",
    )(f)


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
@click.option(
    "--include-hidden", is_flag=True, default=None, help="Also index sitemap:false / noindex posts."
)
@click.option("--jobs", type=int, default=None, help="Analysis processes (default: one per core).")
@click.option("--wait", type=float, default=0, show_default=True, help="Seconds to wait for another indexer.")
@click.option("--watch", is_flag=True, help="Stay running and re-index whenever a post is saved.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def index_command(
    site: str | None,
    index_path: str | None,
    full: bool,
    include_hidden: bool | None,
    jobs: int | None,
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
    from search.indexer import build_index

    settings = _settings(site=site, index=index_path, include_hidden=include_hidden, jobs=jobs)
    err = Console(stderr=True, soft_wrap=True)

    def run(full_build: bool) -> None:
        with _user_errors(), _progress(err, enabled=not as_json) as progress:
            report = build_index(
                settings.site,
                settings.index,
                full=full_build,
                include_hidden=settings.include_hidden,
                jobs=settings.jobs,
                wait=wait,
                progress=progress,
            )
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            _print_report(err, report)

    run(full)
    if watch:
        from search.watch import watch_site

        err.print(f"Watching {settings.site} for changes (Ctrl-C to stop)…")
        with _user_errors():
            watch_site(settings.site, lambda: run(False))


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


def _print_report(console: Console, report: Any) -> None:
    for s in report.skipped:
        console.print(Text(f"skipped {s.path}: {s.reason}", style="yellow"))
    for c in report.collisions:
        console.print(
            Text(f"URL collision {c.url}: {c.kept} overwrites {', '.join(c.overwritten)}", style="yellow")
        )
    how = "full rebuild" + (f" ({report.full_reason})" if report.full_reason else "")
    if report.mode == "incremental":
        how = "incremental"
    console.print(
        f"Read {report.files} post files; indexed {report.posts} posts ({how}): {len(report.added)} added, "
        f"{len(report.updated)} updated, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged, {len(report.skipped)} skipped, "
        f"{len(report.collisions)} URL collisions in {report.seconds:.2f} s."
    )


def _parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-08-29.", param_hint=name) from None


@cli.command("search")
@click.argument("query", nargs=-1)
@_index_option
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only posts with this tag (repeatable).")
@click.option("--category", "categories", multiple=True, metavar="CAT", help="Only posts in this category.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only posts on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only posts on or before this day.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best match first, or newest first.",
)
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True, help="Hits to show.")
@click.option(
    "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page of --limit hits."
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
    limit: int,
    page: int,
    as_json: bool,
) -> None:
    """Search the index for QUERY.

    Words are matched in any form (読んだ finds 読む); "quoted words" must appear together, and
    -word excludes posts containing word. Without QUERY, lists posts newest first.

    Example:

        mikke search 全文検索 --tag python --json
    """
    from search.query import search
    from search.store import open_store

    settings = _settings(index=index_path)
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
            per_page=limit,
        )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    # Soft wrap: Japanese has no spaces, so hard wrapping would push whole titles onto the next line.
    out = Console(highlight=False, soft_wrap=True)
    if result.ignored:
        out.print(Text("Too many words; left out: " + " ".join(result.ignored), style="dim"))
    if not result.total:
        out.print("No posts match." + (" Try fewer words or without --tag." if tags or query else ""))
        return
    first = (result.page - 1) * result.per_page
    shown = f"{first + 1}–{first + len(result.hits)}" if result.hits else "none"
    out.print(
        f"{result.total} posts match; showing {shown}." + (" (related word forms)" if result.relaxed else "")
    )
    for rank, hit in enumerate(result.hits, start=first + 1):
        line = Text(f"{rank:>3}. ", style="bold")
        line.append(hit.date[:10] + "  ", style="dim")
        line.append_text(_html_to_text(hit.title_html, "bold yellow"))
        out.print(line)
        out.print(Text(f"     {hit.url}", style="cyan"))
        if hit.excerpt:
            excerpt = Text("     ")
            excerpt.append_text(_html_to_text(hit.excerpt))
            out.print(excerpt)


@cli.command("tags")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of {tag, key, count}.")
def tags_command(index_path: str | None, as_json: bool) -> None:
    """List every tag with the number of posts carrying it, most used first."""
    from search.query import all_tags
    from search.store import open_store

    settings = _settings(index=index_path)
    with _user_errors():
        counts = all_tags(open_store(settings.index))
    if as_json:
        click.echo(json.dumps([t.to_json() for t in counts], ensure_ascii=False))
        return
    for t in counts:
        click.echo(f"{t.count:>6}  {t.tag}")


@cli.command("list")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
def list_command(index_path: str | None, as_json: bool) -> None:
    """List every indexed post: path, URL, title, date (site timezone), tags and categories."""
    from search.query import list_posts
    from search.store import open_store

    settings = _settings(index=index_path)
    with _user_errors():
        posts = list_posts(open_store(settings.index))
    for p in posts:
        if as_json:
            click.echo(json.dumps(p.to_json(), ensure_ascii=False))
        else:
            click.echo(f"{p.date[:16]}  {p.id}\n    {p.title}\n    {p.url}  [{', '.join(p.tags)}]")


@cli.command("serve")
@_index_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1, or MIKKE_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000, or MIKKE_PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (default 2, or MIKKE_WORKERS).")
def serve_command(index_path: str | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the search page and JSON API with gunicorn.

    Each worker loads the dictionary once and picks up new indexes without a restart.

    Example:

        mikke serve --index index/ --port 8000
    """
    # web/ sits on top of search/; the import is deferred so search/ itself never needs Flask.
    from web.server import run_server

    settings = _settings(index=index_path, host=host, port=port, workers=workers)
    with _user_errors():
        run_server(settings)


@cli.command("settings")
def settings_command() -> None:
    """Show every setting, its environment variable, default and current value."""
    current = _settings()
    for s in SETTINGS:
        value = getattr(current, s.name)
        click.echo(f"{s.name} (MIKKE_{s.name.upper()}) = {value!r}  [default {s.default!r}]\n    {s.help}")
