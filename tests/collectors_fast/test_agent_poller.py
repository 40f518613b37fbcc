"""The agent's poll job and `ossagent poll --all --once` on the fast poller (in-process and the
pool) and on the pysnmp path: the same rows land in the store, rates and all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from agent.cli import cli
from agent.config import ConfigError, load_settings
from agent.context import Context, open_context
from agent.jobs.snmp import close_fast_poller, run_discovery, run_poll
from agent.runtime import Runtime
from inventory.domain import InventoryHost
from inventory.models import Device, InterfaceSample
from inventory.store import upsert_host
from tests.collectors_fast.conftest import PORTS, PROFILES, Lab

ROWS = PORTS + 2


def _add_lab(ctx: Context, lab: Lab, profile: str) -> list[int]:
    ids = []
    with ctx.begin() as s:
        for n in lab.state.nodes:
            d, _ = upsert_host(
                s, InventoryHost(name=n.name, host=n.address, snmp_port=n.snmp_port, snmp=lab.creds(profile))
            )
            ids.append(d.id)
    return ids


@pytest.mark.parametrize("poller", ["fast", "pool:2", "pysnmp"])
def test_poll_job_writes_the_same_rows_with_every_poller(home: Path, lab: Lab, poller: str) -> None:
    ctx = open_context(load_settings({"poller": poller, "snmp_timeout_s": 1.0}))
    try:
        ids = _add_lab(ctx, lab, PROFILES["v3"])[:3]

        async def go() -> list[list[bool]]:
            rt = Runtime(ctx)
            try:
                assert all(await asyncio.gather(*(run_discovery(rt, i) for i in ids)))
                cycles = []
                for _ in range(2):
                    results = await asyncio.gather(*(run_poll(rt, i) for i in ids))
                    assert all(r.samples == ROWS for r in results), [r.error for r in results]
                    cycles.append([r.ok for r in results])
                return cycles
            finally:
                await close_fast_poller(rt)
                rt.close()

        assert asyncio.run(go()) == [[True] * 3, [True] * 3]
        with ctx.begin() as s:
            assert s.scalar(select(func.count()).select_from(InterfaceSample)) == 2 * 3 * ROWS
            d = s.get(Device, ids[0])
            assert d is not None
            eth1 = next(i for i in d.interfaces if i.name == "Ethernet1")
            newest = s.get(InterfaceSample, eth1.last_sample_id)
            # The linked port carries simulated traffic: the second poll gives a real rate.
            assert newest is not None and newest.discontinuity is None and newest.in_bps is not None
    finally:
        ctx.close()


def test_poll_all_once_with_the_pool(home: Path, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSAGENT_POLLER", "pool:2")
    ctx = open_context(load_settings())
    try:
        _add_lab(ctx, lab, PROFILES["v2c"])
    finally:
        ctx.close()
    res = CliRunner().invoke(cli, ["poll", "--all", "--once", "--format", "json"])
    assert res.exit_code == 0, res.output
    ctx = open_context(load_settings())
    try:
        with ctx.begin() as s:
            n = s.scalar(select(func.count()).select_from(InterfaceSample))
        assert n == len(lab.state.nodes) * ROWS
    finally:
        ctx.close()


def test_poller_setting_is_checked(home: Path) -> None:
    assert load_settings().poller == "auto"
    with pytest.raises(ConfigError, match="poller"):
        load_settings({"poller": "pool:0"})
