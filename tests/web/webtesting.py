"""Shared pieces of the web tests: the test inventory (built with the models), its hostile
strings and canary secrets, and helpers to log in and to authenticate API calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inventory.choices import (
    DeviceStatus,
    IfStatus,
    LinkSource,
    PhysicalClass,
    Role,
    SnmpAuthProto,
    SnmpPrivProto,
    SnmpVersion,
)
from inventory.domain import Secret
from inventory.models import (
    Device,
    HardwareComponent,
    Interface,
    InterfaceSample,
    Link,
    Site,
    SnmpProfile,
)

PASSWORD = "correct-horse-battery"
SECRET_KEY = "test-secret-key-0123456789abcdef"
# Provisioning's secrets: a configuration access's password, a community inside a
# configuration backup (stored masked), a running configuration journaled with a transaction.
CFG_PASSWORD = "canary-cfgpass-XYZ"
CFG_COMMUNITY = "canary-cfgcommunity-XYZ"
PRE_CONFIG = "canary-preconfig-XYZ"
# The BSS side's: a customer webhook's HMAC key (write-only through TMF629, never shown).
WEBHOOK_SECRET = "canary-webhook-secret-XYZ"
CANARIES = (
    "canary-community-XYZ",
    "canary-authkey-XYZ",
    "canary-privkey-XYZ",
    CFG_PASSWORD,
    CFG_COMMUNITY,
    PRE_CONFIG,
    WEBHOOK_SECRET,
)
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
AWKWARD = 'quote " back\\slash\nnewline'
HOSTILE = (XSS_SCRIPT, XSS_ATTR, AWKWARD)
HOSTILE_TEXT = " ".join(HOSTILE)
NOW = datetime.now(UTC).replace(microsecond=0)
SAMPLE_STEP = timedelta(minutes=1)
SAMPLE_SPAN = timedelta(hours=25)


def samples_in_last(window: timedelta) -> int:
    """How many of the seeded one-a-minute samples (ending at NOW, an import-time instant)
    fall in ``window`` before the present: the session's world ages while the suite runs."""
    start = datetime.now(UTC) - window
    if start > NOW:
        return 0
    return int((NOW - start) / SAMPLE_STEP) + 1


@dataclass
class World:
    app: Flask
    engine: Engine
    sessions: sessionmaker[Session]
    key: bytes
    tokens: dict[Role, str]
    ids: dict[str, int] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # string ids (credits made by the code under test)
    # Newest counters written per interface id, to compare /metrics with.
    newest: dict[int, dict[str, Any]] = field(default_factory=dict)


def _iface(device: Device, if_index: int, name: str, **kw: Any) -> Interface:
    defaults: dict[str, Any] = {
        "descr": name,
        "alias": "",
        "if_type": 6,
        "mtu": 1500,
        "speed_bps": 10_000_000_000,
        "admin_status": IfStatus.UP,
        "oper_status": IfStatus.UP,
        "counter_bits": 64,
        "present": True,
        "last_change": NOW - timedelta(days=2),
        "updated_at": NOW,
    }
    defaults.update(kw)
    iface = Interface(if_index=if_index, name=name, **defaults)
    device.interfaces.append(iface)
    return iface


def _samples(session: Session, iface: Interface, bits: int, count: int, base_bps: float) -> dict[str, Any]:
    """``count`` samples one minute apart ending at NOW; returns the newest counters."""
    rows = []
    octets = 10**12 if bits == 64 else 3_000_000_000
    wrap = 2**bits
    for i in range(count):
        ts = NOW - SAMPLE_STEP * (count - 1 - i)
        rate = base_bps * (1.5 + (i % 60) / 60)
        octets = (octets + int(rate * 60 / 8)) % wrap
        rows.append(
            InterfaceSample(
                interface_id=iface.id,
                ts=ts,
                uptime_ticks=10_000_000 + i * 6000,
                counter_bits=bits,
                oper_status=int(IfStatus.UP),
                in_octets=octets,
                out_octets=octets // 2,
                in_ucast_pkts=octets // 800,
                out_ucast_pkts=octets // 1600,
                in_errors=7 + i,
                out_errors=3,
                in_discards=11,
                out_discards=0,
                in_bps=rate,
                out_bps=rate / 2,
                in_pps=rate / 6400,
                out_pps=rate / 12800,
                in_errors_ps=0.0,
                out_errors_ps=0.0,
                in_discards_ps=0.0,
                out_discards_ps=0.0,
            )
        )
    session.add_all(rows)
    session.flush()
    newest = rows[-1]
    iface.last_sample_id = newest.id
    iface.in_bps, iface.out_bps = newest.in_bps, newest.out_bps
    return {
        "device": iface.device.name,
        "if_index": iface.if_index,
        "counter_bits": bits,
        "in_octets": newest.in_octets,
        "out_octets": newest.out_octets,
        "in_ucast_pkts": newest.in_ucast_pkts,
        "out_ucast_pkts": newest.out_ucast_pkts,
        "in_errors": newest.in_errors,
        "out_errors": newest.out_errors,
        "in_discards": newest.in_discards,
        "out_discards": newest.out_discards,
    }


def build_inventory(session: Session, world: World) -> None:
    site = Site(name="lab-site", description="the test lab")
    v2 = SnmpProfile(name="lab-v2", version=SnmpVersion.V2C, community=Secret(CANARIES[0]))
    v3 = SnmpProfile(
        name="lab-v3",
        version=SnmpVersion.V3,
        community=Secret(CANARIES[0]),
        user="ossagent",
        auth_proto=SnmpAuthProto.SHA256,
        auth_key=Secret(CANARIES[1]),
        priv_proto=SnmpPrivProto.AES,
        priv_key=Secret(CANARIES[2]),
    )
    session.add_all([site, v2, v3])

    common: dict[str, Any] = {
        "site": site,
        "status": DeviceStatus.UP,
        "status_changed": NOW - timedelta(days=3),
        "uptime_ticks": 27_000_000,  # 3 days 3 hours
        "last_seen": NOW - timedelta(seconds=30),
        "last_polled": NOW - timedelta(seconds=30),
        "last_discovered": NOW - timedelta(hours=2),
    }
    r1 = Device(
        name="r1",
        host="192.0.2.1",
        platform="nokia_srlinux",
        role="spine",
        snmp_profile=v3,
        sys_name="r1.lab",
        sys_descr="SRLinux-v24.10.1 7220 IXR-D2L Copyright (c) 2024 Nokia",
        sys_object_id="1.3.6.1.4.1.6527.1.20.1",
        sys_location="rack 1",
        sys_contact="noc@example.net",
        **common,
    )
    r2 = Device(
        name="r2",
        host="192.0.2.2",
        platform="nokia_srlinux",
        role="leaf",
        snmp_profile=v2,
        sys_name="r2.lab",
        sys_descr="SRLinux-v24.10.1 7220 IXR-D2L",
        **common,
    )
    evil = Device(
        name="evil",
        host="192.0.2.66",
        platform="linux",
        role="edge",
        snmp_profile=v2,
        sys_name=HOSTILE_TEXT,
        sys_descr=HOSTILE_TEXT,
        sys_location=XSS_ATTR,
        last_error=HOSTILE_TEXT,
        **common,
    )
    old = Device(
        name="old32",
        host="192.0.2.32",
        platform="generic",
        role="access",
        snmp_profile=v2,
        sys_name="old32",
        sys_descr="An old switch with 32-bit counters only",
        **common,
    )
    down = Device(
        name="down1",
        host="192.0.2.99",
        platform="generic",
        snmp_profile=v2,
        status=DeviceStatus.UNREACHABLE,
        status_changed=NOW - timedelta(minutes=5),
        last_seen=NOW - timedelta(hours=1),
        last_polled=NOW - timedelta(hours=1),
        consecutive_failures=5,
        last_error="timeout after 1 retries",
    )
    new = Device(name="new1", host="192.0.2.100", platform="generic", snmp_profile=v2)
    session.add_all([r1, r2, evil, old, down, new])

    r1.components.extend(
        [
            HardwareComponent(
                ent_index=1,
                phys_class=PhysicalClass.CHASSIS,
                name="Chassis",
                descr="7220 IXR-D2L chassis",
                model="3HE16590AARA01",
                serial="NS2110T0001",
                hardware_rev="rev-B",
                firmware_rev="fw-1.2",
                software_rev="v24.10.1",
                mfg_name="Nokia",
            ),
            HardwareComponent(
                ent_index=2,
                phys_class=PhysicalClass.POWER_SUPPLY,
                name="PSU 1",
                descr="AC power supply",
                contained_in=1,
                model="PSU-AC-1600",
                serial="PS001",
            ),
            HardwareComponent(ent_index=3, phys_class=PhysicalClass.FAN, name="Fan 1", contained_in=1),
        ]
    )
    evil.components.append(
        HardwareComponent(ent_index=1, phys_class=PhysicalClass.CHASSIS, name=XSS_SCRIPT, descr=XSS_ATTR)
    )

    r1_e1 = _iface(r1, 1, "ethernet-1/1", alias="to-r2 e1-1")
    r1_e2 = _iface(r1, 2, "ethernet-1/2", alias="spare", oper_status=IfStatus.DOWN)
    _iface(r1, 3, "ethernet-1/3", present=False, oper_status=IfStatus.NOT_PRESENT)
    r1_mgmt = _iface(r1, 99, "mgmt0", speed_bps=1_000_000_000)
    r2_e1 = _iface(r2, 1, "ethernet-1/1", alias="to-r1 e1-1")
    evil_if = _iface(evil, 1, "eth0", alias=HOSTILE_TEXT, descr=XSS_ATTR, speed_bps=1_000_000_000)
    old_if = _iface(old, 1, "port1", counter_bits=32, speed_bps=100_000_000)
    _iface(old, 2, "port2", counter_bits=32, speed_bps=100_000_000, oper_status=IfStatus.DOWN)
    session.flush()

    world.newest[r1_e1.id] = _samples(session, r1_e1, 64, int(SAMPLE_SPAN / SAMPLE_STEP), 2.0e9)
    world.newest[r1_mgmt.id] = _samples(session, r1_mgmt, 64, 90, 1.0e6)
    world.newest[r2_e1.id] = _samples(session, r2_e1, 64, 90, 1.5e9)
    world.newest[evil_if.id] = _samples(session, evil_if, 64, 10, 1.0e5)
    world.newest[old_if.id] = _samples(session, old_if, 32, 10, 5.0e6)

    session.add_all(
        [
            Link(
                local_interface_id=r1_e1.id,
                remote_interface_id=r2_e1.id,
                remote_sys_name="r2.lab",
                remote_chassis_id="1a:b0:00:00:00:02",
                remote_port_id="ethernet-1/1",
                source=LinkSource.LLDP,
                last_seen=NOW - timedelta(minutes=3),
            ),
            Link(
                local_interface_id=r2_e1.id,
                remote_interface_id=r1_e1.id,
                remote_sys_name="r1.lab",
                remote_chassis_id="1a:b0:00:00:00:01",
                remote_port_id="ethernet-1/1",
                last_seen=NOW - timedelta(minutes=3),
            ),
            Link(
                local_interface_id=r1_e2.id,
                remote_sys_name="isp-peer",
                remote_chassis_id="00:11:22:33:44:55",
                remote_port_id="Gi0/1",
                last_seen=NOW - timedelta(minutes=10),
            ),
            Link(
                local_interface_id=evil_if.id,
                remote_sys_name=HOSTILE_TEXT,
                remote_chassis_id="66:66:66:66:66:66",
                remote_port_id=XSS_ATTR,
                remote_port_descr=XSS_SCRIPT,
            ),
        ]
    )
    session.flush()
    world.ids.update(
        {
            "r1": r1.id,
            "r2": r2.id,
            "r1_e1": r1_e1.id,
            "r1_e2": r1_e2.id,
            "r1_mgmt": r1_mgmt.id,
            "r2_e1": r2_e1.id,
            "evil": evil.id,
            "evil_if": evil_if.id,
            "old_if": old_if.id,
            "new1": new.id,
        }
    )


_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later POSTs."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    # A fresh token is issued at login; read it from any page.
    return csrf_from(client.get("/devices").get_data(as_text=True))


def client_as(app: Flask, role: Role) -> tuple[FlaskClient, str]:
    c = app.test_client()
    return c, login(c, role.value)


def bearer(world: World, role: Role = Role.VIEWER) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@dataclass
class ParsedPage:
    tags: list[tuple[str, dict[str, str | None]]]
    text: str


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def parse_html(html: str) -> ParsedPage:
    """The elements and text a browser would see (html.parser tokenises like one)."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return ParsedPage(collector.tags, "".join(collector.chunks))


def active_content(page: ParsedPage) -> list[str]:
    """Anything in the page that could run script or restyle it inline: inline scripts,
    scripts from elsewhere than /static/, event-handler and style attributes, javascript: URLs."""
    found = []
    for tag, attrs in page.tags:
        if tag == "script" and not (attrs.get("src") or "").startswith("/static/"):
            found.append(f"<script {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and attrs.get("src") == "x":
            found.append("<img src=x>")
    return found
