"""What changed inside steps between two versions: form fields, timers, hooks
and decision rules. ``diff.py`` puts these together with the steps, flows and
lanes; every difference is a ``Change`` whose ``detail`` says it in words."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from .model import Change, DecisionRule, DecisionTable, FormField, Hook, ProcessDoc, Step, Timer

NONE = "(none)"


def words(value) -> str:
    """A value as a reader sees it: yes/no, a list joined by commas, "(none)"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else NONE
    return NONE if value is None or value == "" else str(value)


def changed(area: str, element_id: str | None, subject: str,
            pairs: Iterable[tuple[str, object, object]]) -> Iterator[Change]:
    """A "changed" Change for each (what, before, after) whose values differ."""
    for what, before, after in pairs:
        if before != after:
            yield Change("changed", area, element_id, subject, f"{what}: {words(before)} → {words(after)}",
                         words(before), words(after))


def keyed(old: Iterable, new: Iterable, key) -> tuple[list, list, list]:
    """(added, removed, (before, after) pairs in both), matched by ``key``, in the newer order."""
    before = {key(x): x for x in old}
    after = {key(x): x for x in new}
    return ([x for k, x in after.items() if k not in before],
            [x for k, x in before.items() if k not in after],
            [(before[k], x) for k, x in after.items() if k in before])


# --- form fields ----------------------------------------------------------------

def form_changes(old: Step, new: Step) -> Iterator[Change]:
    added, removed, both = keyed(old.form, new.form, lambda f: f.name)
    for kind, fields in (("added", added), ("removed", removed)):
        for f in fields:
            yield Change(kind, "form field", new.id, f"{new.name}: {f.label}",
                         f"field {f.label} ({_field_words(f)}) {kind}")
    for before, after in both:
        yield from changed("form field", new.id, f"{new.name}: {after.label}", (
            ("label", before.label, after.label), ("type", before.type, after.type),
            ("required", before.required, after.required), ("choices", before.choices, after.choices),
            ("read only", before.read_only, after.read_only)))


def _field_words(f: FormField) -> str:
    return ", ".join([f.type] + (["required"] if f.required else []) + (["read only"] if f.read_only else []))


# --- timers ---------------------------------------------------------------------

def timer_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    """Timers of the whole process, each once (a boundary timer is listed on its
    event and on the step it is attached to), matched by the element they are on."""
    added, removed, both = keyed(_timers(old), _timers(new), _timer_key)
    for kind, timers in (("added", added), ("removed", removed)):
        for t in timers:
            yield Change(kind, "timer", t.element_id, _timer_subject(t), f"{_timer_words(t)} {kind}")
    for before, after in both:
        what = before.kind if before.kind == after.kind else "timer"
        show = (lambda t: t.expression) if before.kind == after.kind else _timer_words
        yield from changed("timer", after.element_id, _timer_subject(after), (
            (what, show(before), show(after)), ("interrupting", before.interrupting, after.interrupting)))


def _timers(doc: ProcessDoc) -> list[Timer]:
    return list({_timer_key(t): t for step in doc.steps for t in step.timers}.values())


def _timer_key(t: Timer) -> tuple[str, bool]:
    return t.element_id, t.kind == "due date"


def _timer_subject(t: Timer) -> str:
    if t.kind == "due date":
        return f"{t.name}: due date"
    return t.name


def _timer_words(t: Timer) -> str:
    return f"{t.kind} {t.expression}" if t.expression else t.kind


# --- hooks ----------------------------------------------------------------------

def hook_changes(old: Step, new: Step) -> Iterator[Change]:
    if old.hook is None or new.hook is None:
        if old.hook != new.hook:
            hook, kind = (new.hook, "added") if old.hook is None else (old.hook, "removed")
            yield Change(kind, "hook", new.id, new.name, f"{_hook_words(hook)} {kind}")
        return
    yield from changed("hook", new.id, new.name, (("hook", old.hook.name, new.hook.name),))
    added, removed, both = keyed(old.hook.parameters, new.hook.parameters, lambda p: p[0])
    for kind, parameters in (("added", added), ("removed", removed)):
        for name, value in parameters:
            yield Change(kind, "hook", new.id, new.name, f"parameter {name} {kind}: {value}",
                         None if kind == "added" else value, value if kind == "added" else None)
    for (name, before), (_, after) in both:
        if before == after:
            continue
        if name in ("script", "resource"):   # whole scripts are too long for one line
            yield Change("changed", "hook", new.id, new.name, f"{name} changed", before, after)
        else:
            yield from changed("hook", new.id, new.name, ((f"parameter {name}", before, after),))


def _hook_words(hook: Hook) -> str:
    return "script" if hook.name == "script" else f"hook {hook.name}"


# --- decision tables --------------------------------------------------------------

def decision_changes(old: ProcessDoc, new: ProcessDoc) -> Iterator[Change]:
    added, removed, both = keyed(old.decision_tables, new.decision_tables, lambda t: t.decision_id)
    for kind, tables, doc in (("added", added, new), ("removed", removed, old)):
        for table in tables:
            yield Change(kind, "decision rule", _user_of(table, doc), table.name,
                         f"decision table {table.name} ({len(table.rules)} rules) {kind}")
    for before, after in both:
        where = _user_of(after, new) or _user_of(before, old)
        yield from changed("decision rule", where, after.name, (
            ("name", before.name, after.name), ("hit policy", before.hit_policy, after.hit_policy),
            ("inputs", before.inputs, after.inputs), ("outputs", before.outputs, after.outputs)))
        yield from _rule_changes(before, after, where)


def _rule_changes(old: DecisionTable, new: DecisionTable, where: str | None) -> Iterator[Change]:
    added, removed, both = keyed(old.rules, new.rules, lambda r: r.rule_id or f"#{r.number}")
    for kind, rules, table in (("added", added, new), ("removed", removed, old)):
        for rule in rules:
            text = rule_words(table, rule)
            yield Change(kind, "decision rule", where, f"{new.name}: rule {rule.number}",
                         f"rule {rule.number} {kind}: {text}",
                         None if kind == "added" else text, text if kind == "added" else None)
    for before, after in both:
        parts = [f"{column} {words(b)} → {words(a)}" for column, b, a in [
            *_columns(old.inputs, new.inputs, before.inputs, after.inputs),
            *_columns(old.outputs, new.outputs, before.outputs, after.outputs),
            ("annotation", before.annotation, after.annotation)] if b != a]
        if parts:
            yield Change("changed", "decision rule", where, f"{new.name}: rule {after.number}",
                         f"rule {after.number}: " + "; ".join(parts),
                         rule_words(old, before), rule_words(new, after))


def _columns(old_names, new_names, before, after) -> list[tuple[str, str, str]]:
    """(column, before, after) for each column of a rule, by position."""
    count = max(len(before), len(after))
    names = new_names if len(new_names) >= len(old_names) else old_names
    return [(names[i] if i < len(names) else f"column {i + 1}",
             before[i] if i < len(before) else "", after[i] if i < len(after) else "") for i in range(count)]


def rule_words(table: DecisionTable, rule: DecisionRule) -> str:
    """e.g. 'when Impact "high", Urgency "high" then Priority "P1", Inbox priority 90'."""
    when = [f"{name} {entry}" for name, entry in zip(table.inputs, rule.inputs) if entry != "-"]
    then = [f"{name} {entry}" for name, entry in zip(table.outputs, rule.outputs)]
    return f"when {', '.join(when) or 'always'} then {', '.join(then) or NONE}"


def _user_of(table: DecisionTable, doc: ProcessDoc) -> str | None:
    """The business rule task that uses a table (to mark it on the diagram)."""
    return next((s.id for s in doc.steps if s.decision and s.decision.decision_id == table.decision_id), None)
