"""Related posts on a real blog: the time of `mikke related --all`, how often related posts share a tag or a
category (against random pairs of the same blog), and ten random posts' lists to read.

usage: python bench/related.py [CORPUS] [--index DIR] [--repeats 5] [--seed 1] [--limit 5]

Indexes CORPUS (default ../shared/corpus/allforces-sample) into a temporary folder unless --index names a
built index of it. The time is the whole of all_related() (every post's list, from one snapshot) and the
writing of the Jekyll data file, wall clock, best and median of --repeats runs (the machine is shared).
The target is 5 s for the 300-post sample. Then one lookup per post by its URL, as /api/related makes it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from server import built_index
from worst import DEFAULT_CORPUS

from mikke.search import RelatedPosts
from mikke.search import all_related
from mikke.search import open_store
from mikke.search import related_posts
from mikke.search import tag_key
from mikke.search import write_jekyll_data


def labels(tags: tuple[str, ...], categories: tuple[str, ...], *, kinds: str) -> set[str]:
    found = set()
    if "t" in kinds:
        found |= {"t:" + tag_key(t) for t in tags}
    if "c" in kinds:
        found |= {"c:" + tag_key(c) for c in categories}
    return found


def shares(lists: list[RelatedPosts], kinds: str, rng: random.Random) -> tuple[float, float]:
    """The share of related pairs with a label (of ``kinds``) in common, and of as many random pairs."""
    related = [(r.post, p) for r in lists for p in r.related]
    posts = [r.post for r in lists]
    baseline = [tuple(rng.sample(posts, 2)) for _ in range(max(len(related), 1) * 20)]

    def share(pairs: list[tuple[object, object]]) -> float:
        common = 0
        for a, b in pairs:
            la = labels(a.tags, a.categories, kinds=kinds)  # type: ignore[attr-defined]
            lb = labels(b.tags, b.categories, kinds=kinds)  # type: ignore[attr-defined]
            common += bool(la & lb)
        return common / len(pairs) if pairs else 0.0

    return share(related), share(baseline)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="A built index of CORPUS (default: build one now).")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = built_index(args.corpus, args.index, Path(tmp))
        data = Path(tmp) / "site" / "_data" / "mikke_related.json"
        times = []
        lists: list[RelatedPosts] = []
        for _ in range(args.repeats):
            store = open_store(index)  # a fresh process-level view each time: nothing cached between runs
            started = time.perf_counter()
            lists = all_related(store, limit=args.limit)
            write_jekyll_data(data, lists)
            times.append(time.perf_counter() - started)
        # One post's list, as GET /api/related answers it: every post once, on a store already warm.
        store = open_store(index)
        one: list[float] = []
        for r in lists:
            started = time.perf_counter()
            related_posts(store, r.post.url, limit=args.limit)
            one.append((time.perf_counter() - started) * 1000)
    pairs = sum(len(r.related) for r in lists)
    print(
        f"posts: {len(lists)}, related pairs: {pairs}, posts with no related post: "
        f"{sum(not r.related for r in lists)}"
    )
    print(
        f"all_related + Jekyll data file: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
        f"over {len(times)} runs (target 5 s)"
    )
    one.sort()
    p50, p99 = statistics.median(one), one[int(0.99 * (len(one) - 1))]
    print(f"one post's list (by URL): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    rng = random.Random(args.seed)
    for kinds, name in (("tc", "a tag or a category"), ("t", "a tag"), ("c", "a category")):
        related, baseline = shares(lists, kinds, rng)
        print(f"related pairs sharing {name}: {related:.1%} (random pairs of the blog: {baseline:.1%})")
    print()
    for r in rng.sample(lists, min(10, len(lists))):
        print(f"## {r.post.title}  [{', '.join(r.post.categories)} | {', '.join(r.post.tags)}]")
        for p in r.related:
            shown = f"[{', '.join(p.categories)} | {', '.join(p.tags)}]"
            print(f"   {p.score:.2f}  {p.date[:10]}  {p.title}  {shown}")
        print()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
