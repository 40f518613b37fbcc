"""Inventory files users already have -> InventoryHost entries.

Accepted: Nornir SimpleInventory (``hosts.yaml`` with optional ``groups.yaml`` and
``defaults.yaml`` beside it), containerlab's generated ``nornir-simple-inventory.yml`` and
``ansible-inventory.yml``, and containerlab topology files (resolved through the running lab,
because the management addresses in a topology file are never dialled).

SNMP settings per host live in ``data.snmp`` (Nornir) or ``ossagent_snmp_*`` variables
(Ansible): either ``profile: <name>`` or inline ``version``/``community``/``user``/keys, and
``port``. Secrets may be ``${ENV_VAR}`` references. A file ``ossagent-snmp-profiles.yml``
beside the inventory (written by ``ossagent lab up``) supplies named profiles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inventory.choices import SnmpAuthProto, SnmpPrivProto, SnmpVersion
from inventory.domain import ConfigAccessSpec, InventoryHost, Secret, SnmpCredentials
from inventory.envsubst import expand_tree

PROFILES_FILE = "ossagent-snmp-profiles.yml"
_VERSIONS = {
    "v2c": SnmpVersion.V2C,
    "2c": SnmpVersion.V2C,
    "2": SnmpVersion.V2C,
    "v3": SnmpVersion.V3,
    "3": SnmpVersion.V3,
}


class ImportError_(ValueError):
    """The file cannot be imported; the message names the file and the entry at fault."""


@dataclass
class ImportPlan:
    format: str
    hosts: list[InventoryHost] = field(default_factory=list)
    profiles: dict[str, SnmpCredentials] = field(default_factory=dict)


TopologyResolver = Callable[[Path], ImportPlan]


def credentials_from_mapping(m: Mapping[str, Any], where: str) -> SnmpCredentials:
    version = _VERSIONS.get(str(m.get("version", "v2c")).lower())
    try:
        if version is SnmpVersion.V2C:
            community = m.get("community")
            if not community:
                raise ImportError_(f"{where}: SNMP v2c needs a community")
            return SnmpCredentials.v2c(str(community))
        if version is SnmpVersion.V3:
            return SnmpCredentials(
                SnmpVersion.V3,
                user=str(m.get("user", "")) or None,
                auth_proto=SnmpAuthProto(str(m.get("auth_proto", "sha")).lower().replace("-", "")),
                auth_key=Secret(str(m["auth_key"])) if m.get("auth_key") else None,
                priv_proto=SnmpPrivProto(str(m.get("priv_proto", "aes")).lower().replace("-", "")),
                priv_key=Secret(str(m["priv_key"])) if m.get("priv_key") else None,
            )
    except ValueError as exc:
        raise ImportError_(f"{where}: {exc}") from exc
    raise ImportError_(f"{where}: unknown SNMP version {m.get('version')!r} (v2c or v3)")


def _load_yaml(path: Path) -> Any:
    try:
        return expand_tree(yaml.safe_load(path.read_text()))
    except OSError as exc:
        raise ImportError_(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ImportError_(f"{path}: not valid YAML: {exc}") from exc


def _profiles_beside(path: Path) -> dict[str, SnmpCredentials]:
    pf = path.parent / PROFILES_FILE
    if not pf.exists():
        return {}
    doc = _load_yaml(pf) or {}
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(profiles, dict):
        raise ImportError_(f"{pf}: expected a 'profiles' mapping")
    return {str(n): credentials_from_mapping(p, f"{pf}: profile {n}") for n, p in profiles.items()}


def _snmp_of(
    name: str, snmp: Mapping[str, Any], where: str
) -> tuple[int, str | None, SnmpCredentials | None]:
    port = int(snmp.get("port", 161))
    if not 0 < port < 65536:
        raise ImportError_(f"{where}: SNMP port {port} out of range")
    profile = str(snmp["profile"]) if snmp.get("profile") else None
    if any(snmp.get(k) for k in ("community", "user", "version")):
        return port, profile, credentials_from_mapping(snmp, where)
    return port, profile, None


# ---------------------------------------------------------------- Nornir SimpleInventory
def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if k == "data" and isinstance(v, dict):
            out["data"] = {**out.get("data", {}), **v}
        elif k == "connection_options" and isinstance(v, dict):
            out["connection_options"] = {**out.get("connection_options", {}), **v}
        elif v is not None:
            out[k] = v
    return out


def _nornir_resolved(
    host: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Host -> groups (in order, recursively) -> defaults, most specific wins."""
    chain: list[Mapping[str, Any]] = []

    def walk(names: list[str], depth: int = 0) -> None:
        if depth > 10:
            raise ImportError_("Nornir groups nest more than 10 deep (a cycle?)")
        for g in names:
            grp = groups.get(g)
            if isinstance(grp, dict):
                chain.append(grp)
                walk(list(grp.get("groups") or []), depth + 1)

    walk(list(host.get("groups") or []))
    merged: dict[str, Any] = dict(defaults)
    for level in reversed(chain):
        merged = _merge(merged, level)
    return _merge(merged, host)


def parse_nornir(path: Path, doc: Mapping[str, Any]) -> ImportPlan:
    groups = _load_yaml(path.parent / "groups.yaml") if (path.parent / "groups.yaml").exists() else {}
    defaults = _load_yaml(path.parent / "defaults.yaml") if (path.parent / "defaults.yaml").exists() else {}
    plan = ImportPlan("nornir", profiles=_profiles_beside(path))
    for name, raw in doc.items():
        where = f"{path}: host {name}"
        if not isinstance(raw, dict):
            raise ImportError_(f"{where}: expected a mapping")
        h = _nornir_resolved(raw, groups or {}, defaults or {})
        hostname = h.get("hostname")
        if not hostname:
            raise ImportError_(f"{where}: no hostname")
        data = h.get("data") or {}
        snmp = dict((h.get("connection_options") or {}).get("snmp") or {})
        snmp.update(snmp.pop("extras", None) or {})
        snmp.update(data.get("snmp") or {})
        port, profile, creds = _snmp_of(str(name), snmp, where)
        plan.hosts.append(
            InventoryHost(
                config_access=_config_access(h, where, data),
                name=str(name),
                host=str(hostname),
                snmp_port=port,
                platform=str(h.get("platform") or ""),
                role=str(data.get("role", "")),
                site=str(data.get("site", "")),
                snmp_profile=profile,
                snmp=creds,
                mgmt_via=_names(data.get("mgmt_via")),
            )
        )
    return plan


# containerlab kinds and NOS names -> ossagent platforms (template flavours, CLI dialects)
_PLATFORMS = {"nokia_srlinux": "srlinux", "srlinux": "srlinux", "arista_ceos": "eos", "eos": "eos",
              "arista_eos": "eos", "cisco_xrd": "iosxr", "iosxr": "iosxr", "juniper_crpd": "junos", "junos": "junos",
              "linux": "frr", "frr": "frr", "cisco_ios": "ios", "ios": "ios"}  # fmt: skip


_PLUGINS = (("netconf", "netconf"), ("netmiko", "cli"), ("napalm", "napalm"))


def _config_access(
    h: Mapping[str, Any], where: str, data: Mapping[str, Any] | None = None
) -> ConfigAccessSpec | None:
    """Configuration access from a Nornir host's connection options (netconf, netmiko, napalm):
    the one ``data.config_face`` names, else NETCONF first, except on FRR, which is changed
    through vtysh (netmiko) where it has both. ``data.config_platform`` names the models or
    dialect of that face when they are not the host's platform (netconfd beside FRR: ietf)."""
    data = data or {}
    opts = h.get("connection_options") or {}
    platform = _PLATFORMS.get(str(h.get("platform") or ""), str(h.get("platform") or ""))
    face = str(data.get("config_face") or ("cli" if platform == "frr" else ""))
    plugins = sorted(_PLUGINS, key=lambda p: p[1] != face)  # stable: the named face first
    for plugin, driver in plugins:
        o = opts.get(plugin)
        if not isinstance(o, dict) or not o.get("port"):
            continue
        user = o.get("username") or h.get("username")
        password = o.get("password") or h.get("password")
        if not user or not password:
            raise ImportError_(f"{where}: {plugin} access needs a username and a password")
        extras = {str(k): str(v) for k, v in (o.get("extras") or {}).items() if isinstance(v, str | int)}
        speaks = str(data.get("config_platform") or platform) if driver == face else platform
        return ConfigAccessSpec(driver, speaks, int(o["port"]), str(user), Secret(str(password)), extras)
    return None


def _names(value: Any) -> tuple[str, ...]:
    """A list, or a comma-separated string, of device names."""
    if not value:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(v).strip() for v in items if str(v).strip())


# ---------------------------------------------------------------- Ansible YAML inventory
def parse_ansible(path: Path, doc: Mapping[str, Any]) -> ImportPlan:
    plan = ImportPlan("ansible", profiles=_profiles_beside(path))
    short = _short_names(path)
    hosts: dict[str, dict[str, Any]] = {}

    def walk(group: Mapping[str, Any], inherited: Mapping[str, Any], depth: int = 0) -> None:
        if depth > 10:
            raise ImportError_(f"{path}: groups nest more than 10 deep")
        gvars = {**inherited, **(group.get("vars") or {})}
        for hname, hvars in (group.get("hosts") or {}).items():
            hosts[str(hname)] = {**hosts.get(str(hname), {}), **gvars, **(hvars or {})}
        for child in (group.get("children") or {}).values():
            walk(child or {}, gvars, depth + 1)

    walk(doc.get("all") or {}, {})
    for hname, v in hosts.items():
        where = f"{path}: host {hname}"
        snmp = {k[len("ossagent_snmp_") :]: val for k, val in v.items() if k.startswith("ossagent_snmp_")}
        port, profile, creds = _snmp_of(hname, snmp, where)
        plan.hosts.append(
            InventoryHost(
                name=short.get(hname, hname),
                host=str(v.get("ansible_host") or hname),
                snmp_port=port,
                platform=str(v.get("ansible_network_os") or ""),
                role=str(v.get("ossagent_role", "")),
                site=str(v.get("ossagent_site", "")),
                snmp_profile=profile,
                snmp=creds,
                mgmt_via=tuple(short.get(x, x) for x in _names(v.get("ossagent_mgmt_via"))),
            )
        )
    return plan


def _short_names(path: Path) -> dict[str, str]:
    """containerlab long names (clab-<lab>-<node>) -> node names, from topology-data.json."""
    tdata = path.parent / "topology-data.json"
    if not tdata.exists():
        return {}
    try:
        nodes = json.loads(tdata.read_text()).get("nodes", {})
    except (OSError, ValueError):
        return {}
    return {str(n.get("longname")): str(short) for short, n in nodes.items() if isinstance(n, dict)}


# ---------------------------------------------------------------- dispatch
def load_inventory_file(path: Path, resolve_topology: TopologyResolver | None = None) -> ImportPlan:
    doc = _load_yaml(path)
    if not isinstance(doc, dict) or not doc:
        raise ImportError_(f"{path}: empty or not a mapping")
    if isinstance(doc.get("topology"), dict) and "name" in doc:
        if resolve_topology is None:
            raise ImportError_(f"{path}: a containerlab topology needs a running lab to import from")
        return resolve_topology(path)
    if isinstance(doc.get("all"), dict):
        return parse_ansible(path, doc)
    return parse_nornir(path, doc)
