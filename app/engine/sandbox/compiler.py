"""Compiling a script or expression under the sandbox policy, cached by its text."""
from __future__ import annotations

import ast
import functools
import textwrap
import types
from typing import NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec

from ..expressions import is_juel, translate
from .errors import SandboxViolation, ScriptError
from .policy import SandboxPolicy

SCRIPT_FILENAME = "<bpmn script>"   # how the script's own frames are recognised in tracebacks


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
    quote = functools.partial(quote_line, lines)
    try:
        tree = ast.parse(python, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        raise ScriptError(f"SyntaxError: {err.msg}", err.lineno or 0, quote(err.lineno or 0)) from err
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_restricted(tree, SCRIPT_FILENAME, policy=SandboxPolicy)
    if result.errors:
        where, _, message = result.errors[0].partition(": ")
        line = int(where[5:]) if where[5:].isdigit() else 0    # "Line 3: ..."
        raise ScriptError(message, line, quote(line)) from SandboxViolation(message)
    return CompiledScript(result.code, juel, tree.uses_clock, lines)


def quote_line(lines: tuple[str, ...], line: int) -> str:
    """The text of ``line`` (1-based), or "" when there is no such line."""
    return lines[line - 1] if 0 < line <= len(lines) else ""
