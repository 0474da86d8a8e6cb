"""htmx requests carry the CSRF token that base.html puts on <body>, so a page
fragment can post without a form of its own (as the inbox's claim buttons will)."""
from __future__ import annotations

import pytest
from flask import render_template_string
from playwright.sync_api import expect

PAGE = """{% extends "base.html" %}
{% block content %}
<button type="button" class="btn" hx-post="/test-htmx/echo" hx-target="#out">Send</button>
<p id="out">nothing yet</p>
{% endblock %}"""


@pytest.fixture
def htmx_page(live_server):
    app = live_server.app
    app.add_url_rule("/test-htmx", "test_htmx_page", lambda: render_template_string(PAGE))
    app.add_url_rule("/test-htmx/echo", "test_htmx_echo", lambda: "accepted", methods=["POST"])
    return live_server


def test_htmx_posts_pass_the_csrf_check(htmx_page, page):
    page.goto("/test-htmx")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#out")).to_have_text("accepted")


def test_htmx_posts_without_the_token_are_refused(htmx_page, page):
    page.goto("/test-htmx")
    page.evaluate("document.body.removeAttribute('hx-headers:inherited')")
    with page.expect_response("**/test-htmx/echo") as answer:
        page.get_by_role("button", name="Send").click()
    assert answer.value.status == 400
    expect(page.locator("#out")).not_to_have_text("accepted")
