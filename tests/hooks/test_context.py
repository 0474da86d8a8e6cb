"""HookContext: what a hook knows of its call, and the secrets it may read."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from app.hooks import HookContext, HookFailed, hook_secrets

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)  # what make_context passes


def test_the_context_carries_the_call_and_the_clock_time(make_context):
    context = make_context(attempt=2)
    assert (context.instance_id, context.task_id, context.element, context.attempt) == (7, "task-1", "call_crm", 2)
    assert context.now == NOW
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.attempt = 3


def test_attempts_count_from_one():
    with pytest.raises(ValueError, match="from 1"):
        HookContext(instance_id=1, task_id="t", element="e", attempt=0, now=NOW)


def test_a_configured_secret_is_read_by_name_in_any_case(make_context):
    context = make_context(secrets={"crm_token": "s3cret"})
    assert context.secret("crm_token") == "s3cret"
    assert context.secret("CRM_TOKEN") == "s3cret"


def test_a_missing_secret_fails_without_retry_and_says_where_to_set_it(make_context):
    with pytest.raises(HookFailed) as failed:
        make_context(secrets={"other": "x"}).secret("crm_token")
    assert failed.value.retryable is False
    assert "secret 'crm_token' is not configured" in str(failed.value)
    assert "BATON_SECRET_CRM_TOKEN" in str(failed.value)


def test_secrets_stay_out_of_repr_and_cannot_be_changed(make_context):
    given = {"crm_token": "s3cret"}
    context = make_context(secrets=given)
    assert "s3cret" not in repr(context)
    given["crm_token"] = "changed"
    assert context.secret("crm_token") == "s3cret"
    with pytest.raises(TypeError):
        context.secrets["crm_token"] = "changed"


def test_secrets_come_from_configuration_and_the_environment_which_wins():
    secrets = hook_secrets(
        {"crm_token": "from-config", "mail": "m"},
        {"BATON_SECRET_CRM_TOKEN": "from-env", "BATON_SECRET_LDAP": "l", "HOME": "/root", "BATON_SECRET_": "x"},
    )
    assert secrets == {"CRM_TOKEN": "from-env", "MAIL": "m", "LDAP": "l"}


def test_the_session_key_is_never_a_hook_secret():
    # BATON_SECRET_KEY signs Flask sessions; a diagram must not be able to send it anywhere.
    assert hook_secrets(None, {"BATON_SECRET_KEY": "flask-key"}) == {}
