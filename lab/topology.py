"""Reading containerlab topology files (``*.clab.yml``).

Follows containerlab's rules: property precedence node -> group -> kind -> defaults, labels and
env merged with the most specific level winning, ``credentials`` taken whole from the most
specific level that sets it, ``${VAR}`` / ``${VAR:-default}`` / ``${VAR:=default}`` expansion,
brief (``"node:iface"``, split on the first colon) and extended link forms, and kind aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inventory.envsubst import expand_tree

KIND_ALIASES = {
    "srl": "nokia_srlinux",
    "ceos": "arista_ceos",
    "crpd": "juniper_crpd",
    "xrd": "cisco_xrd",
    "vr-sros": "nokia_sros",
    "vr-vmx": "juniper_vmx",
    "vr-veos": "arista_veos",
    "vr-csr": "cisco_csr1000v",
    "vr-n9kv": "cisco_n9kv",
    "vr-xrv9k": "cisco_xrv9k",
    "vr-vsrx": "juniper_vsrx",
    "sonic": "sonic-vs",
}

# Pseudo-nodes of the brief link form: they are not lab nodes.
PSEUDO_NODES = {"host", "mgmt-net", "macvlan"}

_NODE_KEYS = (
    "kind",
    "type",
    "image",
    "startup-config",
    "mgmt-ipv4",
    "mgmt-ipv6",
    "network-mode",
    "cmd",
    "entrypoint",
    "user",
    "hostname",
    "cpu",
    "memory",
)


class TopologyError(ValueError):
    """The file is not a topology we can use; the message says where and why."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    image: str = ""
    type: str = ""
    group: str = ""
    mgmt_ipv4: str = ""
    mgmt_ipv6: str = ""
    startup_config: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    credentials: Credentials | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def label(self, key: str, default: str = "") -> str:
        return str(self.labels.get(key, default))


@dataclass(frozen=True)
class Endpoint:
    node: str
    interface: str
    mac: str = ""
    ipv4: str = ""

    @property
    def is_pseudo(self) -> bool:
        return self.node in PSEUDO_NODES

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True)
class Link:
    a: Endpoint
    z: Endpoint | None  # None for single-endpoint link types (dummy, host, mgmt-net, ...)
    type: str = "veth"
    mtu: int | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def endpoints(self) -> tuple[Endpoint, ...]:
        return (self.a,) if self.z is None else (self.a, self.z)


@dataclass(frozen=True)
class Topology:
    name: str
    nodes: Mapping[str, Node]
    links: tuple[Link, ...]
    prefix: str = "clab"
    mgmt: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def lab_dir(self) -> Path:
        """containerlab's ``clab-<name>/`` folder next to the topology file."""
        base = self.path.parent if self.path else Path.cwd()
        return base / f"clab-{self.name}"

    def long_name(self, node: str) -> str:
        if self.prefix == "":
            return node
        if self.prefix == "__lab-name":
            return f"{self.name}-{node}"
        return f"{self.prefix}-{self.name}-{node}"

    def links_of(self, node: str) -> list[tuple[Endpoint, Endpoint | None]]:
        """(local endpoint, remote endpoint) for every link that touches ``node``."""
        out: list[tuple[Endpoint, Endpoint | None]] = []
        for link in self.links:
            if link.a.node == node:
                out.append((link.a, link.z))
            if link.z is not None and link.z.node == node:
                out.append((link.z, link.a))
        return out


def normalise_kind(kind: str) -> str:
    return KIND_ALIASES.get(kind, kind)


def _magic(obj: Any, node: str, lab: str, lab_dir: str) -> Any:
    if isinstance(obj, str):
        return (
            obj.replace("__clabNodeName__", node)
            .replace("__clabLabName__", lab)
            .replace("__clabNodeDir__", f"{lab_dir}/{node}")
            .replace("__clabDir__", lab_dir)
        )
    if isinstance(obj, list):
        return [_magic(x, node, lab, lab_dir) for x in obj]
    if isinstance(obj, dict):
        return {k: _magic(v, node, lab, lab_dir) for k, v in obj.items()}
    return obj


def _mapping(obj: Any, where: str) -> dict[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise TopologyError(f"{where}: expected a mapping, got {type(obj).__name__}")
    return obj


def _str_map(obj: Any, where: str) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in _mapping(obj, where).items()}


def _credentials(obj: Any, where: str) -> Credentials | None:
    if obj is None:
        return None
    m = _mapping(obj, where)
    if "username" not in m:
        raise TopologyError(f"{where}: credentials need a username")
    return Credentials(str(m["username"]), str(m.get("password", "")))


def _endpoint_brief(text: Any, where: str) -> Endpoint:
    if not isinstance(text, str) or ":" not in text:
        raise TopologyError(f"{where}: endpoint must be 'node:interface', got {text!r}")
    node, iface = text.split(":", 1)  # interface aliases such as ethernet-1/1 or 1/1/c1/1
    if not node or not iface:
        raise TopologyError(f"{where}: endpoint must be 'node:interface', got {text!r}")
    return Endpoint(node, iface)


def _endpoint_ext(obj: Any, where: str) -> Endpoint:
    if isinstance(obj, str):
        return _endpoint_brief(obj, where)
    m = _mapping(obj, where)
    if "node" not in m or "interface" not in m:
        raise TopologyError(f"{where}: endpoint needs 'node' and 'interface'")
    return Endpoint(str(m["node"]), str(m["interface"]), str(m.get("mac", "")), str(m.get("ipv4", "")))


def _parse_link(raw: Any, i: int) -> Link:
    where = f"topology.links[{i}]"
    m = _mapping(raw, where)
    ltype = str(m.get("type", "veth" if "endpoints" in m else ""))
    mtu = int(m["mtu"]) if "mtu" in m else None
    vars_ = _mapping(m.get("vars"), f"{where}.vars")
    labels = _str_map(m.get("labels"), f"{where}.labels")
    if "endpoints" in m:
        eps = m["endpoints"]
        if not isinstance(eps, list) or len(eps) != 2:
            raise TopologyError(f"{where}.endpoints: a link has exactly two endpoints")
        brief = "type" not in m
        parse = _endpoint_brief if brief else _endpoint_ext
        a = parse(eps[0], f"{where}.endpoints[0]")
        z = parse(eps[1], f"{where}.endpoints[1]")
        ipv4 = m.get("ipv4")
        if isinstance(ipv4, list) and len(ipv4) == 2:
            a = Endpoint(a.node, a.interface, a.mac, a.ipv4 or str(ipv4[0]))
            z = Endpoint(z.node, z.interface, z.mac, z.ipv4 or str(ipv4[1]))
        return Link(a, z, ltype or "veth", mtu, vars_, labels)
    if "endpoint" in m:
        return Link(_endpoint_ext(m["endpoint"], f"{where}.endpoint"), None, ltype, mtu, vars_, labels)
    raise TopologyError(f"{where}: needs 'endpoints' (or 'endpoint' for single-ended types)")


def parse_topology(text: str, path: Path | None = None, env: Mapping[str, str] | None = None) -> Topology:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TopologyError(f"not valid YAML: {exc}") from exc
    doc = expand_tree(_mapping(raw, "topology file"), env)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise TopologyError("'name' is required")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise TopologyError(f"'name' {name!r} must be letters, digits, '.', '_' or '-'")
    topo = _mapping(doc.get("topology"), "topology")
    defaults = _mapping(topo.get("defaults"), "topology.defaults")
    kinds = _mapping(topo.get("kinds"), "topology.kinds")
    groups = _mapping(topo.get("groups"), "topology.groups")
    raw_nodes = _mapping(topo.get("nodes"), "topology.nodes")
    if not raw_nodes:
        raise TopologyError("topology.nodes: a lab needs at least one node")
    lab_dir = str((path.parent if path else Path.cwd()) / f"clab-{name}")

    nodes: dict[str, Node] = {}
    for node_name, raw_node in raw_nodes.items():
        node_name = str(node_name)
        where = f"topology.nodes.{node_name}"
        if node_name in PSEUDO_NODES:
            raise TopologyError(f"{where}: '{node_name}' is reserved for pseudo-nodes")
        nd = _magic(_mapping(raw_node, where), node_name, name, lab_dir)
        group_name = str(nd.get("group", ""))
        if group_name and group_name not in groups:
            raise TopologyError(f"{where}.group: no group named {group_name!r}")
        grp = _magic(
            _mapping(groups.get(group_name), f"topology.groups.{group_name}"), node_name, name, lab_dir
        )
        kind_raw = nd.get("kind") or grp.get("kind") or defaults.get("kind")
        if not kind_raw:
            raise TopologyError(f"{where}: no kind (set it on the node, its group or the defaults)")
        kind = normalise_kind(str(kind_raw))
        knd = _magic(
            _mapping(kinds.get(kind) or kinds.get(str(kind_raw)), f"topology.kinds.{kind}"),
            node_name,
            name,
            lab_dir,
        )
        dfl = _magic(defaults, node_name, name, lab_dir)
        levels = (nd, grp, knd, dfl)  # most specific first

        def pick(key: str, levels: tuple[dict[str, Any], ...] = levels) -> str:
            for level in levels:
                if level.get(key) not in (None, ""):
                    return str(level[key])
            return ""

        labels: dict[str, str] = {}
        env_: dict[str, str] = {}
        for level in reversed(levels):
            labels.update(_str_map(level.get("labels"), f"{where}.labels"))
            env_.update(_str_map(level.get("env"), f"{where}.env"))
        creds = None
        for i, level in enumerate(levels):
            if level.get("credentials") is not None:
                creds = _credentials(level["credentials"], f"{where} (level {i}).credentials")
                break
        extra = {
            k: v for k, v in nd.items() if k not in (*_NODE_KEYS, "labels", "env", "credentials", "group")
        }
        nodes[node_name] = Node(
            name=node_name,
            kind=kind,
            image=pick("image"),
            type=pick("type"),
            group=group_name,
            mgmt_ipv4=pick("mgmt-ipv4"),
            mgmt_ipv6=pick("mgmt-ipv6"),
            startup_config=pick("startup-config"),
            labels=labels,
            env=env_,
            credentials=creds,
            extra=extra,
        )

    raw_links = topo.get("links") or []
    if not isinstance(raw_links, list):
        raise TopologyError("topology.links: expected a list")
    links = tuple(_parse_link(raw, i) for i, raw in enumerate(raw_links))
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links):
        for ep in link.endpoints():
            if ep.is_pseudo:
                continue
            if ep.node not in nodes:
                raise TopologyError(f"topology.links[{i}]: endpoint {ep} names an unknown node {ep.node!r}")
            key = (ep.node, ep.interface)
            if key in seen:
                raise TopologyError(
                    f"topology.links[{i}]: interface {ep} is already used by link {seen[key]}"
                )
            seen[key] = i
    prefix = doc.get("prefix", "clab")
    return Topology(
        name=name,
        nodes=nodes,
        links=links,
        prefix="" if prefix is None else str(prefix),
        mgmt=_mapping(doc.get("mgmt"), "mgmt"),
        path=path,
    )


def load_topology(path: str | Path, env: Mapping[str, str] | None = None) -> Topology:
    p = Path(path).resolve()
    try:
        text = p.read_text()
    except OSError as exc:
        raise TopologyError(f"cannot read {p}: {exc.strerror}") from exc
    return parse_topology(text, p, env)


def is_topology_document(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("topology"), dict) and "name" in doc
