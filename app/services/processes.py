"""Deployed processes as the runtime needs them, restored once per version.

A definition version never changes, so its restored SpiffWorkflow spec can be
kept in memory for as long as the process lives; that saves re-reading the
spec JSON on every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine import serializer
from app.engine.model import Form, ProcessModel, TaskMeta
from app.models import DefinitionVersion

from .version_cache import VersionCache

_CACHE_SIZE = 256


@dataclass(frozen=True)
class LoadedProcess:
    key: str
    flavour: str
    spec: Any
    subprocess_specs: dict
    tasks: dict[str, TaskMeta]
    start_form: Form | None
    initiator: str | None = None
    business_key_variable: str | None = None
    starters: dict | None = None    # {"groups": [...], "users": [...]}: who may start it; None: anyone
    # Each field any of its forms asks for, by name (field_schemas), worked out
    # once: a form that only shows an earlier answer reads its choices' titles here.
    fields: dict[str, dict] = field(default_factory=dict)


_cache: VersionCache[LoadedProcess] = VersionCache(_CACHE_SIZE)


def meta_to_dict(model: ProcessModel) -> dict:
    """What Baton keeps of a parsed process beside its SpiffWorkflow spec."""
    return {
        "tasks": {bpmn_id: meta.to_dict() for bpmn_id, meta in model.tasks.items()},
        "start_form": model.start_form.to_dict() if model.start_form else None,
        "initiator": model.initiator,
        "business_key_variable": model.business_key_variable,
        "starters": ({"groups": model.starter_groups, "users": model.starter_users}
                     if model.starter_groups or model.starter_users else None),
    }


def load_process(version: DefinitionVersion) -> LoadedProcess:
    return _cache.get_or_build((version.key, version.version, version.content_hash), lambda: _load(version))


def _load(version: DefinitionVersion) -> LoadedProcess:
    spec, subprocess_specs = serializer.load_spec(version.spec_json)
    tasks = {k: TaskMeta.from_dict(v) for k, v in (version.meta.get("tasks") or {}).items()}
    start_form = Form.from_dict(version.meta.get("start_form"))
    return LoadedProcess(
        key=version.key,
        flavour=version.flavour,
        spec=spec,
        subprocess_specs=subprocess_specs,
        tasks=tasks,
        start_form=start_form,
        initiator=version.meta.get("initiator"),
        business_key_variable=version.meta.get("business_key_variable"),
        starters=version.meta.get("starters"),
        fields=field_schemas([start_form, *(meta.form for meta in tasks.values())]),
    )


def field_schemas(forms: list[Form | None]) -> dict[str, dict]:
    """Each field the forms ask for, by name: the schema of the first form that asks for it."""
    found: dict[str, dict] = {}
    for form in (f for f in forms if f is not None):
        for name, prop in (form.schema.get("properties") or {}).items():
            if isinstance(prop, dict):
                found.setdefault(name, prop)
    return found
