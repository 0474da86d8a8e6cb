"""The auditor reads everything and changes nothing: every endpoint that
changes something, on the pages and in the API, answers 403 to an auditor,
and nothing stored changes. The endpoints come from the app's URL map, so an
endpoint added later is swept too (or must be named below, with why)."""
from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditEvent, DefinitionVersion, HumanTask, Instance, Job, db
from app.services import bulk_actions, deployments, records, users
from app.services.instance_search import InstanceFilter
from tests.support.pages import csrf_token
from tests.support.widgets import WIDGETS, signed_in, start_widget_check

CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
# Posts that change nothing of Baton's processes, cases or settings.
NOT_CHANGES = {
    "pages.login": "signing in",
    "pages.logout": "signing out",
    "pages.mark_message_read": "the reader's own read mark on a message sent to them",
}
# A well-formed body for each call that takes JSON, so that only the auditor's role stands in the way.
API_BODIES = {
    "instances.start": {"data": {}},
    "instances.migrate": {"version": 1},
    "instances.suspend": {"reason": "audit"},
    "instances.resume": {"reason": "audit"},
    "instances.terminate": {"reason": "audit"},
    "messages.send": {"name": "widget_message", "correlation": {}, "data": {}},
    "tasks.complete": {"data": {}},
    # The modeller's pages speak JSON too.
    "pages.modeller_validate": {"xml": "<definitions/>", "key": "widgets", "version": 1},
    "pages.modeller_deploy": {"xml": "<definitions/>", "key": "widgets", "version": 1},
}


def change_endpoints(app) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of every changing route, static files aside."""
    return sorted((method, rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  for method in rule.methods & CHANGES if rule.endpoint != "static")


def url_for_rule(app, endpoint: str, case: dict) -> str:
    """The route's URL with real ids: the case, its open task, its process."""
    rule = next(r for r in app.url_map.iter_rules(endpoint=endpoint))
    known = {"instance_id": case["instance_id"], "task_id": case["task_id"], "key": "widgets",
             "version": 1, "incident_id": 1, "message_id": 1, "bulk_id": 1}
    values = {name: known.get(name, 1) for name in rule.arguments}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(endpoint, values, method=None)


def stored_state(app) -> dict:
    with app.app_context():
        count = {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (AuditEvent, DefinitionVersion, HumanTask, Instance, Job)}
        case = db.session.scalars(sa.select(Instance)).one()
        task = db.session.scalars(sa.select(HumanTask)).one()
        state = {**count, "status": case.status, "version": case.definition_version,
                 "claimed_by": task.assignee, "task_state": task.state}
        db.session.remove()
    return state


def test_every_change_endpoint_answers_403_to_an_auditor_and_changes_nothing(app, client):
    case = start_widget_check(app)
    with app.app_context():
        token = users.add_user("audrey", role="auditor")[1]
    before = stored_state(app)
    signed_in(client, "audrey")
    csrf = csrf_token(client.get("/inbox").data)

    endpoints = change_endpoints(app)
    names = {endpoint for _, _, endpoint in endpoints}
    assert set(NOT_CHANGES) <= names, "an exempt endpoint no longer exists: drop it from NOT_CHANGES"
    assert len(endpoints) >= 25 and "instances.migrate" in names and "pages.modeller_deploy" in names
    answers = {}
    for method, _, endpoint in endpoints:
        if endpoint in NOT_CHANGES:
            continue
        url = url_for_rule(app, endpoint, case)
        if url.startswith("/api/"):
            response = client.open(url, method=method, json=API_BODIES.get(endpoint, {}),
                                   headers={"Authorization": f"Bearer {token}"})
        elif endpoint in API_BODIES:
            response = client.open(url, method=method, json=API_BODIES[endpoint], headers={"X-CSRFToken": csrf})
        else:
            response = client.open(url, method=method, data={"csrf_token": csrf, "reason": "audit"},
                                   headers={"X-CSRFToken": csrf})
        answers[f"{method} {url}"] = response.status_code
        if response.status_code == 403 and url.startswith("/api/"):
            assert response.get_json()["error"] == "forbidden"
        elif response.status_code == 403:
            assert "Traceback" not in response.get_data(as_text=True)

    assert {call: status for call, status in answers.items() if status != 403} == {}
    assert stored_state(app) == before


# What the auditor opens, with the arguments each page needs; {case}, {task} are filled in.
READS = {
    "pages.admin": "/admin", "pages.catalogue": "/catalogue",
    "pages.start_service": "/catalogue/widgets", "pages.inbox": "/inbox", "pages.instances": "/instances",
    "pages.instance": "/instances/{case}", "pages.audit_trail_page": "/instances/{case}/audit-trail",
    "pages.audit_trail": "/instances/{case}/audit-trail.csv", "pages.instance_diagram": "/instances/{case}/diagram.bpmn",
    "pages.bulk_action": "/instances/bulk/{bulk}", "pages.messages": "/messages", "pages.my_requests": "/requests", "pages.task": "/tasks/{task}",
    "pages.processes": "/processes", "pages.process_history": "/processes/widgets",
    "pages.process_doc": "/processes/widgets/versions/1",
    "pages.process_version_diagram": "/processes/widgets/versions/1/diagram.bpmn",
    "pages.process_doc_html": "/processes/widgets/versions/1/documentation.html",
    "pages.process_doc_pdf": "/processes/widgets/versions/1/documentation.pdf",
    "pages.process_diff": "/processes/widgets/diff?from=1&to=2",
    "pages.records": "/records", "pages.record_collection": "/records/people", "pages.record": "/records/people/ann",
    "definitions.list_definitions": "/api/v1/definitions", "definitions.get_definition": "/api/v1/definitions/widgets",
    "definitions.get_bpmn": "/api/v1/definitions/widgets/versions/1/bpmn", "incidents.list_incidents": "/api/v1/incidents",
    "instances.list_instances": "/api/v1/instances", "instances.get_instance": "/api/v1/instances/{case}",
    "instances.history": "/api/v1/instances/{case}/history", "tasks.list_tasks": "/api/v1/tasks",
    "tasks.get_task": "/api/v1/tasks/{task}",
}
# Pages that exist only to change something: a form to deploy, edit or act on many cases.
FOR_THOSE_WHO_CHANGE = {
    "pages.deployments": "/deployments", "pages.modeller": "/modeller",
    "pages.modeller_edit": "/modeller/edit?key=widgets&version=1",
    "pages.modeller_source": "/modeller/source?key=widgets&version=1",
    "pages.bulk_confirm": "/instances/bulk/new?action=suspend", "pages.migration_check": "/instances/migration?to_version=2",
}
# The sign-in page, the front door (it sends each person on), the health check, the API's description, files.
OPEN_TO_ALL = {"pages.login", "pages.home", "meta.health_check", "api-docs.openapi_json", "static"}


def test_the_auditor_reads_every_page_and_api_resource(app, client):
    case = start_widget_check(app)
    with app.app_context():
        token = users.add_user("audrey", role="auditor")[1]
        records.put("people", "ann", {"name": "Ann"})
        files = {p.name: p.read_bytes() for p in WIDGETS.iterdir()}
        name = next(n for n in files if n.endswith(".bpmn"))
        files[name] = files[name].replace(b'name="Widget check"', b'name="Widget check, renamed"')
        deployments.deploy(files, users.get_user("olga"))   # a version 2, to compare with
        admin = users.add_user("adam", role="admin")[0]
        bulk_id = bulk_actions.start(admin, "suspend", InstanceFilter(), instance_ids=[case["instance_id"]]).id
        db.session.remove()
    reads = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert reads == set(READS) | set(FOR_THOSE_WHO_CHANGE) | OPEN_TO_ALL, "a new page: say what the auditor sees"
    signed_in(client, "audrey")

    answers = {}
    for endpoint, path in {**READS, **FOR_THOSE_WHO_CHANGE}.items():
        url = path.format(case=case["instance_id"], task=case["task_id"], bulk=bulk_id)
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        answers[endpoint] = client.get(url, headers=headers).status_code
    assert answers == {**{e: 200 for e in READS}, **{e: 403 for e in FOR_THOSE_WHO_CHANGE}}
