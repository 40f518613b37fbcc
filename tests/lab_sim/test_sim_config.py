"""The canonical configuration model and its syntaxes, without servers: rendering, parsing,
validation, diff, XML round trips, RFC 6242 framing, subtree filters and edit-config."""

from __future__ import annotations

import pytest
from lxml import etree

from lab.sim.config import eos, ios
from lab.sim.config import xml as xmlmodel
from lab.sim.config.eos import EosSyntax
from lab.sim.config.ios import IosSyntax
from lab.sim.config.model import ConfigError, DeviceConfig, InterfaceConfig, Xconnect
from lab.sim.config.syntax import TOP, CommandError, section
from lab.sim.netconf.edit import Editor, new_root, run_edit
from lab.sim.netconf.errors import RpcError
from lab.sim.netconf.filter import apply_filter
from lab.sim.netconf.framing import Framer, FramingError, frame

PORTS = ["Ethernet1", "Ethernet2", "Ethernet3", "Management0"]

EXPECTED_EOS = """\
! device: acc1 (cEOSLab, EOS-4.32.0F)
!
hostname acc1
!
username admin privilege 15 secret 0 admin-pass
!
snmp-server community public ro
!
policy-map CUST-42-100M
   police rate 100 mbps
!
interface Ethernet1
   description to pe1 ethernet-1/3
!
interface Ethernet2
!
interface Ethernet3
   description CUST-42 access
   shutdown
!
interface Ethernet3.100
   description SVC-1001 internet
   encapsulation dot1q vlan 100
   ip address 192.0.2.1/30
   service-policy input CUST-42-100M
!
interface Ethernet3.200
   encapsulation dot1q vlan 200
!
interface Management0
!
ip route 203.0.113.0/24 192.0.2.2
!
l2vpn xconnect SVC-7
   interface Ethernet3.200
   neighbor 10.255.0.2 pw-id 7
!
end
"""


def resolve(name: str) -> str | None:
    aliases = {"Et1": "Ethernet1", "Et2": "Ethernet2", "Et3": "Ethernet3", "Ma0": "Management0"}
    base, dot, n = name.rpartition(".")
    if dot and n.isdigit():
        parent = aliases.get(base, base)
        return f"{parent}.{n}" if parent in PORTS else None
    name = aliases.get(name, name)
    return name if name in PORTS else None


def sample() -> DeviceConfig:
    cfg = DeviceConfig.factory(PORTS, hostname="acc1")
    cfg.users["admin"] = "admin-pass"
    cfg.snmp_communities["public"] = "ro"
    cfg.policers["CUST-42-100M"] = 100
    cfg.interfaces["Ethernet1"].description = "to pe1 ethernet-1/3"
    cfg.interfaces["Ethernet3"] = InterfaceConfig("Ethernet3", description="CUST-42 access", enabled=False)
    cfg.interfaces["Ethernet3.100"] = InterfaceConfig(
        "Ethernet3.100",
        description="SVC-1001 internet",
        vlan=100,
        ipv4=["192.0.2.1/30"],
        service_policy_in="CUST-42-100M",
    )
    cfg.interfaces["Ethernet3.200"] = InterfaceConfig("Ethernet3.200", vlan=200)
    cfg.routes["203.0.113.0/24"] = "192.0.2.2"
    cfg.xconnects["SVC-7"] = Xconnect("Ethernet3.200", "10.255.0.2", 7)
    return cfg


def test_eos_rendering_is_exactly_the_documented_syntax() -> None:
    assert eos.render(sample()) == EXPECTED_EOS


def test_eos_text_parses_back_to_the_same_model() -> None:
    cfg = sample().clean()
    EosSyntax(resolve).apply_text(cfg, EXPECTED_EOS)
    assert cfg == sample()
    assert cfg.diff(sample()) == []


def test_eos_lines_without_indentation_fall_back_to_the_top_level() -> None:
    cfg = DeviceConfig.factory(PORTS, hostname="x")
    syntax = EosSyntax(resolve)
    mode = TOP
    for line in [
        "interface Et3.100",
        "description a b  c",
        "encapsulation dot1q vlan 100",
        "ip route 10.0.0.0/8 Null0",
    ]:
        mode = syntax.apply(cfg, mode, line)
    assert mode == TOP
    assert cfg.interfaces["Ethernet3.100"].description == "a b  c"
    assert cfg.routes == {"10.0.0.0/8": "Null0"}
    with pytest.raises(CommandError, match="Invalid input"):
        syntax.apply(cfg, TOP, "frobnicate now")


def test_validation_messages() -> None:
    cfg = sample()
    cfg.interfaces["Ethernet3.100"].service_policy_in = "NOPE"
    cfg.interfaces["Ethernet3.300"] = InterfaceConfig("Ethernet3.300", vlan=100)
    cfg.interfaces["Ethernet2.5"] = InterfaceConfig("Ethernet2.5", vlan=5000)
    cfg.interfaces["Ethernet2.6"] = InterfaceConfig("Ethernet2.6")
    cfg.xconnects["X"] = Xconnect("Ethernet2.99", "10.0.0.1", 1)
    with pytest.raises(ConfigError) as exc:
        cfg.validate()
    text = str(exc.value)
    assert "service-policy input NOPE: unknown policer" in text
    assert "VLAN 100 is already used by Ethernet3.100 on Ethernet3" in text
    assert "VLAN 5000 out of range (1-4094)" in text
    assert "Ethernet2.6: a subinterface needs a VLAN" in text
    assert "xconnect X: interface Ethernet2.99 does not exist" in text
    cfg.interfaces["Ethernet2.6"].vlan = 6
    # Completeness checks are only for commits; references and ranges always count.
    assert [i for i in cfg.issues(strict=False) if "needs a VLAN" in i.message] == []
    with pytest.raises(ConfigError, match="cannot delete physical interface Ethernet1"):
        cfg.delete_interface("Ethernet1")
    with pytest.raises(ConfigError, match=r"in use by interface Ethernet3\.100"):
        sample().delete_policer("CUST-42-100M")
    with pytest.raises(ConfigError, match="used by xconnect SVC-7"):
        sample().delete_interface("Ethernet3.200")
    with pytest.raises(ConfigError, match="bad prefix"):
        EosSyntax(resolve).apply(sample(), TOP, "ip route 10.0.0.1/8 Null0")


def test_diff_is_structured() -> None:
    a, b = sample(), sample()
    b.interfaces["Ethernet1"].description = "changed"
    del b.routes["203.0.113.0/24"]
    b.policers["NEW"] = 5
    changes = {"/".join(c.path): c for c in a.diff(b)}
    assert changes["interfaces/Ethernet1/description"].kind == "changed"
    assert changes["routes/203.0.113.0/24"].kind == "removed"
    assert changes["policers/NEW"].new == 5
    c = a.copy()
    assert c == a and c is not a and c.interfaces is not a.interfaces


def test_frr_rendering_and_lines() -> None:
    cfg = DeviceConfig.factory(["eth0", "eth1", "eth2"], hostname="r1")
    syntax = IosSyntax(lambda n: n if n in ("eth0", "eth1", "eth2") else None)
    mode = TOP
    for line in [
        "interface eth1",
        " description to r2",
        " ip address 10.0.12.1/30",
        " shutdown",
        "exit",
        "ip route 192.0.2.0/24 Null0",
    ]:
        mode = syntax.apply(cfg, mode, line)
    assert ios.render(cfg) == (
        "frr version 8.4.4\nfrr defaults traditional\nhostname r1\n!\n"
        "interface eth1\n description to r2\n ip address 10.0.12.1/30\n shutdown\nexit\n!\n"
        "ip route 192.0.2.0/24 Null0\n!\nend\n"
    )
    with pytest.raises(CommandError, match="% Unknown command: policy-map X"):
        syntax.apply(cfg, TOP, "policy-map X")
    again = cfg.clean()
    syntax.apply_text(again, ios.render(cfg))
    again.hostname = "r1"
    assert again == cfg


def test_section_filter() -> None:
    out = section(EXPECTED_EOS, "Ethernet3.100")
    assert out.startswith("interface Ethernet3.100\n") and "service-policy input" in out
    assert "hostname" not in out


def test_xml_round_trip_and_type_errors() -> None:
    cfg = sample()
    parsed = xmlmodel.from_xml(xmlmodel.to_xml(cfg), cfg.physical)
    assert parsed == cfg
    bad = xmlmodel.to_xml(cfg)
    vlan = bad[0].find(".//{urn:ossagent:params:xml:ns:yang:sim}vlan-id")
    vlan.text = "many"
    with pytest.raises(xmlmodel.XmlDataError) as exc:
        xmlmodel.from_xml(bad, cfg.physical)
    assert exc.value.tag == "invalid-value"
    assert exc.value.xpath == "/if:interfaces/if:interface[if:name='Ethernet3.100']/sim:vlan-id"


def test_framing_eom_and_chunked() -> None:
    f = Framer()
    f.feed(b"<hello/>]]>]]><r")
    assert f.next_message() == b"<hello/>"
    assert f.next_message() is None
    f.chunked = True
    f.feed(b"pc/>" + frame(b"<rpc a='1'/>", True)[:7])
    with pytest.raises(FramingError):
        f.next_message()  # "<rpc/>" left over from EOM mode is not a chunk header
    g = Framer()
    g.chunked = True
    msg = frame(b"<rpc>" + b"x" * 100 + b"</rpc>", True)
    for i in range(len(msg)):  # byte by byte
        g.feed(msg[i : i + 1])
        out = g.next_message()
        assert out is None or out == b"<rpc>" + b"x" * 100 + b"</rpc>"
    g.feed(b"\n#2\nab\n#1\nc\n##\n")
    assert g.next_message() == b"abc"


IF = xmlmodel.IF


def test_subtree_filter_selects_list_entries_and_keys() -> None:
    data = xmlmodel.to_xml(sample())
    flt = etree.fromstring(
        f'<filter><interfaces xmlns="{IF}"><interface><name>Ethernet3.100</name><description/></interface>'
        f"</interfaces></filter>"
    )
    out = apply_filter(data, flt)
    assert len(out) == 1
    entries = out[0].findall(f"{{{IF}}}interface")
    assert [e.findtext(f"{{{IF}}}name") for e in entries] == ["Ethernet3.100"]
    assert entries[0].findtext(f"{{{IF}}}description") == "SVC-1001 internet"
    flt2 = etree.fromstring(
        f'<filter><interfaces xmlns="{IF}"><interface><description/></interface></interfaces></filter>'
    )
    names = [e.findtext(f"{{{IF}}}name") for e in apply_filter(data, flt2)[0]]
    assert names == ["Ethernet1", "Ethernet3", "Ethernet3.100"]  # only entries that have one, with keys


def _edit(
    cfg: DeviceConfig, body: str, default: str = "merge", option: str = "stop-on-error"
) -> tuple[DeviceConfig, list[RpcError]]:
    root = new_root([] if default == "replace" else xmlmodel.to_xml(cfg))
    config = etree.fromstring(
        f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
        f'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">{body}</config>'
    )
    errors = run_edit(Editor(default, option, lambda s, k: None), root, config)
    return xmlmodel.from_xml(list(root), cfg.physical), errors


def test_edit_config_operations() -> None:
    cfg = sample()
    new, errors = _edit(
        cfg,
        f'<interfaces xmlns="{IF}"><interface><name>Ethernet2</name><description>x</description>'
        "</interface></interfaces>",
    )
    assert not errors and new.interfaces["Ethernet2"].description == "x"
    new, errors = _edit(
        cfg,
        f'<interfaces xmlns="{IF}"><interface nc:operation="create"><name>Ethernet3.100</name>'
        "</interface></interfaces>",
    )
    assert errors[0].tag == "data-exists"
    new, errors = _edit(
        cfg,
        f'<interfaces xmlns="{IF}"><interface nc:operation="delete"><name>Ethernet2.9</name>'
        "</interface></interfaces>",
    )
    assert errors[0].tag == "data-missing"
    new, errors = _edit(
        cfg,
        f'<interfaces xmlns="{IF}"><interface nc:operation="remove"><name>Ethernet2.9</name>'
        "</interface></interfaces>",
    )
    assert not errors
    new, errors = _edit(
        cfg,
        f'<interfaces xmlns="{IF}"><interface nc:operation="replace"><name>Ethernet3.100</name>'
        "<type xmlns:x='urn:ietf:params:xml:ns:yang:iana-if-type'>x:l2vlan</type>"
        '<vlan-id xmlns="urn:ossagent:params:xml:ns:yang:sim">101</vlan-id>'
        "</interface></interfaces>",
    )
    assert not errors
    itf = new.interfaces["Ethernet3.100"]
    assert (itf.vlan, itf.description, itf.service_policy_in) == (101, "", None)
    new, errors = _edit(
        cfg, f'<interfaces xmlns="{IF}"><interface><name>Ethernet1</name><bogus/></interface></interfaces>'
    )
    assert errors[0].tag == "unknown-element"
