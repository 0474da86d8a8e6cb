"""Activities: tasks, call activities and sub-processes, collapsed or expanded.

A task is a rounded box with its name in the middle and its type at the top
left; a call activity has a thick border; an expanded sub-process shows its
name at the top left (its content is drawn as shapes of its own), a collapsed
one a [+] marker; an event sub-process is dashed and a transaction has a
double border.
"""
from __future__ import annotations

from app.engine.bpmn_kinds import ACTIVITIES, CONTAINERS as SUB_PROCESSES
from app.engine.drawing import labels
from app.engine.drawing.canvas import Canvas, rect
from app.engine.drawing.markers import MARKER_SIZE, bottom_markers, draw_bottom_markers, task_icon
from app.engine.drawing.model import Bounds, Diagram, Shape, kind_of

TASKS = ACTIVITIES - SUB_PROCESSES - {"callActivity"}
RADIUS = 10


def draw_activity(canvas: Canvas, group, shape: Shape, diagram: Diagram, expanded: bool) -> None:
    box, kind, element = shape.bounds, shape.kind, shape.element
    called = _called_task(diagram, element) if kind == "callActivity" else None
    border = 5 if kind == "callActivity" else 2
    dash = "2 3" if element.get("triggeredByEvent") == "true" else None
    rect(group, box, RADIUS, stroke_width=border, stroke_dasharray=dash)
    if kind == "transaction":
        inner = Bounds(box.x + 3, box.y + 3, max(box.width - 6, 0), max(box.height - 6, 0))
        rect(group, inner, RADIUS - 3, stroke_width=1.5, fill="none")
    task_icon(group, called or kind, box)
    collapsed = not expanded and kind in SUB_PROCESSES | {"callActivity"} and called is None
    markers = bottom_markers(element, kind, collapsed)
    name = (element.get("name") or "").strip()
    if name and expanded:
        size = labels.INSIDE_SIZE
        lines = labels.wrap(name, max(box.width - 12, 10), size)
        labels.write(canvas, group, lines, box.x + 8, box.y + 6, size, anchor="start")
    elif name:
        # Keep the name clear of the markers along the bottom.
        room = MARKER_SIZE + 4 if markers and box.height > 2 * MARKER_SIZE else 0
        labels.inside(canvas, group, name, Bounds(box.x, box.y, box.width, box.height - room))
    draw_bottom_markers(group, markers, box)


def _called_task(diagram: Diagram, element) -> str | None:
    """The task kind a call activity calls (globalUserTask -> userTask), None for a process.

    A call activity of a global task shows that task's icon instead of the [+] marker."""
    called = (element.get("calledElement") or "").strip().rpartition(":")[2]
    kind = kind_of(diagram.element(called))
    if kind.startswith("global") and kind.endswith("Task"):
        task = kind[len("global"):]
        return task[0].lower() + task[1:]
    return None
