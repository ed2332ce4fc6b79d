"""axe-core finds no serious or critical accessibility problem on mikke's pages and in the embed.

axe-core comes with the axe-playwright-python package (no download); Chromium is Debian's.
"""

from __future__ import annotations

from typing import Any
from typing import Literal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect

from .conftest import Blog

STATUS = "[data-mikke-status]"
SEVERE = ("serious", "critical")


def severe_violations(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("where", "query"),
    [
        ("mikke:/", ""),  # the empty page
        ("mikke:/", "検索"),  # results, tag filters, pages
        ("mikke:/", "存在しない言葉"),  # no results
        ("blog:/search.html", "検索"),  # the embed on a blog
    ],
)
def test_no_serious_or_critical_axe_violation(
    page: Page,
    blog: Blog,
    server_url: str,
    where: str,
    query: str,
    scheme: Literal["light", "dark"],
) -> None:
    site, path = where.split(":", 1)
    page.emulate_media(color_scheme=scheme)
    page.goto((blog.allowed if site == "blog" else server_url) + path)
    if query:
        page.locator(".mikke-input").fill(query)
        expect(page.locator(STATUS)).to_contain_text(query)
        expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    assert severe_violations(page) == []


def test_the_result_count_is_announced_once_per_settled_query(page: Page, server_url: str) -> None:
    page.goto(server_url + "/")
    status = page.locator(STATUS)
    assert status.get_attribute("role") == "status"  # a polite live region
    page.evaluate(
        """() => {
            window.announced = [];
            const status = document.querySelector("[data-mikke-status]");
            new MutationObserver(() => window.announced.push(status.textContent)).observe(
                status, { childList: true, characterData: true, subtree: true });
        }"""
    )
    box = page.get_by_label("キーワード")
    box.press_sequentially("図書館", delay=40)  # faster than the debounce: one query
    expect(status).to_contain_text("図書館")
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    page.wait_for_timeout(600)  # longer than the debounce: nothing else is announced
    announced = page.evaluate("window.announced")
    assert len(set(announced)) == 1 and "図書館" in announced[0], announced
    expect(box).to_be_focused()  # typing never moves the focus away from the box
