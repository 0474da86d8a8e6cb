"""The outbox: messages to people and groups (what the ``notify`` hook sends),
kept one row per recipient for their Messages page, and emailed too when
``BATON_SMTP_URL`` names a mail server (see ``outbox_email``).

Emails go out after the rows are committed, outside any transaction, so a slow
mail server holds no lock; what each one came to is recorded on its row. A
mail server that refuses is not the sender's failure: the message is in the
outbox all the same, and the row says why no email went.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.database import fresh, write_transaction
from app.models import Group, OutboxMessage, User, db, user_groups

from . import outbox_email
from .context import now, setting
from .errors import Forbidden, InvalidData, NotFound
from .queries import MAX_ID   # ids are 32-bit: a bigger number matches nothing

log = logging.getLogger("baton.outbox")

PAGE_SIZE = 50
MAX_SUBJECT = 300
MAX_BODY = 20_000
MAX_NAME = 100          # as User.username and Group.name
MAX_NAMES = 500         # per list: a longer one is a mistake in the diagram, not a mailing


@dataclass(frozen=True)
class Sent:
    recipients: list[str]       # who got the message, in the order named (group members by name)
    emailed: int                # of them, how many were sent an email
    empty_groups: list[str]     # groups named that have no active member, so reached nobody
    inactive_users: list[str]   # people named who are deactivated, so were left out
    message_ids: list[int] = field(default_factory=list)   # one outbox message per recipient, in that order


@dataclass(frozen=True)
class MessagePage:
    messages: list[OutboxMessage]   # newest first
    total: int
    unread: int
    page: int
    pages: int                      # at least 1, so an empty list is "page 1 of 1"


@dataclass(frozen=True)
class _Recipient:
    username: str
    email: str | None


def send(recipients_users, recipients_groups, subject, body, instance_id: int | None = None,
         source: str | None = None) -> Sent:
    """One message to each person named and each active member of each group
    named, once each. Unknown names are refused (``InvalidData``, fields
    ``users``/``groups``/``subject``/``body``) and nothing is stored. With a
    ``source``, a second send from the same source sends nothing and answers
    what the first one sent."""
    problems: dict[str, list[str]] = {}
    usernames = _names(recipients_users, "users", problems)
    group_names = _names(recipients_groups, "groups", problems)
    if not problems and not usernames and not group_names:
        problems["recipients"] = ["Name at least one person or group."]
    subject, body = _subject(subject, problems), _body(body, problems)
    if problems:
        raise InvalidData(problems)
    with write_transaction() as session:
        recipients, empty_groups, inactive = _recipients(session, usernames, group_names)
        if source is not None:
            earlier = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.source == source)
                                      .order_by(OutboxMessage.id)).all()
            if earlier:
                return Sent([m.recipient for m in earlier], sum(m.email_status == "sent" for m in earlier),
                            empty_groups, inactive, [m.id for m in earlier])
        at = now()
        rows = [OutboxMessage(recipient=r.username, subject=subject, body=body, instance_id=instance_id,
                              source=source, created_at=at, email_status="not_sent") for r in recipients]
        session.add_all(rows)
        session.flush()   # gives the rows their ids, for recording the emails
        emails = [outbox_email.Email(row.id, r.email) for row, r in zip(rows, recipients) if r.email]
        ids = [row.id for row in rows]
    emailed = _email(emails, subject, body) if emails else 0
    return Sent([r.username for r in recipients], emailed, empty_groups, inactive, ids)


def _names(value, field: str, problems: dict[str, list[str]]) -> list[str]:
    """A name or a list of names, stripped, each once; None is none."""
    if value is None:
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        problems[field] = ["Give a name or a list of names."]
        return []
    names = list(dict.fromkeys(n.strip() for n in names))
    if len(names) > MAX_NAMES:
        problems[field] = [f"Name at most {MAX_NAMES}."]
    elif any(not n or len(n) > MAX_NAME for n in names):
        problems[field] = [f"Each name must be 1-{MAX_NAME} characters."]
    return names


def _subject(value, problems: dict[str, list[str]]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems["subject"] = ["A subject is required."]
        return ""
    # One line: data written into a subject may hold line breaks, and an email
    # header cannot.
    subject = " ".join(value.split())
    if len(subject) > MAX_SUBJECT:
        problems["subject"] = [f"At most {MAX_SUBJECT} characters (this one has {len(subject)})."]
    return subject


def _body(value, problems: dict[str, list[str]]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems["body"] = ["A text is required."]
        return ""
    body = value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if len(body) > MAX_BODY:
        problems["body"] = [f"At most {MAX_BODY} characters (this one has {len(body)})."]
    return body


def _recipients(session, usernames: list[str], group_names: list[str]):
    """The people to write to, each once, with who was left out and why."""
    named = {row.username: row for row in session.execute(
        sa.select(User.username, User.email, User.active).where(User.username.in_(usernames)))} if usernames else {}
    # A group nobody has joined yet is not refused: like a task's candidate
    # group, it is a name people may be given later, and it reaches nobody now
    # (the result says so). A person's name, though, must be someone's.
    if unknown := [n for n in usernames if n not in named]:
        raise InvalidData({"users": [f"No user named {', '.join(map(repr, unknown))}."]})
    members = session.execute(
        sa.select(Group.name, User.username, User.email)
        .join(user_groups, user_groups.c.group_id == Group.id).join(User, User.id == user_groups.c.user_id)
        .where(Group.name.in_(group_names), User.active).order_by(User.username)).all() if group_names else []
    recipients: dict[str, _Recipient] = {}
    for name in usernames:
        if named[name].active:
            recipients[name] = _Recipient(name, named[name].email)
    for member in members:
        recipients.setdefault(member.username, _Recipient(member.username, member.email))
    reached = {member.name for member in members}
    return (list(recipients.values()), [g for g in group_names if g not in reached],
            [n for n in usernames if not named[n].active])


def _email(emails: list[outbox_email.Email], subject: str, body: str) -> int:
    """Emails the messages when a mail server is configured; returns how many went."""
    url = setting("BATON_SMTP_URL")
    if not url:
        return 0
    errors = outbox_email.deliver(url, emails, subject, body, now())
    try:
        with write_transaction() as session:
            session.execute(sa.update(OutboxMessage), [
                {"id": e.message_id, "email_status": "failed" if errors.get(e.message_id) else "sent",
                 "email_error": errors.get(e.message_id)} for e in emails])
    except sa.exc.SQLAlchemyError:
        # The emails went (or not) whatever the database says now; failing here
        # would have the worker send the whole message again.
        log.exception("could not record how the emails of %d message(s) went", len(emails))
    return sum(1 for e in emails if not errors.get(e.message_id))


def my_messages(caller, page: int = 1) -> MessagePage:
    """The caller's messages, newest first, PAGE_SIZE to a page (from 1)."""
    page = max(page, 1)
    mine = OutboxMessage.recipient == caller.username
    total = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(mine))
    messages = list(db.session.scalars(
        sa.select(OutboxMessage).where(mine).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))) if total else []
    return MessagePage(messages, total, unread_count(caller) if total else 0, page,
                       max(1, -(-total // PAGE_SIZE)))


def unread_count(caller) -> int:
    """One COUNT on an index: the navigation asks on every page."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == caller.username, OutboxMessage.read_at.is_(None)))


def mark_read(message_id: int, caller) -> OutboxMessage:
    """Marks one of the caller's messages read (again is fine: the first time stays)."""
    if not 1 <= message_id <= MAX_ID:
        raise NotFound(f"There is no message {message_id}.")
    with write_transaction() as session:
        message = session.scalar(fresh(sa.select(OutboxMessage).where(OutboxMessage.id == message_id)))
        if message is None:
            raise NotFound(f"There is no message {message_id}.")
        if message.recipient != caller.username:
            raise Forbidden("This message is for someone else.")
        if message.read_at is None:
            message.read_at = now()
    return message
