"""Answers that name people (fields of format "user") are checked against
Baton's users: a mistyped or deactivated name is refused on the form."""
from __future__ import annotations

from app.engine.model import Form
from app.models import User, db
from app.services.answers import check_answers

FORM = Form({"type": "object", "required": ["expert"], "properties": {
    "expert": {"type": "string", "format": "user", "maxLength": 64},
    "reviewers": {"type": "array", "items": {"type": "string", "format": "user"}},
    "note": {"type": "string"}}})


def test_people_who_can_sign_in_may_be_named(app_ctx, make_user):
    make_user("rita", "resolver"), make_user("rob"), make_user("kim")
    assert check_answers(FORM, {"expert": "rita", "reviewers": ["rob", "kim"], "note": "rita2"}) == {}


def test_unknown_and_deactivated_people_are_refused_by_field(app_ctx, make_user):
    make_user("rita")
    db.session.get(User, make_user("gone").id).active = False
    db.session.commit()
    errors = check_answers(FORM, {"expert": "ritta", "reviewers": ["rita", "gone", "nobody"]})
    assert errors == {
        "expert": ["No one called 'ritta' can sign in to Baton: check the user name."],
        "reviewers": ["No one called 'gone', 'nobody' can sign in to Baton: check the user name."]}


def test_the_form_rules_come_first(app_ctx):
    assert check_answers(FORM, {"note": "x"}) == {"expert": ["This field is required."]}
    assert check_answers(FORM, {"expert": "x" * 65}) == {"expert": ["At most 64 characters."]}
