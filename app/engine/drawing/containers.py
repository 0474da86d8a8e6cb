"""Pools (participants), lanes and groups: the shapes other shapes sit in.

A pool or lane has a 30-pixel header strip along its left side (along its top
when the DI says isHorizontal="false") holding its name; a pool with no
process of its own (a "black box" participant) shows its name in the middle.
A group is a dash-dotted frame named after its category value.
"""
from __future__ import annotations

from app.engine.drawing import labels
from app.engine.drawing.canvas import Canvas, fmt, path, rect
from app.engine.drawing.markers import collection_bars
from app.engine.drawing.model import Bounds, Diagram, Shape, kind_of

HEADER = 30


def draw_participant(canvas: Canvas, group, shape: Shape) -> None:
    box = shape.bounds
    rect(group, box, stroke_width=1.5)
    name = (shape.element.get("name") or "").strip()
    if not shape.element.get("processRef") and shape.expanded is not True:
        if name:
            labels.inside(canvas, group, name, box)
    else:
        _header(canvas, group, shape, name)
    multiplicity = next((c for c in shape.element if kind_of(c) == "participantMultiplicity"), None)
    if multiplicity is not None and multiplicity.get("maximum", "2") not in ("0", "1"):
        collection_bars(group, box.cx, box.bottom - 10)


def draw_lane(canvas: Canvas, group, shape: Shape) -> None:
    """A lane is a plain frame with its name in the header strip (no line: bpmn-js draws none)."""
    rect(group, shape.bounds, stroke_width=1, fill="none")
    _header(canvas, group, shape, (shape.element.get("name") or "").strip(), ruled=False)


def _header(canvas: Canvas, group, shape: Shape, name: str, ruled: bool = True) -> None:
    box = shape.bounds
    if shape.horizontal is False:
        strip = Bounds(box.x, box.y, box.width, min(HEADER, box.height))
        line = f"M {fmt(box.x)},{fmt(strip.bottom)} L {fmt(box.right)},{fmt(strip.bottom)}"
    else:
        strip = Bounds(box.x, box.y, min(HEADER, box.width), box.height)
        line = f"M {fmt(strip.right)},{fmt(box.y)} L {fmt(strip.right)},{fmt(box.bottom)}"
    if ruled:
        path(group, line, cls="line", fill="none", stroke_width=1)
    if not name:
        return
    if shape.horizontal is False:
        labels.inside(canvas, group, name, strip)
    else:
        labels.vertical(canvas, group, name, strip)


def draw_group(canvas: Canvas, group, shape: Shape, diagram: Diagram) -> None:
    box = shape.bounds
    rect(group, box, 10, stroke_width=1.5, fill="none", stroke_dasharray="10 4 2 4")
    value = diagram.element(shape.element.get("categoryValueRef"))
    name = ((value.get("value") if value is not None else None) or
            shape.element.get("name") or "").strip()
    if name:
        labels.outside(canvas, group, name, shape.label, (box.cx, box.y + 5))
