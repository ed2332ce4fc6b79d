"""A worker's own work over a site, in one process: parse, take out the template, analyse and pickle every
post, as a full build's workers do, without processes, tantivy or the parent.

usage: python bench/worker.py SITE time [--rounds 5]    CPU seconds of each pass (parse, analyse, pickle)
       python bench/worker.py SITE save FILE             every post's Post and AnalyzedPost, pickled
       python bench/worker.py SITE check FILE            compare with a saved FILE: any post that differs
       python bench/worker.py SITE profile [--top 40]    cProfile of one pass over the analysis

``save`` and ``check`` hold a change to the workers' code to the same parse and analysis of every post
(run ``save`` with the code before the change); ``time`` prints CPU seconds, best of the rounds: run it
alternated with the code before the change, the machine's load moves single figures by ±10 %.
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import sys
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from mikke.search.analysis import get_analyzer
from mikke.search.document import AnalyzedPost
from mikke.search.indexer import analyze_post
from mikke.search.posts import Post
from mikke.search.site import find_post_files
from mikke.search.site import parse_site_file
from mikke.search.site import read_site_config
from mikke.search.site import read_site_file
from mikke.search.template import TemplateRule
from mikke.search.template import count_blocks
from mikke.search.template import template_keys
from mikke.search.template import without_template


def read_files(site: str) -> tuple[Any, list[tuple[str, bytes]]]:
    config = read_site_config(site)
    ids, _ = find_post_files(config)
    return config, [(i, read_site_file(config.root, i)) for i in ids]


def parse_all(config: Any, files: Sequence[tuple[str, bytes]]) -> list[Post]:
    return [p for p in (parse_site_file(config, False, item) for item in files) if isinstance(p, Post)]


def published(posts: list[Post]) -> list[Post]:
    template = template_keys(count_blocks(posts), len(posts), TemplateRule())
    return [without_template(p, template) for p in posts]


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def time_round(config: Any, files: Sequence[tuple[str, bytes]]) -> tuple[float, float, float]:
    """CPU seconds of one pass: parse (and pickle the posts), analyse, pickle the analyses."""
    analyzer = get_analyzer()
    analyzer._words.clear()  # each round starts as a new worker does
    analyzer._split_words.clear()
    parse_s, parsed = cpu(lambda: pickle.dumps(parse_all(config, files)))
    posts = published(pickle.loads(parsed))
    analyse_s, analysed = cpu(lambda: [analyze_post(p) for p in posts])
    pickle_s, _ = cpu(lambda: [pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL) for a in analysed])
    print(f"parse {parse_s:.2f} s  analyse {analyse_s:.2f} s  pickle {pickle_s:.2f} s", flush=True)
    return parse_s, analyse_s, pickle_s


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("mode", choices=["time", "save", "check", "profile"])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    config, files = read_files(args.site)
    get_analyzer()
    if args.mode == "time":
        rows = [time_round(config, files) for _ in range(args.rounds)]
        best = min(rows, key=sum)
        print(f"best: {sum(best):.2f} s (parse {best[0]:.2f}, analyse {best[1]:.2f}, pickle {best[2]:.2f})")
        return
    posts = published(parse_all(config, files))
    if args.mode == "profile":
        profile = cProfile.Profile()
        profile.enable()
        for p in posts:
            pickle.dumps(analyze_post(p))
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
        return
    pairs = [(p, analyze_post(p)) for p in posts]
    if args.mode == "save":
        with open(args.file, "wb") as out:
            pickle.dump([(p, a, pickle.dumps(a)) for p, a in pairs], out)
        print(f"saved {len(pairs)} posts")
        return
    with open(args.file, "rb") as saved_file:
        saved: list[tuple[Post, AnalyzedPost, bytes]] = pickle.load(saved_file)
    differ = 0
    if len(saved) != len(pairs):
        print(f"{len(saved)} posts saved, {len(pairs)} now")
        differ += 1
    same_bytes = 0
    for (post, analysed), (old_post, old_analysed, old_bytes) in zip(pairs, saved, strict=False):
        if post != old_post or analysed != old_analysed:
            differ += 1
            print(f"differs: {post.id} (post {post == old_post}, analysis {analysed == old_analysed})")
        same_bytes += pickle.dumps(analysed) == old_bytes
    print(f"{len(pairs)} posts, {differ} differ; {same_bytes} pickle to the same bytes")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
