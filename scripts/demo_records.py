"""The reference data a fresh install's processes read, seeded by
scripts/demo_users.py (so by scripts/run): the people behind the demo users,
what they may access, the asset register with its chain of custody, the
licence pool, and who sits on the CAB.

Each record is written only when its key is absent, so an admin's changes
(`baton records put ...`) survive the next `scripts/run`. The shapes are the
contract between the shipped processes (onboarding writes `people` and
`access`, offboarding revokes and recovers, asset-loan and software-request
hand out assets and seats); bpmn/<key>/ documents each step that reads them.
"""
from __future__ import annotations

from app.services import records

# username, name, department, title, manager
PEOPLE = [
    ("alice", "Alice Martin", "Sales", "Account manager", "mona"),
    ("dave", "Dave Okafor", "IT", "Service desk analyst", "ivan"),
    ("rita", "Rita Santos", "IT", "Systems engineer", "ivan"),
    ("mona", "Mona Lindqvist", "Sales", "Sales manager", "ivan"),
    ("fiona", "Fiona Byrne", "Finance", "Financial controller", "ivan"),
    ("hana", "Hana Kobayashi", "People", "HR partner", "ivan"),
    ("oscar", "Oscar Nowak", "IT", "Operations engineer", "ivan"),
    ("sven", "Sven Aalto", "IT", "Security officer", "ivan"),
    ("ada", "Ada Mensah", "IT", "Asset coordinator", "ivan"),
    ("carl", "Carl Jensen", "IT", "Infrastructure architect", "ivan"),
    ("cleo", "Cleo Duval", "IT", "Network lead", "ivan"),
    ("ivan", "Ivan Petrov", "IT", "IT director", None),
    ("rhea", "Rhea Singh", "Engineering", "Release engineer", "ivan"),
    ("quinn", "Quinn Adeyemi", "Engineering", "QA engineer", "ivan"),
    ("kim", "Kim Laurent", "IT", "Knowledge manager", "ivan"),
    ("cora", "Cora Whitfield", "Operations", "Case manager", "ivan"),
    ("pete", "Pete Hughes", "IT", "Problem manager", "ivan"),
    ("priya", "Priya Raman", "Finance", "Procurement officer", "fiona"),
    ("sam", "Sam Osei", "Sales", "Product owner", "mona"),
]

STANDARD_SYSTEMS = ["email", "sso", "vpn", "file-share", "crm"]

# type: tag prefix, serial number pattern (n: the asset's number, m: some digits
# made from it), and
# (number, model, condition, status, holder) per asset.
REGISTER = {
    "laptop": ("LAP", "PF{n:02d}X7Q{m:03d}", [
        (1, "Lenovo ThinkPad T14 Gen 4", "good", "available", None),
        (2, "Lenovo ThinkPad T14 Gen 4", "good", "available", None),
        (3, "Lenovo ThinkPad T14 Gen 4", "good", "on_loan", "alice"),
        (4, "Dell Latitude 7440", "new", "available", None),
        (5, "Dell Latitude 7440", "fair", "on_loan", "rita"),
        (6, "Apple MacBook Pro 14 M3", "new", "available", None),
        (7, "Apple MacBook Air 13 M2", "good", "available", None),
        (8, "Dell Latitude 5440", "damaged", "in_repair", None),
        (9, "Lenovo ThinkPad X1 Carbon Gen 11", "good", "available", None),
        (10, "HP EliteBook 840 G10", "fair", "available", None),
        (11, "HP EliteBook 840 G8", "fair", "retired", None),
        (12, "Apple MacBook Pro 16 M3", "new", "on_loan", "rhea"),
    ]),
    "monitor": ("MON", "CN0{n:02d}4K{m:03d}", [
        (1, "Dell UltraSharp U2723QE 27\"", "good", "available", None),
        (2, "Dell UltraSharp U2723QE 27\"", "good", "available", None),
        (3, "LG 27UP850 27\"", "new", "available", None),
        (4, "LG 27UP850 27\"", "fair", "on_loan", "oscar"),
        (5, "Dell P2422H 24\"", "good", "available", None),
        (6, "Dell P2422H 24\"", "good", "available", None),
        (7, "Dell P2422H 24\"", "good", "on_loan", "alice"),
        (8, "Samsung ViewFinity S8 32\"", "new", "available", None),
    ]),
    "docking-station": ("DOC", "DK{n:03d}TB{m:03d}", [
        (1, "Dell WD22TB4 Thunderbolt dock", "good", "available", None),
        (2, "Dell WD22TB4 Thunderbolt dock", "good", "available", None),
        (3, "Lenovo ThinkPad Universal USB-C Dock", "fair", "available", None),
        (4, "CalDigit TS4", "new", "on_loan", "rhea"),
    ]),
    "headset": ("HDS", "HS{n:04d}J{m:03d}", [
        (1, "Jabra Evolve2 65", "good", "available", None),
        (2, "Jabra Evolve2 65", "good", "available", None),
        (3, "Poly Voyager Focus 2", "new", "available", None),
        (4, "Poly Voyager Focus 2", "fair", "on_loan", "dave"),
        (5, "Sennheiser SC 660", "damaged", "in_repair", None),
    ]),
    "phone": ("PHN", "35{n:04d}1198{m:02d}", [
        (1, "Apple iPhone 15", "new", "available", None),
        (2, "Apple iPhone 13", "good", "available", None),
        (3, "Samsung Galaxy S23", "good", "on_loan", "oscar"),
        (4, "Google Pixel 8", "good", "available", None),
    ]),
    "tablet": ("TAB", "DMP{n:03d}QX{m:03d}", [
        (1, "Apple iPad Air 11", "good", "available", None),
        (2, "Apple iPad 10th gen", "fair", "available", None),
        (3, "Samsung Galaxy Tab S9", "new", "available", None),
    ]),
    "projector": ("PRJ", "EP{n:03d}W{m:03d}", [
        (1, "Epson EB-L260F", "good", "available", None),
        (2, "BenQ MW560", "fair", "available", None),
    ]),
    "camera": ("CAM", "LG{n:03d}BR{m:03d}", [
        (1, "Logitech Brio 4K", "good", "available", None),
        (2, "Logitech Rally Bar Mini", "good", "available", None),
    ]),
}

# When the seeded loans were handed out, and until when they run.
SEED_LOAN_DAY = "2026-09-01"
SEED_LOAN_DUE = {"LAP-0003": "2027-03-31", "MON-0007": "2027-03-31"}

# slug, product, vendor, kind, approved, seats, assigned, cost per seat
LICENCES = [
    ("microsoft-365", "Microsoft 365 E3", "Microsoft", "saas", True, 40,
     ["alice", "dave", "rita", "mona", "fiona", "hana", "oscar", "sven", "ada", "ivan"], 396),
    ("slack", "Slack Business+", "Slack", "saas", True, 30, ["alice", "dave", "rita", "rhea", "quinn"], 150),
    ("zoom", "Zoom Workplace Business", "Zoom", "saas", True, 10, ["mona", "hana", "sam"], 220),
    ("adobe-acrobat-pro", "Adobe Acrobat Pro", "Adobe", "installed", True, 3, ["fiona", "hana", "priya"], 240),
    ("jetbrains-intellij", "IntelliJ IDEA Ultimate", "JetBrains", "installed", True, 5, ["rhea", "quinn"], 599),
    ("figma", "Figma Professional", "Figma", "saas", True, 4, ["sam"], 180),
    ("visio", "Microsoft Visio Plan 2", "Microsoft", "saas", True, 2, ["carl", "cleo"], 180),
    ("tableau", "Tableau Creator", "Salesforce", "installed", False, 2, ["fiona", "mona"], 900),
    ("autocad", "AutoCAD", "Autodesk", "installed", False, 1, ["carl"], 2030),
    ("notion", "Notion Business", "Notion Labs", "saas", False, 0, [], 180),
]


def demo_records() -> list[tuple[str, str, dict]]:
    """(collection, key, value) for every seeded record but the custody trail."""
    found: list[tuple[str, str, dict]] = [
        # change-request asks each CAB member for a vote, in parallel.
        ("change-settings", "cab", {"members": ["carl", "cleo"]}),
    ]
    for username, name, department, title, manager in PEOPLE:
        found.append(("people", username, {
            "username": username, "name": name, "email": f"{username}@example.org", "department": department,
            "title": title, "manager": manager, "status": "active", "start_date": None, "last_day": None}))
        found.append(("access", username, {
            "username": username, "revoked": [],
            "grants": [{"system": system, "level": "standard", "granted_on": "2026-01-05", "reference": None}
                       for system in STANDARD_SYSTEMS]}))
    for kind, (prefix, serial, assets) in REGISTER.items():
        for n, model, condition, status, holder in assets:
            tag = f"{prefix}-{n:04d}"
            found.append(("assets", tag, {
                "tag": tag, "type": kind, "model": model, "serial": serial.format(n=n, m=n * 7919 % 1000), "condition": condition,
                "status": status, "holder": holder, "reference": None, "due": SEED_LOAN_DUE.get(tag)}))
    for slug, product, vendor, kind, approved, seats, assigned, cost in LICENCES:
        found.append(("licences", slug, {
            "product": product, "vendor": vendor, "kind": kind, "approved": approved, "seats": seats,
            "assigned": assigned, "cost_per_seat": cost}))
    return found


def seed() -> int:
    """Writes the records that are absent; how many it wrote."""
    written = 0
    for collection, key, value in demo_records():
        if records.get(collection, key) is None:
            records.put(collection, key, value)
            written += 1
            if collection == "assets" and value["holder"]:
                _record_hand_out(value)
    return written


def _record_hand_out(asset: dict) -> None:
    """The first link of a seeded loan's chain of custody."""
    number = records.next_number("sequences", "asset-custody")
    records.put("asset-custody", f"{asset['tag']}/{number:06d}", {
        "tag": asset["tag"], "event": "handed_out", "from": "asset-team", "to": asset["holder"],
        "condition": asset["condition"], "at": f"{SEED_LOAN_DAY}T09:00:00+00:00", "by": "ada", "reference": None})
