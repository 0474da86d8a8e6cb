"""Services for the catalogue tests: the test processes of tests/web/data as
files to deploy, and small diagrams with a category, a documentation text, or
a start event that people cannot use (a message starts it)."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tests.support.bpmn import HEADER, linear_process, user

DATA = Path(__file__).resolve().parents[1] / "web" / "data"


def folder(name: str) -> dict[str, bytes]:
    """A folder of tests/web/data as deploy() takes it: laptop (no start form, its
    first task for the agents), expense, access (a start form; its first task is
    the starter's own)."""
    return {p.name: p.read_bytes() for p in sorted((DATA / name).iterdir())}


def service(pid: str, name: str, *, category: str = "", documentation: str = "", starter_groups: str = "",
            starter_users: str = "") -> dict[str, bytes]:
    """A one-task process (Camunda flavour) with the given category and documentation,
    started only by the given groups and users when any are given."""
    bpmn = linear_process(pid, user("work", "Do the work"), name=name).decode()
    starters = "".join(f" camunda:candidateStarter{kind}={quoteattr(names)}"
                       for kind, names in (("Groups", starter_groups), ("Users", starter_users)) if names)
    extras = f"<bpmn:documentation>{escape(documentation)}</bpmn:documentation>" if documentation else ""
    if category:
        extras += ("<bpmn:extensionElements><camunda:properties>"
                   f"<camunda:property name=\"category\" value={quoteattr(category)}/>"
                   "</camunda:properties></bpmn:extensionElements>")
    head, marker, rest = bpmn.partition('isExecutable="true">\n')
    marker = marker.replace(">", f"{starters}>")
    return {f"{pid}.bpmn": (head + marker + extras + "\n" + rest).encode()}


def message_started(pid: str, name: str = "Mailed ticket",
                    category: str = "Incidents & problems") -> dict[str, bytes]:
    """A process a message starts: never in the catalogue."""
    text = HEADER.format(pid=pid) + f"""
  <bpmn:message id="m_{pid}" name="{pid}_mailed"/>
  <bpmn:process id="{pid}" name={quoteattr(name)} isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="category" value={quoteattr(category)}/>
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m_{pid}"/></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""
    return {f"{pid}.bpmn": text.encode()}
