"""The README's screenshot of hits with a section link and a picture: examples/site as a reader sees it.

usage: python bench/screenshot.py [--out docs/screenshot-sections.png] [--query 見出し]

Builds examples/site with Debian's jekyll, serves the built site on a loopback port (its pictures), indexes
the site with links to that port (MIKKE_SITE_URL), starts `mikke serve` and saves Chromium's view of the
results page. Needs jekyll and a Japanese font (apt-get install jekyll jekyll-theme-minima fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

from chromium import launch_chromium
from playwright.sync_api import sync_playwright
from server import free_port
from server import mikke_server

from mikke.search import build_index
from mikke.search.site import read_site_config

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "site"


class BuiltSite(http.server.SimpleHTTPRequestHandler):
    """Serves Jekyll's output under the site's baseurl, as `jekyll serve` does."""

    baseurl = ""

    def translate_path(self, path: str) -> str:
        path = urllib.parse.urlsplit(path).path
        return super().translate_path(path.removeprefix(self.baseurl) or "/")

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot-sections.png"))
    parser.add_argument("--query", default="見出し")
    args = parser.parse_args()
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        print("needs Debian's jekyll: apt-get install jekyll jekyll-theme-minima", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "_site"
        subprocess.run(
            [jekyll, "build", "--disable-disk-cache", "-s", str(EXAMPLE), "-d", str(built)],
            check=True,
            capture_output=True,
        )
        handler = type("Handler", (BuiltSite,), {"baseurl": read_site_config(EXAMPLE).baseurl})
        port = free_port()
        site = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), functools.partial(handler, directory=str(built))
        )
        threading.Thread(target=site.serve_forever, daemon=True).start()
        site_url = f"http://127.0.0.1:{port}"
        index = Path(tmp) / "index"
        build_index(EXAMPLE, index, site_url=site_url)
        try:
            with mikke_server(index, env={"MIKKE_SITE_URL": site_url}) as url, sync_playwright() as p:
                browser = launch_chromium(p)
                page = browser.new_page(viewport={"width": 1100, "height": 760}, locale="ja-JP")
                page.goto(url + "/?" + urllib.parse.urlencode({"q": args.query}))
                page.wait_for_load_state("networkidle")  # the pictures
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            site.shutdown()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
