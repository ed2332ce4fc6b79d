"""axe-core finds no serious or critical accessibility problem on mikke's pages and in the embed, and
keyboard focus and the announced result count follow the results as they change.

axe-core comes with the axe-playwright-python package (no download); Chromium is Debian's.
"""

from __future__ import annotations

from typing import Any
from typing import Literal
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect

from .conftest import Blog
from .test_web_browser import contrast

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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_axe_violation_with_a_suggestion_marked_from_the_keyboard(
    page: Page, server_url: str, scheme: Literal["light", "dark"]
) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(server_url + "/")
    box = page.get_by_role("combobox", name="キーワード")
    box.press_sequentially("けんさ")
    expect(page.locator(STATUS)).to_contain_text("けんさ")  # its results drawn too, not dimmed any more
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    option = page.get_by_role("listbox", name="候補").get_by_role("option").first
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
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


@pytest.mark.parametrize(
    ("where", "start", "link"),
    [
        ("mikke:/", "?q=検索", ".mikke-hit .mikke-tag"),  # a hit's #tag
        ("mikke:/", "?q=検索", ".mikke-sort a"),  # the other order
        ("mikke:/", "?q=検索", ".mikke-next"),  # the next page
        ("mikke:/", "?q=検索", ".mikke-facet a"),  # a tag to narrow to
        ("mikke:/", "?q=検索&tag=python", ".mikke-chip"),  # a filter to take off
        ("blog:/search.html", "?q=検索", ".mikke-hit .mikke-tag"),  # the embed
    ],
)
def test_focus_moves_to_the_new_results_after_a_link_in_the_results_is_activated_from_the_keyboard(
    page: Page, blog: Blog, server_url: str, where: str, start: str, link: str
) -> None:
    site, path = where.split(":", 1)
    page.goto((blog.allowed if site == "blog" else server_url) + path + start)
    status = page.locator(STATUS)
    expect(status).to_contain_text("検索")
    before = page.url
    page.locator(link).first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url != before)
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    expect(status).to_be_focused()  # not the page's body: the reader goes on from the new results
    assert status.evaluate("s => s.matches(':focus-visible')")  # and sees where the focus is
    # The focus reads the new count out; the live region stays quiet for it so it is heard once.
    expect(status).to_have_accessible_name(status.inner_text())
    expect(status).to_have_attribute("aria-live", "off")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('[data-mikke-results]').contains(document.activeElement)")
    assert severe_violations(page) == []


def test_typing_and_going_back_from_the_box_keep_focus_in_it_and_the_count_live_after_a_focus_move(
    page: Page, server_url: str
) -> None:
    page.goto(server_url + "/?q=検索")
    status = page.locator(STATUS)
    page.locator(".mikke-next").focus()
    page.keyboard.press("Enter")
    expect(status).to_be_focused()
    box = page.get_by_label("キーワード")
    box.focus()
    box.press_sequentially("図書館", delay=40)
    expect(status).to_contain_text("図書館")
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    expect(box).to_be_focused()
    expect(status).not_to_have_attribute("aria-live", "off")  # role=status announces the count again
    expect(status).to_have_accessible_name("")  # and is read as text, not as a name too
    page.go_back()  # back with focus in the box, not in the results: it stays in the box
    expect(status).to_contain_text("4〜6件目")
    expect(box).to_be_focused()


def test_going_back_with_focus_in_the_results_moves_it_to_the_new_results(
    page: Page, server_url: str
) -> None:
    page.goto(server_url + "/?q=検索")
    status = page.locator(STATUS)
    page.locator(".mikke-next").click()
    expect(status).to_contain_text("4〜6件目")
    page.locator(".mikke-hit-title a").first.focus()
    page.go_back()
    expect(status).to_contain_text("1〜3件目")
    expect(status).to_be_focused()


# One unbroken run each: a word, an address and a tag, longer than a phone is wide (the query is cut to
# MAX_QUERY_CHARS, still far wider than 320 px).
UNBROKEN = "Supercalifragilisticexpialidocious" * 3
UNBROKEN_URL = "https://example.com/" + "averyveryverylongpathsegment" * 3


@pytest.mark.parametrize(
    "query",
    [
        {"q": UNBROKEN},  # in the status line, the no-results advice and the title
        {"q": UNBROKEN_URL},
        {"q": "検索 " + UNBROKEN},  # results, and links that search with fewer words
        {"q": "検索", "tag": UNBROKEN},  # a filter chip and the advice to remove it
    ],
)
def test_a_320px_wide_page_never_scrolls_sideways_for_a_long_unbroken_word(
    page: Page, server_url: str, query: dict[str, str]
) -> None:
    # 320 CSS pixels: a small phone, or a 1280 px window zoomed to 400 % (WCAG 1.4.10 Reflow).
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(server_url + "/?" + urlencode(query))
    expect(page.locator(STATUS)).not_to_be_empty()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], "the page scrolls sideways"


RING_JS = """element => {
  const opaque = c => !/^rgba\\(.*, 0\\)$/.test(c) && c !== "transparent";
  let under = element.parentElement;
  while (under && !opaque(getComputedStyle(under).backgroundColor)) under = under.parentElement;
  const style = getComputedStyle(element);
  return [style.outlineStyle, style.outlineColor, getComputedStyle(under).backgroundColor];
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_of_the_box_the_button_and_the_status_stands_out_3_to_1(
    page: Page, server_url: str, scheme: Literal["light", "dark"]
) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(server_url + "/?q=検索")
    box = page.get_by_label("キーワード")
    box.focus()
    rings = {"box": box.evaluate(RING_JS)}
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="検索")
    expect(button).to_be_focused()
    rings["button"] = button.evaluate(RING_JS)
    page.locator(".mikke-next").focus()
    page.keyboard.press("Enter")
    status = page.locator(STATUS)
    expect(status).to_be_focused()  # where focus goes after a link in the results (see above)
    rings["status"] = status.evaluate(RING_JS)
    # WCAG 1.4.11: the ring against the background it is drawn on.
    weak = {
        name: round(contrast(colour, background), 2)
        for name, (style, colour, background) in rings.items()
        if style == "none" or contrast(colour, background) < 3
    }
    assert weak == {}
