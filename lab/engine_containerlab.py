"""The ``containerlab`` lab engine: hands the topology file to containerlab (Docker).

Where ``containerlab`` and Docker exist, ``lab up --engine containerlab`` runs
``containerlab deploy -t FILE``, reads ``containerlab inspect -t FILE --format json`` into the
same :class:`lab.sim.LabState` the other engines publish (so ``lab inspect``, ``inventory
import`` and the artifacts work unchanged), and ``lab down`` runs ``containerlab destroy``.
Faults map to containerlab's and Docker's own tools (``tools netem``, ``docker pause``,
``ip link`` inside the container).

It cannot run on the machines this project is tested on (no containerlab, no Docker daemon):
the command lines and the JSON parsing are unit-tested, nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lab.sim.state import PROFILE_V2C, IfState, LabState, NodeState, lab_profiles, write_private
from lab.topology import Topology

ENGINE = "containerlab"
STATE_FILE = "state.json"
CLAB = "containerlab"


class ContainerlabError(RuntimeError):
    pass


def why_unavailable() -> str | None:
    """None when containerlab can run here, else why not (for ``lab up`` and test skips)."""
    if shutil.which(CLAB) is None:
        return (
            "containerlab is not installed on this machine (https://containerlab.dev/install/; it also "
            "needs Docker); use '--engine sim' or '--engine netns' instead"
        )
    if shutil.which("docker") is None:
        return "containerlab needs Docker, and 'docker' is not installed"
    return None


# ------------------------------------------------------------------ command lines
def deploy_command(topology: Path, *, reconfigure: bool = False) -> list[str]:
    cmd = [CLAB, "deploy", "--topo", str(topology)]
    if reconfigure:
        cmd.append("--reconfigure")
    return cmd


def destroy_command(topology: Path, *, cleanup: bool = True) -> list[str]:
    # --cleanup also removes the clab-<name> directory with its artifacts and node dirs.
    cmd = [CLAB, "destroy", "--topo", str(topology)]
    if cleanup:
        cmd.append("--cleanup")
    return cmd


def inspect_command(topology: Path) -> list[str]:
    return [CLAB, "inspect", "--topo", str(topology), "--format", "json"]


def fault_commands(command: Mapping[str, Any], containers: Mapping[str, str]) -> list[list[str]]:
    """The host commands for one ``lab fault`` request; ``containers``: node -> container name."""
    op = command.get("op")

    def container(node: Any) -> str:
        if node not in containers:
            raise ContainerlabError(f"no node {node!r} in this lab")
        return containers[node]

    if op == "link":
        c = container(command.get("node"))
        state = "down" if command.get("state") == "down" else "up"
        return [["docker", "exec", c, "ip", "link", "set", "dev", str(command["interface"]), state]]
    if op == "node":
        c = container(command.get("node"))
        return [["docker", "pause" if command.get("state") == "down" else "unpause", c]]
    if op in ("latency", "loss"):
        c = container(command.get("node"))
        interfaces = command.get("interfaces") or ["eth0"]
        flag = ["--delay", f"{int(command['ms'])}ms"] if op == "latency" else ["--loss", str(command["pct"])]
        return [[CLAB, "tools", "netem", "set", "-n", c, "-i", str(i), *flag] for i in interfaces]
    raise ContainerlabError(f"the containerlab engine does not support fault {op!r}")


# ------------------------------------------------------------------ inspect JSON
def parse_inspect(text: str, lab_name: str) -> list[dict[str, Any]]:
    """The containers of lab ``lab_name`` from ``containerlab inspect --format json``.

    containerlab >= 0.61 prints ``{"<lab>": [ {...}, ... ]}``; older releases printed
    ``{"containers": [ {...} ]}``. Both are accepted; each entry keeps containerlab's keys
    (``name``, ``container_id``, ``image``, ``kind``, ``state``, ``ipv4_address`` ...)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ContainerlabError(f"containerlab inspect printed no JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ContainerlabError("containerlab inspect JSON is not an object")
    if isinstance(doc.get("containers"), list):
        rows = doc["containers"]
    elif isinstance(doc.get(lab_name), list):
        rows = doc[lab_name]
    else:
        rows = [r for v in doc.values() if isinstance(v, list) for r in v]
    out = [r for r in rows if isinstance(r, dict) and r.get("lab_name", lab_name) == lab_name]
    if not out:
        raise ContainerlabError(f"containerlab inspect shows no containers of lab {lab_name!r}")
    return out


def _strip_prefix(addr: str) -> str:
    addr = addr.strip()
    return "" if addr in ("", "N/A") else addr.split("/", 1)[0]


def state_from_inspect(
    topology: Topology, rows: Sequence[Mapping[str, Any]], state_dir: Path, started: str = ""
) -> LabState:
    """The lab state of a deployed containerlab lab: one node per topology node, at the
    management address containerlab gave its container."""
    by_name = {str(r.get("name", "")): r for r in rows}
    profiles = lab_profiles()
    nodes = []
    for node in topology.nodes.values():
        long_name = topology.long_name(node.name)
        row = by_name.get(long_name)
        if row is None:
            raise ContainerlabError(f"containerlab inspect has no container {long_name} for node {node.name}")
        if str(row.get("state", "")) != "running":
            raise ContainerlabError(f"container {long_name} is {row.get('state')!r}, not running")
        ifaces = tuple(
            IfState(name=local.interface, if_index=0, descr=local.interface, speed_mbps=0, mac=local.mac,
                    peer=f"{remote.node}:{remote.interface}" if remote is not None else None)
            for local, remote in topology.links_of(node.name)
        )  # fmt: skip
        user, password = (
            (node.credentials.username, node.credentials.password) if node.credentials else ("admin", "admin")
        )
        nodes.append(
            NodeState(
                name=node.name,
                long_name=long_name,
                kind=node.kind,
                role=node.label("role"),
                site=node.label("site"),
                address=_strip_prefix(str(row.get("ipv4_address", ""))) or node.mgmt_ipv4,
                snmp_port=161,
                snmp_profile=node.label("ossagent-snmp-profile", PROFILE_V2C) or PROFILE_V2C,
                engine_id="",
                sys_name=node.name,
                platform=node.kind,
                interfaces=ifaces,
                mgmt_via=tuple(v.strip() for v in node.label("ossagent-mgmt-via").split(",") if v.strip()),
                faces=("cli",),
                cli_dialect="",
                ssh_port=22,
                username=user,
                password=password,
            )
        )
    return LabState(
        name=topology.name,
        pid=0,  # no process of ours: containerlab and Docker own the lab
        topology_path=str(topology.path) if topology.path else None,
        started=started or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        control_socket="",
        profiles=profiles,
        nodes=tuple(nodes),
        engine=ENGINE,
        state_dir=str(state_dir),
    )


# ------------------------------------------------------------------ engine
def _run(cmd: list[str], timeout: float = 900.0) -> str:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise ContainerlabError(f"{cmd[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ContainerlabError(f"{' '.join(cmd)}: timed out after {timeout:g}s") from exc
    if res.returncode != 0:
        raise ContainerlabError(f"{' '.join(cmd)}: exit {res.returncode}: {res.stderr.strip()[-2000:]}")
    return res.stdout


def up(topology: Topology, state_dir: Path) -> LabState:
    why = why_unavailable()
    if why:
        raise ContainerlabError(why)
    if topology.path is None:
        raise ContainerlabError("the containerlab engine needs the topology file on disk")
    _run(deploy_command(topology.path))
    state = state_from_inspect(
        topology, parse_inspect(_run(inspect_command(topology.path), 60), topology.name), state_dir
    )
    write_private(state_dir / STATE_FILE, state.to_json())
    return state


def read_state(state_dir: Path) -> LabState | None:
    """The recorded state of a containerlab lab (containerlab, not we, knows if it still runs)."""
    try:
        doc = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    if doc.get("engine") != ENGINE:
        return None
    return LabState.from_dict(doc)


def down(state: LabState, state_dir: Path) -> None:
    if state.topology_path and shutil.which(CLAB):
        _run(destroy_command(Path(state.topology_path)))
    with_suppress_unlink(state_dir / STATE_FILE)


def fault(state: LabState, command: Mapping[str, Any]) -> dict[str, Any]:
    containers = {n.name: n.long_name for n in state.nodes}
    for cmd in fault_commands(command, containers):
        _run(cmd, 60)
    return {"ok": True}


def with_suppress_unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
