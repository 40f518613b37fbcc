"""Configuration -> SNMP: what a change of the running configuration does to a node's agent.

Descriptions become ``ifAlias`` (and the LLDP port description), ``shutdown`` sets
``ifAdminStatus`` down (operationally down too, with a linkDown trap, and the far end of the
cable loses carrier), an MTU sets ``ifMtu``, and subinterfaces get their own IF-MIB rows of type
l2vlan(135) that follow their port's operational state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab.sim.config.model import DeviceConfig, InterfaceConfig
from lab.sim.device import DeviceError
from lab.sim.node import IfRuntime, Notification, SimNode


@dataclass
class Reflection:
    notifications: list[Notification] = field(default_factory=list)
    # (peer node, peer interface, admin up?) for cables whose near end changed admin state.
    peer_admin: list[tuple[str, str, bool]] = field(default_factory=list)


def reflect(node: SimNode, old: DeviceConfig, new: DeviceConfig, now: float) -> Reflection:
    out = Reflection()
    # Subinterfaces that went away first, so a re-created one gets a fresh row.
    for name in old.interfaces:
        if name not in new.interfaces and not new.is_physical(name):
            node.remove_subinterface(name, now)
    for itf in new.ordered_interfaces():
        before = old.interfaces.get(itf.name)
        rt = _runtime(node, new, itf, now)
        if rt is None:
            continue
        if before is None or before.description != itf.description:
            rt.set_alias(itf.description)
        if before is None or before.mtu != itf.mtu:
            rt.set_mtu(itf.mtu if itf.mtu is not None else rt.model.mtu)
        if rt.admin_up != itf.enabled:
            out.notifications += node.update_interface(rt, now, admin=itf.enabled)
            if rt.model.peer is not None:
                out.peer_admin.append((rt.model.peer[0], rt.model.peer[1], itf.enabled))
    if new.hostname != old.hostname:
        node.set_system(sys_name=new.hostname)
    return out


def _runtime(node: SimNode, cfg: DeviceConfig, itf: InterfaceConfig, now: float) -> IfRuntime | None:
    k = node.by_name.get(itf.name)
    if k is not None:
        return node.ifs[k]
    parent_name = cfg.parent_of(itf.name)
    if parent_name is None:
        return None
    try:
        parent = node.interface(parent_name)
    except (KeyError, DeviceError):
        return None
    number = int(itf.name.rsplit(".", 1)[1])
    model = node.model.subinterface(itf.name, parent.model, number)
    return node.add_subinterface(model, parent, now)
