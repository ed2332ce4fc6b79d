"""The least memory a search worker holds before it reads any index: Python, the imports, and SudachiPy.

usage: python bench/memory_floor.py [CORPUS] [--queries 1000]

A fresh process imports what a `mikke serve` worker imports, loads the one Sudachi dictionary mikke uses
(sudachidict-core) through mikke's analyser, then analyses QUERIES queries as a search does: pieces of the
corpus's titles, two to eight characters long, as readers type them (no index is opened). After each
step it prints its resident set (RSS), its own memory (anonymous pages) and the resident pages of the
mapped dictionary file, against bench/scale.py's per-worker target. Run it on a quiet or a busy machine
alike: the figures are memory, not time.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

from worst import DEFAULT_CORPUS

TARGET_RSS_MB = 300.0
SEED = 7

# Runs in the child: measures itself after each step and prints one JSON line per step.
CHILD = r"""
import json, re, sys
from pathlib import Path

def memory(step):
    rollup = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        rollup[name] = int(value.split()[0]) / 1024
    dictionary, mapping = 0.0, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            mapping = line
        elif line.startswith("Rss:") and mapping.rstrip().endswith(".dic"):
            dictionary += int(line.split()[1]) / 1024
    print(json.dumps({"step": step, "rss": rollup["Rss"], "own": rollup["Anonymous"], "dict": dictionary}))
    sys.stdout.flush()

memory("python started")
import mikke.web.server  # noqa: F401  (Flask, tantivy, mikke.search: what a worker imports)
memory("worker's imports")
from mikke.search.analysis import get_analyzer
analyzer = get_analyzer()
memory("dictionary loaded")
queries = json.loads(sys.stdin.read())
marks = {10, 100, len(queries)}
for done, query in enumerate(queries, start=1):
    analyzer.analyze(query)
    if done in marks:
        memory(f"{done} queries analysed")
"""


def reader_queries(corpus: Path, count: int) -> list[str]:
    """``count`` pieces of the corpus's post titles, 2–8 characters, with no space: what readers type."""
    titles = []
    for post in sorted((corpus / "_posts").iterdir()):
        for line in post.read_text("utf-8", errors="replace").splitlines()[1:20]:
            if line.startswith("title:"):
                titles.append(line.removeprefix("title:").strip().strip("'\""))
                break
    rng = random.Random(SEED)
    queries = []
    while len(queries) < count:
        title = rng.choice(titles)
        length = rng.randint(2, 8)
        start = rng.randrange(max(1, len(title) - length))
        piece = title[start : start + length].strip()
        if piece and " " not in piece:
            queries.append(piece)
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--queries", type=int, default=1000, help="Queries analysed.")
    args = parser.parse_args()
    queries = reader_queries(args.corpus, args.queries)
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(queries, ensure_ascii=False),
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"{'step':<28}{'RSS MB':>9}{'own MB':>9}{'dictionary MB':>15}")
    last = {}
    for line in child.stdout.splitlines():
        last = json.loads(line)
        print(f"{last['step']:<28}{last['rss']:>9.0f}{last['own']:>9.0f}{last['dict']:>15.0f}")
    left = TARGET_RSS_MB - last["rss"]
    print(
        f"\nBefore any index page or search object, a worker holds {last['rss']:.0f} MB "
        f"({last['dict']:.0f} MB of it the dictionary's pages); the target of {TARGET_RSS_MB:.0f} MB per "
        f"worker leaves {left:.0f} MB for the app and the index."
    )


if __name__ == "__main__":
    main()
