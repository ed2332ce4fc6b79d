"""Where the first paint of a results page goes, beside an error page's: Chromium traces, split by phase.

bench/web.py says how much later a results page is drawn than an error page; this says in which phase
(the server, parsing, the main thread's style, layout and paint, raster, the compositor), from a
Chromium trace of each load in a fresh browser context (what a new tab costs), loads alternated.

    .venv/bin/python bench/paint.py --index /tmp/allforces-index --rounds 6
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from chromium import CHROMIUM
from chromium import launch_chromium
from playwright.sync_api import Browser
from playwright.sync_api import sync_playwright
from server import mikke_server
from server import warm_up

from web import QUERIES
from web import SETTLE_SECONDS
from web import TIMES_JS
from web import VIEWPORT

# blink.user_timing holds navigationStart; the disabled-by-default one, the main thread's phases.
CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink",
    "blink.user_timing",
    "loading",
    "cc",
    "viz",
    "v8",
]
# (label, trace events summed on the renderer's main thread until the first paint)
MAIN_THREAD = [
    ("parse HTML", ("ParseHTML",)),
    ("script", ("EvaluateScript", "v8.callFunction")),
    ("style", ("UpdateLayoutTree",)),
    ("layout", ("Layout",)),
    ("paint (pre-paint, paint)", ("PrePaint", "Paint")),
]


def phases(trace: Path) -> dict[str, float]:
    """The phases of the last navigation in ``trace`` until its first contentful paint, in ms."""
    data = json.loads(trace.read_text())
    events: list[dict[str, Any]] = data["traceEvents"] if isinstance(data, dict) else data
    # The page's main thread is where its first contentful paint is recorded (others are blank tabs).
    paint_event = max((e for e in events if e.get("name") == "firstContentfulPaint"), key=lambda e: e["ts"])
    main = (paint_event["pid"], paint_event["tid"])
    paint = paint_event["ts"]
    start = max(
        e["ts"]
        for e in events
        if e.get("name") == "navigationStart" and (e["pid"], e["tid"]) == main and e["ts"] <= paint
    )
    spans = [e for e in events if e.get("ph") == "X" and start <= e["ts"] <= paint]
    out: dict[str, float] = {}
    for label, names in MAIN_THREAD:
        out[label] = (
            sum(e["dur"] for e in spans if e["name"] in names and (e["pid"], e["tid"]) == main) / 1000
        )
    raster = [e for e in spans if e["name"] == "RasterTask" and e["pid"] == main[0]]
    out["raster, wall"] = sum(e["dur"] for e in raster) / 1000
    out["raster, CPU"] = sum(e.get("tdur", 0) for e in raster) / 1000
    out["compositor draw"] = sum(e["dur"] for e in spans if e["name"] == "Display::DrawAndSwap") / 1000
    out["first paint"] = (paint - start) / 1000
    return out


def traced_visit(browser: Browser, url: str, trace: Path) -> dict[str, float]:
    """Load ``url`` in a fresh context while tracing; return its phases and time to first byte."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    try:
        page = context.new_page()
        browser.start_tracing(page=page, path=str(trace), categories=CATEGORIES)
        page.goto(url, wait_until="load")
        times = page.evaluate(TIMES_JS)
        browser.stop_tracing()
    finally:
        context.close()
        time.sleep(SETTLE_SECONDS)
    return {"first byte": float(times["ttfb"]), **phases(trace)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/allforces-index", help="Index folder to serve.")
    parser.add_argument("--rounds", type=int, default=6, help="Loads of each page (alternated).")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("bench/paint.py needs Debian's chromium: apt-get install chromium")
    loads: dict[str, list[dict[str, float]]] = {"error page": [], "results": []}
    with (
        mikke_server(args.index, workers=2, env={"MIKKE_THREADS": "4"}) as url,
        tempfile.TemporaryDirectory() as tmp,
        sync_playwright() as p,
    ):
        warm_up(url, 2, 4)
        browser = launch_chromium(p)
        for i in range(args.rounds):
            query = urllib.parse.urlencode({"q": QUERIES[i % len(QUERIES)]})
            pages = [("results", f"{url}/?{query}"), ("error page", f"{url}/no-such-page")]
            for kind, page_url in pages if i % 2 == 0 else pages[::-1]:
                loads[kind].append(traced_visit(browser, page_url, Path(tmp) / "trace.json"))
        browser.close()
    fresh = "every query is new to the server" if args.rounds <= len(QUERIES) else "queries repeat"
    print(
        f"Medians of {args.rounds} loads of each in a fresh browser context, ms; {fresh}.\n"
        "Main-thread phases and raster are summed from navigation to the first contentful paint."
    )
    print(f"{'':28}{'error page':>12}{'results':>12}{'added':>10}")
    for key in loads["results"][0]:
        error = statistics.median(load[key] for load in loads["error page"])
        results = statistics.median(load[key] for load in loads["results"])
        print(f"{key:28}{error:>12.1f}{results:>12.1f}{results - error:>+10.1f}")


if __name__ == "__main__":
    main()
