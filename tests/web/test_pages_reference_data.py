"""Reference data pages: the store hook's collections, one collection as a
table filtered by a field's value, and one record; read by process owners,
admins and auditors, by nobody else."""
from __future__ import annotations

import pytest

from app.models import db
from app.services import records, users
from tests.support.pages import sign_in
from tests.support.widgets import html, one

PASSWORD = "secret"


@pytest.fixture
def register(app):
    with app.app_context():
        for name, role in (("olga", "owner"), ("audrey", "auditor"), ("dave", None)):
            users.add_user(name, role=role, password=PASSWORD)
        records.put("assets", "LAP-0001", {"tag": "LAP-0001", "type": "laptop", "holder": None, "status": "available"})
        records.put("assets", "LAP-0003", {"tag": "LAP-0003", "type": "laptop", "holder": "alice",
                                           "status": "on_loan", "model": "ThinkPad <T14>"})
        records.put("assets", "MON-0007", {"tag": "MON-0007", "type": "monitor", "holder": "alice",
                                           "status": "on_loan"})
        records.put("licences", "figma", {"product": "Figma", "seats": 4, "assigned": ["sam", "alice"],
                                          "history": [{"by": "priya", "seats": 4}]})
        db.session.remove()


def signed_in(client, name: str):
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def rows(response) -> list[list[str]]:
    return [[cell.text_content().strip() for cell in row.xpath("td")]
            for row in html(response).xpath("//table[contains(@class, 'records-table')]/tbody/tr")]


def test_an_owner_finds_the_collections_and_the_records_of_one(client, register):
    signed_in(client, "olga")
    overview = client.get("/records")
    assert overview.status_code == 200
    assert rows(overview) == [["assets", "3"], ["licences", "1"]]
    assert one(html(overview), "//nav//a[@aria-current='page']").text == "Reference data"
    table = client.get("/records/assets")
    headers = [th.text for th in html(table).xpath("//table[contains(@class, 'records-table')]//th")]
    assert headers == ["Key", "holder", "model", "status", "tag", "type"]
    assert [row[0] for row in rows(table)] == ["LAP-0001", "LAP-0003", "MON-0007"]


def test_the_table_shows_the_records_whose_field_equals_a_value(client, register):
    signed_in(client, "olga")
    held = client.get("/records/assets?field=holder&value=alice")
    assert rows(held) == [["LAP-0003", "alice", "ThinkPad <T14>", "on_loan", "LAP-0003", "laptop"],
                          ["MON-0007", "alice", "", "on_loan", "MON-0007", "monitor"]]
    assert "2 records whose holder is “alice”" in html(held).text_content()
    # A number typed in the box finds the number 4 (a text box cannot say which was meant).
    assert [row[0] for row in rows(client.get("/records/licences?field=seats&value=4"))] == ["figma"]
    assert rows(client.get("/records/assets?field=holder&value=nobody")) == []
    refused = client.get('/records/assets?field=a"b&value=x')
    assert refused.status_code == 422
    assert one(html(refused), "//p[@class='field-error']").text.startswith("Field")


def test_a_record_shows_each_field_nested_ones_as_json(client, register):
    signed_in(client, "audrey")
    page = client.get("/records/licences/figma")
    assert page.status_code == 200
    doc = html(page)
    fields = dict(zip([dt.text for dt in doc.xpath("//dl/dt")], [dd.text_content() for dd in doc.xpath("//dl/dd")]))
    assert fields["assigned"] == "sam, alice" and fields["seats"] == "4"
    assert '"by": "priya"' in fields["history"] and doc.xpath("//dd/pre")
    assert "ThinkPad <T14>" in html(client.get("/records/assets/LAP-0003")).text_content()
    assert client.get("/records/licences/nothing").status_code == 404
    assert client.get("/records/nothing").status_code == 404


def test_people_who_only_work_on_cases_may_not_read_it(client, register):
    signed_in(client, "dave")
    assert "Reference data" not in [a.text for a in html(client.get("/messages")).xpath("//nav//a")]
    for path in ("/records", "/records/assets", "/records/assets/LAP-0003"):
        assert client.get(path).status_code == 403
