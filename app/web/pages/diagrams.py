"""Diagrams on pages: the BPMN XML of a case's process, served to bpmn-js
under the session's permissions, and the steps its markers colour.

A page draws a diagram with ``partials/_diagram.html``, which hands
``static/js/diagram.js`` the XML's address and the marked steps as data-
attributes (the CSP allows no inline script).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request

from app.models import Instance
from app.services import case_progress, diagrams
from app.services.users import Caller

from . import bp
from .auth import login_required


@dataclass(frozen=True)
class Markers:
    """BPMN ids to mark: each step is in one group, failed over active over completed;
    ``flows`` are the sequence flows the case went along."""

    completed: tuple[str, ...] = ()
    active: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()


def markers_for(instance: Instance, waiting_at: tuple[str, ...] = ()) -> Markers:
    """What a case's diagram marks: steps done, steps waiting (for people, or at
    ``waiting_at``: timers, messages, the worker), steps that failed.

    A loop runs a step again, so a step may be done and active at once; the
    diagram shows what it is now.
    """
    failed = tuple(dict.fromkeys(i.element for i in instance.open_incidents if i.element))
    active = tuple(dict.fromkeys(s for s in [*(t.bpmn_id for t in instance.open_tasks), *waiting_at]
                                 if s not in failed))
    completed = tuple(s for s in dict.fromkeys(instance.completed_steps or []) if s not in failed and s not in active)
    return Markers(completed=completed, active=active, failed=failed, flows=case_progress.flows_taken(instance))


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def instance_diagram(instance_id: int, caller: Caller):
    diagram = diagrams.instance_diagram(instance_id, caller)
    response = Response(diagram.xml, mimetype="application/xml")
    # A version's XML never changes: the browser may keep it but asks each time
    # (private: it is only shown to people who may see the case).
    response.set_etag(diagram.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
