"""The script sandbox: every script and expression of a diagram runs here.

Code is compiled by RestrictedPython with a stricter policy (policy), then run
(runner) against task data with guarded attribute access (guards), a small set
of builtins (safe_builtins), cheap memory bounds (bounds) and a time limit
(timebound). Compiled code is cached by source text (compiler). SpiffWorkflow
reaches it through SandboxEnvironment (environment) and SandboxedScriptEngine
(engine).
"""
from .bounds import MAX_INT_BITS, MAX_ITEMS
from .compiler import SCRIPT_FILENAME, CompiledScript, compile_script
from .engine import SandboxedScriptEngine
from .environment import DEFAULT_TIMEOUT, SandboxEnvironment, evaluate_expression
from .errors import SandboxViolation, ScriptError, ScriptTimeout
from .safe_builtins import SAFE_BUILTINS

__all__ = [
    "DEFAULT_TIMEOUT", "MAX_INT_BITS", "MAX_ITEMS", "SAFE_BUILTINS", "SCRIPT_FILENAME",
    "CompiledScript", "SandboxEnvironment", "SandboxViolation", "SandboxedScriptEngine",
    "ScriptError", "ScriptTimeout", "compile_script", "evaluate_expression",
]
