"""SpiffWorkflow's script engine with every script and expression sandboxed,
reporting failures as task errors that carry the script's line."""
from __future__ import annotations

import ast
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from app.clock import SystemClock

from ..expressions import translate
from .environment import DEFAULT_TIMEOUT, SandboxEnvironment
from .errors import ScriptError


class SandboxedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every script and expression sandboxed.

    ``BpmnWorkflow(spec, subprocess_specs, script_engine=SandboxedScriptEngine())``;
    the engine is not serialized, set it again after each deserialize. Failures
    raise ``WorkflowTaskException`` with ``line_number`` and ``error_line``.

    ``clock`` (anything with ``now()`` returning an aware datetime) is what
    timer events read as "now" (app/engine/timers.py); the system clock by
    default. Scripts and expressions read it as ``now()`` (``datetime.now()``
    would be the machine's wall clock, which tests cannot move).
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, environment: SandboxEnvironment | None = None,
                 clock=None):
        self.clock = clock or SystemClock()
        super().__init__(environment or SandboxEnvironment(timeout, environment_globals={"now": self._now}))

    def _now(self):
        return self.clock.now()

    @property
    def timeout(self) -> float:
        return self.environment.timeout

    def validate(self, expression):
        # Syntax only, raising SyntaxError: DMN probes match expressions this way.
        ast.parse(translate(expression).strip())

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ScriptError as err:
            raise _task_error(task, err, f"Error evaluating expression '{expression}'") from err

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context)
        except ScriptError as err:
            raise _task_error(task, err) from err

    def call_service(self, task, **kwargs):
        # Overridden also because the base class's except clause names an
        # undefined variable, turning every service error into a NameError.
        raise WorkflowTaskException("service tasks are run by the worker, not by the script engine", task=task)

    def evaluate_expression(self, expression: str, data: dict) -> Any:
        """Evaluate against plain data, without a task (assignees, candidate
        groups). Raises ``ScriptError``."""
        return self.environment.evaluate(expression, data)


def _task_error(task, err: ScriptError, note: str | None = None) -> WorkflowTaskException:
    error = WorkflowTaskException(err.message, task=task, exception=err.__cause__ or err,
                                  line_number=err.line_number, error_line=err.error_line)
    if note:
        error.add_note(note)
    return error
