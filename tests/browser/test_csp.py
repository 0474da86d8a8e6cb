"""bpmn-js (Viewer and Modeler) and htmx work under Baton's Content-Security-Policy.

No page shows a diagram yet, so this test mounts a page of its own on the
live app: the base layout, bpmn-js's stylesheets and scripts from the vendor
folder, and a small script (tests/browser/data/diagram-check.js) that draws
the shipped service-request diagram in both and marks a step. The ``page``
fixture fails the test on any CSP violation or JavaScript error.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Response, render_template_string
from playwright.sync_api import expect

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
DIAGRAM = REPO / "bpmn" / "service-request" / "service-request.bpmn"

PAGE = """{% extends "base.html" %}
{% block title %}Diagram check{% endblock %}
{% block head %}
<link rel="stylesheet" href="{{ vendor('bpmn-js/assets/diagram-js.css') }}">
<link rel="stylesheet" href="{{ vendor('bpmn-js/assets/bpmn-js.css') }}">
<link rel="stylesheet" href="{{ vendor('bpmn-js/assets/bpmn-font/css/bpmn.css') }}">
{% endblock %}
{% block content %}
<h1>Diagram check</h1>
<div id="diagram" class="diagram" data-diagram-url="/test-csp/diagram.bpmn" data-kind="{{ kind }}"></div>
<p id="result"></p>
{% endblock %}
{% block scripts %}
<script src="{{ vendor(script) }}"></script>
<script src="/test-csp/diagram-check.js"></script>
{% endblock %}"""

SCRIPTS = {"viewer": "bpmn-js/bpmn-viewer.production.min.js", "modeler": "bpmn-js/bpmn-modeler.production.min.js"}


@pytest.fixture
def diagram_pages(live_server):
    app = live_server.app

    def show(kind):
        return render_template_string(PAGE, kind=kind, script=SCRIPTS[kind])

    app.add_url_rule("/test-csp/<any(viewer, modeler):kind>", "test_csp_page", show)
    app.add_url_rule("/test-csp/diagram.bpmn", "test_csp_bpmn",
                     lambda: Response(DIAGRAM.read_bytes(), mimetype="application/xml"))
    app.add_url_rule("/test-csp/diagram-check.js", "test_csp_js",
                     lambda: Response((DATA / "diagram-check.js").read_bytes(), mimetype="text/javascript"))
    return live_server


@pytest.mark.parametrize("kind", ["viewer", "modeler"])
def test_bpmn_js_draws_under_the_csp(diagram_pages, page, artifacts, kind):
    page.goto(f"/test-csp/{kind}")
    expect(page.locator("#result")).to_have_text("drawn", timeout=20_000)
    assert page.locator("#diagram .djs-element.djs-shape").count() > 5
    expect(page.locator("#diagram .baton-marked").first).to_be_attached()
    if kind == "modeler":
        expect(page.locator("#diagram .djs-palette")).to_be_visible()
        assert page.evaluate("document.fonts.check('12px bpmn')"), "the bpmn icon font did not load"
        # Editing positions overlays and opens a text editor: still no inline styles.
        task = page.locator("#diagram .baton-marked").first
        task.click()
        expect(page.locator("#diagram .djs-context-pad")).to_be_visible()
        task.dblclick()
        expect(page.locator("#diagram .djs-direct-editing-parent")).to_be_visible()
    artifacts.screenshot(page, f"csp-{kind}")
