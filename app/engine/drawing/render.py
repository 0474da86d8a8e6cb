"""One diagram to one SVG: what goes on top of what, and which drawer draws each element."""
from __future__ import annotations

from collections.abc import Mapping

from app.engine.drawing import activities, containers, edges, events, shapes
from app.engine.drawing.canvas import Canvas
from app.engine.drawing.model import Diagram, Edge, Shape, read_diagram

# Layers, bottom to top: pools, lanes, expanded sub-processes (outer ones first),
# the other shapes, the edges, boundary events (which sit on their activity's
# border, over the flows leaving them), and groups (frames with nothing inside).
POOL, LANE, CONTAINER, SHAPE, EDGE, BOUNDARY, GROUP = range(7)


def draw_svg(bpmn_xml: str | bytes, marks: Mapping[str, str] | None = None, *,
             diagram: int = 0) -> str:
    model = read_diagram(bpmn_xml, diagram)
    marks = dict(marks or {})
    canvas = Canvas()
    expanded = _expanded(model)
    for _layer, _size, item in sorted(_layered(model, expanded), key=lambda t: (t[0], -t[1])):
        mark = marks.get(item.element_id)
        if isinstance(item, Edge):
            group = canvas.element_group(item.kind, item.element_id, mark, None)
            edges.draw_edge(canvas, group, item, model)
        else:
            group = canvas.element_group(item.kind, item.element_id, mark, shapes.name_of(item) or None)
            _draw_shape(canvas, group, item, model, item.di_id in expanded)
    return canvas.finish()


def _layered(model: Diagram, expanded: set[str]):
    """(layer, size, item) for every shape and edge; bigger containers first within a layer."""
    for shape in model.shapes:
        size = shape.bounds.width * shape.bounds.height if shape.bounds else 0.0
        yield _layer_of(shape, expanded), (size if shape.di_id in expanded else 0.0), shape
    for edge in model.edges:
        yield EDGE, 0.0, edge


def _layer_of(shape: Shape, expanded: set[str]) -> int:
    if shape.kind == "participant":
        return POOL
    if shape.kind == "lane":
        return LANE
    if shape.kind == "boundaryEvent":
        return BOUNDARY
    if shape.kind == "group":
        return GROUP
    return CONTAINER if shape.di_id in expanded else SHAPE


def _expanded(model: Diagram) -> set[str]:
    """DI ids of the activities drawn open: as isExpanded says, or, where the DI does not
    say, those with other shapes drawn inside them."""
    found = set()
    for shape in model.shapes:
        if shape.kind not in activities.SUB_PROCESSES | {"callActivity"} or shape.bounds is None:
            continue
        if shape.expanded is True or (shape.expanded is None and _holds_shapes(shape, model)):
            found.add(shape.di_id)
    return found


def _holds_shapes(container: Shape, model: Diagram) -> bool:
    outer = container.bounds
    for shape in model.shapes:
        inner = shape.bounds
        if shape is container or inner is None or shape.kind in ("boundaryEvent", "group"):
            continue
        if (outer.x <= inner.x and inner.right <= outer.right and outer.y <= inner.y
                and inner.bottom <= outer.bottom and inner.width * inner.height < outer.width * outer.height):
            return True
    return False


def _draw_shape(canvas: Canvas, group, shape: Shape, model: Diagram, expanded: bool) -> None:
    if shape.bounds is None:
        return          # nothing to place: the group alone keeps the element findable
    canvas.reach_bounds(shape.bounds)
    kind = shape.kind
    if events.is_event(kind):
        events.draw_event(canvas, group, shape, model)
    elif kind in activities.ACTIVITIES:
        activities.draw_activity(canvas, group, shape, model, expanded)
    elif kind in shapes.GATEWAYS:
        shapes.draw_gateway(canvas, group, shape)
    elif kind in shapes.DATA:
        shapes.draw_data(canvas, group, shape, model)
    elif kind in ("dataStoreReference", "dataStore"):
        shapes.draw_data_store(canvas, group, shape)
    elif kind == "textAnnotation":
        shapes.draw_annotation(canvas, group, shape)
    elif kind == "participant":
        containers.draw_participant(canvas, group, shape)
    elif kind == "lane":
        containers.draw_lane(canvas, group, shape)
    elif kind == "group":
        containers.draw_group(canvas, group, shape, model)
    else:
        shapes.draw_plain_box(canvas, group, shape)
