"""A bundle's decision tables as documentation: hit policy, columns and rules,
as written in the DMN files (DMN 1.1 to 1.3, Camunda's and SpiffArena's)."""
from __future__ import annotations

from app.engine.documentation.model import DecisionRule, DecisionTable
from app.engine.xml import parse_xml

DMN_SUFFIX = ".dmn"
ANY = "-"   # how a table shows an empty input entry: any value matches


def decision_tables(files: dict[str, str | bytes]) -> tuple[DecisionTable, ...]:
    """Every decision table of the bundle's DMN files, by file name then in file
    order. A file that does not parse holds no table here (deploy refused it)."""
    tables: list[DecisionTable] = []
    for name in sorted(n for n in files if n.lower().endswith(DMN_SUFFIX)):
        tree, _ = parse_xml(name, as_bytes(files[name]))
        if tree is None:
            continue
        for decision in tree.getroot().iterfind("{*}decision"):
            table = decision.find("{*}decisionTable")
            if table is not None and decision.get("id"):
                tables.append(_table(name, decision, table))
    return tuple(tables)


def as_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _table(file: str, decision, table) -> DecisionTable:
    inputs = table.findall("{*}input")
    outputs = table.findall("{*}output")
    policy = table.get("hitPolicy") or "UNIQUE"
    if table.get("aggregation"):          # COLLECT with SUM, MIN, MAX or COUNT
        policy = f"{policy} {table.get('aggregation')}"
    expressions = tuple(_text(i.find("{*}inputExpression/{*}text")) for i in inputs)
    return DecisionTable(
        decision_id=decision.get("id"),
        name=_one_line(decision.get("name")) or decision.get("id"),
        file=file,
        hit_policy=policy,
        inputs=tuple(_one_line(i.get("label")) or e or i.get("id") or "" for i, e in zip(inputs, expressions)),
        outputs=tuple(_one_line(o.get("label")) or o.get("name") or o.get("id") or "" for o in outputs),
        rules=tuple(_rule(n, rule) for n, rule in enumerate(table.findall("{*}rule"), start=1)),
        input_expressions=expressions,
        output_names=tuple(o.get("name") or "" for o in outputs),
        description=_text(decision.find("{*}description")),
    )


def _rule(number: int, rule) -> DecisionRule:
    # Camunda writes a rule's annotation as its description; DMN 1.3 may also
    # have annotation columns (annotationEntry).
    notes = [_text(rule.find("{*}description"))] + [_text(a.find("{*}text")) for a in rule.findall("{*}annotationEntry")]
    return DecisionRule(
        number=number,
        inputs=tuple(_text(e.find("{*}text")) or ANY for e in rule.findall("{*}inputEntry")),
        outputs=tuple(_text(e.find("{*}text")) for e in rule.findall("{*}outputEntry")),
        annotation="\n".join(n for n in notes if n),
        rule_id=rule.get("id") or "",
    )


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())
