"""draw_svg on small diagrams: marks, titles, errors for what is not a BPMN
diagram, and odd but valid input drawn without a traceback."""
from __future__ import annotations

import pytest
from lxml import etree

from app.engine.drawing import DrawingError, draw_svg
from tests.support.bpmn import linear_process, user

SVG = "{http://www.w3.org/2000/svg}"
DEFS = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">')


def diagram(process: str, plane: str) -> str:
    return (f'{DEFS}<bpmn:process id="p">{process}</bpmn:process>'
            f'<bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="p">{plane}'
            f'</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')


def shape(element_id: str, x=100, y=100, w=100, h=80, extra: str = "", label: str = "") -> str:
    return (f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}"{extra}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>{label}</bpmndi:BPMNShape>')


def groups(svg: str) -> dict[str, etree._Element]:
    root = etree.fromstring(svg)
    return {g.get("data-element-id"): g for g in root.iter(f"{SVG}g") if g.get("data-element-id")}


def test_a_process_is_drawn_with_a_group_per_element_and_titles():
    svg = draw_svg(linear_process("p", user("review", "Review the claim")))
    assert svg.startswith("<svg") and "<?xml" not in svg
    drawn = groups(svg)
    assert set(drawn) == {"start", "review", "end", "f1", "f2"}
    review = drawn["review"]
    assert review.get("class") == "bpmn-element bpmn-userTask"
    assert review.find(f"{SVG}title").text == "Review the claim"
    assert "foreignObject" not in svg and "href" not in svg


def test_marks_become_classes_that_the_svgs_own_style_colours():
    svg = draw_svg(linear_process("p", user("a", "A"), user("b", "B")),
                   {"a": "added", "b": "removed", "f2": "changed", "start": "Completed!"})
    drawn = groups(svg)
    assert "mark-added" in drawn["a"].get("class").split()
    assert "mark-removed" in drawn["b"].get("class").split()
    assert "mark-changed" in drawn["f2"].get("class").split()
    assert "mark-completed-" in drawn["start"].get("class").split()   # made a safe class name
    assert "mark-" not in drawn["end"].get("class")
    style = etree.fromstring(svg).find(f"{SVG}style").text
    assert ".mark-added .outline{stroke:#1a7f37" in style
    assert ".mark-removed .outline{stroke:#cf222e" in style and "stroke-dasharray" in style


def test_text_that_is_not_bpmn_is_refused():
    with pytest.raises(DrawingError, match="not readable XML"):
        draw_svg("this is not xml")
    with pytest.raises(DrawingError, match="not a BPMN 2.0 file"):
        draw_svg(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(DrawingError, match="DOCTYPE"):
        draw_svg('<!DOCTYPE x [<!ENTITY a "b">]><x/>')


def test_a_file_without_diagram_interchange_is_refused():
    bare = f'{DEFS}<bpmn:process id="p"><bpmn:task id="t"/></bpmn:process></bpmn:definitions>'
    with pytest.raises(DrawingError, match="no diagram interchange"):
        draw_svg(bare)
    with pytest.raises(DrawingError, match="no diagram 1"):
        draw_svg(linear_process("p"), diagram=1)


def test_odd_but_valid_input_is_drawn():
    process = ('<bpmn:task id="nobounds" name="No bounds"/>'
               '<bpmn:endEvent id="e" name="Labelled"/>'
               '<bpmn:complexGateway id="g"/>'
               '<bpmn:subProcess id="sub" name="Sub"/>'
               '<bpmn:sequenceFlow id="one_point" sourceRef="g" targetRef="e"/>')
    plane = ('<bpmndi:BPMNShape id="nb_di" bpmnElement="nobounds"/>'
             + shape("e", w=0, h=0, label='<bpmndi:BPMNLabel/>')
             + shape("g", w=50, h=50, extra=' isMarkerVisible="maybe"')
             + shape("sub", extra=' isExpanded="true"')
             + shape("ghost")                                     # refers to nothing
             + '<bpmndi:BPMNShape id="nameless"><dc:Bounds x="1" y="2" width="x" height="3"/></bpmndi:BPMNShape>'
             + '<bpmndi:BPMNEdge id="one_di" bpmnElement="one_point"><di:waypoint x="5" y="5"/></bpmndi:BPMNEdge>'
             + '<bpmndi:BPMNEdge id="empty_di" bpmnElement="one_point"/>')
    drawn = groups(draw_svg(diagram(process, plane)))
    assert set(drawn) == {"nobounds", "e", "g", "sub", "ghost", "nameless", "one_point"}
    assert drawn["ghost"].get("class") == "bpmn-element bpmn-unknown"
    assert drawn["ghost"].find(f"{SVG}rect") is not None           # a plain box
    assert drawn["nobounds"].find(f"{SVG}title").text == "No bounds"


def test_an_empty_diagram_is_an_empty_drawing():
    svg = draw_svg(diagram("", ""))
    assert groups(svg) == {}
    assert etree.fromstring(svg).get("viewBox")


def test_a_collapsed_sub_process_gets_its_marker_and_an_expanded_one_its_name_on_top():
    process = '<bpmn:subProcess id="open" name="Open"/><bpmn:subProcess id="shut" name="Shut"/>'
    plane = (shape("open", 0, 0, 300, 200, ' isExpanded="true"')
             + shape("shut", 400, 0, 100, 80, ' isExpanded="false"'))
    drawn = groups(draw_svg(diagram(process, plane)))
    open_name = drawn["open"].find(f".//{SVG}text")
    assert open_name.get("text-anchor") == "start"
    assert len(drawn["shut"].findall(f".//{SVG}g")) == 1 and len(drawn["open"].findall(f".//{SVG}g")) == 0


def test_names_are_wrapped_to_the_box():
    process = '<bpmn:task id="t" name="A rather long task name that cannot fit on one line"/>'
    drawn = groups(draw_svg(diagram(process, shape("t"))))
    lines = [span.text for span in drawn["t"].iter(f"{SVG}tspan")]
    assert len(lines) > 2 and " ".join(lines) == "A rather long task name that cannot fit on one line"


def test_text_with_a_declaration_of_another_encoding_keeps_its_letters():
    xml = ('<?xml version="1.0" encoding="ISO-8859-1"?>'
           + diagram('<bpmn:task id="t" name="Prüfung übernehmen"/>', shape("t")))
    assert "Prüfung" in draw_svg(xml)
    assert "Prüfung" in draw_svg(xml.replace("ISO-8859-1", "UTF-8").encode("utf-8"))
