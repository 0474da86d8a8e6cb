"""The shapes that are neither events, activities nor containers: gateways,
data objects and stores, text annotations, and a plain box for anything else.
"""
from __future__ import annotations

import math

from app.engine.drawing import labels
from app.engine.drawing.canvas import INK, Canvas, circle, fmt, icon, path, rect
from app.engine.bpmn_kinds import GATEWAYS as BPMN_GATEWAYS
from app.engine.drawing.events import pentagon
from app.engine.drawing.markers import collection_bars
from app.engine.drawing.model import Diagram, Shape, kind_of

GATEWAYS = BPMN_GATEWAYS | {"gateway"}     # the abstract one, which some tools write
DATA = {"dataObject", "dataObjectReference", "dataInput", "dataOutput"}


def name_of(shape: Shape) -> str:
    return (shape.element.get("name") or "").strip() if shape.element is not None else ""


def below(shape: Shape) -> tuple[float, float]:
    """Where bpmn-js puts a label the DI gives no bounds to: centred under the shape."""
    return shape.bounds.cx, shape.bounds.bottom + 5


def draw_gateway(canvas: Canvas, group, shape: Shape) -> None:
    box, kind, element = shape.bounds, shape.kind, shape.element
    diamond = (f"M {fmt(box.cx)},{fmt(box.y)} L {fmt(box.right)},{fmt(box.cy)} "
               f"L {fmt(box.cx)},{fmt(box.bottom)} L {fmt(box.x)},{fmt(box.cy)} Z")
    path(group, diamond, stroke_width=2, stroke_linejoin="round")
    # Markers in the units of bpmn-js's 50-pixel gateway.
    mark = icon(group, box.cx, box.cy, min(box.width, box.height) / 50)
    thick = {"cls": "icon", "fill": "none", "stroke_width": 4, "stroke_linecap": "round"}
    if kind == "exclusiveGateway" and shape.marker_visible:
        path(mark, "M -8,-8 L 8,8 M 8,-8 L -8,8", **thick)
    elif kind == "parallelGateway":
        path(mark, "M 0,-12 L 0,12 M -12,0 L 12,0", **thick)
    elif kind == "inclusiveGateway":
        circle(mark, 0, 0, 11, cls="icon", fill="none", stroke_width=3)
    elif kind == "complexGateway":
        spokes = " ".join(f"M {12 * math.cos(a):.2f},{12 * math.sin(a):.2f} "
                          f"L {-12 * math.cos(a):.2f},{-12 * math.sin(a):.2f}"
                          for a in (0, math.pi / 4, math.pi / 2, 3 * math.pi / 4))
        path(mark, spokes, **{**thick, "stroke_width": 3.5})
    elif kind == "eventBasedGateway":
        circle(mark, 0, 0, 13, cls="icon", fill="none", stroke_width=1.2)
        if element.get("instantiate") != "true":
            circle(mark, 0, 0, 10, cls="icon", fill="none", stroke_width=1.2)
        if element.get("eventGatewayType") == "Parallel":
            path(mark, "M 0,-7 L 0,7 M -7,0 L 7,0", cls="icon", fill="none", stroke_width=2.5)
        else:
            path(mark, pentagon(6.5), cls="icon", fill="none", stroke_width=1.5,
                 stroke_linejoin="round")
    name = name_of(shape)
    if name:
        labels.outside(canvas, group, name, shape.label, below(shape))


def draw_data(canvas: Canvas, group, shape: Shape, diagram: Diagram) -> None:
    box, kind, element = shape.bounds, shape.kind, shape.element
    fold = min(12.0, box.width / 3, box.height / 3)
    x, y, r, b = box.x, box.y, box.right, box.bottom
    path(group, f"M {fmt(x)},{fmt(y)} L {fmt(r - fold)},{fmt(y)} L {fmt(r)},{fmt(y + fold)} "
                f"L {fmt(r)},{fmt(b)} L {fmt(x)},{fmt(b)} Z", stroke_width=1.5, stroke_linejoin="round")
    path(group, f"M {fmt(r - fold)},{fmt(y)} L {fmt(r - fold)},{fmt(y + fold)} L {fmt(r)},{fmt(y + fold)}",
         cls="icon", fill="none", stroke_width=1.5)
    if kind in ("dataInput", "dataOutput"):
        arrow = icon(group, x + 5, y + 7, 1)
        path(arrow, "M 0,0 L 7,0 L 7,-3.5 L 13,2 L 7,7.5 L 7,4 L 0,4 Z",
             **({"cls": "ink", "fill": INK} if kind == "dataOutput" else {"cls": "icon"}),
             stroke_width=1, stroke_linejoin="round")
    data = diagram.element(element.get("dataObjectRef")) if kind == "dataObjectReference" else element
    if data is not None and data.get("isCollection") == "true":
        collection_bars(group, box.cx, b - 8)
    name = name_of(shape)
    state = next((c.get("name") for c in element if kind_of(c) == "dataState" and c.get("name")), None)
    if state:
        name = f"{name}\n[{state}]"
    if name:
        labels.outside(canvas, group, name, shape.label, below(shape))


def draw_data_store(canvas: Canvas, group, shape: Shape) -> None:
    box = shape.bounds
    rx, ry = box.width / 2, min(box.height / 6, 10.0)
    x, y, r, b = box.x, box.y, box.right, box.bottom
    arc = f"A {fmt(rx)},{fmt(ry)} 0 0 0"
    path(group, f"M {fmt(x)},{fmt(y + ry)} L {fmt(x)},{fmt(b - ry)} {arc} {fmt(r)},{fmt(b - ry)} "
                f"L {fmt(r)},{fmt(y + ry)} {arc} {fmt(x)},{fmt(y + ry)} Z", stroke_width=1.5)
    # The lid, and the two rims under it.
    path(group, f"M {fmt(x)},{fmt(y + ry)} A {fmt(rx)},{fmt(ry)} 0 0 1 {fmt(r)},{fmt(y + ry)}",
         cls="icon", fill="none", stroke_width=1.5)
    rims = " ".join(f"M {fmt(x)},{fmt(y + ry + d)} {arc} {fmt(r)},{fmt(y + ry + d)}"
                    for d in (0, ry * 0.6, ry * 1.2))
    path(group, rims, cls="icon", fill="none", stroke_width=1.5)
    name = name_of(shape)
    if name:
        labels.outside(canvas, group, name, shape.label, below(shape))


def draw_annotation(canvas: Canvas, group, shape: Shape) -> None:
    box = shape.bounds
    bracket = min(10.0, box.width)
    path(group, f"M {fmt(box.x + bracket)},{fmt(box.y)} L {fmt(box.x)},{fmt(box.y)} "
                f"L {fmt(box.x)},{fmt(box.bottom)} L {fmt(box.x + bracket)},{fmt(box.bottom)}",
         cls="line", fill="none", stroke_width=1.5)
    text_element = next((c for c in shape.element if kind_of(c) == "text"), None)
    text = (text_element.text or "").strip() if text_element is not None else ""
    if text:
        size = labels.OUTSIDE_SIZE
        lines = labels.wrap(text, max(box.width - 10, 10), size)
        top = max(box.cy - labels.block_height(lines, size) / 2, box.y + 3)
        labels.write(canvas, group, lines, box.x + 5, top, size, anchor="start")


def draw_plain_box(canvas: Canvas, group, shape: Shape) -> None:
    """Whatever Baton does not know how to draw: a box with its name."""
    rect(group, shape.bounds, 4, stroke_width=1.5)
    name = name_of(shape)
    if name:
        labels.inside(canvas, group, name, shape.bounds)
