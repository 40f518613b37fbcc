"""containerlab's generated files, written for every engine so tools that consume
containerlab labs work unchanged: ``clab-<lab>/ansible-inventory.yml``,
``nornir-simple-inventory.yml`` and ``topology-data.json``. The hosts' addresses are where the
lab really answers (loopback for the sim), never the topology file's management addresses.

SNMP credentials are not written into the inventories: hosts name a profile, and the lab's
profiles go to ``ossagent-snmp-profiles.yml`` (mode 0600) beside them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from lab.topology import Topology

PROFILES_FILE = "ossagent-snmp-profiles.yml"

# containerlab's ansible_network_os per kind (docs/manual/inventory.md)
_ANSIBLE_OS = {
    "nokia_srlinux": "nokia.srlinux.srlinux",
    "arista_ceos": "arista.eos.eos",
    "cisco_xrd": "cisco.iosxr.iosxr",
    "juniper_crpd": "junipernetworks.junos.junos",
    "linux": "",
}
_DEFAULT_CREDS = {"nokia_srlinux": ("admin", "NokiaSrl1!"), "arista_ceos": ("admin", "admin")}


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    tmp.replace(path)


def write_artifacts(topology: Topology, nodes: list[dict[str, Any]], profiles: dict[str, Any]) -> Path:
    """``nodes``: per node ``name, long_name, kind, address, snmp_port, snmp_profile, role, site``
    plus optional ``interfaces`` (name, mac, peer). Returns the lab directory."""
    lab_dir = topology.lab_dir
    lab_dir.mkdir(parents=True, exist_ok=True)

    nornir: dict[str, Any] = {}
    ansible_children: dict[str, Any] = {}
    tnodes: dict[str, Any] = {}
    for i, n in enumerate(nodes):
        node = topology.nodes[n["name"]]
        user, password = (
            (node.credentials.username, node.credentials.password)
            if node.credentials
            else _DEFAULT_CREDS.get(node.kind, ("admin", "admin"))
        )
        snmp = {"port": n["snmp_port"], "profile": n["snmp_profile"]}
        # containerlab's connection plugins by name; ports where the node's faces listen
        connection_options: dict[str, Any] = {}
        if n.get("netconf_port"):
            connection_options["netconf"] = {"port": n["netconf_port"]}
        if n.get("ssh_port"):
            connection_options["netmiko"] = {"port": n["ssh_port"]}
        if n.get("eapi_port"):
            connection_options["napalm"] = {
                "port": n["eapi_port"],
                "extras": {"optional_args": {"transport": "http"}},
            }
        nornir[n["name"]] = {
            "username": user,
            "password": password,
            # The NOS that answers (FRR for the netns engine's stand-ins), else the kind.
            "platform": n.get("nornir_platform") or node.kind,
            "hostname": n["address"],
            "groups": [node.kind],
            "connection_options": connection_options,
            "data": {
                "role": n.get("role", ""),
                "site": n.get("site", ""),
                "snmp": snmp,
                "mgmt_via": list(n.get("mgmt_via", [])),
                # which connection the agent changes the node through, and its models/dialect
                **({"config_face": n["config_face"]} if n.get("config_face") else {}),
                **({"config_platform": n["config_platform"]} if n.get("config_platform") else {}),
            },
        }
        group = ansible_children.setdefault(
            node.kind,
            {"vars": {"ansible_network_os": _ANSIBLE_OS.get(node.kind, "")}, "hosts": {}},
        )
        group["hosts"][n["long_name"]] = {
            "ansible_host": n["address"],
            "ansible_user": user,
            "ansible_password": password,
            "ossagent_snmp_port": n["snmp_port"],
            "ossagent_snmp_profile": n["snmp_profile"],
            "ossagent_role": n.get("role", ""),
            "ossagent_site": n.get("site", ""),
            "ossagent_mgmt_via": ",".join(n.get("mgmt_via", [])),
            **({"ansible_port": n["ssh_port"]} if n.get("ssh_port") else {}),
            **({"ossagent_netconf_port": n["netconf_port"]} if n.get("netconf_port") else {}),
        }
        tnodes[n["name"]] = {
            "index": str(i),
            "shortname": n["name"],
            "longname": n["long_name"],
            "fqdn": f"{n['name']}.{topology.name}.io",
            "group": node.group,
            "labdir": str(lab_dir / n["name"]),
            "kind": node.kind,
            "image": node.image,
            "mgmt-net": str(topology.mgmt.get("network", "clab")),
            "mgmt-intf": "",
            "mgmt-ipv4-address": n["address"],
            "mgmt-ipv4-prefix-length": 32,
            "mgmt-ipv6-address": "",
            "mgmt-ipv6-prefix-length": 0,
            "labels": {
                "clab-mgmt-net-bridge": "",
                "clab-node-group": node.group,
                "clab-node-kind": node.kind,
                "clab-node-lab-dir": str(lab_dir / n["name"]),
                "clab-node-name": n["name"],
                "clab-node-type": node.type,
                "clab-topo-file": str(topology.path or ""),
                "containerlab": topology.name,
                **dict(node.labels),
            },
        }
    links = []
    macs = {(n["name"], i["name"]): i.get("mac", "") for n in nodes for i in n.get("interfaces", [])}
    for link in topology.links:
        if link.z is None:
            continue
        a, z = link.a, link.z
        links.append(
            {
                "a": {
                    "node": a.node,
                    "interface": a.interface,
                    "mac": macs.get((a.node, a.interface), ""),
                    "peer": "z",
                },
                "z": {
                    "node": z.node,
                    "interface": z.interface,
                    "mac": macs.get((z.node, z.interface), ""),
                    "peer": "a",
                },
            }
        )
    topology_data = {
        "name": topology.name,
        "type": "clab",
        "clab": {"config": {"prefix": topology.prefix, "mgmt": dict(topology.mgmt)}},
        "nodes": tnodes,
        "links": links,
    }
    _write(lab_dir / "nornir-simple-inventory.yml", yaml.safe_dump(nornir, sort_keys=False))
    _write(
        lab_dir / "ansible-inventory.yml",
        yaml.safe_dump({"all": {"children": ansible_children}}, sort_keys=False),
    )
    _write(lab_dir / "topology-data.json", json.dumps(topology_data, indent=2))
    _write(lab_dir / PROFILES_FILE, yaml.safe_dump({"profiles": profiles}, sort_keys=False), mode=0o600)
    return lab_dir
