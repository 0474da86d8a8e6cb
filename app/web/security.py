"""What protects the browser side: CSRF tokens on every form and the security
headers on every response (the session cookie's flags are in app.config).

The API under ``/api/`` takes bearer tokens, never the session cookie, so a
forged cross-site request cannot act there and CSRF checks leave it alone.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFProtect

from .api.errors import API_PREFIX

csrf = CSRFProtect()

# Scripts, styles, fonts and images come from this server only (the vendor
# files are served from app/static/vendor/). bpmn-js styles its SVG through
# the CSSOM, which style-src does not restrict, and its stylesheets embed
# data: images. No inline scripts or styles anywhere: put them in files.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def init_security(app: Flask) -> None:
    # The session cookie's flags are settings (app.config, from BATON_SECURE_COOKIES).
    # The token lives as long as the session: a form left open over lunch must
    # still submit (Flask-WTF's default is one hour).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Checked by _check_csrf below, for every path outside the API.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.after_request(_add_security_headers)


def _check_csrf() -> None:
    # By path rather than by exempting each API blueprint, so an API area added
    # later is exempt too and every other form is protected. Unknown addresses
    # (no endpoint) answer 404, not a CSRF error.
    if request.path.startswith(API_PREFIX) or not current_app.config["WTF_CSRF_ENABLED"]:
        return
    csrf.protect(apply_exemptions=True)


def _add_security_headers(response: Response) -> Response:
    # One pass over the headers a view set itself (it may loosen one, e.g. a
    # download's Content-Security-Policy), rather than a lookup per header:
    # every response goes through here.
    present = {name.lower() for name, _ in response.headers}
    wanted = dict(SECURITY_HEADERS)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        wanted["Strict-Transport-Security"] = "max-age=31536000"
    # Pages show people's cases: a shared computer's back button or cache must
    # not show them after sign-out. Static files keep their own caching.
    if response.mimetype == "text/html":
        wanted["Cache-Control"] = "no-store"
    for name, value in wanted.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response
