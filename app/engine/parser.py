"""SpiffWorkflow's parsers, with what Baton needs changed.

SpiffWorkflow reads a diagram into a spec; here we only change how it fails
and what it keeps:

- failures become ``ValidationException``s that name the element and file
  (a Camunda business rule task without ``decisionRef`` is a ``KeyError`` in
  the library, a missing decision has no file, a missing called process has
  no element), so ``problem_from_exception`` can point at a line;
- data stores are not refused while merely drawn (descriptive models use
  them); they fail only where an executable process uses one;
- Camunda start events keep their form (``spec.form``, as user tasks do), and
  Camunda service tasks keep ``camunda:type``/``topic``/input parameters in
  ``spec.extensions["camunda"]``, which the spec serializer stores;
- service tasks of both dialects wait for the worker (``_waits_for_worker``);
- timer events of both dialects read Baton's clock (``_with_clocked_timers``,
  app/engine/timers.py);
- Camunda message events without Camunda's payload extensions are plain BPMN
  message events, as the library already makes receive tasks: a message's
  data then becomes the instance's variables, as in Camunda.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Callable

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS, BusinessRuleTaskParser, CamundaTaskParser, UserTaskParser,
)
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessageEventDefinition
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser as SpiffServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from lxml import etree

from app.engine.problems import Problem
from app.engine.timers import clocked

CAMUNDA = f"{{{CAMUNDA_MODEL_NS}}}"


class _BatonParserMixin:
    """What both dialects share; mixed in before the SpiffWorkflow parser class."""

    def __init__(self):
        super().__init__(validator=None)     # bundle.py has checked every file against its XSD
        self._file_of_root: dict[etree._Element, str] = {}

    def add_bpmn_xml(self, bpmn, filename=None):
        root = bpmn.getroot() if hasattr(bpmn, "getroot") else bpmn
        self._file_of_root[root] = filename
        super().add_bpmn_xml(bpmn, filename)

    def file_of(self, node) -> str:
        return self._file_of_root.get(node.getroottree().getroot(), "")

    def _add_data_stores(self, bpmn):
        # SpiffWorkflow raises here for any dataStore without an implementation,
        # even in a model nobody runs. Baton has none, so record nothing: a task
        # of an executable process that reads or writes one then fails to
        # resolve its association, which bundle.py explains.
        pass

    def add_dmn_xml(self, node, filename=None):
        decisions = node.findall("{*}decision")
        if len(decisions) != 1:
            why = ("this DMN file has no decision" if not decisions else
                   f"this DMN file has {len(decisions)} decisions; the engine reads "
                   "one decision per file: put each decision in its own .dmn file")
            raise ValidationException(why, node=node, file_name=filename)
        decision_id = decisions[0].get("id")
        if decision_id in self.dmn_parsers:
            raise ValidationException(
                f"decision id '{decision_id}' is also used in "
                f"{self.dmn_parsers[decision_id].filename}", node=decisions[0], file_name=filename)
        super().add_dmn_xml(node, filename)
        # Parse now, so that a broken table is reported against its DMN file
        # even when no task uses it yet.
        parser = self.dmn_parsers[decision_id]
        parser.parse()
        if not parser.decision.decisionTables:
            raise ValidationException("the decision has no decision table (the engine runs "
                                      "decision tables only)", node=decisions[0], file_name=filename)

    def get_engine(self, decision_ref, node):
        if not decision_ref:
            raise ValidationException(
                "business rule task names no decision: set spiffworkflow:calledDecisionId "
                "or camunda:decisionRef to the id of a DMN decision in the bundle",
                node=node, file_name=self.file_of(node))
        if decision_ref not in self.dmn_parsers:
            known = ", ".join(sorted(self.dmn_parsers)) or "none"
            raise ValidationException(
                f"decision '{decision_ref}' is not in the bundle (decisions in the bundle: {known})",
                node=node, file_name=self.file_of(node))
        return super().get_engine(decision_ref, node)

    def get_subprocess_specs(self, name, specs=None, require_call_activity_specs=True):
        """The specs of every process `name` calls, at any depth, by id.

        SpiffWorkflow's own walk says "process 'x' was not found" without
        naming the call activity; this one names it, and says when the
        called process exists but is not executable."""
        found = {} if specs is None else specs
        spec = self.get_spec(name)
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask) or task_spec.spec in found:
                continue
            called = self.get_process_parser(task_spec.spec)
            if called is None or not called.process_executable:
                why = ("is not in the bundle" if called is None
                       else 'is not executable: set isExecutable="true" on it')
                raise ValidationException(f"called process '{task_spec.spec}' {why}",
                                          id=task_spec.bpmn_id, file_name=spec.file)
            found[task_spec.spec] = called.get_spec()
            self.get_subprocess_specs(task_spec.spec, found)
        return found


class _ClockedTimerParsing:
    """Mixed into every event parser: the timer definition the library builds
    (and validates) is swapped for Baton's subclass that reads the workflow's
    clock instead of ``datetime.now`` (see timers.py); and a Camunda message
    definition that uses none of Camunda's payload extensions
    (``camunda:expression``, ``camunda:resultVariable``) for the plain one."""

    def parse_timer_event(self, event):
        return clocked(super().parse_timer_event(event))

    def parse_message_event(self, message_event):
        definition = super().parse_message_event(message_event)
        if isinstance(definition, CamundaMessageEventDefinition) and \
                definition.expression is None and definition.result_var is None:
            return MessageEventDefinition(definition.name, definition.correlation_properties,
                                          description=definition.description)
        return definition


@cache
def _clocked_parser(parser_class: type) -> type:
    if not issubclass(parser_class, EventDefinitionParser):
        return parser_class
    return type(parser_class.__name__, (_ClockedTimerParsing, parser_class),
                {"__module__": __name__, "__doc__": parser_class.__doc__})


def _with_clocked_timers(parser_classes: dict) -> dict:
    """A dialect's parser classes, every event parser (start, catch, boundary,
    event-based gateway ...) building clocked timers. Includes the library's
    base classes the dialect does not override, since lookup tries the
    overrides first."""
    every = {**BpmnParser.PARSER_CLASSES, **parser_classes}
    return {tag: (_clocked_parser(parser), spec) for tag, (parser, spec) in every.items()
            if issubclass(parser, EventDefinitionParser) or tag in parser_classes}


class _SpiffServiceTaskParser(SpiffServiceTaskParser):
    def create_task(self):
        return _waits_for_worker(super().create_task())


class BatonSpiffParser(_BatonParserMixin, SpiffBpmnParser):
    """The spiff dialect: SpiffArena's extensions (forms, instructions, service operators)."""

    OVERRIDE_PARSER_CLASSES = _with_clocked_timers({
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_SpiffServiceTaskParser, SpiffServiceTask),
    })


class _CamundaBusinessRuleTaskParser(BusinessRuleTaskParser):
    @staticmethod
    def get_decision_ref(node):
        # The library indexes the attribute and dies with KeyError when it is
        # absent; None lets get_engine report it against the task.
        return node.get(f"{CAMUNDA}decisionRef")


class _CamundaStartEventParser(CamundaStartEventParser):
    """A Camunda start event may carry a form, written exactly as a user task's."""

    get_form = UserTaskParser.get_form
    get_enum_field = UserTaskParser.get_enum_field

    def create_task(self):
        task = super().create_task()
        task.form = self.get_form()
        return task


class _CamundaServiceTaskParser(CamundaTaskParser):
    """Keep what names a Camunda service task's hook: type, topic and inputs.

    Baton runs hooks, not Java. An external task's topic names the hook; a
    Java class, delegate expression or method expression is taken as the name
    of a hook to register under it (``@hook("org.example.Notify")``,
    ``@hook("mailer.send")``), so a diagram drawn for Camunda runs unchanged
    once its delegates exist as hooks. A service task naming none of these is
    refused."""

    def create_task(self):
        if not camunda_hook_name(self.node):
            self.raise_validation_exception(
                'the service task names no hook: set camunda:type="external" and '
                'camunda:topic to the hook\'s name (or camunda:class / camunda:delegateExpression / '
                'camunda:expression naming a registered hook)')
        return _waits_for_worker(super().create_task())

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        camunda = {name: self.node.get(f"{CAMUNDA}{name}") for name in ("type", "topic", "resultVariable")
                   if self.node.get(f"{CAMUNDA}{name}") is not None}
        camunda["topic"] = camunda_hook_name(self.node)
        inputs = self.xpath("./bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter")
        camunda["inputParameters"] = {p.get("name"): camunda_value(p) for p in inputs}
        extensions["camunda"] = camunda
        return extensions


def camunda_value(element) -> str | dict:
    """The value an element holds (an input parameter, a map entry, a list
    value) as Camunda Modeler writes it: text (an expression when it holds
    ``${...}``), or a ``camunda:map`` / ``camunda:list`` kept as
    ``{"map": {key: value}}`` / ``{"list": [value, ...]}``, nested as deep as
    written. service_calls.describe evaluates it."""
    structure = next((child for child in element if child.tag in _CAMUNDA_STRUCTURES), None)
    return (element.text or "").strip() if structure is None else _camunda_structure(structure)


def _camunda_structure(node) -> dict:
    if node.tag == f"{CAMUNDA}map":
        return {"map": {entry.get("key"): camunda_value(entry) for entry in node if entry.tag == f"{CAMUNDA}entry"}}
    return {"list": [_camunda_structure(item) if item.tag in _CAMUNDA_STRUCTURES else camunda_value(item)
                     for item in node if item.tag in (*_CAMUNDA_STRUCTURES, f"{CAMUNDA}value")]}


_CAMUNDA_STRUCTURES = (f"{CAMUNDA}map", f"{CAMUNDA}list")


class BatonCamundaParser(_BatonParserMixin, CamundaParser):
    """The Camunda 7 dialect: Camunda Modeler's extensions (formKey, formData, assignees)."""

    OVERRIDE_PARSER_CLASSES = _with_clocked_timers({
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("businessRuleTask"): (_CamundaBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("startEvent"): (_CamundaStartEventParser, StartEvent),
        full_tag("serviceTask"): (_CamundaServiceTaskParser, ServiceTask),
    })


# ${mailer.send(execution)} → "mailer.send"; ${notifyDelegate} → "notifyDelegate"
_EXPRESSION_NAME = re.compile(r"^\$\{\s*([A-Za-z_][\w.]*)")


def camunda_hook_name(node) -> str | None:
    """The hook a Camunda service task names: topic, class, or the name an expression starts with."""
    for attribute in ("topic", "class"):
        value = (node.get(f"{CAMUNDA}{attribute}") or "").strip()
        if value:
            return value
    for attribute in ("delegateExpression", "expression"):
        found = _EXPRESSION_NAME.match((node.get(f"{CAMUNDA}{attribute}") or "").strip())
        if found:
            return found.group(1)
    return None


def _waits_for_worker(spec):
    """A service task is left READY for the worker, like a human task for a
    person (``manual``): the engine never calls the hook inside a request or a
    transaction. The flag is part of the stored spec. See engine/service_calls.py."""
    spec.manual = True
    return spec


# --- turning the library's exceptions into problems --------------------------

# What SpiffWorkflow says, and what a process owner should read instead.
_PLAIN_WORDS: list[tuple[re.Pattern, str]] = [(re.compile(p), m) for p, m in [
    (r"^There is no support implemented for this task type",
     "{tag} is not supported by the engine"),
    (r"^Multiple outgoing flows are not supported",
     "this activity has several outgoing sequence flows; the engine needs a gateway to "
     "split the flow (a parallel gateway to take them all, an exclusive gateway to choose one)"),
    (r"^Non-default exclusive outgoing sequence flow without condition",
     "this sequence flow leaves a gateway without a condition and is not the gateway's "
     "default flow: give it a condition or make it the default"),
    (r"^Time Specification Error\. Unknown Time Specification",
     "the timer has no date, duration or cycle: set one"),
    (r"^Time Specification Error\. (?P<rest>.*)", "invalid timer: {rest}"),
    (r"^Cannot resolve data(?P<kind>Input|Output)Association",
     "a data {kind_lower} association of this task points at something the engine cannot "
     "use: data stores are not supported (keep the data in process variables, or use a "
     "service task with the 'store' hook), and data objects must belong to this process"),
    (r"^A Service Task must have an operator",
     "the service task names no hook: add a spiffworkflow:serviceTaskOperator "
     "(or, in a Camunda diagram, camunda:type=\"external\" and camunda:topic)"),
    (r"^Exactly one start event is required in a SubWorkflow Task; found (?P<n>\d+)",
     "an embedded subprocess needs exactly one start event; this one has {n}"),
    (r"^Process (?P<pid>\S+) is not executable",
     "process '{pid}' is not executable: set isExecutable=\"true\" on it"),
]]


def plain_message(message: str, tag: str = "") -> str:
    message = message.strip()
    for pattern, text in _PLAIN_WORDS:
        match = pattern.match(message)
        if match:
            fields = match.groupdict()
            if "kind" in fields:
                fields["kind_lower"] = fields["kind"].lower()
            return text.format(tag=(tag or "this element").removeprefix("bpmn:"), **fields)
    return message.rstrip(".")


Locate = Callable[[str, str | None], tuple[str, int | None]]


def problem_from_exception(exc: Exception, file: str, locate: Locate) -> Problem:
    """A Problem for anything the parser raised.

    `file` is where we were when it happened; `locate(file, element_id)`
    gives the (file, line) of an element, since SpiffWorkflow's exceptions
    carry an element id but rarely a line."""
    if isinstance(exc, ValidationException):
        element = exc.id or None
        where, line = locate(exc.file_name or file, element)
        if isinstance(exc.line_number, int):
            line = exc.line_number
        return Problem(where, line, element, plain_message(exc.args[0] if exc.args else "", exc.tag))
    where, line = locate(file, None)
    return Problem(where, line, None,
                   f"the engine could not read this model: {type(exc).__name__}: {exc}")
