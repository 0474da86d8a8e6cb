"""The bar every shipped diagram must meet (../shared/PROCESSES.md): documented,
named in plain language, lanes named after the groups that do the work, and
drawn for people to read — every element has a shape, nothing overlaps, flows
join their shapes with straight horizontal and vertical segments, run left to
right (a flow back to an earlier step, a loop, may run right to left), do
not cut through other shapes and do not cross each other.

Every flow, too, says in its documentation why a case takes it.

``diagram_problems(path)`` lists what a diagram gets wrong, one line each, so
a failing test says everything at once.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}
BPMN = f"{{{NS['bpmn']}}}"

# The groups of ../shared/PROCESSES.md; lanes are named after them.
GROUPS = {"requester", "service-desk", "resolver", "manager", "finance", "hr", "it-ops", "security",
          "asset-team", "cab", "release-team", "qa", "knowledge-owner", "case-manager", "problem-manager",
          "it-director", "emergency-board", "procurement", "development", "stakeholder"}

NOT_FLOW_NODES = {"laneSet", "sequenceFlow", "documentation", "extensionElements", "dataObject",
                  "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "ioSpecification",
                  "property"}
HUMAN_TASKS = {"userTask", "manualTask"}


def local(element) -> str:
    return etree.QName(element).localname


def _box(shape) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _touches(point, box) -> bool:
    """On the border of the box (waypoints start and end on the shapes they join)."""
    x, y = point
    within = box[0] <= x <= box[2] and box[1] <= y <= box[3]
    return within and (x in (box[0], box[2]) or y in (box[1], box[3]))


def flow_nodes(process) -> list:
    return [el for el in process if isinstance(el.tag, str) and el.get("id") and local(el) not in NOT_FLOW_NODES]


def diagram_problems(path: Path) -> list[str]:
    root = etree.parse(str(path)).getroot()
    problems: list[str] = []
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    for process in root.iterfind("bpmn:process", NS):
        problems += _process_problems(process, shapes, edges)
    return problems


def _process_problems(process, shapes: dict, edges: dict) -> list[str]:
    pid = process.get("id")
    problems = []
    if process.get("isExecutable") != "true":
        problems.append(f'{pid}: the process is not executable (isExecutable="true")')
    if not (process.findtext("bpmn:documentation", namespaces=NS) or "").strip():
        problems.append(f"{pid}: the process has no documentation")
    # Flows inside subprocesses too: the audit trail and the viewer name them all.
    problems += [f"{pid}: flow {flow.get('id')} has no documentation"
                 for flow in process.iter(f"{BPMN}sequenceFlow")
                 if not (flow.findtext("bpmn:documentation", namespaces=NS) or "").strip()]
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    lane_of = {ref.text: lane for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
    for lane in lanes:
        if lane.get("name") not in GROUPS:
            problems.append(f"{pid}: lane {lane.get('name')!r} is not named after a group ({', '.join(sorted(GROUPS))})")
    flows = process.findall("bpmn:sequenceFlow", NS)
    nodes = flow_nodes(process)
    for node in nodes:
        key, kind = node.get("id"), local(node)
        if not (node.findtext("bpmn:documentation", namespaces=NS) or "").strip():
            problems.append(f"{pid}: {key} has no documentation")
        splits = len(node.findall("bpmn:outgoing", NS)) > 1
        needs_name = kind != "parallelGateway" and (not kind.endswith("Gateway") or splits)
        if needs_name and not (node.get("name") or "").strip():
            problems.append(f"{pid}: {key} has no name")
        if lanes and key not in lane_of:
            problems.append(f"{pid}: {key} is in no lane")
        if kind in HUMAN_TASKS and not (lane_of.get(key) is not None
                                        or node.get(f"{{{NS['camunda']}}}candidateGroups")):
            problems.append(f"{pid}: {key} names no lane or candidate group")
        if key not in shapes:
            problems.append(f"{pid}: {key} is not drawn")
    for lane in lanes:
        if lane.get("id") not in shapes:
            problems.append(f"{pid}: lane {lane.get('id')} is not drawn")
    for flow in flows:
        if flow.get("id") not in edges:
            problems.append(f"{pid}: flow {flow.get('id')} is not drawn")
    if problems:
        return problems          # the layout checks below need every shape
    return _layout_problems(pid, process, nodes, flows, lanes, lane_of, shapes, edges)


def _layout_problems(pid, process, nodes, flows, lanes, lane_of, shapes, edges) -> list[str]:
    problems = []
    boxes = {n.get("id"): _box(shapes[n.get("id")]) for n in nodes}
    hosts = {n.get("id"): n.get("attachedToRef") for n in nodes if local(n) == "boundaryEvent"}
    for key, box in boxes.items():
        if key in lane_of and not _inside(box, _box(shapes[lane_of[key].get("id")])) and key not in hosts:
            problems.append(f"{pid}: {key} is drawn outside its lane")
    labels = {f"{key} label": _box(label) for key, el in {**shapes, **edges}.items()
              if key in boxes or key in {f.get("id") for f in flows}
              for label in el.findall("bpmndi:BPMNLabel", NS) if label.find("dc:Bounds", NS) is not None}
    drawn = list({**boxes, **labels}.items())
    for i, (a, box_a) in enumerate(drawn):
        for b, box_b in drawn[i + 1:]:
            if hosts.get(a) == b or hosts.get(b) == a:
                continue      # a boundary event sits on its task's border
            if _overlap(box_a, box_b):
                problems.append(f"{pid}: {a} overlaps {b}")
    for flow in flows:
        fid = flow.get("id")
        points = _waypoints(edges[fid])
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if len(points) < 2 or not _touches(points[0], boxes[source]) or not _touches(points[-1], boxes[target]):
            problems.append(f"{pid}: flow {fid} does not start on {source} and end on {target}")
            continue
        loop_back = boxes[target][0] < boxes[source][0]
        if not loop_back and any(b[0] < a[0] for a, b in zip(points, points[1:])):
            problems.append(f"{pid}: flow {fid} runs right to left")
        for a, b in zip(points, points[1:]):
            if a[0] != b[0] and a[1] != b[1]:
                problems.append(f"{pid}: flow {fid} has a slanted segment")
            segment = (min(a[0], b[0]) - 0.5, min(a[1], b[1]) - 0.5, max(a[0], b[0]) + 0.5, max(a[1], b[1]) + 0.5)
            for key, box in boxes.items():
                if key not in (source, target) and hosts.get(key) not in (source, target) \
                        and hosts.get(source) != key and _overlap(segment, box):
                    problems.append(f"{pid}: flow {fid} crosses {key}")
    return problems + _crossing_flows(pid, flows, edges, boxes)


def _waypoints(edge) -> list[tuple[float, float]]:
    return [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]


def _crossing_flows(pid, flows, edges, boxes) -> list[str]:
    """Flows that cross each other: a reader at the crossing cannot tell which
    way each goes on. Flows out of the same node, or into the same node, may
    share a line (they split from it or merge into it), which is no crossing;
    nor is a flow that ends on another's line. Two loops back may cross: when
    two rework loops interleave (returned to triage, reopened by the requester)
    no drawing avoids it without wrapping a flow around the rest of the diagram."""
    segments = [(flow, a, b) for flow in flows for a, b in _segments(_waypoints(edges[flow.get("id")]))]
    loops = {flow.get("id") for flow in flows
             if boxes[flow.get("targetRef")][0] < boxes[flow.get("sourceRef")][0]}
    problems = []
    for i, (flow_a, a1, a2) in enumerate(segments):
        for flow_b, b1, b2 in segments[i + 1:]:
            if flow_a is flow_b or _related(flow_a, flow_b) or {flow_a.get("id"), flow_b.get("id")} <= loops:
                continue
            point = _crossing(a1, a2, b1, b2)
            if point:
                problems.append(f"{pid}: flow {flow_a.get('id')} crosses flow {flow_b.get('id')} "
                                f"at ({_number(point[0])}, {_number(point[1])})")
    return problems


def _segments(points):
    return list(zip(points, points[1:]))


def _related(flow_a, flow_b) -> bool:
    """From the same node or into the same node: such flows may share a line."""
    return flow_a.get("sourceRef") == flow_b.get("sourceRef") or flow_a.get("targetRef") == flow_b.get("targetRef")


def _crossing(a1, a2, b1, b2) -> tuple[float, float] | None:
    """Where a horizontal segment and a vertical one cross inside both (not at an end)."""
    for (h1, h2), (v1, v2) in (((a1, a2), (b1, b2)), ((b1, b2), (a1, a2))):
        if h1[1] == h2[1] and v1[0] == v2[0]:
            x, y = v1[0], h1[1]
            if min(h1[0], h2[0]) < x < max(h1[0], h2[0]) and min(v1[1], v2[1]) < y < max(v1[1], v2[1]):
                return x, y
    return None


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
