"""The outbox: messages to people and groups, each recipient once, unknown
names of people refused with nothing stored, read and unread, nobody reads another's
messages; and emails through a real (tiny) SMTP server on loopback, whose
refusal is recorded on the message rather than failing the send."""
from __future__ import annotations

import email
import email.policy
import email.utils
import socket
import socketserver
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.models import Group, OutboxMessage, User, db
from app.services import outbox, users
from app.services.errors import Forbidden, InvalidData, NotFound


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test.local ESMTP ready")
        sender, recipients = None, []
        while line := self.rfile.readline():
            verb, _, argument = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO", "RSET", "NOOP"):
                sender, recipients = (None, []) if verb == "RSET" else (sender, recipients)
                self.reply("250 test.local")
            elif verb == "MAIL":
                sender, recipients = argument, []
                self.reply("250 OK")
            elif verb == "RCPT":
                if self.server.refuse_recipients:
                    self.reply("550 5.1.1 No such mailbox here")
                else:
                    recipients.append(argument)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.server.received.append((sender, recipients, self._data()))
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)   # undo dot-stuffing
        return b"".join(lines)


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse_recipients: bool = False):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.refuse_recipients = refuse_recipients
        self.received: list[tuple[str, list[str], bytes]] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}?from=baton@example.org"

    def emails(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(data, policy=email.policy.default) for _, _, data in self.received]


@pytest.fixture
def smtp_server():
    def start(refuse_recipients: bool = False) -> SmtpServer:
        server = SmtpServer(refuse_recipients)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server
    started: list[SmtpServer] = []
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def people(app_ctx):
    """ann and bob at the service desk (with email addresses), carl (no email)
    on his own, and dora, who has left the service desk (deactivated)."""
    users.add_user("ann", groups=["service-desk"], email="ann@example.org")
    users.add_user("bob", groups=["service-desk"], email="bob@example.org")
    users.add_user("carl")
    users.add_user("dora", groups=["service-desk"], email="dora@example.org")
    with write_transaction() as session:
        session.execute(sa.update(User).where(User.username == "dora").values(active=False))
        session.add(Group(name="night-shift"))   # nobody works nights
    db.session.remove()


def _rows() -> list[OutboxMessage]:
    db.session.remove()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_message_reaches_people_and_group_members_once_each(people):
    sent = outbox.send(["carl", "ann"], ["service-desk", "night-shift"], "New request", "Please look.\nThanks")
    assert sent.recipients == ["carl", "ann", "bob"]            # ann named and a member: once
    assert sent.emailed == 0                                    # no mail server configured
    assert sent.empty_groups == ["night-shift"]
    assert sent.inactive_users == []
    rows = _rows()
    assert [(r.recipient, r.subject, r.body, r.email_status, r.read_at) for r in rows] == [
        (name, "New request", "Please look.\nThanks", "not_sent", None) for name in ("carl", "ann", "bob")]


def test_names_may_be_one_string_and_deactivated_people_are_left_out(people):
    sent = outbox.send("dora", "service-desk", "Hello", "Text")
    assert (sent.recipients, sent.inactive_users) == (["ann", "bob"], ["dora"])
    assert sent.empty_groups == []


def test_a_group_without_active_members_reaches_nobody_and_says_so(people):
    sent = outbox.send(None, ["night-shift"], "Hello", "Anyone?")
    assert (sent.recipients, sent.empty_groups) == ([], ["night-shift"])
    assert _rows() == []


def test_unknown_people_are_refused_and_nothing_is_stored(people):
    with pytest.raises(InvalidData) as refused:
        outbox.send(["ann", "zed", "yves"], ["service-desk"], "Hello", "Text")
    assert refused.value.fields == {"users": ["No user named 'zed', 'yves'."]}
    assert _rows() == []


def test_a_group_nobody_has_joined_yet_reaches_nobody_and_says_so(people):
    sent = outbox.send(["ann"], ["ghosts"], "Hello", "Text")
    assert (sent.recipients, sent.empty_groups) == (["ann"], ["ghosts"])


@pytest.mark.parametrize("users_, groups, subject, body, field", [
    (None, None, "Hello", "Text", "recipients"),
    ([], [], "Hello", "Text", "recipients"),
    ("ann", None, "", "Text", "subject"),
    ("ann", None, "   ", "Text", "subject"),
    ("ann", None, "x" * 301, "Text", "subject"),
    ("ann", None, 42, "Text", "subject"),
    ("ann", None, "Hello", "", "body"),
    ("ann", None, "Hello", "x" * 20_001, "body"),
    ("ann", None, "Hello", ["not", "text"], "body"),
    (["ann", 3], None, "Hello", "Text", "users"),
    ({"ann": 1}, None, "Hello", "Text", "users"),
    (["ann", " "], None, "Hello", "Text", "users"),
    (None, ["x" * 101], "Hello", "Text", "groups"),
    (["u%d" % i for i in range(501)], None, "Hello", "Text", "users"),
])
def test_bad_input_is_refused_naming_the_field(people, users_, groups, subject, body, field):
    with pytest.raises(InvalidData) as refused:
        outbox.send(users_, groups, subject, body)
    assert field in refused.value.fields
    assert _rows() == []


def test_a_subject_is_one_line_and_the_longest_allowed_texts_are_kept(people):
    outbox.send("ann", None, "  New\r\nrequest:\tlaptop  ", "b" * 20_000)
    outbox.send("ann", None, "s" * 300, "Text")
    first, second = _rows()
    assert first.subject == "New request: laptop" and len(first.body) == 20_000
    assert second.subject == "s" * 300


def test_my_messages_newest_first_with_read_and_unread(people, clock):
    outbox.send("ann", None, "First", "One")
    clock.advance(minutes=5)
    outbox.send(["ann", "bob"], None, "Second", "Two")
    ann = users.get_user("ann")
    found = outbox.my_messages(ann)
    assert [m.subject for m in found.messages] == ["Second", "First"]
    assert (found.total, found.unread, found.page, found.pages) == (2, 2, 1, 1)
    assert outbox.unread_count(ann) == 2

    first = found.messages[1]
    read = outbox.mark_read(first.id, ann)
    assert read.read_at == clock.now()
    clock.advance(minutes=1)
    assert outbox.mark_read(first.id, ann).read_at == read.read_at   # again: the first time stays
    assert outbox.unread_count(ann) == 1
    assert outbox.my_messages(ann).unread == 1
    assert outbox.unread_count(users.get_user("bob")) == 1            # bob's copy is his own


def test_messages_of_one_instant_are_newest_first_by_id(people):
    for n in range(3):
        outbox.send("ann", None, f"Message {n}", "Text")
    assert [m.subject for m in outbox.my_messages(users.get_user("ann")).messages] == \
        ["Message 2", "Message 1", "Message 0"]


def test_pages_of_fifty(people, clock):
    for n in range(outbox.PAGE_SIZE + 1):
        clock.advance(seconds=1)
        outbox.send("carl", None, f"Message {n}", "Text")
    carl = users.get_user("carl")
    first, second = outbox.my_messages(carl, 1), outbox.my_messages(carl, 2)
    assert (len(first.messages), first.pages, first.messages[0].subject) == (50, 2, "Message 50")
    assert [m.subject for m in second.messages] == ["Message 0"]
    assert outbox.my_messages(carl, 3).messages == []
    assert outbox.my_messages(users.get_user("bob")).total == 0


def test_nobody_reads_or_marks_another_persons_message(people):
    outbox.send("ann", None, "For ann", "Private")
    [message_id] = [row.id for row in _rows()]
    bob = users.get_user("bob")
    assert outbox.my_messages(bob).messages == []
    with pytest.raises(Forbidden):
        outbox.mark_read(message_id, bob)
    assert _rows()[0].read_at is None
    for unknown in (message_id + 1, 0, -1, 2**31, 10**30):
        with pytest.raises(NotFound):
            outbox.mark_read(unknown, bob)


def test_emails_go_to_everyone_with_an_address(app, people, smtp_server, clock):
    server = smtp_server()
    app.config["BATON_SMTP_URL"] = server.url
    sent = outbox.send(["carl", "ann"], ["service-desk"], "Laptop X1 requested",
                       "Dave asked for a laptop.\n.\nA line that is just a dot, and ünïcode.")
    assert sent.emailed == 2
    assert {(r.recipient, r.email_status, r.email_error) for r in _rows()} == {
        ("carl", "not_sent", None), ("ann", "sent", None), ("bob", "sent", None)}
    assert [(sender, rcpts) for sender, rcpts, _ in server.received] == [
        ("FROM:<baton@example.org>", ["TO:<ann@example.org>"]),
        ("FROM:<baton@example.org>", ["TO:<bob@example.org>"])]
    ann_email, bob_email = server.emails()
    assert (ann_email["To"], ann_email["From"], ann_email["Subject"]) == \
        ("ann@example.org", "baton@example.org", "Laptop X1 requested")
    assert bob_email["To"] == "bob@example.org"
    assert ann_email.get_content().replace("\r\n", "\n") == "Dave asked for a laptop.\n.\nA line that is just a dot, and ünïcode.\n"
    assert email.utils.parsedate_to_datetime(ann_email["Date"]) == clock.now().replace(microsecond=0)


def test_a_refusing_mail_server_is_recorded_and_the_message_kept(app, people, smtp_server):
    server = smtp_server(refuse_recipients=True)
    app.config["BATON_SMTP_URL"] = server.url
    sent = outbox.send("ann", None, "Hello", "Text")
    assert (sent.recipients, sent.emailed) == (["ann"], 0)
    [row] = _rows()
    assert row.email_status == "failed"
    assert row.email_error == "ann@example.org refused: 550 5.1.1 No such mailbox here"
    assert outbox.my_messages(users.get_user("ann")).messages[0].subject == "Hello"


def test_an_unreachable_mail_server_is_recorded_without_its_password(app, people):
    with socket.socket() as probe:                      # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["BATON_SMTP_URL"] = f"smtp://mailer:s3cret@127.0.0.1:{port}"
    sent = outbox.send(["ann", "bob"], None, "Hello", "Text")
    assert (sent.recipients, sent.emailed) == (["ann", "bob"], 0)
    for row in _rows():
        assert row.email_status == "failed"
        assert "ConnectionRefusedError" in row.email_error and "s3cret" not in row.email_error


@pytest.mark.parametrize("url, error", [
    ("http://mail.example.org", "BATON_SMTP_URL must start with smtp:// or smtps://"),
    ("smtp://:pw@/", "BATON_SMTP_URL names no host"),
    ("smtp://u:pw@mail.example.org:notaport", "BATON_SMTP_URL has a port that is not a number from 0 to 65535"),
    ("smtp://mail.example.org?sender=x@y", "BATON_SMTP_URL has unknown option(s) sender (known: from, starttls)"),
])
def test_a_bad_smtp_url_is_recorded_on_each_message(app, people, url, error):
    app.config["BATON_SMTP_URL"] = url
    outbox.send("ann", None, "Hello", "Text")
    [row] = _rows()
    assert (row.email_status, row.email_error) == ("failed", error)


def test_the_smtp_url_is_read_as_documented():
    from app.services.outbox_email import SmtpServer, smtp_server

    assert smtp_server("smtp://mail.example.org") == SmtpServer("mail.example.org", 25, None)
    assert smtp_server("smtp://a%40b:p%3Aw@mail.example.org:587?from=desk@example.org&starttls=1") == \
        SmtpServer("mail.example.org", 587, "a@b", "p:w", "desk@example.org", starttls=True)
    assert smtp_server("smtps://mail.example.org").port == 465


def test_a_message_outlives_its_case_link(people, app, deploy, make_user):
    """Deleting a case (nothing does yet) would keep the message, without the link."""
    from app.services import instances
    from tests.support.bpmn import linear_process, user

    deploy({"p.bpmn": linear_process("p", user("t", "Task"))})
    instance = instances.start_instance("p", users.get_user("ann"))
    outbox.send("ann", None, "About your case", "Text", instance_id=instance.id)
    with write_transaction() as session:
        session.execute(sa.text("DELETE FROM human_task"))   # what refers to the case besides the message
        session.execute(sa.text("DELETE FROM task_candidate"))
        session.execute(sa.text("DELETE FROM audit_event"))
        session.execute(sa.text("DELETE FROM instance"))
    [row] = _rows()
    assert (row.subject, row.instance_id) == ("About your case", None)


def test_times_come_from_the_injected_clock(people, clock):
    clock.advance(timedelta(days=3))
    outbox.send("ann", None, "Later", "Text")
    assert _rows()[0].created_at == clock.now()
