"""Reading the store hook's collections as pages: which collections there are,
one collection's records as a table (optionally those whose field equals a
value), and one record. The asset register, its chain of custody, the licence
pool and who holds what access are read by process owners, admins and
auditors; they change only through processes and ``baton records``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.models import Record, User

from . import permissions, records
from .errors import Forbidden, InvalidData, NotFound

MAX_ROWS = 500
MAX_COLUMNS = 10
MAX_CELL = 120


@dataclass(frozen=True)
class Table:
    collection: str
    # The records' top-level fields by name: PostgreSQL keeps no field order (jsonb).
    columns: list[str]
    rows: list[tuple[str, list[str]]]   # (key, each column's value as text)
    more: bool                    # True: only the first MAX_ROWS are shown
    field: str                    # the filter, "" for none
    value: str


def overview(caller: User) -> dict[str, int]:
    """Each collection and its size."""
    _require_reader(caller)
    return records.collections()


def table(caller: User, collection: str, field: str = "", value: str = "") -> Table:
    """A collection's records by key; with ``field``, those whose field equals
    ``value``, read as text or, when it reads as one, as a JSON number,
    true, false or null (a text box cannot say which was meant)."""
    _require_reader(caller)
    field, value = field.strip(), value.strip()
    try:
        found = _matching(collection, field, value) if field else records.query(collection, None, MAX_ROWS + 1)
    except InvalidData as refused:
        if "collection" in refused.fields:   # a name no collection can have
            raise NotFound(f"There is no collection '{collection}'.") from None
        raise
    # Only an empty answer needs a second look: a collection exists while it holds records.
    if not found and collection not in records.collections():
        raise NotFound(f"There is no collection '{collection}'.")
    shown = found[:MAX_ROWS]
    columns = sorted({name for record in shown for name in record.value})[:MAX_COLUMNS]
    rows = [(r.key, [cell(r.value.get(name)) for name in columns]) for r in shown]
    return Table(collection, columns, rows, more=len(found) > MAX_ROWS, field=field, value=value)


def record(caller: User, collection: str, key: str) -> Record:
    _require_reader(caller)
    try:
        found = records.get(collection, key)
    except InvalidData:
        found = None
    if found is None:
        raise NotFound(f"There is no record '{key}' in '{collection}'.")
    return found


@dataclass(frozen=True)
class Field:
    name: str
    text: str
    block: bool   # True: nested data, shown as indented JSON


def fields_of(value: dict) -> list[Field]:
    """A record's fields as its page shows them: plain values as in a table, nested ones as JSON."""
    return [Field(name, json.dumps(v, ensure_ascii=False, indent=2), True) if _nested(v)
            else Field(name, cell(v, limit=None), False) for name, v in value.items()]


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value))


def cell(value: Any, limit: int | None = MAX_CELL) -> str:
    """A value as a table shows it: text as it is, a list of names joined, anything else as JSON; cut short."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ", ".join(value)
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def _matching(collection: str, field: str, value: str) -> list[Record]:
    wanted = [value]
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    if parsed is None or isinstance(parsed, (bool, int, float)):
        wanted.append(parsed)
    try:
        found = {r.key: r for w in wanted for r in records.query(collection, {field: w}, MAX_ROWS + 1)}
    except InvalidData as refused:
        if "where" not in refused.fields:
            raise
        # The filter is the page's "field" box; records speak of "where".
        raise InvalidData({"field": refused.fields["where"]}) from None
    return [found[key] for key in sorted(found)]


def _require_reader(caller: User) -> None:
    if not (permissions.reads_everything(caller) or caller.role == "owner"):
        raise Forbidden("Reference data is read by process owners, admins and auditors.")
