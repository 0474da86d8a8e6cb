"""Small BPMN diagrams with branches, written as elements and paths: for tests
that compare two versions of one process (migrations). No diagram
interchange: the engine does not need it.

    diagram("leave", start(), user("review", "Review"), end(), paths=["start review end"])
"""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'id="{pid}_defs" targetNamespace="http://baton.example/tests">\n')


def _element(kind: str, element_id: str, name: str | None = None, inner: str = "", attrs: str = "") -> str:
    label = f" name={quoteattr(name)}" if name else ""
    return f'<bpmn:{kind} id="{element_id}"{label}{attrs}>{inner}</bpmn:{kind}>'


def start(element_id: str = "start") -> str:
    return _element("startEvent", element_id)


def end(element_id: str = "end") -> str:
    return _element("endEvent", element_id)


def user(element_id: str, name: str | None = None) -> str:
    return _element("userTask", element_id, name)


def script(element_id: str, code: str) -> str:
    return _element("scriptTask", element_id, inner=f"<bpmn:script>{code}</bpmn:script>")


def parallel(element_id: str) -> str:
    return _element("parallelGateway", element_id)


def timer(element_id: str, duration: str, name: str | None = None) -> str:
    """An intermediate timer catch event waiting ``duration`` (ISO 8601)."""
    return _element("intermediateCatchEvent", element_id, name, _duration(element_id, duration))


def boundary_timer(element_id: str, attached_to: str, duration: str) -> str:
    return _element("boundaryEvent", element_id, inner=_duration(element_id, duration),
                    attrs=f' attachedToRef="{attached_to}"')


def subprocess(element_id: str, name: str, *nodes: str, paths: list[str]) -> str:
    """An embedded subprocess holding ``nodes`` joined by ``paths``."""
    return _element("subProcess", element_id, name, "".join(nodes) + _flows(paths, prefix=element_id))


def diagram(pid: str, *nodes: str, paths: list[str], name: str | None = None) -> bytes:
    """A process: the nodes, and a sequence flow between each pair of
    neighbours in every path ("start review end")."""
    return (_HEADER.format(pid=pid)
            + f'<bpmn:process id="{pid}" name={quoteattr(name or pid)} isExecutable="true">'
            + "".join(nodes) + _flows(paths, prefix=pid)
            + "</bpmn:process></bpmn:definitions>\n").encode()


def _duration(element_id: str, duration: str) -> str:
    return (f'<bpmn:timerEventDefinition id="{element_id}_def"><bpmn:timeDuration '
            f'xsi:type="bpmn:tFormalExpression">"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>')


def _flows(paths: list[str], prefix: str) -> str:
    pairs = dict.fromkeys((a, b) for path in paths for a, b in zip(path.split(), path.split()[1:]))
    return "".join(f'<bpmn:sequenceFlow id="{prefix}_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)
