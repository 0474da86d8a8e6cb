"""How people are called on pages (app/services/people.py)."""
from __future__ import annotations

from app.services import people


def test_display_names_and_the_starters_that_are_baton(app_ctx, make_user):
    make_user("ann", display_name="Ann Smith")
    make_user("bob")
    assert people.display_names(["ann", "bob", "gone", "system", "scheduler", None]) == {
        "ann": "Ann Smith", "bob": "bob", "gone": "gone",
        "system": "Baton, on a message", "scheduler": "Baton, on its schedule"}
