"""The suggestion listbox in Chromium: an ARIA combobox that works while an IME conversion is open."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import urlsplit

from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import expect

from .conftest import ConsoleLog

STATUS = "[data-mikke-status]"
LIBRARY = "「図書館」の検索結果: 2件（1〜2件目）"


def searched(requests: list[Request]) -> list[str]:
    return [parse_qs(urlsplit(r.url).query).get("q", [""])[0] for r in requests if "/api/results" in r.url]


def test_suggestions_follow_the_hiragana_being_composed_and_never_take_its_enter(
    page: Page, server_url: str, console: ConsoleLog
) -> None:
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(server_url + "/")
    box = page.get_by_role("combobox", name="キーワード")
    listbox = page.get_by_role("listbox", name="候補")
    box.focus()
    expect(box).to_have_attribute("aria-expanded", "false")

    ime = page.context.new_cdp_session(page)
    ime.send("Input.imeSetComposition", {"text": "と", "selectionStart": 1, "selectionEnd": 1})
    ime.send("Input.imeSetComposition", {"text": "としょ", "selectionStart": 3, "selectionEnd": 3})
    expect(listbox.get_by_role("option").first).to_contain_text("図書館")  # the prefix is the composition
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", listbox.evaluate("e => e.id"))

    # The reader presses Enter to commit the conversion: the keydown is the IME's (isComposing, 229).
    page.keyboard.press("ArrowDown")  # the IME's too: nothing is chosen
    box.dispatch_event("keydown", {"key": "Enter", "keyCode": 229, "isComposing": True})
    ime.send("Input.insertText", {"text": "としょ"})  # the conversion ends as typed
    expect(box).to_have_value("としょ")
    expect(box).not_to_have_attribute("aria-activedescendant", "mikke-suggest-1-0")
    expect(listbox.get_by_role("option").first).to_contain_text("図書館")

    page.keyboard.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.evaluate("e => e.id"))
    page.keyboard.press("Enter")
    expect(box).to_have_value("図書館")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator(STATUS)).to_have_text(LIBRARY)
    assert "図書館" in searched(requests)

    box.fill("")
    box.press_sequentially("きょう")
    expect(listbox.get_by_role("option").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert console.errors == []


def test_a_suggestion_is_chosen_with_the_mouse(page: Page, server_url: str) -> None:
    page.goto(server_url + "/")
    box = page.get_by_role("combobox", name="キーワード")
    box.press_sequentially("けんさ")
    page.get_by_role("option", name="検索").first.click()
    expect(box).to_have_value("検索")
    expect(box).to_be_focused()
    expect(page.locator(STATUS)).to_contain_text("「検索」の検索結果")


def test_back_closes_the_suggestions_for_the_text_it_takes_out_of_the_box(
    page: Page, server_url: str
) -> None:
    page.goto(server_url + "/?q=図書館")
    box = page.get_by_role("combobox", name="キーワード")
    listbox = page.get_by_role("listbox", name="候補")
    box.fill("けんさ")
    expect(listbox.get_by_role("option").first).to_contain_text("検索")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == {"q": ["けんさ"]})
    page.go_back()  # Alt+← with the focus still in the box
    expect(page.locator(STATUS)).to_have_text(LIBRARY)
    expect(box).to_have_value("図書館")
    expect(box).to_be_focused()
    # Suggestions for けんさ under 図書館 would let ↓ and Enter search for what is no longer typed.
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", "mikke-suggest-1-0")


def test_a_box_holding_half_a_surrogate_pair_still_asks_for_suggestions(
    page: Page, server_url: str, console: ConsoleLog
) -> None:
    page.goto(server_url + "/")
    box = page.get_by_role("combobox", name="キーワード")
    box.focus()
    # Pasted text can carry an unpaired surrogate (half an emoji); the reader's typing goes on after it.
    with page.expect_request(lambda r: "/api/suggest?" in r.url) as asked:
        box.evaluate(
            "b => { b.value = 'けんさ\\ud83d'; b.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
    assert parse_qs(urlsplit(asked.value.url).query)["q"] == ["けんさ\ufffd"]
    box.press_sequentially("く")
    expect(page.locator(STATUS)).to_contain_text("「けんさ\ufffdく」")
    assert console.errors == []
