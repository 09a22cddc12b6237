"""Every screen, as a Norwegian and a Swedish administrator would see it in their language.

Renders each screen in nb (Norwegian company) and sv (Swedish company), fails on any visible
text that is still the English source of a translated string, checks the top bar at a laptop's
1366 px and a phone's 390 px, and saves screenshots to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import english_leftovers, screen_paths, screenshot, seed_demo_with_deliveries

pytestmark = pytest.mark.browser

CASES = [("NO", "no-admin", "nb"), ("SE", "se-admin", "sv")]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _login_in(page, live_server, username: str, language: str):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _open_every_tab(page) -> None:
    """Show the hidden tabs' text too (it is in the DOM either way; this also screenshots it)."""
    for tab in page.locator("[data-bs-toggle=tab]").all():
        if tab.is_visible():
            tab.click()
    # End on the Invoice address tab (sending method, route trace) for the screenshot.
    address = page.get_by_test_id("tab-address")
    if address.count():
        address.click()
        expect(page.locator("#tab-address")).to_have_class(re.compile(r"\bshow\b"))
    for summary in page.locator("details:not([open]) > summary").all():
        if summary.is_visible():
            summary.click()


@pytest.mark.parametrize(("country", "username", "language"), CASES)
def test_every_screen_is_in_the_users_language_and_the_top_bar_fits(
    page, live_server, country, username, language
):
    """One walk per country on one seeding of the demo: every screen in the user's language,
    then the top bar at a laptop's and a phone's width."""
    context = seed_demo_with_deliveries()
    company = context.companies[country]
    _login_in(page, live_server, username, language)
    page.set_viewport_size(LAPTOP)
    leftovers = {}
    for name, path in screen_paths(company).items():
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        if name.startswith("invoice-"):
            _open_every_tab(page)
        found = english_leftovers(page, language)
        if found:
            leftovers[path] = found
        if name in {"customers", "invoices", "invoice-sent", "agreements", "settings", "billing"}:
            screenshot(page, f"{language}-{name}-1366")
    assert not leftovers, f"English text on {language} screens: {leftovers}"

    branch_labels = {f"{b.branch_id} {b.name}" for b in company.branches.all()}
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto("/customers/")
        _check_top_bar(page, company.name, branch_labels, viewport)
        screenshot(page, f"{language}-top-bar-{viewport['width']}")


def _check_top_bar(page, company_name: str, branch_labels: set[str], viewport: dict) -> None:
    """The top bar shows company and branch, uncut, and collapses on a phone."""
    for select, expected in (
        ("#company-select", {company_name}),
        ("#branch-select", branch_labels),
    ):
        locator = page.locator(select)
        expect(locator).to_be_visible()
        assert locator.evaluate("el => el.options[el.selectedIndex].text") in expected
        # The selected name is not cut: the control is wide enough for its text, and inside
        # the window.
        fits = locator.evaluate(
            """el => {
                const probe = document.createElement("span");
                probe.style.font = getComputedStyle(el).font;
                probe.style.position = "absolute"; probe.style.visibility = "hidden";
                probe.textContent = el.options[el.selectedIndex].text;
                document.body.appendChild(probe);
                const need = probe.getBoundingClientRect().width;
                probe.remove();
                const box = el.getBoundingClientRect();
                const padding = parseFloat(getComputedStyle(el).paddingLeft)
                    + parseFloat(getComputedStyle(el).paddingRight);
                return {need, inner: box.width - padding, right: box.right, window: innerWidth};
            }"""
        )
        assert fits["inner"] >= fits["need"], (select, viewport, fits)
        assert fits["right"] <= fits["window"], (select, viewport, fits)
    # Nothing scrolls sideways: the bar collapses instead of overflowing on a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), viewport
    if viewport is PHONE:
        expect(page.locator("#mainnav")).to_be_hidden()
        page.locator(".navbar-toggler").click()
        expect(page.locator("#mainnav")).to_be_visible()


def test_the_leftover_check_finds_english_text(page):
    """The check itself: English sources are found, translations and proper names are not."""
    page.set_content(
        "<body><p>Delivery status</p><p>Sent: Queued</p><p>Leveringsstatus</p>"
        "<p>AutoInvoice</p><input placeholder='Search'><p data-untranslated-ok>English</p></body>"
    )
    assert english_leftovers(page, "nb") == ["Delivery status", "Search", "Sent: Queued"]
