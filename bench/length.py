"""What one hit costs as posts grow: the same query, its hits on posts of 1,000 to 160,000 characters.

usage: python bench/length.py [CORPUS] [--repeats 30]

Builds a small site whose posts are made of CORPUS's sentences (default ../shared/corpus/allforces-sample),
each post a different draw, so that no block repeats (repeated blocks are dropped from the text), in four
lengths, five posts each. For each length it runs the everyday queries of bench/worst.py restricted to the
posts of that length (a category per length) with excerpts, and prints the time per hit, and its ratio to
the shortest posts' (process CPU time: the machine is shared). The target: a hit costs the same whatever
the post's length, so the ratio stays flat once a word's stored occurrences reach their cap.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from worst import DEFAULT_CORPUS
from worst import EVERYDAY

from mikke.search import build_index
from mikke.search import open_store
from mikke.search import search

LENGTHS = (1_000, 10_000, 40_000, 160_000)
POSTS_PER_LENGTH = 5
_SENTENCE_RE = re.compile(r"[^。\n]{8,}。")
CONFIG = "title: length bench\nurl: https://example.com\npermalink: /:year/:month/:day/:title/\n"


def sentences(corpus: Path) -> list[str]:
    found: set[str] = set()
    for source in sorted((corpus / "_posts").iterdir()):
        body = source.read_text("utf-8").split("---", 2)[-1]
        found.update(m.group(0) for m in _SENTENCE_RE.finditer(body) if "{" not in m.group(0))
    return sorted(found)


def write_site(site: Path, pool: list[str]) -> None:
    rng = random.Random(7)
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text(CONFIG, "utf-8")
    for length in LENGTHS:
        for k in range(POSTS_PER_LENGTH):
            paragraphs: list[str] = []
            size = 0
            while size < length:
                # Each paragraph three sentences in a fresh order and a number of its own: never a repeat.
                paragraph = f"{len(paragraphs)}. " + "".join(rng.sample(pool, 3))
                paragraphs.append(paragraph)
                size += len(paragraph)
            day = f"2024-05-0{k + 1}"
            head = f"---\ntitle: 記事{length}-{k}\ndate: {day} 10:00:00 +0900\ncategories: [c{length}]\n---\n"
            name = f"2024-05-0{k + 1}-p{length}-{k}.md"
            (site / "_posts" / name).write_text(head + "\n\n".join(paragraphs) + "\n", "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    if not (args.corpus / "_posts").is_dir():
        print(f"no _posts in {args.corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site, index = Path(tmp) / "site", Path(tmp) / "index"
        write_site(site, sentences(args.corpus))
        build_index(site, index)
        store = open_store(index)
        print(f"{'post length':>12} {'hits/query':>10} {'ms per hit':>10} {'ratio':>6}")
        base = None
        for length in LENGTHS:
            pages = [search(store, q, categories=[f"c{length}"], with_counts=False) for q in EVERYDAY]
            hits = sum(len(p.hits) for p in pages) / len(pages)
            per_query: list[float] = []
            for _ in range(args.repeats):
                for q in EVERYDAY:
                    start = time.process_time()
                    search(store, q, categories=[f"c{length}"], with_counts=False)
                    per_query.append(time.process_time() - start)
            # The query itself costs the same for every length (five posts match): what grows is the hits.
            per_hit = statistics.mean(per_query) * 1000 / max(hits, 1)
            base = base or per_hit
            print(f"{length:>12,} {hits:>10.1f} {per_hit:>10.3f} {per_hit / base:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
