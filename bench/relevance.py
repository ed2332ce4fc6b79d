"""Relevance and latency benchmark on a retrieval collection laid out as a Jekyll site.

usage: python bench/relevance.py COLLECTION [--run OUT] [--index DIR] [--metrics PATH]

COLLECTION holds `_posts/` (one post per document), `queries.tsv` (qid<TAB>text) and optionally
`qrels.txt`. Every query goes through `search()` (top 100) and is written as a TREC run
(`qid Q0 docid rank score mikke`, docid = the post's filename stem after the date). Only after the run
is written, and only if `qrels.txt` exists, is it scored with the collection's metrics script.
"""

from __future__ import annotations

import argparse
import math
import random
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


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):  # a judged set may open with its guideline
            qid, _, doc, grade = line.split()
            judged.setdefault(qid, {})[doc] = int(grade)
    return judged


def ndcg10(ranked: list[str], judged: dict[str, int]) -> float:
    """nDCG@10 with exponential gain, as the collection's metrics script computes it."""
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(judged.values(), reverse=True)[:10]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def paired_bootstrap(diffs: list[float], seed: int = 7, rounds: int = 2000) -> tuple[float, float]:
    """The 95 % interval of the mean of per-query differences, resampling queries."""
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(diffs, k=len(diffs))) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds)]


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
        base_path = run_path.with_name(run_path.stem + "-bm25" + run_path.suffix)
        zero = 0
        rankings: dict[bool, dict[str, list[str]]] = {True: {}, False: {}}
        for rerank, path in ((True, run_path), (False, base_path)):
            with open(path, "w", encoding="utf-8") as out:
                for qid, text in queries:
                    page = search(store, text, per_page=100, with_counts=False, rerank=rerank)
                    zero += rerank and not page.total
                    rankings[rerank][qid] = [docid(hit.id) for hit in page.hits]
                    for rank, hit in enumerate(page.hits, start=1):
                        out.write(f"{qid} Q0 {docid(hit.id)} {rank} {hit.score:.6f} mikke\n")

        # Latency as a user sees it: 10 hits with excerpts and tag counts, reranked and not.
        latencies: dict[bool, list[float]] = {True: [], False: []}
        for _, text in queries:
            for rerank in (True, False):
                t = time.perf_counter()
                search(store, text, per_page=10, rerank=rerank)
                latencies[rerank].append((time.perf_counter() - t) * 1000)

        print(f"collection      {collection}")
        print(f"posts indexed   {report.posts} (skipped {len(report.skipped)})")
        print(f"index seconds   {index_seconds:.2f}")
        print(f"queries         {len(queries)}")
        print(f"zero-result     {zero}")
        for rerank, name in ((True, "query ms"), (False, "BM25 only ms")):
            print(
                f"{name:<15} p50 {percentile(latencies[rerank], 0.5):.2f}  p99 "
                f"{percentile(latencies[rerank], 0.99):.2f}  mean {statistics.fmean(latencies[rerank]):.2f}"
            )
        print(f"run             {run_path} (BM25 only: {base_path})")
        qrels = collection / "qrels.txt"
        if qrels.exists():
            metrics = args.metrics or collection.parent / "metrics.py"
            if not metrics.exists():
                print(f"no metrics script at {metrics}; pass --metrics", file=sys.stderr)
                return 2
            for name, path in (("reranked ", run_path), ("BM25 only", base_path)):
                scored = subprocess.run(
                    [sys.executable, str(metrics), str(qrels), str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(name, scored.stdout.strip())
            judged = read_qrels(qrels)
            diffs = [
                ndcg10(rankings[True][q], judged.get(q, {})) - ndcg10(rankings[False][q], judged.get(q, {}))
                for q, _ in queries
            ]
            low, high = paired_bootstrap(diffs)
            print(f"nDCG@10 reranked - BM25: {statistics.fmean(diffs):+.4f}, 95% [{low:+.4f}, {high:+.4f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
