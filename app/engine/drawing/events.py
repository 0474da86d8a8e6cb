"""Events: the ring that says where an event sits in the flow, and the icon of its trigger.

Start events have a thin ring, intermediate and boundary events a double one,
end events a thick one; non-interrupting ones are dashed. A catching event's
icon is hollow, a throwing (or end) event's is filled. Icons are drawn in
units of a 36-pixel event and scaled to the event's bounds.
"""
from __future__ import annotations

import math

from app.engine.drawing import labels
from app.engine.drawing.canvas import INK, PAPER, Canvas, circle, icon, path
from app.engine.drawing.model import Diagram, Shape, kind_of

# Icon outlines around the event's centre, for an event of radius 18.
_PATHS = {
    "error": "M -9,9 L -4,-9 L 1,0 L 9,-9 L 4,9 L -1,1 Z",
    "escalation": "M 0,-9 L 7,8 L 0,2 L -7,8 Z",
    "signal": "M 0,-10 L 9,6 L -9,6 Z",
    "link": "M -8,-3 L 1,-3 L 1,-8 L 9,0 L 1,8 L 1,3 L -8,3 Z",
    "compensate": "M -10,0 L -2,-6 L -2,6 Z M -2,0 L 6,-6 L 6,6 Z",
    "cancel": ("M -7,-5 L -5,-7 L 0,-2 L 5,-7 L 7,-5 L 2,0 L 7,5 L 5,7 L 0,2 L -5,7 "
               "L -7,5 L -2,0 Z"),
    "parallel": ("M -2,-9 L 2,-9 L 2,-2 L 9,-2 L 9,2 L 2,2 L 2,9 L -2,9 L -2,2 L -9,2 "
                 "L -9,-2 L -2,-2 Z"),
}


def pentagon(radius: float) -> str:
    corners = [(radius * math.cos(math.radians(-90 + 72 * i)),
                radius * math.sin(math.radians(-90 + 72 * i))) for i in range(5)]
    return "M " + " L ".join(f"{x:.2f},{y:.2f}" for x, y in corners) + " Z"


def trigger(diagram: Diagram, event) -> str | None:
    """The icon an event shows: message, timer, error..., 'multiple', 'parallel' or None."""
    found = []
    for child in event:
        kind = kind_of(child)
        if kind.endswith("EventDefinition"):
            found.append(kind[: -len("EventDefinition")])
        elif kind == "eventDefinitionRef":
            referenced = kind_of(diagram.element((child.text or "").strip()))
            if referenced.endswith("EventDefinition"):
                found.append(referenced[: -len("EventDefinition")])
    if len(found) > 1:
        return "parallel" if event.get("parallelMultiple") == "true" else "multiple"
    return found[0] if found else None


def draw_event(canvas: Canvas, group, shape: Shape, diagram: Diagram) -> None:
    box = shape.bounds
    r = min(box.width, box.height) / 2
    kind, element = shape.kind, shape.element
    dashed = (kind == "boundaryEvent" and element.get("cancelActivity") == "false") or \
             (kind == "startEvent" and element.get("isInterrupting") == "false")
    dash = "5 3" if dashed else None
    scale = r / 18          # rings as thick as on bpmn-js's 36-pixel events, in proportion
    if kind == "endEvent":
        circle(group, box.cx, box.cy, r - 2 * scale, stroke_width=4 * scale, stroke_dasharray=dash)
    elif kind == "startEvent":
        circle(group, box.cx, box.cy, r, stroke_width=2 * scale, stroke_dasharray=dash)
    else:
        circle(group, box.cx, box.cy, r, stroke_width=1.5 * scale, stroke_dasharray=dash)
        circle(group, box.cx, box.cy, r - 3 * scale, stroke_width=1.5 * scale, stroke_dasharray=dash)
    which = trigger(diagram, element)
    if which:
        filled = kind in ("endEvent", "intermediateThrowEvent")
        draw_trigger(icon(group, box.cx, box.cy, scale), which, filled)
    name = (element.get("name") or "").strip()
    if name:
        labels.outside(canvas, group, name, shape.label, (box.cx, box.bottom + 5))


def draw_trigger(group, which: str, filled: bool) -> None:
    """One event-definition icon in the units of a 36-pixel event."""
    ink = {"cls": "ink", "fill": INK, "stroke_width": 1} if filled else \
          {"cls": "icon", "fill": PAPER, "stroke_width": 1.5}
    if which == "message":
        envelope(group, filled)
    elif which == "timer":
        clock(group)
    elif which == "conditional":
        path(group, "M -6,-8 L 6,-8 L 6,8 L -6,8 Z", cls="icon", stroke_width=1.5)
        for y in (-4, 0, 4):
            path(group, f"M -4,{y} L 4,{y}", cls="icon", fill="none", stroke_width=1)
    elif which == "terminate":
        circle(group, 0, 0, 10, cls="ink", fill=INK, stroke_width=1)
    elif which == "multiple":
        path(group, pentagon(9), **ink)
    elif which in _PATHS:
        path(group, _PATHS[which], stroke_linejoin="round", **ink)


def envelope(group, filled: bool, width: float = 17, height: float = 12) -> None:
    """A letter: hollow for a message caught, black with white folds for one sent."""
    x, y = -width / 2, -height / 2
    outline = f"M {x},{y} L {x + width},{y} L {x + width},{y + height} L {x},{y + height} Z"
    fold = f"M {x},{y} L 0,{y + height * 0.55} L {x + width},{y}"
    if filled:
        path(group, outline, cls="ink", fill=INK, stroke_width=1)
        path(group, fold, cls="paper", fill="none", stroke=PAPER, stroke_width=1)
    else:
        path(group, outline, cls="icon", stroke_width=1.2)
        path(group, fold, cls="icon", fill="none", stroke_width=1.2)


def clock(group) -> None:
    circle(group, 0, 0, 11, cls="icon", stroke_width=1.5)
    ticks = []
    for hour in range(12):
        angle = math.radians(hour * 30)
        inner, outer = (7.5, 10) if hour % 3 else (6.5, 10)
        ticks.append(f"M {inner * math.sin(angle):.2f},{-inner * math.cos(angle):.2f} "
                     f"L {outer * math.sin(angle):.2f},{-outer * math.cos(angle):.2f}")
    path(group, " ".join(ticks), cls="icon", fill="none", stroke_width=1)
    path(group, "M 0,0 L 0,-8 M 0,0 L 5,-2", cls="icon", fill="none", stroke_width=1.5,
         stroke_linecap="round")


def is_event(kind: str) -> bool:
    return kind.endswith("Event")
