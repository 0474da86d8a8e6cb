"""Process documentation pages: the processes, a process's versions, a
version's documentation with its self-contained HTML and PDF exports, and the
diff of two versions; read by owners, auditors and admins, by nobody else."""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pytest

from app.models import db
from app.services import deployments, users
from tests.support.pages import sign_in
from tests.support.widgets import html, one

PASSWORD = "secret"


def review_process(review_name: str, condition: str) -> bytes:
    """start → review (a user task with a one-field form) → approved? → tell / end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="defs" targetNamespace="http://baton.example/tests">
  <bpmn:process id="purchase" name="Purchase approval" isExecutable="true">
    <bpmn:documentation>Someone asks to buy something; a manager says yes or no.</bpmn:documentation>
    <bpmn:startEvent id="start" name="Asked"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="{review_name}" camunda:candidateGroups="managers">
      <bpmn:documentation>Read the request and decide.</bpmn:documentation>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="approved" label="Approve it?" type="boolean" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="decide" name="Approved?" default="f_no">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="bought" name="Bought"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="refused" name="Refused"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="decide" />
    <bpmn:sequenceFlow id="f_yes" name="Yes" sourceRef="decide" targetRef="bought">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" name="No" sourceRef="decide" targetRef="refused" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="purchase">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="190" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="decide_di" bpmnElement="decide" isMarkerVisible="true"><dc:Bounds x="345" y="93" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="bought_di" bpmnElement="bought"><dc:Bounds x="452" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="refused_di" bpmnElement="refused"><dc:Bounds x="452" y="200" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="190" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="290" y="118" /><di:waypoint x="345" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f_yes_di" bpmnElement="f_yes"><di:waypoint x="395" y="118" /><di:waypoint x="452" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f_no_di" bpmnElement="f_no"><di:waypoint x="370" y="143" /><di:waypoint x="370" y="218" /><di:waypoint x="452" y="218" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>""".encode()


@pytest.fixture
def purchase(app):
    """Two versions of the purchase process: v2 renames the review and tightens the condition."""
    with app.app_context():
        owner, _ = users.add_user("olga", role="owner", password=PASSWORD)
        users.add_user("audrey", role="auditor", password=PASSWORD)
        users.add_user("dave", password=PASSWORD)
        deployments.deploy({"purchase.bpmn": review_process("Review request", "${approved}")}, owner)
        deployments.deploy({"purchase.bpmn": review_process("Review the purchase", "${approved and amount < 1000}")},
                           owner)
        db.session.remove()


def signed_in(client, name: str):
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def test_the_processes_and_the_versions_of_one(client, purchase):
    signed_in(client, "audrey")
    overview = html(client.get("/processes"))
    row = one(overview, "//table[contains(@class, 'doc-processes')]/tbody/tr")
    cells = [td.text_content().split() for td in row.xpath("td")]
    assert cells[0] == ["Purchase", "approval"] and cells[1] == ["purchase"] and cells[2] == ["2", "versions"]
    assert "by olga" in row.text_content()
    assert one(row, ".//a[text()='Purchase approval']").get("href") == "/processes/purchase/versions/2"
    assert one(overview, "//nav//a[@aria-current='page']").text == "Processes"

    history = html(client.get("/processes/purchase"))
    versions = history.xpath("//table[contains(@class, 'doc-versions')]/tbody/tr")
    assert [one(r, ".//a").get("href") for r in versions] == ["/processes/purchase/versions/1",
                                                               "/processes/purchase/versions/2"]
    full_hash = one(versions[0], ".//code").get("title")
    assert len(full_hash) == 64 and one(versions[0], ".//code").text == full_hash[:12]
    assert [o.get("value") for o in history.xpath("//select[@name='from']/option[@selected]")] == ["1"]
    assert [o.get("value") for o in history.xpath("//select[@name='to']/option[@selected]")] == ["2"]
    assert one(history, "//form[@class='doc-compare']").get("action") == "/processes/purchase/diff"


def test_a_version_documents_every_step_in_flow_order(client, purchase):
    signed_in(client, "olga")
    page = html(client.get("/processes/purchase/versions/2"))
    assert one(page, "//h1").text == "Purchase approval"
    steps = page.xpath("//article[contains(@class, 'doc-step')]")
    assert [s.get("id") for s in steps] == ["step-start", "step-review", "step-decide", "step-bought", "step-refused"]
    review = one(page, "//article[@id='step-review']").text_content()
    assert "Review the purchase" in review and "Read the request and decide." in review and "managers" in review
    assert "Approve it?" in review
    decide = one(page, "//article[@id='step-decide']")
    assert "approved and amount < 1000" in one(decide, ".//code[@class='doc-condition']").text
    assert "default" in decide.text_content()
    box = one(page, "//div[@data-doc-diagram]")
    assert box.get("data-doc-diagram") == "/processes/purchase/versions/2/diagram.bpmn"
    assert page.xpath("//figure[contains(@class, 'doc-print-only')]/svg")
    links = {a.text.strip(): a.get("href") for a in page.xpath("//div[@class='actions']/a")}
    assert links["Export HTML"] == "/processes/purchase/versions/2/documentation.html"
    assert links["Export PDF"] == "/processes/purchase/versions/2/documentation.pdf"
    assert links["Compare with previous"] == "/processes/purchase/diff?from=1&to=2"
    xml = client.get(box.get("data-doc-diagram"))
    assert xml.mimetype == "application/xml" and b'name="Review the purchase"' in xml.data
    assert "Compare with previous" not in html(client.get("/processes/purchase/versions/1")).text_content()
    assert client.get("/processes/purchase/versions/3").status_code == 404


def test_the_html_export_is_one_self_contained_file(client, purchase):
    signed_in(client, "audrey")
    response = client.get("/processes/purchase/versions/1/documentation.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="purchase-v1.html"'
    text = response.get_data(as_text=True)
    references = re.findall(r'''\b(?:src|href)\s*=\s*["']?([^"'\s>]*)''', text, flags=re.I)
    assert references and all(ref.startswith("#") for ref in references), references
    assert "<script" not in text.lower() and "@import" not in text and "url(http" not in text
    page = html(response)
    assert page.xpath("//figure[@class='doc-svg']/svg//*[@data-element-id='review']")
    for name in ("Asked", "Review request", "Approved?", "Bought", "Refused"):
        assert page.xpath(f"//article[contains(@class, 'doc-step')]//h3[text()='{name}']"), name
    assert ".doc-step" in one(page, "//head/style").text   # the page's own stylesheet, inline


def test_the_pdf_export(client, purchase):
    signed_in(client, "olga")
    response = client.get("/processes/purchase/versions/2/documentation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="purchase-v2.pdf"'
    assert response.data.startswith(b"%PDF") and len(response.data) > 5_000


def test_the_diff_lists_what_changed_by_area_and_marks_the_diagrams(client, purchase):
    signed_in(client, "audrey")
    page = html(client.get("/processes/purchase/diff?from=1&to=2"))
    sections = {one(s, "h3").text: s for s in page.xpath("//div[@class='doc-section-changes']")}
    renamed = one(sections["Steps"], ".//li[.//a[@data-element-id='review']]").text_content()
    assert "Review request" in renamed and "Review the purchase" in renamed
    condition = one(sections["Flows and conditions"], ".//li[.//a[@data-element-id='f_yes']]")
    assert [c.text for c in condition.xpath(".//code")] == ["${approved}", "${approved and amount < 1000}"]
    before, after = page.xpath("//div[@data-doc-diagram]")
    assert before.get("data-doc-diagram").endswith("/versions/1/diagram.bpmn")
    assert set(after.get("data-changed").split()) == {"review", "f_yes"} and after.get("data-added") == ""
    assert set(before.get("data-changed").split()) == {"review", "f_yes"}

    same = html(client.get("/processes/purchase/diff?from=2&to=2"))
    assert client.get("/processes/purchase/diff?from=2&to=2").status_code == 422
    assert "itself" in same.text_content()
    assert client.get("/processes/purchase/diff?from=1&to=9").status_code == 404
    bad = client.get("/processes/purchase/diff?from=one&to=2")
    assert bad.status_code == 400 and "version numbers" in bad.get_data(as_text=True)
    assert client.get("/processes/purchase/diff").status_code == 400


def test_versions_that_differ_only_in_layout_have_no_differences(client, purchase, app):
    moved = review_process("Review the purchase", "${approved and amount < 1000}").replace(
        b'x="452" y="200"', b'x="452" y="260"')
    with app.app_context():
        deployments.deploy({"purchase.bpmn": moved}, users.user_for_password("olga", PASSWORD))
        db.session.remove()
    signed_in(client, "olga")
    page = html(client.get("/processes/purchase/diff?from=2&to=3"))
    assert one(page, "//h2[@id='same-title']").text == "No differences"
    assert not page.xpath("//div[@data-doc-diagram]")


def test_people_who_only_work_on_cases_may_not_read_it(client, purchase):
    signed_in(client, "dave")
    for path in ("/processes", "/processes/purchase", "/processes/purchase/versions/1",
                 "/processes/purchase/versions/1/diagram.bpmn", "/processes/purchase/versions/1/documentation.html",
                 "/processes/purchase/versions/1/documentation.pdf", "/processes/purchase/diff?from=1&to=2"):
        assert client.get(path).status_code == 403, path
    assert "Processes" not in [a.text for a in html(client.get("/processes")).xpath("//nav//a")]


def test_a_version_number_past_any_stored_one_is_not_found(client, purchase):
    signed_in(client, "audrey")
    assert client.get("/processes/purchase/versions/99999999999").status_code == 404


def test_owners_are_offered_deploying_and_the_modeller_and_auditors_are_not(client, purchase):
    for who, offered in (("olga", True), ("audrey", False)):
        client.delete_cookie("baton_session")
        signed_in(client, who)
        listing = html(client.get("/processes"))
        assert bool(listing.xpath("//a[@href='/deployments']")) is offered
        assert bool(listing.xpath("//a[@href='/modeller']")) is offered
        doc = html(client.get("/processes/purchase/versions/2"))
        assert bool(doc.xpath("//a[@href='/modeller/edit?key=purchase&version=2']")) is offered
