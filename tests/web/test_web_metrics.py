"""/metrics: snmp_exporter's if_mib names and labels, correct values, valid exposition."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from inventory.choices import AlarmState, Severity
from inventory.fault_models import Alarm
from inventory.models import Device
from inventory.queries import CounterRow
from tests.web.faulttesting import COUNTERS
from tests.web.webtesting import HOSTILE_TEXT, XSS_ATTR, World
from web.metrics import counter_families, escape_label_value, format_value, high_speed

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass
class Exposition:
    types: dict[str, str]
    helps: dict[str, str]
    samples: list[tuple[str, dict[str, str], float]]

    def find(self, name: str, **labels: str) -> list[float]:
        return [
            v for n, lb, v in self.samples if n == name and all(lb.get(k) == x for k, x in labels.items())
        ]


def _parse_labels(text: str, line: str) -> tuple[dict[str, str], str]:
    """Labels from just after "{" to the closing "}"; returns them and the rest of the line."""
    labels: dict[str, str] = {}
    pos = 0
    while True:
        if text[pos] == "}":
            return labels, text[pos + 1 :]
        m = LABEL_NAME.match(text, pos)
        assert m and text[m.end()] == "=" and text[m.end() + 1] == '"', line
        name, pos = m.group(), m.end() + 2
        value = []
        while text[pos] != '"':
            ch = text[pos]
            if ch == "\\":
                nxt = text[pos + 1]
                assert nxt in '\\"n', f"bad escape in {line!r}"
                value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                pos += 2
            else:
                assert ch != "\n", line
                value.append(ch)
                pos += 1
        assert name not in labels, line
        labels[name] = "".join(value)
        pos += 1
        if text[pos] == ",":
            pos += 1


def parse_exposition(text: str) -> Exposition:
    """A strict reader of the text format 0.0.4, line by line."""
    assert text.endswith("\n")
    expo = Exposition({}, {}, [])
    seen_families: list[str] = []
    for line in text[:-1].split("\n"):
        assert line, "blank line"
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert NAME.fullmatch(name) and name not in expo.helps, line
            expo.helps[name] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name not in expo.types, f"TYPE twice for {name}"
            assert kind in {"counter", "gauge"}, line
            expo.types[name] = kind
            seen_families.append(name)
            continue
        assert not line.startswith("#"), line
        m = NAME.match(line)
        assert m, line
        name, rest = m.group(), line[m.end() :]
        labels: dict[str, str] = {}
        if rest.startswith("{"):
            labels, rest = _parse_labels(rest[1:], line)
        assert rest.startswith(" "), line
        value = rest[1:]
        assert " " not in value, line  # no timestamps
        # Samples follow their own family's TYPE line, without interleaving.
        assert seen_families and seen_families[-1] == name, f"{name} outside its family block"
        expo.samples.append((name, labels, float(value)))
    return expo


@pytest.fixture(scope="module")
def scrape(world: World) -> tuple[str, str]:
    resp = world.app.test_client().get("/metrics")
    assert resp.status_code == 200
    return resp.headers["Content-Type"], resp.get_data(as_text=True)


@pytest.fixture(scope="module")
def expo(scrape: tuple[str, str]) -> Exposition:
    return parse_exposition(scrape[1])


def test_content_type(scrape: tuple[str, str]) -> None:
    assert scrape[0] == "text/plain; version=0.0.4; charset=utf-8"


def test_counter_values_are_the_newest_samples(world: World, expo: Exposition) -> None:
    pairs = [
        ("InOctets", "in_octets"),
        ("OutOctets", "out_octets"),
        ("InUcastPkts", "in_ucast_pkts"),
        ("OutUcastPkts", "out_ucast_pkts"),
    ]
    checked = 0
    for newest in world.newest.values():
        where = {"device": newest["device"], "ifIndex": str(newest["if_index"])}
        hc = newest["counter_bits"] == 64
        for suffix, attr in pairs:
            name, other = (f"ifHC{suffix}", f"if{suffix}") if hc else (f"if{suffix}", f"ifHC{suffix}")
            assert expo.find(name, **where) == [float(newest[attr])], (name, where)
            assert expo.find(other, **where) == [], (other, where)
            checked += 1
        for name, attr in [
            ("ifInErrors", "in_errors"),
            ("ifOutErrors", "out_errors"),
            ("ifInDiscards", "in_discards"),
            ("ifOutDiscards", "out_discards"),
        ]:
            assert expo.find(name, **where) == [float(newest[attr])], (name, where)
    assert checked == 4 * len(world.newest) >= 16
    assert expo.types["ifHCInOctets"] == "counter" and expo.types["ifInOctets"] == "counter"
    assert not any(n.endswith("_total") for n in expo.types if n.startswith("if"))


def test_32_bit_device_uses_the_32_bit_names(expo: Exposition) -> None:
    assert expo.find("ifInOctets", device="old32", ifIndex="1")
    assert not expo.find("ifHCInOctets", device="old32")
    assert not expo.find("ifInOctets", device="r1")


def test_gauges_and_labels(expo: Exposition) -> None:
    e1 = {"device": "r1", "ifIndex": "1"}
    assert expo.find("ifOperStatus", **e1) == [1.0]
    assert expo.find("ifOperStatus", device="r1", ifIndex="2") == [2.0]
    assert expo.find("ifAdminStatus", **e1) == [1.0]
    assert expo.find("ifHighSpeed", **e1) == [10_000.0]
    assert expo.find("ifHighSpeed", device="r1", ifIndex="99") == [1000.0]
    assert expo.find("ifOperStatus", device="r1", ifIndex="3") == []  # not present: not exported
    labels = next(lb for n, lb, _ in expo.samples if n == "ifHCInOctets" and lb["device"] == "r1")
    assert list(labels) == ["device", "ifAlias", "ifDescr", "ifIndex", "ifName"]
    assert labels["ifName"] == "ethernet-1/1" and labels["ifAlias"] == "to-r2 e1-1"
    assert expo.types["ifOperStatus"] == "gauge" and "1.3.6.1.2.1.2.2.1.8" in expo.helps["ifOperStatus"]


def test_hostile_label_values_survive(expo: Exposition) -> None:
    (labels,) = [lb for n, lb, _ in expo.samples if n == "ifOperStatus" and lb["device"] == "evil"]
    assert labels["ifAlias"] == HOSTILE_TEXT
    assert labels["ifDescr"] == XSS_ATTR


def test_agent_metrics(world: World, expo: Exposition) -> None:
    assert expo.find("ossagent_devices", status="up") == [4.0]
    assert expo.find("ossagent_devices", status="unreachable") == [1.0]
    assert expo.find("ossagent_devices", status="unknown") == [1.0]
    assert expo.find("ossagent_device_up", device="r1") == [1.0]
    assert expo.find("ossagent_device_up", device="down1") == [0.0]
    assert expo.find("ossagent_device_last_poll_timestamp_seconds", device="new1") == []
    with world.sessions() as s:
        r1 = s.query(Device).filter_by(name="r1").one()
        assert r1.last_polled is not None
        assert expo.find("ossagent_device_last_poll_timestamp_seconds", device="r1") == [
            r1.last_polled.timestamp()
        ]
    assert expo.find("ossagent_interfaces") == [7.0]
    assert expo.types["ossagent_devices"] == "gauge"


def test_scrape_costs_a_fixed_number_of_queries(world: World) -> None:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        assert world.app.test_client().get("/metrics").status_code == 200
    finally:
        event.remove(world.engine, "before_cursor_execute", count)
    # devices, interfaces with their newest samples, alarm counts, agent counters
    assert len(statements) <= 4, statements


def test_escaping_and_number_formatting() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert format_value(2**64 - 1) == "18446744073709551615"  # exact, not 1.8e19
    assert format_value(1.5) == "1.5"
    assert format_value(math.nan) == "NaN" and format_value(-math.inf) == "-Inf"
    assert high_speed(10_000_000_000) == 10_000 and high_speed(1_500_000) == 2 and high_speed(0) == 0


def test_alarm_gauges_count_the_active_alarms(world: World) -> None:
    expo = parse_exposition(world.app.test_client().get("/metrics").get_data(as_text=True))
    with world.sessions() as s:
        active = [a for a in s.query(Alarm) if a.state is not AlarmState.CLEARED]
    assert expo.types["ossagent_alarms_active"] == "gauge"
    seen = 0.0
    for severity in (s for s in Severity if s is not Severity.CLEARED):
        for root in (True, False):
            want = sum(
                1
                for a in active
                if a.perceived_severity is severity
                and (a.is_root_cause and a.suppressed_by_id is None) is root
            )
            got = expo.find("ossagent_alarms_active", severity=severity.value, root=str(root).lower())
            assert got == [float(want)], (severity, root)  # zeros too: a series never vanishes
            seen += want
    assert seen == len(active)
    assert expo.find("ossagent_alarms_active", severity="critical", root="true")[0] >= 1  # a_root
    assert expo.find("ossagent_alarms_active", severity="major", root="false")[0] >= 1  # a_child
    assert expo.find("ossagent_alarms_active", severity="cleared") == []


def test_agent_counters_are_published(expo: Exposition) -> None:
    assert expo.find("ossagent_traps_received_total") == [1234.0]
    assert expo.find("ossagent_traps_decoded_total") == [1200.0]
    assert expo.find("ossagent_traps_malformed_total") == [3.0]
    assert expo.find("ossagent_traps_queue_dropped_total") == [0.0]
    assert expo.find("ossagent_traps_unknown_source_total") == [7.0]
    assert expo.find("ossagent_traps_rejected_total", reason="community") == [5.0]
    assert expo.find("ossagent_traps_rejected_total", reason="rate") == [2.0]
    # A label value stored escaped reads back as the original string.
    assert expo.find("ossagent_traps_rejected_total", reason='bad "q" \\ x\ny') == [1.0]
    assert len(expo.find("ossagent_traps_rejected_total")) == 3
    for name in ("ossagent_traps_received_total", "ossagent_traps_rejected_total"):
        assert expo.types[name] == "counter" and expo.helps[name]
    assert expo.types["ossagent_trap_queue_depth"] == "gauge"
    assert expo.find("ossagent_trap_queue_depth") == [3.0]
    # The row whose name is not a metric name is left out, not the whole scrape.
    assert all(" " not in name for name, _, _ in expo.samples)
    valid = {n for n, _, _ in COUNTERS if NAME.fullmatch(n)}
    assert valid <= set(expo.types)


def test_counter_rows_that_would_break_the_exposition_are_skipped() -> None:
    rows = [
        CounterRow("ok_total", 'a="1"', 1.0),
        CounterRow("ok_total", 'a="2",b="x\\"y"', 2.0),
        CounterRow("bad_labels_total", 'a="unterminated', 1.0),
        CounterRow("bad_labels_total", "a=1", 1.0),
        CounterRow("bad_labels_total", 'a="1"} evil 1\n# TYPE x', 1.0),
        CounterRow("ossagent_devices", "", 9.0),  # one of ours: not overwritten
        CounterRow("9starts_with_digit", "", 1.0),
    ]
    families = counter_families(rows, reserved=frozenset({"ossagent_devices"}))
    assert [(f.name, f.kind, f.samples) for f in families] == [
        ("ok_total", "counter", [('a="1"', 1.0), ('a="2",b="x\\"y"', 2.0)])
    ]
