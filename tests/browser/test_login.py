"""Signing in through a real browser, on a desktop and on a phone."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_sign_in_from_the_front_door(live_server, page, artifacts):
    live_server.user("ann", "service-desk", password="secret", display_name="Ann Smith")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/catalogue$"))
    expect(page.get_by_label("User name")).to_be_focused()
    artifacts.screenshot(page, "login")

    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value("ann")
    artifacts.screenshot(page, "login-wrong-password")

    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/catalogue")
    expect(page.get_by_role("banner")).to_contain_text("Ann Smith")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue")) \
        .to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service catalogue")
    assert page.evaluate("typeof window.htmx") == "object"  # loaded from app/static/vendor under the CSP
    artifacts.screenshot(page, "signed-in-landing")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")


def test_keyboard_users_can_skip_to_the_content(live_server, page, sign_in):
    live_server.user("ann", password="secret")
    sign_in("ann")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_layout_fits_a_phone(live_server, page, sign_in, artifacts):
    live_server.user("rita", "resolver", password="secret", display_name="Rita Resolver")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("rita")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service catalogue")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    artifacts.screenshot(page, "signed-in-landing-phone")


def test_error_pages_in_the_browser(live_server, page, sign_in, artifacts):
    live_server.user("ann", password="secret", display_name="Ann Smith")
    sign_in("ann")
    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("banner")).to_contain_text("Ann Smith")
    artifacts.screenshot(page, "error-404")
