"""The agent's provisioning work: run planned transactions, recover interrupted ones at
start, and back up configurations and check them for drift on a schedule."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from agent.provisioning.access import access_for
from agent.provisioning.config_store import record_backup
from agent.provisioning.drift import apply_drift
from agent.provisioning.executor import Executor, interrupted, planned
from agent.provisioning.hostkeys import open_checked
from agent.runtime import Runtime
from inventory.models import Device
from inventory.provisioning_models import ConfigAccess, TransactionDevice

log = logging.getLogger(__name__)


async def recover_job(rt: Runtime) -> int:
    ids = await asyncio.to_thread(interrupted, rt.ctx)
    for tx_id in ids:
        state = await asyncio.to_thread(Executor(rt.ctx).recover, tx_id)
        log.warning("recovered interrupted transaction %s: %s", tx_id, state.value)
    return len(ids)


PARALLEL_TRANSACTIONS = 4


def runnable_batch(queue: list[tuple[str, set[int]]], limit: int = PARALLEL_TRANSACTIONS) -> list[str]:
    """The planned transactions (oldest first, with their devices) that may run together:
    no two share a device, and none overtakes an older one on a device they share (an older
    transaction left waiting still holds its devices for this round)."""
    held: set[int] = set()
    batch: list[str] = []
    for tx_id, devices in queue:
        if len(batch) < limit and not devices & held:
            batch.append(tx_id)
        held |= devices
    return batch


def _planned_with_devices(rt: Runtime) -> list[tuple[str, set[int]]]:
    ids = planned(rt.ctx)
    with rt.ctx.begin() as s:
        rows = s.execute(
            select(TransactionDevice.transaction_id, TransactionDevice.device_id).where(
                TransactionDevice.transaction_id.in_(ids)
            )
        ).all()
    devices: dict[str, set[int]] = {tx_id: set() for tx_id in ids}
    for tx_id, device_id in rows:
        devices[tx_id].add(device_id)
    return [(tx_id, devices[tx_id]) for tx_id in ids]


async def transactions_job(rt: Runtime) -> int:
    """Run what the web process or the BSS bridge planned: transactions on disjoint devices
    together (a burst of orders on different switches does not queue behind each other),
    those sharing a device in the order they were planned."""
    queue = await asyncio.to_thread(_planned_with_devices, rt)
    batch = runnable_batch(queue)

    async def one(tx_id: str) -> None:
        state = await asyncio.to_thread(Executor(rt.ctx).run, tx_id)
        log.info("transaction %s: %s", tx_id, state.value)

    await asyncio.gather(*(one(tx_id) for tx_id in batch))
    return len(batch)


def backup_device(rt: Runtime, device_id: int, source: str = "scheduled") -> tuple[bool, str]:
    """Read the running configuration, store a version if it changed, check drift."""
    with rt.ctx.begin() as s:
        device = s.get(Device, device_id)
        if device is None:
            return False, "no such device"
        access = access_for(s, device)
        fmt = "netconf" if access.driver == "netconf" else "cli"
    driver = open_checked(rt.ctx, device_id, access)
    try:
        running = driver.get_config()
    finally:
        driver.close()
    row = record_backup(rt.ctx, device_id, fmt, running, source)
    drift = apply_drift(rt.ctx, device_id, running)
    return True, ("new version" if row else "unchanged") + (
        f", drift on {len(drift)} service(s)" if drift else ""
    )


async def backup_job(rt: Runtime) -> int:
    def ids() -> list[int]:
        with rt.ctx.begin() as s:
            return list(
                s.scalars(select(ConfigAccess.device_id).join(Device).where(Device.enabled.is_(True)))
            )

    count = 0
    for device_id in await asyncio.to_thread(ids):
        try:
            await asyncio.to_thread(backup_device, rt, device_id)
            count += 1
        except Exception as exc:
            log.warning("backup of device %s failed: %s", device_id, exc)
    return count
