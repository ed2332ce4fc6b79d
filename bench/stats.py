"""Search statistics under load: no count lost with several workers writing at once, and what counting adds
to a search's latency.

usage: python bench/stats.py [CORPUS] [--index DIR] [--workers 4] [--clients 4] [--reports N] [--rounds N]

Indexes CORPUS (default ../shared/corpus/allforces-sample) into a temporary folder unless --index names a
built index. Two `mikke serve` run on loopback with --workers each, one with MIKKE_STATS_DIR and one
without. Lost counts: --clients connections send --reports settled searches in all (POST /api/settled, a
bounded loop over distinct queries and tags), then the counts in the SQLite file are compared with what was
sent. Latency: the same page searches (GET /?q=…, which counts the search it opens with) alternate between
the two servers one at a time, --rounds each, so the machine's noise falls on both alike; the script prints
both p50s and their difference (target: at most 1 ms added).
"""

from __future__ import annotations

import argparse
import http.client
import sqlite3
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from server import built_index
from server import mikke_server
from server import percentile
from server import warm_up
from worst import DEFAULT_CORPUS

from mikke.search import list_posts
from mikke.search import open_store

STATS_FILE = "mikke-stats.sqlite3"


def queries_of(index: Path) -> tuple[list[str], list[str]]:
    """Distinct queries (words of the posts' titles) and tags of the index."""
    posts = list_posts(open_store(index))
    words = sorted(
        {w for p in posts for w in p.title.replace("、", " ").replace("？", " ").split() if len(w) >= 2}
    )
    tags = sorted({t for p in posts for t in p.tags})
    return words[:200], tags[:20]


def connection(url: str) -> http.client.HTTPConnection:
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def send_reports(url: str, words: list[str], tags: list[str], reports: int, clients: int) -> dict[str, int]:
    """Send ``reports`` settled searches over ``clients`` connections; return how many each query got."""
    counter = iter(range(reports))
    sent: dict[str, int] = {}
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        conn = connection(url)
        mine: dict[str, int] = {}
        for n in counter:
            q = words[n % len(words)]
            args = urllib.parse.urlencode({"q": q, "tag": tags[n % len(tags)]} if tags else {"q": q})
            conn.request("POST", "/api/settled?" + args)
            response = conn.getresponse()
            response.read()
            if response.status != 204:
                failures.append(f"{response.status} for {q}")
            mine[q] = mine.get(q, 0) + 1
        conn.close()
        with lock:
            for q, k in mine.items():
                sent[q] = sent.get(q, 0) + k

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} reports failed, e.g. {failures[0]}")
    return sent


def counted(stats_dir: Path) -> tuple[int, int]:
    """Searches and filter uses counted in the statistics file."""
    with sqlite3.connect(stats_dir / STATS_FILE) as conn:
        searches = conn.execute("SELECT COALESCE(SUM(searches), 0) FROM searches").fetchone()[0]
        filters = conn.execute("SELECT COALESCE(SUM(searches), 0) FROM filters").fetchone()[0]
    return int(searches), int(filters)


def timed_get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = built_index(args.corpus, args.index, Path(tmp))
        words, tags = queries_of(index)
        stats_dir = Path(tmp) / "stats"
        env_on = {"MIKKE_STATS_DIR": str(stats_dir), "MIKKE_THREADS": "4"}
        env_off = {"MIKKE_THREADS": "4"}
        with (
            mikke_server(index, workers=args.workers, env=env_on) as on,
            mikke_server(index, workers=args.workers, env=env_off) as off,
        ):
            for url in (on, off):
                warm_up(url, args.workers, 4)
            before = counted(stats_dir) if (stats_dir / STATS_FILE).exists() else (0, 0)
            started = time.perf_counter()
            sent = send_reports(on, words, tags, args.reports, args.clients)
            seconds = time.perf_counter() - started
            after = counted(stats_dir)
            total = sum(sent.values())
            got, tag_uses = after[0] - before[0], after[1] - before[1]
            rate = total / seconds
            print(
                f"reports: {total} sent by {args.clients} clients to {args.workers} workers, {seconds:.1f} s"
            )
            print(f"  ({rate:.0f}/s); counted {got} searches and {tag_uses} tag uses")
            print(f"  lost: {total - got} searches, {total - tag_uses} tag uses")
            # Latency: the same page searches, alternating between the servers, one at a time.
            conns = {"on": connection(on), "off": connection(off)}
            times: dict[str, list[float]] = {"on": [], "off": []}
            for n in range(args.rounds):
                path = "/?" + urllib.parse.urlencode({"q": words[n % len(words)]})
                order = ("on", "off") if n % 2 == 0 else ("off", "on")
                for name in order:
                    times[name].append(timed_get(conns[name], path))
            report_ms: list[float] = []
            conn = conns["on"]
            for n in range(args.rounds):
                started = time.perf_counter()
                conn.request("POST", "/api/settled?" + urllib.parse.urlencode({"q": words[n % len(words)]}))
                conn.getresponse().read()
                report_ms.append((time.perf_counter() - started) * 1000)
            for c in conns.values():
                c.close()
    p50_on, p50_off = statistics.median(times["on"]), statistics.median(times["off"])
    print(
        f"GET /?q= p50: {p50_off:.2f} ms without statistics, {p50_on:.2f} ms with: "
        f"{p50_on - p50_off:+.2f} ms added (p99 {percentile(times['off'], 99):.2f} / "
        f"{percentile(times['on'], 99):.2f} ms; {args.rounds} each, alternated)"
    )
    p50, p99 = statistics.median(report_ms), percentile(report_ms, 99)
    print(f"POST /api/settled p50: {p50:.2f} ms (p99 {p99:.2f} ms)")


if __name__ == "__main__":
    main()
