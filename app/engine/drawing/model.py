"""What one BPMN diagram shows: its shapes and edges, read from the BPMN DI.

The diagram interchange (BPMNDI) says where each element sits (bounds,
waypoints, label bounds); the semantic model says what the element is. This
module joins the two into plain records the drawing modules read, and is the
only place that knows the DI namespaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from app.engine import xml
from app.engine.xml import BPMN_NS

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


class DrawingError(ValueError):
    """The XML cannot be drawn: it is not BPMN, or has no diagram interchange."""


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass
class Shape:
    di_id: str
    element_id: str            # what data-element-id says: the BPMN element's id
    element: etree._Element | None
    kind: str                  # the BPMN element's local name, "" when unknown
    bounds: Bounds | None
    label: Bounds | None
    expanded: bool | None      # BPMNShape isExpanded, None when not said
    horizontal: bool | None    # BPMNShape isHorizontal, None when not said
    marker_visible: bool       # BPMNShape isMarkerVisible (exclusive gateways)


@dataclass
class Edge:
    di_id: str
    element_id: str
    element: etree._Element | None
    kind: str
    waypoints: list[tuple[float, float]]
    label: Bounds | None


@dataclass
class Diagram:
    shapes: list[Shape] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    elements: dict[str, etree._Element] = field(default_factory=dict)   # every BPMN element by id

    def element(self, element_id: str | None) -> etree._Element | None:
        return self.elements.get(element_id) if element_id else None


def bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def kind_of(element: etree._Element | None) -> str:
    if element is None or not isinstance(element.tag, str):
        return ""
    name = etree.QName(element)
    return name.localname if name.namespace == BPMN_NS else ""


def read_diagram(bpmn_xml: str | bytes, diagram: int = 0) -> Diagram:
    """The diagram-th BPMNDiagram of a BPMN file, or DrawingError."""
    if isinstance(bpmn_xml, str):
        # Text is already decoded: a declaration naming another encoding would be wrong now.
        bpmn_xml = _DECLARATION.sub("", bpmn_xml, count=1).encode("utf-8")
    data = bpmn_xml
    if not isinstance(data, bytes):
        raise DrawingError("the diagram must be given as BPMN XML text or bytes")
    tree, problems = xml.parse_xml("diagram.bpmn", data)
    if tree is None:
        raise DrawingError(f"not readable XML: {problems[0].message}" if problems else "not readable XML")
    root = tree.getroot()
    if root.tag != bpmn("definitions"):
        raise DrawingError(f"not a BPMN 2.0 file: the root element is {xml.short_name(root.tag)}, "
                           f"expected definitions in namespace {BPMN_NS}")
    diagrams = root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram")
    if not diagrams:
        raise DrawingError("the file has no diagram interchange (BPMNDiagram): "
                           "there is no layout to draw")
    if not 0 <= diagram < len(diagrams):
        raise DrawingError(f"the file has {len(diagrams)} diagram(s); there is no diagram {diagram}")
    result = Diagram(elements={el.get("id"): el for el in root.iter()
                               if isinstance(el.tag, str) and el.get("id")
                               and etree.QName(el).namespace == BPMN_NS})
    for di in diagrams[diagram].iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge"):
        element = result.element(di.get("bpmnElement"))
        element_id = di.get("bpmnElement") or di.get("id") or ""
        label = _label_bounds(di)
        if etree.QName(di).localname == "BPMNShape":
            result.shapes.append(Shape(
                di_id=di.get("id") or "", element_id=element_id, element=element,
                kind=kind_of(element), bounds=_bounds(di.find(f"{{{DC_NS}}}Bounds")), label=label,
                expanded=_flag(di.get("isExpanded")), horizontal=_flag(di.get("isHorizontal")),
                marker_visible=_flag(di.get("isMarkerVisible")) is True))
        else:
            result.edges.append(Edge(
                di_id=di.get("id") or "", element_id=element_id, element=element,
                kind=kind_of(element), waypoints=_waypoints(di), label=label))
    return result


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("true", "1")


def _number(value: str | None) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _bounds(element: etree._Element | None) -> Bounds | None:
    if element is None:
        return None
    x, y, width, height = (_number(element.get(a)) for a in ("x", "y", "width", "height"))
    if x is None or y is None:
        return None
    return Bounds(x, y, max(width or 0.0, 0.0), max(height or 0.0, 0.0))


def _label_bounds(di: etree._Element) -> Bounds | None:
    label = di.find(f"{{{BPMNDI_NS}}}BPMNLabel")
    if label is None:
        return None
    bounds = _bounds(label.find(f"{{{DC_NS}}}Bounds"))
    return bounds if bounds is not None and bounds.width > 0 and bounds.height > 0 else None


def _waypoints(di: etree._Element) -> list[tuple[float, float]]:
    points = []
    for point in di.findall(f"{{{DI_NS}}}waypoint"):
        x, y = _number(point.get("x")), _number(point.get("y"))
        if x is not None and y is not None:
            points.append((x, y))
    return points
