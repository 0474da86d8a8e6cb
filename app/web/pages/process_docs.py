"""Process documentation, for owners, auditors and admins: every deployed
process, each one's versions, a version's documentation (its diagram, every
step in flow order, its decision tables) with HTML and PDF exports to keep,
and what changed between two versions, marked on both diagrams.

The services decide who may read them (a plain user gets the 403 page).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, render_template, request

from app.engine.documentation.model import Change, VersionDiff
from app.services import documentation, documentation_export
from app.services.users import Caller

from . import bp
from .auth import login_required
from .errors import error_page

# The diff page lists changes under these headings, in this order; an area
# the describer adds later still shows, under "Other changes".
DIFF_SECTIONS = (
    ("Process", ("process",)),
    ("Lanes", ("lane",)),
    ("Steps", ("step",)),
    ("Documentation and instructions", ("documentation",)),
    ("Flows and conditions", ("flow", "condition")),
    ("Forms and fields", ("form", "form field")),
    ("Timers", ("timer",)),
    ("Hooks", ("hook",)),
    ("Decision rules", ("decision table", "decision rule")),
)


@dataclass(frozen=True)
class DiffSection:
    title: str
    changes: tuple[Change, ...]


def diff_sections(diff: VersionDiff) -> list[DiffSection]:
    """The changes grouped by area, empty areas left out."""
    sections, placed = [], set()
    for title, areas in DIFF_SECTIONS:
        changes = tuple(c for c in diff.changes if c.area in areas)
        placed.update(areas)
        if changes:
            sections.append(DiffSection(title, changes))
    others = tuple(c for c in diff.changes if c.area not in placed)
    if others:
        sections.append(DiffSection("Other changes", others))
    return sections


@bp.route("/processes")
@login_required
def processes(caller: Caller):
    return render_template("processes/index.html", processes=documentation.processes(caller))


@bp.route("/processes/<key>")
@login_required
def process_history(key: str, caller: Caller):
    versions = documentation.history(key, caller)
    return render_template("processes/history.html", key=key, versions=versions, latest=versions[-1])


@bp.route("/processes/<key>/versions/<int:version>")
@login_required
def process_doc(key: str, version: int, caller: Caller):
    return render_template("processes/documentation.html", page=documentation_export.printable(key, version, caller))


@bp.route("/processes/<key>/versions/<int:version>/diagram.bpmn")
@login_required
def process_version_diagram(key: str, version: int, caller: Caller):
    diagram = documentation_export.version_diagram(key, version, caller)
    response = Response(diagram.xml, mimetype="application/xml")
    # A version never changes: the browser may keep it, but asks (private: readers only).
    response.set_etag(diagram.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


def _export_html(key: str, version: int, caller: Caller) -> str:
    # The export carries the page's own stylesheet inline: one look, kept in one file.
    styles = (Path(current_app.static_folder) / "css" / "documentation.css").read_text(encoding="utf-8")
    return render_template("processes/export.html", page=documentation_export.printable(key, version, caller),
                           styles=styles)


def _attachment(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/processes/<key>/versions/<int:version>/documentation.html")
@login_required
def process_doc_html(key: str, version: int, caller: Caller):
    return _attachment(_export_html(key, version, caller), "text/html", f"{_file_stem(key, version)}.html")


@bp.route("/processes/<key>/versions/<int:version>/documentation.pdf")
@login_required
def process_doc_pdf(key: str, version: int, caller: Caller):
    pdf = documentation_export.to_pdf(_export_html(key, version, caller))
    return _attachment(pdf, "application/pdf", f"{_file_stem(key, version)}.pdf")


def _file_stem(key: str, version: int) -> str:
    # A process id is an XML NCName: letters, digits, "-", "_" and "."; a quote
    # cannot reach the header, but keep the name plain whatever the id is.
    plain = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
    return f"{plain}-v{version}"


def _version_arg(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@bp.route("/processes/<key>/diff")
@login_required
def process_diff(key: str, caller: Caller):
    from_version, to_version = _version_arg("from"), _version_arg("to")
    if from_version is None or to_version is None:
        return error_page(400, "Choose two versions to compare: “from” and “to” must be version numbers, "
                               f"e.g. /processes/{key}/diff?from=1&to=2.")
    before, after, diff = documentation.compare(key, from_version, to_version, caller)
    return render_template("processes/diff.html", key=key, before=before, after=after, diff=diff,
                           sections=diff_sections(diff), before_marks=_ids_by_kind(diff.marks_before()),
                           after_marks=_ids_by_kind(diff.marks_after()))


def _ids_by_kind(marks: dict[str, str]) -> dict[str, str]:
    """{"added": "id id", ...}: the data- attributes documentation.js marks the diagram with."""
    return {kind: " ".join(i for i, k in marks.items() if k == kind) for kind in ("added", "changed", "removed")}
