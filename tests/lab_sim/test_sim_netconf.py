"""ncclient against the simulated NETCONF face (RFC 6241 operations, RFC 6242 framing).

Every connection verifies the node's host key through the lab's ``known_hosts`` (ncclient's
``ssh_config`` with ``UserKnownHostsFile``): nothing here turns host-key checking off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ncclient import manager
from ncclient.devices.default import DefaultDeviceHandler
from ncclient.operations.rpc import RPCError
from ncclient.transport.session import NetconfBase

from tests.lab_sim.conftest import Lab, wait_for

IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
SIM = "urn:ossagent:params:xml:ns:yang:sim"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
CAP = "urn:ietf:params:netconf:capability:"


def connect(lab: Lab, node: str = "pe1", **kw: Any) -> manager.Manager:
    n = lab.node(node)
    return manager.connect(
        host=n.address,
        port=n.netconf_port,
        username=n.username,
        password=n.password,
        hostkey_verify=True,
        ssh_config=lab.state.ssh_config,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
        **kw,
    )


@pytest.fixture
def m(faces_lab: Lab) -> Iterator[manager.Manager]:
    mgr = connect(faces_lab)
    try:
        yield mgr
    finally:
        if mgr.connected:
            mgr.close_session()


def config(body: str) -> str:
    return f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>'


def interface(
    name: str,
    *,
    desc: str | None = None,
    kind: str | None = "l2vlan",
    vlan: int | None = None,
    op: str | None = None,
    extra: str = "",
) -> str:
    attr = f' nc:operation="{op}"' if op else ""
    parts = [f"<name>{name}</name>"]
    if desc is not None:
        parts.append(f"<description>{desc}</description>")
    if kind is not None:
        parts.append(f'<type xmlns:ianaift="{IANA}">ianaift:{kind}</type>')
    if vlan is not None:
        parts.append(f'<vlan-id xmlns="{SIM}">{vlan}</vlan-id>')
    return f'<interfaces xmlns="{IF}"><interface{attr}>{"".join(parts)}{extra}</interface></interfaces>'


def one_interface(mgr: manager.Manager, name: str, source: str = "running") -> Any:
    flt = f'<interfaces xmlns="{IF}"><interface><name>{name}</name></interface></interfaces>'
    data = mgr.get_config(source=source, filter=("subtree", flt)).data
    return data.find(f".//{{{IF}}}interface")


def description(mgr: manager.Manager, name: str, source: str = "running") -> str | None:
    itf = one_interface(mgr, name, source)
    return None if itf is None else itf.findtext(f"{{{IF}}}description", default="")


def test_hello_capabilities_and_chunked_framing(faces_lab: Lab, m: manager.Manager) -> None:
    caps = set(m.server_capabilities)
    for c in ("base:1.0", "base:1.1"):
        assert f"urn:ietf:params:netconf:{c}" in caps
    for c in (
        "candidate:1.0",
        "confirmed-commit:1.1",
        "validate:1.1",
        "rollback-on-error:1.0",
        "startup:1.0",
    ):
        assert CAP + c in caps
    assert CAP + "writable-running:1.0" not in caps
    assert any(c.startswith(IF) for c in caps) and any(c.startswith(SIM) for c in caps)
    assert int(m.session_id) > 0
    assert m._session._base == NetconfBase.BASE_11  # both sides said 1.1: chunked framing
    with connect(faces_lab, "pe2") as m2:  # writable-running mode
        caps2 = set(m2.server_capabilities)
        assert CAP + "writable-running:1.0" in caps2
        assert CAP + "candidate:1.0" not in caps2


class Base10Only(DefaultDeviceHandler):
    """A client that only speaks NETCONF 1.0 (end-of-message framing throughout)."""

    _BASE_CAPABILITIES = ["urn:ietf:params:netconf:base:1.0"]


def test_base_10_end_of_message_framing(faces_lab: Lab) -> None:
    with connect(faces_lab, device_params={"handler": Base10Only}) as m10:
        assert m10._session._base == NetconfBase.BASE_10
        m10.edit_config(
            target="candidate", config=config(interface("ethernet-1/6", desc="via 1.0", kind=None))
        )
        m10.commit()
        assert description(m10, "ethernet-1/6") == "via 1.0"


def test_get_and_get_config_with_filters(m: manager.Manager) -> None:
    assert description(m, "ethernet-1/1") == "to acc1 Ethernet1"  # from the topology link
    itf = one_interface(m, "ethernet-1/2")
    addr = itf.find(".//{urn:ietf:params:xml:ns:yang:ietf-ip}address")
    assert addr.findtext("{urn:ietf:params:xml:ns:yang:ietf-ip}ip") == "10.0.12.1"
    host = m.get_config(
        source="running", filter=("subtree", '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"/>')
    )
    assert host.data.findtext(".//{urn:ietf:params:xml:ns:yang:ietf-system}hostname") == "pe1"
    assert host.data.find(f".//{{{IF}}}interfaces") is None
    st = m.get(
        filter=(
            "subtree",
            f'<interfaces-state xmlns="{IF}"><interface><name>ethernet-1/1</name>'
            "</interface></interfaces-state>",
        )
    )
    rows = st.data.findall(f".//{{{IF}}}interfaces-state/{{{IF}}}interface")
    assert len(rows) == 1
    assert rows[0].findtext(f"{{{IF}}}oper-status") == "up"
    assert int(rows[0].findtext(f"{{{IF}}}statistics/{{{IF}}}in-octets")) > 0
    assert description(m, "ethernet-1/1", source="startup") == "to acc1 Ethernet1"


def test_edit_config_operations_and_data_errors(m: manager.Manager) -> None:
    m.edit_config(target="candidate", config=config(interface("ethernet-1/3", desc="uplink", kind=None)))
    m.edit_config(
        target="candidate", config=config(interface("ethernet-1/3.100", desc="SVC-1", vlan=100, op="create"))
    )
    with pytest.raises(RPCError) as exc:
        m.edit_config(target="candidate", config=config(interface("ethernet-1/3.100", vlan=100, op="create")))
    assert exc.value.tag == "data-exists"
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate", config=config(interface("ethernet-1/3.999", kind=None, op="delete"))
        )
    assert exc.value.tag == "data-missing"
    m.edit_config(target="candidate", config=config(interface("ethernet-1/3.999", kind=None, op="remove")))
    m.commit()
    assert description(m, "ethernet-1/3") == "uplink"
    assert description(m, "ethernet-1/3.100") == "SVC-1"
    # replace: the entry becomes exactly what is sent (the description goes)
    m.edit_config(target="candidate", config=config(interface("ethernet-1/3.100", vlan=101, op="replace")))
    m.commit()
    itf = one_interface(m, "ethernet-1/3.100")
    assert itf.findtext(f"{{{SIM}}}vlan-id") == "101" and itf.find(f"{{{IF}}}description") is None
    with pytest.raises(RPCError) as exc:
        m.edit_config(target="candidate", config=config(interface("ethernet-1/3", kind=None, op="delete")))
    assert "cannot delete physical interface ethernet-1/3" in exc.value.message
    with pytest.raises(RPCError) as exc:  # type is mandatory when an interface is created
        m.edit_config(target="candidate", config=config(interface("ethernet-1/4.7", kind=None, vlan=7)))
    assert exc.value.tag == "missing-element"
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate",
            config=config(interface("ethernet-1/4.7", extra=f'<vlan-id xmlns="{SIM}">x</vlan-id>')),
        )
    assert exc.value.tag == "invalid-value"
    assert exc.value.path.endswith("interface[if:name='ethernet-1/4.7']/sim:vlan-id")
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate", config=config(interface("ethernet-1/4", kind=None, extra="<bogus/>"))
        )
    assert exc.value.tag == "unknown-element"
    m.edit_config(target="candidate", config=config(interface("ethernet-1/3.100", kind=None, op="delete")))
    m.commit()
    assert one_interface(m, "ethernet-1/3.100") is None


def test_candidate_validate_and_commit(m: manager.Manager) -> None:
    sp = f'<service-policy xmlns="{SIM}"><input>CUST-9</input></service-policy>'
    m.edit_config(target="candidate", config=config(interface("ethernet-1/4.20", vlan=20, extra=sp)))
    with pytest.raises(RPCError) as exc:
        m.validate(source="candidate")
    assert exc.value.tag == "data-missing"
    assert "service-policy input CUST-9: unknown policer" in exc.value.message
    assert "ethernet-1/4.20" in exc.value.path
    with pytest.raises(RPCError):
        m.commit()
    assert one_interface(m, "ethernet-1/4.20") is None  # nothing reached running
    pol = f'<sim xmlns="{SIM}"><policers><policer><name>CUST-9</name><rate-mbps>50</rate-mbps></policer></policers></sim>'
    m.edit_config(target="candidate", config=config(pol))
    m.validate(source="candidate")
    m.commit()
    assert one_interface(m, "ethernet-1/4.20") is not None
    with pytest.raises(RPCError) as exc:  # a policer in use cannot go
        m.edit_config(
            target="candidate",
            config=config(
                f'<sim xmlns="{SIM}"><policers><policer nc:operation="delete"><name>CUST-9</name></policer></policers></sim>'
            ),
        )
    assert "in use by interface ethernet-1/4.20" in exc.value.message
    m.edit_config(target="candidate", config=config(interface("ethernet-1/4.20", kind=None, op="delete")))
    m.commit()


def _pending(lab: Lab, node: str = "pe1") -> Any:
    return lab.ok(op="config-show", node=node)["pending_confirm"]


def test_confirmed_commit_times_out_and_reverts(faces_lab: Lab, m: manager.Manager) -> None:
    m.edit_config(target="candidate", config=config(interface("ethernet-1/5", desc="temporary", kind=None)))
    m.commit(confirmed=True, timeout="2")
    assert description(m, "ethernet-1/5") == "temporary"
    assert _pending(faces_lab)["owner"] == f"netconf:{m.session_id}"
    wait_for(lambda: description(m, "ethernet-1/5") == "", timeout=6, what="the confirmed commit to revert")
    assert _pending(faces_lab) is None
    assert description(m, "ethernet-1/5", source="candidate") == ""


def test_confirmed_commit_then_confirming_commit(faces_lab: Lab, m: manager.Manager) -> None:
    m.edit_config(target="candidate", config=config(interface("ethernet-1/5", desc="kept", kind=None)))
    m.commit(confirmed=True, timeout="60")
    assert _pending(faces_lab) is not None
    m.commit()  # the confirming commit, same session
    assert _pending(faces_lab) is None
    assert description(m, "ethernet-1/5") == "kept"


def test_persisted_confirmed_commit_confirmed_from_another_session(faces_lab: Lab) -> None:
    with connect(faces_lab) as m1:
        m1.edit_config(
            target="candidate", config=config(interface("ethernet-1/6", desc="persisted", kind=None))
        )
        m1.commit(confirmed=True, timeout="60", persist="order-42")
    # the first session is gone, the change stays (persist), waiting for its persist-id
    with connect(faces_lab) as m2:
        assert description(m2, "ethernet-1/6") == "persisted"
        with pytest.raises(RPCError) as exc:
            m2.commit()  # not without the persist-id
        assert "persist-id" in exc.value.message
        m2.commit(persist_id="order-42")
        assert _pending(faces_lab) is None
        assert description(m2, "ethernet-1/6") == "persisted"


def test_cancel_commit_reverts_at_once(faces_lab: Lab) -> None:
    with connect(faces_lab) as m1:
        before = description(m1, "ethernet-1/6")
        m1.edit_config(
            target="candidate", config=config(interface("ethernet-1/6", desc="cancel me", kind=None))
        )
        m1.commit(confirmed=True, timeout="60", persist="p-cancel")
        with connect(faces_lab) as m2:
            assert description(m2, "ethernet-1/6") == "cancel me"
            m2.cancel_commit(persist_id="p-cancel")
            assert description(m2, "ethernet-1/6") == before
        assert _pending(faces_lab) is None


def test_confirmed_commit_without_persist_reverts_when_its_session_closes(faces_lab: Lab) -> None:
    m1 = connect(faces_lab)
    m1.edit_config(
        target="candidate", config=config(interface("ethernet-1/5", desc="session-bound", kind=None))
    )
    m1.commit(confirmed=True, timeout="60")
    with connect(faces_lab) as m2:
        assert description(m2, "ethernet-1/5") == "session-bound"
        m1.close_session()
        wait_for(lambda: description(m2, "ethernet-1/5") != "session-bound", timeout=5, what="the revert")
    assert _pending(faces_lab) is None


def test_discard_changes(m: manager.Manager) -> None:
    m.edit_config(target="candidate", config=config(interface("ethernet-1/4", desc="not wanted", kind=None)))
    assert description(m, "ethernet-1/4", source="candidate") == "not wanted"
    m.discard_changes()
    assert description(m, "ethernet-1/4", source="candidate") == description(m, "ethernet-1/4")


def test_lock_contention_between_sessions(faces_lab: Lab) -> None:
    m1 = connect(faces_lab)
    with connect(faces_lab) as m2:
        m1.lock("candidate")
        with pytest.raises(RPCError) as exc:
            m2.lock("candidate")
        assert exc.value.tag == "lock-denied"
        assert exc.value.info is not None and f"<session-id>{m1.session_id}</session-id>" in exc.value.info
        with pytest.raises(RPCError) as exc:
            m2.edit_config(target="candidate", config=config(interface("ethernet-1/4", desc="x", kind=None)))
        assert exc.value.tag == "in-use"
        m1.edit_config(
            target="candidate", config=config(interface("ethernet-1/4", desc="locked edit", kind=None))
        )
        m1.commit()
        m1.unlock("candidate")
        m2.lock("candidate")
        m2.unlock("candidate")
        # kill-session ends the other session and releases what it held
        m1.lock("running")
        m2.kill_session(m1.session_id)
        wait_for(lambda: not m1.connected, timeout=5, what="the killed session to close")
        m2.lock("running")
        m2.unlock("running")
        assert description(m2, "ethernet-1/4") == "locked edit"


def test_writable_running_mode(faces_lab: Lab) -> None:
    with connect(faces_lab, "pe2") as m2:
        m2.lock("running")
        m2.edit_config(target="running", config=config(interface("ethernet-1/3", desc="direct", kind=None)))
        m2.unlock("running")
        assert description(m2, "ethernet-1/3") == "direct"
        with pytest.raises(RPCError) as exc:
            m2.edit_config(target="candidate", config=config(interface("ethernet-1/3", desc="x", kind=None)))
        assert exc.value.tag == "operation-not-supported"
        with pytest.raises(RPCError) as exc:  # invalid data never reaches running
            m2.edit_config(target="running", config=config(interface("ethernet-1/3.5", kind="l2vlan")))
        assert "needs a VLAN" in exc.value.message
        assert one_interface(m2, "ethernet-1/3.5") is None
        m2.copy_config(source="running", target="startup")
        assert description(m2, "ethernet-1/3", source="startup") == "direct"
