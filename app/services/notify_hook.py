"""The built-in ``notify`` hook: a message to people and groups, kept in the
outbox (each recipient's Messages page) and emailed when Baton has a mail
server. It lives with the services, not in ``app.hooks``, because it writes to
the database; importing this module registers it (``app.worker.load_hooks``).

Parameters (each a Python expression in the diagram; None counts as not given):

    to       a username or a list of usernames
    groups   a group name or a list of them (their active members get it)
    subject  one line, at most 300 characters
    body     plain text, at most 20,000 characters

Returns ``{"recipients": [usernames], "emailed": n, "empty_groups": [...],
"inactive_users": [...]}``: a group without active members, or a deactivated
person named, is not a failure, but the result says who was not reached.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.hooks import HookContext, HookFailed, hook

from . import outbox
from .errors import InvalidData

PARAMETERS = ("to", "groups", "subject", "body")
# The outbox's names for what it refuses -> the parameters a diagram author wrote.
PARAMETER_OF_FIELD = {"users": "to", "groups": "groups", "subject": "subject", "body": "body",
                      "recipients": "to' or 'groups"}


@hook("notify")
def notify_hook(params: dict, context: HookContext) -> dict:
    if not isinstance(params, Mapping):
        raise HookFailed(f"notify hook: parameters must be a mapping, got {type(params).__name__}", retryable=False)
    if unknown := sorted(str(name) for name in params if name not in PARAMETERS):
        raise HookFailed(f"notify hook: unknown parameter(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(PARAMETERS)})", retryable=False)
    try:
        sent = outbox.send(params.get("to"), params.get("groups"), params.get("subject"), params.get("body"),
                           instance_id=_instance_id(context),
                           source=f"task:{context.task_id}" if context.task_id else None)
    except InvalidData as refused:
        # A mistake in the diagram or its data: the same call would fail again.
        problems = "; ".join(f"parameter '{PARAMETER_OF_FIELD.get(field, field)}': {' '.join(messages)}"
                             for field, messages in refused.fields.items())
        raise HookFailed(f"notify hook: {problems}", retryable=False) from None
    return {"recipients": sent.recipients, "emailed": sent.emailed,
            "empty_groups": sent.empty_groups, "inactive_users": sent.inactive_users}


def _instance_id(context: HookContext) -> int | None:
    """The case the message is about (the worker gives its id; a test may give anything)."""
    value = context.instance_id
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None
