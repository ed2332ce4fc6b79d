"""The search page and the blog embed in Chromium: live results, IME, history, escaping, no JavaScript."""

from __future__ import annotations

import contextlib
import re
from typing import Literal
from urllib.parse import parse_qs
from urllib.parse import quote_plus
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import Route
from playwright.sync_api import expect

from .conftest import Blog
from .conftest import ConsoleLog

STATUS = "[data-mikke-status]"
FIRST_PAGE = "「検索」の検索結果: 6件（1〜3件目）"
SECOND_PAGE = "「検索」の検索結果: 6件（4〜6件目）"


def wait_for_args(page: Page, expected: dict[str, list[str]]) -> None:
    """Wait until the page's URL has exactly these query arguments (navigation lands asynchronously)."""
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == expected)


def api_queries(requests: list[Request]) -> list[dict[str, list[str]]]:
    """The states search.js asked the server to render."""
    return [parse_qs(urlsplit(r.url).query) for r in requests if "/api/results" in r.url]


def test_typing_filtering_paging_sorting_and_going_back(
    page: Page, server_url: str, console: ConsoleLog
) -> None:
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(server_url + "/")
    expect(page.locator(STATUS)).to_have_text("新しい記事 9件")
    page.evaluate("window.mikkeTestMarker = 1")  # survives only if no full page load happens

    page.get_by_label("キーワード").press_sequentially("検索")
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
    expect(page.locator(".mikke-hit").first.locator("mark").first).to_have_text("検索")
    wait_for_args(page, {"q": ["検索"]})

    page.locator(".mikke-facet a", has_text="Python").click()
    expect(page.locator(STATUS)).to_have_text("「検索」の検索結果: 2件（1〜2件目）")
    wait_for_args(page, {"q": ["検索"], "tag": ["python"]})
    expect(page.locator(".mikke-chip")).to_have_text("タグ: Python ×")
    page.locator(".mikke-facet a", has_text="検索").click()  # a second tag narrows further
    wait_for_args(page, {"q": ["検索"], "tag": ["python", "検索"]})
    expect(page.locator(".mikke-chip")).to_have_count(2)
    page.get_by_role("link", name="すべて解除").click()
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)

    page.locator(".mikke-next").click()
    expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
    wait_for_args(page, {"q": ["検索"], "page": ["2"]})
    expect(page.locator(".mikke-hits")).to_have_attribute("start", "4")

    page.get_by_role("link", name="新しい順").click()
    expect(page.locator(".mikke-sort strong")).to_have_text("新しい順")
    wait_for_args(page, {"q": ["検索"], "sort": ["date"]})
    dates = page.locator(".mikke-hit time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert dates == sorted(dates, reverse=True)

    page.go_back()
    expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
    page.go_back()
    page.go_back()
    expect(page.locator(".mikke-chip")).to_have_count(2)
    page.go_back()
    page.go_back()
    page.go_back()
    expect(page.locator(STATUS)).to_have_text("新しい記事 9件")
    expect(page.get_by_label("キーワード")).to_have_value("")
    assert page.evaluate("window.mikkeTestMarker") == 1
    assert all(r.resource_type != "document" for r in requests[1:]), "JavaScript should fetch, not reload"
    assert console.errors == []


def test_reload_and_back_forward_restore_the_state_from_the_url(
    page: Page, server_url: str, console: ConsoleLog
) -> None:
    page.goto(server_url + "/?q=検索&page=2")
    expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
    page.reload()
    expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
    expect(page.get_by_label("キーワード")).to_have_value("検索")
    page.locator(".mikke-prev").click()
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
    page.go_back()
    expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
    page.go_forward()
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
    assert console.errors == []


def test_no_search_while_a_japanese_conversion_is_open(page: Page, server_url: str) -> None:
    page.clock.install()  # the debounce timer runs only when the test says so
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(server_url + "/")
    page.get_by_label("キーワード").focus()
    ime = page.context.new_cdp_session(page)
    ime.send("Input.imeSetComposition", {"text": "けん", "selectionStart": 2, "selectionEnd": 2})
    ime.send("Input.imeSetComposition", {"text": "けんさく", "selectionStart": 4, "selectionEnd": 4})
    page.clock.run_for(5_000)
    assert api_queries(requests) == []
    expect(page.locator(STATUS)).to_have_text("新しい記事 9件")

    ime.send("Input.insertText", {"text": "検索"})  # the reader picks the kanji: conversion ends
    page.clock.run_for(5_000)
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
    assert api_queries(requests) == [{"q": ["検索"]}]


def test_typing_is_debounced_into_one_request(page: Page, server_url: str) -> None:
    page.clock.install()
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(server_url + "/")
    page.get_by_label("キーワード").press_sequentially("図書館")
    page.clock.run_for(5_000)
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    assert api_queries(requests) == [{"q": ["図書館"]}]


def test_typing_after_results_settled_keeps_the_settled_search_in_the_history(
    page: Page, server_url: str
) -> None:
    page.clock.install()  # the debounce and the settling run only when the test says so
    page.goto(server_url + "/")
    status = page.locator(STATUS)
    box = page.get_by_label("キーワード")
    box.press_sequentially("検索")
    page.clock.run_for(300)
    expect(status).to_have_text(FIRST_PAGE)
    page.clock.run_for(2_000)  # the reader reads the results: the search has settled
    box.fill("図書館")
    page.clock.run_for(300)
    expect(status).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    page.go_back()
    expect(status).to_have_text(FIRST_PAGE)
    wait_for_args(page, {"q": ["検索"]})
    page.go_back()
    expect(status).to_have_text("新しい記事 9件")


@pytest.mark.parametrize("how", ["Enter", "a suggestion"])
def test_a_search_ended_by_enter_or_a_suggestion_replaces_the_history_entry_of_its_keystrokes(
    page: Page, server_url: str, how: str
) -> None:
    page.clock.install()
    page.goto(server_url + "/")
    status = page.locator(STATUS)
    box = page.get_by_label("キーワード")
    box.press_sequentially("けんさ")  # a pause: its results are drawn, and the URL follows them
    page.clock.run_for(300)
    expect(status).to_contain_text("「けんさ」")
    wait_for_args(page, {"q": ["けんさ"]})
    if how == "Enter":
        box.press_sequentially("く")
        box.press("Enter")
    else:
        expect(page.get_by_role("option").first).to_contain_text("検索")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    page.clock.run_for(300)
    expect(status).to_contain_text("の検索結果: 6件")
    page.go_back()  # back to where the reader started typing, not to the keystrokes on the way
    expect(status).to_have_text("新しい記事 9件")
    wait_for_args(page, {})


def test_a_new_query_cancels_the_request_in_flight(page: Page, server_url: str, console: ConsoleLog) -> None:
    held: list[Route] = []

    def hold_curry(route: Route) -> None:
        if parse_qs(urlsplit(route.request.url).query).get("q") == ["カレー"]:
            held.append(route)  # never answered until the newer query has been drawn
        else:
            route.continue_()

    failed: list[Request] = []
    page.on("requestfailed", lambda r: failed.append(r))
    page.route(re.compile(r"/api/results\?"), hold_curry)
    page.goto(server_url + "/")
    box = page.get_by_label("キーワード")
    with page.expect_request(re.compile(r"/api/results\?q=%E3%82%AB")):
        box.fill("カレー")
    with page.expect_request_finished(lambda r: "/api/results?q=%E5%9B%B3" in r.url):
        box.fill("図書館")
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    assert [parse_qs(urlsplit(r.url).query)["q"] for r in failed] == [["カレー"]]
    assert failed[0].failure == "net::ERR_ABORTED"
    with contextlib.suppress(PlaywrightError):
        held[0].continue_()  # too late: the page has already given up on it
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    assert page.get_by_label("キーワード").input_value() == "図書館"
    assert [e for e in console.errors if "ERR_ABORTED" not in e] == []


RETRY = "検索できませんでした。時間をおいてもう一度お試しください。"
NOT_BUILT = "検索インデックスがまだ作られていません。しばらくしてからもう一度お試しください。"


@pytest.mark.parametrize(
    ("answer", "message"),
    [(500, RETRY), (503, NOT_BUILT), ("network", RETRY)],
)
def test_a_search_that_fails_mid_typing_says_so_and_leaves_no_results_of_the_previous_query(
    page: Page, server_url: str, answer: int | str, message: str
) -> None:
    library = re.compile(r"/api/results\?q=%E5%9B%B3")

    def fail(route: Route) -> None:
        if answer == "network":
            route.abort("internetdisconnected")
        else:
            route.fulfill(status=int(answer), json={"ok": False, "error": "…", "status": answer})

    page.goto(server_url + "/?q=検索")
    page.route(library, fail)
    box = page.get_by_label("キーワード")
    box.fill("図書館")
    expect(page.locator(STATUS)).to_have_text(message)
    wait_for_args(page, {"q": ["図書館"]})
    # The results of 検索 would read as those of 図書館, which the box, the URL and the status name.
    expect(page.locator("[data-mikke-results]")).to_be_empty()
    expect(page).to_have_title("検索できませんでした - 記事検索")
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    page.unroute(library)
    box.press("Enter")  # trying again searches again
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    expect(page).to_have_title("「図書館」の検索結果 - 記事検索")


def assert_post_html_is_inert(page: Page) -> None:
    excerpt = page.locator(".mikke-excerpt").first
    expect(excerpt).to_contain_text("<script>alert(1)</script>")
    expect(excerpt).to_contain_text("<img src=x onerror=alert(2)>")
    expect(page.locator(".mikke-hit-title").first).to_contain_text("HTMLの<script>タグ & エスケープ")
    assert page.locator(".mikke-results script, .mikke-results img, .mikke-results [onerror]").count() == 0


def test_post_with_script_and_img_onerror_runs_nothing(
    page: Page, server_url: str, console: ConsoleLog
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server_url + "/?q=エスケープ")  # drawn by the server
    assert_post_html_is_inert(page)
    box = page.get_by_label("キーワード")
    box.fill("alert エスケープ")  # drawn by search.js from /api/results
    expect(page.locator(STATUS)).to_contain_text("「alert エスケープ」の検索結果")
    assert_post_html_is_inert(page)
    expect(page.locator(".mikke-excerpt mark", has_text="alert")).not_to_have_count(0)
    box.fill("<img src=x onerror=alert(3)>")
    expect(page.locator(STATUS)).to_contain_text("「<img src=x onerror=alert(3)>」")
    assert page.title().startswith("「<img src=x onerror=alert(3)>」")
    assert dialogs == []
    assert console.errors == []  # a blocked inline script would show up here as a CSP violation


def test_page_works_with_javascript_disabled(browser: Browser, server_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server_url + "/")
        box = page.get_by_label("キーワード")
        box.fill("検索")
        box.press("Enter")
        expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
        page.locator(".mikke-facet a", has_text="Python").click()
        expect(page.locator(STATUS)).to_have_text("「検索」の検索結果: 2件（1〜2件目）")
        page.locator(".mikke-chip").click()
        expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
        page.locator(".mikke-next").click()
        expect(page.locator(STATUS)).to_have_text(SECOND_PAGE)
        page.get_by_role("link", name="新しい順").click()
        wait_for_args(page, {"q": ["検索"], "sort": ["date"]})
        box = page.get_by_label("キーワード")
        box.fill("図書館")
        box.press("Enter")  # the sort is kept in a hidden field
        wait_for_args(page, {"q": ["図書館"], "sort": ["date"]})
        page.go_back()
        expect(page.locator(".mikke-sort strong")).to_have_text("新しい順")
        page.goto(server_url + "/?q=エスケープ")
        assert_post_html_is_inert(page)
    finally:
        context.close()


def test_embed_on_an_allowed_blog_searches_the_mikke_server(
    page: Page, blog: Blog, server_url: str, console: ConsoleLog
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(blog.allowed + "/search.html")
    box = page.get_by_label("ブログ内を検索")
    box.fill("図書館")
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    assert page.url.startswith(blog.allowed + "/search.html?")
    wait_for_args(page, {"q": ["図書館"]})
    first = page.locator(".mikke-hit-title a").first
    assert (first.get_attribute("href") or "").startswith("https://blog.example.jp/blog/")
    page.locator(".mikke-facet a", has_text="東京").click()
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 1件（1〜1件目）")
    wait_for_args(page, {"q": ["図書館"], "tag": ["東京"]})
    assert page.url.startswith(blog.allowed + "/search.html?")  # the server's links are relative
    chip = page.locator(".mikke-chip")
    assert chip.evaluate("a => a.href") == blog.allowed + "/search.html?q=" + quote_plus("図書館")
    page.reload()  # the blog page is static: the embed draws the state from its URL
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 1件（1〜1件目）")
    expect(box).to_have_value("図書館")
    page.locator(".mikke-chip").click()
    expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    box.fill("エスケープ")  # no CSP on the blog page: escaping alone must keep the post's HTML inert
    assert_post_html_is_inert(page)
    assert dialogs == []
    assert console.errors == []


def test_embed_going_back_to_the_page_without_a_search_shows_it_as_it_opened(
    page: Page, blog: Blog, console: ConsoleLog
) -> None:
    page.goto(blog.allowed + "/search.html")
    status = page.locator(STATUS)
    results = page.locator("[data-mikke-results]")
    expect(status).to_be_empty()  # the blog page opened without a search draws no results
    expect(results).to_be_empty()
    box = page.get_by_label("ブログ内を検索")
    box.fill("図書館")
    expect(status).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    page.go_back()
    wait_for_args(page, {})
    expect(box).to_have_value("")
    expect(results).to_be_empty()  # the same URL, the same page: not a list the reader never saw there
    expect(status).to_be_empty()
    page.go_forward()
    expect(status).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
    box.fill("")  # emptying the box is the same state
    expect(results).to_be_empty()
    expect(status).to_be_empty()
    assert console.errors == []


def test_embed_refused_by_cors_tells_the_owner_on_their_machine_how_to_allow_the_origin(
    page: Page, blog: Blog, server_url: str, console: ConsoleLog
) -> None:
    page.goto(blog.other + "/search.html")
    page.get_by_label("ブログ内を検索").fill("図書館")
    status = page.locator(STATUS)
    expect(status).to_contain_text(f"MIKKE_ALLOWED_ORIGINS={blog.other} を付けて mikke serve を起動し直して")
    expect(status).to_contain_text(f"検索サーバー {server_url} が、このページのオリジン {blog.other} から")
    assert page.locator(".mikke-hit").count() == 0
    ours = [e for e in console.errors if e.startswith("mikke:")]
    assert len(ours) == 1
    assert blog.other in ours[0] and server_url in ours[0] and "MIKKE_ALLOWED_ORIGINS" in ours[0]


def test_embed_refused_by_cors_shows_readers_a_short_neutral_message(
    page: Page, blog: Blog, console: ConsoleLog
) -> None:
    page.goto(blog.reader + "/search.html")
    page.get_by_label("ブログ内を検索").fill("図書館")
    expect(page.locator(STATUS)).to_have_text("このページでは現在、検索を利用できません。")
    assert any(
        e.startswith("mikke:") and blog.reader in e and "MIKKE_ALLOWED_ORIGINS" in e for e in console.errors
    )


def test_embed_whose_server_is_down_says_to_try_again_later(
    page: Page, blog: Blog, server_url: str, console: ConsoleLog
) -> None:
    page.goto(blog.allowed + "/search.html")  # search.js is loaded: then the server goes away
    page.route(server_url + "/**", lambda route: route.abort("connectionrefused"))
    page.get_by_label("ブログ内を検索").fill("図書館")
    expect(page.locator(STATUS)).to_have_text("検索できませんでした。時間をおいてもう一度お試しください。")
    assert any(e.startswith("mikke:") and "does not answer" in e for e in console.errors)


# Every kind of text the results show, with the query typed in the box: each must be readable on the
# background it is drawn on (the nearest opaque one), whatever colours the host page gives its elements.
READABLE = (
    ".mikke-status",
    ".mikke-input",
    ".mikke-button",
    ".mikke-sort",
    ".mikke-sort strong",
    ".mikke-sort a",
    ".mikke-hit-title a",
    ".mikke-hit-title mark",
    ".mikke-hit-meta",
    ".mikke-tag",
    ".mikke-excerpt",
    ".mikke-excerpt mark",
    ".mikke-facet h2",
    ".mikke-facet a",
    ".mikke-count",
    ".mikke-pages a",
    ".mikke-pages strong",
)
COLOURS_JS = """selectors => {
  const opaque = c => !/^rgba\\(.*, 0\\)$/.test(c) && c !== "transparent";
  return selectors.map(selector => {
    const element = document.querySelector(selector);
    if (!element) return [selector, null, null];
    let under = element;
    while (under && !opaque(getComputedStyle(under).backgroundColor)) under = under.parentElement;
    return [selector, getComputedStyle(element).color, under && getComputedStyle(under).backgroundColor];
  });
}"""


def luminance(css_colour: str) -> float:
    """WCAG 2 relative luminance of an opaque ``rgb(r, g, b)``."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, 1)?\)", css_colour)
    assert match, f"not an opaque colour: {css_colour}"
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (int(v) / 255 for v in match.groups())
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    ("where", "reader_scheme", "embed_is_dark"),
    [
        ("blog:/dark.html", "light", False),
        ("blog:/dark.html", "dark", True),
        ("blog:/dark-scheme.html", "light", True),
        ("mikke:/", "light", False),
        ("mikke:/", "dark", True),
    ],
)
def test_every_text_is_readable_on_a_dark_blog_and_on_mikkes_page_in_both_schemes(
    page: Page,
    blog: Blog,
    server_url: str,
    where: str,
    reader_scheme: Literal["light", "dark"],
    embed_is_dark: bool,
) -> None:
    site, path = where.split(":", 1)
    page.emulate_media(color_scheme=reader_scheme)
    page.goto((blog.allowed if site == "blog" else server_url) + path)
    box = page.locator(".mikke-input")
    box.fill("検索")
    expect(page.locator(STATUS)).to_have_text(FIRST_PAGE)
    expect(page.locator("[data-mikke]")).not_to_have_attribute("aria-busy", "true")
    colours = page.evaluate(COLOURS_JS, list(READABLE))
    assert [s for s, fg, _ in colours if fg is None] == [], "every kind of text is on the page"
    poor = {s: round(contrast(fg, bg), 2) for s, fg, bg in colours if contrast(fg, bg) < 4.5}
    assert poor == {}, f"contrast below 4.5:1 ({reader_scheme} reader, {where})"
    embed_background = page.evaluate("getComputedStyle(document.querySelector('.mikke')).backgroundColor")
    assert (luminance(embed_background) < 0.05) == embed_is_dark


def test_embed_form_without_javascript_opens_the_mikke_page(
    browser: Browser, blog: Blog, server_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(blog.allowed + "/search.html")
        box = page.get_by_label("ブログ内を検索")
        box.fill("図書館")
        box.press("Enter")
        expect(page.locator(STATUS)).to_have_text("「図書館」の検索結果: 2件（1〜2件目）")
        assert page.url.startswith(server_url + "/?q=")
    finally:
        context.close()


def test_a_hit_links_the_section_its_excerpt_is_in(page: Page, server_url: str) -> None:
    page.goto(server_url + "/?q=" + "ハーブ")
    section = page.locator(".mikke-hit-section a")
    expect(section).to_have_text("§ 残りの植え替え")
    href = section.get_attribute("href") or ""
    assert unquote(href).endswith("/#残りの植え替え")
    section.focus()  # reachable from the keyboard like every other link
    expect(section).to_be_focused()


def test_a_hits_picture_is_small_lazy_and_of_a_fixed_size(page: Page, server_url: str) -> None:
    page.goto(server_url + "/?q=" + "カレー")
    thumb = page.locator(".mikke-hit img.mikke-thumb").first
    expect(thumb).to_have_attribute("src", "https://blog.example.jp/blog/assets/curry.jpg")
    expect(thumb).to_have_attribute("alt", "")  # the title beside it says what the post is
    expect(thumb).to_have_attribute("loading", "lazy")
    box = thumb.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (96, 64)  # whether or not it has loaded
