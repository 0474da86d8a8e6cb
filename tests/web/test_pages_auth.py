"""Signing in and out of the pages, sessions, CSRF, security headers, the
error pages, and the front-end assets the pages load."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import abort

from app.models import User, db
from app.services import users
from app.services.errors import Forbidden, NotFound
from app.web.assets import MissingAsset, vendor, vendor_dir
from tests.support.pages import csrf_token, sign_in

PASSWORD = "correct horse"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ann(app):
    with app.app_context():
        return users.add_user("ann", groups=["service-desk"], password=PASSWORD, display_name="Ann Smith")[0].id


def set_user(app, username: str, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == username).values(**values))
        db.session.commit()


def test_the_front_door_leads_to_sign_in_and_back(client, ann):
    assert client.get("/").headers["Location"] == "/catalogue"
    response = client.get("/catalogue?tab=all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/catalogue?tab%3Dall"

    login_page = client.get(response.headers["Location"])
    assert login_page.status_code == 200
    assert b'value="/catalogue?tab=all"' in login_page.data
    signed_in = sign_in(client, "ann", PASSWORD, next_url="/catalogue?tab=all")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/catalogue?tab=all"

    page = client.get("/catalogue").get_data(as_text=True)
    assert "Ann Smith" in page and "Sign out" in page
    assert 'aria-current="page">Catalogue' in page


def test_the_session_cookie_is_httponly_and_samesite(client, ann):
    response = sign_in(client, "ann", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("baton_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_asked(app, client, ann):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = sign_in(client, "ann", PASSWORD)
    assert any("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, ann):
    wrong = sign_in(client, "ann", "wrong")
    unknown = sign_in(client, "nobody", "wrong")
    for response, name in ((wrong, "ann"), (unknown, "nobody")):
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Wrong user name or password." in page
        assert f'value="{name}"' in page          # the name is kept, the password is not
        assert "wrong" not in page.replace("Wrong", "")
    assert client.get("/catalogue").status_code == 302


def test_signing_in_starts_a_fresh_session(client, ann):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client, "ann", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session and session["user_id"] == ann


def test_sign_out(client, ann):
    sign_in(client, "ann", PASSWORD)
    page = client.get("/catalogue").data
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/login"
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/catalogue").status_code == 302
    assert client.get("/logout").status_code == 405  # signing out takes a form, not a link


@pytest.mark.parametrize("change", [{"active": False}, "delete"])
def test_a_deactivated_or_deleted_user_is_signed_out(app, client, ann, change):
    sign_in(client, "ann", PASSWORD)
    assert client.get("/catalogue").status_code == 200
    if change == "delete":
        with app.app_context():
            db.session.execute(sa.delete(User).where(User.id == ann))
            db.session.commit()
    else:
        set_user(app, "ann", **change)
    assert client.get("/catalogue").headers["Location"] == "/login?next=/catalogue"
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert sign_in(client, "ann", PASSWORD).status_code == 422


def test_caller_for_user_id(app, ann):
    with app.app_context():
        users.add_user("ann", groups=["service-desk", "approvers"])
        caller = users.caller_for_user_id(ann)
        assert (caller.username, caller.display_name, caller.role) == ("ann", "Ann Smith", "user")
        assert caller.group_names == ("approvers", "service-desk")
        assert users.caller_for_user_id(ann + 1000) is None
        assert users.caller_for_user_id("1") is None


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "http:/evil.example", "catalogue", "",
])
def test_next_never_leaves_the_site(client, ann, target):
    assert 'name="next"' not in client.get("/login", query_string={"next": target}).get_data(as_text=True)
    response = sign_in(client, "ann", PASSWORD, next_url=target)
    assert response.headers["Location"] == "/"
    # Already signed in: the sign-in page sends the person on, but never away.
    assert client.get("/login", query_string={"next": target}).headers["Location"] == "/"


def test_forms_without_a_csrf_token_are_refused(client, ann):
    refused = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "reload the page" in refused.get_data(as_text=True)
    sign_in(client, "ann", PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/catalogue").status_code == 200  # still signed in
    # htmx sends the token as a header (base.html puts it on <body>).
    token = csrf_token(client.get("/catalogue").data)
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


def test_the_api_is_not_subject_to_csrf(client):
    # Bearer tokens, not cookies: the API answers 401, not a CSRF refusal.
    response = client.post("/api/v1/deployments")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_htmx_requests_are_sent_to_sign_in_as_a_whole_page(client):
    response = client.get("/catalogue", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login?next=/catalogue"


@pytest.mark.parametrize("path", ["/login", "/catalogue", "/nowhere", "/static/css/baton.css", "/api/v1/health"])
def test_security_headers_on_every_response(client, ann, path):
    sign_in(client, "ann", PASSWORD)
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_are_not_cached(client, ann):
    sign_in(client, "ann", PASSWORD)
    assert client.get("/catalogue").headers["Cache-Control"] == "no-store"


def test_unknown_pages_answer_a_friendly_404(client, ann):
    anonymous = client.get("/no/such/page")
    assert anonymous.status_code == 404 and anonymous.mimetype == "text/html"
    text = anonymous.get_data(as_text=True)
    assert "Page not found" in text and 'href="/login"' in text
    sign_in(client, "ann", PASSWORD)
    signed_in = client.get("/no/such/page").get_data(as_text=True)
    assert "Ann Smith" in signed_in and "Go to the catalogue" in signed_in


def test_wrong_method_answers_a_friendly_405(client):
    response = client.delete("/login")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]
    assert "That doesn’t work here" in response.get_data(as_text=True)


def test_forbidden_and_server_errors_are_friendly_pages(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/test-forbidden", "forbidden", lambda: abort(403))
    app.add_url_rule("/test-boom", "boom", boom)
    forbidden = client.get("/test-forbidden")
    assert forbidden.status_code == 403 and forbidden.mimetype == "text/html"
    assert "You can’t open this page" in forbidden.get_data(as_text=True)
    crashed = client.get("/test-boom")
    text = crashed.get_data(as_text=True)
    assert crashed.status_code == 500 and crashed.mimetype == "text/html"
    assert "Something went wrong on our side" in text
    assert "secret internals" not in text and "Traceback" not in text


def test_service_refusals_in_page_views_become_error_pages(app):
    from app.web.pages.errors import on_service_error

    with app.test_request_context("/somewhere"):
        for error, status in ((Forbidden("This task belongs to the finance group."), 403),
                              (NotFound("No such case."), 404)):
            body, code = on_service_error(error)
            assert code == status and error.message in body


def test_api_errors_stay_json(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong_method = client.delete("/api/v1/health")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"] == "method_not_allowed"


VENDOR_FILES = [
    "htmx.min.js",
    "bpmn-js/bpmn-viewer.production.min.js",
    "bpmn-js/bpmn-modeler.production.min.js",
    "bpmn-js/assets/diagram-js.css",
    "bpmn-js/assets/bpmn-js.css",
    "bpmn-js/assets/bpmn-font/css/bpmn.css",
    "bpmn-js/assets/bpmn-font/font/bpmn.woff2",
]


def test_the_assets_helper_finds_what_scripts_assets_copied(app, client):
    if not vendor_dir(app).is_dir():
        if os.environ.get("CI"):
            pytest.fail("app/static/vendor is missing: scripts/test runs scripts/assets, CI must too")
        pytest.skip("app/static/vendor is missing: run scripts/assets (scripts/test does)")
    with app.test_request_context("/"):
        for name in VENDOR_FILES:
            url = vendor(name)
            assert url.startswith(f"/static/vendor/{name}?v=")
            served = client.get(url)
            assert served.status_code == 200 and len(served.data) > 100, name
        with pytest.raises(MissingAsset, match="scripts/assets"):
            vendor("not-copied.js")
