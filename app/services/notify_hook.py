"""The built-in ``notify`` hook: a message to people and groups, kept in the
outbox (each recipient's Messages page) and emailed when Baton has a mail
server. It lives with the services, not in ``app.hooks``, because it writes to
the database; importing this module registers it (``app.worker.load_hooks``).

Parameters (each a Python expression in the diagram; None counts as not given):

    to       a username or a list of names, where ``group:NAME`` names a group
             (as ../shared/API.md documents the hook)
    groups   a group name or a list of them (their active members get it)
    subject  one line, at most 300 characters
    body     plain text, at most 20,000 characters

Returns ``{"notification_ids": [outbox ids], "recipients": [usernames],
"emailed": n, "empty_groups": [...], "inactive_users": [...]}``: a group
without active members, or a deactivated person named, is not a failure, but
the result says who was not reached.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.hooks import HookContext, HookFailed, hook

from . import outbox
from .errors import InvalidData

PARAMETERS = ("to", "groups", "subject", "body")
GROUP_PREFIX = "group:"
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
    users, groups = _recipients(params.get("to"), params.get("groups"))
    try:
        sent = outbox.send(users, groups, params.get("subject"), params.get("body"),
                           instance_id=_instance_id(context),
                           source=f"task:{context.task_id}" if context.task_id else None)
    except InvalidData as refused:
        # A mistake in the diagram or its data: the same call would fail again.
        problems = "; ".join(f"parameter '{PARAMETER_OF_FIELD.get(field, field)}': {' '.join(messages)}"
                             for field, messages in refused.fields.items())
        raise HookFailed(f"notify hook: {problems}", retryable=False) from None
    return {"notification_ids": sent.message_ids, "recipients": sent.recipients, "emailed": sent.emailed,
            "empty_groups": sent.empty_groups, "inactive_users": sent.inactive_users}


def _recipients(to, groups):
    """``to``'s ``group:NAME`` entries moved to the groups; anything that is not
    a name or a list of names goes on as it is, for the outbox to refuse."""
    names = [to] if isinstance(to, str) else to
    if not isinstance(names, (list, tuple)) or not any(_is_group(n) for n in names):
        return to, groups
    named_groups = [n.strip()[len(GROUP_PREFIX):] for n in names if _is_group(n)]
    others = [] if groups is None else [groups] if isinstance(groups, str) else groups
    if not isinstance(others, (list, tuple)):
        return to, groups
    return [n for n in names if not _is_group(n)] or None, [*others, *named_groups]


def _is_group(name) -> bool:
    return isinstance(name, str) and name.strip().startswith(GROUP_PREFIX)


def _instance_id(context: HookContext) -> int | None:
    """The case the message is about (the worker gives its id; a test may give anything)."""
    value = context.instance_id
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None
