"""Re-indexing after a publish, measured end to end against a running `mikke serve`.

usage: python bench/reindex.py SITE [--port PORT] [--workers 2]

Copies SITE to a temporary folder, then prints: the full build; a run with nothing changed; one edited
post, from the start of `mikke index` until the running server returns it; ten new posts likewise.
Every figure includes process start-up, as in a publish pipeline. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date
from datetime import timedelta
from pathlib import Path

from server import mikke_server

MIKKE = [sys.executable, "-m", "mikke"]
POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 60.0


def run_index(site: Path, index: Path, *extra: str) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run(
        [*MIKKE, "index", str(site), "--index", str(index), "--json", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(out.stdout.strip().splitlines()[-1])


def api_total(url: str, query: str) -> int:
    search_url = url + "/api/search?" + urllib.parse.urlencode({"q": query, "per_page": 1})
    with urllib.request.urlopen(search_url, timeout=5) as response:
        return int(json.load(response)["total"])


def wait_until(predicate, timeout: float = TIMEOUT_SECONDS) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if predicate():
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(POLL_SECONDS)
    raise TimeoutError("the server did not show the change in time")


def index_until_served(
    site: Path, index: Path, url: str, token: str, expected: int
) -> tuple[float, float, dict]:
    """Run `mikke index`; return seconds until the server finds ``expected`` posts with ``token``,
    the index run's own seconds, and its summary."""
    started = time.perf_counter()
    index_seconds, summary = run_index(site, index)
    visible = wait_until(lambda: api_total(url, token) == expected) - started
    return visible, index_seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path)
    parser.add_argument("--port", type=int, default=0, help="Server port (default: a free one).")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mikke-reindex-") as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(args.site, site)
        index = Path(tmp) / "index"

        full_seconds, summary = run_index(site, index, "--full")
        print(
            f"full build          {full_seconds:6.2f} s  "
            f"({summary['posts']} posts, {summary['posts'] / full_seconds:.0f} posts/s)"
        )

        with mikke_server(index, workers=args.workers, port=args.port) as url:
            seconds, summary = run_index(site, index)
            print(f"no-change run       {seconds:6.2f} s  (unchanged {summary['unchanged']})")

            token = f"mikkeedit{time.time_ns()}"
            listed = subprocess.run(
                [*MIKKE, "list", "--json", "--index", str(index)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            target = site / json.loads(listed[len(listed) // 2])["id"]  # a post that is indexed
            target.write_text(target.read_text("utf-8") + f"\n\n編集で追加した段落 {token}。\n", "utf-8")
            visible, index_seconds, summary = index_until_served(site, index, url, token, 1)
            print(
                f"one edited post     {visible:6.2f} s  until the server returns it "
                f"(index run {index_seconds:.2f} s; {100 * visible / full_seconds:.1f} % of the full build)"
            )

            token = f"mikkenew{time.time_ns()}"  # never the number of the edit's token
            for i, line in enumerate(listed[:10]):
                source = site / json.loads(line)["id"]
                # A paragraph of its own in each (a line in ten posts would be site template, not indexed).
                text = source.read_text("utf-8") + f"\n\n新しい記事 {i} 本目 {token}。\n"
                # Yesterday, so a site without `future: true` publishes them too.
                day = date.today() - timedelta(days=1)
                (site / "_posts" / f"{day:%Y-%m-%d}-bench-new-{i}.md").write_text(text, "utf-8")
            visible, index_seconds, summary = index_until_served(site, index, url, token, 10)
            print(
                f"ten new posts       {visible:6.2f} s  until the server returns them "
                f"(index run {index_seconds:.2f} s; added {summary['added']})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
