"""The script environment SpiffWorkflow evaluates and executes through:
sandboxed runs against a data dict, and what of a script's variables is kept."""
from __future__ import annotations

import collections.abc
import types
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment

from .compiler import compile_script
from .guards import GUARDS
from .runner import run_compiled
from .safe_builtins import SAFE_BUILTINS

DEFAULT_TIMEOUT = 2.0               # seconds

# Values a script can make that are not data and that the serializer cannot
# store; like SpiffWorkflow's TaskDataEnvironment, callables go too.
_NOT_DATA = (collections.abc.Iterator, collections.abc.MappingView, range, slice,
             types.SimpleNamespace, BaseException)


def _is_task_data(name: str, value: Any, before: dict) -> bool:
    """Whether a variable a script leaves behind belongs in task data."""
    if name.startswith("_") and name not in before:    # __builtins__, the guards
        return False
    return not (callable(value) or isinstance(value, _NOT_DATA))


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and executes scripts against a data dict.

    ``environment_globals`` adds trusted names to the builtins (task data of
    the same name hides them). SpiffWorkflow also calls ``evaluate`` directly
    (process completion conditions, message correlation), so the sandbox and
    the ``${...}`` translation live here, not only in the engine.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, environment_globals: dict | None = None):
        super().__init__(environment_globals)
        self.timeout = timeout
        self._globals = {**GUARDS, "__builtins__": {**SAFE_BUILTINS, **self.globals}}

    def evaluate(self, expression, context, external_context=None):
        namespace = {**external_context, **context} if external_context else dict(context)
        return run_compiled(compile_script(expression, "eval"), namespace, self._globals, self.timeout)

    def execute(self, script, context, external_context=None):
        """Run ``script``; only if it succeeds do its variables replace
        ``context`` (deleted ones disappear), so a failed script leaves the
        task data as it was (nested objects it mutated excepted)."""
        external_context = external_context or {}
        namespace = {**external_context, **context}
        run_compiled(compile_script(script, "exec"), namespace, self._globals, self.timeout)
        kept = {name: value for name, value in namespace.items()
                if _is_task_data(name, value, context) and (name in context or name not in external_context)}
        for name in [name for name in context if name not in kept]:
            del context[name]
        context.update(kept)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by the worker")


def evaluate_expression(expression: str, data: dict, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Evaluate ``expression`` (Python or ``${...}``) against ``data``; raises ``ScriptError``."""
    return SandboxEnvironment(timeout).evaluate(expression, data)
