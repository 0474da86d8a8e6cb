"""Records in named collections, on SQLite and PostgreSQL: put, get and
replace, delete, queries on top-level fields done in SQL, and the input they
refuse."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import db
from app.services import records
from app.services.errors import Conflict, InvalidData


@pytest.fixture
def licences(app_ctx):
    """A small licence pool with fields of every kind, put out of key order."""
    pool = {
        "L-3": {"product": "CAD", "seats": 5, "price": 99.5, "active": True, "owner": None},
        "L-1": {"product": "CAD", "seats": 10, "price": 120.0, "active": False, "owner": "ann"},
        "L-2": {"product": "Office", "seats": 5, "price": 99.5, "active": True, "owner": "bob"},
        "L-4": {"product": "5", "seats": "many", "price": "n/a", "active": "yes", "owner": "carl"},
        "L-5": {"product": "Office"},
    }
    for key, value in pool.items():
        records.put("licences", key, value)
    db.session.remove()
    return pool


def keys(found) -> list[str]:
    return [record.key for record in found]


def test_put_then_get_returns_the_value(app_ctx, clock):
    stored = records.put("assets", "A-1", {"model": "X1", "tags": ["laptop"], "cost": 1200.5})
    assert stored.value == {"model": "X1", "tags": ["laptop"], "cost": 1200.5}
    db.session.remove()
    record = records.get("assets", "A-1")
    assert (record.collection, record.key, record.value) == ("assets", "A-1", stored.value)
    assert record.created_at == record.updated_at == clock.now()
    assert records.get("assets", "A-2") is None
    assert records.get("other", "A-1") is None


def test_put_replaces_the_value_and_keeps_when_it_was_created(app_ctx, clock):
    first = records.put("assets", "A-1", {"model": "X1", "owner": "ann"})
    created = clock.now()
    clock.advance(minutes=5)
    # The session still holds the first put's object: what put returns must be the new row.
    replaced = records.put("assets", "A-1", {"model": "X2"})
    assert replaced.value == {"model": "X2"}
    record = records.get("assets", "A-1")
    assert record.value == {"model": "X2"}         # replaced, not merged
    assert record.id == first.id
    assert record.created_at == created and record.updated_at == created + timedelta(minutes=5)
    assert records.collections() == {"assets": 1}


def test_a_get_sees_a_change_made_after_it_first_read_the_record(app_ctx):
    # The worker keeps one session across jobs: a cached row must not hide a newer value.
    records.put("assets", "A-1", {"n": 1})
    assert records.get("assets", "A-1").value == {"n": 1}
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE record SET value = '{\"n\": 2}'")
    assert records.get("assets", "A-1").value == {"n": 2}
    assert records.query("assets")[0].value == {"n": 2}


def test_put_stores_plain_json(app_ctx):
    stored = records.put("assets", "A-1", {"pair": (1, 2), 3: "three"})
    assert stored.value == {"pair": [1, 2], "3": "three"}
    assert records.get("assets", "A-1").value == stored.value


def test_delete_says_whether_the_record_existed(app_ctx):
    records.put("assets", "A-1", {"model": "X1"})
    records.put("assets", "A-2", {"model": "X2"})
    assert records.delete("assets", "A-1") is True
    assert records.delete("assets", "A-1") is False
    assert records.delete("nothing-here", "A-2") is False
    assert records.get("assets", "A-1") is None
    assert records.get("assets", "A-2").value == {"model": "X2"}


def test_collections_are_listed_with_their_counts(app_ctx):
    assert records.collections() == {}
    for key in ("a", "b", "c"):
        records.put("licences", key, {})
    records.put("assets", "A-1", {})
    assert records.collections() == {"assets": 1, "licences": 3}
    assert list(records.collections()) == ["assets", "licences"]


def test_query_without_conditions_lists_the_collection_in_key_order(licences):
    assert keys(records.query("licences")) == ["L-1", "L-2", "L-3", "L-4", "L-5"]
    assert records.query("nothing-here") == []


def test_keys_sort_by_code_point_on_every_database(app_ctx):
    for key in ("b", "B", "a", "A", "é", "_"):
        records.put("letters", key, {})
    assert keys(records.query("letters")) == ["A", "B", "_", "a", "b", "é"]


@pytest.mark.parametrize("where, expected", [
    ({"product": "CAD"}, ["L-1", "L-3"]),
    ({"product": "5"}, ["L-4"]),                        # the string, not the number
    ({"seats": 5}, ["L-2", "L-3"]),
    ({"seats": 5.0}, ["L-2", "L-3"]),                   # numbers compare by value
    ({"price": 120}, ["L-1"]),                          # 120.0 is stored
    ({"price": 99.5}, ["L-2", "L-3"]),
    ({"active": True}, ["L-2", "L-3"]),                 # not "yes"
    ({"active": False}, ["L-1"]),
    ({"owner": None}, ["L-3"]),                         # a null field, not a missing one
    ({"product": "CAD", "active": True}, ["L-3"]),      # every condition holds
    ({"seats": 7}, []),
    ({"product": "cad"}, []),                           # case matters
    ({"colour": "red"}, []),                            # no record has the field
    ({}, ["L-1", "L-2", "L-3", "L-4", "L-5"]),
])
def test_query_matches_top_level_fields_of_the_same_kind(licences, where, expected):
    assert keys(records.query("licences", where)) == expected


def test_a_number_never_matches_text_or_a_boolean(app_ctx):
    # PostgreSQL would fail casting "abc" to a number were the kind not checked first.
    records.put("mixed", "a", {"n": "abc"})
    records.put("mixed", "b", {"n": True})
    records.put("mixed", "c", {"n": 1})
    records.put("mixed", "d", {"n": "1"})
    records.put("mixed", "e", {"n": 1.5})
    records.put("mixed", "f", {"n": 3_000_000_000})
    records.put("mixed", "g", {"n": [1]})
    assert keys(records.query("mixed", {"n": 1})) == ["c"]
    assert keys(records.query("mixed", {"n": 1.0})) == ["c"]
    assert keys(records.query("mixed", {"n": 1.5})) == ["e"]
    assert keys(records.query("mixed", {"n": 3_000_000_000})) == ["f"]
    assert keys(records.query("mixed", {"n": True})) == ["b"]
    assert keys(records.query("mixed", {"n": "1"})) == ["d"]
    assert keys(records.query("mixed", {"n": 0})) == []


def test_field_names_with_dots_and_spaces_are_one_top_level_field(app_ctx):
    records.put("assets", "A-1", {"serial no.": "S1", "a": {"b": "nested"}})
    assert keys(records.query("assets", {"serial no.": "S1"})) == ["A-1"]
    assert records.query("assets", {"a.b": "nested"}) == []


def test_query_returns_at_most_limit_records(app_ctx):
    for n in range(12):
        records.put("many", f"k{n:02}", {"even": n % 2 == 0})
    assert keys(records.query("many", limit=3)) == ["k00", "k01", "k02"]
    assert keys(records.query("many", {"even": True}, limit=2)) == ["k00", "k02"]
    assert len(records.query("many", limit=None)) == 12
    assert len(records.query("many", limit=records.MAX_LIMIT)) == 12


def test_the_default_limit_is_100(app_ctx):
    for n in range(records.DEFAULT_LIMIT + 1):
        records.put("many", f"k{n:03}", {})
    assert len(records.query("many")) == records.DEFAULT_LIMIT


@pytest.mark.parametrize("limit", [0, -1, records.MAX_LIMIT + 1, "10", 2.0, True])
def test_a_limit_out_of_range_is_refused(app_ctx, limit):
    with pytest.raises(InvalidData) as refused:
        records.query("many", limit=limit)
    assert list(refused.value.fields) == ["limit"]


@pytest.mark.parametrize("collection", ["", "a" * 101, "has space", "slash/name", "ümlaut", None, 5, "a\x00"])
def test_bad_collection_names_are_refused_everywhere(app_ctx, collection):
    for attempt in (lambda: records.get(collection, "k"), lambda: records.put(collection, "k", {}),
                    lambda: records.delete(collection, "k"), lambda: records.query(collection)):
        with pytest.raises(InvalidData) as refused:
            attempt()
        assert list(refused.value.fields) == ["collection"]
    assert records.collections() == {}


def test_collection_names_may_use_letters_digits_and_dot_dash_underscore(app_ctx):
    name = "Asset_register-2026.v2"
    records.put(name, "k", {})
    records.put("a" * 100, "k", {})
    assert records.collections() == {name: 1, "a" * 100: 1}


@pytest.mark.parametrize("key", ["", "k" * 201, "line\nbreak", "nul\x00", None, 42])
def test_bad_keys_are_refused(app_ctx, key):
    for attempt in (lambda: records.get("assets", key), lambda: records.put("assets", key, {}),
                    lambda: records.delete("assets", key)):
        with pytest.raises(InvalidData) as refused:
            attempt()
        assert list(refused.value.fields) == ["key"]


def test_keys_may_be_any_text_up_to_200_characters(app_ctx):
    for key in ("k" * 200, "José's laptop / #7", "A-1 "):
        records.put("assets", key, {"key": key})
        assert records.get("assets", key).value == {"key": key}
    assert records.get("assets", "A-1") is None        # keys are exact


@pytest.mark.parametrize("value", [
    None, [], "text", 5,                               # not an object
    {"when": object()}, {"n": float("nan")}, {"n": float("inf")}, {(1, 2): "tuple key"},
    {"text": "nul\x00inside"}, {"nested": [{"nul\x00key": 1}]},
    {"big": 2**63}, {"small": [-(2**63) - 1]},
])
def test_values_that_are_not_storable_json_objects_are_refused(app_ctx, value):
    with pytest.raises(InvalidData) as refused:
        records.put("assets", "A-1", value)
    assert list(refused.value.fields) == ["value"]
    assert records.get("assets", "A-1") is None


def test_a_value_may_be_64_kb_and_no_more(app_ctx):
    padding = records.MAX_VALUE_BYTES - len('{"text":""}')
    records.put("assets", "fits", {"text": "x" * padding})
    assert len(records.get("assets", "fits").value["text"]) == padding
    with pytest.raises(InvalidData) as refused:
        records.put("assets", "too-big", {"text": "x" * (padding + 1)})
    assert "64 KB" in refused.value.fields["value"][0]
    # Bytes, not characters: "é" is two bytes of UTF-8.
    with pytest.raises(InvalidData):
        records.put("assets", "too-big", {"text": "é" * (padding // 2 + 1)})
    assert records.get("assets", "too-big") is None


@pytest.mark.parametrize("where", [
    ["product", "CAD"], "product=CAD",
    {"": "x"}, {'quo"te': "x"}, {"back\\slash": "x"}, {"f" * 201: "x"}, {5: "x"},
    {"product": ["CAD"]}, {"product": {"name": "CAD"}}, {"seats": float("nan")},
    {"seats": 2**63}, {"product": "nul\x00"},
    {f"f{n}": n for n in range(records.MAX_CONDITIONS + 1)},
])
def test_bad_conditions_are_refused(app_ctx, where):
    with pytest.raises(InvalidData) as refused:
        records.query("licences", where)
    assert list(refused.value.fields) == ["where"]


# --- update: some fields, in one locked step ---

def test_update_sets_adds_appends_and_removes_fields(app_ctx):
    records.put("licences", "figma", {"product": "Figma", "seats": 4, "assigned": ["sam"]})
    changed = records.update("licences", "figma", set={"vendor": "Figma Inc."}, add={"seats": 2},
                             append={"assigned": "alice"}, remove={"assigned": "sam"})
    assert changed.value == {"product": "Figma", "seats": 6, "assigned": ["alice"], "vendor": "Figma Inc."}
    # Appending what is there already changes nothing; a missing list or number starts empty.
    again = records.update("licences", "figma", append={"assigned": "alice", "waiting": "bob"}, add={"bought": 1})
    assert (again.value["assigned"], again.value["waiting"], again.value["bought"]) == (["alice"], ["bob"], 1)
    assert records.get("licences", "figma").value == again.value


def test_update_refuses_when_the_record_is_not_as_expected_and_changes_nothing(app_ctx):
    records.put("assets", "LAP-1", {"status": "on_loan", "holder": "ann"})
    with pytest.raises(Conflict, match="status is 'on_loan', expected 'available'"):
        records.update("assets", "LAP-1", expect={"status": "available"}, set={"holder": "bob"})
    assert records.get("assets", "LAP-1").value == {"status": "on_loan", "holder": "ann"}
    with pytest.raises(Conflict, match="no record 'LAP-2'"):
        records.update("assets", "LAP-2", expect={"status": "available"}, set={"holder": "bob"})
    taken = records.update("assets", "LAP-1", expect={"status": "on_loan", "holder": "ann"},
                           set={"status": "available", "holder": None})
    assert taken.value == {"status": "available", "holder": None}
    # Without expectations a missing record is made from the changes.
    assert records.update("assets", "LAP-3", set={"status": "available"}).value == {"status": "available"}


@pytest.mark.parametrize("changes, field", [
    ({}, "set"),
    ({"set": ["status"]}, "set"),
    ({"add": {"seats": "two"}}, "add"),
    ({"add": {"product": 1}}, "add"),           # the field holds text
    ({"append": {"product": "x"}}, "append"),   # not a list
    ({"expect": {"a": [1]}, "set": {"b": 1}}, "expect"),
])
def test_update_refuses_changes_it_cannot_make(app_ctx, changes, field):
    records.put("licences", "figma", {"product": "Figma"})
    with pytest.raises(InvalidData) as refused:
        records.update("licences", "figma", **changes)
    assert list(refused.value.fields) == [field]
    assert records.get("licences", "figma").value == {"product": "Figma"}


def test_two_workers_taking_the_same_asset_one_gets_it(app):
    import threading

    with app.app_context():
        records.put("assets", "LAP-1", {"status": "available", "holder": None})
        db.session.remove()
    won, lost = [], []

    def take(who: str):
        with app.app_context():
            try:
                records.update("assets", "LAP-1", expect={"status": "available"},
                               set={"status": "on_loan", "holder": who})
                won.append(who)
            except Conflict:
                lost.append(who)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=take, args=(f"p{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 3
    with app.app_context():
        assert records.get("assets", "LAP-1").value == {"status": "on_loan", "holder": won[0]}
