"""Creates the demo users (once; passwords kept in the instance folder) and
prints them, so a person can log in right after scripts/run; and the reference
data the shipped processes read (scripts/demo_records.py), unless an admin has
set it already (`baton records put ...`)."""
from __future__ import annotations

import secrets
from pathlib import Path

from demo_records import seed as seed_records

from app import create_app
from app.services import users

DEMO_USERS = [
    # name, role, groups
    ("admin", "admin", []),
    ("owner", "owner", []),
    ("auditor", "auditor", []),
    ("alice", "user", ["requester"]),
    ("dave", "user", ["service-desk"]),
    ("rita", "user", ["resolver"]),
    ("mona", "user", ["manager"]),
    ("fiona", "user", ["finance"]),
    ("hana", "user", ["hr"]),
    ("oscar", "user", ["it-ops"]),
    ("sven", "user", ["security"]),
    ("ada", "user", ["asset-team"]),
    ("carl", "user", ["cab", "emergency-board"]),
    ("cleo", "user", ["cab"]),
    ("ivan", "user", ["it-director", "emergency-board"]),
    ("rhea", "user", ["release-team", "development"]),
    ("quinn", "user", ["qa"]),
    ("kim", "user", ["knowledge-owner"]),
    ("cora", "user", ["case-manager"]),
    ("pete", "user", ["problem-manager"]),
    ("priya", "user", ["procurement"]),
    ("sam", "user", ["stakeholder"]),
]


def main() -> None:
    app = create_app()
    store = Path(app.instance_path) / "demo-users.txt"
    known = dict(line.split(" ", 1) for line in store.read_text().splitlines()) if store.exists() else {}
    with app.app_context():
        for name, role, groups in DEMO_USERS:
            if name not in known:
                known[name] = secrets.token_urlsafe(9)
                users.add_user(name, role=role, groups=groups, password=known[name])
        written = seed_records()
    store.write_text("".join(f"{n} {p}\n" for n, p in known.items()))
    store.chmod(0o600)
    print("Demo users (name / password / role / groups):")
    for name, role, groups in DEMO_USERS:
        print(f"  {name:<8} {known[name]:<14} {role:<8} {', '.join(groups)}")
    print(f"Reference data: {written} records written (people, access, the asset register, the licence pool,"
          " the CAB); list them with: baton records list COLLECTION.")


if __name__ == "__main__":
    main()
