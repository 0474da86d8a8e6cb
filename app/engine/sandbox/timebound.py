"""The time limit: clock checks inserted into the code, and the clock they call.

The limit is enforced by a clock call the policy inserts at the top of every
loop body, function body, lambda and comprehension, not by ``sys.settrace``:
in Python 3.11 a one-line ``while 1: pass`` emits no 'line' events at all, and
a tracer would also displace debuggers and coverage. Only loops and calls can
run unbounded, so ticking there bounds them; the clock's exception is a
``BaseException`` and keeps firing after the deadline, so ``except:`` in the
script cannot swallow it for good. Builtins that could loop in C without end
are kept out or made to copy their input (see safe_builtins and guards).
"""
from __future__ import annotations

import ast
import time

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from .errors import ScriptTimeout

CLOCK_NAME = "_tick_"     # the name the inserted checks call; bound to Clock.tick at run time


class TimeBoundPolicy(RestrictingNodeTransformer):
    """Inserts a clock check wherever code can repeat, and records whether it did."""

    uses_clock = False

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
        return ast.Expr(self._call(CLOCK_NAME, node, ast.Constant(getattr(node, "lineno", 0))))

    @staticmethod
    def _call(helper, node, *args):
        """A call to ``helper``, a name the run-time namespace provides."""
        call = ast.Call(func=ast.Name(helper, ast.Load()), args=list(args), keywords=[])
        copy_locations(call, node)
        return call

    def _finish(self, root):
        root.uses_clock = self.uses_clock   # read back by compile_script
        return ast.fix_missing_locations(root)


class Clock:
    """The deadline of one run; ``tick`` is called by the inserted checks."""
    __slots__ = ("deadline", "expired_at")

    def __init__(self, seconds: float):
        self.deadline, self.expired_at = time.monotonic() + seconds, 0

    def tick(self, line: int) -> bool:
        if time.monotonic() > self.deadline:
            self.expired_at = self.expired_at or line
            raise ScriptTimeout()
        return True
