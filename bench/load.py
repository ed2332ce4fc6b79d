"""What one machine serves: /api/search at 1, 4 and 16 concurrent clients, through nginx when installed.

usage: python bench/load.py [CORPUS] [--index DIR] [--seconds 8] [--clients 1,4,16]

Indexes CORPUS (default ../shared/corpus/allforces-sample; --index DIR reuses or keeps an index), starts
`mikke serve` with its default workers and threads, and, when Debian's nginx is installed, the recipe
examples/deploy/nginx-mikke.conf in front of it over TLS (bench/nginx.py) with one change: its API limit
per reader address is lifted, since every client here comes from 127.0.0.1. For each number of clients
it runs a bounded time, each client sending one search after another over a kept-alive connection, with
queries all different (words and pairs of words of the blog, most common first) so that the answer
cache does not help; and prints requests/s, p50/p99 latency in ms and errors (any answer but 200, or a
failed connection), through nginx and straight to mikke, one after the other at each level.

The clients run on the same machine and take CPU from the server: on 2 cores the figures are a floor.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from nginx import NGINX
from nginx import OPENSSL
from nginx import PUBLIC_HOST
from nginx import nginx_in_front
from scale import distinct_queries
from server import mikke_server
from server import percentile
from server import run_clients
from server import warm_up
from worst import DEFAULT_CORPUS
from worst import vocabulary

from mikke.search import Settings
from mikke.search import build_index
from mikke.search import open_store

LIFTED_LIMIT = {"rate=10r/s": "rate=100000r/s"}

Connect = Callable[[], http.client.HTTPConnection]


def run_level(
    connect: Connect, host: str, queries: list[str], clients: int, seconds: float
) -> dict[str, float]:
    """``clients`` clients searching for ``seconds``; requests/s, p50/p99 ms and errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        conn = connect()
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            query = queries[next(counter) % len(queries)]
            started = time.perf_counter()
            try:
                conn.request(
                    "GET", "/api/search?" + urllib.parse.urlencode({"q": query}), headers={"Host": host}
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
                    continue
                mine.append((time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    elapsed = run_clients(client, clients)
    return {
        "req/s": len(latencies) / elapsed,
        "p50 ms": percentile(latencies, 50),
        "p99 ms": percentile(latencies, 99),
        "errors": float(errors),
        "requests": float(len(latencies) + errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="Index folder to reuse (built there if missing).")
    parser.add_argument("--seconds", type=float, default=8.0, help="Seconds per level and path.")
    parser.add_argument("--clients", default="1,4,16", help="Comma-separated numbers of concurrent clients.")
    args = parser.parse_args()
    index = args.index or Path(tempfile.mkdtemp(prefix="mikke-load-")) / "index"
    if not (index / "CURRENT").exists():
        report = build_index(args.corpus, index)
        print(f"indexed {report.posts} posts in {report.seconds:.1f} s")
    queries = distinct_queries(vocabulary(open_store(index), args.corpus).common, 20_000)
    defaults = Settings.load()
    env = {"MIKKE_PUBLIC_URL": f"https://{PUBLIC_HOST}", "MIKKE_PROXY_HOPS": "1"}
    levels = [int(n) for n in args.clients.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="mikke-load-nginx-") as folder,
        mikke_server(index, workers=defaults.workers, env=env) as url,
    ):
        warm_up(url, defaults.workers, defaults.threads)
        mikke_host, mikke_port = urllib.parse.urlsplit(url).netloc.split(":")
        paths: dict[str, tuple[Connect, str]] = {
            "direct": (
                lambda: http.client.HTTPConnection(mikke_host, int(mikke_port), timeout=30),
                mikke_host,
            )
        }
        with_nginx = NGINX is not None and OPENSSL is not None
        with (
            nginx_in_front(url, Path(folder), LIFTED_LIMIT)
            if with_nginx
            else contextlib.nullcontext() as nginx
        ):
            if nginx is not None:
                context = ssl.create_default_context(cafile=str(nginx.cert))
                paths = {
                    "nginx+TLS": (
                        lambda: http.client.HTTPSConnection(
                            "127.0.0.1", nginx.https_port, context=context, timeout=30
                        ),
                        PUBLIC_HOST,
                    ),
                    **paths,
                }
            else:
                print("nginx or openssl is not installed: straight to mikke only")
            print(
                f"mikke serve: {defaults.workers} workers x {defaults.threads} threads; "
                f"{args.seconds:g} s per row; {len(queries)} distinct queries"
            )
            print(
                f"{'path':>10} {'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
                f"{'errors':>6}"
            )
            offset = 0
            for clients in levels:
                for name, (connect, host) in paths.items():
                    # Each row its own queries: a query answered before would come from the answer cache.
                    row = run_level(connect, host, queries[offset:] + queries[:offset], clients, args.seconds)
                    offset = (offset + int(row["requests"])) % len(queries)
                    print(
                        f"{name:>10} {clients:>7} {row['requests']:>9.0f} {row['req/s']:>8.0f} "
                        f"{row['p50 ms']:>7.1f} {row['p99 ms']:>7.1f} {row['errors']:>6.0f}"
                    )


if __name__ == "__main__":
    main()
