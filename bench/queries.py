"""How well mikke finds what a reader means however they type it, per kind of query.

usage: python bench/queries.py SITE [--sets bench/query_sets.tsv] [--index DIR] [--rounds N]

Each line of the sets file is ``kind<TAB>query<TAB>meaning``: the query as a reader types it (in kana,
romaji, a katakana name, a synonym, with the wrong kanji) and what they mean, as words searched exactly
(``a|b``: posts either finds). The posts the meaning finds, every word of it ("quoted", exact=True), are
the relevant ones. Per kind it prints, for the query as mikke reads it by default and as typed
(exact=True, no respelling), in the same run:

- P@10: relevant posts among the first 10 hits, over min(10, relevant posts);
- R@100: relevant posts among the first 100 hits, over all relevant posts;
- for wrong kanji, how often ``did_you_mean`` is the meaning, and P@10 / R@100 of the results one click
  on it away (or shown at once when the query found nothing);
- for prefixes (what a reader has typed so far), how often the meant word is among the 10 suggestions,
  and suggest()'s latency (the first call of a run builds the suggestion index, as a server's does once
  per index version).

Then ``GET /api/suggest`` on a ``mikke serve`` of the index (the first request of a worker builds its
suggestion index), and search() latency (10 hits with excerpts and tag counts), default vs as typed,
each query ``--rounds`` times each way, alternating: for ordinary queries (the meanings themselves, typed
as the posts write them) and for the set's queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

from server import mikke_server  # bench/server.py

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search import suggest
from mikke.search.store import Store

SETS = Path(__file__).parent / "query_sets.tsv"


def relevant(store: Store, meaning: str) -> set[str]:
    """The posts ``meaning`` finds with every one of its words, as typed (any of its ``|`` forms)."""
    found: set[str] = set()
    for form in meaning.split("|"):
        text = " ".join(f'"{w}"' for w in form.split())
        page = search(store, text, per_page=10_000, with_counts=False, exact=True, respell=False)
        found |= {h.id for h in page.hits}
    return found


def scores(ids: list[str], rel: set[str]) -> tuple[float, float]:
    if not rel:
        return 0.0, 0.0
    p10 = len(set(ids[:10]) & rel) / min(10, len(rel))
    r100 = len(set(ids[:100]) & rel) / len(rel)
    return p10, r100


def ids_of(store: Store, text: str, **kw: object) -> list[str]:
    page = search(store, text, per_page=100, with_counts=False, **kw)  # type: ignore[arg-type]
    return [h.id for h in page.hits]


def median_ms(store: Store, texts: list[str], rounds: int) -> tuple[float, float, float]:
    """search() in ms over ``texts``, default and as typed: each query is run ``rounds`` times each way,
    the two alternating and each going first in turn, so that a change of load meets both alike.

    :return: the median over queries of each query's median time, default and as typed, and the median
        over queries of their ratio.
    """
    default: list[float] = []
    typed: list[float] = []
    ratios: list[float] = []
    for text in texts:
        runs: tuple[list[float], list[float]] = ([], [])
        for n in range(rounds):
            ways = [(runs[0], {}), (runs[1], {"exact": True, "respell": False})]
            for sink, kw in ways if n % 2 else ways[::-1]:
                t = time.perf_counter()
                search(store, text, per_page=10, **kw)  # type: ignore[arg-type]
                sink.append((time.perf_counter() - t) * 1000)
        default.append(statistics.median(runs[0]))
        typed.append(statistics.median(runs[1]))
        ratios.append(default[-1] / typed[-1])
    return statistics.median(default), statistics.median(typed), statistics.median(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path)
    parser.add_argument("--sets", type=Path, default=SETS)
    parser.add_argument("--index", type=Path, help="Index folder (default: a fresh temp folder).")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    sets: list[tuple[str, str, str]] = []
    for line in args.sets.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, query, meaning = line.split("\t")
            sets.append((kind, query, meaning))

    with tempfile.TemporaryDirectory(prefix="mikke-queries-") as tmp:
        index_dir = args.index or Path(tmp) / "index"
        report = build_index(args.site, index_dir, full=True)
        store = open_store(index_dir)
        search(store, "ウォームアップ")  # the dictionary and the vocabulary load once, as in a server
        by_kind: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
        respelled: dict[str, list[tuple[bool, float, float]]] = defaultdict(list)
        misses: list[str] = []
        completions: list[tuple[bool, float]] = []
        for kind, query, meaning in sets:
            if kind == "prefix":
                t = time.perf_counter()
                offered = [x.text for x in suggest(store, query).suggestions]
                completions.append((meaning in offered, (time.perf_counter() - t) * 1000))
                if meaning not in offered:
                    misses.append(f"prefix: {query} -> {offered}, meant {meaning}")
                continue
            rel = relevant(store, meaning)
            if not rel:
                misses.append(f"{kind}: {meaning} finds no post in this site; left out")
                continue
            now = scores(ids_of(store, query), rel)
            before = scores(ids_of(store, query, exact=True, respell=False), rel)
            by_kind[kind].append((*now, *before))
            if kind == "wrong-kanji":
                page = search(store, query, per_page=100, with_counts=False)
                right = page.did_you_mean == meaning
                reached = (
                    [h.id for h in page.hits]
                    if page.corrected or not page.did_you_mean
                    else (ids_of(store, page.did_you_mean))
                )
                respelled[kind].append((right, *scores(reached, rel)))
                if not right:
                    misses.append(f"{kind}: {query} -> did_you_mean {page.did_you_mean!r}, meant {meaning}")

        print(f"site            {args.site} ({report.posts} posts)")
        print("kind          queries  P@10 now  (as typed)  R@100 now  (as typed)")
        for kind, rows in by_kind.items():
            p, r, p0, r0 = (statistics.fmean(x[i] for x in rows) for i in range(4))
            print(f"{kind:<13} {len(rows):>7}  {p:8.3f}  ({p0:8.3f})  {r:9.3f}  ({r0:8.3f})")
        for kind, rows in respelled.items():
            right = sum(1 for x in rows if x[0])
            p, r = statistics.fmean(x[1] for x in rows), statistics.fmean(x[2] for x in rows)
            print(
                f"{kind:<13} did_you_mean right {right}/{len(rows)}; "
                f"one click away: P@10 {p:.3f}, R@100 {r:.3f}"
            )
        if completions:
            found = sum(1 for ok, _ in completions if ok)
            print(
                f"prefix        {len(completions):>7}  meant word among the 10 suggestions: "
                f"{found}/{len(completions)}; "
                f"suggest() p50 {statistics.median(ms for _, ms in completions):.2f} ms, "
                f"max {max(ms for _, ms in completions):.2f} ms"
            )
        for miss in misses:
            print("  " + miss)

        prefixes = [q for k, q, _ in sets if k == "prefix"]
        if prefixes:
            with mikke_server(index_dir) as url:
                ms = []
                for _ in range(args.rounds):
                    for prefix in prefixes:
                        t = time.perf_counter()
                        with urllib.request.urlopen(f"{url}/api/suggest?q={urllib.parse.quote(prefix)}") as r:
                            r.read()
                        ms.append((time.perf_counter() - t) * 1000)
            print(
                f"GET /api/suggest (mikke serve, one client): p50 {statistics.median(ms):.2f} ms, "
                f"max {max(ms):.2f} ms"
            )
        ordinary = list(dict.fromkeys(m.split("|")[0] for _, _, m in sets))
        queries = [q for k, q, _ in sets if k != "prefix"]
        for name, texts in (("ordinary", ordinary), ("the sets'", queries)):
            now_ms, typed_ms, ratio = median_ms(store, texts, args.rounds)
            print(
                f"search() p50, {name} queries: {now_ms:.2f} ms (as typed: {typed_ms:.2f} ms; "
                f"median ratio per query {ratio:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
