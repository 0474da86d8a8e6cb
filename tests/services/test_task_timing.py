"""Due dates and priorities of human tasks, as the diagram sets them:
literal, counted from when the task opens, or an expression over the data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.services import instances
from app.services.errors import InvalidDeployment
from tests.support.bpmn import linear_process, user


def _open_task(deploy, make_user, **attrs):
    deploy({"p.bpmn": linear_process("timed", user("work", "Work", **attrs))})
    return instances.start_instance("timed", make_user("ann"), data={"deadline": "2026-03-01", "p": 80}).open_tasks[0]


def test_a_duration_counts_from_when_the_task_opens(app_ctx, deploy, make_user, clock):
    task = _open_task(deploy, make_user, camunda_dueDate="P2DT4H", camunda_priority="70")
    assert task.due_at == clock.now() + timedelta(days=2, hours=4)
    assert task.priority == 70


def test_expressions_read_the_task_data(app_ctx, deploy, make_user):
    task = _open_task(deploy, make_user, camunda_dueDate="${deadline}", camunda_priority="${p}")
    assert task.due_at == datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone.utc)   # a date: by its end
    assert task.priority == 80


def test_without_rules_a_task_has_no_due_date_and_the_middle_priority(app_ctx, deploy, make_user):
    task = _open_task(deploy, make_user)
    assert task.due_at is None and task.priority == 50


def test_an_expression_with_a_useless_value_leaves_the_defaults(app_ctx, deploy, make_user):
    task = _open_task(deploy, make_user, camunda_dueDate="${missing}", camunda_priority="${deadline}")
    assert task.due_at is None and task.priority == 50


@pytest.mark.parametrize("attrs, message", [
    ({"camunda_dueDate": "tomorrow"}, "'tomorrow' is neither a duration (e.g. P2D) nor a date"),
    ({"camunda_dueDate": "P2Q"}, "'P2Q' is not an ISO 8601 duration"),
    ({"camunda_priority": "urgent"}, "priority 'urgent' must be a whole number from 0 to 100"),
    ({"camunda_priority": "101"}, "priority '101' must be a whole number from 0 to 100"),
])
def test_literal_values_are_checked_at_deploy(app_ctx, deploy, attrs, message):
    with pytest.raises(InvalidDeployment) as refused:
        deploy({"p.bpmn": linear_process("timed", user("work", "Work", **attrs))})
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1 and problems[0].startswith("p.bpmn:") and message in problems[0], problems
    assert "work" in problems[0]
