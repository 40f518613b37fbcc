"""One interface over the lab engines: ``up``, ``down``, ``inspect``, ``fault``.

Engine ``sim`` runs every node as a simulated device on loopback (lab.sim). A lab's runtime
state lives in ``<lab_root>/<lab name>/`` (state.json, control socket, pid file); the
containerlab artifacts go next to the topology file, as containerlab writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from inventory.domain import ConfigAccessSpec, InventoryHost, Secret
from lab import sim
from lab.artifacts import write_artifacts
from lab.topology import Topology, load_topology

__all__ = ["load_topology"]

ENGINES = ("sim",)
DEFAULT_TOPOLOGY = Path(__file__).with_name("topologies") / "demo.clab.yml"


class LabError(RuntimeError):
    pass


def state_dir(lab_root: Path, name: str) -> Path:
    return lab_root / name


def up(
    topology_path: Path,
    lab_root: Path,
    *,
    engine: str = "sim",
    address_base: str | None = None,
    snmp_port: int | None = None,
    workers: int = 1,
    trap_receivers: Sequence[tuple[str, int]] = (),
    foreground: bool = False,
    ssh_port: int | None = None,
    netconf_port: int | None = None,
    eapi_port: int | None = None,
) -> sim.LabState:
    if engine not in ENGINES:
        raise LabError(f"unknown lab engine {engine!r}; this machine supports: {', '.join(ENGINES)}")
    topology = load_topology(topology_path)
    sdir = state_dir(lab_root, topology.name)
    existing = sim.read_state(sdir)
    if existing is not None:
        raise LabError(
            f"lab {topology.name!r} is already running (pid {existing.pid}); run 'ossagent lab down' first"
        )
    sdir.mkdir(parents=True, exist_ok=True)
    if foreground:
        # The caller serves in-process; artifacts are written by the runner once bound.
        return sim.start(
            topology,
            sdir,
            address_base=address_base,
            snmp_port=snmp_port,
            workers=workers,
            trap_receivers=trap_receivers,
            foreground=True,
            ssh_port=ssh_port,
            netconf_port=netconf_port,
            eapi_port=eapi_port,
        )
    state = sim.start(
        topology,
        sdir,
        address_base=address_base,
        snmp_port=snmp_port,
        workers=workers,
        trap_receivers=trap_receivers,
        ssh_port=ssh_port,
        netconf_port=netconf_port,
        eapi_port=eapi_port,
    )
    artifacts_for(topology, state)
    return state


def artifacts_for(topology: Topology, state: sim.LabState) -> Path:
    nodes = [asdict(n) for n in state.nodes]
    return write_artifacts(topology, nodes, dict(state.profiles))


def running(lab_root: Path) -> list[sim.LabState]:
    if not lab_root.exists():
        return []
    out = []
    for d in sorted(p for p in lab_root.iterdir() if p.is_dir()):
        st = sim.read_state(d)
        if st is not None:
            out.append(st)
    return out


def resolve(lab_root: Path, name: str | None = None, topology_path: Path | None = None) -> sim.LabState:
    """The lab a command means: by name, by topology file, or the only one running."""
    if topology_path is not None and name is None:
        name = load_topology(topology_path).name
    labs = running(lab_root)
    if name is not None:
        for st in labs:
            if st.name == name:
                return st
        raise LabError(f"lab {name!r} is not running (start it with 'ossagent lab up')")
    if not labs:
        raise LabError("no lab is running (start one with 'ossagent lab up')")
    if len(labs) > 1:
        raise LabError(f"several labs are running ({', '.join(s.name for s in labs)}): say which with --name")
    return labs[0]


def down(lab_root: Path, name: str | None = None, topology_path: Path | None = None) -> str:
    st = resolve(lab_root, name, topology_path)
    sim.stop(state_dir(lab_root, st.name))
    return st.name


def fault(lab_root: Path, command: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    st = resolve(lab_root, name)
    reply = sim.send(state_dir(lab_root, st.name), command)
    if not reply.get("ok"):
        raise LabError(str(reply.get("error", "the lab refused the command")))
    return reply


def inspect(st: sim.LabState) -> dict[str, Any]:
    return {
        "name": st.name,
        "engine": st.engine,
        "pid": st.pid,
        "topology": st.topology_path,
        "started": st.started,
        "nodes": [
            {
                "name": n.name,
                "long_name": n.long_name,
                "kind": n.kind,
                "role": n.role,
                "site": n.site,
                "address": n.address,
                "snmp_port": n.snmp_port,
                "snmp_profile": n.snmp_profile,
                "faces": list(n.faces),
                "ssh_port": n.ssh_port,
                "netconf_port": n.netconf_port,
                "eapi_port": n.eapi_port,
                "interfaces": [asdict(i) for i in n.interfaces],
            }
            for n in st.nodes
        ],
    }


def hosts(st: sim.LabState) -> tuple[list[InventoryHost], dict[str, dict[str, Any]]]:
    """Inventory entries for every node of a running lab, and the lab's SNMP profiles."""
    entries = [
        InventoryHost(
            name=n.name,
            host=n.address,
            snmp_port=n.snmp_port,
            platform=n.platform or n.kind,
            role=n.role,
            site=n.site,
            snmp_profile=n.snmp_profile,
            data={"lab": st.name, "kind": n.kind},
            mgmt_via=tuple(n.mgmt_via),
            config_access=config_access(n),
        )
        for n in st.nodes
    ]
    return entries, {k: dict(v) for k, v in st.profiles.items()}


def config_access(n: sim.NodeState) -> ConfigAccessSpec | None:
    """How the agent changes a lab node: NETCONF where the node has it, else its SSH CLI.
    The host key is not copied: the agent learns it on first discovery like on any network."""
    if "netconf" in n.faces and n.netconf_port:
        return ConfigAccessSpec("netconf", n.platform, n.netconf_port, n.username, Secret(n.password))
    if "cli" in n.faces and n.ssh_port:
        platform = (
            "eos" if n.cli_dialect == "eos" else (n.platform if n.platform in ("frr", "ios") else "ios")
        )
        options = {"eapi_port": str(n.eapi_port)} if n.eapi_port else {}
        return ConfigAccessSpec("cli", platform, n.ssh_port, n.username, Secret(n.password), options)
    return None


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False)
