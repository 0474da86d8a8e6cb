"""Edges: sequence flows, message flows, associations and data associations.

A sequence flow is a solid line with a filled arrowhead; a default flow gets
a slash near its source, and a conditional flow leaving an activity a small
diamond. A message flow is dashed, from an open circle to an open arrowhead.
Associations are dotted, with open arrowheads where their direction says.
Arrowheads are drawn as shapes rather than SVG markers, so every renderer
draws them and marks recolour them.
"""
from __future__ import annotations

import math

from app.engine.drawing import labels
from app.engine.drawing.activities import ACTIVITIES
from app.engine.drawing.canvas import INK, PAPER, Canvas, circle, path, points, polyline
from app.engine.drawing.model import Diagram, Edge, kind_of

ARROW_LENGTH = 11
ARROW_HALF_WIDTH = 3.5
DOTTED = {"stroke_dasharray": "0.5 5", "stroke_linecap": "round"}

Point = tuple[float, float]


def _direction(towards: Point, start: Point) -> tuple[float, float]:
    dx, dy = towards[0] - start[0], towards[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    return dx / length, dy / length


def _neighbour(waypoints: list[Point], index: int, step: int) -> Point:
    """The nearest waypoint from index (going by step) that is not on top of it."""
    here = waypoints[index]
    i = index + step
    while 0 <= i < len(waypoints):
        if math.hypot(waypoints[i][0] - here[0], waypoints[i][1] - here[1]) > 0.01:
            return waypoints[i]
        i += step
    return (here[0] - step, here[1])


def _head(tip: Point, before: Point) -> list[Point]:
    dx, dy = _direction(tip, before)
    bx, by = tip[0] - ARROW_LENGTH * dx, tip[1] - ARROW_LENGTH * dy
    nx, ny = -dy * ARROW_HALF_WIDTH, dx * ARROW_HALF_WIDTH
    return [(bx + nx, by + ny), tip, (bx - nx, by - ny)]


def filled_arrow(group, tip: Point, before: Point, fill: str | None = None) -> None:
    corners = _head(tip, before)
    style = {"cls": "ink", "fill": INK} if fill is None else {"cls": "icon", "fill": fill}
    path(group, f"M {points(corners)} Z", stroke_width=1, stroke_linejoin="round", **style)


def open_arrow(group, tip: Point, before: Point) -> None:
    polyline(group, _head(tip, before), stroke_width=1.5)


def _default_slash(group, start: Point, after: Point) -> None:
    dx, dy = _direction(after, start)
    cx, cy = start[0] + 10 * dx, start[1] + 10 * dy
    # A short stroke at 45 degrees across the line.
    sx, sy = (dx - dy) * 5, (dy + dx) * 5
    polyline(group, [(cx - sx, cy - sy), (cx + sx, cy + sy)], stroke_width=1.5)


def _condition_diamond(group, start: Point, after: Point) -> None:
    dx, dy = _direction(after, start)
    nx, ny = -dy * 5, dx * 5
    corners = [start, (start[0] + 8 * dx + nx, start[1] + 8 * dy + ny),
               (start[0] + 16 * dx, start[1] + 16 * dy), (start[0] + 8 * dx - nx, start[1] + 8 * dy - ny)]
    path(group, f"M {points(corners)} Z", cls="icon", fill=PAPER, stroke_width=1.2)


def middle(waypoints: list[Point]) -> Point:
    """The point halfway along the line."""
    lengths = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(waypoints, waypoints[1:])]
    remaining = sum(lengths) / 2
    for (a, b), length in zip(zip(waypoints, waypoints[1:]), lengths):
        if length >= remaining and length > 0:
            t = remaining / length
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        remaining -= length
    return waypoints[len(waypoints) // 2]


def draw_edge(canvas: Canvas, group, edge: Edge, diagram: Diagram) -> None:
    waypoints = edge.waypoints
    for x, y in waypoints:
        canvas.reach(x, y)
    if len(waypoints) < 2:
        return
    first, last = waypoints[0], waypoints[-1]
    after, before = _neighbour(waypoints, 0, 1), _neighbour(waypoints, len(waypoints) - 1, -1)
    kind, element = edge.kind, edge.element
    if kind == "sequenceFlow":
        polyline(group, waypoints, stroke_width=1.5)
        filled_arrow(group, last, before)
        source = diagram.element(element.get("sourceRef"))
        if source is not None and source.get("default") == edge.element_id:
            _default_slash(group, first, after)
        elif source is not None and kind_of(source) in ACTIVITIES and \
                any(kind_of(c) == "conditionExpression" for c in element):
            _condition_diamond(group, first, after)
    elif kind == "messageFlow":
        polyline(group, waypoints, stroke_width=1.5, stroke_dasharray="10 6")
        circle(group, first[0], first[1], 4, cls="icon", stroke_width=1.5)
        filled_arrow(group, last, before, fill=PAPER)
    elif kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
        polyline(group, waypoints, stroke_width=1.5, **DOTTED)
        direction = element.get("associationDirection") if kind == "association" else "One"
        if direction in ("One", "Both"):
            open_arrow(group, last, before)
        if direction == "Both":
            open_arrow(group, first, after)
    else:
        # An edge the DI alone knows (no BPMN element): most tools mean an association.
        polyline(group, waypoints, stroke_width=1.5, **(DOTTED if element is None else {}))
    name = (element.get("name") or "").strip() if element is not None else ""
    if name:
        mx, my = middle(waypoints)
        labels.outside(canvas, group, name, edge.label, (mx, my - labels.OUTSIDE_SIZE * 0.6))
