"""Operational state for ``<get>``: ietf-interfaces ``interfaces-state`` from the node's SNMP
runtime (the same numbers an SNMP poller sees)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from lxml import etree

from lab.sim.config.xml import IANA, IF, Element, q
from lab.sim.node import SimNode

_STATS = (
    ("in-octets", 0),
    ("in-unicast-pkts", 1),
    ("in-broadcast-pkts", 3),
    ("in-multicast-pkts", 2),
    ("in-discards", 4),
    ("in-errors", 5),
    ("in-unknown-protos", 6),
    ("out-octets", 7),
    ("out-unicast-pkts", 8),
    ("out-broadcast-pkts", 10),
    ("out-multicast-pkts", 9),
    ("out-discards", 11),
    ("out-errors", 12),
)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def interfaces_state(node: SimNode) -> Element:
    now = time.monotonic()
    wall = time.time()
    boot = _iso(wall - (now - node.booted_at))
    root = etree.Element(q(IF, "interfaces-state"), nsmap={None: IF})
    for rt in node.ifs:
        m = rt.model
        e = etree.SubElement(root, q(IF, "interface"))
        etree.SubElement(e, q(IF, "name")).text = m.name
        kind = {"loopback": "softwareLoopback", "subif": "l2vlan"}.get(m.role, "ethernetCsmacd")
        t = etree.SubElement(e, q(IF, "type"), nsmap={"ianaift": IANA})
        t.text = f"ianaift:{kind}"
        etree.SubElement(e, q(IF, "admin-status")).text = "up" if rt.admin_up else "down"
        oper = "up" if rt.oper_up else ("lower-layer-down" if m.role == "subif" and rt.admin_up else "down")
        etree.SubElement(e, q(IF, "oper-status")).text = oper
        if rt.last_change > node.booted_at:
            etree.SubElement(e, q(IF, "last-change")).text = _iso(wall - (now - rt.last_change))
        etree.SubElement(e, q(IF, "if-index")).text = str(m.if_index)
        if m.mac:
            etree.SubElement(e, q(IF, "phys-address")).text = m.mac_text
        etree.SubElement(e, q(IF, "speed")).text = str(m.speed_mbps * 1_000_000)
        stats = etree.SubElement(e, q(IF, "statistics"))
        etree.SubElement(stats, q(IF, "discontinuity-time")).text = boot
        values = rt.counters.values(now)
        for name, k in _STATS:
            etree.SubElement(stats, q(IF, name)).text = str(values[k])
    return root
