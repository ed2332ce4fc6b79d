"""Relevance on blog-shaped reader queries: a judged set on the real blog sample, to check the ranking.

usage: python bench/blog_relevance.py [SITE] [--index DIR] [--pool]

SITE (default ../shared/corpus/allforces-sample) is indexed into a temp folder unless --index names an
existing index of it. Every query of bench/blog_queries.tsv goes through `search()` with the rerank on and
off and is scored against bench/blog_qrels.txt (graded 0-3 by reading the posts; never used to fit).
Prints per-query nDCG@10, means, P@10 (grade >= 2), the paired bootstrap 95 % interval of the difference,
and how many of each ranking's top 10 are unjudged: when that grows, the pool needs judging again.
`--detail` adds each query's top 10 with its grades. `--pool` prints instead, per query, the unjudged posts
of the pool the judgments were made on (the top 10 of both rankings, of `exact` and of a character-bigram
BM25 baseline), sorted by id so their rank is unseen.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

from relevance import ndcg10
from relevance import paired_bootstrap
from relevance import read_qrels

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search
from mikke.search.query import list_posts

BENCH = Path(__file__).resolve().parent
DEFAULT_SITE = BENCH.parents[1] / "shared" / "corpus" / "allforces-sample"
QUERIES = BENCH / "blog_queries.tsv"
QRELS = BENCH / "blog_qrels.txt"
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_TITLE = re.compile(r"^title:\s*(.*)$", re.M)


def blog_docid(post_id: str) -> str:
    """The post's filename stem, date included: on this blog the stem after the date is not unique."""
    return Path(post_id).stem


def read_queries(path: Path) -> list[tuple[str, str, str]]:
    """(id, kind, text) of each query; the first line is the header."""
    rows = []
    for line in path.read_text("utf-8").splitlines()[1:]:
        if line.strip():
            qid, kind, text = line.split("\t")
            rows.append((qid, kind, text))
    return rows


def _bigrams(text: str) -> list[str]:
    """Overlapping character pairs of each word (a one-character word is kept whole)."""
    grams: list[str] = []
    for word in unicodedata.normalize("NFKC", text).lower().split():
        grams.extend([word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)])
    return grams


class BigramBM25:
    """An independent baseline for pooling: BM25 over the character bigrams of title and body."""

    def __init__(self, docs: dict[str, str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = {d: Counter(_bigrams(text)) for d, text in docs.items()}
        self.length = {d: sum(c.values()) for d, c in self.tf.items()}
        self.avg = statistics.fmean(self.length.values())
        df: Counter[str] = Counter()
        for c in self.tf.values():
            df.update(c.keys())
        n = len(docs)
        self.idf = {g: math.log(1 + (n - f + 0.5) / (f + 0.5)) for g, f in df.items()}

    def rank(self, query: str, k: int = 10) -> list[str]:
        grams = Counter(_bigrams(query))
        scores: dict[str, float] = {}
        for d, tf in self.tf.items():
            norm = self.k1 * (1 - self.b + self.b * self.length[d] / self.avg)
            s = sum(
                q * self.idf[g] * tf[g] * (self.k1 + 1) / (tf[g] + norm) for g, q in grams.items() if tf[g]
            )
            if s:
                scores[d] = s
        return sorted(scores, key=lambda d: (-scores[d], d))[:k]


def _post_text(path: Path) -> str:
    """Title and body of a post file (front matter other than the title left out)."""
    raw = path.read_text("utf-8")
    match = _FRONT_MATTER.match(raw)
    if not match:
        return raw
    title = _TITLE.search(match.group(1))
    return (title.group(1).strip().strip("\"'") if title else "") + "\n" + raw[match.end() :]


def precision10(ranked: list[str], judged: dict[str, int]) -> float:
    return sum(judged.get(d, 0) >= 2 for d in ranked[:10]) / 10


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, nargs="?", default=DEFAULT_SITE)
    parser.add_argument("--index", type=Path, help="An index of SITE to use (default: build a fresh one).")
    parser.add_argument("--pool", action="store_true", help="Print the unjudged pooled posts per query.")
    parser.add_argument(
        "--detail",
        action="store_true",
        help="Also print each query's top 10 (rerank on) with grades, and its posts graded 2+ left out.",
    )
    args = parser.parse_args()
    queries = read_queries(QUERIES)
    judged = read_qrels(QRELS) if QRELS.exists() else {}

    with tempfile.TemporaryDirectory(prefix="mikke-blog-") as tmp:
        index_dir = args.index or Path(tmp) / "index"
        if args.index is None:
            build_index(args.site, index_dir, full=True)
        store = open_store(index_dir)
        rankings: dict[str, dict[str, list[str]]] = {"rerank": {}, "no rerank": {}, "exact": {}}
        for qid, _, text in queries:
            for name, rerank, exact in (
                ("rerank", True, False),
                ("no rerank", False, False),
                ("exact", True, True),
            ):
                page = search(store, text, per_page=10, with_counts=False, rerank=rerank, exact=exact)
                rankings[name][qid] = [blog_docid(hit.id) for hit in page.hits]
        # The baseline sees the posts mikke indexed (not the ones it skips as hidden), as text.
        posts = {blog_docid(p.id): _post_text(args.site / p.id) for p in list_posts(store)}
        baseline = BigramBM25(posts)
        rankings["bigram BM25"] = {qid: baseline.rank(text) for qid, _, text in queries}

    if args.pool:
        for qid, _, text in queries:
            pool = sorted({d for ranking in rankings.values() for d in ranking[qid]})
            fresh = [d for d in pool if d not in judged.get(qid, {})]
            print(f"{qid}\t{text}\t{len(pool)} pooled, {len(fresh)} unjudged")
            for d in fresh:
                print(f"  {d}")
        return 0

    on, off = rankings["rerank"], rankings["no rerank"]
    print(f"site {args.site}  queries {len(queries)}  judgments {sum(map(len, judged.values()))}")
    print(
        f"{'qid':<4} {'kind':<8} {'nDCG on':>7} {'off':>6} {'P@10 on':>7} {'off':>4} {'unjudged':>8}  query"
    )
    diffs = []
    for qid, kind, text in queries:
        j = judged.get(qid, {})
        a, b = ndcg10(on[qid], j), ndcg10(off[qid], j)
        diffs.append(a - b)
        unjudged = f"{sum(d not in j for d in on[qid])}/{sum(d not in j for d in off[qid])}"
        print(
            f"{qid:<4} {kind:<8} {a:>7.3f} {b:>6.3f} {precision10(on[qid], j):>7.1f} "
            f"{precision10(off[qid], j):>4.1f} {unjudged:>8}  {text}"
        )
    for name, ranking in rankings.items():
        mean = statistics.fmean(ndcg10(ranking[q], judged.get(q, {})) for q, _, _ in queries)
        p10 = statistics.fmean(precision10(ranking[q], judged.get(q, {})) for q, _, _ in queries)
        missing = sum(d not in judged.get(q, {}) for q, _, _ in queries for d in ranking[q])
        print(f"{name:<12} nDCG@10 {mean:.4f}  P@10 {p10:.3f}  unjudged in top 10: {missing}")
    if args.detail:
        for qid, _, text in queries:
            j = judged.get(qid, {})
            top = " ".join(f"{j.get(d, '?')}:{d}" for d in on[qid])
            left_out = sorted((d for d, g in j.items() if g >= 2 and d not in on[qid]), key=lambda d: -j[d])
            print(f"\n{qid} {text}\n  top 10: {top}")
            if left_out:
                print("  graded 2+ not in top 10: " + " ".join(f"{j[d]}:{d}" for d in left_out))
    low, high = paired_bootstrap(diffs)
    print(f"nDCG@10 rerank - no rerank: {statistics.fmean(diffs):+.4f}, 95% [{low:+.4f}, {high:+.4f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
