"""The costliest request shapes, timed against a blog-sized index and compared with everyday queries.

usage: python bench/worst.py [CORPUS] [--copies 8] [--index DIR] [--repeats 5]

CORPUS is a Jekyll site (default: ../shared/corpus/allforces-sample). It is copied COPIES times into a
temporary site, each copy with its own slugs and dates, and indexed; with --index DIR an index already
built there is reused (or built there if DIR holds none). Every request is what the API does: q cut and
per_page clamped as web/params.py does, then search() with excerpts and tag counts, then to_json. Prints one
row per shape: median and max ms over the repeats, the ratio of the median to the everyday p50, and
pass/fail of the median against the targets (at most RATIO_TARGET x the everyday p50 and MS_TARGET ms).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from pathlib import Path

import tantivy

from mikke.search import Settings
from mikke.search import Store
from mikke.search import build_index
from mikke.search import open_store
from mikke.search import schema as f
from mikke.search import search
from mikke.search.analysis import get_analyzer
from mikke.search.document import read_text

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "allforces-sample"
RATIO_TARGET = 4.0
MS_TARGET = 50.0
EVERYDAY = (
    "生成AI",
    "LLM 導入事例",
    "AIエージェント",
    "ChatGPT",
    "画像生成",
    "自動運転",
    "半導体",
    "OpenAI",
    "規制",
    "医療 AI",
    "ロボット",
    "Google",
)
_NAME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_KANJI_KANA_RE = re.compile(r"[\u4e00-\u9fff][\u3041-\u3093]+")
_DATE_LINE_RE = re.compile(r"^date:\s*(\d{4}-\d{2}-\d{2})", re.MULTILINE)


def write_site(corpus: Path, site: Path, copies: int) -> int:
    """Write ``copies`` copies of ``corpus``'s posts into ``site``; copy k is dated 53k weeks earlier."""
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_bytes((corpus / "_config.yml").read_bytes())
    written = 0
    for source in sorted((corpus / "_posts").iterdir()):
        match = _NAME_RE.match(source.name)
        if match is None:
            continue
        text = source.read_text("utf-8")
        day = date(int(match[1]), int(match[2]), int(match[3]))
        for k in range(copies):
            # Whole weeks keep the weekday; a year and a week apart keeps copies out of each other's days.
            shifted = day - timedelta(weeks=53 * k)
            body = _DATE_LINE_RE.sub(
                lambda m, delta=day - shifted: "date: " + (date.fromisoformat(m[1]) - delta).isoformat(),
                text,
                count=1,
            )
            name = f"{shifted.isoformat()}-{match[4].removesuffix('.md')}-c{k}.md"
            (site / "_posts" / name).write_text(body, "utf-8")
            written += 1
    return written


def body_paragraph(corpus: Path, chars: int) -> str:
    """The first ``chars`` characters of plain paragraphs of the corpus's longest post."""
    longest = max((corpus / "_posts").iterdir(), key=lambda p: p.stat().st_size)
    text = longest.read_text("utf-8").split("---", 2)[-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln[0] not in "#|-*!>`["]
    return "".join(lines)[:chars]


@dataclass(frozen=True)
class Vocabulary:
    common: list[str]  # content words, most frequent first (surface forms)
    rare: list[str]  # content words, least frequent first
    tags: list[str]
    line: str  # the longest line of an indexed post's text (a phrase that matches)
    day: date  # a day with posts ...
    absent_that_day: list[str]  # ... none of which has any of these kanji-stem words (kanji + kana)


def vocabulary(store: Store, corpus: Path) -> Vocabulary:
    """Words and tags of the indexed blog, ranked by how many posts use them."""
    analyzer = get_analyzer()
    searcher = store.searcher()
    seen: dict[str, str] = {}
    for source in sorted((corpus / "_posts").iterdir())[:40]:
        text = source.read_text("utf-8").split("---", 2)[-1]
        for unit in analyzer.analyze(text).units:
            term = unit.coarse
            surface = text[term.start : term.end]
            # A surface that analyses back to itself, so the query searches exactly this term.
            if not term.is_function_word and surface.lower() == term.text and len(surface) >= 2:
                seen.setdefault(term.text, surface)
    freq = {t: searcher.doc_freq(f.FIELD_BODY, t) for t in seen}
    ranked = sorted(seen, key=lambda t: (-freq[t], t))
    rare = [seen[t] for t in sorted(seen, key=lambda t: (freq[t], t)) if freq[t]]
    agg = searcher.aggregate(
        tantivy.Query.all_query(), {"tags": {"terms": {"field": f.FIELD_TAG, "size": 100}}}
    )
    tags = [str(b["key"]) for b in agg["tags"]["buckets"]]
    # A zero-hit query whose words share a one-kanji stem with many indexed words: the relaxed retry's
    # costliest case. The newest day is filtered on so that the exact words find nothing.
    day = date.fromisoformat(search(store, "", per_page=1, with_counts=False).hits[0].date[:10])
    stems = [seen[t] for t in ranked if _KANJI_KANA_RE.fullmatch(seen[t])]
    absent = [
        w
        for w in stems
        if not search(store, w, date_from=day, date_to=day, per_page=0, with_counts=False).total
    ]
    top = searcher.search(tantivy.Query.all_query(), 1).hits[0][1]
    text = read_text(store.text_searcher(), str(searcher.doc(top).get_first(f.FIELD_ID)))
    line = max(text.read().splitlines(), key=len) if text else ""
    return Vocabulary([seen[t] for t in ranked], rare, tags, line, day, absent)


def fill(words: list[str], chars: int, fmt: str = "{}") -> str:
    """Space-separated ``fmt``-wrapped words, cycling through ``words``, up to ``chars`` characters."""
    out: list[str] = []
    used = 0
    k = 0
    while words:
        piece = fmt.format(words[k % len(words)])
        if used + len(piece) + 1 > chars:
            break
        out.append(piece)
        used += len(piece) + 1
        k += 1
    return " ".join(out)


Request = dict[str, object]


def shapes(v: Vocabulary, paragraph: str) -> list[tuple[str, Request]]:
    common48 = " ".join(v.common[:48])
    two_char = [w for w in v.common if len(w) == 2][:60]
    kanji_nonsense = [
        chr(0x4E00 + (i * 7919) % 20000) + chr(0x4E00 + (i * 104729) % 20000) for i in range(300)
    ]
    return [
        ("paragraph 1000 chars, per_page=100", {"q": paragraph, "per_page": 100}),
        ("48 common words, per_page=100", {"q": common48, "per_page": 100}),
        ("48 common words, sort=date, per_page=100", {"q": common48, "per_page": 100, "sort": "date"}),
        ("200 common words (1000 chars), per_page=100", {"q": fill(v.common, 1000), "per_page": 100}),
        ("~200 two-char quoted phrases", {"q": fill(two_char, 1000, '"{}"'), "per_page": 10}),
        ("~200 two-char phrases, per_page=100", {"q": fill(two_char, 1000, '"{}"'), "per_page": 100}),
        ("48 words + phrase matching nothing", {"q": common48 + ' "ぬぬぬ存在しない"', "per_page": 10}),
        ("words absent everywhere (relaxed)", {"q": fill(kanji_nonsense, 1000), "per_page": 10}),
        ("many distinct rare words", {"q": fill(v.rare, 1000), "per_page": 100}),
        ("one word + many excluded words", {"q": "AI " + fill(v.rare, 990, "-{}"), "per_page": 100}),
        (f"quoted line ({len(v.line[:998])} chars)", {"q": '"' + v.line[:998] + '"', "per_page": 100}),
        (
            "48 kanji-stem words, one day (relaxed)",
            {"q": " ".join(v.absent_that_day[:48]), "from": v.day, "to": v.day, "per_page": 10},
        ),
        ("20 tag filters + common words", {"q": common48, "tag": v.tags[:20], "per_page": 100}),
        ("1 tag filter, empty query, per_page=100", {"tag": v.tags[:1], "per_page": 100}),
        ("empty query, per_page=100", {"per_page": 100}),
        ("deep page (page=1000, per_page=100)", {"q": common48, "page": 1000, "per_page": 100}),
        ("last page (page=23, per_page=100)", {"q": "AI", "page": 23, "per_page": 100}),
        ("common word, per_page=100", {"q": v.common[0], "per_page": 100}),
        ("repeated 生成AI x 250", {"q": "生成AI" * 250, "per_page": 100}),
        ("repeated あ x 1000", {"q": "あ" * 1000, "per_page": 100}),
        ("one 1000-char ASCII word", {"q": "a" * 1000, "per_page": 100}),
        ("500 single kanji", {"q": fill([chr(0x4E00 + i * 37) for i in range(500)], 1000), "per_page": 100}),
        ("symbols and emoji", {"q": "!?#$%&()*+<=>@[]^_{|}~🍣😀" * 40, "per_page": 100}),
        ("url-like text", {"q": "https://example.com/a/b?c=d&e=f " * 30, "per_page": 100}),
    ]


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--index", type=Path, help="Index folder to reuse or build (default: a temp one).")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mikke-worst-") as tmp:
        index_dir: Path = args.index or Path(tmp) / "index"
        if not (index_dir / "CURRENT").exists():
            site = Path(tmp) / "site"
            posts = write_site(args.corpus, site, args.copies)
            started = time.perf_counter()
            build_index(site, index_dir, full=True)
            print(f"indexed {posts} posts in {time.perf_counter() - started:.0f} s into {index_dir}")
        store = open_store(index_dir)
        settings = Settings.load(env={})

        def request(req: Request) -> Callable[[], str]:
            # What web/params.py makes of the request (q cut, per_page clamped), then the API's own call.
            q = str(req.get("q", ""))[: settings.max_query_chars]
            per_page = min(int(req.get("per_page", settings.per_page)), settings.max_per_page)
            tags = tuple(req.get("tag", ()))  # type: ignore[arg-type]

            def call() -> str:
                page = search(
                    store,
                    q,
                    tags=tags,
                    date_from=req.get("from"),  # type: ignore[arg-type]
                    date_to=req.get("to"),  # type: ignore[arg-type]
                    sort=str(req.get("sort", "relevance")),
                    page=int(req.get("page", 1)),
                    per_page=per_page,
                )
                return json.dumps(page.to_json(), ensure_ascii=False)

            return call

        request({"q": "ウォームアップ"})()  # loads the dictionary, as a server's first request does
        vocab = vocabulary(store, args.corpus)
        everyday = [request({"q": q}) for q in EVERYDAY]
        cases = [(name, request(req)) for name, req in shapes(vocab, body_paragraph(args.corpus, 1000))]
        found = {name: json.loads(call())["total"] for name, call in cases}  # also warms every shape
        for call in everyday:
            call()
        # Rounds interleave everyday queries and every shape, so that both see the same load on a shared
        # machine and the ratios stay meaningful when the absolute figures drift.
        everyday_ms: list[float] = []
        shape_ms: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.repeats):
            for call in everyday:
                everyday_ms.extend(timed(call, 1))
            for name, call in cases:
                shape_ms[name].extend(timed(call, 1))
        p50 = statistics.median(everyday_ms)
        print(
            f"posts {store.searcher().num_docs}; everyday queries (per_page=10): p50 {p50:.1f} ms, "
            f"max {max(everyday_ms):.1f} ms; targets: <= {RATIO_TARGET:g}x p50 and <= {MS_TARGET:g} ms"
        )
        print(f"{'shape':46} {'median':>7} {'max':>7} {'ratio':>6} {'total':>6}  result")
        failed = 0
        for name, times in shape_ms.items():
            median = statistics.median(times)
            ok = median <= RATIO_TARGET * p50 and median <= MS_TARGET
            failed += not ok
            print(
                f"{name:46} {median:7.1f} {max(times):7.1f} {median / p50:5.1f}x {found[name]:6}  "
                + ("pass" if ok else "FAIL")
            )
        print(f"{failed} shape(s) over target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
