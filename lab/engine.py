"""One interface over the lab engines: ``up``, ``down``, ``inspect``, ``fault``.

Engine ``sim`` runs every node as a simulated device on loopback (lab.sim); ``netns`` runs real
daemons (FRR, Net-SNMP, netconfd, sshd) in Linux network namespaces (lab.engine_netns);
``containerlab`` hands the file to containerlab and Docker (lab.engine_containerlab). Every
engine publishes the same :class:`lab.sim.LabState`. A lab's runtime
state lives in ``<lab_root>/<lab name>/`` (state.json, control socket, pid file); the
containerlab artifacts go next to the topology file, as containerlab writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from inventory.domain import ConfigAccessSpec, InventoryHost, Secret
from lab import engine_containerlab, engine_netns, sim
from lab.artifacts import write_artifacts
from lab.netns.system import LabCommandError
from lab.topology import Credentials, Topology, load_topology

__all__ = ["load_topology"]

ENGINES = ("sim", "netns", "containerlab")
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
    existing = read_state(sdir)
    if existing is not None:
        raise LabError(
            f"lab {topology.name!r} is already running (pid {existing.pid}); run 'ossagent lab down' first"
        )
    sdir.mkdir(parents=True, exist_ok=True)
    if engine == "netns":
        try:
            state = engine_netns.up(
                topology, sdir, trap_receivers=trap_receivers, profiles=sim.lab_profiles()
            )
        except (engine_netns.NetnsEngineError, OSError) as exc:
            raise LabError(str(exc)) from exc
        artifacts_for(topology, state)
        return state
    if engine == "containerlab":
        try:
            state = engine_containerlab.up(topology, sdir)
        except engine_containerlab.ContainerlabError as exc:
            raise LabError(str(exc)) from exc
        artifacts_for(topology, state)
        return state
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
    if state.engine == engine_netns.ENGINE:
        for n in nodes:
            n["nornir_platform"] = n["platform"]  # FRR answers, whatever kind it stands in for
        # The netns lab's logins are its own per-lab user, whatever the file's credentials say.
        logins = {n.name: Credentials(n.username, n.password) for n in state.nodes}
        topology = replace(
            topology,
            nodes={
                k: replace(v, credentials=logins.get(k, v.credentials)) for k, v in topology.nodes.items()
            },
        )
    return write_artifacts(topology, nodes, dict(state.profiles))


def read_state(sdir: Path) -> sim.LabState | None:
    """The running lab in state folder ``sdir``, whatever its engine (None: no lab there)."""
    st = sim.read_state(sdir)  # sim and netns both publish state.json + lab.pid
    if st is not None:
        return st
    return engine_containerlab.read_state(sdir)


def running(lab_root: Path) -> list[sim.LabState]:
    if not lab_root.exists():
        return []
    out = []
    for d in sorted(p for p in lab_root.iterdir() if p.is_dir()):
        st = read_state(d)
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
    try:
        st = resolve(lab_root, name, topology_path)
    except LabError:
        # A netns lab whose keeper died (SIGKILL, OOM) is not "running", yet its namespaces
        # and daemons may be: `lab down` by name still removes them.
        lab_name = name or (load_topology(topology_path).name if topology_path else None)
        if lab_name and (state_dir(lab_root, lab_name) / engine_netns.EXTRA_FILE).exists():
            engine_netns.down(state_dir(lab_root, lab_name))
            return lab_name
        raise
    sdir = state_dir(lab_root, st.name)
    if st.engine == engine_netns.ENGINE:
        engine_netns.down(sdir)
    elif st.engine == engine_containerlab.ENGINE:
        try:
            engine_containerlab.down(st, sdir)
        except engine_containerlab.ContainerlabError as exc:
            raise LabError(str(exc)) from exc
    else:
        sim.stop(sdir)
    return st.name


def fault(lab_root: Path, command: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    st = resolve(lab_root, name)
    sdir = state_dir(lab_root, st.name)
    if st.engine == engine_netns.ENGINE:
        try:
            return engine_netns.fault(sdir, command)
        except (engine_netns.NetnsEngineError, LabCommandError) as exc:
            raise LabError(str(exc)) from exc
    if st.engine == engine_containerlab.ENGINE:
        try:
            return engine_containerlab.fault(st, command)
        except engine_containerlab.ContainerlabError as exc:
            raise LabError(str(exc)) from exc
    if command.get("op") in ("latency", "loss", "clear"):
        raise LabError(
            f"'lab fault {command.get('op')}' needs a real kernel (--engine netns); "
            "on the sim use 'lab fault slow' and undo each fault by itself"
        )
    reply = sim.send(sdir, command)
    if not reply.get("ok"):
        raise LabError(str(reply.get("error", "the lab refused the command")))
    return reply


def inspect(st: sim.LabState) -> dict[str, Any]:
    doc = _inspect(st)
    if st.engine == engine_netns.ENGINE and st.state_dir:
        # What only the netns engine has: namespaces, what runs, Linux interface names.
        extra = engine_netns.read_extra(Path(st.state_dir))
        doc["prefix"] = extra.get("prefix", "")
        doc["skipped_links"] = extra.get("skipped_links", [])
        doc["outside_ports"] = extra.get("outside_ports", [])
        for n in doc["nodes"]:
            x = extra.get("nodes", {}).get(n["name"], {})
            n["runs"] = x.get("runs", "")
            n["namespace"] = x.get("namespace", "")
            n["services"] = x.get("services", {})
            n["ifname_map"] = x.get("interfaces", {})
            n["link_addresses"] = x.get("addresses", {})
    return doc


def _inspect(st: sim.LabState) -> dict[str, Any]:
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
    """How the agent changes a lab node: the node's ``config_face`` where it names one, else
    NETCONF where the node has it, else its SSH CLI. An FRR router of the netns engine is
    changed through vtysh over SSH unless its face is netconf: then through netconfd beside it,
    whose models are ietf-interfaces and ietf-ip (platform ``ietf``).
    The host key is not copied: the agent learns it on first discovery like on any network."""
    cli_first = (n.config_face == "cli" or (not n.config_face and n.platform == "frr")) and bool(n.ssh_port)
    if "netconf" in n.faces and n.netconf_port and not cli_first:
        platform = n.config_platform if n.config_face == "netconf" and n.config_platform else n.platform
        return ConfigAccessSpec("netconf", platform, n.netconf_port, n.username, Secret(n.password))
    if "cli" in n.faces and n.ssh_port:
        platform = (
            "eos" if n.cli_dialect == "eos" else (n.platform if n.platform in ("frr", "ios") else "ios")
        )
        options = {"eapi_port": str(n.eapi_port)} if n.eapi_port else {}
        return ConfigAccessSpec("cli", platform, n.ssh_port, n.username, Secret(n.password), options)
    return None


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False)
