"""Delivering outbox messages: at least once over the wire, recorded exactly once.

Each message is a row with a unique dedup key, so the same event is never queued twice for
the same listener; retries resend the same body and the same event id, so a listener can
drop a duplicate delivery (a crash between the POST and the bookkeeping). Backoff doubles
from 2 s to 10 min; after ``max_attempts`` the message is parked for an operator.

Hub events are signed the Standard Webhooks way: ``webhook-id`` (the event id),
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``
with the deployment's signing key (``ossagent hub signing-key`` shows it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import OutboxState
from inventory.domain import Secret
from inventory.fault_models import OutboxMessage, SigningKey
from inventory.hub import HubError, Network, validate_callback

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 15
USER_AGENT = "ossagent-outbox/1"


@dataclass(frozen=True)
class Delivery:
    id: int
    event_id: str
    channel: str
    target: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class Attempt:
    ok: bool
    error: str = ""
    permanent: bool = False  # retrying cannot help (refused target)


def signing_key(s: Session) -> Secret:
    row = s.scalar(select(SigningKey).where(SigningKey.purpose == "events"))
    if row is None:
        row = SigningKey(purpose="events", key=Secret(base64.b64encode(secrets.token_bytes(32)).decode()))
        s.add(row)
        s.flush()
    return row.key


def sign(key: Secret, event_id: str, timestamp: int, body: bytes) -> str:
    secret = base64.b64decode(key.reveal())
    mac = hmac.new(secret, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(key: Secret, headers: dict[str, str], body: bytes, tolerance_s: int = 300) -> bool:
    """What a listener does (used by our tests): check the signature and the timestamp."""
    try:
        ts = int(headers["webhook-timestamp"])
        expected = sign(key, headers["webhook-id"], ts, body)
    except (KeyError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance_s:
        return False
    return any(hmac.compare_digest(expected, sig) for sig in headers.get("webhook-signature", "").split())


def take_due(
    s: Session, now: datetime, limit: int = 100, channels: Iterable[str] | None = None
) -> list[Delivery]:
    q = select(OutboxMessage).where(
        OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now
    )
    if channels is not None:
        q = q.where(OutboxMessage.channel.in_(list(channels)))
    rows = s.scalars(q.order_by(OutboxMessage.id).limit(limit)).all()
    return [
        Delivery(
            r.id,
            r.event_id,
            r.channel,
            r.target,
            json.dumps(r.payload, separators=(",", ":")).encode(),
            r.attempts,
        )
        for r in rows
    ]


def record(
    s: Session, delivery: Delivery, attempt: Attempt, now: datetime, max_attempts: int = MAX_ATTEMPTS
) -> OutboxState | None:
    """Book one attempt; returns the message's new state (None if it was already settled)."""
    row = s.get(OutboxMessage, delivery.id)
    if row is None or row.state is not OutboxState.PENDING:
        return None
    row.attempts += 1
    if attempt.ok:
        row.state = OutboxState.DELIVERED
        row.delivered_at = now
        row.last_error = ""
        return row.state
    row.last_error = attempt.error[:2000]
    if attempt.permanent or row.attempts >= max_attempts:
        row.state = OutboxState.PARKED
        log.warning(
            "outbox %s to %s parked after %d attempts: %s",
            row.event_id,
            row.target,
            row.attempts,
            attempt.error,
        )
        return row.state
    delay = min(600.0, 2.0**row.attempts) * random.uniform(0.8, 1.2)
    row.next_attempt_at = now + timedelta(seconds=delay)
    return row.state


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A listener that redirects could point us at an internal address: treat it as a failure.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(
    url: str, body: bytes, headers: dict[str, str], timeout: float = 5.0, allow: Iterable[Network] = ()
) -> Attempt:
    try:
        validate_callback(url, allow)  # DNS may have changed since registration
    except HubError as exc:
        return Attempt(False, str(exc), permanent=True)
    # validate_callback above admits only http and https URLs.
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _opener.open(req, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        return Attempt(False, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(False, f"{type(exc).__name__}: {reason}")
    if 200 <= status < 300:
        return Attempt(True)
    return Attempt(False, f"HTTP {status}")


def hub_headers(key: Secret, delivery: Delivery) -> dict[str, str]:
    ts = int(time.time())
    return {
        "Content-Type": "application/json;charset=utf-8",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(key, delivery.event_id, ts, delivery.body),
    }


Sender = Callable[[Delivery], Attempt]


def hub_sender(key: Secret, allow: Iterable[Network]) -> Sender:
    allow = list(allow)

    def send(d: Delivery) -> Attempt:
        return post_json(d.target, d.body, hub_headers(key, d), allow=allow)

    return send
