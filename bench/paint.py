"""Where the first paint of a results page goes, beside an error page's: Chromium traces, split by phase.

bench/web.py says how much later a results page is drawn than an error page; this says in which phase
(the server, parsing, the main thread's style, layout and paint, raster, the compositor), from a
Chromium trace of each load in a fresh browser context (what a new tab costs), loads alternated.

    .venv/bin/python bench/paint.py --index /tmp/allforces-index --rounds 6
"""

from __future__ import annotations

import argparse
import json
import math
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
    ("pre-paint and paint", ("PrePaint", "Paint")),
]


def phases(trace: Path) -> dict[str, tuple[float, float]]:
    """The phases of the last navigation in ``trace`` until its first contentful paint: (wall, CPU) ms.

    CPU is the thread's own time (NaN where a phase has none): on a shared machine it holds from run to
    run where wall time, which includes waiting for a core, does not.
    """
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

    def total(chosen: list[dict[str, Any]]) -> tuple[float, float]:
        return sum(e["dur"] for e in chosen) / 1000, sum(e.get("tdur", 0) for e in chosen) / 1000

    out: dict[str, tuple[float, float]] = {}
    for label, names in MAIN_THREAD:
        out[label] = total([e for e in spans if e["name"] in names and (e["pid"], e["tid"]) == main])
    out["raster"] = total([e for e in spans if e["name"] == "RasterTask" and e["pid"] == main[0]])
    out["compositor draw"] = total([e for e in spans if e["name"] == "Display::DrawAndSwap"])
    out["first paint"] = ((paint - start) / 1000, math.nan)
    return out


def traced_visit(browser: Browser, url: str, trace: Path) -> dict[str, tuple[float, float]]:
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
    return {"first byte": (float(times["ttfb"]), math.nan), **phases(trace)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/allforces-index", help="Index folder to serve.")
    parser.add_argument("--rounds", type=int, default=6, help="Loads of each page (alternated).")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("bench/paint.py needs Debian's chromium: apt-get install chromium")
    loads: dict[str, list[dict[str, tuple[float, float]]]] = {"error page": [], "results": []}
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
        "Phases are summed from navigation to the first contentful paint; CPU is the threads' own time."
    )
    columns = f"{'results':>10}{'added':>9}"
    print(f"{'':20}{'wall: error page':>18}{columns}{'CPU: error page':>18}{columns}")
    for key in loads["results"][0]:
        error = [statistics.median(load[key][i] for load in loads["error page"]) for i in (0, 1)]
        results = [statistics.median(load[key][i] for load in loads["results"]) for i in (0, 1)]
        added = [r - e for r, e in zip(results, error, strict=True)]
        cpu = "" if math.isnan(error[1]) else f"{error[1]:>18.1f}{results[1]:>10.1f}{added[1]:>+9.1f}"
        print(f"{key:20}{error[0]:>18.1f}{results[0]:>10.1f}{added[0]:>+9.1f}{cpu}")


if __name__ == "__main__":
    main()
