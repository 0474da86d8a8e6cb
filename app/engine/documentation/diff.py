"""``diff``: every difference between two versions of a process, as ``Change``s
grouped by area, each naming the BPMN element to mark on the diagrams.

Steps, flows and lanes are matched by their BPMN ids, so a renamed task is
one "changed" step, not a removed one and an added one.
"""
from __future__ import annotations

from collections.abc import Iterator

from .diff_details import changed, decision_changes, form_changes, hook_changes, keyed, timer_changes, words
from .model import Change, Flow, ProcessDoc, Step, VersionDiff

AREAS = ("process", "lane", "step", "documentation", "flow", "condition", "form field", "timer", "hook",
         "decision rule")
LANE_DECIDES = "(the lane decides)"


def diff(old: ProcessDoc, new: ProcessDoc, key: str, from_version: int, to_version: int) -> VersionDiff:
    changes = [*_process_changes(old, new), *_lane_changes(old, new), *_step_changes(old, new),
               *_flow_changes(old, new), *timer_changes(old, new), *decision_changes(old, new)]
    changes.sort(key=lambda c: AREAS.index(c.area) if c.area in AREAS else len(AREAS))   # stable: file order kept
    return VersionDiff(key, from_version, to_version, tuple(changes))


def _process_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    yield from changed("process", None, new.name, (("name", old.name, new.name),))
    if old.documentation != new.documentation:
        yield Change("changed", "documentation", None, new.name, "process documentation changed",
                     old.documentation, new.documentation)


def _lane_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    added, removed, both = keyed(old.lanes, new.lanes, lambda lane: lane.id)
    for kind, lanes in (("added", added), ("removed", removed)):
        for lane in lanes:
            yield Change(kind, "lane", lane.id, lane.name, f"lane {lane.name} {kind}")
    for before, after in both:
        yield from changed("lane", after.id, after.name, (("name", before.name, after.name),))


def _step_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    added, removed, both = keyed(old.steps, new.steps, lambda s: s.id)
    for kind, steps in (("added", added), ("removed", removed)):
        for step in steps:
            where = f" in lane {step.lane}" if step.lane else ""
            yield Change(kind, "step", step.id, step.name, f"{step.type}{where} {kind}")
    for before, after in both:
        yield from changed("step", after.id, after.name, (
            ("name", before.name, after.name), ("type", before.type, after.type),
            ("lane", before.lane, after.lane), ("who", _who(before), _who(after)),
            ("priority", before.priority, after.priority),
            *_moved(old, new, ("inside", before.container, after.container),
                    ("attached to", before.attached_to, after.attached_to)),
            ("calls", before.calls, after.calls),
            ("decision", _decision(before), _decision(after))))
        for what, b, a in (("documentation", before.documentation, after.documentation),
                           ("instructions", before.instructions, after.instructions)):
            if b != a:
                yield Change("changed", "documentation", after.id, after.name, f"{what} changed", b, a)
        yield from form_changes(before, after)
        yield from hook_changes(before, after)


def _who(step: Step) -> str | None:
    if step.bpmn_type not in ("userTask", "manualTask", "task"):
        return step.who or None
    return step.who or LANE_DECIDES


def _decision(step: Step) -> str | None:
    return f"{step.decision.name} ({step.decision.decision_id})" if step.decision else None


def _name_of(element_id: str | None, doc: ProcessDoc) -> str | None:
    step = doc.step(element_id) if element_id else None
    return step.name if step else element_id


def _flow_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    added, removed, both = keyed(old.flows, new.flows, lambda f: f.id)
    for kind, flows, doc in (("added", added, new), ("removed", removed, old)):
        for flow in flows:
            condition = f" (condition {flow.condition})" if flow.condition else ""
            yield Change(kind, "flow", flow.id, _flow_subject(flow, doc), f"flow {kind}{condition}")
    for before, after in both:
        subject = _flow_subject(after, new)
        yield from changed("flow", after.id, subject, [
            ("label", before.name, after.name),
            *_moved(old, new, ("from", before.source_id, after.source_id), ("to", before.target_id, after.target_id))])
        yield from changed("condition", after.id, subject, (
            ("condition", before.condition, after.condition), ("default flow", before.is_default, after.is_default)))


def _moved(old: ProcessDoc, new: ProcessDoc, *links: tuple[str, str | None, str | None]) -> list[tuple]:
    """(what, old name, new name) for each link to another element whose id changed:
    a renamed step at the other end changes nothing here."""
    return [(what, _name_of(b, old), _name_of(a, new)) for what, b, a in links if b != a]


def _flow_subject(flow: Flow, doc: ProcessDoc) -> str:
    label = f' "{flow.name}"' if flow.name else ""
    return f"flow{label} {words(_name_of(flow.source_id, doc))} → {words(_name_of(flow.target_id, doc))}"
