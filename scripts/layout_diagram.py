"""Draws a BPMN file's diagram (its BPMN DI) on a grid, for the shipped processes.

    .venv/bin/python scripts/layout_diagram.py bpmn/incident/incident.bpmn GRID.json

GRID.json places each flow node in a column (left to right) and a row of its
lane (top to bottom, from 0):

    {"pool": "incident-pool", "columns": {"report": [0, 0], "triage": [1, 0], "fix": [2, 1]}}

A row is a number or [column, row]; nodes not named keep nothing (the script
stops and lists them). The process's lanes (its laneSet, in order) are drawn
as stacked horizontal bands inside the pool, each as tall as its rows need.
Boundary events sit on the bottom edge of their task (``"boundary": {"id":
slot}`` picks 0, 1 ... from its left). Sequence flows are routed with
horizontal and vertical segments: forward flows leave a shape on its right
(on its bottom or top when the target is in another row, and on its bottom
for boundary events) and enter the next on its left; a flow back
to an earlier column (a loop) leaves from the top and runs left along the gap
above the row before coming down into its target. Every label is put under
its event (above its gateway), and flow names beside the flow's first segment.

The file is rewritten in place with a fresh BPMNDiagram; the process itself is
untouched. It exists because Python has no maintained BPMN auto-layout with
lanes (bpmn-auto-layout on npm draws no lanes), and a person tidying a diagram
in a modeller is the other way to change it: the checks in
tests/processes/diagram_checks.py apply to either.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lxml import etree

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
BPMNDI, DC, DI = (f"{{{NS[k]}}}" for k in ("bpmndi", "dc", "di"))

COLUMN = 170            # from one column's centre to the next
ROW = 130               # from one row's centre to the next, within a lane
LANE_PAD = 75           # from a lane's top to its first row's centre
POOL_X, POOL_Y = 100, 60
LANE_X = POOL_X + 30    # the pool's name band
FIRST_CENTRE = LANE_X + 90
SIZES = {"task": (110, 80), "event": (36, 36), "gateway": (50, 50)}
LABEL_W, LABEL_H = 100, 27


def kind(element) -> str:
    name = etree.QName(element).localname
    if name.endswith("Event"):
        return "event"
    if name.endswith("Gateway"):
        return "gateway"
    return "task"


def layout(path: Path, grid: dict) -> None:
    tree = etree.parse(str(path))
    root = tree.getroot()
    process = root.find("bpmn:process", NS)
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")
             and etree.QName(el).localname not in ("laneSet", "sequenceFlow", "documentation",
                                                   "extensionElements", "dataObject")}
    flows = process.findall("bpmn:sequenceFlow", NS)
    places = {k: (v if isinstance(v, list) else [v, 0]) for k, v in grid["columns"].items()}
    boundary = {k: el for k, el in nodes.items() if etree.QName(el).localname == "boundaryEvent"}
    missing = [k for k in nodes if k not in places and k not in boundary]
    if missing:
        sys.exit(f"no column for: {', '.join(missing)}")

    lane_of = {ref.text: lane.get("id") for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
    rows_in = {lane.get("id"): 1 + max([places[k][1] for k, l in lane_of.items() if l == lane.get("id")
                                        and k in places] or [0]) for lane in lanes}
    width = FIRST_CENTRE - LANE_X + COLUMN * max(c for c, _ in places.values()) + 110
    lane_box, top = {}, POOL_Y
    for lane in lanes:
        height = LANE_PAD * 2 + ROW * (rows_in[lane.get("id")] - 1) + 20
        lane_box[lane.get("id")] = (LANE_X, top, width, height)
        top += height
    pool_box = (POOL_X, POOL_Y, width + LANE_X - POOL_X, top - POOL_Y)

    centre = {}
    for key, (col, row) in places.items():
        lx, ly, _, _ = lane_box[lane_of[key]] if lanes else (LANE_X, POOL_Y, 0, 0)
        centre[key] = (FIRST_CENTRE + COLUMN * col, ly + LANE_PAD + ROW * row)
    box = {}
    for key, (cx, cy) in centre.items():
        w, h = SIZES[kind(nodes[key])]
        box[key] = (cx - w / 2, cy - h / 2, w, h)
    slots = grid.get("boundary", {})
    for key, event in boundary.items():
        hx, hy, hw, hh = box[event.get("attachedToRef")]
        slot = slots.get(key, 0)
        box[key] = (hx + 12 + 44 * slot, hy + hh - 18, 36, 36)

    diagram_root = root.find("bpmndi:BPMNDiagram", NS)
    if diagram_root is not None:
        root.remove(diagram_root)
    diagram = etree.SubElement(root, f"{BPMNDI}BPMNDiagram", id=f"{process.get('id')}-diagram")
    plane = etree.SubElement(diagram, f"{BPMNDI}BPMNPlane", id=f"{process.get('id')}-plane",
                             bpmnElement=grid.get("collaboration") or _collaboration_id(root) or process.get("id"))
    if grid.get("pool"):
        _shape(plane, grid["pool"], pool_box, horizontal=True)
    for lane in lanes:
        _shape(plane, lane.get("id"), lane_box[lane.get("id")], horizontal=True)
    for key in [*places, *boundary]:
        shape = _shape(plane, key, box[key])
        if kind(nodes[key]) != "task" and nodes[key].get("name"):
            x, y, w, h = box[key]
            # Gateways are labelled above (their flows leave right and down), events below.
            label_y = y - LABEL_H - 4 if kind(nodes[key]) == "gateway" else y + h + 4
            _label(shape, (x + w / 2 - LABEL_W / 2, label_y, LABEL_W, LABEL_H))
    for flow in flows:
        points = _route(box[flow.get("sourceRef")], box[flow.get("targetRef")],
                        flow.get("sourceRef") in boundary)
        edge = etree.SubElement(plane, f"{BPMNDI}BPMNEdge", id=f"{flow.get('id')}_di", bpmnElement=flow.get("id"))
        for x, y in points:
            etree.SubElement(edge, f"{DI}waypoint", x=_n(x), y=_n(y))
        if flow.get("name"):
            (x1, y1), (x2, y2) = points[0], points[1]
            if y1 == y2:
                _label(edge, (x1 + 8, y1 - LABEL_H - 2, LABEL_W - 20, LABEL_H))
            else:
                _label(edge, (x1 + 6, (y1 + y2) / 2 - LABEL_H / 2, LABEL_W - 20, LABEL_H))
    etree.indent(diagram, space="  ", level=1)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def _route(source, target, from_boundary: bool) -> list[tuple[float, float]]:
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    s_mid, t_mid = (sx + sw / 2, sy + sh / 2), (tx + tw / 2, ty + th / 2)
    if from_boundary:
        start = (s_mid[0], sy + sh)
        if abs(start[0] - t_mid[0]) < 1 and ty > start[1]:
            return [start, (t_mid[0], ty)]
        return [start, (start[0], t_mid[1]), (tx, t_mid[1])]
    if tx >= sx + sw:                               # forward
        start, end = (sx + sw, s_mid[1]), (tx, t_mid[1])
        if start[1] == end[1]:
            return [start, end]
        # To another row: out of the top or bottom, then along the target's row.
        start = (s_mid[0], sy + sh) if t_mid[1] > s_mid[1] else (s_mid[0], sy)
        return [start, (s_mid[0], t_mid[1]), end]
    if abs(s_mid[0] - t_mid[0]) < 1:                # straight up or down
        return [(s_mid[0], sy), (t_mid[0], ty + th)] if ty < sy else [(s_mid[0], sy + sh), (t_mid[0], ty)]
    # Back to an earlier column: up from the source's top, along the gap above
    # the higher of the two rows, down into the target's top.
    lane_gap = min(sy, ty) - (ROW - 80) / 2 - 5
    return [(s_mid[0], sy), (s_mid[0], lane_gap), (t_mid[0], lane_gap), (t_mid[0], ty)]


def _collaboration_id(root) -> str | None:
    collaboration = root.find("bpmn:collaboration", NS)
    return collaboration.get("id") if collaboration is not None else None


def _shape(plane, key: str, box, horizontal: bool = False):
    attrs = {"id": f"{key}_di", "bpmnElement": key}
    if horizontal:
        attrs["isHorizontal"] = "true"
    shape = etree.SubElement(plane, f"{BPMNDI}BPMNShape", **attrs)
    _bounds(shape, box)
    return shape


def _label(parent, box) -> None:
    _bounds(etree.SubElement(parent, f"{BPMNDI}BPMNLabel"), box)


def _bounds(parent, box) -> None:
    x, y, w, h = box
    etree.SubElement(parent, f"{DC}Bounds", x=_n(x), y=_n(y), width=_n(w), height=_n(h))


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    layout(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()))
