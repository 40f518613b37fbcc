"""``sim``: a fast simulated SNMP lab on loopback addresses.

Every node of a containerlab topology becomes a device with its own SNMP agent (v2c and
SNMPv3 USM, hand-written BER on the serving path) on its own 127.x.y.z address, serving
SNMPv2-MIB system, IF-MIB, ENTITY-MIB and LLDP-MIB, with counters that move, links that fail
and notifications that are sent. Nodes also have configuration faces (NETCONF over SSH, an
EOS-like or IOS/FRR-like SSH CLI, Arista eAPI) over one configuration model per node that the
SNMP agent reflects. See :mod:`lab.sim.runner` for the process model, :mod:`lab.sim.control` for
the fault-injection and configuration operations, and ``lab/sim/config/README.md`` for syntaxes.
"""

from __future__ import annotations

from lab.sim.control import PUBLIC_OPS, ControlError
from lab.sim.device import DeviceError, DeviceModel, InterfaceModel, build_devices, default_address_base
from lab.sim.runner import LabError, default_face_ports, default_snmp_port, read_state, send, start, stop
from lab.sim.state import IfState, LabState, NodeState, lab_profiles

__all__ = [
    "PUBLIC_OPS",
    "ControlError",
    "DeviceError",
    "DeviceModel",
    "IfState",
    "InterfaceModel",
    "LabError",
    "LabState",
    "NodeState",
    "build_devices",
    "default_address_base",
    "default_face_ports",
    "default_snmp_port",
    "lab_profiles",
    "read_state",
    "send",
    "start",
    "stop",
]
