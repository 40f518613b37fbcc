"""Services on devices whose NETCONF face speaks only the standard IETF models (yuma123
netconfd, the netns lab's stand-ins) and on FRR: the port's entry belongs to the device, so a
service merges leaves into it and removing the service removes those leaves and never the
entry (netconfd takes a port down when its entry is deleted)."""

from __future__ import annotations

import pytest

from provisioners.diff.check import lingering, missing
from provisioners.diff.xml import edit_config
from provisioners.drivers.cli import missing_lines
from provisioners.services.catalog import ServiceError, model
from provisioners.services.plan import plan
from provisioners.services.render import DeviceFacts

FACTS = {"pe1": DeviceFacts("pe1", "ietf", "10.0.0.10"), "acc1": DeviceFacts("acc1", "frr", "10.0.0.18")}
PARAMS = {
    "service_id": "INET-9", "customer_id": "CUST-42", "device": "pe1", "port": "e1-9", "vlan": 100,
    "ipv4": "192.0.2.1/30", "bandwidth_mbps": 200,
}  # fmt: skip
PORT = (
    '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>e1-9</name>'
    '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>'
    "<enabled>true</enabled></interface></interfaces>"
)


def test_create_merges_leaves_into_the_port_and_carries_no_template_mark() -> None:
    [p] = plan(model("internet-access"), None, PARAMS, FACTS)
    assert p.format == "netconf" and 'operation="delete"' not in p.payload
    assert "<name>e1-9</name>" in p.payload and "<ip>192.0.2.1</ip>" in p.payload
    assert "ossagent:params:xml:ns:template" not in p.payload and "shared" not in p.payload
    assert "INET-9 CUST-42 internet 200M" in p.payload
    assert "shared" not in p.human_diff


def test_delete_removes_the_services_leaves_never_the_port_entry() -> None:
    [p] = plan(model("internet-access"), PARAMS, None, FACTS)
    assert '<interface nc:operation="delete">' not in p.payload
    assert "<name>e1-9</name>" in p.payload  # the entry is named by its key, and stays
    assert '<description nc:operation="delete"/>' in p.payload
    # the port's ipv4 config goes whole (netconfd would keep an emptied <ipv4/>)
    assert '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip" nc:operation="delete"/>' in p.payload
    # After the delete the port's own entry remains on the device: that is not lingering.
    assert lingering("netconf", p.fragment_before, p.fragment_after, PORT) == []
    # ... while the service's leaves still there would be.
    with_leaf = PORT.replace("<enabled>", "<description>INET-9 CUST-42 internet 200M</description><enabled>")
    assert lingering("netconf", p.fragment_before, p.fragment_after, with_leaf) == [
        "/interfaces/interface[e1-9]/description INET-9 CUST-42 internet 200M"
    ]
    assert missing("netconf", p.fragment_before, PORT)  # the service's leaves are not on the port


def test_a_bandwidth_change_edits_one_leaf() -> None:
    after = {**PARAMS, "bandwidth_mbps": 500}
    payload = edit_config(*(plan(model("internet-access"), PARAMS, after, FACTS)[0].__dict__[k]
                            for k in ("fragment_before", "fragment_after")))  # fmt: skip
    assert payload is not None and "500M" in payload and "<address" not in payload


def test_what_the_ietf_models_cannot_carry_is_refused_per_field() -> None:
    with pytest.raises(ServiceError) as exc:
        plan(model("internet-access"), None, {**PARAMS, "customer_prefix": "198.51.100.0/24"}, FACTS)
    assert set(exc.value.errors) == {"customer_prefix"}
    with pytest.raises(ServiceError) as exc:
        plan(
            model("l2vpn-p2p"),
            None,
            {"service_id": "E1", "customer_id": "C1", "vlan": 10, "bandwidth_mbps": 10,
             "endpoints": [{"device": "pe1", "port": "e1-9"}, {"device": "acc1", "port": "Ethernet7"}]},
            FACTS,
        )  # fmt: skip
    assert "not available on platform" in str(exc.value.errors)


def test_an_emptied_block_may_vanish_from_running_config() -> None:
    """FRR drops `interface X` from running-config once nothing is configured in it: removing
    a service's lines from a port is applied even though the header no longer shows."""
    running = "interface Ethernet1\n description core\nexit\n!\n"
    removal = ["interface Ethernet7", " no description INET-9", " no ip address 203.0.113.1/30", "exit"]
    assert missing_lines(running, removal) == []
    # A header that adds lines must show, and so must a header sent on its own.
    assert missing_lines(running, ["interface Ethernet7", " description x", "exit"]) == [
        "interface Ethernet7", "interface Ethernet7 / description x",
    ]  # fmt: skip
    assert missing_lines(running, ["interface Ethernet7", "exit"]) == ["interface Ethernet7"]
    # A removal that did not happen still shows.
    assert missing_lines(running, ["interface Ethernet1", " no description core", "exit"]) == [
        "interface Ethernet1 / no description core"
    ]
