"""The NETCONF (XML) rendering of the canonical configuration, and the schema that edit-config
and subtree filtering work with.

Trees are lxml elements. :func:`to_xml` gives the three top-level elements (``interfaces``,
``sim``, ``system``) in a stable order; :func:`from_xml` parses them back, checking types and
structure (semantic checks are :meth:`DeviceConfig.validate`). Errors carry a NETCONF
``error-tag`` and an ``error-path`` so the server can report them as RFC 6241 rpc-errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from lab.sim.config.model import (
    ConfigError,
    DeviceConfig,
    InterfaceConfig,
    Xconnect,
    check_address,
    check_ipv4,
    check_next_hop,
    check_prefix,
)

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP = "urn:ietf:params:xml:ns:yang:ietf-ip"
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
SIM = "urn:ossagent:params:xml:ns:yang:sim"
SYS = "urn:ietf:params:xml:ns:yang:ietf-system"
PREFIXES = {IF: "if", IP: "ip", SIM: "sim", SYS: "sys", IANA: "ianaift", NC: "nc"}

ETHERNET = "ethernetCsmacd"
L2VLAN = "l2vlan"

Element = Any  # lxml.etree._Element (lxml ships no type information)


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ns_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


# ---------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaNode:
    tag: str  # Clark notation
    kind: str  # "container" | "list" | "leaf"
    key: tuple[str, ...] = ()  # list keys (Clark tags of child leaves)
    children: tuple[SchemaNode, ...] = ()

    def child(self, tag: str) -> SchemaNode | None:
        for c in self.children:
            if c.tag == tag:
                return c
        return None


def _leaf(ns: str, name: str) -> SchemaNode:
    return SchemaNode(q(ns, name), "leaf")


def _list(ns: str, name: str, key: str, *children: SchemaNode) -> SchemaNode:
    return SchemaNode(q(ns, name), "list", (q(ns, key),), children)


def _container(ns: str, name: str, *children: SchemaNode) -> SchemaNode:
    return SchemaNode(q(ns, name), "container", (), children)


INTERFACE = _list(
    IF,
    "interface",
    "name",
    _leaf(IF, "name"),
    _leaf(IF, "description"),
    _leaf(IF, "type"),
    _leaf(IF, "enabled"),
    _container(IP, "ipv4", _list(IP, "address", "ip", _leaf(IP, "ip"), _leaf(IP, "prefix-length"))),
    _leaf(SIM, "vlan-id"),
    _leaf(SIM, "mtu"),
    _container(SIM, "service-policy", _leaf(SIM, "input"), _leaf(SIM, "output")),
)

CONFIG_SCHEMA = SchemaNode(
    q(NC, "config"),
    "container",
    (),
    (
        _container(IF, "interfaces", INTERFACE),
        _container(
            SIM,
            "sim",
            _container(
                SIM, "policers", _list(SIM, "policer", "name", _leaf(SIM, "name"), _leaf(SIM, "rate-mbps"))
            ),
            _container(
                SIM, "routes", _list(SIM, "route", "prefix", _leaf(SIM, "prefix"), _leaf(SIM, "next-hop"))
            ),
            _container(
                SIM,
                "xconnects",
                _list(
                    SIM,
                    "xconnect",
                    "name",
                    _leaf(SIM, "name"),
                    _leaf(SIM, "interface"),
                    _leaf(SIM, "neighbor"),
                    _leaf(SIM, "pw-id"),
                ),
            ),
            _container(
                SIM, "snmp", _list(SIM, "community", "name", _leaf(SIM, "name"), _leaf(SIM, "access"))
            ),
            _container(SIM, "users", _list(SIM, "user", "name", _leaf(SIM, "name"), _leaf(SIM, "password"))),
        ),
        _container(SYS, "system", _leaf(SYS, "hostname")),
    ),
)

# List keys by list tag, for subtree filtering of state data too.
LIST_KEYS: dict[str, tuple[str, ...]] = {}


def _collect_keys(node: SchemaNode) -> None:
    if node.kind == "list":
        LIST_KEYS[node.tag] = node.key
    for c in node.children:
        _collect_keys(c)


_collect_keys(CONFIG_SCHEMA)
LIST_KEYS[q(IF, "interface")] = (q(IF, "name"),)  # interfaces-state/interface too


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class XmlDataError(ConfigError):
    """A problem in XML configuration data, with what an rpc-error needs."""

    def __init__(self, tag: str, message: str, xpath: str = "", bad_element: str = ""):
        super().__init__(message)
        self.tag = tag
        self.xpath = xpath
        self.bad_element = bad_element


def xpath_step(tag: str, keys: Sequence[tuple[str, str]] = ()) -> str:
    """One ``/prefix:name[prefix:key='value']`` step of an error-path."""
    ns, name = ns_of(tag), local(tag)
    pre = PREFIXES.get(ns, "")
    step = f"/{pre}:{name}" if pre else f"/{name}"
    for ktag, value in keys:
        kpre = PREFIXES.get(ns_of(ktag), "")
        step += f"[{kpre}:{local(ktag)}='{value}']" if kpre else f"[{local(ktag)}='{value}']"
    return step


def model_path_to_xpath(path: Sequence[str]) -> str:
    """A :class:`~lab.sim.config.model.Issue` path -> an error-path into the XML model."""
    if not path:
        return ""
    head = path[0]
    if head == "hostname":
        return "/sys:system/sys:hostname"
    if head == "interfaces" and len(path) >= 2:
        out = f"/if:interfaces/if:interface[if:name='{path[1]}']"
        leaf = {
            "description": "/if:description",
            "enabled": "/if:enabled",
            "mtu": "/sim:mtu",
            "vlan": "/sim:vlan-id",
            "ipv4": "/ip:ipv4",
        }
        if len(path) >= 3:
            if path[2] == "service-policy" and len(path) >= 4:
                out += f"/sim:service-policy/sim:{path[3]}"
            elif path[2] == "ipv4" and len(path) >= 4:
                out += f"/ip:ipv4/ip:address[ip:ip='{path[3].split('/')[0]}']"
            else:
                out += leaf.get(path[2], "")
        return out
    lists = {
        "policers": ("policers", "policer", "name"),
        "routes": ("routes", "route", "prefix"),
        "xconnects": ("xconnects", "xconnect", "name"),
        "snmp": ("snmp", "community", "name"),
        "snmp_communities": ("snmp", "community", "name"),
        "users": ("users", "user", "name"),
    }
    if head in lists and len(path) >= 2:
        c, e, k = lists[head]
        out = f"/sim:sim/sim:{c}/sim:{e}[sim:{k}='{path[1]}']"
        if len(path) >= 3:
            out += "/sim:" + {"rate": "rate-mbps"}.get(path[2], path[2])
        return out
    return ""


# ---------------------------------------------------------------------------------------------
# Model -> XML
# ---------------------------------------------------------------------------------------------


def _sub(parent: Element, ns: str, name: str, text: str | None = None) -> Element:
    el = etree.SubElement(parent, q(ns, name))
    if text is not None:
        el.text = text
    return el


def interface_xml(parent: Element, itf: InterfaceConfig, physical: bool) -> Element:
    e = _sub(parent, IF, "interface")
    _sub(e, IF, "name", itf.name)
    if itf.description:
        _sub(e, IF, "description", itf.description)
    t = etree.SubElement(e, q(IF, "type"), nsmap={"ianaift": IANA})
    t.text = "ianaift:" + (ETHERNET if physical else L2VLAN)
    _sub(e, IF, "enabled", "true" if itf.enabled else "false")
    if itf.ipv4:
        v4 = etree.SubElement(e, q(IP, "ipv4"), nsmap={None: IP})
        for a in itf.ipv4:
            ip, _, plen = a.partition("/")
            addr = _sub(v4, IP, "address")
            _sub(addr, IP, "ip", ip)
            _sub(addr, IP, "prefix-length", plen)
    if itf.vlan is not None:
        etree.SubElement(e, q(SIM, "vlan-id"), nsmap={None: SIM}).text = str(itf.vlan)
    if itf.mtu is not None:
        etree.SubElement(e, q(SIM, "mtu"), nsmap={None: SIM}).text = str(itf.mtu)
    if itf.service_policy_in is not None or itf.service_policy_out is not None:
        sp = etree.SubElement(e, q(SIM, "service-policy"), nsmap={None: SIM})
        if itf.service_policy_in is not None:
            _sub(sp, SIM, "input", itf.service_policy_in)
        if itf.service_policy_out is not None:
            _sub(sp, SIM, "output", itf.service_policy_out)
    return e


def to_xml(cfg: DeviceConfig) -> list[Element]:
    """``[interfaces, sim, system]`` for ``cfg``."""
    ifs = etree.Element(q(IF, "interfaces"), nsmap={None: IF})
    for itf in cfg.ordered_interfaces():
        interface_xml(ifs, itf, cfg.is_physical(itf.name))
    sim = etree.Element(q(SIM, "sim"), nsmap={None: SIM})
    pol = _sub(sim, SIM, "policers")
    for name, rate in sorted(cfg.policers.items()):
        p = _sub(pol, SIM, "policer")
        _sub(p, SIM, "name", name)
        if rate is not None:
            _sub(p, SIM, "rate-mbps", str(rate))
    routes = _sub(sim, SIM, "routes")
    for prefix, nh in cfg.routes.items():
        r = _sub(routes, SIM, "route")
        _sub(r, SIM, "prefix", prefix)
        _sub(r, SIM, "next-hop", nh)
    xcs = _sub(sim, SIM, "xconnects")
    for name, xc in sorted(cfg.xconnects.items()):
        x = _sub(xcs, SIM, "xconnect")
        _sub(x, SIM, "name", name)
        if xc.interface:
            _sub(x, SIM, "interface", xc.interface)
        if xc.neighbor:
            _sub(x, SIM, "neighbor", xc.neighbor)
        if xc.pw_id is not None:
            _sub(x, SIM, "pw-id", str(xc.pw_id))
    snmp = _sub(sim, SIM, "snmp")
    for name, access in sorted(cfg.snmp_communities.items()):
        c = _sub(snmp, SIM, "community")
        _sub(c, SIM, "name", name)
        _sub(c, SIM, "access", access)
    users = _sub(sim, SIM, "users")
    for name, secret in sorted(cfg.users.items()):
        u = _sub(users, SIM, "user")
        _sub(u, SIM, "name", name)
        _sub(u, SIM, "password", secret)
    system = etree.Element(q(SYS, "system"), nsmap={None: SYS})
    _sub(system, SYS, "hostname", cfg.hostname)
    return [ifs, sim, system]


def to_text(cfg: DeviceConfig) -> str:
    """The configuration as one pretty-printed ``<config>`` document (for people and diffs)."""
    root = etree.Element(q(NC, "config"), nsmap={None: NC})
    for el in to_xml(cfg):
        root.append(el)
    return str(etree.tostring(root, pretty_print=True, encoding="unicode"))


# ---------------------------------------------------------------------------------------------
# XML -> model
# ---------------------------------------------------------------------------------------------


class _Reader:
    """Walks one element's children, remembering which were read, for unknown-element checks."""

    def __init__(self, el: Element, path: str):
        self.el = el
        self.path = path

    def children(self) -> list[Element]:
        return [c for c in self.el if isinstance(c.tag, str)]

    def check_known(self, allowed: Iterable[str]) -> None:
        ok = set(allowed)
        for c in self.children():
            if c.tag not in ok:
                raise XmlDataError(
                    "unknown-element",
                    f"unknown element {local(c.tag)} (namespace {ns_of(c.tag) or 'none'}) in {local(self.el.tag)}",
                    self.path + xpath_step(c.tag),
                    local(c.tag),
                )

    def leaf(self, ns: str, name: str, required: bool = False) -> str | None:
        found = self.el.findall(q(ns, name))
        if len(found) > 1:
            raise XmlDataError(
                "bad-element", f"{name} appears {len(found)} times", self.path + xpath_step(q(ns, name)), name
            )
        if not found:
            if required:
                raise XmlDataError(
                    "missing-element",
                    f"{local(self.el.tag)} needs a {name}",
                    self.path + xpath_step(q(ns, name)),
                    name,
                )
            return None
        if len(found[0]):
            raise XmlDataError(
                "bad-element",
                f"{name} is a leaf: it has no children",
                self.path + xpath_step(q(ns, name)),
                name,
            )
        return str(found[0].text or "").strip()

    def int_leaf(self, ns: str, name: str, lo: int, hi: int, required: bool = False) -> int | None:
        text = self.leaf(ns, name, required)
        if text is None:
            return None
        if not text.isdigit() or not lo <= int(text) <= hi:
            raise XmlDataError(
                "invalid-value",
                f"{name} {text!r} is not a number between {lo} and {hi}",
                self.path + xpath_step(q(ns, name)),
                name,
            )
        return int(text)

    def checked(self, ns: str, name: str, text: str, check: Any) -> Any:
        try:
            return check(text)
        except ConfigError as exc:
            raise XmlDataError("invalid-value", str(exc), self.path + xpath_step(q(ns, name)), name) from None


def _entry_path(parent_path: str, tag: str, key_tag: str, value: str) -> str:
    return parent_path + xpath_step(tag, [(key_tag, value)])


def _keyed(reader: _Reader, ns: str, entry: str, key: str) -> list[tuple[str, _Reader]]:
    """The entries of a list with their key values; duplicate keys are an error."""
    out: list[tuple[str, _Reader]] = []
    seen: set[str] = set()
    reader.check_known([q(ns, entry)])
    for el in reader.children():
        r = _Reader(el, reader.path + xpath_step(el.tag))
        value = r.leaf(ns, key, required=True) or ""
        r.path = _entry_path(reader.path, el.tag, q(ns, key), value)
        if value in seen:
            raise XmlDataError("bad-element", f"duplicate {entry} {value!r}", r.path, entry)
        seen.add(value)
        out.append((value, r))
    return out


def _identity(el: Element, text: str) -> str:
    """``ianaift:l2vlan`` -> ``l2vlan`` when the prefix means iana-if-type (or is absent)."""
    prefix, sep, name = text.rpartition(":")
    if not sep:
        return text
    ns = el.nsmap.get(prefix)
    return name if ns in (IANA, None) else f"{{{ns}}}{name}"


def from_xml(roots: Iterable[Element], physical: Sequence[str]) -> DeviceConfig:
    """Parse configuration elements (children of ``<config>``/``<data>``) into a new config.
    Ports the data leaves out get their defaults (a port cannot be removed)."""
    cfg = DeviceConfig.factory(physical)
    cfg.hostname = "localhost"
    for root in roots:
        if not isinstance(root.tag, str):
            continue
        if root.tag == q(IF, "interfaces"):
            _interfaces(cfg, _Reader(root, xpath_step(root.tag)))
        elif root.tag == q(SIM, "sim"):
            _sim(cfg, _Reader(root, xpath_step(root.tag)))
        elif root.tag == q(SYS, "system"):
            r = _Reader(root, xpath_step(root.tag))
            r.check_known([q(SYS, "hostname")])
            host = r.leaf(SYS, "hostname")
            if host is not None:
                cfg.hostname = host
        else:
            raise XmlDataError(
                "unknown-element",
                f"unknown top-level element {local(root.tag)} (namespace {ns_of(root.tag) or 'none'})",
                xpath_step(root.tag),
                local(root.tag),
            )
    return cfg


def _interfaces(cfg: DeviceConfig, reader: _Reader) -> None:
    for name, r in _keyed(reader, IF, "interface", "name"):
        r.check_known(c.tag for c in INTERFACE.children)
        physical = cfg.is_physical(name)
        type_el = r.el.find(q(IF, "type"))
        if type_el is None:
            if not physical:
                raise XmlDataError(
                    "missing-element",
                    f"interface {name}: type is mandatory (ianaift:l2vlan for a subinterface)",
                    r.path + "/if:type",
                    "type",
                )
        else:
            kind = _identity(type_el, str(type_el.text or "").strip())
            want = ETHERNET if physical else L2VLAN
            if kind != want:
                raise XmlDataError(
                    "invalid-value",
                    f"interface {name}: type must be ianaift:{want}"
                    + ("" if physical else " (a subinterface)"),
                    r.path + "/if:type",
                    "type",
                )
        if physical:
            itf = cfg.interfaces[name]
        else:
            try:
                itf = cfg.add_subinterface(name)
            except ConfigError as exc:
                raise XmlDataError("invalid-value", str(exc), r.path, "interface") from None
        itf.description = r.leaf(IF, "description") or ""
        enabled = r.leaf(IF, "enabled")
        if enabled not in (None, "true", "false"):
            raise XmlDataError(
                "invalid-value",
                f"enabled must be true or false, not {enabled!r}",
                r.path + "/if:enabled",
                "enabled",
            )
        itf.enabled = enabled != "false"
        itf.vlan = r.int_leaf(SIM, "vlan-id", 0, 2**31)
        itf.mtu = r.int_leaf(SIM, "mtu", 0, 2**31)
        v4 = r.el.find(q(IP, "ipv4"))
        if v4 is not None:
            vr = _Reader(v4, r.path + "/ip:ipv4")
            for ip, ar in _keyed(vr, IP, "address", "ip"):
                ar.check_known([q(IP, "ip"), q(IP, "prefix-length")])
                ar.checked(IP, "ip", ip, lambda t: check_ipv4(t, "address"))
                plen = ar.int_leaf(IP, "prefix-length", 0, 32, required=True)
                itf.ipv4.append(ar.checked(IP, "ip", f"{ip}/{plen}", check_address))
        sp = r.el.find(q(SIM, "service-policy"))
        if sp is not None:
            sr = _Reader(sp, r.path + "/sim:service-policy")
            sr.check_known([q(SIM, "input"), q(SIM, "output")])
            itf.service_policy_in = sr.leaf(SIM, "input")
            itf.service_policy_out = sr.leaf(SIM, "output")


def _sim(cfg: DeviceConfig, reader: _Reader) -> None:
    sections = {
        "policers": "policer",
        "routes": "route",
        "xconnects": "xconnect",
        "snmp": "community",
        "users": "user",
    }
    reader.check_known(q(SIM, s) for s in sections)
    for section, entry in sections.items():
        el = reader.el.find(q(SIM, section))
        if el is None:
            continue
        sr = _Reader(el, reader.path + xpath_step(el.tag))
        key = "prefix" if entry == "route" else "name"
        for name, r in _keyed(sr, SIM, entry, key):
            node = CONFIG_SCHEMA.child(q(SIM, "sim"))
            assert node is not None
            allowed = next(c for c in node.children if local(c.tag) == section).children[0].children
            r.check_known(c.tag for c in allowed)
            if entry == "policer":
                cfg.policers[name] = r.int_leaf(SIM, "rate-mbps", 0, 2**31)
            elif entry == "route":
                prefix = r.checked(SIM, "prefix", name, check_prefix)
                nh = r.leaf(SIM, "next-hop", required=True) or ""
                cfg.routes[prefix] = r.checked(SIM, "next-hop", nh, check_next_hop)
            elif entry == "xconnect":
                nb = r.leaf(SIM, "neighbor")
                cfg.xconnects[name] = Xconnect(
                    interface=r.leaf(SIM, "interface") or "",
                    neighbor=r.checked(SIM, "neighbor", nb, lambda t: check_ipv4(t, "neighbor"))
                    if nb
                    else "",
                    pw_id=r.int_leaf(SIM, "pw-id", 0, 2**32),
                )
            elif entry == "community":
                access = r.leaf(SIM, "access", required=True)
                if access not in ("ro", "rw"):
                    raise XmlDataError(
                        "invalid-value",
                        f"access must be ro or rw, not {access!r}",
                        r.path + "/sim:access",
                        "access",
                    )
                cfg.snmp_communities[name] = access
            else:
                cfg.users[name] = r.leaf(SIM, "password", required=True) or ""
