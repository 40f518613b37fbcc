"""What a running sim lab publishes about itself (``state.json``) and the lab's SNMP profiles.

``state.json`` is the contract with the rest of ossagent: the CLI's ``lab inspect`` prints it,
and the agent reads it to learn addresses, credentials and interface names. It is written with
mode 0600 because it carries the lab's (test-only) SNMP secrets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from collectors.snmp.wire.usm import UserConfig
from lab.sim.device import DeviceModel
from lab.topology import Credentials, Endpoint, Link, Node, Topology

ENGINE = "sim"
PROFILE_V2C = "lab-v2c"
PROFILE_V3 = "lab-v3"
PROFILE_V3_SHA256 = "lab-v3-sha256"


def lab_profiles(env: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """The three credential profiles every simulated device answers.

    ``OSSAGENT_LAB_COMMUNITY``, ``OSSAGENT_LAB_V3_AUTH_KEY`` and ``OSSAGENT_LAB_V3_PRIV_KEY``
    override the defaults. The two v3 profiles need different user names: USM identifies the
    user (and so the protocols) by name alone.
    """
    e = os.environ if env is None else env
    community = e.get("OSSAGENT_LAB_COMMUNITY") or "public"
    auth = e.get("OSSAGENT_LAB_V3_AUTH_KEY") or "ossim-auth-key"
    priv = e.get("OSSAGENT_LAB_V3_PRIV_KEY") or "ossim-priv-key"
    return {
        PROFILE_V2C: {"version": "v2c", "community": community},
        PROFILE_V3: {
            "version": "v3",
            "user": "ossim",
            "auth_proto": "sha",
            "auth_key": auth,
            "priv_proto": "aes",
            "priv_key": priv,
        },
        PROFILE_V3_SHA256: {
            "version": "v3",
            "user": "ossim-sha256",
            "auth_proto": "sha256",
            "auth_key": auth,
            "priv_proto": "aes256",
            "priv_key": priv,
        },
    }


def usm_users(profiles: Mapping[str, Mapping[str, str]]) -> list[UserConfig]:
    return [
        UserConfig(p["user"], p["auth_proto"], p["auth_key"], p["priv_proto"], p["priv_key"])
        for p in profiles.values()
        if p.get("version") == "v3"
    ]


@dataclass(frozen=True)
class IfState:
    name: str
    if_index: int
    descr: str
    speed_mbps: int
    mac: str
    peer: str | None  # "node:ifname" when the link ends on a lab node


@dataclass(frozen=True)
class NodeState:
    name: str
    long_name: str
    kind: str
    role: str
    site: str
    address: str
    snmp_port: int
    snmp_profile: str
    engine_id: str  # hex
    sys_name: str
    platform: str
    interfaces: tuple[IfState, ...] = ()
    mgmt_via: tuple[str, ...] = ()  # nodes the agent reaches this one through
    # Configuration faces (see lab/sim/README.md): which servers the node runs and how to log in.
    faces: tuple[str, ...] = ()  # "netconf", "cli", "eapi"
    cli_dialect: str = ""  # "eos" | "ios" | "" (no CLI)
    ssh_port: int = 0  # CLI over SSH; 0 when the node has no CLI
    netconf_port: int = 0
    eapi_port: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    host_key: str = ""  # "ssh-ed25519 AAAA..." (the node's SSH host key, for known_hosts)
    netconf_datastore: str = ""  # "candidate" | "running" (writable-running mode)
    # The face the agent changes the node through when it has several ("netconf" | "cli");
    # "" lets lab.engine.config_access choose. ``config_platform`` names the models or dialect
    # that face speaks when it is not the node's platform (netconfd's ietf models on FRR).
    config_face: str = ""
    config_platform: str = ""

    def interface(self, name: str) -> IfState:
        for itf in self.interfaces:
            if itf.name == name:
                return itf
        raise KeyError(f"{self.name} has no interface {name!r}")


@dataclass(frozen=True)
class LabState:
    name: str
    pid: int
    topology_path: str | None
    started: str  # ISO 8601 UTC
    control_socket: str
    profiles: Mapping[str, Mapping[str, str]]
    nodes: tuple[NodeState, ...]
    engine: str = ENGINE
    address_base: str = ""
    snmp_port: int = 0
    workers: int = 1
    worker_pids: tuple[int, ...] = ()
    trap_receivers: tuple[tuple[str, int], ...] = ()
    state_dir: str = ""
    known_hosts: str = ""  # OpenSSH known_hosts with every node's host key, beside state.json
    ssh_config: str = ""  # an ssh_config using it (ncclient's ``ssh_config=``)

    def node(self, name: str) -> NodeState:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node {name!r} in lab {self.name}")

    def to_dict(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict(): asdict deep-copies every value, which takes
        # a second for a 1,000-device lab.
        return {
            "name": self.name,
            "engine": self.engine,
            "pid": self.pid,
            "topology_path": self.topology_path,
            "started": self.started,
            "control_socket": self.control_socket,
            "state_dir": self.state_dir,
            "address_base": self.address_base,
            "snmp_port": self.snmp_port,
            "workers": self.workers,
            "worker_pids": list(self.worker_pids),
            "trap_receivers": [list(t) for t in self.trap_receivers],
            "known_hosts": self.known_hosts,
            "ssh_config": self.ssh_config,
            "profiles": {k: dict(v) for k, v in self.profiles.items()},
            "nodes": [
                {
                    **{f: getattr(n, f) for f in _NODE_FIELDS},
                    "mgmt_via": list(n.mgmt_via),
                    "faces": list(n.faces),
                    "interfaces": [{f: getattr(i, f) for f in _IF_FIELDS} for i in n.interfaces],
                }
                for n in self.nodes
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LabState:
        nodes = tuple(
            NodeState(
                **{k: v for k, v in n.items() if k not in ("interfaces", "mgmt_via", "faces")},
                interfaces=tuple(IfState(**i) for i in n.get("interfaces", ())),
                mgmt_via=tuple(n.get("mgmt_via", ())),
                faces=tuple(n.get("faces", ())),
            )
            for n in d["nodes"]
        )
        return cls(
            name=d["name"],
            pid=int(d["pid"]),
            topology_path=d.get("topology_path"),
            started=d["started"],
            control_socket=d["control_socket"],
            profiles={k: dict(v) for k, v in d["profiles"].items()},
            nodes=nodes,
            engine=d.get("engine", ENGINE),
            address_base=d.get("address_base", ""),
            snmp_port=int(d.get("snmp_port", 0)),
            workers=int(d.get("workers", 1)),
            worker_pids=tuple(int(p) for p in d.get("worker_pids", ())),
            trap_receivers=tuple((str(h), int(p)) for h, p in d.get("trap_receivers", ())),
            state_dir=d.get("state_dir", ""),
            known_hosts=d.get("known_hosts", ""),
            ssh_config=d.get("ssh_config", ""),
        )

    def to_json(self) -> str:
        # Indented for people reading a small lab's file; compact for big labs (a 1,000-device
        # lab is 10 MB indented).
        if len(self.nodes) <= 50:
            return json.dumps(self.to_dict(), indent=2)
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LabState:
        return cls.from_dict(json.loads(text))


_NODE_FIELDS = [f.name for f in fields(NodeState) if f.name not in ("interfaces", "mgmt_via", "faces")]
_IF_FIELDS = [f.name for f in fields(IfState)]


@dataclass(frozen=True)
class FaceInfo:
    """What ``state.json`` says about a node's configuration faces (see lab.sim.runtime)."""

    faces: tuple[str, ...] = ()
    cli_dialect: str = ""
    ssh_port: int = 0
    netconf_port: int = 0
    eapi_port: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    host_key: str = ""
    netconf_datastore: str = ""


def node_state(m: DeviceModel, faces: FaceInfo | None = None) -> NodeState:
    f = faces or FaceInfo()
    return NodeState(
        name=m.name,
        long_name=m.long_name,
        kind=m.kind,
        role=m.role,
        site=m.site,
        address=m.address,
        snmp_port=m.snmp_port,
        snmp_profile=m.snmp_profile,
        engine_id=m.engine_id.hex(),
        sys_name=m.sys_name,
        platform=m.platform,
        mgmt_via=m.mgmt_via,
        faces=f.faces,
        cli_dialect=f.cli_dialect,
        ssh_port=f.ssh_port,
        netconf_port=f.netconf_port,
        eapi_port=f.eapi_port,
        username=f.username,
        password=f.password,
        host_key=f.host_key,
        netconf_datastore=f.netconf_datastore,
        interfaces=tuple(
            IfState(
                name=i.name,
                if_index=i.if_index,
                descr=i.descr,
                speed_mbps=i.speed_mbps,
                mac=i.mac_text,
                peer=f"{i.peer[0]}:{i.peer[1]}" if i.peer else None,
            )
            for i in m.interfaces
        ),
    )


def write_private(path: Path, text: str) -> None:
    """Atomically write a file only its owner can read."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# -- topology <-> JSON (the runner process gets the parsed topology, not the file, so that env
# -- expansion and label merging happen exactly once, in the caller)


def topology_to_dict(t: Topology) -> dict[str, Any]:
    def ep(e: Endpoint) -> dict[str, str]:
        return {"node": e.node, "interface": e.interface, "mac": e.mac, "ipv4": e.ipv4}

    return {
        "name": t.name,
        "prefix": t.prefix,
        "path": str(t.path) if t.path else None,
        "mgmt": dict(t.mgmt),
        "nodes": {
            n.name: {
                "kind": n.kind,
                "image": n.image,
                "type": n.type,
                "group": n.group,
                "mgmt_ipv4": n.mgmt_ipv4,
                "mgmt_ipv6": n.mgmt_ipv6,
                "labels": dict(n.labels),
                # The runner process needs the credentials for the nodes' login faces;
                # config.json is mode 0600 like state.json.
                "credentials": (
                    {"username": n.credentials.username, "password": n.credentials.password}
                    if n.credentials
                    else None
                ),
            }
            for n in t.nodes.values()
        },
        "links": [
            {
                "a": ep(link.a),
                "z": ep(link.z) if link.z is not None else None,
                "type": link.type,
                "mtu": link.mtu,
                "labels": dict(link.labels),
            }
            for link in t.links
        ],
    }


def topology_from_dict(d: Mapping[str, Any]) -> Topology:
    nodes = {
        name: Node(
            name=name,
            kind=n["kind"],
            image=n.get("image", ""),
            type=n.get("type", ""),
            group=n.get("group", ""),
            mgmt_ipv4=n.get("mgmt_ipv4", ""),
            mgmt_ipv6=n.get("mgmt_ipv6", ""),
            labels=dict(n.get("labels", {})),
            credentials=Credentials(**n["credentials"]) if n.get("credentials") else None,
        )
        for name, n in d["nodes"].items()
    }
    links = tuple(
        Link(
            a=Endpoint(**lk["a"]),
            z=Endpoint(**lk["z"]) if lk.get("z") else None,
            type=lk.get("type", "veth"),
            mtu=lk.get("mtu"),
            labels=dict(lk.get("labels", {})),
        )
        for lk in d["links"]
    )
    return Topology(
        name=d["name"],
        nodes=nodes,
        links=links,
        prefix=d.get("prefix", "clab"),
        mgmt=dict(d.get("mgmt") or {}),
        path=Path(d["path"]) if d.get("path") else None,
    )


__all__ = [
    "FaceInfo",
    "IfState",
    "LabState",
    "NodeState",
    "lab_profiles",
    "node_state",
    "topology_from_dict",
    "topology_to_dict",
    "usm_users",
]
