"""The order a process's steps are documented in: the order work flows.

Breadth first from the start events along the sequence flows, so a reader
meets the steps roughly as a case does. A boundary event comes right after
the step it is attached to, a subprocess's own steps right after the
subprocess, and what no flow reaches (event subprocesses, loose ends) last,
each such step followed by what it leads to.
"""
from __future__ import annotations

from collections import deque

from app.engine.bpmn_kinds import CONTAINERS, FLOW_NODES
from app.engine.xml import BPMN_NS

BPMN = f"{{{BPMN_NS}}}"


def local_name(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag[len(BPMN):] if tag.startswith(BPMN) else ""


def is_flow_node(element) -> bool:
    return local_name(element) in FLOW_NODES and bool(element.get("id"))


def flow_order(process) -> list:
    """Every flow node of a process (at any depth) once, in documentation order."""
    successors: dict[str, list[str]] = {}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        successors.setdefault(flow.get("sourceRef") or "", []).append(flow.get("targetRef") or "")
    every = [el for el in process.iter() if is_flow_node(el)]
    ids = {el.get("id") for el in every}
    boundaries: dict[str, list] = {}
    for el in every:
        host = el.get("attachedToRef") if local_name(el) == "boundaryEvent" else None
        if host in ids:
            boundaries.setdefault(host, []).append(el)
    ordered: list = []
    seen: set[str] = set()
    _order_scope(process, successors, boundaries, ordered, seen)
    ordered += [el for el in every if el.get("id") not in seen]   # a boundary event on nothing, say
    return ordered


def _order_scope(scope, successors, boundaries, ordered: list, seen: set[str]) -> None:
    """Append the flow nodes directly inside ``scope`` (a process or a subprocess)."""
    nodes = [el for el in scope if is_flow_node(el)]
    by_id = {el.get("id"): el for el in nodes}
    attached = {b.get("id") for host in by_id for b in boundaries.get(host, ())}
    incoming = {t for source in by_id for t in successors.get(source, ())}
    starts = [el for el in nodes if local_name(el) == "startEvent"]
    starts = starts or [el for el in nodes if el.get("id") not in incoming and el.get("id") not in attached]
    queue: deque = deque()

    def emit(el) -> None:
        seen.add(el.get("id"))
        ordered.append(el)
        queue.append(el)
        for boundary in boundaries.get(el.get("id"), ()):
            if boundary.get("id") not in seen:
                emit(boundary)
        if local_name(el) in CONTAINERS:
            _order_scope(el, successors, boundaries, ordered, seen)

    for seed in [*starts, *nodes]:    # what the starts do not reach, in file order
        if seed.get("id") in seen:
            continue
        emit(seed)
        while queue:
            current = queue.popleft()
            for target in successors.get(current.get("id"), ()):
                if target in by_id and target not in seen:
                    emit(by_id[target])

