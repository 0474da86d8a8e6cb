"""Small BPMN diagrams written by tests: a straight line of steps, laid out
left to right with diagram interchange, so each test can say in one line
what process it needs."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
          'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
          'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
          'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
          'id="{pid}_defs" targetNamespace="http://baton.example/tests">\n')


def user(task_id: str, name: str, **attrs: str) -> tuple:
    """A user task; keyword arguments become attributes (``camunda_assignee`` → ``camunda:assignee``)."""
    return ("userTask", task_id, name, attrs, None)


def script(task_id: str, name: str, code: str) -> tuple:
    return ("scriptTask", task_id, name, {}, code)


def linear_process(pid: str, *steps: tuple, name: str | None = None, properties: dict[str, str] | None = None) -> bytes:
    """start → steps... → end, as BPMN bytes; ``properties`` become the process's
    Camunda extension properties."""
    nodes = [("startEvent", "start", "Start", {}, None), *steps, ("endEvent", "end", "End", {}, None)]
    body, shapes = [], []
    for i, (kind, node_id, label, attrs, code) in enumerate(nodes):
        attr_text = "".join(f" {k.replace('_', ':', 1)}={quoteattr(v)}" for k, v in attrs.items())
        inner = f"<bpmn:incoming>f{i}</bpmn:incoming>" if i else ""
        inner += f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing>" if i < len(nodes) - 1 else ""
        if code is not None:
            inner += f"<bpmn:script>{escape(code)}</bpmn:script>"
        body.append(f'    <bpmn:{kind} id="{node_id}" name={quoteattr(label)}{attr_text}>{inner}</bpmn:{kind}>')
        x = 100 + i * 150
        w, h, y = (36, 36, 100) if kind.endswith("Event") else (100, 80, 78)
        shapes.append(f'      <bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}">'
                      f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
    for i in range(1, len(nodes)):
        body.append(f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{nodes[i - 1][1]}" targetRef="{nodes[i][1]}"/>')
        shapes.append(f'      <bpmndi:BPMNEdge id="f{i}_di" bpmnElement="f{i}"><di:waypoint x="{100 + (i - 1) * 150 + 100}" '
                      f'y="118"/><di:waypoint x="{100 + i * 150}" y="118"/></bpmndi:BPMNEdge>')
    text = (HEADER.format(pid=pid)
            + f'  <bpmn:process id="{pid}" name={quoteattr(name or pid)} isExecutable="true">\n'
            + _properties(properties)
            + "\n".join(body) + "\n  </bpmn:process>\n"
            + f'  <bpmndi:BPMNDiagram id="{pid}_diagram"><bpmndi:BPMNPlane id="{pid}_plane" bpmnElement="{pid}">\n'
            + "\n".join(shapes) + "\n  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")
    return text.encode()


def _properties(properties: dict[str, str] | None) -> str:
    if not properties:
        return ""
    return ("    <bpmn:extensionElements><camunda:properties>"
            + "".join(f"<camunda:property name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in properties.items())
            + "</camunda:properties></bpmn:extensionElements>\n")


def service_process(pid: str, hook: str, params: dict[str, str], *, retries: int | None = None,
                    result: str = "answer", name: str | None = None) -> bytes:
    """start → one service task ("call") naming ``hook`` (spiff dialect; each
    parameter a Python expression over the data) → end, as BPMN bytes."""
    parameters = "".join(f'<spiffworkflow:parameter id="{k}" type="str" value={quoteattr(v)} />'
                         for k, v in params.items())
    retry = f'<spiffworkflow:retry retries="{retries}" />' if retries is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="{pid}_defs"
    targetNamespace="http://baton.example/tests">
  <bpmn:process id="{pid}" name={quoteattr(name or pid)} isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call" name="Call the service">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{hook}" resultVariable="{result}">
          <spiffworkflow:parameters>{parameters}</spiffworkflow:parameters>{retry}
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()
