"""The shipped process ``knowledge-article`` ("Knowledge article").

Driven through Baton's services the way its users drive it: someone reports
missing or outdated information (or the daily review check finds an article
due for its periodic review), a knowledge owner assigns an expert, the expert
writes or updates the article, the knowledge owner reviews it (sending it
back as often as needed, or rejecting it) and Baton publishes it to the
knowledge base. The expert the knowledge owner names is assigned the writing
(a hand-over passes it on), and whoever reported the information is told the
outcome (a periodic review has no reporter). One test per path, each checking
the path taken (the audit trail), who was asked to do what, what people were
told and the data and store records at the end; the forms refuse bad input;
then the diagram itself (test_library.py runs ``baton validate`` on it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import lxml.html
import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Instance, Job, OutboxMessage, db
from app.services import deployments, instances, records, tasks, users
from app.services.errors import Conflict, Forbidden, InvalidData
from app.worker import run_once
from tests.support.pages import csrf_token, sign_in

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems, flow_nodes
from .driver import Desk

PROCESS = "knowledge-article"
BPMN_FILE = REPO / "bpmn" / PROCESS / "knowledge-article.bpmn"
FIRST_CHECK = datetime(2026, 1, 6, 6, 0, tzinfo=timezone.utc)   # the daily check's first firing in the tests

# The diagram's steps on each path, in the order they are taken.
REPORTED = ["information-reported", "record-report", "case-opened", "look-up-article", "prepare-assignment",
            "assign-expert", "ask-expert"]
CHECKED = ["review-due", "find-reviews-due", "pick-article-due", "article-due-gateway"]
NOTHING_DUE = CHECKED + ["nothing-due"]
REVIEW_DUE = CHECKED + ["book-next-review", "case-opened", "look-up-article", "prepare-assignment",
                        "assign-expert", "ask-expert"]
ROUND = ["write-article", "review-article", "review-outcome-gateway"]
# After publishing or rejecting: the reporter is told, or (a periodic review) there is nobody to tell.
REPORTER_TOLD = ["published-reporter-gateway", "tell-reporter-published", "published-reporter-done",
                 "article-published"]
NO_REPORTER = ["published-reporter-gateway", "published-reporter-done", "article-published"]
PUBLISH_NEW = ["new-article-gateway", "number-article", "ready-to-publish", "prepare-publication",
               "publish-article", "schedule-next-review", "announce-article"]
PUBLISH_UPDATE = ["new-article-gateway", "ready-to-publish", "prepare-publication", "publish-article",
                  "schedule-next-review", "announce-article"]
PUBLISHED_NEW = PUBLISH_NEW + REPORTER_TOLD
PUBLISHED_UPDATE = PUBLISH_UPDATE + REPORTER_TOLD
REVIEWED = PUBLISH_UPDATE + NO_REPORTER                   # a periodic review, published
REJECTED = ["rejected-reporter-gateway", "tell-reporter-rejected", "rejected-reporter-done", "not-published"]
REVIEW_REJECTED = ["rejected-reporter-gateway", "rejected-reporter-done", "not-published"]
ASKED_RITA = "Please write the knowledge article: Connecting to the VPN from a hotel network"
PUBLISHED_FOR_ALICE = "Your report is handled: New knowledge article KB-000001: Connect to the VPN from a hotel network"


@dataclass
class People:
    reporter: object    # requester
    owner: object       # knowledge-owner
    expert: object      # resolver: the one chosen
    colleague: object   # resolver: another expert
    agent: object       # service-desk: reads the knowledge base
    outsider: object    # finance: nothing to do with it


@pytest.fixture
def people(make_user) -> People:
    return People(reporter=make_user("alice", "requester"), owner=make_user("kim", "knowledge-owner"),
                  expert=make_user("rita", "resolver"), colleague=make_user("rob", "resolver"),
                  agent=make_user("dave", "service-desk"), outsider=make_user("fiona", "finance"))


@pytest.fixture
def desk(deployed_desk, people) -> Desk:
    return deployed_desk(PROCESS, "Knowledge article")


REPORT = {"topic": "Connecting to the VPN from a hotel network", "problem_kind": "missing",
          "details": "Hotel networks block the VPN and no article says what to do."}
TEXT = {"title": "Connect to the VPN from a hotel network",
        "body": "1. Open the VPN client.\n2. Choose *TCP 443* under Settings when the hotel blocks the VPN.",
        "change_summary": "New article: what to do when a hotel blocks the VPN."}


def report(desk: Desk, people: People, **changes):
    return desk.start(people.reporter, {**REPORT, **changes})


def publish(desk: Desk, people: People, **text):
    """A reported gap, written by the expert and approved at once: the knowledge base's first article."""
    case = report(desk, people)
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rita"})
    case = desk.work(people.expert, case, "write-article", {**TEXT, **text})
    return desk.work(people.owner, case, "review-article", {"review_outcome": "approve"})


def inboxes(desk: Desk, people: People, case) -> dict[str, list[str]]:
    """Who may work on which open step of the case, by user name (empty inboxes left out)."""
    found = {p.username: desk.inbox(p, case) for p in vars(people).values()}
    return {name: steps for name, steps in found.items() if steps}


def scheduled_cases() -> list[Instance]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Instance).where(Instance.definition_key == PROCESS,
                                                             Instance.started_by == "scheduler")
                                   .order_by(Instance.id)))


def seed_article(ref: str, title: str, next_review: str, version: int = 1) -> None:
    """An article already in the knowledge base, with its entry in the review schedule."""
    records.put("knowledge-base", ref, {
        "article_ref": ref, "title": title, "body": f"How to {title.lower()}, step by step.", "version": version,
        "status": "published", "first_published_on": "2025-06-01", "published_on": "2025-10-01",
        "reviewed_on": "2025-10-01", "next_review": next_review, "review_interval_days": 90,
        "change_summary": "Earlier change.", "expert": "rob"})
    records.put("knowledge-review-schedule", ref, {"article_ref": ref, "title": title, "next_review": next_review,
                                                   "review_interval_days": 90})


def bodies(username: str) -> list[str]:
    """The texts of the messages ``username`` was sent, oldest first."""
    return list(db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == username)
                                   .order_by(OutboxMessage.id)))


# ---- reported, written, approved, published --------------------------------------

@pytest.mark.also_on_postgres
def test_missing_information_is_reported_written_approved_and_published(desk, people, clock):
    case = report(desk, people)
    assert case.status == "running" and case.started_by == "alice"
    assert case.data["is_new"] is True and case.data["article_ref"] is None
    assert case.data["reporter"] == "alice"                  # to tell her the outcome
    # Only a knowledge owner is asked to assign the expert, within two days.
    assert inboxes(desk, people, case) == {"kim": ["assign-expert"]}
    assign = desk.task(people.owner, case, "assign-expert")
    assert (assign.name, assign.lane, assign.candidate_groups) == ("Assign an expert", "knowledge-owner",
                                                                   ["knowledge-owner"])
    assert assign.due_at == clock.now() + timedelta(days=2)
    assert "information about **Connecting to the VPN from a hotel network** is missing" in desk.instructions(
        people.owner, case, "assign-expert")
    for user in (people.reporter, people.expert, people.outsider):
        with pytest.raises(Forbidden):
            tasks.claim(assign.id, user)

    clock.advance(hours=5)
    case = desk.work(people.owner, case, "assign-expert",
                     {"expert": "rita", "assignment_notes": "Ask the network team for the port."})
    # The step is the chosen expert's: rita has it, the other resolvers do not; she is told.
    assert case.data["knowledge_owner"] == "kim"
    assert inboxes(desk, people, case) == {"rita": ["write-article"]}
    write = desk.task(people.expert, case, "write-article")
    assert (write.assignee, write.lane, write.candidate_groups, write.priority) == ("rita", "resolver",
                                                                                     ["resolver"], 60)
    assert write.due_at == clock.now() + timedelta(days=5)
    assert desk.outbox("rita") == [ASKED_RITA]
    assert desk.outbox("rob") == desk.outbox("kim") == desk.outbox("dave") == desk.outbox("alice") == []
    assert case.data["expert_notified"]["recipients"] == ["rita"]
    text = desk.instructions(people.expert, case, "write-article")
    assert text.startswith("The knowledge owner asked **rita** to write a new article about **Connecting")
    # The form starts from the topic as the title and an empty text.
    assert {k: desk.data_of(people.expert, case, "write-article")[k] for k in ("title", "body")} == {
        "title": "Connecting to the VPN from a hotel network", "body": ""}
    with pytest.raises(Forbidden):
        tasks.claim(write.id, people.owner)
    with pytest.raises(Conflict, match="already claimed by rita"):
        tasks.claim(write.id, people.colleague)
    with pytest.raises(Forbidden):
        tasks.complete(write.id, TEXT, people.colleague)

    case = desk.work(people.expert, case, "write-article", TEXT)
    assert inboxes(desk, people, case) == {"kim": ["review-article"]}
    review = desk.task(people.owner, case, "review-article")
    assert (review.lane, review.due_at) == ("knowledge-owner", clock.now() + timedelta(days=3))
    assert desk.instructions(people.owner, case, "review-article").endswith(
        "Whoever reported it is told the outcome: the published article, or your comments when you reject it.")
    with pytest.raises(Forbidden):
        tasks.complete(review.id, {"review_outcome": "approve"}, people.expert)

    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve", "review_in_days": 30})

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND + PUBLISHED_NEW
    assert desk.who_did_what(case) == [("assign-expert", "kim", ["knowledge-owner"]),
                                       ("write-article", "rita", ["resolver"]),
                                       ("review-article", "kim", ["knowledge-owner"])]
    assert inboxes(desk, people, case) == {}
    published = {**TEXT, "article_ref": "KB-000001", "version": 1, "status": "published",
                 "first_published_on": "2026-01-05", "published_on": "2026-01-05", "reviewed_on": "2026-01-05",
                 "next_review": "2026-02-04", "review_interval_days": 30, "expert": "rita"}
    assert desk.records("knowledge-base") == {"KB-000001": published}
    assert desk.records("knowledge-review-schedule") == {"KB-000001": {
        "article_ref": "KB-000001", "title": TEXT["title"], "next_review": "2026-02-04",
        "review_interval_days": 30}}
    assert desk.records("sequences") == {PROCESS: {"last": 1}}
    # The service desk and the resolvers are told; the knowledge owner approved it and knows;
    # alice, who reported it, is told what came of her report.
    announcement = "New knowledge article KB-000001: Connect to the VPN from a hotel network"
    assert desk.outbox("dave") == desk.outbox("rob") == [announcement]
    assert desk.outbox("rita") == [ASKED_RITA, announcement]
    assert desk.outbox("alice") == [PUBLISHED_FOR_ALICE]
    assert desk.outbox("kim") == desk.outbox("fiona") == []
    asked, told = bodies("rita")
    assert asked == ('kim, a knowledge owner, asks you to write the knowledge article "Connecting to the VPN from '
                     'a hotel network".\n\nWhat it is about: Hotel networks block the VPN and no article says what '
                     'to do.\n\nNotes for you: Ask the network team for the port.\n\nThe step "Write or update the '
                     'article" is assigned to you: it waits in your inbox, under Assigned to me.')
    assert told == (f"{TEXT['title']}\n\n{TEXT['body']}\n\nWhat changed: {TEXT['change_summary']}\n\n"
                    "Next review: 2026-02-04.")
    assert bodies("alice") == [
        'You reported that the information about "Connecting to the VPN from a hotel network" was missing. '
        f"Thank you: here is the result, in the knowledge base as KB-000001.\n\n{told}"]
    assert {k: case.data[k] for k in ("article_ref", "version", "expert", "review_outcome", "next_review")} == {
        "article_ref": "KB-000001", "version": 1, "expert": "rita", "review_outcome": "approve",
        "next_review": "2026-02-04"}


def test_an_outdated_article_is_updated_and_keeps_its_reference(desk, people, clock):
    publish(desk, people)
    clock.advance(days=20)
    case = report(desk, people, problem_kind="outdated", article_ref="KB-000001",
                  details="Since the new client, TCP 443 is under Advanced, not Settings.")
    assert (case.data["is_new"], case.data["current_version"]) == (False, 1)
    assert "information about" in desk.instructions(people.owner, case, "assign-expert")
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rob"})
    assert desk.outbox("rob")[-1] == "Please update the knowledge article: KB-000001 " + TEXT["title"]
    assert inboxes(desk, people, case) == {"rob": ["write-article"]}
    # The expert starts from the published text.
    shown = desk.data_of(people.colleague, case, "write-article")
    assert {k: shown[k] for k in ("article_ref", "title", "body", "current_version")} == {
        "article_ref": "KB-000001", "title": TEXT["title"], "body": TEXT["body"], "current_version": 1}
    assert "update **KB-000001 Connect to the VPN from a hotel network** (version 1)" in desk.instructions(
        people.colleague, case, "write-article")
    new_body = TEXT["body"].replace("under Settings", "under Settings > Advanced")
    case = desk.work(people.colleague, case, "write-article",
                     {"title": TEXT["title"], "body": new_body, "change_summary": "The option moved to Advanced."})
    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve"})

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND + PUBLISHED_UPDATE
    assert desk.who_did_what(case) == [("assign-expert", "kim", ["knowledge-owner"]),
                                       ("write-article", "rob", ["resolver"]),
                                       ("review-article", "kim", ["knowledge-owner"])]
    article = desk.records("knowledge-base")["KB-000001"]
    assert {k: article[k] for k in ("version", "body", "first_published_on", "published_on", "next_review",
                                    "expert", "change_summary")} == {
        "version": 2, "body": new_body, "first_published_on": "2026-01-05", "published_on": "2026-01-25",
        "next_review": "2026-04-25", "expert": "rob", "change_summary": "The option moved to Advanced."}
    assert list(desk.records("knowledge-base")) == ["KB-000001"]
    assert desk.records("sequences") == {PROCESS: {"last": 1}}          # no new number
    assert desk.outbox("dave")[-1] == "Knowledge article KB-000001 updated to version 2: " + TEXT["title"]
    assert "current_article" not in case.data
    # alice reported both: told of the new article, then of its update.
    assert desk.outbox("alice") == [
        PUBLISHED_FOR_ALICE,
        "Your report is handled: Knowledge article KB-000001 updated to version 2: " + TEXT["title"]]
    assert bodies("alice")[-1].startswith('You reported that the information about "Connecting to the VPN from a '
                                          'hotel network" was outdated. Thank you: here is the result, in the '
                                          "knowledge base as KB-000001.")


# ---- the review loop -------------------------------------------------------------

def test_changes_requested_once_then_approved(desk, people):
    # The report names an article that does not exist: a new one is written.
    case = report(desk, people, problem_kind="wrong", article_ref="KB-000042")
    assert (case.data["reported_ref"], case.data["article_ref"], case.data["is_new"]) == ("KB-000042", None, True)
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rita"})
    case = desk.work(people.expert, case, "write-article", {**TEXT, "body": "Use port 443 in hotels."})
    case = desk.work(people.owner, case, "review-article",
                     {"review_outcome": "changes", "review_comments": "Say where the setting is."})
    # Back to the same expert, with the reviewer's comments; the knowledge owner waits.
    assert inboxes(desk, people, case) == {"rita": ["write-article"]}
    assert desk.task(people.expert, case, "write-article").assignee == "rita"
    assert desk.data_of(people.expert, case, "write-article")["body"] == "Use port 443 in hotels."
    assert "The reviewer asked for changes: *Say where the setting is.*" in desk.instructions(
        people.expert, case, "write-article")
    assert desk.records("knowledge-base") == {}
    case = desk.work(people.expert, case, "write-article", TEXT)
    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve"})

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND * 2 + PUBLISHED_NEW
    assert desk.who_did_what(case) == [("assign-expert", "kim", ["knowledge-owner"])] + [
        ("write-article", "rita", ["resolver"]), ("review-article", "kim", ["knowledge-owner"])] * 2
    assert desk.records("knowledge-base")["KB-000001"]["body"] == TEXT["body"]
    assert (case.data["article_ref"], case.data["reported_ref"]) == ("KB-000001", "KB-000042")
    # One announcement of the published article, after the rounds, and one message to the reporter.
    assert desk.outbox("dave") == ["New knowledge article KB-000001: " + TEXT["title"]]
    assert desk.outbox("alice") == [PUBLISHED_FOR_ALICE]
    assert desk.outbox("rita") == [ASKED_RITA, "New knowledge article KB-000001: " + TEXT["title"]]


def test_changes_requested_many_times_then_approved(desk, people):
    """Six rounds: rita writes the first two; then she hands the step over (releases it), rob
    takes it and the later rounds come back to him."""
    rounds = 6
    case = report(desk, people)
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rita"})
    for n in range(1, rounds):
        writer = people.expert if n <= 2 else people.colleague
        if n == 3:
            # rita is away: she releases the step, and any resolver may take it.
            tasks.unclaim(desk.task(people.expert, case, "write-article").id, people.expert)
            assert inboxes(desk, people, case) == {"rita": ["write-article"], "rob": ["write-article"]}
        else:
            assert inboxes(desk, people, case) == {writer.username: ["write-article"]}
        case = desk.work(writer, case, "write-article", {**TEXT, "body": f"Draft {n}: use port 443."})
        assert case.data["expert"] == writer.username
        case = desk.work(people.owner, case, "review-article",
                         {"review_outcome": "changes", "review_comments": f"Round {n}: not there yet."})
        assert case.status == "running"
        next_writer = people.expert if n < 3 else people.colleague     # rita until she hands it over
        assert desk.task(next_writer, case, "write-article").assignee == next_writer.username
        assert desk.data_of(next_writer, case, "write-article")["review_comments"] == f"Round {n}: not there yet."
    case = desk.work(people.colleague, case, "write-article", TEXT)
    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve"})

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND * rounds + PUBLISHED_NEW
    writers = [who for step, who, _ in desk.who_did_what(case) if step == "write-article"]
    assert writers == ["rita", "rita", "rob", "rob", "rob", "rob"]
    opened = [e.data["assignee"] for e in desk.events(case, "task_opened") if e.element == "write-article"]
    assert opened == ["rita", "rita", "rita", "rob", "rob", "rob"]
    assert [(e.actor, e.data["previous_assignee"]) for e in desk.events(case, "task_unclaimed")] == [("rita", "rita")]
    assert len(desk.events(case, "task_opened")) == 1 + 2 * rounds
    article = desk.records("knowledge-base")["KB-000001"]
    assert (article["version"], article["expert"]) == (1, "rob")            # the expert who wrote it in the end
    assert desk.records("sequences") == {PROCESS: {"last": 1}}
    # Only rita was asked by message (the hand-over is between the experts); alice hears once, at the end.
    assert desk.outbox("rita")[0] == ASKED_RITA and desk.outbox("rob")[0].startswith("New knowledge article")
    assert desk.outbox("alice") == [PUBLISHED_FOR_ALICE]


# ---- rejected ----------------------------------------------------------------------

def test_rejected_drafts_publish_nothing(desk, people, clock):
    # A new article, rejected: nothing published, no number used up, nothing announced.
    case = report(desk, people, topic="Printing from the moon")
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rita"})
    case = desk.work(people.expert, case, "write-article", {**TEXT, "title": "Printing from the moon"})
    case = desk.work(people.owner, case, "review-article",
                     {"review_outcome": "reject", "review_comments": "A duplicate of the printing article."})

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND + REJECTED
    assert inboxes(desk, people, case) == {}
    assert desk.records("knowledge-base") == desk.records("knowledge-review-schedule") == {}
    assert desk.records("sequences") == {}
    assert desk.outbox("dave") == []
    assert desk.outbox("rita") == ["Please write the knowledge article: Printing from the moon"]
    assert case.data["review_comments"] == "A duplicate of the printing article."
    # alice, who reported it, is told why.
    assert desk.outbox("alice") == ["Your report is handled: nothing changes in the knowledge base "
                                    "(Printing from the moon)"]
    assert bodies("alice") == ['You reported that the information about "Printing from the moon" was missing. '
                               "A knowledge owner had an expert look into it and decided to publish nothing."
                               "\n\nWhy: A duplicate of the printing article."]

    # An update of a published article, rejected: the published version stays as it was.
    publish(desk, people)
    before = desk.records("knowledge-base"), desk.records("knowledge-review-schedule")
    clock.advance(days=3)
    case = report(desk, people, problem_kind="wrong", article_ref="KB-000001", details="Port 443 never works.")
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rob"})
    case = desk.work(people.colleague, case, "write-article",
                     {**TEXT, "body": "Do not use the VPN in hotels at all.", "change_summary": "Removed it."})
    case = desk.work(people.owner, case, "review-article",
                     {"review_outcome": "reject", "review_comments": "Port 443 works; the report was mistaken."})
    assert desk.path(case) == REPORTED + ROUND + REJECTED
    assert (desk.records("knowledge-base"), desk.records("knowledge-review-schedule")) == before
    assert desk.outbox("dave") == ["New knowledge article KB-000001: " + TEXT["title"]]
    assert desk.outbox("alice")[-1] == ("Your report is handled: nothing changes in the knowledge base "
                                        "(Connecting to the VPN from a hotel network)")
    assert bodies("alice")[-1] == (
        'You reported that the information about "Connecting to the VPN from a hotel network" was wrong. A '
        "knowledge owner had an expert look into it and decided to publish nothing: KB-000001 stays as it is."
        "\n\nWhy: Port 443 works; the report was mistaken.")
    assert len(desk.outbox("alice")) == 3                  # rejected, published, rejected


def test_an_expert_who_cannot_sign_in_is_refused_on_the_form(desk, people):
    """A mistyped name would hand the writing to nobody (and the message to them
    would fail): the form refuses it and the case waits for a real name."""
    case = report(desk, people)
    assign = desk.task(people.owner, case, "assign-expert")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(assign.id, {"expert": "ritta"}, people.owner)
    assert refused.value.fields == {"expert": ["No one called 'ritta' can sign in to Baton: check the user name."]}
    assert inboxes(desk, people, case) == {"kim": ["assign-expert"]}
    assert desk.outbox("rita") == []


# ---- the periodic review: a timer start event ------------------------------------

def test_the_daily_check_starts_one_case_per_firing(desk, people, clock):
    jobs = list(db.session.scalars(sa.select(Job).where(Job.kind == "start")))
    assert [(j.element, j.due_at) for j in jobs] == [("review-due", FIRST_CHECK)]
    # A case started by hand runs from its own start event only, and waits for no timer.
    by_hand = report(desk, people)
    assert desk.path(by_hand) == REPORTED[:-2]
    assert list(db.session.scalars(sa.select(Job).where(Job.instance_id == by_hand.id))) == []

    desk.advance(hours=20)                                 # 05:00: not yet
    assert scheduled_cases() == []
    for day in range(3):
        desk.advance(days=1 if day else 0, hours=0 if day else 2)     # 07:00 each day
        cases = scheduled_cases()
        assert len(cases) == day + 1
    for n, case in enumerate(cases):
        # Each runs from the timer start event only, with no start form data.
        assert case.status == "completed"
        assert case.data == {"reviews_due": 0, "periodic_review": True, "article_ref": None,
                             "review_checked_on": (FIRST_CHECK + timedelta(days=n)).date().isoformat()}
        assert desk.path(case) == NOTHING_DUE
        assert desk.who_did_what(case) == [] and inboxes(desk, people, case) == {}
    assert [e.data["timer"]["due_at"] for c in cases for e in desk.events(c, "instance_started")] == [
        (FIRST_CHECK + timedelta(days=n)).isoformat() for n in range(3)]
    assert [(j.element, j.due_at) for j in db.session.scalars(sa.select(Job).where(Job.kind == "start"))] == [
        ("review-due", FIRST_CHECK + timedelta(days=3))]
    # A day the worker did not run is not made up for: one case, not two.
    desk.advance(days=2)
    assert len(scheduled_cases()) == 4
    # The case started by hand is where it was.
    assert desk.reload(by_hand).status == "running" and desk.path(by_hand) == REPORTED[:-2]
    assert inboxes(desk, people, by_hand) == {"kim": ["assign-expert"]}


def test_an_article_due_is_reviewed_and_found_still_current(desk, people, clock):
    publish(desk, people)                                  # on 2026-01-05: next review 2026-04-05
    desk.advance(datetime(2026, 4, 4, 7, 0, tzinfo=timezone.utc) - clock.now())
    assert [desk.path(c) for c in scheduled_cases()] == [NOTHING_DUE]           # one firing: not due yet
    desk.advance(days=1)                                   # 2026-04-05 07:00: due today
    quiet, case = scheduled_cases()
    assert case.status == "running" and case.started_by == "scheduler"
    assert desk.path(case) == REVIEW_DUE[:-2]              # waits for the knowledge owner
    assert {k: case.data[k] for k in ("periodic_review", "reviews_due", "article_ref", "is_new", "topic",
                                      "problem_kind", "current_version")} == {
        "periodic_review": True, "reviews_due": 1, "article_ref": "KB-000001", "is_new": False,
        "topic": TEXT["title"], "problem_kind": "review", "current_version": 1}
    assert "review_schedule" not in case.data
    # Booked, so the next check leaves it alone.
    assert desk.records("knowledge-review-schedule")["KB-000001"] == {
        "article_ref": "KB-000001", "title": TEXT["title"], "next_review": "2026-07-04",
        "review_interval_days": 90, "review_started_on": "2026-04-05"}
    desk.advance(days=1)
    assert desk.path(scheduled_cases()[-1]) == NOTHING_DUE

    assert inboxes(desk, people, case) == {"kim": ["assign-expert"]}
    assert "**KB-000001 Connect to the VPN from a hotel network** is due for its periodic review" in desk.instructions(
        people.owner, case, "assign-expert")
    case = desk.work(people.owner, case, "assign-expert", {"expert": "rita"})
    assert desk.task(people.expert, case, "write-article").priority == 30      # after reported problems
    assert "if the article is still right, say so here" in desk.instructions(people.expert, case, "write-article")
    case = desk.work(people.expert, case, "write-article",
                     {**TEXT, "change_summary": "Checked with the network team: still right."})
    assert "reported" not in desk.instructions(people.owner, case, "review-article")   # nobody did
    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve"})

    assert case.status == "completed"
    assert desk.path(case) == REVIEW_DUE + ROUND + REVIEWED            # nobody reported it: nobody to tell
    assert "reporter" not in case.data
    assert desk.outbox("alice") == [PUBLISHED_FOR_ALICE]               # from the first publication only
    assert desk.who_did_what(case) == [("assign-expert", "kim", ["knowledge-owner"]),
                                       ("write-article", "rita", ["resolver"]),
                                       ("review-article", "kim", ["knowledge-owner"])]
    article = desk.records("knowledge-base")["KB-000001"]
    assert {k: article[k] for k in ("version", "published_on", "reviewed_on", "next_review")} == {
        "version": 1, "published_on": "2026-01-05", "reviewed_on": "2026-04-06", "next_review": "2026-07-05"}
    assert desk.records("knowledge-review-schedule")["KB-000001"]["next_review"] == "2026-07-05"
    assert desk.outbox("dave")[-1] == "Knowledge article KB-000001 reviewed and still current: " + TEXT["title"]


@pytest.mark.also_on_postgres
def test_the_article_overdue_longest_is_reviewed_first_and_updated(desk, people, clock):
    seed_article("KB-000007", "Reset a forgotten password", next_review="2026-01-02")
    seed_article("KB-000003", "Order a new laptop", next_review="2025-12-20")
    seed_article("KB-000009", "Book a meeting room", next_review="2026-01-06")
    seed_article("KB-000004", "Set up email on a phone", next_review="2026-03-01")
    desk.advance(FIRST_CHECK + timedelta(hours=1) - clock.now())
    desk.advance(days=1)
    desk.advance(days=1)
    desk.advance(days=1)
    cases = scheduled_cases()
    assert [c.data["article_ref"] for c in cases] == ["KB-000003", "KB-000007", "KB-000009", None]
    assert [c.data["reviews_due"] for c in cases] == [3, 2, 1, 0]
    assert [c.data.get("review_due_since") for c in cases] == ["2025-12-20", "2026-01-02", "2026-01-06", None]
    assert [c.status for c in cases] == ["running", "running", "running", "completed"]
    for c in cases[:3]:
        assert desk.inbox(people.owner, c) == ["assign-expert"]

    # The oldest one: the expert updates it, the reviewer asks for one change.
    case = desk.work(people.owner, cases[0], "assign-expert", {"expert": "rob", "assignment_notes": "New models."})
    assert desk.outbox("rob")[-1] == "Please update the knowledge article: KB-000003 Order a new laptop"
    assert desk.inbox(people.colleague, case) == ["write-article"] and desk.inbox(people.expert, case) == []
    case = desk.work(people.colleague, case, "write-article",
                     {"title": "Order a new laptop", "body": "Use the new catalogue: 14 or 16 inch.",
                      "change_summary": "New models."})
    case = desk.work(people.owner, case, "review-article",
                     {"review_outcome": "changes", "review_comments": "Say who approves it."})
    case = desk.work(people.colleague, case, "write-article",
                     {"title": "Order a new laptop",
                      "body": "Use the new catalogue: 14 or 16 inch. Your manager approves it.",
                      "change_summary": "New models; who approves."})
    case = desk.work(people.owner, case, "review-article", {"review_outcome": "approve", "review_in_days": 180})
    assert desk.path(case) == REVIEW_DUE + ROUND * 2 + REVIEWED
    article = desk.records("knowledge-base")["KB-000003"]
    assert {k: article[k] for k in ("version", "first_published_on", "published_on", "next_review", "expert")} == {
        "version": 2, "first_published_on": "2025-06-01", "published_on": "2026-01-09",
        "next_review": "2026-07-08", "expert": "rob"}
    assert desk.outbox("dave") == ["Knowledge article KB-000003 updated to version 2: Order a new laptop"]

    # The next one's rewrite is rejected: the published version stays, and there is no reporter to tell.
    before = desk.records("knowledge-base")["KB-000007"]
    case = desk.work(people.owner, cases[1], "assign-expert", {"expert": "rita"})
    case = desk.work(people.expert, case, "write-article",
                     {"title": "Reset a forgotten password", "body": "Call the service desk; they reset it.",
                      "change_summary": "Shorter."})
    case = desk.work(people.owner, case, "review-article",
                     {"review_outcome": "reject", "review_comments": "The self-service steps must stay."})
    assert case.status == "completed"
    assert desk.path(case) == REVIEW_DUE + ROUND + REVIEW_REJECTED
    assert desk.records("knowledge-base")["KB-000007"] == before
    assert desk.outbox("rita") == ["Knowledge article KB-000003 updated to version 2: Order a new laptop",
                                   "Please update the knowledge article: KB-000007 Reset a forgotten password"]
    assert desk.outbox("alice") == desk.outbox("kim") == []


# ---- in the browser ---------------------------------------------------------------

def test_a_report_runs_end_to_end_in_the_browser(app):
    """The pages people use: the catalogue's start form, then each step's page from the group inbox.
    (No app context is held around the requests, as none is around a browser's.)"""
    with app.app_context():
        for name, group in [("alice", "requester"), ("kim", "knowledge-owner"), ("rita", "resolver"),
                            ("dave", "service-desk")]:
            users.add_user(name, groups=[group], password="secret")
        owner, _token = users.add_user("olga", role="owner")
        deployments.deploy(bundle_of(PROCESS), owner, source="test")

    def signed_in(name: str):
        client = app.test_client()
        assert sign_in(client, name, "secret").status_code == 302
        return client

    alice = signed_in("alice")
    page = alice.get("/catalogue").get_data(as_text=True)
    assert 'href="/catalogue/knowledge-article"' in page
    start = alice.get("/catalogue/knowledge-article")
    answer = alice.post("/catalogue/knowledge-article", data={
        "csrf_token": csrf_token(start.data), "topic": REPORT["topic"], "problem_kind": "missing",
        "article_ref": "", "details": REPORT["details"]})
    assert answer.status_code == 303
    run_once(app)
    steps = [("kim", "group", "Assign an expert", "information about " + REPORT["topic"] + " is missing",
              {"expert": "rita", "assignment_notes": ""}),
             ("rita", "mine", "Write or update the article", "asked rita to write a new article",
              {"title": TEXT["title"], "body": TEXT["body"], "change_summary": TEXT["change_summary"]}),
             ("kim", "group", "Review the article", "Approve it to publish it now",
              {"review_outcome": "approve", "review_in_days": "90", "review_comments": ""})]
    for name, view, step, told, post in steps:
        client = signed_in(name)
        inbox = client.get(f"/inbox?view={view}").get_data(as_text=True)
        (task_id,) = set(re.findall(r'href="/tasks/([0-9a-f-]{36})"', inbox))
        page = client.get(f"/tasks/{task_id}")
        doc = lxml.html.fromstring(page.get_data(as_text=True))
        assert step in doc.xpath("string(//h1)")
        assert told in " ".join(doc.xpath("string(//section[@aria-labelledby='instructions-title'])").split())
        # The step's documentation (for owners and auditors) gives way to its instructions.
        assert "the variable" not in " ".join(doc.xpath("//main//p[@class='lead']//text()"))
        if step == "Assign an expert":   # the resolvers are suggested as the expert's name is typed
            (expert,) = doc.xpath("//input[@name='expert']")
            assert doc.xpath(f"//datalist[@id='{expert.get('list')}']/option/@value") == ["rita"]
        assert client.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf_token(page.data)}).status_code == 303
        page = client.get(f"/tasks/{task_id}")
        assert client.post(f"/tasks/{task_id}", data={**post, "csrf_token": csrf_token(page.data)}).status_code == 303
        run_once(app)
    with app.app_context():
        (case,) = db.session.scalars(sa.select(Instance).where(Instance.definition_key == PROCESS))
        assert (case.status, case.started_by, case.data["article_ref"]) == ("completed", "alice", "KB-000001")
        assert case.business_key == "KB-000001"
        assert records.get("knowledge-base", "KB-000001").value["title"] == TEXT["title"]
        assert (case.data["reporter"], case.data["expert"]) == ("alice", "rita")
        assert list(db.session.scalars(sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == "alice"))) == [
            PUBLISHED_FOR_ALICE]


# ---- the forms refuse bad input --------------------------------------------------

REPORT_REFUSALS = [
    ({"problem_kind": "missing", "details": "Nothing about it anywhere."}, {"topic"}),
    ({"topic": "VPN", "problem_kind": "missing", "details": "short"}, {"topic", "details"}),
    ({"topic": "VPN from hotels", "problem_kind": "broken", "details": "Nothing about it anywhere."},
     {"problem_kind"}),
    ({"topic": "VPN from hotels", "problem_kind": "outdated", "article_ref": "KB-42",
      "details": "Nothing about it anywhere."}, {"article_ref"}),
    ({"topic": "VPN from hotels", "problem_kind": "outdated", "article_ref": "kb-000042",
      "details": "x" * 4001, "urgent": True}, {"article_ref", "details", "urgent"}),
    ({"topic": "x" * 121, "details": "Nothing about it anywhere."}, {"topic", "problem_kind"}),
    ({"topic": "VPN from hotels", "problem_kind": ["missing"], "details": None}, {"problem_kind", "details"}),
]


def test_the_report_form_refuses_bad_input(desk, people):
    for data, fields in REPORT_REFUSALS:
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.reporter, data=data)
        assert set(refused.value.fields) == fields, data
    assert instances.list_instances(people.reporter) == []
    # The article is optional: a report without one is fine.
    assert report(desk, people).status == "running"


def test_the_step_forms_refuse_bad_input(desk, people):
    case = report(desk, people)
    steps = {
        "assign-expert": (people.owner, [
            ({}, {"expert"}),
            ({"expert": "r"}, {"expert"}),
            ({"expert": "rita; drop table", "assignment_notes": "x" * 2001}, {"expert", "assignment_notes"}),
            ({"expert": "rita", "due": "tomorrow"}, {"due"}),
        ], {"expert": "rita"}),
        "write-article": (people.expert, [
            ({"title": "VPN", "body": "Too short", "change_summary": "New"}, {"title", "body", "change_summary"}),
            ({"title": TEXT["title"], "body": "x" * 20001}, {"body", "change_summary"}),
            ({"title": 42, "body": TEXT["body"], "change_summary": "New article."}, {"title"}),
        ], TEXT),
        "review-article": (people.owner, [
            ({}, {"review_outcome"}),
            ({"review_outcome": "publish", "review_in_days": 3}, {"review_outcome", "review_in_days"}),
            ({"review_outcome": "approve", "review_in_days": 1000}, {"review_in_days"}),
            ({"review_outcome": "approve", "review_in_days": 2.5, "review_comments": "x" * 2001},
             {"review_in_days", "review_comments"}),
        ], {"review_outcome": "approve"}),
    }
    for step, (user, refusals, good) in steps.items():
        task = desk.task(user, case, step)
        tasks.claim(task.id, user)
        for data, fields in refusals:
            with pytest.raises(InvalidData) as refused:
                tasks.complete(task.id, data, user)
            assert set(refused.value.fields) == fields, (step, data)
            assert desk.task(user, case, step).state == "open"
        case = desk.work(user, case, step, good)
    assert case.status == "completed"
    assert desk.path(case) == REPORTED + ROUND + PUBLISHED_NEW


# ---- the diagram -------------------------------------------------------------------

def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (PROCESS, "Knowledge article", "Knowledge",
                                                                        True)
    assert model.description.startswith("Report missing, outdated or wrong information in the knowledge base")
    assert list(model.start_form.schema["properties"]) == ["topic", "problem_kind", "article_ref", "details"]
    assert {k: t.lane for k, t in model.tasks.items()} == {
        "assign-expert": "knowledge-owner", "write-article": "resolver", "review-article": "knowledge-owner"}
    assert {k: t.due_date for k, t in model.tasks.items()} == {
        "assign-expert": "P2D", "write-article": "P5D", "review-article": "P3D"}
    # The reporter is noted at the start; the expert chosen is assigned the writing, and whoever writes it is
    # the expert from then on; the knowledge owner who chose them is noted.
    assert model.initiator == "reporter"
    assert {k: (t.assignee, t.completed_by_variable) for k, t in model.tasks.items()} == {
        "assign-expert": (None, "knowledge_owner"), "write-article": ("${expert}", "expert"),
        "review-article": (None, None)}
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert all(p.get("description") for p in task.form.schema["properties"].values()), task.bpmn_id


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "requester", "resolver", "knowledge-owner"]
    steps = set(REPORTED + REVIEW_DUE + NOTHING_DUE + ROUND + PUBLISHED_NEW + REJECTED)
    assert steps >= set(PUBLISHED_UPDATE + REVIEWED + REVIEW_REJECTED)
    assert {n.get("id") for n in flow_nodes(process)} == steps
    cycle = process.find("bpmn:startEvent[@id='review-due']/bpmn:timerEventDefinition/bpmn:timeCycle", NS)
    assert cycle.text == '"R/2026-01-01T06:00:00Z/P1D"'
