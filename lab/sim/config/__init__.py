"""The canonical configuration model of simulated devices and its renderings (EOS-like CLI,
IOS/FRR-like CLI, NETCONF XML). See ``README.md`` in this folder for the exact syntaxes."""

from __future__ import annotations

from lab.sim.config.model import Change, ConfigError, DeviceConfig, InterfaceConfig, Issue, Xconnect
from lab.sim.config.store import CommitRefused, ConfigStore

__all__ = [
    "Change",
    "CommitRefused",
    "ConfigError",
    "ConfigStore",
    "DeviceConfig",
    "InterfaceConfig",
    "Issue",
    "Xconnect",
]
