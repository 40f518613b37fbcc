"""The simulated devices' configuration faces (lab.sim) as peers of the provisioning tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

SIM_FIELDS = ("faces", "netconf_port", "ssh_port", "eapi_port", "host_key")
SIM_TOPOLOGY = Path(__file__).with_name("contract.clab.yml")


def sim_faces_missing() -> str | None:
    """None when lab.sim nodes publish their NETCONF/CLI/eAPI faces, else why not."""
    try:
        from lab.sim.state import NodeState
    except Exception as exc:  # the sim is edited in parallel: never break collection
        return f"lab.sim is not importable: {type(exc).__name__}: {exc}"
    have = {f.name for f in dataclasses.fields(NodeState)}
    missing = [f for f in SIM_FIELDS if f not in have]
    if missing:
        return (
            "lab.sim NodeState has no " + "/".join(missing) + " yet: the simulated NETCONF/CLI/eAPI faces "
            "are not there; these parameters run as soon as they are"
        )
    return None


def credentials(node: object) -> tuple[str, str]:
    user, pw = getattr(node, "username", None), getattr(node, "password", None)
    if user:
        return str(user), str(pw or "")
    try:
        from lab.sim.runtime import DEFAULT_CREDENTIALS
    except Exception:
        return ("admin", "admin")
    return DEFAULT_CREDENTIALS.get(str(getattr(node, "kind", "")), ("admin", "admin"))


def front_port(node: object) -> str | None:
    names = [i.name for i in getattr(node, "interfaces", ())]
    ports = [n for n in names if not n.lower().startswith(("mgmt", "management", "lo", "system"))]
    return ports[-1] if ports else None
