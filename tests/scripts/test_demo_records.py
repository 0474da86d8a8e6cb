"""The reference data scripts/run seeds for the shipped processes: people and
their access for every demo user, an asset register whose loans each start a
chain of custody, the licence pool; written once, an admin's changes kept."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from app.services import records

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)   # demo_users imports demo_records by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo():
    return _script("demo_records"), _script("demo_users")


def test_every_demo_person_has_a_record_a_manager_among_them_and_standard_access(app_ctx, demo):
    demo_records, demo_users = demo
    demo_records.seed()
    people = {r.key: r.value for r in records.query("people", limit=1000)}
    assert set(people) == {name for name, role, _ in demo_users.DEMO_USERS if role == "user"}
    assert people["alice"]["manager"] == "mona"
    assert all(p["manager"] in people for p in people.values() if p["manager"])
    alice = records.get("access", "alice").value
    assert [g["system"] for g in alice["grants"]] == ["email", "sso", "vpn", "file-share", "crm"]
    assert alice["revoked"] == []


def test_the_register_lends_assets_to_demo_people_each_with_its_first_custody_record(app_ctx, demo):
    demo_records, _ = demo
    demo_records.seed()
    assets = {r.key: r.value for r in records.query("assets", limit=1000)}
    assert len(assets) >= 30
    on_loan = {tag for tag, a in assets.items() if a["status"] == "on_loan"}
    assert {tag for tag in on_loan if assets[tag]["holder"] == "alice"} == {"LAP-0003", "MON-0007"}
    assert all(assets[tag]["holder"] for tag in on_loan)
    assert all(a["holder"] is None for a in assets.values() if a["status"] != "on_loan")
    trail = records.query("asset-custody", limit=1000)
    assert sorted(r.value["tag"] for r in trail) == sorted(on_loan)
    assert records.get("sequences", "asset-custody").value == {"last": len(on_loan)}
    available = records.query("assets", {"type": "laptop", "status": "available"})
    assert len(available) >= 5


def test_the_licence_pool_has_free_seats_full_products_and_unapproved_ones(app_ctx, demo):
    demo_records, _ = demo
    demo_records.seed()
    pool = {r.key: r.value for r in records.query("licences")}
    free = {slug: p["seats"] - len(p["assigned"]) for slug, p in pool.items()}
    assert free["microsoft-365"] > 0 and free["adobe-acrobat-pro"] == 0
    assert not pool["tableau"]["approved"] and free["tableau"] == 0
    assert all(len(set(p["assigned"])) == len(p["assigned"]) <= p["seats"] for p in pool.values())


def test_seeding_again_writes_nothing_and_keeps_what_an_admin_changed(app_ctx, demo):
    demo_records, _ = demo
    assert demo_records.seed() > 80
    records.put("change-settings", "cab", {"members": ["ivan"]})
    assert demo_records.seed() == 0
    assert records.get("change-settings", "cab").value == {"members": ["ivan"]}
