"""The ``netns`` lab: real daemons (yuma123 netconfd, FRRouting, sshd) in Linux network
namespaces, started and stopped by PID file. See lab.netns.lab for the API and LAB.md §3-4, §8
for the recipes it follows."""

from __future__ import annotations

from lab.netns.lab import (
    FrrService,
    LabLeftovers,
    LldpService,
    NetconfService,
    NetnsLab,
    Node,
    SnmpService,
    check_clean,
    netns_lab,
    reap_stale,
    wait_for_ports,
)
from lab.netns.system import LabCommandError, why_unavailable

__all__ = [
    "FrrService",
    "LabCommandError",
    "LabLeftovers",
    "LldpService",
    "NetconfService",
    "NetnsLab",
    "Node",
    "SnmpService",
    "check_clean",
    "netns_lab",
    "reap_stale",
    "wait_for_ports",
    "why_unavailable",
]
