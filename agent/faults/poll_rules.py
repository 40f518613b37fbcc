"""What a poll says about faults: pure rules from observed state and rates to signals.

- a device that stops answering after its retries is down; answering again clears it;
- an interface that goes from oper-up to oper-down while admin-up is a link fault (the same
  alarm a linkDown trap raises, so a trap and a poll seeing one cut make one alarm); a port
  never seen up (an empty port left admin-up) raises nothing; oper-up or admin-down clears;
- utilisation and error ratios (errored packets as a share of all packets, so a busy 100G
  port and an idle 1G port are judged alike) raise above their high mark and clear below
  their low mark (hysteresis), so a value hovering at the threshold does not toggle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.faults.correlate import DEVICE_DOWN, LINK_DOWN
from agent.faults.engine import FaultConfig, Signal
from inventory.choices import EventSource, IfStatus


@dataclass(frozen=True)
class InterfaceObservation:
    if_index: int
    name: str
    admin: IfStatus
    oper: IfStatus
    oper_before: IfStatus | None
    speed_bps: int
    in_bps: float | None
    out_bps: float | None
    in_errors_ps: float | None
    out_errors_ps: float | None
    in_pps: float | None = None
    out_pps: float | None = None


def device_signal(device_id: int, reachable: bool, at: datetime, error: str = "") -> Signal:
    return Signal(
        device_id, DEVICE_DOWN, not reachable, at, EventSource.POLL, detail=error, count_repeat=False
    )


def _threshold(
    device_id: int,
    obs: InterfaceObservation,
    kind: str,
    value: float | None,
    high: float,
    low: float,
    unit: str,
    at: datetime,
) -> Signal | None:
    if value is None:
        return None
    info = {
        "crossedThresholdInformation": {
            "indicatorName": kind,
            "indicatorUnit": unit,
            "observedValue": f"{value:.2f}",
            "threshold": {"high": high, "low": low},
            "direction": "up" if value > high else "down",
            "granularity": "poll interval",
        }
    }
    if value > high:
        return Signal(
            device_id,
            kind,
            True,
            at,
            EventSource.POLL,
            if_index=obs.if_index,
            detail=f"{value:.1f}{unit} above {high:g}{unit}",
            count_repeat=False,
            details=info,
        )
    if value < low:
        return Signal(
            device_id, kind, False, at, EventSource.POLL, if_index=obs.if_index, detail=f"{value:.1f}{unit}"
        )
    return None  # between the marks: keep whatever state the alarm is in


def interface_signals(
    device_id: int, observations: list[InterfaceObservation], cfg: FaultConfig, at: datetime
) -> list[Signal]:
    out: list[Signal] = []
    for o in observations:
        if o.admin is IfStatus.UP and o.oper in (IfStatus.DOWN, IfStatus.LOWER_LAYER_DOWN):
            if o.oper_before is IfStatus.UP:
                out.append(
                    Signal(
                        device_id,
                        LINK_DOWN,
                        True,
                        at,
                        EventSource.POLL,
                        if_index=o.if_index,
                        count_repeat=False,
                    )
                )
        elif o.oper is IfStatus.UP or o.admin is IfStatus.DOWN:
            out.append(
                Signal(
                    device_id,
                    LINK_DOWN,
                    False,
                    at,
                    EventSource.POLL,
                    if_index=o.if_index,
                    detail="oper-status up (poll)",
                )
            )
        if o.speed_bps:
            for kind, bps in (("util-in", o.in_bps), ("util-out", o.out_bps)):
                pct = None if bps is None else 100.0 * bps / o.speed_bps
                sig = _threshold(device_id, o, kind, pct, cfg.util_high_pct, cfg.util_low_pct, "%", at)
                if sig:
                    out.append(sig)
        for kind, eps, pps in (
            ("errors-in", o.in_errors_ps, o.in_pps),
            ("errors-out", o.out_errors_ps, o.out_pps),
        ):
            pct = None if eps is None or pps is None or eps + pps <= 0 else 100.0 * eps / (eps + pps)
            sig = _threshold(device_id, o, kind, pct, cfg.errors_high_pct, cfg.errors_low_pct, "%", at)
            if sig:
                out.append(sig)
    return out
