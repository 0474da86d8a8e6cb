"""Service-task hooks: Python callables a service task names, called by the
worker outside any database transaction. No Flask and no SQLAlchemy here: the
worker hands a hook its evaluated parameters and a ``HookContext``, and stores
what ``call_hook`` returns.

    from app.hooks import hook, HookFailed

    @hook("crm.lookup")
    def crm_lookup(params, context):
        ...  # return JSON data, raise HookFailed (retried), BpmnError or BpmnEscalation (modelled paths)
"""
from .calling import call_hook
from .context import HookContext, hook_secrets
from .errors import BpmnError, BpmnEscalation, DuplicateHook, HookFailed, UnknownHook
from .registry import ENTRY_POINT_GROUP, EntryPointProblem, HookRegistry, default_registry, hook, load_entry_points

# Imported for its effect: the built-in `http` hook registers itself in default_registry.
from . import http as _http  # noqa: E402,F401  isort: skip

__all__ = [
    "BpmnError",
    "BpmnEscalation",
    "DuplicateHook",
    "ENTRY_POINT_GROUP",
    "EntryPointProblem",
    "HookContext",
    "HookFailed",
    "HookRegistry",
    "UnknownHook",
    "call_hook",
    "default_registry",
    "hook",
    "hook_secrets",
    "load_entry_points",
]
