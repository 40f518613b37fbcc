"""TMF630 hub subscriptions and the outbox that delivers events to them.

Listener URLs are validated at registration and again at delivery (DNS may change): http(s)
only, and no loopback, link-local, private, multicast or reserved target unless its network
is allow-listed in configuration. Functions take a session and never commit.
"""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.fault_models import HubSubscription, OutboxMessage
from inventory.types import utcnow

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class HubError(ValueError):
    """A registration cannot be accepted; the message says which field and why."""


def parse_networks(text: str) -> list[Network]:
    """``"127.0.0.0/8, 10.1.0.0/16"`` -> networks (the allow-list setting)."""
    nets = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise HubError(f"allow-list entry {part!r}: {exc}") from exc
    return nets


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return None


def validate_callback(url: str, allow: Iterable[Network] = (), resolve: bool = True) -> str:
    """Return the URL if it is an acceptable listener, else raise HubError."""
    if not isinstance(url, str) or not url.strip():
        raise HubError("callback: required")
    if len(url) > 2000:
        raise HubError("callback: longer than 2000 characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise HubError("callback: must be an http or https URL")
    if not parts.hostname:
        raise HubError("callback: has no host")
    if parts.username or parts.password:
        raise HubError("callback: must not carry credentials")
    allow = list(allow)
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        if not resolve:
            return url.strip()
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise HubError(f"callback: host {parts.hostname!r} does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0])) for info in infos]
    for ip in addresses:
        why = _forbidden(ip)
        if why and not any(ip in net for net in allow):
            raise HubError(f"callback: {ip} is a {why} address; allow-list its network to use it")
    return url.strip()


def event_types_of(query: str) -> set[str] | None:
    """``eventType=A,B`` or ``eventType=A&eventType=B`` -> lower-cased names; None = all."""
    if not query:
        return None
    params = parse_qs(query.lstrip("?"), keep_blank_values=False)
    values = [v for key, vs in params.items() if key.lower() == "eventtype" for v in vs]
    names = {n.strip().lower() for v in values for n in v.split(",") if n.strip()}
    return names or None


def matches(sub: HubSubscription, event_type: str) -> bool:
    wanted = event_types_of(sub.query)
    return wanted is None or event_type.lower() in wanted


def register(
    s: Session, api: str, callback: str, query: str, user: str, allow: Iterable[Network] = (),
    append_listener_path: bool = False,
) -> HubSubscription:  # fmt: skip
    if query and len(query) > 1000:
        raise HubError("query: longer than 1000 characters")
    sub = HubSubscription(
        api=api,
        callback=validate_callback(callback, allow),
        query=query or "",
        created_by=user,
        append_listener_path=append_listener_path,
    )
    s.add(sub)
    s.flush()
    return sub


def new_event_id() -> str:
    return uuid.uuid4().hex


def listener_url(sub: HubSubscription, event_type: str) -> str:
    if not sub.append_listener_path:
        return sub.callback
    name = event_type[:1].lower() + event_type[1:]
    return sub.callback.rstrip("/") + f"/listener/{name}"


def enqueue_event(
    s: Session,
    api: str,
    event_type: str,
    payload: Mapping[str, Any],
    event_id: str,
    now: datetime | None = None,
) -> int:
    """One outbox row per matching subscription; the same event id to each, and on retries."""
    n = 0
    for sub in s.scalars(select(HubSubscription).where(HubSubscription.api == api)):
        if not matches(sub, event_type):
            continue
        s.add(
            OutboxMessage(
                dedup_key=f"hub:{event_id}:{sub.id}",
                event_id=event_id,
                channel="hub",
                target=listener_url(sub, event_type),
                subscription_id=sub.id,
                event_type=event_type,
                payload=dict(payload),
                next_attempt_at=now or utcnow(),
            )
        )
        n += 1
    return n
