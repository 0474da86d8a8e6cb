"""call_hook: whatever a hook does, the worker sees JSON data, HookFailed or BpmnError."""
from __future__ import annotations

import math
from datetime import datetime

import pytest

from app.hooks import BpmnError, HookFailed, HookRegistry, UnknownHook, call_hook


def registry_with(fn, name="the.hook") -> HookRegistry:
    registry = HookRegistry()
    registry.register(name, fn)
    return registry


@pytest.mark.parametrize(
    "result",
    [{"a": [1, 2.5, "x", True, None, {"b": False}]}, [1, "two"], "text", 42, 2.5, True, False, None],
)
def test_json_results_come_back_equal(result, make_context):
    assert call_hook(registry_with(lambda params, context: result), "the.hook", {}, make_context()) == result


def test_the_hook_gets_the_parameters_and_the_context(make_context):
    seen = {}

    def spy(params, context):
        seen.update(params=params, context=context)
        return "ok"

    context = make_context(attempt=3)
    call_hook(registry_with(spy), "the.hook", {"x": 1}, context)
    assert seen == {"params": {"x": 1}, "context": context}
    assert seen["context"].attempt == 3


def test_the_result_is_a_copy_in_plain_json_types(make_context):
    kept = {"items": (1, 2)}
    result = call_hook(registry_with(lambda params, context: kept), "the.hook", {}, make_context())
    assert result == {"items": [1, 2]}
    kept["items"] = "changed later by the hook"
    assert result == {"items": [1, 2]}


@pytest.mark.parametrize(
    "result, named",
    [
        ({"when": datetime(2026, 1, 1)}, "datetime.datetime"),
        ({1, 2}, "set"),
        ([math.nan], "Out of range float"),
        ({("a", "b"): 1}, "tuple"),
        (object(), "object"),
    ],
)
def test_a_result_that_is_not_json_fails_without_retry_naming_the_type(result, named, make_context):
    with pytest.raises(HookFailed) as failed:
        call_hook(registry_with(lambda params, context: result), "the.hook", {}, make_context())
    assert failed.value.retryable is False
    assert "'the.hook' returned" in str(failed.value)
    assert named in str(failed.value)


def test_a_cyclic_result_fails_without_retry(make_context):
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(HookFailed, match="cannot be stored as JSON") as failed:
        call_hook(registry_with(lambda params, context: cyclic), "the.hook", {}, make_context())
    assert failed.value.retryable is False


def test_any_other_exception_becomes_a_retryable_failure_naming_its_type(make_context):
    def broken(params, context):
        return params["missing"]

    with pytest.raises(HookFailed) as failed:
        call_hook(registry_with(broken), "the.hook", {}, make_context())
    assert str(failed.value) == "KeyError: 'missing'"
    assert failed.value.retryable is True
    assert isinstance(failed.value.__cause__, KeyError)


def test_a_hook_failure_passes_unchanged(make_context):
    raised = HookFailed("licence server says no", retryable=False)

    def refuses(params, context):
        raise raised

    with pytest.raises(HookFailed) as failed:
        call_hook(registry_with(refuses), "the.hook", {}, make_context())
    assert failed.value is raised and failed.value.retryable is False


def test_a_bpmn_error_passes_through_for_the_boundary_event(make_context):
    def no_licence(params, context):
        raise BpmnError("NoLicence", "pool is empty")

    with pytest.raises(BpmnError) as error:
        call_hook(registry_with(no_licence), "the.hook", {}, make_context())
    assert (error.value.code, error.value.message) == ("NoLicence", "pool is empty")
    assert not isinstance(error.value, HookFailed)


def test_a_bpmn_error_needs_a_code():
    with pytest.raises(ValueError, match="non-empty code"):
        BpmnError("")


def test_stopping_the_worker_is_not_turned_into_a_hook_failure(make_context):
    def interrupted(params, context):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_hook(registry_with(interrupted), "the.hook", {}, make_context())


def test_an_unknown_hook_is_a_failure_that_is_not_retried(make_context):
    with pytest.raises(UnknownHook, match="no hook named 'nope'.*'the.hook'") as unknown:
        call_hook(registry_with(lambda params, context: 1), "nope", {}, make_context())
    assert unknown.value.retryable is False
