"""The small pictures on activities: the task type at the top left, and the
loop, multi-instance, compensation, ad-hoc and collapsed markers along the bottom.

Each is drawn around (0, 0) in its own units (about 20 pixels across) and
moved into place by the caller.
"""
from __future__ import annotations

import math

from app.engine.drawing.canvas import INK, PAPER, circle, icon, node, path
from app.engine.drawing.events import envelope
from app.engine.drawing.model import Bounds, kind_of

MARKER_SIZE = 14
MARKER_GAP = 4


def gear(teeth: int = 8, outer: float = 7.5, inner: float = 5.5) -> str:
    corners = []
    for i in range(teeth * 2):
        radius = outer if i % 2 == 0 else inner
        for half in (-0.22, 0.22):
            angle = (i + half) * math.pi / teeth
            corners.append((radius * math.cos(angle), radius * math.sin(angle)))
    return "M " + " L ".join(f"{x:.2f},{y:.2f}" for x, y in corners) + " Z"


def _user(group) -> None:
    path(group, "M -8,9 C -8,2 -5,1 0,1 C 5,1 8,2 8,9 Z", cls="icon", stroke_width=1.2)
    circle(group, 0, -4, 4.2, cls="icon", stroke_width=1.2)


def _service(group) -> None:
    for dx, dy in ((-2, -2), (3, 3)):
        cog = node(group, "g", transform=f"translate({dx} {dy})")
        path(cog, gear(), cls="icon", stroke_width=1)
        circle(cog, 0, 0, 2.2, cls="icon", stroke_width=1)


def _script(group) -> None:
    path(group, "M -5,-8 L 7,-8 C 4,-5 4,-3 6,0 C 8,3 8,5 5,8 L -7,8 C -4,5 -4,3 -6,0 "
                "C -8,-3 -8,-5 -5,-8 Z", cls="icon", stroke_width=1.2)
    path(group, "M -3,-4 L 4,-4 M -2,0 L 5,0 M -3,4 L 4,4", cls="icon", fill="none", stroke_width=1)


def _manual(group) -> None:
    path(group, "M -9,6 L -9,-2 L -4,-6 L 8,-6 Q 9.5,-5 8,-4 L 1,-4 L 9,-4 Q 10.5,-2.7 9,-1.5 "
                "L 1,-1.5 L 8.5,-1.5 Q 10,0 8.5,1 L 1,1 L 7,1 Q 8.5,2.5 7,3.5 L 1,3.5 L -4,6 Z",
         cls="icon", stroke_width=1.1, stroke_linejoin="round")


def _business_rule(group) -> None:
    path(group, "M -9,-6 L 9,-6 L 9,7 L -9,7 Z", cls="icon", stroke_width=1.2)
    path(group, "M -9,-6 L 9,-6 L 9,-2 L -9,-2 Z", cls="ink", fill="#9a9a9a", stroke_width=1.2)
    path(group, "M -9,2.5 L 9,2.5 M -4,-2 L -4,7", cls="icon", fill="none", stroke_width=1)


TASK_ICONS = {
    "userTask": _user, "serviceTask": _service, "scriptTask": _script, "manualTask": _manual,
    "businessRuleTask": _business_rule,
    "sendTask": lambda g: envelope(g, True, 16, 11),
    "receiveTask": lambda g: envelope(g, False, 16, 11),
}


def task_icon(group, kind: str, box: Bounds) -> None:
    draw = TASK_ICONS.get(kind)
    if draw is not None:
        draw(icon(group, box.x + 15, box.y + 15, 1))


def _loop(group) -> None:
    path(group, "M -3.5,4.5 A 5.5,5.5 0 1 1 3.5,4.5", cls="icon", fill="none", stroke_width=1.5)
    path(group, "M -7,2.5 L -3.5,4.5 L -4.5,8.5", cls="icon", fill="none", stroke_width=1.5)


def _bars(vertical: bool):
    def draw(group) -> None:
        for offset in (-5, -1, 3):
            x, y, w, h = (offset, -6, 2, 12) if vertical else (-6, offset, 12, 2)
            path(group, f"M {x},{y} L {x + w},{y} L {x + w},{y + h} L {x},{y + h} Z",
                 cls="ink", fill=INK, stroke_width=0.5)
    return draw


def _compensation(group) -> None:
    path(group, "M -7,0 L -1,-5 L -1,5 Z M -1,0 L 5,-5 L 5,5 Z", cls="icon", stroke_width=1.2,
         stroke_linejoin="round")


def _ad_hoc(group) -> None:
    path(group, "M -6,1 C -4,-3 -2,-3 0,0 C 2,3 4,3 6,-1", cls="icon", fill="none", stroke_width=1.5)


def _collapsed(group) -> None:
    path(group, "M -7,-7 L 7,-7 L 7,7 L -7,7 Z", cls="icon", fill=PAPER, stroke_width=1.2)
    path(group, "M 0,-4.5 L 0,4.5 M -4.5,0 L 4.5,0", cls="icon", fill="none", stroke_width=1.5)


def bottom_markers(element, kind: str, collapsed: bool) -> list:
    """The markers an activity carries along its bottom edge, left to right."""
    found = []
    loop = next((c for c in element if kind_of(c) in ("standardLoopCharacteristics",
                                                        "multiInstanceLoopCharacteristics")), None)
    if loop is not None:
        if kind_of(loop) == "standardLoopCharacteristics":
            found.append(_loop)
        else:
            found.append(_bars(vertical=loop.get("isSequential") != "true"))
    if collapsed:
        found.append(_collapsed)
    if element.get("isForCompensation") == "true":
        found.append(_compensation)
    if kind == "adHocSubProcess":
        found.append(_ad_hoc)
    return found


def collection_bars(parent, cx: float, cy: float) -> None:
    """Three upright bars: a collection of data, or a pool of many participants."""
    path(icon(parent, cx, cy, 1), "M -5,-5 L -5,5 M -1,-5 L -1,5 M 3,-5 L 3,5", cls="icon",
         fill="none", stroke_width=2)


def draw_bottom_markers(group, markers: list, box: Bounds) -> None:
    step = MARKER_SIZE + MARKER_GAP
    left = box.cx - (len(markers) * step - MARKER_GAP) / 2 + MARKER_SIZE / 2
    for i, draw in enumerate(markers):
        draw(icon(group, left + i * step, box.bottom - MARKER_SIZE / 2 - 4, 1))
