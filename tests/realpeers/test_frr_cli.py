"""The CLI driver against FRRouting's vtysh over SSH in a network namespace (netmiko
``cisco_ios``, LAB.md §3): push, read back, save, roll back to exactly the snapshot."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

import provisioners.drivers  # noqa: F401  (registers the drivers)
from provisioners.contract import DriverError, HostKeyMismatch, NativeChange, open_driver
from provisioners.drivers.cli import CliDriver
from tests.realpeers import peers as peerlib

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]

CHANGE = """\
interface sp2a
 description cust-4711 uplink
 ip address 10.66.0.1/30
exit
ip route 192.0.2.0/24 Null0
"""


@pytest.fixture
def cli(peers: peerlib.Peers) -> Iterator[CliDriver]:
    d = open_driver(peerlib.access(peers.frr, peers, driver="cli", platform="frr"))
    assert isinstance(d, CliDriver)
    try:
        yield d
    finally:
        d.close()


def test_push_read_back_save_and_roll_back_to_the_snapshot(peers: peerlib.Peers, cli: CliDriver) -> None:
    node = peers.frr
    assert cli.device_type == "cisco_ios" and not cli.supports_confirmed_commit
    saved_before = node.frr_conf.read_text()
    pre = cli.get_config()
    assert "hostname frr" in pre  # the node's own UTS namespace and config
    assert "Building configuration" not in pre  # volatile header stripped

    diff = cli.prepare(NativeChange(node.name, "cli", CHANGE, "order 9 / txn 12"))
    assert "! commands to send:" in diff and "ip route 192.0.2.0/24 Null0" in diff
    assert "+ description cust-4711 uplink" in diff
    assert cli.get_config() == pre  # nothing sent yet

    cli.commit(60, "order 9 / txn 12")
    running = node.vtysh("show running-config")  # read back on the box itself, not via the driver
    assert "interface sp2a\n description cust-4711 uplink\n ip address 10.66.0.1/30\nexit" in running
    assert "ip route 192.0.2.0/24 Null0" in running
    assert "192.0.2.0/24" in node.vtysh("show ip route static")  # staticd installed it
    assert node.frr_conf.read_text() == saved_before  # not saved yet

    cli.confirm()  # write memory
    saved = node.frr_conf.read_text()
    assert "description cust-4711 uplink" in saved and "ip route 192.0.2.0/24 Null0" in saved

    cli.rollback()  # compensating commands from the snapshot, then write memory again
    assert cli.get_config() == pre
    assert "cust-4711" not in node.vtysh("show running-config")
    assert "192.0.2.0/24" not in node.vtysh("show ip route static")
    assert "cust-4711" not in node.frr_conf.read_text()


def test_rollback_before_confirm_is_not_saved(peers: peerlib.Peers, cli: CliDriver) -> None:
    node = peers.frr
    saved_before = node.frr_conf.read_text()
    pre = cli.get_config()
    cli.prepare(NativeChange(node.name, "cli", "interface sp2a\n description temporary\n", "txn 13"))
    cli.commit(60, "txn 13")
    assert "description temporary" in cli.get_config()
    cli.rollback()
    assert cli.get_config() == pre
    assert node.frr_conf.read_text() == saved_before


def test_a_refused_line_stops_the_push_and_names_the_device(peers: peerlib.Peers, cli: CliDriver) -> None:
    node = peers.frr
    pre = cli.get_config()
    bad = "interface sp2a\n description before-error\n no-such-command 42\n description after-error\n"
    cli.prepare(NativeChange(node.name, "cli", bad, "txn 14"))
    with pytest.raises(DriverError) as info:
        cli.commit(60, "txn 14")
    err = info.value
    assert err.device == node.name and err.phase == "commit"
    assert re.search(r"% Unknown command:\s+no-such-command 42", err.message), err.message
    running = cli.get_config()
    assert "before-error" in running and "after-error" not in running  # stopped at the error
    cli.rollback()  # the partial change is compensated
    assert cli.get_config() == pre


def test_payload_blocks_without_exit_are_closed(peers: peerlib.Peers, cli: CliDriver) -> None:
    node = peers.frr
    pre = cli.get_config()
    # No "exit" after the block: the driver adds one, so the route is a top-level line.
    cli.prepare(
        NativeChange(node.name, "cli", "interface sp2a\n description x\nip route 203.0.113.0/24 Null0\n", "t")
    )
    cli.commit(60, "t")
    assert "ip route 203.0.113.0/24 Null0" in node.vtysh("show running-config")
    cli.rollback()
    assert cli.get_config() == pre


def test_host_key_mismatch_is_refused(peers: peerlib.Peers) -> None:
    node = peers.frr
    other = peers.nc_candidate.host_key
    with pytest.raises(HostKeyMismatch) as info:
        open_driver(peerlib.access(node, peers, driver="cli", platform="frr", host_key=other))
    assert info.value.expected == other and info.value.presented == node.host_key


def test_host_key_reports_what_the_device_presented(peers: peerlib.Peers, cli: CliDriver) -> None:
    assert cli.host_key() == peers.frr.host_key
