"""The NAPALM driver against a device it really drives: the simulated Arista node's eAPI
(and its SSH CLI with ``transport: ssh``). Getters, then merge -> commit -> rollback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import provisioners.drivers  # noqa: F401  (registers the drivers)
from inventory.domain import Secret
from provisioners.contract import DeviceAccess, DriverError, NativeChange, open_driver
from provisioners.drivers.napalm_driver import NapalmDriver
from tests.provisioners import simpeers

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["http", "ssh"])
def napalm(request: pytest.FixtureRequest, sim_lab: Any) -> Iterator[tuple[NapalmDriver, Any]]:
    node = sim_lab.node("ceos1")
    if "eapi" not in node.faces:
        pytest.skip("simulated ceos1 has no eAPI face")
    user, pw = simpeers.credentials(node)
    transport: str = request.param
    access = DeviceAccess(
        device="ceos1",
        host=node.address,
        port=node.eapi_port if transport == "http" else node.ssh_port,
        driver="napalm",
        platform="eos",
        username=user,
        password=Secret(pw),
        host_key=node.host_key,
        options={"napalm_driver": "eos", "transport": transport},
        timeout_s=15,
    )
    d = open_driver(access)
    assert isinstance(d, NapalmDriver)
    try:
        yield d, node
    finally:
        d.close()


def test_getters(napalm: tuple[NapalmDriver, Any]) -> None:
    d, node = napalm
    facts = d.get("get_facts")
    assert facts["hostname"] == "ceos1" and facts["vendor"] == "Arista"
    interfaces = d.get("get_interfaces")
    port = simpeers.front_port(node)
    assert port in interfaces
    assert {"is_up", "is_enabled", "description", "speed"} <= set(interfaces[port])
    assert d.get("get_lldp_neighbors")  # the contract topology links ceos1 to srl1
    assert d.get("is_alive") == {"is_alive": True}
    with pytest.raises(DriverError, match="not a NAPALM getter"):
        d.get("load_merge_candidate")


def test_merge_commit_confirm_rollback_seen_through_getters(napalm: tuple[NapalmDriver, Any]) -> None:
    d, node = napalm
    port = simpeers.front_port(node)
    before = d.get("get_interfaces")[port]["description"]
    pre = d.get_config()
    diff = d.prepare(
        NativeChange("ceos1", "cli", f"interface {port}\n   description napalm-cycle\n", "order 5 / txn 9")
    )
    assert "napalm-cycle" in diff
    assert d.get("get_interfaces")[port]["description"] == before  # still a candidate
    d.commit(60, "order 5 / txn 9")  # commit_config(revert_in=60): EOS commit timer
    assert d.get("get_interfaces")[port]["description"] == "napalm-cycle"
    d.confirm()
    assert d.get("get_interfaces")[port]["description"] == "napalm-cycle"
    d.rollback()
    assert d.get("get_interfaces")[port]["description"] == before
    assert d.get_config() == pre
