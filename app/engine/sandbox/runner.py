"""Running compiled code against a namespace under a deadline, and turning
whatever it raises into a ``ScriptError`` that names the script's line."""
from __future__ import annotations

from typing import Any

from .compiler import SCRIPT_FILENAME, CompiledScript, quote_line
from .errors import SandboxViolation, ScriptError, ScriptTimeout
from .guards import getattr_juel
from .timebound import CLOCK_NAME, Clock


def run_compiled(compiled: CompiledScript, namespace: dict, globals_: dict, timeout: float) -> Any:
    """Run compiled code in ``namespace`` (which it may change)."""
    namespace.update(globals_)
    if compiled.juel:
        namespace["_getattr_"] = getattr_juel
    clock = None
    if compiled.uses_clock:
        clock = Clock(timeout)
        namespace[CLOCK_NAME] = clock.tick
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
        raise ScriptError(message, line, quote_line(compiled.lines, line)) from err
    if clock and clock.expired_at:     # the script caught the time-out and carried on
        line = clock.expired_at
        raise ScriptError(f"script took longer than {timeout:g} s", line, quote_line(compiled.lines, line)) \
            from ScriptTimeout()
    return result


def _script_line(err: BaseException) -> int:
    """The line of the innermost frame of the script in the traceback."""
    line, tb = 0, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
