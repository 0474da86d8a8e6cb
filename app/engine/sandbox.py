"""The script sandbox: every script and expression of a diagram runs here.

Code is compiled by RestrictedPython with a stricter policy (no imports, no
classes, no name or attribute starting with ``_``, no frame/generator
internals), then run against task data with guarded attribute access, a small
set of builtins and a time limit. Compiled code is cached by source text.

The time limit is enforced by a clock call the policy inserts at the top of
every loop body, function body, lambda and comprehension, not by
``sys.settrace``: in Python 3.11 a one-line ``while 1: pass`` emits no 'line'
events at all, and a tracer would also displace debuggers and coverage. Only
loops and calls can run unbounded, so ticking there bounds them; the clock's
exception is a ``BaseException`` and keeps firing after the deadline, so
``except:`` in the script cannot swallow it for good. Builtins that could
loop in C without end over self-feeding input (``map``, ``filter``, two-argument
``iter``) are left out, and ``list.extend``/``+=``/``min``/``max(key=)`` copy
their input first.

Memory is bounded only where cheap: ``*``, ``**`` and ``<<`` (plain and
in-place) refuse results over ``MAX_ITEMS`` items or ``MAX_INT_BITS`` bits, and
``range`` over ``MAX_ITEMS``. String methods (``replace``, ``ljust``, ``join``)
and format widths are not bounded: run workers under a process memory limit.
"""
from __future__ import annotations

import ast
import collections.abc
import functools
import json
import operator
import textwrap
import time
import types
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from .expressions import EMPTY_HELPER, is_juel, translate

SCRIPT_FILENAME = "<bpmn script>"   # how the script's own frames are recognised in tracebacks
DEFAULT_TIMEOUT = 2.0               # seconds
MAX_ITEMS = 1_000_000               # longest sequence a repetition or range may make
MAX_INT_BITS = 1_000_000            # largest integer (about 300,000 digits) * ** << may make
_CLOCK = "_tick_"


class ScriptError(Exception):
    """A script or expression failed: refused, too slow, or raised."""

    def __init__(self, message: str, line_number: int = 0, error_line: str = ""):
        super().__init__(message)
        self.message, self.line_number, self.error_line = message, line_number, error_line


class SandboxViolation(Exception):
    """The script tried something the sandbox does not allow."""


class ScriptTimeout(BaseException):
    """Raised inside a script at its deadline; the ``error_type`` of time-outs.
    Not an ``Exception``, so ``except Exception`` in a script lets it pass."""


# --- compiling --------------------------------------------------------------

class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy with Baton's refusals, messages and guards."""

    uses_clock = False

    def check_name(self, node, name, allow_magic_methods=False):
        if name and name.startswith("_") and name != "_":
            self.error(node, f"access to '{name}' is not allowed")
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Name(self, node):
        if node.id == EMPTY_HELPER and isinstance(node.ctx, ast.Load):
            return node     # put there by expressions.translate for JUEL ``empty``
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_") or node.attr in INSPECT_ATTRIBUTES:
            self.error(node, f"access to '{node.attr}' is not allowed")
            return node
        return super().visit_Attribute(node)

    def visit_Import(self, node):
        self.error(node, "import statements are not allowed")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed")
        return node

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        helper = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}.get(type(node.op))
        return self._call(helper, node, node.left, node.right) if helper else node

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_For(self, node):
        node = super().visit_For(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(ast.And(), [self._tick(node).value, node.body])
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.insert(0, self._tick(node.iter).value)
        return node

    def visit_Module(self, node):
        return self._finish(super().visit_Module(node))

    def visit_Expression(self, node):
        return self._finish(super().visit_Expression(node))

    def _tick(self, node) -> ast.Expr:
        self.uses_clock = True
        return ast.Expr(self._call(_CLOCK, node, ast.Constant(getattr(node, "lineno", 0))))

    @staticmethod
    def _call(helper, node, *args):
        call = ast.Call(func=ast.Name(helper, ast.Load()), args=list(args), keywords=[])
        copy_locations(call, node)
        return call

    def _finish(self, root):
        root.uses_clock = self.uses_clock   # read back by compile_script
        return ast.fix_missing_locations(root)


class CompiledScript(NamedTuple):
    code: types.CodeType
    juel: bool                 # came from ``${...}``: dict keys win over dict methods
    uses_clock: bool           # has loops or calls, so needs a deadline
    lines: tuple[str, ...]     # the text error lines are quoted from


@functools.lru_cache(maxsize=2048)
def compile_script(source: str, mode: str = "exec") -> CompiledScript:
    """Compile ``source`` (``mode`` "exec" or "eval"), cached by its text."""
    if not isinstance(source, str):
        raise ScriptError(f"a script must be text, not {type(source).__name__}")
    juel = is_juel(source)
    python = translate(source)
    python = python.strip() if mode == "eval" else textwrap.dedent(python)
    lines = tuple((source.strip() if juel else python).splitlines())
    quote = functools.partial(_quote, lines)
    try:
        tree = ast.parse(python, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        raise ScriptError(f"SyntaxError: {err.msg}", err.lineno or 0, quote(err.lineno or 0)) from err
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_restricted(tree, SCRIPT_FILENAME, policy=_SandboxPolicy)
    if result.errors:
        where, _, message = result.errors[0].partition(": ")
        line = int(where[5:]) if where[5:].isdigit() else 0    # "Line 3: ..."
        raise ScriptError(message, line, quote(line)) from SandboxViolation(message)
    return CompiledScript(result.code, juel, tree.uses_clock, lines)


# --- guards -----------------------------------------------------------------

_OPAQUE = (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType, types.FunctionType,
           types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _check_attribute(obj, name) -> None:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise SandboxViolation(f"access to '{name}' is not allowed")
    if isinstance(obj, _OPAQUE):
        raise SandboxViolation(f"access to attributes of {type(obj).__name__} objects is not allowed")
    if name in ("format", "format_map") and (isinstance(obj, str) or obj is str):
        # '{0.__class__}'.format(x) walks attributes without _getattr_.
        raise SandboxViolation(f"str.{name} is not allowed: use f-strings or %")


def _getattr(obj, name, *default):
    """Attribute access for Python: dict methods win, else a dict's key."""
    _check_attribute(obj, name)
    if isinstance(obj, dict) and name not in _DICT_ATTRIBUTES and name in obj:
        return obj[name]
    if name == "extend" and isinstance(obj, list):
        return lambda items: obj.extend(list(items))   # l.extend(zip(l)) would never end
    return getattr(obj, name, *default)


def _getattr_juel(obj, name, *default):
    """Attribute access for JUEL: ``order.amount`` is the key, a missing key is null."""
    if isinstance(obj, dict) and isinstance(name, str) and not name.startswith("_"):
        return obj.get(name)
    return _getattr(obj, name, *default)


def _hasattr(obj, name) -> bool:
    try:
        _getattr(obj, name)
    except AttributeError:
        return False
    return True


class _DictWriter:
    """What ``_write_`` gives for a dict, so ``order.amount = 5`` sets the key."""
    __slots__ = ("target",)

    def __init__(self, target):
        object.__setattr__(self, "target", target)

    def __setattr__(self, name, value):
        self.target[name] = value

    def __delattr__(self, name):
        del self.target[name]

    def __setitem__(self, key, value):
        self.target[key] = value

    def __delitem__(self, key):
        del self.target[key]


def _write(obj):
    """Scripts may change their own dicts and lists, nothing shared."""
    if isinstance(obj, dict):
        return _DictWriter(obj)
    if isinstance(obj, list):
        return obj
    raise SandboxViolation(f"{type(obj).__name__} objects cannot be modified")


def _check_size(a, b, make: str) -> None:
    if make == "*" and isinstance(a, int) and isinstance(b, int):
        too_big = a.bit_length() + b.bit_length() > MAX_INT_BITS
    elif make == "*":
        seq, n = (a, b) if isinstance(b, int) else (b, a)
        too_big = isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_ITEMS
    elif make == "**":
        too_big = isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS
    else:   # "<<"
        too_big = isinstance(a, int) and isinstance(b, int) and a != 0 and a.bit_length() + b > MAX_INT_BITS
    if too_big:
        raise SandboxViolation(f"the result of {make} would be too large")


def _mul(a, b):
    _check_size(a, b, "*")
    return a * b


def _pow(a, b, mod=None):
    if mod is not None:
        return pow(a, b, mod)   # bounded by mod
    _check_size(a, b, "**")
    return a ** b


def _lshift(a, b):
    _check_size(a, b, "<<")
    return a << b


def _inplacevar(op: str, target, value):
    if op in ("*=", "**=", "<<="):
        _check_size(target, value, op[:-1])
    elif op == "+=" and isinstance(target, list):
        value = list(value)     # like extend: never iterate a list while growing it
    return _INPLACE[op](target, value)


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _bounded_range(*args) -> range:
    span = range(*args)
    try:
        too_long = len(span) > MAX_ITEMS
    except OverflowError:
        too_long = True
    if too_long:
        raise SandboxViolation(f"range longer than {MAX_ITEMS} is not allowed")
    return span


def _on_a_copy(pick):
    """min/max that copy one iterable argument first, so a ``key`` cannot grow it."""
    def call(*args, **kwargs):
        return pick(list(args[0]), **kwargs) if len(args) == 1 else pick(*args, **kwargs)
    call.__name__ = pick.__name__
    return call


def _empty(value) -> bool:
    """JUEL ``empty``: null, or a string or collection of length 0."""
    try:
        return value is None or len(value) == 0
    except TypeError:
        return False


class _DiscardedPrint:
    """``print`` in a script writes nowhere (RestrictedPython's print hook)."""

    def __init__(self, _getattr_=None):
        pass

    def _call_print(self, *objects, **options):
        pass

    def __call__(self) -> str:
        return ""


SAFE_BUILTINS: dict[str, Any] = {
    **{f.__name__: f for f in (abs, all, any, bool, chr, dict, divmod, enumerate, float, frozenset, int,
                               isinstance, len, list, next, ord, repr, reversed, round, set, slice, sorted,
                               str, sum, tuple, zip)},
    **{e.__name__: e for e in (Exception, ArithmeticError, AssertionError, AttributeError, IndexError,
                               KeyError, LookupError, NameError, NotImplementedError, OverflowError,
                               RuntimeError, StopIteration, TypeError, ValueError, ZeroDivisionError)},
    "min": _on_a_copy(min), "max": _on_a_copy(max), "range": _bounded_range, "pow": _pow,
    "getattr": _getattr, "hasattr": _hasattr,
    "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
    "json": types.SimpleNamespace(dumps=json.dumps, loads=json.loads),
}

_GUARDS = {
    "_getattr_": _getattr, "_getitem_": operator.getitem, "_getiter_": iter, "_write_": _write,
    "_inplacevar_": _inplacevar, "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_apply_": lambda f, *a, **k: f(*a, **k),
    "_print_": _DiscardedPrint, "_print": _DiscardedPrint(), EMPTY_HELPER: _empty,
    "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift,
}


# --- running ----------------------------------------------------------------

class _Clock:
    """The deadline of one run; ``tick`` is called by the inserted checks."""
    __slots__ = ("deadline", "expired_at")

    def __init__(self, seconds: float):
        self.deadline, self.expired_at = time.monotonic() + seconds, 0

    def tick(self, line: int) -> bool:
        if time.monotonic() > self.deadline:
            self.expired_at = self.expired_at or line
            raise ScriptTimeout()
        return True


def _run(compiled: CompiledScript, namespace: dict, globals_: dict, timeout: float) -> Any:
    """Run compiled code in ``namespace`` (which it may change)."""
    namespace.update(globals_)
    if compiled.juel:
        namespace["_getattr_"] = _getattr_juel
    clock = None
    if compiled.uses_clock:
        clock = _Clock(timeout)
        namespace[_CLOCK] = clock.tick
    try:
        result = eval(compiled.code, namespace)   # noqa: S307 - restricted code, guarded namespace
    except (KeyboardInterrupt, SystemExit):
        raise               # the process is stopping; a script cannot raise these (no such names)
    except BaseException as err:    # ``ValueError.mro()`` reaches BaseException: catch it too
        line = _script_line(err) or (clock.expired_at if clock else 0)
        if isinstance(err, ScriptTimeout):
            message = f"script took longer than {timeout:g} s"
        elif isinstance(err, SandboxViolation):
            message = str(err)
        else:
            message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise ScriptError(message, line, _quote(compiled.lines, line)) from err
    if clock and clock.expired_at:     # the script caught the time-out and carried on
        line = clock.expired_at
        raise ScriptError(f"script took longer than {timeout:g} s", line, _quote(compiled.lines, line)) \
            from ScriptTimeout()
    return result


def _quote(lines: tuple[str, ...], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _script_line(err: BaseException) -> int:
    """The line of the innermost frame of the script in the traceback."""
    line, tb = 0, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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
        self._globals = {**_GUARDS, "__builtins__": {**SAFE_BUILTINS, **self.globals}}

    def evaluate(self, expression, context, external_context=None):
        namespace = {**external_context, **context} if external_context else dict(context)
        return _run(compile_script(expression, "eval"), namespace, self._globals, self.timeout)

    def execute(self, script, context, external_context=None):
        """Run ``script``; only if it succeeds do its variables replace
        ``context`` (deleted ones disappear), so a failed script leaves the
        task data as it was (nested objects it mutated excepted)."""
        external_context = external_context or {}
        namespace = {**external_context, **context}
        _run(compile_script(script, "exec"), namespace, self._globals, self.timeout)
        kept = {name: value for name, value in namespace.items()
                if _is_task_data(name, value, context) and (name in context or name not in external_context)}
        for name in [name for name in context if name not in kept]:
            del context[name]
        context.update(kept)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by the worker")


class SandboxedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every script and expression sandboxed.

    ``BpmnWorkflow(spec, subprocess_specs, script_engine=SandboxedScriptEngine())``;
    the engine is not serialized, set it again after each deserialize. Failures
    raise ``WorkflowTaskException`` with ``line_number`` and ``error_line``.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, environment: SandboxEnvironment | None = None):
        super().__init__(environment or SandboxEnvironment(timeout))

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


def evaluate_expression(expression: str, data: dict, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Evaluate ``expression`` (Python or ``${...}``) against ``data``; raises ``ScriptError``."""
    return SandboxEnvironment(timeout).evaluate(expression, data)


def _task_error(task, err: ScriptError, note: str | None = None) -> WorkflowTaskException:
    error = WorkflowTaskException(err.message, task=task, exception=err.__cause__ or err,
                                  line_number=err.line_number, error_line=err.error_line)
    if note:
        error.add_note(note)
    return error
