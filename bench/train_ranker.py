"""Fit the learned reranker (search/rerank.py) on a retrieval collection and write its model.

usage: python bench/train_ranker.py [COLLECTION] [--folds 5] [--seed 7] [--cache FILE] [--write]

COLLECTION (default ../shared/eval/jsquad-valid) is laid out as bench/relevance.py reads it. Every query is
used twice: as written (a question: a sentence) and as keywords (its rarest content words, at most
KEYWORD_WORDS, in its order), so the model for each kind of query is fitted and scored on its own. For every
query the first RERANK_HITS hits of the BM25 ranking get their features from the code search() uses
(rerank.candidate_features). A query id's article is its id up to the paragraph ("a10336p0q1" -> "a10336");
cross-validation folds keep an article's queries together, so no fold is scored on a sibling of a paragraph
it was fitted on. Two models are compared on the same folds: a linear one fitted by coordinate ascent on
nDCG@10 (pure Python at query time) and LightGBM's LambdaMART (the optional extra `rank`). Prints each
one's cross-validated nDCG@10, MRR@10 and Recall@10 against BM25 with paired bootstrap 95 % intervals of the
difference. --write saves, for each kind of query, the linear model unless LambdaMART is more than
LINEAR_SLACK better (then its trees), or nothing when neither beats BM25, fitted on all queries; a linear
model already shipped stays unless the refit ranks all the queries better by more than REFIT_MIN_GAIN.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from relevance import docid
from relevance import paired_bootstrap
from relevance import read_qrels

from mikke.search import build_index
from mikke.search import open_store
from mikke.search.analysis import get_analyzer
from mikke.search.query import _fetch
from mikke.search.ranking import filter_queries
from mikke.search.ranking import plan_query
from mikke.search.readings import vocabulary
from mikke.search.rerank import FEATURES
from mikke.search.rerank import KEYWORD_MIN_WORDS
from mikke.search.rerank import MODEL_FILE
from mikke.search.rerank import RERANK_HITS
from mikke.search.rerank import candidate_features
from mikke.search.rerank import query_shape
from mikke.search.rerank import tier
from mikke.search.words import analyse_query

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "jsquad-valid"
KEYWORD_WORDS = 3
# The linear model ships unless LambdaMART is better than this in cross-validation.
LINEAR_SLACK = 0.002
# A refit linear model replaces the shipped one only when it ranks all the queries better by more than
# this: many weights score alike (the optimum is flat), and a new model for no gain would only move the
# rankings readers see.
REFIT_MIN_GAIN = 0.001
# Coordinate ascent: the steps tried on each weight, the passes over all weights.
STEPS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
PASSES = 3
# Weights held at a value rather than fitted, per kind of query (--fix changes them):
# - defines: a rule. A "what is X" question ranks posts that define X ("X とは" in a title or heading)
#   higher; jsquad's paragraphs have no headings to learn it from (it scores the same with 0.3 and 1).
# - prominence_min for keywords: the least prominent word of a keyword query, so that a post about every
#   word beats one about a single word that mentions the others once. Coordinate ascent stops at a small
#   weight; held at 4, keyword queries score best in cross-validation (0, 1, 2, 4 and 6 were tried).
FIXED: dict[str, dict[str, float]] = {
    "sentence": {"defines": 1.0},
    "keywords": {"defines": 1.0, "prominence_min": 4.0},
}
LGBM_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "num_leaves": 7,
    "learning_rate": 0.05,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
LGBM_ROUNDS = 150
_ARTICLE_RE = re.compile(r"^(.*?)p\d+q\d+")


class Group:
    """One kind of query: features (queries x RERANK_HITS x features), grades, BM25 tiers and ideal DCG."""

    def __init__(
        self,
        kind: str,
        rows: list[tuple[str, list[str], list[float], list[list[float]]]],
        qrels: dict[str, dict[str, int]],
    ) -> None:
        width = len(FEATURES)
        self.kind = kind
        self.qids = [q for q, _, _, _ in rows]
        n = len(rows)
        self.x = np.zeros((n, RERANK_HITS, width))
        self.gain = np.zeros((n, RERANK_HITS))
        self.valid = np.zeros((n, RERANK_HITS), dtype=bool)
        self.tier = np.zeros((n, RERANK_HITS))
        self.ideal = np.zeros(n)
        self.relevant = np.zeros(n)
        for i, (qid, docs, scores, feats) in enumerate(rows):
            judged = qrels.get(qid.split("#")[0], {})
            for k, (d, s, row) in enumerate(zip(docs, scores, feats, strict=True)):
                self.x[i, k] = row
                self.gain[i, k] = 2 ** judged.get(d, 0) - 1
                self.valid[i, k] = True
                self.tier[i, k] = tier(s)
            ideal = sorted(judged.values(), reverse=True)[:10]
            self.ideal[i] = sum((2**g - 1) / np.log2(j + 2) for j, g in enumerate(ideal))
            self.relevant[i] = sum(1 for g in judged.values() if g > 0)

    def metrics(self, predicted: np.ndarray, rows: np.ndarray, *, tiers: bool = True) -> np.ndarray:
        """Per query of ``rows``: nDCG@10, MRR@10, Recall@10 of the order by ``predicted``, within each
        tier (rerank.tier) unless ``tiers`` is false."""
        key = np.where(self.valid[rows], self.tier[rows] * 1e6 * tiers + predicted, -1e15)
        order = np.argsort(-key, axis=1, kind="stable")[:, :10]
        gain = np.take_along_axis(self.gain[rows], order, axis=1)
        discount = 1 / np.log2(np.arange(2, 12))
        ndcg = (gain * discount).sum(1) / np.where(self.ideal[rows] > 0, self.ideal[rows], 1)
        hit = gain > 0
        first = np.where(hit.any(1), hit.argmax(1), -1)
        mrr = np.where(first >= 0, 1 / np.maximum(first + 1, 1), 0.0)
        recall = hit.sum(1) / np.where(self.relevant[rows] > 0, self.relevant[rows], 1)
        return np.stack([ndcg, mrr, recall], axis=1)


def bm25(group: Group, rows: np.ndarray) -> np.ndarray:
    """Per query of ``rows``, the metrics of BM25's own order (the order the candidates are stored in)."""
    return group.metrics(np.tile(-np.arange(RERANK_HITS, dtype=float), (len(rows), 1)), rows, tiers=False)


def fit_linear(group: Group, rows: np.ndarray, fixed: dict[str, float]) -> np.ndarray:
    """Weights by coordinate ascent on mean nDCG@10, from BM25 order (the score's weight stays 1)."""
    w = np.zeros(len(FEATURES))
    w[FEATURES.index("score")] = 1.0
    for name, value in fixed.items():
        w[FEATURES.index(name)] = value
    x = group.x[rows]

    def value(weights: np.ndarray) -> float:
        return float(group.metrics(x @ weights, rows)[:, 0].mean())

    best = value(w)
    for _ in range(PASSES):
        improved = False
        for j, name in enumerate(FEATURES):
            if name == "score" or name in fixed:
                continue
            for step in (*STEPS, *(-s for s in STEPS)):
                trial = w.copy()
                trial[j] += step
                v = value(trial)
                if v > best + 1e-6:
                    best, w, improved = v, trial, True
        if not improved:
            break
    return w


def fit_lgbm(group: Group, rows: np.ndarray, seed: int) -> Any:
    import lightgbm as lgb

    mask = group.valid[rows]
    x = group.x[rows][mask]
    label = np.log2(group.gain[rows][mask] + 1).astype(int)
    sizes = mask.sum(1)
    data = lgb.Dataset(x, label, group=sizes[sizes > 0], feature_name=list(FEATURES))
    return lgb.train({**LGBM_PARAMS, "seed": seed}, data, num_boost_round=LGBM_ROUNDS)


def lgbm_predict(booster: Any, group: Group, rows: np.ndarray) -> np.ndarray:
    x = group.x[rows]
    return booster.predict(x.reshape(-1, x.shape[2])).reshape(x.shape[0], x.shape[1])


def dump_trees(booster: Any) -> dict[str, Any]:
    """LightGBM's trees as nested ``[feature, threshold, left, right]`` lists (search/rerank.py Trees)."""

    def node(n: dict[str, Any]) -> Any:
        if "leaf_value" in n:
            return n["leaf_value"]
        return [n["split_feature"], n["threshold"], node(n["left_child"]), node(n["right_child"])]

    dumped = booster.dump_model()
    return {"kind": "trees", "trees": [node(t["tree_structure"]) for t in dumped["tree_info"]]}


def shipped_linear(kind: str) -> dict[str, float] | None:
    """The weights of the shipped linear scorer for ``kind`` (None: it ships none, or trees)."""
    if not MODEL_FILE.exists():
        return None
    scorer = json.loads(MODEL_FILE.read_text("utf-8")).get(kind)
    if not isinstance(scorer, dict) or scorer.get("kind") != "linear":
        return None
    return {str(n): float(v) for n, v in scorer["weights"].items()}


def vector(weights: dict[str, float]) -> np.ndarray:
    """Named weights as a vector over FEATURES (a feature not named weighs 0)."""
    return np.array([weights.get(n, 0.0) for n in FEATURES])


def predictor(name: str, group: Group, rows: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Fit model ``name`` on queries ``rows`` of ``group``; what it predicts for other queries."""
    if name == "linear":
        w = fit_linear(group, rows, FIXED[group.kind])
        return lambda test: group.x[test] @ w
    booster = fit_lgbm(group, rows, seed)
    return lambda test: lgbm_predict(booster, group, test)


def keyword_form(terms: Any) -> str:
    """A question as keywords: its rarest content words, at most KEYWORD_WORDS, in its order."""
    rarest = {w.coarse for w in terms.scored[:KEYWORD_WORDS]}
    return " ".join(w.coarse for w in terms.words if w.coarse in rarest)


def collect(
    collection: Path, index: Path
) -> list[tuple[str, bool, list[str], list[float], list[list[float]], int]]:
    """Each query's first RERANK_HITS hits in BM25 order (as search() ranks them) with their features, as
    written and as keywords (id, sentence or not, doc ids, scores, features, number of keywords typed)."""
    build_index(collection, index, full=True)
    store = open_store(index)
    analyzer = get_analyzer()
    searcher = store.searcher()
    vocab = vocabulary(id(store), store.loaded_version, searcher, None)
    rows = []
    for line in (collection / "queries.tsv").read_text("utf-8").splitlines():
        qid, _, text = line.partition("\t")
        if not text:
            continue
        terms = analyse_query(searcher, analyzer, text, vocab)
        forms = [(qid, terms)]
        keywords = keyword_form(terms)
        if keywords:
            forms.append((qid + "#keywords", analyse_query(searcher, analyzer, keywords, vocab)))
        for name, t in forms:
            plan = plan_query(store, searcher, t, filter_queries(store, (), (), None, None))
            hits = _fetch(searcher, searcher.search(plan.query, RERANK_HITS), by_date=False)
            feats = candidate_features(searcher, store.schema, hits, query_shape(searcher, t))
            docs = [docid(s.id) for _, _, s in hits]
            rows.append((name, t.sentence, docs, [s for s, _, _ in hits], feats, t.typed_keywords))
    return rows


def summary(name: str, base: np.ndarray, new: np.ndarray, seed: int) -> str:
    out = [f"{name:<22}"]
    for j, metric in enumerate(("nDCG@10", "MRR@10", "R@10")):
        low, high = paired_bootstrap(list(new[:, j] - base[:, j]), seed)
        mean, gain = new[:, j].mean(), new[:, j].mean() - base[:, j].mean()
        out.append(f"{metric} {mean:.4f} ({gain:+.4f} [{low:+.4f}, {high:+.4f}])")
    return "  ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cache", type=Path, help="Keep the collected features in this file (reused if there)."
    )
    parser.add_argument("--no-lgbm", action="store_true", help="Fit the linear model only.")
    parser.add_argument(
        "--fix", action="append", default=[], metavar="KIND:NAME=VALUE", help="Hold a weight at a value."
    )
    parser.add_argument("--write", action="store_true", help=f"Write the fitted model to {MODEL_FILE}.")
    args = parser.parse_args()
    for fixed in args.fix:
        kind, _, setting = fixed.partition(":")
        name, _, value = setting.partition("=")
        FIXED[kind][name] = float(value)
    qrels = read_qrels(args.collection / "qrels.txt")
    if args.cache and args.cache.exists():
        collected = pickle.loads(args.cache.read_bytes())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            collected = collect(args.collection, Path(tmp) / "index")
        if args.cache:
            args.cache.write_bytes(pickle.dumps(collected))

    def article(qid: str) -> str:
        match = _ARTICLE_RE.match(qid)
        return match.group(1) if match else qid

    articles = sorted({article(r[0]) for r in collected})
    random.Random(args.seed).shuffle(articles)
    fold_of = {a: k % args.folds for k, a in enumerate(articles)}
    model: dict[str, Any] = {"features": list(FEATURES), "trained_on": args.collection.name}
    # Held-out metrics of every query (as written and as keywords), per ranking.
    held_out: dict[str, dict[str, np.ndarray]] = {"BM25": {}}
    for kind, sentence in (("sentence", True), ("keywords", False)):
        # The queries this kind's scorer is used for (rerank.Model.for_query); the others keep BM25's order.
        used = [r for r in collected if r[1] == sentence and (sentence or r[5] >= KEYWORD_MIN_WORDS)]
        group = Group(kind, [(q, d, s, x) for q, _, d, s, x, _ in used], qrels)
        if not group.qids:
            model[kind] = None
            continue
        folds = np.array([fold_of[article(q)] for q in group.qids])
        every = np.arange(len(group.qids))
        fitters = ["linear"] if args.no_lgbm else ["linear", "LambdaMART"]
        base = np.zeros((len(every), 3))
        held = {name: np.zeros((len(every), 3)) for name in fitters}
        for k in range(args.folds):
            train, test = every[folds != k], every[folds == k]
            base[test] = bm25(group, test)
            for name in fitters:
                held[name][test] = group.metrics(predictor(name, group, train, args.seed)(test), test)
        print(f"{kind} kind: {len(every)} queries, {args.folds} folds by article (seed {args.seed})")
        print(summary("  BM25", base, base, args.seed))
        for name in fitters:
            print(summary(f"  {name}", base, held[name], args.seed))
        scores = {name: float(held[name][:, 0].mean()) for name in fitters}
        chosen = "linear"
        if "LambdaMART" in scores and scores["LambdaMART"] > scores["linear"] + LINEAR_SLACK:
            chosen = "LambdaMART"
        keep = scores[chosen] > float(base[:, 0].mean())
        for name, values in (("BM25", base), *held.items()):
            shipped = values if keep or name == "BM25" else base
            held_out.setdefault(name, {}).update(zip(group.qids, shipped, strict=True))
        held_out.setdefault("shipped", {}).update(
            zip(group.qids, held[chosen] if keep else base, strict=True)
        )
        if not keep:
            print(f"  {kind}: no model beats BM25; these queries keep the BM25 order")
            model[kind] = None
            continue
        if chosen == "linear":
            w = fit_linear(group, every, FIXED[kind])
            weights = {n: round(float(v), 6) for n, v in zip(FEATURES, w, strict=True) if v}
            model[kind] = {"kind": "linear", "weights": weights}
            kept = shipped_linear(kind)
            if kept is not None:
                old = float(group.metrics(group.x[every] @ vector(kept), every)[:, 0].mean())
                new = float(group.metrics(group.x[every] @ w, every)[:, 0].mean())
                if new <= old + REFIT_MIN_GAIN:
                    print(f"  {kind}: the refit scores {new:.4f} on all queries, the shipped model {old:.4f}")
                    model[kind] = {"kind": "linear", "weights": kept}
        else:
            model[kind] = dump_trees(fit_lgbm(group, every, args.seed))
        print(f"  {kind}: ships {chosen}" + (f" {model[kind]['weights']}" if chosen == "linear" else ""))
    # Keyword queries too short for the keyword scorer keep BM25's order under every ranking.
    left = [r for r in collected if not r[1] and r[5] < KEYWORD_MIN_WORDS]
    if left:
        group = Group("keywords", [(q, d, s, x) for q, _, d, s, x, _ in left], qrels)
        every = np.arange(len(group.qids))
        base = bm25(group, every)
        for ranking in held_out.values():
            ranking.update(zip(group.qids, base, strict=True))
    for form, keyword in (("queries as written", False), ("queries as keywords", True)):
        qids = [q for q in held_out["BM25"] if q.endswith("#keywords") == keyword]
        print(f"{form}: {len(qids)}, cross-validated, each kind by its own model")
        base = np.array([held_out["BM25"][q] for q in qids])
        for name in held_out:
            print(summary(f"  {name}", base, np.array([held_out[name][q] for q in qids]), args.seed))
    # Short keyword queries must not get worse: the shipped ranking by number of words.
    words = {r[0]: r[5] for r in collected}
    for n in sorted({words[q] for q in words if q.endswith("#keywords")}):
        qids = [q for q in held_out["BM25"] if q.endswith("#keywords") and words[q] == n]
        base = np.array([held_out["BM25"][q] for q in qids])
        shipped = np.array([held_out["shipped"][q] for q in qids])
        print(summary(f"  {n} keyword(s), {len(qids)}", base, shipped, args.seed))
    if args.write:
        MODEL_FILE.write_text(json.dumps(model) + "\n", "utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
