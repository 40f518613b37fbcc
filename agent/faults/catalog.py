"""Alarm kinds (agent/faults/kinds.yaml, extendable with $OSSAGENT_HOME/alarm-kinds.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from inventory.choices import AlarmType, Severity

_FILE = Path(__file__).with_name("kinds.yaml")


@dataclass(frozen=True)
class AlarmKind:
    name: str
    alarm_type: AlarmType
    probable_cause: str
    severity: Severity
    text: str

    def problem(self, obj: str, detail: str = "") -> str:
        return self.text.format(object=obj, detail=detail).strip().rstrip(":").strip()


def _parse(doc: object, where: str) -> dict[str, AlarmKind]:
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a mapping of alarm kinds")
    out = {}
    for name, spec in doc.items():
        try:
            out[str(name)] = AlarmKind(
                name=str(name),
                alarm_type=AlarmType(spec["alarm_type"]),
                probable_cause=str(spec["probable_cause"]),
                severity=Severity(spec.get("severity", "major")),
                text=str(spec.get("text", "{object}")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{where}: alarm kind {name!r}: {exc}") from exc
    return out


@cache
def kinds(extra_file: Path | None = None) -> dict[str, AlarmKind]:
    out = _parse(yaml.safe_load(_FILE.read_text()), str(_FILE))
    if extra_file is not None and extra_file.exists():
        out.update(_parse(yaml.safe_load(extra_file.read_text()), str(extra_file)))
    return out


def kind(name: str) -> AlarmKind:
    found = kinds().get(name)
    if found is not None:
        return found
    # An enterprise trap without a configured kind still becomes a sensible alarm.
    return AlarmKind(name, AlarmType.COMMUNICATIONS, "unspecifiedReason", Severity.MINOR, "{object} " + name)
