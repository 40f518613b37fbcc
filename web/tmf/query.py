"""TMF630 list queries shared by the BSS-facing TM Forum APIs: ``attr=value`` filters
(repeat a parameter, or comma-separate ids and enumerations, for OR), ``attr.gt``/``.gte``/
``.lt``/``.lte`` on date-times, and the paging and field-selection parameters.

An unknown parameter is refused rather than ignored: a misspelt filter would otherwise
answer with every row as if it had matched. Errors are ``FieldError`` naming the parameter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from werkzeug.datastructures import MultiDict

from inventory.queries_bss import TimeRange
from web.validation import FieldError, parse_datetime

E = TypeVar("E", bound=enum.Enum)
Kind = Literal["text", "ids", "enum", "time", "bool"]
PAGING_PARAMS = frozenset({"fields", "offset", "limit"})
MAX_TEXT = 255
MAX_VALUES = 100
_OPS = ("gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Param:
    kind: Kind = "text"
    choices: tuple[str, ...] = ()  # the values an enumeration takes


def enum_param(cls: type[enum.Enum]) -> Param:
    return Param("enum", tuple(str(m.value) for m in cls))


@dataclass(frozen=True)
class Query:
    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    times: dict[str, TimeRange] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)

    def values(self, name: str) -> frozenset[str]:
        return self.sets.get(name, frozenset())

    def enum(self, name: str, cls: type[E]) -> frozenset[E]:
        return frozenset(cls(v) for v in self.values(name))

    def time(self, name: str) -> TimeRange:
        return self.times.get(name, TimeRange())

    def flag(self, name: str) -> bool | None:
        return self.flags.get(name)


def _texts(name: str, raw: list[str], split: bool) -> list[str]:
    values = [v.strip() for r in raw for v in (r.split(",") if split else [r])]
    values = [v for v in values if v]
    if not values:
        raise FieldError(name, "give a value")
    if len(values) > MAX_VALUES:
        raise FieldError(name, f"at most {MAX_VALUES} values")
    for v in values:
        if len(v) > MAX_TEXT:
            raise FieldError(name, f"values are at most {MAX_TEXT} characters")
    return values


def parse(args: MultiDict[str, str], spec: Mapping[str, Param]) -> Query:
    """The filters of a list request; ``spec`` names the filters the resource has."""
    sets: dict[str, frozenset[str]] = {}
    times: dict[str, dict[str, object]] = {}
    flags: dict[str, bool] = {}
    names = [n if p.kind != "time" else f"{n}.gt|gte|lt|lte" for n, p in spec.items()]
    for key in args:
        if key in PAGING_PARAMS:
            continue
        raw = args.getlist(key)
        base, _, op = key.rpartition(".")
        if key in spec and spec[key].kind != "time":
            p = spec[key]
            if p.kind == "bool":
                value = raw[-1].strip().lower()
                if value not in ("true", "false"):
                    raise FieldError(key, "must be true or false")
                flags[key] = value == "true"
                continue
            values = _texts(key, raw, split=p.kind in ("ids", "enum"))
            if p.kind == "enum":
                for v in values:
                    if v not in p.choices:
                        raise FieldError(key, f"{v!r} is not one of {', '.join(p.choices)}")
            sets[key] = frozenset(values)
        elif base in spec and spec[base].kind == "time" and op in _OPS:
            if len(raw) != 1:
                raise FieldError(key, "give it once")
            # An unencoded "+" in a query string arrives as a space ("...T10:00:00 02:00").
            times.setdefault(base, {})[op] = parse_datetime(key, raw[0].replace(" ", "+"))
        else:
            raise FieldError(key, f"is not a filter of this resource; filters: {', '.join(names)}")
    ranges = {name: TimeRange(**bounds) for name, bounds in times.items()}  # type: ignore[arg-type]
    return Query(sets, ranges, flags)
