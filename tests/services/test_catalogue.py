"""The service catalogue as a use case: the latest version of every process a
person can start, grouped by category in the library's order, each with a
one-line description; the text filter; and one service's start form."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Instance, db
from app.services import catalogue, instances
from app.services.errors import Forbidden, NotFound
from tests.support.catalogue import folder, message_started, service


def _listing(found: catalogue.Catalogue) -> list[tuple[str, list[str]]]:
    return [(c.name, [s.key for s in c.services]) for c in found.categories]


def test_services_are_grouped_in_the_library_order_then_others_then_the_uncategorised(
        app_ctx, deploy, make_user):
    # A bundle speaks one dialect: the spiff folders go one by one.
    deploy(folder("laptop"))
    deploy(folder("access"))
    deploy({**folder("expense"), **service("zoo", "Zoo pass", category="Facilities"),
            **service("badge", "Building badge", category="facilities"),   # the same heading as "Facilities"
            **service("desk", "Desk move", category="Accommodation"),
            **service("misc", "Anything else"),
            **service("kb", "Suggest an article", category="knowledge"),   # the library's, whatever the case
            **service("legacy", "Old form", category="Other services"),    # is the uncategorised group
            **message_started("mailed")})
    found = catalogue.services_for(make_user("dave"))
    assert _listing(found) == [
        ("People", ["access_request"]),
        ("Assets & software", ["laptop_request"]),
        ("Knowledge", ["kb"]),
        ("Cases", ["expense"]),
        ("Accommodation", ["desk"]),
        ("Facilities", ["badge", "zoo"]),
        ("Other services", ["misc", "legacy"]),   # by name: "Anything else", "Old form"
    ]
    assert found.total == found.shown == 9 and found.may_start
    access = found.categories[0].services[0]
    assert (access.name, access.version, access.has_form) == ("Access to a system", 1, True)
    assert access.summary == "Ask for access to a system for a limited time."
    laptop = found.categories[1].services[0]
    assert (laptop.has_form, laptop.summary) == (False, "Ask for a new laptop; an agent reviews, IT hands it over.")


def test_only_the_latest_version_counts(app_ctx, deploy, make_user):
    deploy(service("move", "Move a desk", category="People"))
    deploy(service("move", "Move desks and screens", category="Assets & software"))
    deploy(service("pager", "Pager duty", category="People"))
    deploy(message_started("pager", "Pager duty", category="People"))   # now started by a message only
    found = catalogue.services_for(make_user("dave"))
    assert _listing(found) == [("Assets & software", ["move"])]
    move = found.categories[0].services[0]
    assert (move.name, move.version) == ("Move desks and screens", 2)


def test_the_catalogue_is_read_in_one_query(app_ctx, deploy, make_user):
    for n in range(6):
        deploy(service(f"s{n}", f"Service {n}", category="People"))
    deploy(folder("access"))
    dave = make_user("dave")
    statements = []
    listener = lambda *args: statements.append(args[2])   # noqa: E731 - (conn, cursor, statement, ...)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = catalogue.services_for(dave)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert found.shown == 7 and len(statements) == 1


def test_the_text_filter_wants_every_word_in_the_name_or_description(app_ctx, deploy, make_user):
    for name in ("laptop", "access", "expense"):
        deploy(folder(name))
    dave = make_user("dave")

    def keys(search: str) -> list[str]:
        return [s.key for c in catalogue.services_for(dave, search).categories for s in c.services]
    assert keys("LAPTOP") == ["laptop_request"]
    assert keys("production systems") == ["access_request"]   # the description's second paragraph
    assert keys("laptop access") == []
    assert keys("") == ["access_request", "laptop_request", "expense"]
    assert catalogue.services_for(dave, "nothing like it").total == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("", ""),
    ("Ask for a laptop.", "Ask for a laptop."),
    ("Ask for a laptop. IT hands it over.", "Ask for a laptop."),
    ("Is it broken? Tell us.", "Is it broken?"),
    ("Report tools, e.g. a drill. Then wait.", "Report tools, e.g. a drill."),
    ("First paragraph without a full stop\n\nSecond paragraph.", "First paragraph without a full stop"),
    ("An indented paragraph\n    \n    and the next.", "An indented paragraph"),
    ("Wrapped over\n   two lines. Next.", "Wrapped over two lines."),
])
def test_the_one_line_description_is_the_first_sentence(text, expected):
    assert catalogue.one_line(text) == expected


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis():
    sentence = "Request " + "a very, " * 40 + "long thing."
    cut = catalogue.one_line(sentence)
    assert len(cut) <= catalogue.SUMMARY_LIMIT and cut.endswith("a very…")
    assert sentence.startswith(cut[:-1])
    assert catalogue.one_line("x" * 300).endswith("…") and len(catalogue.one_line("x" * 300)) == 160


def test_auditors_read_the_catalogue_but_may_not_start(app_ctx, deploy, make_user):
    deploy(folder("access"))
    found = catalogue.services_for(make_user("audrey", role="auditor"))
    assert found.shown == 1 and not found.may_start
    assert not catalogue.start_form_for("access_request", make_user("audrey", role="auditor")).may_start


def test_the_start_form_of_the_latest_version(app_ctx, deploy, make_user):
    for files in (folder("access"), folder("laptop"), message_started("mailed")):
        deploy(files)
    dave = make_user("dave")
    offer = catalogue.start_form_for("access_request", dave)
    assert (offer.name, offer.category, offer.version, offer.may_start) == ("Access to a system", "People", 1, True)
    assert offer.description.startswith("Ask for access") and "production systems" in offer.description
    assert list(offer.form.schema["properties"]) == ["system", "days", "reason"]
    assert catalogue.start_form_for("laptop_request", dave).form is None
    for key in ("mailed", "nothing-here"):
        with pytest.raises(NotFound):
            catalogue.start_form_for(key, dave)


def test_a_process_for_some_groups_is_offered_to_them_and_to_those_who_read_everything(
        app_ctx, deploy, make_user):
    deploy(service("onboard", "Onboard a new hire", category="People", starter_groups="hr, it-ops",
                   starter_users="zoe"))
    deploy(service("move", "Move a desk", category="People"))

    def offered(user) -> list[str]:
        return [s.key for c in catalogue.services_for(user).categories for s in c.services]

    assert offered(make_user("dave", "service-desk")) == ["move"]
    for insider in (make_user("hana", "hr"), make_user("oscar", "it-ops"), make_user("zoe"),
                    make_user("root", role="admin"), make_user("audrey", role="auditor")):
        assert offered(insider) == ["move", "onboard"], insider.username
    refused = catalogue.start_form_for("onboard", make_user("alice", "requester"))
    assert not refused.may_start
    assert refused.refusal == "Only the hr group or the it-ops group or zoe may start this."
    assert catalogue.start_form_for("onboard", make_user("holly", "hr")).may_start


def test_only_a_starter_group_member_or_an_admin_starts_such_a_process(app_ctx, deploy, make_user):
    deploy(service("onboard", "Onboard a new hire", starter_groups="hr"))
    with pytest.raises(Forbidden, match="Only the hr group may start this"):
        instances.start_instance("onboard", make_user("alice", "requester"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0
    for starter in (make_user("hana", "hr"), make_user("root", role="admin")):
        assert instances.start_instance("onboard", starter).started_by == starter.username
