"""Root cause and suppression from the topology. Pure: plain values in, decisions out.

The topology is LLDP links (interface <-> interface), containment (an interface belongs to
its device) and the management path (which devices the agent reaches a device through).

Rules, applied to the active alarms:
1. A device-down alarm is suppressed when every management parent of the device is itself
   down (directly or because of its own parents); the suppressor is the upstream root. A
   device with two parents stays a root while either parent is up.
2. An interface alarm on a down device is suppressed by that device's root alarm.
3. An interface alarm whose LLDP peer sits on a down device is suppressed by that root too
   (the neighbour's port goes dark because the neighbour died).
4. The two ends of one link: the later alarm is suppressed by the earlier (one cut, one alarm).
5. A flapping alarm suppresses the link alarm of the same interface.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

DEVICE_DOWN = "device"
LINK_DOWN = "link"
FLAPPING = "flapping"


@dataclass(frozen=True)
class ActiveAlarm:
    id: int
    kind: str  # DEVICE_DOWN, LINK_DOWN, FLAPPING, or any other kind (never correlated)
    device_id: int
    if_index: int | None
    raised_at: datetime


@dataclass(frozen=True)
class Topology:
    parents: Mapping[int, frozenset[int]]  # device -> devices the agent reaches it through
    peers: Mapping[tuple[int, int], tuple[int, int]]  # (device, ifIndex) -> (device, ifIndex)
    names: Mapping[int, str]  # device id -> name, for the reasons shown to people


@dataclass(frozen=True)
class Decision:
    is_root_cause: bool
    suppressed_by: int | None
    reason: str


ROOT = Decision(True, None, "")


def correlate(alarms: Iterable[ActiveAlarm], topo: Topology) -> dict[int, Decision]:
    alarms = list(alarms)
    device_down = {a.device_id: a for a in alarms if a.kind == DEVICE_DOWN}
    decisions: dict[int, Decision] = {a.id: ROOT for a in alarms}

    # Rule 1: which down devices are explained by their parents, and by whose root alarm.
    root_of: dict[int, int] = {}  # down device -> id of the root alarm that explains it

    def upstream_root(dev: int, seen: frozenset[int]) -> int | None:
        """The root alarm explaining ``dev``'s outage through its parents, or None."""
        parents = topo.parents.get(dev, frozenset())
        if not parents:
            return None
        roots = []
        for p in sorted(parents):
            if p not in device_down or p in seen:
                return None  # a parent is up (or a cycle): dev is its own root
            roots.append(resolve(p, seen | {dev}))
        return roots[0]

    def resolve(dev: int, seen: frozenset[int] = frozenset()) -> int:
        if dev in root_of:
            return root_of[dev]
        up = upstream_root(dev, seen | {dev})
        root_of[dev] = device_down[dev].id if up is None else up
        return root_of[dev]

    for dev, alarm in device_down.items():
        root = resolve(dev)
        if root != alarm.id:
            parents = ", ".join(topo.names.get(p, str(p)) for p in sorted(topo.parents.get(dev, ())))
            decisions[alarm.id] = Decision(False, root, f"reached only through {parents}, which is down")

    flapping = {(a.device_id, a.if_index): a for a in alarms if a.kind == FLAPPING}
    links = {(a.device_id, a.if_index): a for a in alarms if a.kind == LINK_DOWN}
    for (dev, if_index), alarm in links.items():
        name = topo.names.get(dev, str(dev))
        if dev in device_down:  # Rule 2
            decisions[alarm.id] = Decision(False, root_of[dev], f"{name} is down")
            continue
        peer = topo.peers.get((dev, if_index)) if if_index is not None else None
        if peer is not None and peer[0] in device_down:  # Rule 3
            decisions[alarm.id] = Decision(
                False, root_of[peer[0]], f"the neighbour {topo.names.get(peer[0], peer[0])} is down"
            )
            continue
        flap = flapping.get((dev, if_index))
        if flap is not None:  # Rule 5
            decisions[alarm.id] = Decision(False, flap.id, "the interface is flapping")
            continue
        other = links.get(peer) if peer is not None else None
        if other is not None and (other.raised_at, other.id) < (alarm.raised_at, alarm.id):  # Rule 4
            decisions[alarm.id] = Decision(
                False, other.id, f"same link as {topo.names.get(other.device_id, other.device_id)}'s port"
            )
    # A flapping alarm on a down device is a symptom too.
    for (dev, _), alarm in flapping.items():
        if dev in device_down:
            decisions[alarm.id] = Decision(False, root_of[dev], f"{topo.names.get(dev, dev)} is down")
    return _to_roots(decisions)


def _to_roots(decisions: dict[int, Decision]) -> dict[int, Decision]:
    """Point every suppressed alarm at the unsuppressed alarm at the end of its chain."""
    out = {}
    for aid, d in decisions.items():
        target, seen = d.suppressed_by, {aid}
        while target is not None and target in decisions and decisions[target].suppressed_by is not None:
            if target in seen:  # a cycle cannot happen by the rules; never loop if it does
                break
            seen.add(target)
            target = decisions[target].suppressed_by
        out[aid] = d if target == d.suppressed_by else Decision(False, target, d.reason)
    return out
