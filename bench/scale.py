"""How search time and memory grow with the size of a blog: sites of 300, 2,400 and 24,000 posts.

usage: python bench/scale.py [CORPUS] [--sizes 300,2400,24000] [--keep DIR] [--queries 1000]

Each site is CORPUS (default ../shared/corpus/allforces-sample) copied as often as the size needs, with
changed slugs and dates (bench/worst.py's write_site), then indexed. For each size it prints: posts
indexed, build seconds, index size on disk; in-process search() p50/p99 over a fixed set of everyday
queries (10 hits with excerpts and tag counts, as the API asks; taken after every site is built, the sizes
in turn, so the growth compares figures taken side by side); then, against a running `mikke serve`
(2 workers): /api/search p50/p99 one request at a time and requests/s with 4 concurrent clients, both
over distinct queries so that the per-worker cache of answers does not help, and the largest worker RSS
after them, split into what the worker has to itself (private) and the pages of the Sudachi dictionary and
the index files it maps (page cache the workers share), with its proportional share (PSS). --keep DIR
keeps the sites and indexes for the next run (a 24,000-post build takes a while).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import tempfile
import time
from pathlib import Path

from server import load
from server import mikke_server
from server import percentile
from server import warm_up
from worst import DEFAULT_CORPUS
from worst import EVERYDAY
from worst import vocabulary
from worst import write_site

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search

WORKERS = 2
THREADS = 4
CONCURRENCY = 4
REPEATS = 20  # in-process: each everyday query this many times (60 timings were too few on a shared machine)


def index_bytes(index: Path) -> int:
    """The size of the live generation (the folder also keeps the previous one for a while)."""
    live = index / (index / "CURRENT").read_text("utf-8").strip()
    return sum(f.stat().st_size for f in live.rglob("*") if f.is_file())


def server_memory_mb(index: Path) -> dict[str, float]:
    """The memory of the busiest process serving ``index`` (the one with the largest resident set), in MB.

    A worker's resident set (``rss``) also counts the pages of the files it maps, which the kernel keeps
    in its page cache and can drop at any time, and which every worker shares: the Sudachi dictionary
    (``dict``) and the index files (``index``). ``private`` is what the worker has to itself (its
    anonymous memory: Python objects, caches); ``pss`` divides each shared page among the processes that
    map it, so the workers' ``pss`` add up to what serving takes from the machine.
    """
    best: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if b"serve" not in cmdline or str(index).encode() not in cmdline:
                continue
            rollup = _fields((proc / "smaps_rollup").read_text())
            by_file = _file_rss((proc / "smaps").read_text(), index)
        except OSError:
            continue
        if rollup.get("Rss", 0) > best.get("rss", 0) * 1024:
            best = {
                "rss": rollup.get("Rss", 0) / 1024,
                "private": rollup.get("Anonymous", 0) / 1024,
                "pss": rollup.get("Pss", 0) / 1024,
                "dict": by_file["dict"] / 1024,
                "index": by_file["index"] / 1024,
            }
    return best


def _fields(text: str) -> dict[str, int]:
    """The ``Name: N kB`` lines of a /proc smaps file, in kB."""
    fields = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[name] = int(parts[0])
    return fields


_MAPPING_RE = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")  # a mapping's first line in /proc/PID/smaps


def _file_rss(smaps: str, index: Path) -> dict[str, int]:
    """Resident kB of the mapped Sudachi dictionary and of the mapped index files."""
    found = {"dict": 0, "index": 0}
    kind = None
    for line in smaps.splitlines():
        if _MAPPING_RE.match(line):
            path = line.split()[5] if len(line.split()) > 5 else ""
            kind = "dict" if path.endswith(".dic") else "index" if path.startswith(str(index)) else None
        elif kind and line.startswith("Rss:"):
            found[kind] += int(line.split()[1])
    return found


def distinct_queries(words: list[str], count: int) -> list[str]:
    """``count`` different queries: single words, then pairs of words, most common first."""
    queries = list(dict.fromkeys(words))[:count]
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if len(queries) >= count:
                return queries
            queries.append(f"{a} {b}")
    return queries


def measure(corpus: Path, size: int, keep: Path, queries: int) -> dict[str, float]:
    """Build the site of ``size`` posts (or update it) and measure its index and a server on it; the
    in-process search() figures are added by :func:`search_times`, over every size at once."""
    site = keep / f"site-{size}"
    index = keep / f"index-{size}"
    copies = max(1, math.ceil(size / len(list((corpus / "_posts").iterdir()))))
    if not site.exists():
        write_site(corpus, site, copies)
    started = time.perf_counter()
    report = build_index(site, index)
    build_seconds = time.perf_counter() - started
    words = vocabulary(open_store(index), corpus).common
    distinct = distinct_queries(words, queries + CONCURRENCY * 250)
    env = {"MIKKE_THREADS": str(THREADS)}
    with mikke_server(index, workers=WORKERS, env=env) as url:
        warm_up(url, WORKERS, THREADS)
        one, _ = load(url, distinct[:queries], queries, 1)
        many, rate = load(url, distinct[queries:], CONCURRENCY * 250, CONCURRENCY)
        memory = server_memory_mb(index)
    return {
        "posts": report.posts,
        "build s": build_seconds if report.mode == "full" else float("nan"),
        "index MB": index_bytes(index) / 1e6,
        "search() p50": math.nan,
        "search() p99": math.nan,
        "api p50": percentile(one, 50),
        "api p99": percentile(one, 99),
        "api p99 x4": percentile(many, 99),
        "req/s x4": rate,
        "rss MB": memory.get("rss", math.nan),
        "private MB": memory.get("private", math.nan),
        "pss MB": memory.get("pss", math.nan),
        "dict MB": memory.get("dict", math.nan),
        "index MB map": memory.get("index", math.nan),
    }


def search_times(indexes: dict[int, Path]) -> dict[int, list[float]]:
    """In-process search() times (ms) of the everyday queries on each index, REPEATS rounds in which the
    sizes take turns: a shared machine's load drifts over minutes, and the growth from the smallest site to
    the largest is a ratio of figures taken side by side, not one taken after the other."""
    stores = {size: open_store(index) for size, index in indexes.items()}
    for store in stores.values():
        for q in EVERYDAY:
            search(store, q)
    times: dict[int, list[float]] = {size: [] for size in stores}
    for _ in range(REPEATS):
        for size, store in stores.items():
            for q in EVERYDAY:
                t = time.perf_counter()
                search(store, q)
                times[size].append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", default="300,2400,24000", help="Comma-separated site sizes in posts.")
    parser.add_argument("--keep", type=Path, help="Folder keeping the sites and indexes between runs.")
    parser.add_argument("--queries", type=int, default=1000, help="API requests one at a time.")
    args = parser.parse_args()
    keep = args.keep or Path(tempfile.mkdtemp(prefix="mikke-scale-"))
    keep.mkdir(parents=True, exist_ok=True)
    rows = {int(s): measure(args.corpus, int(s), keep, args.queries) for s in args.sizes.split(",")}
    for size, times in search_times({size: keep / f"index-{size}" for size in rows}).items():
        rows[size]["search() p50"] = statistics.median(times)
        rows[size]["search() p99"] = percentile(times, 99)
    columns = list(next(iter(rows.values())))
    print(f"{'size':>7} " + " ".join(f"{c:>13}" for c in columns))
    for size, row in rows.items():
        print(f"{size:>7} " + " ".join(f"{row[c]:>13.1f}" for c in columns))
    sizes = sorted(rows)
    if len(sizes) > 1:
        growth = rows[sizes[-1]]["search() p50"] / rows[sizes[0]]["search() p50"]
        print(f"search() p50 grows {growth:.2f}x from {sizes[0]} to {sizes[-1]} posts (target <= 1.5x)")
    print(f"kept in {keep}" if args.keep else f"sites and indexes in {keep} (delete when done)")


if __name__ == "__main__":
    main()
