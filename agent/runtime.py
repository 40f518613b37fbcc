"""Shared state of a running agent: the store context, one SNMP engine per event loop, and the
global bound on requests in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

from agent.context import Context
from collectors.snmp.client import close_engine, new_engine


@dataclass
class Runtime:
    ctx: Context
    engine: SnmpEngine = field(default_factory=new_engine)
    limit: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.limit = asyncio.Semaphore(self.ctx.settings.max_concurrency)

    def close(self) -> None:
        close_engine(self.engine)
