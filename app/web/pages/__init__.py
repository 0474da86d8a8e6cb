"""The HTML pages: server-rendered Jinja, working without JavaScript, with
htmx and bpmn-js where they add something. One module per area, all on the
``pages`` blueprint (endpoints ``pages.login``, ``pages.catalogue``, ...).

Views protect themselves with ``auth.login_required`` (which passes them the
``caller``), call one service each and render a template that extends
``base.html``; service refusals become friendly error pages (``errors``).
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("pages", __name__)

# The areas register their views on ``bp`` when imported.
from . import (  # noqa: E402,F401
    admin, auth, catalogue, deployments_page, diagrams, errors, home, inbox, instance_page, instances_admin, messages,
    modeller, my_requests, process_docs, reference_data, task_page, template_helpers,
)
from .errors import init_error_pages  # noqa: E402
from .layout import init_layout  # noqa: E402


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    init_layout(app)
    init_error_pages(app)
