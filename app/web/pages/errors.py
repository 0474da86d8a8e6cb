"""Friendly HTML pages for every HTTP error outside the API (never a
traceback), and service errors raised in page views turned into them.

The API keeps its JSON errors: flask-smorest registered one HTTPException
handler for the whole app; ``init_error_pages`` replaces it with one that
hands API paths to the same JSON renderer and renders a page for the rest.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.services.errors import ServiceError, Unauthorized

from ..api.errors import API_PREFIX, SERVICE_STATUS, http_error_response
from . import bp
from .auth import current_caller, redirect_to_login

# status -> (title, what the person can do about it)
PAGES = {
    400: ("That request could not be handled", "Go back, reload the page and try again."),
    401: ("Please sign in", "Sign in to see this page."),
    403: ("You can’t open this page", "It belongs to someone else, or needs a role you don’t have. "
                                      "Ask your service desk if you think you should have access."),
    404: ("Page not found", "There is nothing at this address. It may have been moved, or the link "
                            "may be mistyped."),
    405: ("That doesn’t work here", "This page can’t be used that way. Go back and use the page’s "
                                    "buttons and links."),
    409: ("Someone else got there first", "The case changed while you were working on it. "
                                          "Reload the page to see where it stands now."),
    413: ("That is too large", "What you sent is larger than Baton accepts."),
    422: ("That can’t be done", "Check what you entered and try again."),
    500: ("Something went wrong on our side", "The error has been logged. Please try again in a moment."),
}
CSRF_HINT = ("The form was open for too long, or was sent from another site. "
             "Go back, reload the page and send it again.")


def error_page(status: int, message: str | None = None):
    """An error page; views may return it too, e.g. ``return error_page(403)``."""
    title, hint = PAGES.get(status, PAGES[500 if status >= 500 else 400])
    # The top bar shows who is signed in, even on a 404 for an unknown address;
    # after a 500 the database may be what failed, so it is left alone.
    if status < 500:
        try:
            current_caller()
        except Exception:  # noqa: BLE001 - an error page must render whatever the database does
            current_app.logger.exception("could not look up the signed-in person for an error page")
    return render_template("errors/error.html", status=status, title=title, message=message,
                           hint=hint), status


def on_http_error(error: HTTPException):
    if request.path.startswith(API_PREFIX):
        return http_error_response(error)
    status = error.code or 500
    response = current_app.make_response(error_page(status, CSRF_HINT if isinstance(error, CSRFError) else None))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.errorhandler(ServiceError)
def on_service_error(error: ServiceError):
    """A service refusal in a page view: Forbidden answers 403, NotFound 404, and so on."""
    if isinstance(error, Unauthorized):
        return redirect_to_login()
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(error, cls)), 400)
    return error_page(status, error.message)


def init_error_pages(app: Flask) -> None:
    # Registered after the API's handler for the same class, so it replaces it.
    app.register_error_handler(HTTPException, on_http_error)

