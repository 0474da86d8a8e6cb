"""Loading a bundle: BPMN, DMN and form files in, parsed processes or problems out.

The checks run in two rounds. First every file on its own: XML that parses
safely, BPMN/DMN that match their XSD, JSON that parses. Only when all files
pass are they handed to SpiffWorkflow together (a broken file would otherwise
show up again as a dozen confusing follow-on errors in the files that refer
to it). Every problem of a round is reported, each with its file and line.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from lxml import etree

from app.engine import start_timers, task_timing, xml
from app.engine.forms import check_form_schema, form_from_camunda_fields
from app.engine.model import Form, ProcessModel, TaskMeta
from app.engine.parser import BatonCamundaParser, BatonSpiffParser, problem_from_exception
from app.engine.problems import InvalidBundle, Problem

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
DMN_SUFFIXES = (".dmn",)
FORM_SUFFIXES = (".json",)
BUNDLE = "(bundle)"    # the file named by problems about the bundle as a whole

# SpiffWorkflow waits for a person on all three (a plain bpmn:task included).
HUMAN_TASKS = (UserTask, ManualTask, NoneTask)
FORM_ELEMENTS = ("userTask", "manualTask", "task", "startEvent")


@dataclass
class Bundle:
    files: dict[str, bytes]          # every file of the bundle by name
    processes: list[ProcessModel]    # the executable processes, each parsed
    content_hash: str                # equal files => equal hash


def content_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        # Lengths keep ("ab", "c") and ("a", "bc") apart.
        for part in (name.encode(), data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def validate_files(files: dict[str, bytes]) -> list[Problem]:
    """Every problem of the bundle; [] when it can be deployed."""
    return _BundleReader(files).read()[0]


def load_bundle(files: dict[str, bytes]) -> Bundle:
    """The bundle's executable processes; InvalidBundle lists every problem found."""
    problems, processes = _BundleReader(files).read()
    if problems:
        raise InvalidBundle(problems)
    return Bundle(dict(files), processes, content_hash(files))


class _BundleReader:
    """One reading of one bundle; collects problems as it goes."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.problems: list[Problem] = []
        self.bpmn: dict[str, etree._ElementTree] = {}     # by file name
        self.dmn: dict[str, etree._ElementTree] = {}
        self.forms: dict[str, object] = {}                  # .json file -> its parsed JSON
        self.ids: dict[tuple[str, str], etree._Element] = {}   # (file, id) -> element
        self.element_forms: dict[tuple[str, str], Form] = {}   # (file, id) -> the form it names
        self.flavour = "spiff"

    def read(self) -> tuple[list[Problem], list[ProcessModel]]:
        self._read_files()
        if self.problems:
            return self.problems, []
        self.flavour = self._flavour()
        parser = self._parser()
        if self.problems:
            return self.problems, []
        executable = parser.get_process_ids()
        if not executable:
            self.problems.append(self._no_executable_process())
        self._resolve_forms(executable, parser)
        processes = [m for m in (self._process(parser, pid) for pid in executable) if m]
        return self.problems, processes

    # --- round one: each file alone -----------------------------------------

    def _read_files(self) -> None:
        for name in sorted(self.files):
            data, lower = self.files[name], name.lower()
            if lower.endswith(BPMN_SUFFIXES + DMN_SUFFIXES):
                self._read_xml(name, data, is_bpmn=lower.endswith(BPMN_SUFFIXES))
            elif lower.endswith(FORM_SUFFIXES):
                self._read_json(name, data)
            else:
                self.problems.append(Problem(name, None, None, "not a file a bundle can hold: "
                                             "expected .bpmn, .dmn or .json"))
        if not any(n.lower().endswith(BPMN_SUFFIXES) for n in self.files):
            self.problems.append(Problem(BUNDLE, None, None, "the bundle has no BPMN file"))

    def _read_xml(self, name: str, data: bytes, is_bpmn: bool) -> None:
        tree, problems = xml.parse_xml(name, data)
        if tree is not None:
            problems = (xml.validate_bpmn if is_bpmn else xml.validate_dmn)(name, tree)
            (self.bpmn if is_bpmn else self.dmn)[name] = tree
            if is_bpmn:   # the id is the process's key, and SpiffWorkflow's too
                problems += [xml.problem_at(name, p, "the process has no id: give it one")
                             for p in tree.getroot().iterfind("bpmn:process", xml.NSMAP)
                             if not p.get("id")]
            ids = xml.index_ids(tree)
            self.ids.update({(name, i): el for i, el in ids.items()})
            if is_bpmn:
                problems += _dangling_flow_ends(name, tree, ids)
        self.problems.extend(problems)

    def _read_json(self, name: str, data: bytes) -> None:
        try:
            self.forms[name] = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.problems.append(Problem(name, line, None, f"not UTF-8 text (byte {exc.start})"))
        except json.JSONDecodeError as exc:
            self.problems.append(Problem(name, exc.lineno, None,
                                         f"not valid JSON: {exc.msg} (column {exc.colno})"))

    # --- round two: SpiffWorkflow reads them together -------------------------

    def _flavour(self) -> str:
        camunda = [(f, xml.first_use_of(t, xml.CAMUNDA_NS)) for f, t in self.bpmn.items()]
        camunda = [(f, el) for f, el in camunda if el is not None]
        if not camunda:
            return "spiff"
        for file, tree in self.bpmn.items():
            spiff = xml.first_use_of(tree, xml.SPIFF_NS)
            if spiff is not None:
                self.problems.append(xml.problem_at(
                    file, spiff, f"this bundle mixes SpiffWorkflow extensions with Camunda ones "
                                 f"({camunda[0][0]} line {camunda[0][1].sourceline}); "
                                 "use one dialect for a bundle"))
        return "camunda"

    def _parser(self):
        parser = BatonCamundaParser() if self.flavour == "camunda" else BatonSpiffParser()
        # DMN first: business rule tasks look their decision up while parsed.
        for name, tree in [*self.dmn.items(), *self.bpmn.items()]:
            try:
                if name in self.dmn:
                    parser.add_dmn_xml(tree.getroot(), name)
                else:
                    parser.add_bpmn_xml(tree, name)
            except Exception as exc:   # noqa: BLE001 - every failure is a problem to report
                self.problems.append(problem_from_exception(exc, name, self._locate))
        return parser

    def _locate(self, file: str, element_id: str | None) -> tuple[str, int | None]:
        """(file, line) of an element; finds the file when SpiffWorkflow did not say."""
        if element_id and (file, element_id) not in self.ids:
            owners = [f for f, i in self.ids if i == element_id]
            file = owners[0] if len(owners) == 1 else file
        element = self.ids.get((file, element_id)) if element_id else None
        return (file or BUNDLE), (element.sourceline if element is not None else None)

    def _no_executable_process(self) -> Problem:
        for file, tree in self.bpmn.items():
            process = tree.getroot().find(f"{{{xml.BPMN_NS}}}process")
            if process is not None:
                return xml.problem_at(file, process, 'no executable process: set '
                                      'isExecutable="true" on the process to run it')
        file, tree = next(iter(self.bpmn.items()))
        return xml.problem_at(file, tree.getroot(), "no process: the BPMN files hold no process to run")

    def _process(self, parser, pid: str) -> ProcessModel | None:
        file = parser.get_process_parser(pid).filename
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
        except Exception as exc:   # noqa: BLE001
            problem = problem_from_exception(exc, file, self._locate)
            # A process that calls another reaches the same broken element again.
            if problem not in self.problems:
                self.problems.append(problem)
            return None
        element = self.ids[(file, pid)]
        model = ProcessModel(
            key=pid, name=element_label(element) or pid, description=xml.documentation(element),
            flavour=self.flavour, spec=spec, subprocess_specs=subprocess_specs,
            category=" ".join((extension_properties(element).get("category") or "").split()),
            business_key_variable=(extension_properties(element).get("businessKeyVariable") or "").strip() or None,
            starter_groups=split_list(element.get(f"{{{xml.CAMUNDA_NS}}}candidateStarterGroups")
                                       or extension_properties(element).get("candidateStarterGroups")),
            starter_users=split_list(element.get(f"{{{xml.CAMUNDA_NS}}}candidateStarterUsers")
                                      or extension_properties(element).get("candidateStarterUsers")),
        )
        if model.business_key_variable and not model.business_key_variable.isidentifier():
            self.problems.append(xml.problem_at(
                file, element, f"businessKeyVariable '{model.business_key_variable}' is not a variable name"))
        for sub in [spec, *subprocess_specs.values()]:
            for task_spec in sub.task_specs.values():
                if isinstance(task_spec, HUMAN_TASKS) and task_spec.bpmn_id not in model.tasks:
                    model.tasks[task_spec.bpmn_id] = self._task_meta(sub.file, task_spec)
        starts = [t for t in spec.task_specs.values() if isinstance(t, StartEvent)]
        # Message and timer starts are started by their event, not by a person.
        model.startable = any(isinstance(t.event_definition, NoneEventDefinition) for t in starts)
        model.start_form = next((f for f in (self._form_of(file, t) for t in starts) if f), None)
        model.initiator = next((v for v in (
            (self.ids.get((file, t.bpmn_id)).get(f"{{{xml.CAMUNDA_NS}}}initiator")
             or extension_properties(self.ids.get((file, t.bpmn_id))).get("initiator") or "").strip()
            for t in starts if isinstance(t.event_definition, NoneEventDefinition)) if v), None)
        # Scheduled at deploy time, so a start timer must make sense without any instance.
        self.problems += [xml.problem_at(file, self.ids.get((file, timer.bpmn_id)), message)
                          for timer, message in start_timers.problems(spec)]
        return model

    # --- human tasks and their forms --------------------------------------------

    def _task_meta(self, file: str, task_spec) -> TaskMeta:
        # Every task spec comes from an element with an id; the fallback is only a guard.
        element = self.ids.get((file, task_spec.bpmn_id), etree.Element("missing"))
        extensions = getattr(task_spec, "extensions", None) or {}
        props = extension_properties(element)
        assignee = (element.get(f"{{{xml.CAMUNDA_NS}}}assignee") or props.get("assignee") or "").strip()
        due = (element.get(f"{{{xml.CAMUNDA_NS}}}dueDate") or props.get("dueDate") or "").strip() or None
        urgency = (element.get(f"{{{xml.CAMUNDA_NS}}}priority") or props.get("priority") or "").strip() or None
        for message in task_timing.check(due, urgency):
            self.problems.append(xml.problem_at(file, element, message))
        return TaskMeta(
            bpmn_id=task_spec.bpmn_id,
            name=element_label(element) or task_spec.bpmn_id,
            lane=task_spec.lane,
            documentation=xml.documentation(element),
            instructions=(extensions.get("instructionsForEndUser") or "").strip(),
            assignee=assignee or None,
            candidate_groups=split_list(element.get(f"{{{xml.CAMUNDA_NS}}}candidateGroups")
                                         or props.get("candidateGroups")),
            candidate_users=split_list(element.get(f"{{{xml.CAMUNDA_NS}}}candidateUsers")
                                        or props.get("candidateUsers")),
            due_date=due, priority=urgency,
            form=self._form_of(file, task_spec),
            completed_by_variable=(props.get("completedByVariable") or "").strip() or None,
        )

    def _form_of(self, file: str, task_spec) -> Form | None:
        """The form a task or start event names in a file, or its inline Camunda fields."""
        form = self.element_forms.get((file, task_spec.bpmn_id))
        fields = getattr(getattr(task_spec, "form", None), "fields", None)
        if form is None and fields:
            try:
                built = form_from_camunda_fields(fields)
                form = Form(schema=built["schema"], ui_schema=built.get("ui_schema") or {})
            except Exception as exc:   # noqa: BLE001 - a field the forms module refuses
                element = self.ids.get((file, task_spec.bpmn_id))
                self.problems.append(xml.problem_at(file, element, f"camunda:formData: {exc}"))
        return form

    def _resolve_forms(self, executable: list[str], parser) -> None:
        """Find the form files the elements of executable processes name, reporting
        the missing and broken ones. Done on the XML, so a form problem shows even
        when SpiffWorkflow stops at another problem of the same process."""
        checked: set[str] = set()
        for pid in executable:
            file = parser.get_process_parser(pid).filename
            process = self.ids.get((file, pid))
            tags = {f"{{{xml.BPMN_NS}}}{t}" for t in FORM_ELEMENTS}
            for element in (e for e in process.iter() if e.tag in tags and e.get("id")):
                form = self._form_named_by(file, element, checked)
                if form is not None:
                    self.element_forms[(file, element.get("id"))] = form

    def _form_named_by(self, file: str, element, checked: set[str]) -> Form | None:
        props = extension_properties(element)
        schema_ref = props.get("formJsonSchemaFilename")
        ui_ref = props.get("formUiSchemaFilename")
        form_key = element.get(f"{{{xml.CAMUNDA_NS}}}formKey")
        if form_key and not schema_ref:
            schema_ref = form_key.replace(":", "/").rsplit("/", 1)[-1]
            if not schema_ref.lower().endswith(".json"):
                self.problems.append(xml.problem_at(
                    file, element, f"camunda:formKey '{form_key}' names no .json form: Baton "
                                   "renders JSON Schema forms from files in the bundle "
                                   "(or inline camunda:formData fields)"))
                return None
        if not schema_ref:
            return None
        schema_file = self._form_file(file, element, schema_ref)
        ui_file = self._form_file(file, element, ui_ref) if ui_ref else None
        if schema_file is None or (ui_ref and ui_file is None):
            return None
        schema, ui = self.forms[schema_file], self.forms[ui_file] if ui_file else {}
        if schema_file not in checked:
            checked.add(schema_file)
            self.problems.extend(check_form_schema(schema, schema_file))
        if not isinstance(ui, dict):
            self.problems.append(Problem(ui_file, None, None, "a UI schema must be a JSON object"))
            return None
        return Form(schema=schema, ui_schema=ui) if isinstance(schema, dict) else None

    def _form_file(self, file: str, element, ref: str) -> str | None:
        """The bundle's .json file a reference names: by name, else by basename."""
        ref = ref.strip()
        exact = [n for n in self.forms if n == ref or n.endswith("/" + ref)]
        named = exact or [n for n in self.forms if posixpath.basename(n) == posixpath.basename(ref)]
        if len(named) == 1:
            return named[0]
        why = "is not in the bundle" if not named else f"is ambiguous ({', '.join(sorted(named))})"
        self.problems.append(xml.problem_at(file, element, f"form '{ref}' {why}"))
        return None


def _dangling_flow_ends(file: str, tree, ids: dict) -> list[Problem]:
    """A flow whose end names nothing: SpiffWorkflow would report it as a
    duplicate task spec on the flow's source, which misleads; say it plainly,
    on the flow itself (a modeller deleting a step can leave one behind)."""
    problems = []
    for flow in tree.getroot().iter(f"{{{xml.BPMN_NS}}}sequenceFlow", f"{{{xml.BPMN_NS}}}messageFlow"):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref and ref not in ids:
                problems.append(xml.problem_at(file, flow, f"{end} '{ref}' names no element in this file"))
    return problems


def extension_properties(element) -> dict[str, str]:
    """An element's extension properties, spiff's or Camunda's (name -> value)."""
    found = element.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", xml.NSMAP)
    camunda = element.iterfind(
        f"{{{xml.BPMN_NS}}}extensionElements/{{{xml.CAMUNDA_NS}}}properties/{{{xml.CAMUNDA_NS}}}property")
    return {p.get("name"): p.get("value") or "" for p in [*found, *camunda] if p.get("name")}


def element_label(element) -> str:
    """An element's name on one line (modellers keep the label's line breaks)."""
    return " ".join((element.get("name") or "").split())


# A comma that is not inside ${...}: a comma in an expression belongs to it.
_LIST_COMMA = re.compile(r",(?![^{]*\})")


def split_list(text: str | None) -> list[str]:
    """Camunda's comma-separated names or expressions, trimmed."""
    return [item.strip() for item in _LIST_COMMA.split(text or "") if item.strip()]
