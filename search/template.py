"""Site template text: blocks (paragraphs, list items, headings) that recur across many posts of one site.

A blog's generator or theme repeats adverts, contact prompts and related-post lists in post after post.
They are not what a post is about: mikke indexes posts without them, so they neither match a query nor
become an excerpt. Pure functions; imports nothing of tantivy or Sudachi.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from mikke.search.markdown_text import block_key
from mikke.search.posts import Post


@dataclass(frozen=True, slots=True)
class TemplateRule:
    """How often a block must recur to be template: in ``min_posts`` posts and ``min_share`` of them."""

    min_posts: int = 5
    min_share: float = 0.02

    def key(self) -> str:
        """The rule as recorded with an index, to tell whether a later run applies another one."""
        return f"{self.min_posts}/{self.min_share!r}"

    def threshold(self, posts: int) -> int:
        """The number of posts of a site of ``posts`` posts a block must be in."""
        return max(self.min_posts, math.ceil(self.min_share * posts), 2)


def template_keys(counts: Counter[str], posts: int, rule: TemplateRule) -> frozenset[str]:
    """The keys that ``counts`` (in how many posts each block key is) makes template for ``posts``."""
    threshold = rule.threshold(posts)
    return frozenset(key for key, count in counts.items() if count >= threshold)


def count_blocks(posts: Iterable[Post]) -> Counter[str]:
    """In how many of ``posts`` each block is."""
    counts: Counter[str] = Counter()
    for post in posts:
        counts.update(post.block_keys)
    return counts


def fingerprint(keys: frozenset[str]) -> str:
    """A short name of a template set: a change means posts must be indexed anew."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def without_template(post: Post, keys: frozenset[str]) -> Post:
    """``post`` without its template blocks (text, headings, and its summary if that was one)."""
    if not keys:
        return post
    kept: list[str] = []
    removed = 0
    for line in post.text.split("\n"):
        if line.strip() and block_key(line) in keys:
            removed += len(line)
        else:
            kept.append(line)
    if not removed:
        return post
    headings = tuple(h for h in post.headings if block_key(h) not in keys)
    excerpt = post.excerpt
    if excerpt and block_key(excerpt) in keys:
        heading_keys = {block_key(h) for h in headings}
        excerpt = next((line for line in kept if line.strip() and block_key(line) not in heading_keys), "")
    return dataclasses.replace(
        post, text="\n".join(kept), headings=headings, excerpt=excerpt, template_chars=removed
    )
