"""The NETCONF driver against yuma123 netconfd behind sshd, in network namespaces (LAB.md §4).

Covers what the contract suite does not: the device's own view through raw ncclient sessions,
a confirmed commit that expires, cancel-commit, persist/persist-id across sessions (an agent
crash), lock contention, the validate-before-commit quirk, and writable-running mode.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations.rpc import RPCError

import provisioners.drivers  # noqa: F401  (registers the drivers)
from provisioners.contract import DriverError, HostKeyMismatch, NativeChange, open_driver
from provisioners.drivers.netconf import NetconfDriver, compensating_edit, same_config
from provisioners.hostkeys import fetch_host_key, fingerprint
from tests.realpeers import peers as peerlib

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]

IF = peerlib.IF_NS


@contextmanager
def raw_session(peers: peerlib.Peers, node: Any) -> Iterator[Any]:
    """A plain ncclient session, pinned to the node's host key like the driver's."""
    m = manager.connect(
        host=node.address,
        port=node.netconf_port,
        username=peers.username,
        password=peers.password,
        hostkey_verify=True,
        hostkey_b64=node.host_key.split()[1],
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )
    try:
        yield m
    finally:
        m.close_session()


def running_of(m: Any) -> str:
    return etree.tostring(m.get_config(source="running").data_ele).decode()


@contextmanager
def driver(peers: peerlib.Peers, node: Any) -> Iterator[NetconfDriver]:
    d = open_driver(peerlib.access(node, peers, driver="netconf", platform="yuma123"))
    assert isinstance(d, NetconfDriver)
    try:
        yield d
    finally:
        d.close()


def change(node: Any, ifname: str, descr: str, comment: str = "txn-test") -> NativeChange:
    return NativeChange(node.name, "netconf", peerlib.interface_payload(ifname, descr), comment)


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        # Pauses of over a second: netconfd runs its confirm timer only when idle that long.
        time.sleep(1.2)


def test_capabilities_select_the_mode(peers: peerlib.Peers) -> None:
    with driver(peers, peers.nc_candidate) as d:
        assert d.candidate and d.supports_confirmed_commit and d.persist
    with driver(peers, peers.nc_running) as d:
        assert not d.candidate and d.writable_running and not d.supports_confirmed_commit


def test_edit_and_candidate_commit_as_seen_by_another_session(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with raw_session(peers, node) as m, driver(peers, node) as d:
        pre = running_of(m)
        diff = d.prepare(change(node, "sp2a", "edit-commit"))
        assert "+    <description>edit-commit</description>" in diff
        assert "edit-commit" not in running_of(m)  # only the candidate holds it
        d.commit(30, "txn-edit")
        assert "edit-commit" in running_of(m)
        d.confirm()
        assert "edit-commit" in running_of(m)
        d.rollback()  # after confirm: the compensating edit
        assert same_config(running_of(m), pre)


def test_confirmed_commit_expires_and_rolls_back(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with raw_session(peers, node) as m:
        pre = running_of(m)
        with driver(peers, node) as d:
            d.prepare(change(node, "sp2a", "expires"))
            d.commit(2, "txn-expire")
        assert "expires" in running_of(m)  # persist: closing the session does not revert
        time.sleep(2)
        wait_for(lambda: "expires" not in running_of(m), 15, "the confirmed commit to expire")
        assert same_config(running_of(m), pre)


def test_cancel_commit_reverts_at_once(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with raw_session(peers, node) as m, driver(peers, node) as d:
        pre = running_of(m)
        d.prepare(change(node, "sp2a", "cancelled"))
        d.commit(120, "txn-cancel")
        assert "cancelled" in running_of(m)
        t0 = time.monotonic()
        d.rollback()  # <cancel-commit><persist-id>
        assert time.monotonic() - t0 < 5
        assert same_config(running_of(m), pre)
        # and nothing is pending any more: a confirming commit by that token is refused
        with pytest.raises(RPCError):
            m.commit(persist_id=d._persist)


def test_a_new_session_confirms_a_commit_a_crashed_agent_left(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with raw_session(peers, node) as m:
        pre = running_of(m)
        with driver(peers, node) as crashed:
            crashed.prepare(change(node, "sp3a", "survives", comment="order 77 / txn 4242"))
            crashed.commit(3, "order 77 / txn 4242")
        with driver(peers, node) as d:
            d.adopt("order 77 / txn 4242")  # the persist token comes from the comment again
            d.confirm()
        time.sleep(4)
        assert "survives" in running_of(m)  # confirmed: the timer did not revert it
        with driver(peers, node) as crashed:
            crashed.prepare(change(node, "sp3a", "cancelled-later", comment="txn 4343"))
            crashed.commit(60, "txn 4343")
        with driver(peers, node) as d:
            d.adopt("txn 4343")
            d.rollback()  # cancel-commit by persist-id from another session
        assert "cancelled-later" not in running_of(m)
        assert "survives" in running_of(m)
        with driver(peers, node) as d:
            undo = compensating_edit(running_of(m), pre)
            assert undo is not None
            d.prepare(NativeChange(node.name, "netconf", undo, "cleanup"))
            d.commit(30, "cleanup")
            d.confirm()
        assert same_config(running_of(m), pre)


def test_lock_contention_gives_the_second_session_a_clear_error(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with driver(peers, node) as first, driver(peers, node) as second:
        first.prepare(change(node, "sp2a", "first"))
        with pytest.raises(DriverError) as info:
            second.prepare(change(node, "sp2a", "second"))
        err = info.value
        assert err.device == node.name and err.phase == "prepare"
        assert "lock" in err.message.lower()  # "lock-denied: lock denied (held by session N)"
        assert "held by session" in err.message
        # a raw client is refused too while the driver holds the candidate
        with raw_session(peers, node) as m, pytest.raises(RPCError) as raw:
            m.lock("candidate")
        assert "lock" in str(raw.value).lower()
        first.discard()
        second.prepare(change(node, "sp2a", "second"))  # free again
        second.discard()


def test_validate_before_commit_loses_the_edit_on_netconfd(peers: peerlib.Peers) -> None:
    """The quirk itself (LAB.md §4.3 #1), with raw ncclient: <ok/> to the commit, no change."""
    node = peers.nc_candidate
    with raw_session(peers, node) as m:
        pre = running_of(m)
        m.lock("candidate")
        try:
            m.edit_config(target="candidate", config=peerlib.interface_payload("sp2a", "validated"))
            m.validate(source="candidate")
            reply = m.commit()
            assert reply.ok
            assert "validated" not in running_of(m)  # lost
            assert same_config(running_of(m), pre)
        finally:
            m.discard_changes()
            m.unlock("candidate")


def test_driver_never_validates_and_reports_a_lost_edit(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    with raw_session(peers, node) as m:
        pre = running_of(m)
        with driver(peers, node) as d:

            def forbidden(*args: Any, **kwargs: Any) -> None:
                raise AssertionError("the driver sent <validate>")

            d._m.validate = forbidden  # type: ignore[method-assign]
            d.prepare(change(node, "sp2a", "applied"))
            d.commit(30, "txn-ok")
            assert "applied" in running_of(m)
            d.rollback()
        assert same_config(running_of(m), pre)
        # Now make the session do what the quirk needs (validate, then commit): the driver
        # sees the <ok/> commit that did not apply, and says so.
        with driver(peers, node) as d:
            real_commit = d._m.commit

            def validate_then_commit(*args: Any, **kwargs: Any) -> Any:
                d._m.validate(source="candidate")
                return real_commit(*args, **kwargs)

            d._m.commit = validate_then_commit  # type: ignore[method-assign]
            d.prepare(change(node, "sp2a", "lost"))
            with pytest.raises(DriverError) as info:
                d.commit(30, "txn-lost")
            assert info.value.phase == "commit"
            assert "not applied" in info.value.message
            assert "lost" in info.value.message  # the expected-vs-running diff names it
            d.rollback()
        assert same_config(running_of(m), pre)


def test_writable_running_lock_edit_verify_and_compensating_rollback(peers: peerlib.Peers) -> None:
    node = peers.nc_running
    with raw_session(peers, node) as m, driver(peers, node) as d:
        pre = running_of(m)
        diff = d.prepare(change(node, "sp2a", "direct"))
        assert "+    <description>direct</description>" in diff
        assert "direct" not in running_of(m)  # prepare computes, never writes
        with pytest.raises(RPCError):  # running is locked by the driver
            m.lock("running")
        d.commit(30, "txn-running")  # <edit-config target=running> + read-back
        assert "direct" in running_of(m)
        d.confirm()
        d.rollback()  # compensating edit from the snapshot
        assert same_config(running_of(m), pre)


def test_host_key_pinning(peers: peerlib.Peers) -> None:
    node = peers.nc_candidate
    presented = fetch_host_key(node.address, 830, timeout=5)
    assert presented == node.host_key
    assert fingerprint(presented).startswith("SHA256:")
    other = peers.frr.host_key  # a real key, of another device
    acc = peerlib.access(node, peers, driver="netconf", platform="yuma123", host_key=other)
    with pytest.raises(HostKeyMismatch) as info:
        open_driver(acc)
    assert info.value.expected == other and info.value.presented == node.host_key
    assert info.value.phase == "connect" and info.value.device == node.name
