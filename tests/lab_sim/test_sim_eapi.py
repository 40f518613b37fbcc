"""NAPALM's ``eos`` driver (pyeapi over HTTP) against the simulated eAPI: getters and the whole
candidate / compare / commit-confirm / rollback cycle, as the provisioning engine drives it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from napalm import get_network_driver
from napalm.base.exceptions import MergeConfigException

from tests.lab_sim.conftest import Lab, wait_for

NODE = "acc2"  # has topology credentials ops / 0ps-Pass!


def driver(lab: Lab, **kw: Any) -> Any:
    n = lab.node(NODE)
    args = {
        "hostname": n.address,
        "username": n.username,
        "password": n.password,
        "timeout": 10,
        "optional_args": {"transport": "http", "port": n.eapi_port},
    }
    args.update(kw)
    return get_network_driver("eos")(**args)


@pytest.fixture
def dev(faces_lab: Lab) -> Iterator[Any]:
    d = driver(faces_lab)
    d.open()
    try:
        yield d
    finally:
        d.close()


def running(d: Any) -> str:
    return str(d.get_config(retrieve="running")["running"])


def test_credentials_come_from_the_topology(faces_lab: Lab) -> None:
    n = faces_lab.node(NODE)
    assert (n.username, n.password) == ("ops", "0ps-Pass!")
    bad = driver(faces_lab, password="wrong")
    with pytest.raises(Exception, match="Unauthorized"):
        bad.open()


def test_getters(dev: Any) -> None:
    assert dev.is_alive() == {"is_alive": True}
    facts = dev.get_facts()
    assert facts["hostname"] == NODE and facts["vendor"] == "Arista" and facts["model"] == "cEOSLab"
    assert facts["os_version"].startswith("4.32.0F") and facts["uptime"] > 0
    assert (
        facts["interface_list"][:2] == ["Ethernet1", "Ethernet2"] and "Management0" in facts["interface_list"]
    )
    ifs = dev.get_interfaces()
    assert ifs["Ethernet1"]["is_up"] and ifs["Ethernet1"]["description"] == "to pe2 ethernet-1/1"
    assert not ifs["Ethernet2"]["is_up"] and ifs["Ethernet2"]["is_enabled"]  # no cable
    assert dev.get_lldp_neighbors() == {"Ethernet1": [{"hostname": "pe2", "port": "ethernet-1/1"}]}
    cfg = dev.get_config()
    assert "hostname acc2" in cfg["running"] and cfg["startup"] == cfg["running"] and cfg["candidate"] == ""


def test_merge_compare_commit_confirm(faces_lab: Lab, dev: Any) -> None:
    dev.load_merge_candidate(config="interface Ethernet3\n   description napalm merge\n   shutdown\n")
    diff = dev.compare_config()
    assert diff.startswith("@@")
    assert "+   description napalm merge\n+   shutdown" in diff
    assert "napalm merge" in dev.get_config(retrieve="candidate")["candidate"]
    assert "napalm merge" not in running(dev)
    dev.commit_config(revert_in=30)
    assert dev.has_pending_commit()
    assert "napalm merge" in running(dev)
    dev.confirm_commit()
    assert not dev.has_pending_commit()
    cfg = dev.get_config()
    assert "napalm merge" in cfg["running"] and "napalm merge" in cfg["startup"]  # confirm writes memory


def test_unconfirmed_commit_reverts(faces_lab: Lab, dev: Any) -> None:
    dev.load_merge_candidate(config="interface Ethernet4\n   description will revert\n")
    dev.commit_config(revert_in=2)
    assert "will revert" in running(dev)
    wait_for(lambda: "will revert" not in running(dev), timeout=8, what="the commit timer to revert")
    assert not dev.has_pending_commit()
    dev.discard_config()


def test_discard(dev: Any) -> None:
    before = running(dev)
    dev.load_merge_candidate(config="interface Ethernet5\n   description discarded\n")
    assert dev.compare_config()
    dev.discard_config()
    assert dev.compare_config() == ""
    assert running(dev) == before


def test_commit_then_rollback(dev: Any) -> None:
    before = running(dev)
    dev.load_merge_candidate(config="ip route 198.51.100.0/24 Null0\n")
    dev.commit_config()
    assert "ip route 198.51.100.0/24 Null0" in running(dev)
    dev.rollback()
    assert running(dev) == before


def test_replace_and_invalid_merge(dev: Any) -> None:
    cfg = running(dev)
    dev.load_replace_candidate(
        config=cfg.replace("hostname acc2\n", "hostname acc2\n!\nip route 10.99.0.0/16 Null0\n")
    )
    diff = dev.compare_config()
    assert "+ip route 10.99.0.0/16 Null0\n+!\n" in diff and diff.count("\n+") == 2  # and nothing else
    dev.discard_config()
    with pytest.raises(MergeConfigException):
        dev.load_merge_candidate(config="interface Ethernet3\n   frobnicate\n")


def test_raw_json_rpc_errors(faces_lab: Lab) -> None:
    n = faces_lab.node(NODE)
    body = {
        "jsonrpc": "2.0",
        "method": "runCmds",
        "id": "t1",
        "params": {"version": 1, "cmds": ["enable", "show hostname", "show bogus"], "format": "json"},
    }
    req = urllib.request.Request(
        f"http://{n.address}:{n.eapi_port}/command-api",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    auth = base64.b64encode(f"{n.username}:{n.password}".encode()).decode()
    req.add_header("Authorization", f"Basic {auth}")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the lab's loopback address
        reply = json.loads(resp.read())
    assert reply["id"] == "t1"
    err = reply["error"]
    assert err["code"] == 1002 and "CLI command 3 of 3 'show bogus' failed" in err["message"]
    assert err["data"][1] == {"hostname": "acc2", "fqdn": "acc2"}
    assert "Invalid input" in err["data"][2]["errors"][0]
    req2 = urllib.request.Request(f"http://{n.address}:{n.eapi_port}/command-api", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req2, timeout=10)  # noqa: S310
    assert exc.value.code == 401
