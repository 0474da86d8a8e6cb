"""Records in named collections: the reference data processes keep in Baton's
database (the asset register, the licence pool), one JSON object per key.

Reads run outside any transaction, as everywhere in Baton; each write is one
``write_transaction``. Queries match top-level fields in SQL, on SQLite and
PostgreSQL alike, so a large collection is never loaded to be filtered.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.database import fresh, is_postgres, write_transaction
from app.models import Record, db

from .context import now
from .errors import Conflict, InvalidData

COLLECTION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
MAX_KEY_LENGTH = 200
MAX_VALUE_BYTES = 64 * 1024       # serialized as compact UTF-8 JSON
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CONDITIONS = 20
MAX_FIELD_LENGTH = 200
# Integers both databases can hold and compare exactly (SQLite's JSON functions
# turn larger ones into approximate reals).
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# A field name goes into an SQLite JSON path ($."name"), where a quote or a
# backslash cannot be escaped: such a name would address another field or none.
UNQUERYABLE_FIELD = re.compile(r'["\\\x00-\x1f\x7f]')

# What the database calls each kind of JSON value: SQLite's json_type() and
# PostgreSQL's jsonb_typeof().
JSON_KINDS = {
    "sqlite": {"string": ("text",), "number": ("integer", "real"), "boolean": ("true", "false"), "null": ("null",)},
    "postgresql": {"string": ("string",), "number": ("number",), "boolean": ("boolean",), "null": ("null",)},
}


def get(collection: str, key: str) -> Record | None:
    statement = sa.select(Record).where(Record.collection == _collection(collection), Record.key == _key(key))
    # fresh: the worker's session lives across jobs, and another process may have changed the row.
    return db.session.scalars(fresh(statement)).one_or_none()


def put(collection: str, key: str, value: dict) -> Record:
    """Insert the record, or replace the value of the one with that key.
    One upsert statement, so two workers putting the same new key at once do
    not collide on the unique constraint."""
    collection, key, value = _collection(collection), _key(key), _value(value)
    at = now()
    insert = postgresql.insert if is_postgres() else sqlite.insert
    statement = insert(Record).values(collection=collection, key=key, value=value, created_at=at, updated_at=at)
    statement = statement.on_conflict_do_update(
        index_elements=[Record.collection, Record.key],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    with write_transaction() as session:
        return session.scalars(fresh(statement.returning(Record))).one()


def next_number(collection: str, key: str) -> int:
    """The next number of the sequence ``key`` (1, 2, 3 ... ; kept as the
    record's ``{"last": n}``), for references such as INC-000042. Two workers
    asking at once get different numbers: the row is locked while counting."""
    collection, key = _collection(collection), _key(key)
    at = now()
    insert = postgresql.insert if is_postgres() else sqlite.insert
    with write_transaction() as session:
        session.execute(insert(Record).values(collection=collection, key=key, value={"last": 0}, created_at=at,
                                              updated_at=at).on_conflict_do_nothing())
        record = session.scalars(fresh(sa.select(Record).where(
            Record.collection == collection, Record.key == key).with_for_update())).one()
        last = record.value.get("last", 0)
        if isinstance(last, bool) or not isinstance(last, int):
            raise _invalid("key", f"record {key!r} is not a sequence (its 'last' is {_shown(last)})")
        record.value = {**record.value, "last": last + 1}
        record.updated_at = at
        return last + 1


CHANGES = ("set", "add", "append", "remove")


def update(collection: str, key: str, *, expect: dict | None = None, set: dict | None = None,
           add: dict | None = None, append: dict | None = None, remove: dict | None = None) -> Record:
    """Change some fields of a record in one locked step, so two processes
    changing one record at once (handing out the same asset, taking the last
    seat) cannot lose each other's change:

    expect  {field: value} the record must hold now, else ``Conflict``
            (nothing changes); with ``expect``, a missing record is a conflict
            too, without it one is created from the changes
    set     {field: value} to replace
    add     {field: number} to add to a number field (a missing field counts as 0)
    append  {field: value} to add to a list field unless it holds it already
    remove  {field: value} to take out of a list field
    """
    collection, key = _collection(collection), _key(key)
    expect = _where(expect, "expect")
    changes = {name: _changes(name, given) for name, given in
               (("set", set), ("add", add), ("append", append), ("remove", remove))}
    if not any(changes.values()):
        raise _invalid("set", "Name at least one change (set, add, append or remove).")
    at = now()
    with write_transaction() as session:
        record = session.scalars(fresh(sa.select(Record).where(
            Record.collection == collection, Record.key == key).with_for_update())).one_or_none()
        if record is None and expect:
            raise Conflict(f"There is no record {key!r} in {collection!r}.")
        current = dict(record.value) if record is not None else {}
        for field, wanted in expect.items():
            if field not in current or not _equal(current[field], wanted):
                raise Conflict(f"Record {key!r} in {collection!r}: {field} is "
                               f"{_shown(current.get(field)) if field in current else 'missing'}, "
                               f"expected {_shown(wanted)}.")
        value = _value(_changed(current, changes))
        if record is None:
            record = Record(collection=collection, key=key, value=value, created_at=at, updated_at=at)
            session.add(record)
        else:
            record.value, record.updated_at = value, at
        session.flush()
        return record


def _changes(name: str, given: Any) -> dict:
    if given is None:
        return {}
    if not isinstance(given, dict) or not all(isinstance(f, str) and f for f in given):
        raise _invalid(name, f"Must be an object of field names and values, got {_shown(given)}.")
    if name == "add" and not all(_is_comparable(v) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                 for v in given.values()):
        raise _invalid(name, "Each value must be a finite number.")
    return given


def _changed(current: dict, changes: dict[str, dict]) -> dict:
    value = {**current, **changes["set"]}
    for field, amount in changes["add"].items():
        base = value.get(field, 0)
        if isinstance(base, bool) or not isinstance(base, (int, float)):
            raise _invalid("add", f"Field {field!r} holds {_shown(base)}, not a number.")
        value[field] = base + amount
    for name in ("append", "remove"):
        for field, item in changes[name].items():
            items = value.get(field, [])
            if not isinstance(items, list):
                raise _invalid(name, f"Field {field!r} holds {_shown(items)}, not a list.")
            if name == "append":
                value[field] = items if any(_equal(i, item) for i in items) else [*items, item]
            else:
                value[field] = [i for i in items if not _equal(i, item)]
    return value


def _equal(a: Any, b: Any) -> bool:
    """Equal as JSON values: 5 equals 5.0, but true is not 1 and "5" is not 5."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b and (isinstance(a, (int, float)) == isinstance(b, (int, float)))


def delete(collection: str, key: str) -> bool:
    """True if the record existed."""
    statement = sa.delete(Record).where(Record.collection == _collection(collection), Record.key == _key(key))
    with write_transaction() as session:
        return session.execute(statement.execution_options(synchronize_session=False)).rowcount > 0


def query(collection: str, where: dict | None = None, limit: int | None = DEFAULT_LIMIT) -> list[Record]:
    """Records whose top-level fields equal the values in ``where`` (strings,
    numbers, booleans, null), in key order. A value matches only a field of
    its own kind: "5" does not match 5, and null does not match a missing field.
    Numbers compare by value (5 matches 5.0)."""
    conditions = [_field_equals(field, wanted) for field, wanted in _where(where).items()]
    statement = (sa.select(Record).where(Record.collection == _collection(collection), *conditions)
                 .order_by(_key_order()).limit(_limit(limit)))
    return list(db.session.scalars(fresh(statement)))


def collections() -> dict[str, int]:
    """Each collection's name and how many records it holds, by name."""
    statement = (sa.select(Record.collection, sa.func.count()).group_by(Record.collection)
                 .order_by(Record.collection))
    return {name: count for name, count in db.session.execute(statement)}


# --- validation ---

def _invalid(field: str, message: str) -> InvalidData:
    return InvalidData({field: [message]})


def _collection(name: Any) -> str:
    if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
        raise _invalid("collection", f"Must be 1 to 100 letters, digits, '_', '.' or '-', got {_shown(name)}.")
    return name


def _key(key: Any) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH or CONTROL_CHARACTERS.search(key):
        raise _invalid("key", f"Must be text of 1 to {MAX_KEY_LENGTH} characters without control characters, "
                              f"got {_shown(key)}.")
    return key


def _value(value: Any) -> dict:
    """The value as it will be stored: plain JSON data (tuples become lists,
    non-text object keys become text), so what ``put`` returns is what ``get``
    will read."""
    if not isinstance(value, dict):
        raise _invalid("value", f"Must be a JSON object, got {_type_name(value)}.")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise _invalid("value", f"Is not JSON data: {exc}.") from None
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise _invalid("value", f"Is larger than {MAX_VALUE_BYTES // 1024} KB as JSON.")
    stored = json.loads(text)
    problem = _unstorable(stored)
    if problem:
        raise _invalid("value", problem)
    return stored


def _unstorable(data: Any) -> str | None:
    """What PostgreSQL or SQLite would refuse or change in JSON data that
    Python accepts. Depth is bounded: json.dumps succeeded on it."""
    if isinstance(data, str):
        return "Contains a NUL character, which the database cannot store." if "\x00" in data else None
    if isinstance(data, int) and not isinstance(data, bool) and not MIN_INTEGER <= data <= MAX_INTEGER:
        return f"Contains the integer {data}, outside the 64-bit range the database can compare exactly."
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for name, item in items:
        problem = _unstorable(name) if isinstance(name, str) else None
        if problem or (problem := _unstorable(item)):
            return problem
    return None


def _where(where: Any, name: str = "where") -> dict:
    if where is None:
        return {}
    if not isinstance(where, dict):
        raise _invalid(name, f"Must be an object of field names and values, got {_type_name(where)}.")
    if len(where) > MAX_CONDITIONS:
        raise _invalid(name, f"May name at most {MAX_CONDITIONS} fields.")
    for field, wanted in where.items():
        if not isinstance(field, str) or not 1 <= len(field) <= MAX_FIELD_LENGTH or UNQUERYABLE_FIELD.search(field):
            raise _invalid(name, f"Field names must be text of 1 to {MAX_FIELD_LENGTH} characters without "
                                 f"quotes, backslashes or control characters, got {_shown(field)}.")
        if not _is_comparable(wanted):
            raise _invalid(name, f"The value for {field!r} must be a string, a finite number, a boolean or "
                                 f"null, got {_shown(wanted)}.")
    return where


def _is_comparable(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return MIN_INTEGER <= value <= MAX_INTEGER
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and "\x00" not in value


def _limit(limit: Any) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"Must be a whole number from 1 to {MAX_LIMIT}, got {_shown(limit)}.")
    return limit


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


# --- matching fields in SQL ---

def _field_equals(field: str, wanted: Any) -> sa.ColumnElement[bool]:
    """``value[field] == wanted`` for a field of wanted's kind. The typed
    value is read only when the kind matches (a CASE, since SQL may evaluate
    an AND in any order): PostgreSQL would fail casting "abc" to a number."""
    kinds = JSON_KINDS["postgresql" if is_postgres() else "sqlite"]
    kind = _json_kind(field)
    element = Record.value[field]
    if wanted is None:
        return kind.in_(kinds["null"])
    if isinstance(wanted, bool):
        kind_names, typed = kinds["boolean"], element.as_boolean()
    elif isinstance(wanted, int):
        # Not as_integer(): PostgreSQL's CAST(... AS INTEGER) fails on 5.5 and
        # past 2**31. NUMERIC holds every number stored (see _unstorable) exactly.
        kind_names, typed = kinds["number"], sa.cast(element.as_string(), sa.Numeric)
    elif isinstance(wanted, float):
        kind_names, typed = kinds["number"], element.as_float()
    else:
        kind_names, typed = kinds["string"], element.as_string()
    return sa.case((kind.in_(kind_names), typed), else_=sa.null()) == sa.literal(wanted)


def _json_kind(field: str) -> sa.ColumnElement[str]:
    """The kind of the top-level ``field`` (NULL where it is missing)."""
    if is_postgres():
        return sa.func.jsonb_typeof(Record.value[field])
    # The same path SQLAlchemy builds for Record.value[field] on SQLite.
    return sa.func.json_type(Record.value, sa.literal(f'$."{field}"'))


def _key_order() -> sa.ColumnElement[str]:
    """Keys in code-point order on both databases: PostgreSQL's default
    collation may follow the server's locale (ignoring case, say), SQLite's
    never does."""
    return Record.key.collate("C") if is_postgres() else Record.key
