"""From a service request to the change on each device (pure).

Create, modify and delete are all the same computation: render the configuration the service
owns on each device before and after, and diff the two natively (CLI commands for text
configurations, an edit-config for NETCONF). Nothing here is a hand-written undo: deleting a
service is the diff from its configuration to nothing, and a bandwidth change is the diff of
two renderings that differ in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioners.diff import cli as cli_diff
from provisioners.diff import xml as xml_diff
from provisioners.services.catalog import ServiceError, ServiceModel
from provisioners.services.render import DeviceFacts, flavour, render


@dataclass(frozen=True)
class DevicePlan:
    device: str
    format: str  # cli | netconf
    dialect: str  # eos | ios | "" (netconf)
    fragment_before: str
    fragment_after: str
    payload: str  # the native change: config commands, or an edit-config <config>

    @property
    def human_diff(self) -> str:
        if self.format == "netconf":
            return xml_diff.unified_diff(self.fragment_before, self.fragment_after, "before", "after")
        return cli_diff.unified_diff(self.fragment_before, self.fragment_after, "before", "after")


def native_change(fmt: str, dialect: str, before: str, after: str) -> str:
    if fmt == "netconf":
        return xml_diff.edit_config(before, after) or ""
    return "\n".join(cli_diff.commands(cli_diff.DIALECTS[dialect], before, after))


def plan(
    model: ServiceModel,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    facts: Mapping[str, DeviceFacts],
) -> list[DevicePlan]:
    """The per-device changes that take the service from ``before`` to ``after`` (None: the
    service does not exist on that side). Devices whose configuration does not change are
    left out; an empty list means nothing to do."""
    if before is None and after is None:
        raise ServiceError({"service": "nothing to do: neither a before nor an after"})
    if after is not None:
        model.validate(after)
    old = render(model, before, facts) if before is not None else {}
    new = render(model, after, facts) if after is not None else {}
    plans = []
    for device in [*new, *(d for d in old if d not in new)]:
        fmt = (new.get(device) or old[device])[0]
        _, _, dialect = flavour(facts[device].platform)
        frag_before = old.get(device, (fmt, ""))[1]
        frag_after = new.get(device, (fmt, ""))[1]
        payload = native_change(fmt, dialect, frag_before, frag_after)
        if payload:
            plans.append(DevicePlan(device, fmt, dialect, frag_before, frag_after, payload))
    return plans
