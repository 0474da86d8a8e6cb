"""The browser modeller's use cases: what a process owner can open, checking
an edited diagram, and deploying it as a new version.

A diagram is always edited in the bundle it came from: a deployed version's
BPMN with that version's DMN and form files, a shipped template's BPMN with
its forms (``bpmn/<name>/`` and ``forms/<name>/``), or a blank diagram alone.
``check`` and ``deploy`` put the edited BPMN back in that bundle, so the check
sees exactly what deploy would, plus the modeller's drawing check
(``modeller_checks``). Owners and admins only: auditors and users may not
deploy, so they get nothing here either.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import app as app_package
from app.engine import xml
from app.engine.problems import Problem
from app.models import User

from . import definitions, deployments, permissions
from .bundles import collect_bundle
from .definitions import ProcessVersions
from .deployments import DeployResult
from .errors import InvalidData, InvalidDeployment, NotFound
from .modeller_checks import unreachable_steps

# The shipped processes, next to the app package (as scripts/run deploys them).
TEMPLATES = Path(app_package.__file__).resolve().parent.parent / "bpmn"
BLANK_FILE = "process.bpmn"


@dataclass(frozen=True)
class Origin:
    """Where a diagram came from; ``check`` and ``deploy`` are given it again."""

    kind: str                 # "version", "template" or "blank"
    title: str                # what the page calls it
    key: str | None = None
    version: int | None = None
    template: str | None = None


@dataclass(frozen=True)
class Template:
    name: str    # the folder under bpmn/
    title: str   # its process's name


@dataclass(frozen=True)
class Sources:
    processes: list[ProcessVersions]
    templates: list[Template]


def sources(caller: User) -> Sources:
    """Everything that can be opened: each deployed process with its versions, and the templates."""
    permissions.require_deploy_rights(caller)
    processes = definitions.with_versions()
    templates = [Template(name, _template_title(name)) for name in _template_names()]
    return Sources(processes, templates)


def open_source(caller: User, key: str | None = None, version: int | None = None,
                template: str | None = None) -> tuple[str, Origin]:
    """The BPMN XML to start from, and where it came from; neither key nor template: a blank diagram."""
    permissions.require_deploy_rights(caller)
    files, bpmn_file, origin = _bundle(key, version, template)
    return (files[bpmn_file].decode("utf-8") if bpmn_file else blank_diagram()), origin


def check(caller: User, xml_text: str, key: str | None = None, version: int | None = None,
          template: str | None = None) -> list[Problem]:
    """Every problem deploying the edited diagram in its bundle would meet; [] when it can be deployed."""
    permissions.require_deploy_rights(caller)
    files, bpmn_file = _edited_bundle(xml_text, key, version, template)
    return deployments.validate(files) + unreachable_steps(bpmn_file, files[bpmn_file])


def deploy(caller: User, xml_text: str, key: str | None = None, version: int | None = None,
           template: str | None = None) -> DeployResult:
    """Deploys the edited diagram with the rest of its bundle; all or nothing
    (InvalidDeployment lists the problems, and nothing is deployed)."""
    permissions.require_deploy_rights(caller)
    files, bpmn_file = _edited_bundle(xml_text, key, version, template)
    drawing = unreachable_steps(bpmn_file, files[bpmn_file])
    if drawing:
        raise InvalidDeployment(deployments.validate(files) + drawing)
    return deployments.deploy(files, caller, source="modeller")


def blank_diagram() -> str:
    """A process holding one start event, with its drawing, under a fresh id."""
    pid = f"Process_{secrets.token_hex(4)}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
id="{pid}_definitions" targetNamespace="http://baton.example/processes">
  <bpmn:process id="{pid}" name="New process" isExecutable="true">
    <bpmn:startEvent id="{pid}_start" name="Start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="{pid}_diagram">
    <bpmndi:BPMNPlane id="{pid}_plane" bpmnElement="{pid}">
      <bpmndi:BPMNShape id="{pid}_start_di" bpmnElement="{pid}_start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="185" y="203" width="26" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


# --- the bundle a diagram belongs to -------------------------------------------

def _bundle(key: str | None, version: int | None,
            template: str | None) -> tuple[dict[str, bytes], str | None, Origin]:
    """(files, the BPMN file being edited, origin); a blank diagram has no files yet."""
    if key is not None and template is not None:
        raise InvalidData({"template": ["open a deployed version or a template, not both"]})
    if key is not None:
        if version is None:
            raise InvalidData({"version": ["say which version of the process to open"]})
        found = definitions.get_version(key, version)
        files = {name: text.encode("utf-8") for name, text in found.files.items()}
        return files, found.bpmn_file, Origin("version", f"{found.name} (version {found.version})",
                                              key=found.key, version=found.version)
    if template is not None:
        files, bpmn_file = _template_bundle(template)
        return files, bpmn_file, Origin("template", f"{_template_title(template, files[bpmn_file])} (template)",
                                        template=template)
    return {}, None, Origin("blank", "New process")


def _edited_bundle(xml_text: str, key: str | None, version: int | None,
                   template: str | None) -> tuple[dict[str, bytes], str]:
    """The bundle with the edited diagram in place of its BPMN file, and that file's name."""
    files, bpmn_file, _ = _bundle(key, version, template)
    data = xml_text.encode("utf-8")
    bpmn_file = bpmn_file or _blank_file_name(data)
    return {**files, bpmn_file: data}, bpmn_file


def _template_names() -> list[str]:
    if not TEMPLATES.is_dir():
        return []
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir() and any(p.glob("*.bpmn")))


def _template_bundle(name: str) -> tuple[dict[str, bytes], str]:
    # Only a name from the listing: never a path someone typed.
    if name not in _template_names():
        raise NotFound(f"There is no template '{name}'.")
    files = collect_bundle(TEMPLATES / name)
    return files, sorted(n for n in files if n.lower().endswith(".bpmn"))[0]


def _first_process(data: bytes):
    tree, _ = xml.parse_xml("-", data)
    return tree.getroot().find("bpmn:process", xml.NSMAP) if tree is not None else None


def _template_title(name: str, data: bytes | None = None) -> str:
    """The name of a template's process, else its folder's."""
    if data is None:
        files, bpmn_file = _template_bundle(name)
        data = files[bpmn_file]
    process = _first_process(data)
    return (process.get("name") or process.get("id") or name) if process is not None else name


def _blank_file_name(data: bytes) -> str:
    """A new process's file is named after its process, as the shipped ones are."""
    process = _first_process(data)
    pid = process.get("id") if process is not None else None
    return f"{pid}.bpmn" if pid and pid.replace("-", "_").replace(".", "_").isidentifier() else BLANK_FILE
