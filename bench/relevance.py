"""Relevance and latency benchmark on a retrieval collection laid out as a Jekyll site.

usage: python bench/relevance.py COLLECTION [--run OUT] [--index DIR] [--metrics PATH]

COLLECTION holds `_posts/` (one post per document), `queries.tsv` (qid<TAB>text) and optionally
`qrels.txt`. Every query goes through `search()` (top 100) and is written as a TREC run
(`qid Q0 docid rank score mikke`, docid = the post's filename stem after the date). Only after the run
is written, and only if `qrels.txt` exists, is it scored with the collection's metrics script.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search

_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")


def docid(post_id: str) -> str:
    """The collection's document id: the filename stem after the date."""
    return _DATE_PREFIX.sub("", Path(post_id).stem)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("collection", type=Path)
    parser.add_argument("--run", type=Path, help="Where to write the TREC run (default: a temp file).")
    parser.add_argument("--index", type=Path, help="Index folder (default: a fresh temp folder).")
    parser.add_argument(
        "--metrics",
        type=Path,
        help="Scoring script taking QRELS RUN (default: ../eval/metrics.py beside the collection).",
    )
    args = parser.parse_args()
    collection: Path = args.collection
    queries = []
    for line in (collection / "queries.tsv").read_text("utf-8").splitlines():
        if line.strip():
            qid, _, text = line.partition("\t")
            queries.append((qid, text))

    with tempfile.TemporaryDirectory(prefix="mikke-bench-") as tmp:
        index_dir = args.index or Path(tmp) / "index"
        started = time.perf_counter()
        report = build_index(collection, index_dir, full=True)
        index_seconds = time.perf_counter() - started
        store = open_store(index_dir)
        search(store, "ウォームアップ")  # first call pays for the dictionary load, as a server's warm-up does

        run_path = args.run or Path(tmp) / "run.txt"
        zero = 0
        with open(run_path, "w", encoding="utf-8") as out:
            for qid, text in queries:
                page = search(store, text, per_page=100, with_counts=False)
                if not page.total:
                    zero += 1
                for rank, hit in enumerate(page.hits, start=1):
                    out.write(f"{qid} Q0 {docid(hit.id)} {rank} {hit.score:.6f} mikke\n")

        # Latency as a user sees it: 10 hits with excerpts and tag counts.
        latencies = []
        for _, text in queries:
            t = time.perf_counter()
            search(store, text, per_page=10)
            latencies.append((time.perf_counter() - t) * 1000)

        print(f"collection      {collection}")
        print(f"posts indexed   {report.posts} (skipped {len(report.skipped)})")
        print(f"index seconds   {index_seconds:.2f}")
        print(f"queries         {len(queries)}")
        print(f"zero-result     {zero}")
        print(f"query ms p50    {percentile(latencies, 0.5):.2f}")
        print(f"query ms p99    {percentile(latencies, 0.99):.2f}")
        print(f"query ms mean   {statistics.fmean(latencies):.2f}")
        print(f"run             {run_path}")
        qrels = collection / "qrels.txt"
        if qrels.exists():
            metrics = args.metrics or collection.parent / "metrics.py"
            if not metrics.exists():
                print(f"no metrics script at {metrics}; pass --metrics", file=sys.stderr)
                return 2
            scored = subprocess.run(
                [sys.executable, str(metrics), str(qrels), str(run_path)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(scored.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
