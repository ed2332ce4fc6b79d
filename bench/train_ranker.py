"""Fit the word-for-word overlap reranker (search/overlap.py) on a retrieval collection and write its model.

usage: python bench/train_ranker.py [COLLECTION] [--folds 5] [--seed 7] [--write]

COLLECTION (default ../shared/eval/jsquad-valid) is laid out as bench/relevance.py reads it; a query id's
article is its id up to the paragraph ("a10336p0q1" -> "a10336"), and folds keep an article's queries
together, so no fold is scored on a sibling of a paragraph it was fitted on. For every query the first
RERANK_HITS of the BM25 ranking get their features from the same code search() uses
(overlap.candidate_features); the weights are chosen on a grid by mean nDCG@10 on the training folds and
scored on the held-out fold. Prints the cross-validated nDCG@10 and MRR@10 of BM25 and of the reranker with
a paired bootstrap 95 % interval of the difference; --write saves the weights fitted on all queries to
search/ranker.json, which the package ships.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

from relevance import docid
from relevance import ndcg10
from relevance import paired_bootstrap
from relevance import read_qrels

from mikke.search import build_index
from mikke.search import open_store
from mikke.search.analysis import get_analyzer
from mikke.search.overlap import MODEL_FILE
from mikke.search.overlap import RERANK_HITS
from mikke.search.overlap import Weights
from mikke.search.overlap import candidate_features
from mikke.search.overlap import rescore
from mikke.search.query import _fetch
from mikke.search.ranking import filter_queries
from mikke.search.ranking import plan_query
from mikke.search.words import analyse_query

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "jsquad-valid"
GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
_ARTICLE_RE = re.compile(r"^(.*?)p\d+q\d+$")
Candidates = list[tuple[str, float, tuple[float, float]]]  # (doc id, score, features)


def mrr10(ranked: list[str], relevant: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if relevant.get(d, 0) > 0), 0.0)


def ranking(candidates: Candidates, weights: Weights | None) -> list[str]:
    scores = [s for _, s, _ in candidates]
    if weights is not None:
        scores = rescore(scores, [x for _, _, x in candidates], weights)
    order = sorted(range(len(candidates)), key=lambda k: (-round(scores[k], 4), candidates[k][0]))
    return [candidates[k][0] for k in order]


def collect(collection: Path, index: Path) -> list[tuple[str, Candidates]]:
    """Each query's first RERANK_HITS hits (BM25 order, as search() ranks them) with their features."""
    build_index(collection, index, full=True)
    store = open_store(index)
    analyzer = get_analyzer()
    rows = []
    for line in (collection / "queries.tsv").read_text("utf-8").splitlines():
        qid, _, text = line.partition("\t")
        if not text:
            continue
        searcher = store.searcher()
        terms = analyse_query(searcher, analyzer, text)
        plan = plan_query(store, searcher, terms, filter_queries(store, (), (), None, None))
        # The candidates search() itself reranks: its first RERANK_HITS, in its own order.
        hits = _fetch(searcher, searcher.search(plan.query, RERANK_HITS), by_date=False)
        found = candidate_features(searcher, store.schema, hits, terms.sequence) if terms.sentence else []
        # A query written as keywords is not reranked: its features are zero.
        found = found or [(0.0, 0.0)] * len(hits)
        rows.append((qid, [(docid(s.id), score, x) for (score, _, s), x in zip(hits, found, strict=True)]))
    return rows


def mean_metric(rows, qrels, weights, metric) -> float:  # type: ignore[no-untyped-def]
    return statistics.mean(metric(ranking(c, weights), qrels.get(q, {})) for q, c in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help=f"Write the fitted weights to {MODEL_FILE}.")
    args = parser.parse_args()
    qrels = read_qrels(args.collection / "qrels.txt")
    with tempfile.TemporaryDirectory() as tmp:
        rows = collect(args.collection, Path(tmp) / "index")

    def article(qid: str) -> str:
        match = _ARTICLE_RE.match(qid)
        return match.group(1) if match else qid

    articles = sorted({article(q) for q, _ in rows})
    random.Random(args.seed).shuffle(articles)
    fold_of = {a: k % args.folds for k, a in enumerate(articles)}
    grid = [Weights(c, p) for c, p in itertools.product(GRID, GRID)]
    held_out: dict[str, tuple[float, float, float, float]] = {}
    for k in range(args.folds):
        train = [r for r in rows if fold_of[article(r[0])] != k]
        test = [r for r in rows if fold_of[article(r[0])] == k]
        best = max(grid, key=lambda w: (mean_metric(train, qrels, w, ndcg10), -w.chain - w.pairs))
        print(f"fold {k}: {len(test)} queries, weights chain={best.chain} pairs={best.pairs}")
        for qid, c in test:
            rel = qrels.get(qid, {})
            base, new = ranking(c, None), ranking(c, best)
            held_out[qid] = (ndcg10(base, rel), ndcg10(new, rel), mrr10(base, rel), mrr10(new, rel))
    values = list(held_out.values())
    for name, a, b in (("nDCG@10", 0, 1), ("MRR@10", 2, 3)):
        low, high = paired_bootstrap([v[b] - v[a] for v in values], args.seed)
        base, new = statistics.mean(v[a] for v in values), statistics.mean(v[b] for v in values)
        print(f"{name}: BM25 {base:.4f}, reranked {new:.4f} (cross-validated)", end="")
        print(f", difference 95% [{low:+.4f}, {high:+.4f}]")
    final = max(grid, key=lambda w: (mean_metric(rows, qrels, w, ndcg10), -w.chain - w.pairs))
    print(f"weights fitted on all {len(rows)} queries: chain={final.chain} pairs={final.pairs}")
    if args.write:
        model = {"weights": {"chain": final.chain, "pairs": final.pairs}, "trained_on": args.collection.name}
        MODEL_FILE.write_text(json.dumps(model) + "\n", "utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
