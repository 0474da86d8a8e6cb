"""What the compiler refuses and rewrites: RestrictedPython's policy with
Baton's refusals, messages and size-bounded operators, on top of the time
limit's clock checks."""
from __future__ import annotations

import ast

from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from ..expressions import EMPTY_HELPER
from .timebound import TimeBoundPolicy

# Operators whose results can be huge, and the guard each is routed through.
_BOUNDED_OPERATORS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}


class SandboxPolicy(TimeBoundPolicy):
    """No imports, no classes, no name or attribute starting with ``_``, no
    frame/generator internals; ``*``, ``**`` and ``<<`` go through guards."""

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
        helper = _BOUNDED_OPERATORS.get(type(node.op))
        return self._call(helper, node, node.left, node.right) if helper else node
