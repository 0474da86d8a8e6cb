"""Creates the demo users (once; passwords kept in the instance folder) and
prints them, so a person can log in right after scripts/run; and the reference
data the shipped processes read about them (who sits on the CAB), unless an
admin has set it already (`baton records put ...`)."""
from __future__ import annotations

import secrets
from pathlib import Path

from app import create_app
from app.services import records, users

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
]

DEMO_RECORDS = [
    # change-request asks each CAB member for a vote, in parallel.
    ("change-settings", "cab", {"members": ["carl", "cleo"]}),
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
        for collection, key, value in DEMO_RECORDS:
            if records.get(collection, key) is None:
                records.put(collection, key, value)
    store.write_text("".join(f"{n} {p}\n" for n, p in known.items()))
    store.chmod(0o600)
    print("Demo users (name / password / role / groups):")
    for name, role, groups in DEMO_USERS:
        print(f"  {name:<8} {known[name]:<14} {role:<8} {', '.join(groups)}")
    print("The CAB votes as carl and cleo (change it with: baton records put change-settings cab JSON).")


if __name__ == "__main__":
    main()
