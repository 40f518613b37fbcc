"""TMF642 input: list filters from the query string, PATCH bodies, task bodies and their
alarm patterns. Pure functions over plain data; errors are ``FieldError`` naming the
attribute at fault (``alarmPattern[1].perceivedSeverity: ...``)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from bss_bridge.tmf.alarm import RESOURCE_BASE, SOURCE_SYSTEM
from bss_bridge.tmf.common import href
from inventory.choices import AckState, AlarmedObjectType, AlarmState, AlarmType, Severity
from inventory.queries_alarms import AlarmFilter
from web.alarm_actions import MAX_SYSTEM, MAX_USER, SYSTEM, AlarmChange, NewComment, comment_text
from web.validation import FieldError, only, parse_datetime, string

E = TypeVar("E", bound=enum.Enum)

# A client's clock may run a little ahead of ours; a time further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
MAX_TEXT = 255  # free-text filter values and pattern attributes
MAX_PATTERNS = 100
MAX_COMMENTS = 20  # new comments in one PATCH
TYPE_KEYS = frozenset({"@type", "@baseType", "@schemaLocation"})


def _enum(field_name: str, cls: type[E], raw: str) -> E:
    try:
        return cls(raw)
    except ValueError:
        values = ", ".join(str(m.value) for m in cls)
        raise FieldError(field_name, f"{raw!r} is not one of {values}") from None


def _bool(field_name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise FieldError(field_name, "must be true or false")


def _alarm_id(field_name: str, raw: object) -> int:
    # The v4 swagger types Alarm.id as an integer, implementations send strings: take both.
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**63:
        return raw
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 18:
        return int(raw.strip())
    raise FieldError(field_name, "must be an alarm id (digits)")


def _text(field_name: str, raw: object) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise FieldError(field_name, f"must be a string of at most {MAX_TEXT} characters")
    return raw


# -- GET /alarm: the query string -------------------------------------------------------------

PAGING_PARAMS = frozenset({"fields", "offset", "limit"})
_TIME_FILTERS = {
    "alarmRaisedTime.gt": "raised_gt",
    "alarmRaisedTime.gte": "raised_gte",
    "alarmRaisedTime.lt": "raised_lt",
    "alarmRaisedTime.lte": "raised_lte",
}


def _split(values: Sequence[str]) -> list[str]:
    """``a,b`` or ``x=a&x=b``: both are OR (TMF630); used for enumerations and ids only,
    whose values never hold a comma."""
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def _enums(cls: type[E]) -> Callable[[str, Sequence[str]], frozenset[E]]:
    return lambda name, values: frozenset(_enum(name, cls, v) for v in _split(values))


def _texts(name: str, values: Sequence[str]) -> frozenset[str]:
    return frozenset(_text(name, v) for v in values)


_SET_FILTERS: dict[str, tuple[str, Callable[[str, Sequence[str]], frozenset[Any]]]] = {
    "id": ("ids", lambda name, values: frozenset(_alarm_id(name, v) for v in _split(values))),
    "state": ("states", _enums(AlarmState)),
    "ackState": ("ack_states", _enums(AckState)),
    "perceivedSeverity": ("severities", _enums(Severity)),
    "alarmType": ("alarm_types", _enums(AlarmType)),
    "alarmedObjectType": ("object_types", _enums(AlarmedObjectType)),
    "probableCause": ("probable_causes", _texts),
    "alarmedObject.id": ("objects", _texts),
    "externalAlarmId": ("external_ids", _texts),
    "isRootCause": ("root_cause", lambda name, values: frozenset(_bool(name, v) for v in _split(values))),
}
LIST_FILTERS = (*_SET_FILTERS, *_TIME_FILTERS)


def list_filter(args: MultiDict[str, str]) -> AlarmFilter:
    """The filter of ``GET /alarm``. An unknown parameter is refused rather than ignored:
    a misspelt filter would otherwise return every alarm as if it had matched."""
    values: dict[str, Any] = {}
    for key in args:
        if key in PAGING_PARAMS:
            continue
        raw = args.getlist(key)
        if key in _SET_FILTERS:
            attr, parse = _SET_FILTERS[key]
            values[attr] = parse(key, raw)
        elif key in _TIME_FILTERS:
            if len(raw) != 1:
                raise FieldError(key, "give it once")
            # An unencoded "+" in a query string arrives as a space ("...T10:00:00 02:00").
            values[_TIME_FILTERS[key]] = parse_datetime(key, raw[0].replace(" ", "+"))
        else:
            raise FieldError(key, f"is not a filter of this API; filters: {', '.join(LIST_FILTERS)}")
    return AlarmFilter(**values)


# -- alarm patterns (the task resources) ------------------------------------------------------


def _pattern_set(attr: str, parse: Callable[[str, Any], Any]) -> Callable[[str, Any], dict[str, Any]]:
    return lambda name, raw: {attr: frozenset({parse(name, raw)})}


def _enum_value(cls: type[E]) -> Callable[[str, Any], E]:
    def parse(name: str, raw: Any) -> E:
        if not isinstance(raw, str):
            raise FieldError(name, "must be a string")
        return _enum(name, cls, raw)

    return parse


# alarmedObject.@referredType as to_tmf writes it: devices are physical resources, the rest logical.
_REFERRED_TYPES = {
    "PhysicalResource": frozenset({AlarmedObjectType.DEVICE}),
    "LogicalResource": frozenset({AlarmedObjectType.INTERFACE, AlarmedObjectType.SERVICE}),
}


def _alarmed_object(name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or "id" not in raw:
        raise FieldError(name, 'must be an object with an id, e.g. {"id": "r1"}')
    only(raw, {"id", "href", "@referredType"}, where=f"{name}.")
    out: dict[str, Any] = {"objects": frozenset({_text(f"{name}.id", raw["id"])})}
    if "href" in raw and raw["href"] != href(RESOURCE_BASE, "resource", raw["id"]):
        out["impossible"] = True  # the href we give every alarmed object, or none matches
    if "@referredType" in raw:
        if raw["@referredType"] not in _REFERRED_TYPES:
            raise FieldError(f"{name}.@referredType", f"must be one of {', '.join(_REFERRED_TYPES)}")
        out["object_types"] = _REFERRED_TYPES[raw["@referredType"]]
    return out


def _merge(values: dict[str, Any], more: dict[str, Any]) -> None:
    """Add one attribute's conditions to a pattern's: two conditions on the same column
    (alarmedObjectType and alarmedObject.@referredType) must both hold."""
    for key, value in more.items():
        if key == "impossible":
            values[key] = values.get(key, False) or value
        elif key in values and isinstance(value, frozenset):
            values[key] = values[key] & value
            if not values[key]:
                values["impossible"] = True
        else:
            values[key] = value


def _system(name: str, raw: Any) -> dict[str, Any]:
    # Every alarm here has ossagent as its source and reporting system.
    return {} if _text(name, raw) == SOURCE_SYSTEM else {"impossible": True}


def _planned(name: str, raw: Any) -> dict[str, Any]:
    if raw not in ("InService", "OutOfService"):
        raise FieldError(name, "must be InService or OutOfService")
    return {"planned": raw == "OutOfService"}


def _alarm_type_tag(name: str, raw: Any) -> dict[str, Any]:
    if raw != "Alarm":
        raise FieldError(name, "must be Alarm")
    return {}


_PATTERN_ATTRS: dict[str, Callable[[str, Any], dict[str, Any]]] = {
    "id": _pattern_set("ids", _alarm_id),
    "externalAlarmId": _pattern_set("external_ids", _text),
    "state": _pattern_set("states", _enum_value(AlarmState)),
    "ackState": _pattern_set("ack_states", _enum_value(AckState)),
    "perceivedSeverity": _pattern_set("severities", _enum_value(Severity)),
    "alarmType": _pattern_set("alarm_types", _enum_value(AlarmType)),
    "alarmedObjectType": _pattern_set("object_types", _enum_value(AlarmedObjectType)),
    "probableCause": _pattern_set("probable_causes", _text),
    "specificProblem": _pattern_set("specific_problems", _text),
    "ackUserId": _pattern_set("ack_users", _text),
    "clearUserId": _pattern_set("clear_users", _text),
    "isRootCause": _pattern_set("root_cause", _bool),
    "alarmedObject": _alarmed_object,
    "plannedOutageIndicator": _planned,
    "sourceSystemId": _system,
    "reportingSystemId": _system,
    "@type": _alarm_type_tag,
}


def pattern_filters(raw: object) -> list[AlarmFilter]:
    """``alarmPattern``: a list of partial alarms; an alarm matches a pattern when every
    attribute given equals the alarm's, and a task's alarms are those matching any pattern."""
    if not isinstance(raw, list) or not raw:
        raise FieldError("alarmPattern", "must be a non-empty list of partial alarms")
    if len(raw) > MAX_PATTERNS:
        raise FieldError("alarmPattern", f"at most {MAX_PATTERNS} patterns")
    filters = []
    for i, pattern in enumerate(raw):
        where = f"alarmPattern[{i}]"
        if not isinstance(pattern, dict):
            raise FieldError(where, "must be an object (a partial alarm)")
        values: dict[str, Any] = {}
        for key, value in pattern.items():
            parse = _PATTERN_ATTRS.get(key)
            if parse is None:
                raise FieldError(
                    f"{where}.{key}", f"cannot be matched on; patterns take {', '.join(_PATTERN_ATTRS)}"
                )
            _merge(values, parse(f"{where}.{key}", value))
        if not values:
            raise FieldError(where, "an empty pattern would match every alarm; name at least one attribute")
        filters.append(AlarmFilter(**values))
    return filters


# -- PATCH /alarm/{id} ------------------------------------------------------------------------

PATCHABLE = ("ackState", "ackUserId", "state", "clearUserId", "alarmClearedTime", "comment", "@type")


def _cleared_time(name: str, raw: object, now: datetime) -> datetime:
    at = parse_datetime(name, raw)
    if at > now + CLOCK_SKEW:
        raise FieldError(name, "is in the future")
    return at


def _user(body: Mapping[str, Any], key: str) -> str:
    return string(body, key, max_len=MAX_USER)


def new_comments(raw: object, existing: Sequence[Mapping[str, Any]]) -> list[NewComment]:
    """The comments to add from a PATCH's ``comment`` list. Merge-patch would replace the
    list, but comments are history: entries the client echoes back (same text and time as a
    comment the alarm has) are skipped, every other entry is appended, nothing is removed."""
    if not isinstance(raw, list):
        raise FieldError("comment", "must be a list of comments")
    seen = {(c.get("comment"), c.get("time")) for c in existing}
    out = []
    for i, entry in enumerate(raw):
        where = f"comment[{i}]"
        if not isinstance(entry, dict):
            raise FieldError(where, 'must be an object such as {"comment": "text"}')
        only(entry, {"comment", "userId", "systemId", "time", *TYPE_KEYS}, where=f"{where}.")
        if "time" in entry and (entry.get("comment"), entry["time"]) in seen:
            continue
        text = comment_text(f"{where}.comment", entry.get("comment"))
        out.append(NewComment(text, string(entry, "userId", where=f"{where}.", max_len=MAX_USER)))
    if len(out) > MAX_COMMENTS:
        raise FieldError("comment", f"at most {MAX_COMMENTS} new comments at a time")
    return out


def patch_change(
    body: Mapping[str, Any], existing_comments: Sequence[Mapping[str, Any]], now: datetime
) -> AlarmChange:
    """What a PATCH asks. Only the operator's attributes are writable: the rest of an alarm
    is what the network said, and a client cannot overwrite it."""
    for key, value in body.items():
        if key not in PATCHABLE:
            raise FieldError(key, f"cannot be changed; PATCH takes {', '.join(PATCHABLE)}")
        if value is None and key not in ("ackUserId", "clearUserId"):
            raise FieldError(key, "cannot be removed")
    if "@type" in body:
        _alarm_type_tag("@type", body["@type"])
    change = AlarmChange()
    if "ackState" in body:
        state = _enum_value(AckState)("ackState", body["ackState"])
        change = replace(
            change, ack=state is AckState.ACKNOWLEDGED, claimed_ack_user=_user(body, "ackUserId")
        )
    elif body.get("ackUserId") is not None:
        raise FieldError("ackUserId", "only together with ackState")
    if "state" in body:
        if body["state"] != AlarmState.CLEARED.value:
            raise FieldError("state", "only 'cleared' can be set; raised and updated come from the network")
        cleared_at = (
            _cleared_time("alarmClearedTime", body["alarmClearedTime"], now)
            if "alarmClearedTime" in body
            else None
        )
        change = replace(
            change, clear=True, cleared_at=cleared_at, claimed_clear_user=_user(body, "clearUserId")
        )
    else:
        for key in ("clearUserId", "alarmClearedTime"):
            if body.get(key) is not None:
                raise FieldError(key, 'only together with state: "cleared"')
    if "comment" in body:
        change = replace(change, comments=tuple(new_comments(body["comment"], existing_comments)))
    if change.empty and "comment" not in body:
        raise FieldError("body", f"names nothing to change; PATCH takes {', '.join(PATCHABLE)}")
    return change


# -- the task resources -----------------------------------------------------------------------


@dataclass(frozen=True)
class TaskKind:
    type_name: str  # the resource's @type
    result: str  # the attribute listing the alarms changed
    fields: frozenset[str]  # attributes of the body besides alarmPattern


TASKS = {
    "ackAlarms": TaskKind("AckAlarms", "ackedAlarm", frozenset({"ackUserId", "ackSystemId", "ackTime"})),
    "unAckAlarms": TaskKind(
        "UnAckAlarms", "unAckedAlarm", frozenset({"ackUserId", "ackSystemId", "ackTime"})
    ),
    "clearAlarms": TaskKind(
        "ClearAlarms", "clearedAlarm", frozenset({"clearUserId", "clearSystemId", "alarmClearedTime"})
    ),
    "commentAlarms": TaskKind("CommentAlarms", "commentedAlarm", frozenset({"comment"})),
}


@dataclass(frozen=True)
class Task:
    kind: TaskKind
    patterns: list[AlarmFilter]
    change: AlarmChange
    echo: dict[str, Any] = field(default_factory=dict)  # accepted input, returned as given


def task(name: str, body: Mapping[str, Any], now: datetime) -> Task:
    kind = TASKS[name]
    only(body, {"alarmPattern", "state", "id", "href", *kind.fields, *TYPE_KEYS})
    patterns = pattern_filters(body.get("alarmPattern"))
    echo: dict[str, Any] = {"alarmPattern": body["alarmPattern"]}
    if name in ("ackAlarms", "unAckAlarms"):
        if "ackTime" in body:
            # When it happens is when we apply it; the client's time is checked, not used.
            _cleared_time("ackTime", body["ackTime"], now)
        system = string(body, "ackSystemId", max_len=MAX_SYSTEM)
        change = AlarmChange(
            ack=name == "ackAlarms", claimed_ack_user=_user(body, "ackUserId"), system=system or SYSTEM
        )
    elif name == "clearAlarms":
        system = string(body, "clearSystemId", max_len=MAX_SYSTEM)
        cleared_at = (
            _cleared_time("alarmClearedTime", body["alarmClearedTime"], now)
            if body.get("alarmClearedTime")
            else None
        )
        change = AlarmChange(
            clear=True,
            cleared_at=cleared_at,
            claimed_clear_user=_user(body, "clearUserId"),
            system=system or SYSTEM,
        )
    else:
        raw = body.get("comment")
        if not isinstance(raw, dict):
            raise FieldError("comment", 'required: an object such as {"comment": "text"}')
        only(raw, {"comment", "userId", "systemId", "time", *TYPE_KEYS}, where="comment.")
        comment = NewComment(
            comment_text("comment.comment", raw.get("comment")),
            string(raw, "userId", where="comment.", max_len=MAX_USER),
        )
        system = string(raw, "systemId", where="comment.", max_len=MAX_SYSTEM)
        change = AlarmChange(comments=(comment,), system=system or SYSTEM)
        echo["comment"] = raw
    return Task(kind, patterns, change, echo)
