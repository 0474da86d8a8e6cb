"""Emailing outbox messages with smtplib, to the server ``BATON_SMTP_URL`` names:

    smtp://[user:password@]host[:port][?from=address&starttls=1]
    smtps://...   (TLS from the first byte, port 465 unless given)

One connection per send, one email per recipient (each sees only their own
address). Nothing here raises for a mail problem: ``deliver`` returns what
went wrong with each email, and the outbox records it on the message's row.
"""
from __future__ import annotations

import email.errors
import email.utils
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_FROM = "baton@localhost"
SOCKET_TIMEOUT = 20.0    # seconds per exchange with the server
# All emails of one send must be done well within the worker's job lease (5
# minutes): a job that outlives it is run again, and everybody would get the
# message twice. Those not reached by then are recorded as failed.
SENDING_TIME = 120.0
MAX_ERROR = 1000
OPTIONS = ("from", "starttls")


@dataclass(frozen=True)
class Email:
    message_id: int      # the outbox row it records its outcome on
    address: str


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None = None
    sender: str = DEFAULT_FROM
    starttls: bool = False
    tls: bool = False    # smtps


class BadSmtpUrl(ValueError):
    """BATON_SMTP_URL is not of the documented form. The message never quotes
    the URL, which may hold a password."""


def smtp_server(url: str) -> SmtpServer:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl("BATON_SMTP_URL must start with smtp:// or smtps://")
    try:
        port = parts.port
    except ValueError:
        raise BadSmtpUrl("BATON_SMTP_URL has a port that is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise BadSmtpUrl("BATON_SMTP_URL names no host")
    options = parse_qs(parts.query, keep_blank_values=True)
    if unknown := sorted(set(options) - set(OPTIONS)):
        raise BadSmtpUrl(f"BATON_SMTP_URL has unknown option(s) {', '.join(unknown)} (known: {', '.join(OPTIONS)})")
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname, port=port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=options.get("from", [DEFAULT_FROM])[-1] or DEFAULT_FROM,
        starttls=options.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes"), tls=tls)


def deliver(url: str, emails: list[Email], subject: str, body: str, at: datetime) -> dict[int, str]:
    """Sends each email; returns the error of each one that did not go, by message id."""
    try:
        server = smtp_server(url)
        smtp = _connect(server)
    except (BadSmtpUrl, smtplib.SMTPException, OSError) as exc:
        return {e.message_id: _error(exc) for e in emails}
    errors: dict[int, str] = {}
    deadline = time.monotonic() + SENDING_TIME
    try:
        for position, mail in enumerate(emails):
            if time.monotonic() > deadline:
                errors.update({e.message_id: "not sent: the time for sending ran out" for e in emails[position:]})
                break
            try:
                smtp.send_message(_message(server.sender, mail.address, subject, body, at))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                    smtplib.SMTPNotSupportedError, ValueError, email.errors.MessageError) as exc:
                errors[mail.message_id] = _error(exc)        # this one only; the connection still serves
            except (smtplib.SMTPException, OSError) as exc:  # the connection is gone: so are the rest
                errors.update({e.message_id: _error(exc) for e in emails[position:]})
                break
    finally:
        _hang_up(smtp)
    return errors


def _connect(server: SmtpServer) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if server.tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=SOCKET_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SOCKET_TIMEOUT)
    try:
        smtp.ehlo_or_helo_if_needed()
        if server.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        _hang_up(smtp)
        raise
    return smtp


def _hang_up(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass   # everything was sent or recorded as failed already
    finally:
        smtp.close()


def _message(sender: str, to: str, subject: str, body: str, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to          # a malformed address raises ValueError: that email fails, not the send
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(at)
    # The domain given, so make_msgid does not ask DNS for this host's name.
    message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2] or "baton")
    message.set_content(body)
    return message


def _error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{address} refused: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, BadSmtpUrl):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
