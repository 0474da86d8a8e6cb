"""Finding cases for the Instances page: every filter alone and combined, on
SQLite and PostgreSQL (the data-value filter compares JSON values as text on
both), paging, bad filter values named by field, and who may search."""
from __future__ import annotations

from datetime import date

import pytest

from app.services import instance_search, instances
from app.services.errors import Forbidden, InvalidData
from app.services.instance_search import InstanceFilter
from tests.support.bpmn import linear_process, user


@pytest.fixture
def cases(app_ctx, deploy, make_user, clock):
    """alpha v1 (5 Jan), alpha v2 (7 Jan), beta suspended (9 Jan): {name: id}."""
    admin = make_user("root", role="admin")
    ann = make_user("ann")
    deploy({"alpha.bpmn": linear_process("alpha", user("check", "Check"))})
    first = instances.start_instance("alpha", ann, business_key="LAP-1",
                                     data={"model": "X1", "count": 5, "rush": True})
    clock.advance(days=2)
    deploy({"alpha.bpmn": linear_process("alpha", user("check", "Check it"))})
    second = instances.start_instance("alpha", ann, business_key="lap-22", data={"model": "X2", "count": 7.5})
    clock.advance(days=2)
    deploy({"beta.bpmn": linear_process("beta", user("look", "Look"))})
    third = instances.start_instance("beta", ann, data={"model": "X1", "rush": False})
    instances.change_status(third.id, "suspend", admin)
    return {"admin": admin, "a1": first.id, "a2": second.id, "b1": third.id}


def _found(cases, **form) -> list[str]:
    page = instance_search.search(cases["admin"], InstanceFilter.from_form(form))
    names = {v: k for k, v in cases.items() if k != "admin"}
    return [names[i.id] for i in page.rows]


def test_each_filter_alone_and_combined(cases):
    assert _found(cases) == ["b1", "a2", "a1"]                      # newest first
    assert _found(cases, process="alpha") == ["a2", "a1"]
    assert _found(cases, process="alpha", version="2") == ["a2"]
    assert _found(cases, version="1") == ["b1", "a1"]
    assert _found(cases, status="suspended") == ["b1"]
    assert _found(cases, status="running", process="beta") == []
    assert _found(cases, business_key="lap") == ["a2", "a1"]       # contains, in any case
    assert _found(cases, business_key="-22") == ["a2"]
    assert _found(cases, business_key="%") == []                    # a wildcard is a character
    assert _found(cases, started_from="2026-01-07") == ["b1", "a2"]
    assert _found(cases, started_to="2026-01-07") == ["a2", "a1"]   # the whole last day
    assert _found(cases, started_from="2026-01-07", started_to="2026-01-07") == ["a2"]


def test_a_value_in_the_data_matches_as_text(cases):
    assert _found(cases, variable="model", value="X1") == ["b1", "a1"]
    assert _found(cases, variable="count", value="5") == ["a1"]     # a number
    assert _found(cases, variable="count", value="7.5") == ["a2"]
    assert _found(cases, variable="rush", value="true") == ["a1"]   # a boolean
    assert _found(cases, variable="rush", value="false") == ["b1"]
    assert _found(cases, variable="model", value="x1") == []
    assert _found(cases, variable="missing", value="X1") == []
    assert _found(cases, variable="model", value="X1", process="alpha", status="running") == ["a1"]


def test_pages_and_every_matching_id(cases, monkeypatch):
    monkeypatch.setattr(instance_search, "PER_PAGE", 2)
    first = instance_search.search(cases["admin"], InstanceFilter(), page=1)
    last = instance_search.search(cases["admin"], InstanceFilter(), page=9)     # past the end: the last
    assert (first.total, first.pages, [i.id for i in first.rows]) == (3, 2, [cases["b1"], cases["a2"]])
    assert (last.page, [i.id for i in last.rows]) == (2, [cases["a1"]])
    assert instance_search.matching_ids(cases["admin"], InstanceFilter(process="alpha")) == [cases["a1"], cases["a2"]]
    choices = instance_search.processes(cases["admin"])
    assert [(p.key, p.versions) for p in choices] == [("alpha", (2, 1)), ("beta", (1,))]


def test_bad_filter_values_are_named_by_field():
    with pytest.raises(InvalidData) as refused:
        InstanceFilter.from_form({"version": "two", "started_from": "2026-13-01", "started_to": "yesterday",
                                  "variable": "a.b", "status": "sleeping"})
    assert set(refused.value.fields) == {"version", "started_from", "started_to", "variable", "status"}
    assert "YYYY-MM-DD" in refused.value.fields["started_from"][0]
    with pytest.raises(InvalidData) as backwards:
        InstanceFilter.from_form({"started_from": "2026-02-01", "started_to": "2026-01-01"})
    assert list(backwards.value.fields) == ["started_to"]
    with pytest.raises(InvalidData) as unnamed:
        InstanceFilter.from_form({"value": "X1"})
    assert list(unnamed.value.fields) == ["variable"]
    read = InstanceFilter.from_form({"version": " 3 ", "started_to": "2026-01-31", "variable": "model", "value": ""})
    assert (read.version, read.started_to, read.args()) == (3, date(2026, 1, 31), {
        "version": "3", "started_to": "2026-01-31", "variable": "model"})


def test_only_admins_and_auditors_search(cases, make_user):
    auditor = make_user("audrey", role="auditor")
    assert instance_search.search(auditor, InstanceFilter()).total == 3
    with pytest.raises(Forbidden):
        instance_search.search(make_user("dave"), InstanceFilter())
