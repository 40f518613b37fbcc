"""Prometheus text exposition (format 0.0.4), rendered by hand.

Interface metrics carry snmp_exporter's if_mib names and labels (plus ``device``) so that
the snmp-mixin dashboards and existing PromQL work unchanged. prometheus_client cannot emit
those: its counter families always append ``_total``. The agent's own metrics follow
Prometheus naming (``ossagent_*``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from inventory.choices import DeviceStatus, Severity
from inventory.models import Interface, InterfaceSample
from inventory.queries import CounterRow, MetricsSnapshot

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Labels as a dict, or already rendered (``k="v",k2="v2"``, escaped) as the agent stores them.
Labels = dict[str, str]

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_PAIR = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
RENDERED_LABELS = re.compile(rf"(?:{_LABEL_PAIR}(?:,{_LABEL_PAIR})*)?")


@dataclass
class Family:
    name: str
    kind: str  # counter | gauge
    help: str
    samples: list[tuple[Labels | str, float | int]] = field(default_factory=list)


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float | int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)  # exact, also for Counter64 values past 2**53
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for fam in families:
        if not fam.samples:
            continue
        lines.append(f"# HELP {fam.name} {_escape_help(fam.help)}")
        lines.append(f"# TYPE {fam.name} {fam.kind}")
        for labels, value in fam.samples:
            if labels:
                body = (
                    labels
                    if isinstance(labels, str)
                    else ",".join(f'{k}="{escape_label_value(v)}"' for k, v in labels.items())
                )
                lines.append(f"{fam.name}{{{body}}} {format_value(value)}")
            else:
                lines.append(f"{fam.name} {format_value(value)}")
    return "\n".join(lines) + "\n"


# (64-bit name, 32-bit name, sample attribute, help with the 64-bit OID as snmp_exporter writes it)
_COUNTERS: list[tuple[str, str, str, str]] = [
    ("ifHCInOctets", "ifInOctets", "in_octets",
     "The total number of octets received on the interface, including framing characters"),
    ("ifHCOutOctets", "ifOutOctets", "out_octets",
     "The total number of octets transmitted out of the interface, including framing characters"),
    ("ifHCInUcastPkts", "ifInUcastPkts", "in_ucast_pkts",
     "The number of packets, delivered by this sub-layer to a higher (sub-)layer, which were not "
     "addressed to a multicast or broadcast address at this sub-layer"),
    ("ifHCOutUcastPkts", "ifOutUcastPkts", "out_ucast_pkts",
     "The total number of packets that higher-level protocols requested be transmitted, and which "
     "were not addressed to a multicast or broadcast address at this sub-layer"),
]  # fmt: skip
_OIDS = {
    "ifHCInOctets": "1.3.6.1.2.1.31.1.1.1.6",
    "ifHCOutOctets": "1.3.6.1.2.1.31.1.1.1.10",
    "ifHCInUcastPkts": "1.3.6.1.2.1.31.1.1.1.7",
    "ifHCOutUcastPkts": "1.3.6.1.2.1.31.1.1.1.11",
    "ifInOctets": "1.3.6.1.2.1.2.2.1.10",
    "ifOutOctets": "1.3.6.1.2.1.2.2.1.16",
    "ifInUcastPkts": "1.3.6.1.2.1.2.2.1.11",
    "ifOutUcastPkts": "1.3.6.1.2.1.2.2.1.17",
    "ifInErrors": "1.3.6.1.2.1.2.2.1.14",
    "ifOutErrors": "1.3.6.1.2.1.2.2.1.20",
    "ifInDiscards": "1.3.6.1.2.1.2.2.1.13",
    "ifOutDiscards": "1.3.6.1.2.1.2.2.1.19",
    "ifAdminStatus": "1.3.6.1.2.1.2.2.1.7",
    "ifOperStatus": "1.3.6.1.2.1.2.2.1.8",
    "ifHighSpeed": "1.3.6.1.2.1.31.1.1.1.15",
}
_ERROR_COUNTERS: list[tuple[str, str, str]] = [
    ("ifInErrors", "in_errors", "The number of inbound packets that contained errors preventing them "
     "from being deliverable to a higher-layer protocol"),
    ("ifOutErrors", "out_errors", "The number of outbound packets that could not be transmitted "
     "because of errors"),
    ("ifInDiscards", "in_discards", "The number of inbound packets which were chosen to be discarded "
     "even though no errors had been detected to prevent their being deliverable to a higher-layer protocol"),
    ("ifOutDiscards", "out_discards", "The number of outbound packets which were chosen to be discarded "
     "even though no errors had been detected to prevent their being transmitted"),
]  # fmt: skip


def _help(name: str, text: str) -> str:
    return f"{text} - {_OIDS[name]}"


def interface_labels(device: str, iface: Interface) -> Labels:
    # snmp_exporter's label order (sorted), with our device label first.
    return {
        "device": device,
        "ifAlias": iface.alias,
        "ifDescr": iface.descr,
        "ifIndex": str(iface.if_index),
        "ifName": iface.name,
    }


def high_speed(speed_bps: int) -> int:
    """ifHighSpeed: Mb/s, rounded to the nearest unit as IF-MIB describes."""
    return (speed_bps + 500_000) // 1_000_000


def interface_families(snapshot: MetricsSnapshot) -> list[Family]:
    counters: dict[str, Family] = {}
    for hc_name, name32, _attr, text in _COUNTERS:
        counters[hc_name] = Family(hc_name, "counter", _help(hc_name, text))
        counters[name32] = Family(name32, "counter", _help(name32, text))
    for name, _attr, text in _ERROR_COUNTERS:
        counters[name] = Family(name, "counter", _help(name, text))
    admin = Family("ifAdminStatus", "gauge", _help("ifAdminStatus", "The desired state of the interface"))
    oper = Family(
        "ifOperStatus", "gauge", _help("ifOperStatus", "The current operational state of the interface")
    )
    speed = Family("ifHighSpeed", "gauge", _help(
        "ifHighSpeed", "An estimate of the interface's current bandwidth in units of 1,000,000 bits per second"
    ))  # fmt: skip

    for row in snapshot.interfaces:
        labels = interface_labels(row.device_name, row.interface)
        admin.samples.append((labels, int(row.interface.admin_status)))
        oper.samples.append((labels, int(row.interface.oper_status)))
        speed.samples.append((labels, high_speed(row.interface.speed_bps)))
        sample: InterfaceSample | None = row.sample
        if sample is None:
            continue
        for hc_name, name32, attr, _text in _COUNTERS:
            value = getattr(sample, attr)
            if value is not None:
                counters[hc_name if sample.counter_bits == 64 else name32].samples.append((labels, value))
        for name, attr, _text in _ERROR_COUNTERS:
            value = getattr(sample, attr)
            if value is not None:
                counters[name].samples.append((labels, value))
    return [*counters.values(), admin, oper, speed]


def agent_families(snapshot: MetricsSnapshot) -> list[Family]:
    by_status = dict.fromkeys(DeviceStatus, 0)
    up = Family("ossagent_device_up", "gauge", "1 if the device answered its last poll, else 0")
    last_poll = Family(
        "ossagent_device_last_poll_timestamp_seconds",
        "gauge",
        "Unix time of the device's last successful poll",
    )
    for device in snapshot.devices:
        by_status[device.status] += 1
        up.samples.append(({"device": device.name}, 1 if device.status is DeviceStatus.UP else 0))
        if device.last_polled is not None:
            last_poll.samples.append(({"device": device.name}, device.last_polled.timestamp()))
    devices = Family("ossagent_devices", "gauge", "Devices in the inventory by status")
    devices.samples = [({"status": s.value}, n) for s, n in by_status.items()]
    interfaces = Family("ossagent_interfaces", "gauge", "Interfaces present on the devices in the inventory")
    interfaces.samples = [({}, len(snapshot.interfaces))]
    return [devices, up, last_poll, interfaces]


def alarm_families(snapshot: MetricsSnapshot) -> list[Family]:
    """``ossagent_alarms_active{severity,root}``: every pair is present, zeros included, so
    that a rate or an alert on a series never sees it vanish when the last alarm clears."""
    counts = {(a.severity, a.root): a.count for a in snapshot.alarms}
    fam = Family(
        "ossagent_alarms_active",
        "gauge",
        'Active alarms by severity; root="true" for root causes that no other alarm suppresses',
    )
    for severity in sorted((s for s in Severity if s is not Severity.CLEARED), key=lambda s: -s.rank):
        for root in (True, False):
            n = counts.get((severity, root), 0)
            fam.samples.append(({"severity": severity.value, "root": "true" if root else "false"}, n))
    return [fam]


COUNTER_HELP = {
    "ossagent_traps_received_total": "SNMP notifications received by the trap receiver",
    "ossagent_traps_decoded_total": "SNMP notifications decoded into events",
    "ossagent_traps_malformed_total": "SNMP notifications that could not be decoded",
    "ossagent_traps_rejected_total": "SNMP notifications refused, by reason",
    "ossagent_traps_queue_dropped_total": "SNMP notifications dropped because the receive queue was full",
    "ossagent_traps_unknown_source_total": "SNMP notifications from addresses that are no known device",
    "ossagent_traps_decoded_by_version_total": "SNMP notifications decoded, by SNMP version",
    "ossagent_informs_answered_total": "SNMP InformRequests acknowledged",
}


def counter_families(rows: Iterable[CounterRow], reserved: frozenset[str] = frozenset()) -> list[Family]:
    """The agent's published counters, one family per name. A row whose name or labels would
    break the exposition, or whose name is one of ours (``reserved``), is left out and
    logged: one bad row must not cost Prometheus the whole scrape."""
    families: dict[str, Family] = {}
    for row in rows:
        bad = not METRIC_NAME.fullmatch(row.name) or not RENDERED_LABELS.fullmatch(row.labels)
        if bad or row.name in reserved:
            log.warning("agent counter %r{%r} is not valid exposition; skipped", row.name, row.labels)
            continue
        fam = families.get(row.name)
        if fam is None:
            kind = "counter" if row.name.endswith("_total") else "gauge"
            fam = families[row.name] = Family(
                row.name, kind, COUNTER_HELP.get(row.name, "Published by the ossagent agent")
            )
        fam.samples.append((row.labels, row.value))
    return list(families.values())


def render_snapshot(snapshot: MetricsSnapshot) -> str:
    ours = [*agent_families(snapshot), *alarm_families(snapshot), *interface_families(snapshot)]
    published = counter_families(snapshot.counters, frozenset(f.name for f in ours))
    return render([*ours, *published])
