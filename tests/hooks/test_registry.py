"""The hook registry: the decorator, names, duplicates, and entry points."""
from __future__ import annotations

import sys
import textwrap

import pytest

import app.hooks.registry as registry_module
from app.hooks import (
    DuplicateHook,
    HookFailed,
    HookRegistry,
    UnknownHook,
    call_hook,
    default_registry,
    hook,
    load_entry_points,
)
from app.hooks.http import http_hook


def greet(params, context):
    return {"hello": params["name"]}


def other(params, context):
    return None


def test_decorator_registers_and_returns_the_function_unchanged():
    registry = HookRegistry()

    @hook("crm.lookup", registry)
    def crm_lookup(params, context):
        return 1

    assert registry.get("crm.lookup") is crm_lookup
    assert crm_lookup({}, None) == 1
    assert registry.names() == ["crm.lookup"]
    assert "crm.lookup" in registry


def test_decorator_without_a_registry_uses_the_default_one(monkeypatch):
    fresh = HookRegistry()
    monkeypatch.setattr(registry_module, "default_registry", fresh)

    @hook("only.here")
    def only_here(params, context):
        return None

    assert fresh.get("only.here") is only_here


def test_importing_the_package_registers_the_builtin_http_hook():
    assert default_registry.get("http") is http_hook


def test_a_second_hook_under_a_taken_name_is_refused_and_the_first_kept():
    registry = HookRegistry()
    registry.register("greet", greet)
    with pytest.raises(DuplicateHook) as refused:
        registry.register("greet", other)
    message = str(refused.value)
    assert "'greet' is already registered" in message
    assert "test_registry.greet" in message and "test_registry.other" in message
    assert registry.get("greet") is greet


def test_registering_the_same_function_again_is_harmless():
    registry = HookRegistry()
    registry.register("greet", greet)
    registry.register("greet", greet)
    assert registry.names() == ["greet"]


@pytest.mark.parametrize("name", ["", " greet", "greet ", None, 3])
def test_names_must_be_plain_non_empty_strings(name):
    with pytest.raises(ValueError, match="hook name"):
        HookRegistry().register(name, greet)


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="'greet' must be callable, got str"):
        HookRegistry().register("greet", "not a function")


def test_an_unknown_hook_names_itself_and_the_known_ones():
    registry = HookRegistry()
    registry.register("zeta", greet)
    registry.register("alpha", other)
    with pytest.raises(UnknownHook) as unknown:
        registry.get("crm")
    assert str(unknown.value) == "no hook named 'crm' is registered (known hooks: 'alpha', 'zeta')"
    # A HookFailed that is not retried: the worker makes it an incident at once.
    assert isinstance(unknown.value, HookFailed) and unknown.value.retryable is False
    assert isinstance(unknown.value, LookupError)
    with pytest.raises(UnknownHook, match=r"known hooks: none"):
        HookRegistry().get("crm")


# --- entry points: a real distribution, written into a directory on sys.path ---

PLUGIN_MODULE = "baton_test_plugin_hooks"
EXPLODING_MODULE = "baton_test_plugin_explodes"


@pytest.fixture
def plugin_distribution(tmp_path, monkeypatch):
    """An installed-looking distribution ``baton-test-plugin`` whose entry
    points are one good hook and four kinds of broken ones."""
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text(textwrap.dedent("""
        def shout(params, context):
            return params["word"].upper()

        NOT_A_FUNCTION = 42
    """))
    (tmp_path / f"{EXPLODING_MODULE}.py").write_text("raise RuntimeError('plugin bug at import')\n")
    info = tmp_path / "baton_test_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: baton-test-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""
        [baton.hooks]
        shout = {PLUGIN_MODULE}:shout
        missing = baton_test_no_such_module:hook
        explodes = {EXPLODING_MODULE}:hook
        not_callable = {PLUGIN_MODULE}:NOT_A_FUNCTION
        http = {PLUGIN_MODULE}:shout

        [some.other.group]
        elsewhere = {PLUGIN_MODULE}:shout
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for module in (PLUGIN_MODULE, EXPLODING_MODULE):
        sys.modules.pop(module, None)


def test_entry_points_register_their_hooks_and_report_the_broken_ones(plugin_distribution, make_context):
    registry = HookRegistry()
    registry.register("http", http_hook)

    problems = load_entry_points(registry)

    assert registry.names() == ["http", "shout"]
    assert call_hook(registry, "shout", {"word": "hi"}, make_context()) == "HI"
    assert registry.get("http") is http_hook  # a plugin cannot take over a built-in

    by_name = {problem.entry_point.split(" = ")[0]: problem for problem in problems}
    assert sorted(by_name) == ["explodes", "http", "missing", "not_callable"]
    assert "ModuleNotFoundError" in by_name["missing"].message
    assert "RuntimeError: plugin bug at import" in by_name["explodes"].message
    assert "must be callable, got int" in by_name["not_callable"].message
    assert "'http' is already registered" in by_name["http"].message
    described = str(by_name["missing"])
    assert described.startswith("entry point 'missing = baton_test_no_such_module:hook' in group 'baton.hooks'")
    assert "baton-test-plugin 1.0" in described


def test_loading_entry_points_twice_registers_nothing_twice(plugin_distribution):
    registry = HookRegistry()
    first = load_entry_points(registry)
    second = load_entry_points(registry)
    assert registry.names() == ["http", "shout"]
    # Same problems again, but no new ones from the hooks already registered.
    assert [p.entry_point for p in second] == [p.entry_point for p in first]


def test_without_plugins_there_is_nothing_to_load_and_nothing_wrong():
    registry = HookRegistry()
    assert load_entry_points(registry, entry_points=[]) == []
    assert registry.names() == []
