"""Delivering customer notices: email over SMTP (STARTTLS or TLS, with auth when configured)
and webhooks (JSON, signed, to validated URLs). Each send is one outbox attempt; the message
row records state and tryTimes."""

from __future__ import annotations

import base64
import binascii
import json
import os
import smtplib
import ssl
import time
from email.message import EmailMessage

from sqlalchemy.orm import Session

from agent.config import Settings
from agent.outbox import Attempt, Delivery, post_json, sign
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.problem import message_to_tmf
from inventory.bss_models import CustomerContact, CustomerMessage
from inventory.choices import MessageState
from inventory.domain import Secret
from inventory.hub import Network
from inventory.types import utcnow

# The SMTP password comes from this environment variable, never from a file or a flag.
SMTP_PASSWORD_ENV = "OSSAGENT_SMTP_PASSWORD"  # noqa: S105 - the variable name, not a password


def smtp_password() -> Secret | None:
    value = os.environ.get(SMTP_PASSWORD_ENV)
    return Secret(value) if value else None


def send_email(settings: Settings, msg: CustomerMessage) -> Attempt:
    if not settings.smtp_host:
        return Attempt(False, "no SMTP server configured (OSSAGENT_SMTP_HOST)")
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = msg.recipient
    mail["Subject"] = msg.subject
    # The same Message-ID on every retry, so a receiver (or a mail system) can drop duplicates:
    # SMTP has no idempotency, and a sender killed after the server took the mail resends it.
    # (email.utils.make_msgid would add a timestamp, the pid and random bits per attempt.)
    mail["Message-ID"] = f"<{msg.id}@ossagent>"
    mail["X-OSSAgent-Message-Id"] = msg.id
    mail.set_content(msg.content)
    try:
        if settings.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s,
                                                    context=ssl.create_default_context())  # fmt: skip
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
        with client:
            if not settings.smtp_ssl and settings.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
            password = smtp_password()
            if settings.smtp_username and password is not None:
                client.login(settings.smtp_username, password.reveal())
            client.send_message(mail)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        # smtplib messages carry the server's reply, never our password.
        return Attempt(False, f"{type(exc).__name__}: {exc}"[:500])
    return Attempt(True)


def send_webhook(
    msg: CustomerMessage, contact: CustomerContact | None, fallback_key: Secret, allow: list[Network]
) -> Attempt:
    doc = event_envelope(
        "CommunicationMessageCreateEvent", "communicationMessage", message_to_tmf(msg), msg.id, msg.created_at
    )
    body = json.dumps(doc, separators=(",", ":")).encode()
    ts = int(time.time())
    key = contact.secret if contact is not None and contact.secret else fallback_key
    headers = {
        "Content-Type": "application/json;charset=utf-8",
        "webhook-id": msg.id,
        "webhook-timestamp": str(ts),
        "webhook-signature": _sign_raw(key, msg.id, ts, body),
    }
    return post_json(msg.recipient, body, headers, allow=allow)


def _sign_raw(key: Secret, event_id: str, ts: int, body: bytes) -> str:
    """Contacts' webhook secrets are plain strings; the deployment key is base64: sign() wants
    base64, so encode the contact's secret the same way."""
    raw = key.reveal()
    try:
        base64.b64decode(raw, validate=True)
        return sign(key, event_id, ts, body)
    except (ValueError, binascii.Error):
        return sign(Secret(base64.b64encode(raw.encode()).decode()), event_id, ts, body)


def deliver_notice(
    s: Session, settings: Settings, d: Delivery, fallback_key: Secret, allow: list[Network]
) -> Attempt:
    msg_id = json.loads(d.body).get("message_id", d.event_id)
    msg = s.get(CustomerMessage, msg_id)
    if msg is None:
        return Attempt(False, "message gone", permanent=True)
    msg.state = MessageState.IN_PROGRESS
    msg.try_times += 1
    if d.channel == "email":
        attempt = send_email(settings, msg)
    else:
        contact = s.get(CustomerContact, msg.contact_id) if msg.contact_id else None
        attempt = send_webhook(msg, contact, fallback_key, allow)
    if attempt.ok:
        msg.state = MessageState.COMPLETED
        msg.sent_at = utcnow()
        msg.last_error = ""
    else:
        msg.last_error = attempt.error
    return attempt


def mark_failed(s: Session, d: Delivery) -> None:
    msg = s.get(CustomerMessage, json.loads(d.body).get("message_id", d.event_id))
    if msg is not None:
        msg.state = MessageState.FAILED
