"""Web benchmark: cold searches in Chromium (bytes, time to first results) and the API under local load.

Starts `mikke serve` on a free loopback port for the given index; every request stays on 127.0.0.1.

    .venv/bin/python -m mikke index /work/shared/corpus/allforces-sample --index /tmp/allforces-index
    .venv/bin/python bench/web.py --index /tmp/allforces-index --screenshot docs/screenshot-search.png
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from chromium import CHROMIUM
from chromium import launch_chromium
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import sync_playwright
from server import load
from server import mikke_server
from server import percentile
from server import warm_up

VIEWPORT = {"width": 1280, "height": 900}
QUERIES = [
    "生成AI",
    "ChatGPT 活用",
    "画像生成",
    "セキュリティ対策",
    "LLM 導入事例",
    "Microsoft",
    "自動運転",
    "医療 AI",
    "著作権",
    "AIエージェント",
]
# A pause before each load, so the browser is idle as a reader's is (not still tearing down a tab).
SETTLE_SECONDS = 0.5
TARGET_BYTES = 30 * 1024
TARGET_FIRST_RESULTS_MS = 100.0
TARGET_P50_MS = 10.0
# Resolves with the render time of the first hit's title (elementtiming="mikke-first-hit").
FIRST_HIT_JS = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const hit = list.getEntries().find(e => e.identifier === "mikke-first-hit");
    if (hit) resolve(hit.renderTime || hit.loadTime);
  }).observe({type: "element", buffered: true});
  setTimeout(() => resolve(null), 5000);
})"""
TIMES_JS = """() => new Promise(resolve => {
  const nav = performance.getEntriesByType("navigation")[0];
  new PerformanceObserver(list => {
    const fcp = list.getEntries().find(e => e.name === "first-contentful-paint");
    if (fcp) resolve({ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, fcp: fcp.startTime});
  }).observe({type: "paint", buffered: true});
  setTimeout(() => resolve({ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, fcp: NaN}), 5000);
})"""


def japanese_font() -> str | None:
    """The face fontconfig gives Japanese sans-serif text (what Chromium on Linux draws it with), if any."""
    try:
        found = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=True)
        pattern = ["-f", "%{family[0]}", "sans-serif:lang=ja"]
        match = subprocess.run(["fc-match", *pattern], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return match.stdout.strip() if found.stdout.strip() else None


def measure(page: Page, url: str, screenshot: Path | None = None) -> dict[str, float]:
    """Load ``url`` in ``page`` and return bytes on the wire, timings (ms from navigation start), hits."""
    sizes: list[int] = []

    def finished(request: Request) -> None:
        s = request.sizes()
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(url, wait_until="load")
    times = page.evaluate(TIMES_JS)
    first_hit = page.evaluate(FIRST_HIT_JS)
    hits = page.locator(".mikke-hit").count()
    page.remove_listener("requestfinished", finished)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
    return {
        "bytes": float(sum(sizes)),
        "requests": float(len(sizes)),
        "ttfb_ms": float(times["ttfb"]),
        "fcp_ms": float(times["fcp"]),
        "first_results_ms": float(first_hit) if first_hit is not None else float("nan"),
        "hits": float(hits),
    }


def new_tab_visit(browser: Browser, url: str, screenshot: Path | None = None) -> dict[str, float]:
    """Open ``url`` in a fresh context: empty HTTP cache and a new renderer process."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    try:
        return measure(context.new_page(), url, screenshot)
    finally:
        context.close()
        time.sleep(SETTLE_SECONDS)


def wide(text: str) -> int:
    """Count the double-width characters of ``text``, to keep the table aligned."""
    return sum(1 for ch in text if ord(ch) > 0x2E80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/allforces-index", help="Index folder to serve.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per worker.")
    parser.add_argument("--requests", type=int, default=2000, help="API requests in the load test.")
    parser.add_argument("--concurrency", type=int, default=4, help="Concurrent API clients (bounded).")
    parser.add_argument("--screenshot", type=Path, help="Save the first query's results page here.")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("bench/web.py needs Debian's chromium: apt-get install chromium")
    font = japanese_font()
    if font is None:
        # Without one, Chromium searches every font for each kanji and draws boxes: neither the time nor
        # the screenshot would be what a reader of a Japanese blog sees.
        raise SystemExit(
            "bench/web.py needs a Japanese font, as readers have: apt-get install fonts-noto-cjk"
        )

    with mikke_server(args.index, workers=args.workers, env={"MIKKE_THREADS": str(args.threads)}) as url:
        warm_up(url, args.workers, args.threads)
        print(f"mikke serve on {url} (index {args.index}, {args.workers} workers x {args.threads} threads)")
        print(f"Japanese text drawn with {font}")
        with sync_playwright() as p:
            browser = launch_chromium(p)
            print(
                f"\nCold searches in Chromium, gzip on. Targets: <= {TARGET_BYTES // 1024} KB and "
                f"<= {TARGET_FIRST_RESULTS_MS:.0f} ms until the first results are drawn.\n"
                "  new tab: fresh browser context (empty cache, new renderer process)\n"
                "  open tab: one running tab with the HTTP cache disabled (every byte fetched again)\n"
                "  times are ms from navigation start; drawn = render time of the first hit's title"
            )
            print(
                f"{'query':<16}{'hits':>5}{'reqs':>5}{'KB':>7}{'TTFB':>7}"
                f"{'drawn, new tab':>16}{'open tab':>10}"
            )
            tab = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
            tab_page = tab.new_page()
            devtools = tab.new_cdp_session(tab_page)
            devtools.send("Network.enable")
            devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
            tab_page.goto(url + "/")
            urls = [url + "/?" + urllib.parse.urlencode({"q": query}) for query in QUERIES]
            # The open-tab loads run first and on their own: a new tab's renderer starting and exiting
            # beside them would put that cost into their figures.
            warm_rows = []
            for page_url in urls:
                devtools.send("Network.clearBrowserCache")
                time.sleep(SETTLE_SECONDS)
                warm_rows.append(measure(tab_page, page_url))
            # An error page with the same CSS and JS: the least any page costs this browser on this
            # machine, which is shared and noisy; the difference is what mikke's results page adds.
            open_floors = []
            for _ in range(5):
                devtools.send("Network.clearBrowserCache")
                time.sleep(SETTLE_SECONDS)
                open_floors.append(measure(tab_page, url + "/no-such-page"))
            rows = []
            for i, (query, page_url, warm) in enumerate(zip(QUERIES, urls, warm_rows, strict=True)):
                fresh = new_tab_visit(browser, page_url, args.screenshot if i == 0 else None)
                rows.append((fresh, warm))
                print(
                    f"{query:<{16 - wide(query)}}{fresh['hits']:>5.0f}{fresh['requests']:>5.0f}"
                    f"{fresh['bytes'] / 1024:>7.1f}{fresh['ttfb_ms']:>7.1f}"
                    f"{fresh['first_results_ms']:>16.1f}{warm['first_results_ms']:>10.1f}"
                )
            floors = [new_tab_visit(browser, url + "/no-such-page") for _ in range(5)]
            tab.close()
            browser.close()
        worst_kb = max(max(f["bytes"], w["bytes"]) for f, w in rows) / 1024
        new_tab = [f["first_results_ms"] for f, _ in rows]
        open_tab = [w["first_results_ms"] for _, w in rows]
        open_floor = statistics.median(f["fcp_ms"] for f in open_floors)
        new_floor = statistics.median(f["fcp_ms"] for f in floors)
        open_drawn, new_drawn = statistics.median(open_tab), statistics.median(new_tab)
        # The part of what results add that is spent before their first byte arrives (the search and the
        # rendering on the server, which an error page does not do); the rest is the browser's.
        open_server = statistics.median(w["ttfb_ms"] for _, w in rows) - statistics.median(
            f["ttfb_ms"] for f in open_floors
        )
        new_server = statistics.median(f["ttfb_ms"] for f, _ in rows) - statistics.median(
            f["ttfb_ms"] for f in floors
        )
        print(
            f"bytes: max {worst_kb:.1f} KB ({'ok' if worst_kb * 1024 <= TARGET_BYTES else 'OVER'})\n"
            f"drawn, open tab: median {statistics.median(open_tab):.0f} ms, max {max(open_tab):.0f} ms "
            f"({'ok' if statistics.median(open_tab) <= TARGET_FIRST_RESULTS_MS else 'OVER'} at the median); "
            f"an error page paints at {open_floor:.0f} ms, so results add "
            f"{open_drawn - open_floor:.0f} ms ({open_drawn / open_floor:.2f}x), "
            f"{open_server:.0f} ms of it before the first byte\n"
            f"drawn, new tab: median {statistics.median(new_tab):.0f} ms, max {max(new_tab):.0f} ms; "
            f"an error page paints at {new_floor:.0f} ms, so results add "
            f"{new_drawn - new_floor:.0f} ms ({new_drawn / new_floor:.2f}x), "
            f"{new_server:.0f} ms of it before the first byte"
        )

        sequential, _ = load(url, QUERIES, 200, 1)
        print(
            f"\n/api/search one at a time (200 requests, with excerpts and tag counts): "
            f"p50 {percentile(sequential, 50):.2f} ms, p99 {percentile(sequential, 99):.2f} ms "
            f"(target p50 ≤ {TARGET_P50_MS:.0f} ms: "
            f"{'ok' if percentile(sequential, 50) <= TARGET_P50_MS else 'OVER'})"
        )
        # What search.js asks for as the reader types: the same search, rendered by the page's template.
        rendered, _ = load(url, QUERIES, 200, 1, endpoint="/api/results")
        print(
            f"/api/results one at a time (200 requests, the rendered results region search.js shows): "
            f"p50 {percentile(rendered, 50):.2f} ms, p99 {percentile(rendered, 99):.2f} ms"
        )
        latencies, rps = load(url, QUERIES, args.requests, args.concurrency)
        print(
            f"/api/search under load ({args.requests} requests, {args.concurrency} concurrent clients, "
            f"loopback): p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms, "
            f"mean {statistics.fmean(latencies):.2f} ms, {rps:.0f} requests/s"
        )
        if args.screenshot:
            print(f"\nscreenshot of 「{QUERIES[0]}」: {args.screenshot}")


if __name__ == "__main__":
    main()
