"""Camunda-style ``${...}`` expressions translated to Python source.

Diagrams from SpiffArena write conditions, assignees and timers as Python;
diagrams from Camunda Modeler write them as JUEL: ``${amount > 1000 && !urgent}``.
``translate`` turns the second kind into the first so one sandbox runs both.
Text not wrapped in ``${...}`` (or ``#{...}``) is Python and comes back
unchanged, so translating twice is the same as translating once. The one
exception is a bare ISO 8601 timer value (``PT5M``, ``R3/P1D``,
``2030-01-01T09:00:00Z``), which Camunda Modeler writes unquoted and which
is quoted here so it evaluates to itself.

The tokenizer is hand-written rather than Python's ``tokenize``: JUEL is not
Python lexically (``!`` alone is an error token in Python 3.11 and an operator
in 3.12, ``&&``/``||`` come out as two tokens), and only JUEL text is ever
tokenized here, so a ten-line regex matching JUEL's own grammar is simpler and
does not change with the Python version.

Not translated: method calls on Java types
(``list.size()``), composite templates (``Dear ${name}``), and JUEL's
chaining rule for ``a < b == c`` (Python chains comparisons).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Name of the helper that implements JUEL ``empty``; the sandbox provides it
# and lets exactly this underscore name through its name check, so task data
# can neither shadow it nor reach it under another name.
EMPTY_HELPER = "_empty_"

_TOKEN = re.compile(
    r"""(?P<gap>\s*)(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_]\w*)
      | (?P<op>&&|\|\||==|!=|<=|>=|.)
    )""",
    re.VERBOSE | re.DOTALL,
)

# JUEL words and symbols whose Python spelling differs. Symbols that become
# words get spaces where JUEL had none (``a&&b``).
_WORDS = {
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
    "div": "/", "mod": "%", "true": "True", "false": "False", "null": "None",
}
_SYMBOLS = {"&&": "and", "||": "or"}
_UNARY = {"!", "not", "empty"}       # operators that take one operand
_PREFIX = _UNARY | {"-", "+"}        # may stack in front of an operand
_OPEN, _CLOSE = "([", ")]"

_ISO_PART = (
    r"(?:P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
)
_ISO_TIMER = re.compile(rf"(?:R\d*/)?{_ISO_PART}(?:/{_ISO_PART})?")


class _Token(NamedTuple):
    gap: str    # the whitespace before the token, kept to preserve layout
    text: str
    kind: str   # string, number, name or op


def is_juel(expression: str) -> bool:
    """True if the whole text is one ``${...}`` (or ``#{...}``) expression."""
    text = expression.strip() if isinstance(expression, str) else ""
    if len(text) < 3 or text[:2] not in ("${", "#{") or text[-1] != "}":
        return False
    depth = 0
    for token in _tokens(text[2:-1]):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
            if depth < 0:   # "${a} and ${b}": the first brace closes early
                return False
    return True


@lru_cache(maxsize=2048)
def translate(expression: str) -> str:
    """Python source for ``expression``; plain Python is returned unchanged."""
    if not is_juel(expression):
        stripped = expression.strip()
        if _ISO_TIMER.fullmatch(stripped):
            return repr(stripped)
        return expression
    tokens = _tokens(expression.strip()[2:-1])
    return _emit(tokens, 0, len(tokens)).strip()


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "gap":       # trailing whitespace only
            break
        # Newlines between tokens would end a Python expression early.
        gap = " " if "\n" in match["gap"] else match["gap"]
        tokens.append(_Token(gap, match[kind], kind))
    return tokens


def _emit(tokens: list[_Token], start: int, end: int) -> str:
    """Python text for ``tokens[start:end]``."""
    question = _find_ternary(tokens, start, end)
    if question is not None:
        # JUEL's ``c ? a : b`` has the lowest precedence, so it splits the range.
        question, colon = question
        condition = _emit(tokens, start, question).strip()
        then = _emit(tokens, question + 1, colon).strip()
        otherwise = _emit(tokens, colon + 1, end).strip()
        return f"{tokens[start].gap}({then} if {condition} else {otherwise})"
    out = []
    i = start
    while i < end:
        token = tokens[i]
        after_dot = i > 0 and tokens[i - 1].text == "."
        if token.text in _UNARY and not after_dot:
            # JUEL's ``!`` and ``empty`` bind tighter than comparisons and
            # Python's ``not`` looser, so the operand is parenthesised:
            # ``!a == b`` is ``(not a) == b``.
            stop = min(_operand_end(tokens, i + 1), end)
            operand = _emit(tokens, i + 1, stop).strip()
            if token.text == "empty":
                out.append(f"{token.gap}{EMPTY_HELPER}({operand})")
            else:
                out.append(f"{token.gap}(not {operand})")
            i = stop
        elif token.text in _OPEN:
            close = min(_matching(tokens, i), end - 1)
            inner = _emit(tokens, i + 1, close) if close > i else ""
            closing = tokens[close].gap + tokens[close].text if close > i else ""
            out.append(token.gap + token.text + inner + closing)
            i = close + 1
        elif token.text in _SYMBOLS:
            following = tokens[i + 1].gap if i + 1 < end else " "
            out.append((token.gap or " ") + _SYMBOLS[token.text] + ("" if following else " "))
            i += 1
        else:
            word = token.kind == "name" and not after_dot
            out.append(token.gap + (_WORDS.get(token.text, token.text) if word else token.text))
            i += 1
    return "".join(out)


def _find_ternary(tokens: list[_Token], start: int, end: int) -> tuple[int, int] | None:
    """Positions of the outermost ``?`` and its ``:`` in the range, if any."""
    depth, question, pending = 0, None, 0
    for i in range(start, end):
        text = tokens[i].text
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth -= 1
        elif depth == 0 and text == "?":
            question = i if question is None else question
            pending += 1
        elif depth == 0 and text == ":" and question is not None:
            pending -= 1
            if pending == 0:
                return question, i
    return None


def _operand_end(tokens: list[_Token], i: int) -> int:
    """Index just past the unary operand starting at ``i``: any prefix
    operators, then a name, literal or bracketed group, then ``.name``,
    ``[...]`` and ``(...)`` suffixes."""
    n = len(tokens)
    while i < n and tokens[i].text in _PREFIX:
        i += 1
    if i >= n:
        return n
    i = _matching(tokens, i) + 1 if tokens[i].text in _OPEN else i + 1
    while i < n:
        if tokens[i].text == "." and i + 1 < n and tokens[i + 1].kind == "name":
            i += 2
        elif tokens[i].text in _OPEN:
            i = _matching(tokens, i) + 1
        else:
            break
    return i


def _matching(tokens: list[_Token], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (the last token if none)."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text in _OPEN:
            depth += 1
        elif tokens[j].text in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1
