"""Camunda ``${...}`` expressions: the translation to Python, and what the
translated text means when the sandbox evaluates it."""
from __future__ import annotations

import pytest

from app.engine.expressions import is_juel, translate
from app.engine.sandbox import evaluate_expression


@pytest.mark.parametrize("juel, python", [
    ("${approved}", "approved"),
    ("#{approved}", "approved"),
    ("${a == b}", "a == b"),
    ("${a != b}", "a != b"),
    ("${a < b}", "a < b"),
    ("${a > b}", "a > b"),
    ("${a <= b}", "a <= b"),
    ("${a >= b}", "a >= b"),
    ("${a && b}", "a and b"),
    ("${a&&b}", "a and b"),
    ("${a || b}", "a or b"),
    ("${a||b}", "a or b"),
    ("${!a}", "(not a)"),
    ("${! a}", "(not a)"),
    ("${a and b}", "a and b"),
    ("${a or b}", "a or b"),
    ("${not a}", "(not a)"),
    ("${empty a}", "_empty_(a)"),
    ("${not empty a.b}", "(not _empty_(a.b))"),
    ("${true}", "True"),
    ("${false}", "False"),
    ("${x == null}", "x == None"),
    ("${a eq b}", "a == b"),
    ("${a ne b}", "a != b"),
    ("${a lt b}", "a < b"),
    ("${a gt b}", "a > b"),
    ("${a le b}", "a <= b"),
    ("${a ge b}", "a >= b"),
    ("${a div b}", "a / b"),
    ("${a mod b}", "a % b"),
    ("${amount > 1000 && !urgent}", "amount > 1000 and (not urgent)"),
    ("${!a == b}", "(not a) == b"),
    ("${!(a || b)}", "(not (a or b))"),
    ("${!!a}", "(not (not a))"),
    ("${!order.lines[0].ok && b}", "(not order.lines[0].ok) and b"),
    ("${-x.y < 3}", "-x.y < 3"),
    ("${order.amount}", "order.amount"),
    ("${order.eq}", "order.eq"),             # a property, not the operator
    ("${a ? 'x' : 'y'}", "('x' if a else 'y')"),
    ("${a ? b : c ? d : e}", "(b if a else (d if c else e))"),
    ("${(a ? 1 : 2) + 3}", "((1 if a else 2)) + 3"),
    ("${a\n && b}", "a and b"),
    ("  ${ approved }  ", "approved"),
])
def test_each_operator_translates(juel, python):
    assert translate(juel) == python


@pytest.mark.parametrize("juel, python", [
    ('${x == "a && !b || c"}', 'x == "a && !b || c"'),
    ("${x == 'a && !b || c'}", "x == 'a && !b || c'"),
    ("${x == 'it\\'s !true'}", "x == 'it\\'s !true'"),
    ('${x == "say \\"null\\" eq empty"}', 'x == "say \\"null\\" eq empty"'),
    ('${x == "?:" ? "y" : "n"}', '("y" if x == "?:" else "n")'),
    ('${x == "}"}', 'x == "}"'),
])
def test_nothing_inside_string_literals_is_translated(juel, python):
    assert translate(juel) == python


@pytest.mark.parametrize("python", [
    "amount > 1000 and not urgent",
    "approved",
    "x == '${not juel}'",
    "len(items) > 0",
    "a if b else c",
    "'PT5M'",
    "${a} and ${b}",           # two expressions in one text: not one JUEL expression
    "total = sum(x for x in items)\nok = total > 3",
])
def test_plain_python_is_returned_unchanged(python):
    assert translate(python) == python
    assert translate(translate(python)) == translate(python)


@pytest.mark.parametrize("juel", ["${a && !b}", "${empty x ? 'y' : 'n'}", "${order.total ge 10 || urgent}"])
def test_translating_twice_is_translating_once(juel):
    assert translate(translate(juel)) == translate(juel)


@pytest.mark.parametrize("text, expected", [
    ("${a}", True), (" ${a} ", True), ("#{a}", True), ("${a == '}'}", True), ("${f({})}", True),
    ("a", False), ("${a} and ${b}", False), ("$a", False), ("${a", False), ("{a}", False), ("", False),
    (None, False),
])
def test_is_juel(text, expected):
    assert is_juel(text) is expected


@pytest.mark.parametrize("timer", ["PT5M", "P7D", "R6/P1D", "R/PT1H", "PT1.5S", "2030-01-01T09:00:00Z",
                                   "R3/2030-01-01T09:00:00+02:00/PT10M", "2030-01-01"])
def test_bare_iso_timer_values_are_quoted(timer):
    assert translate(timer) == repr(timer)
    assert evaluate_expression(timer, {}) == timer


@pytest.mark.parametrize("name", ["P", "PT", "Period", "P5", "amount"])
def test_names_that_only_look_like_timers_are_left_alone(name):
    assert translate(name) == name


# --- what translated expressions mean ---------------------------------------

@pytest.mark.parametrize("expression, data, expected", [
    ("${amount > 1000 && !urgent}", {"amount": 2000, "urgent": False}, True),
    ("${amount > 1000 && !urgent}", {"amount": 2000, "urgent": True}, False),
    ("${amount gt 1000 and not urgent}", {"amount": 10, "urgent": False}, False),
    ("${!a == b}", {"a": True, "b": False}, True),          # JUEL: (!a) == b
    ("${clarified == 'yes'}", {"clarified": "yes"}, True),
    ("${x == null}", {"x": None}, True),
    ("${order.amount ge 10}", {"order": {"amount": 10}}, True),
    ("${order.customer.name}", {"order": {"customer": {"name": "Ann"}}}, "Ann"),
    ("${order.items}", {"order": {"items": [1, 2]}}, [1, 2]),   # the key, not dict.items
    ("${order.missing}", {"order": {}}, None),                  # JUEL: a missing map key is null
    ("${urgent ? 'ops' : 'desk'}", {"urgent": True}, "ops"),
    ("${manager}", {"manager": "bob"}, "bob"),
    ("${amount div 4 mod 3}", {"amount": 20}, 2.0),
])
def test_translated_expressions_evaluate_like_juel(expression, data, expected):
    assert evaluate_expression(expression, data) == expected


@pytest.mark.parametrize("value, expected", [
    (None, True), ("", True), ([], True), ({}, True), ((), True), (set(), True),
    ("x", False), ([0], False), ({"a": 1}, False), (0, False), (False, False),
])
def test_empty_is_null_or_length_zero(value, expected):
    assert evaluate_expression("${empty v}", {"v": value}) is expected
    assert evaluate_expression("${not empty v}", {"v": value}) is not expected
