"""Parsers on recorded replies: every folder under tests/fixtures/snmp/ is a case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors.snmp.parse import ParseError, parse_counters, parse_system
from collectors.snmp.values import Exc, from_record, tabulate, text, to_record
from collectors.specs import load_spec, parse_oid
from tests.fixtures_snmp import cases, parse_folder


@pytest.mark.parametrize("folder", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recorded_case(folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text())
    assert json.loads(json.dumps(parse_folder(folder), default=str)) == expected


def test_there_are_cases() -> None:
    assert len(cases()) >= 3


def test_missing_uptime_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_system({}, load_spec("system"))
    with pytest.raises(ParseError):
        parse_counters(Exc.NO_SUCH_OBJECT, [], load_spec("perf_hc"))


def test_tabulate_ignores_foreign_oids_and_exceptions() -> None:
    cols = {"a": (1, 3, 6, 1, 2), "b": (1, 3, 6, 1, 3)}
    vbs = [
        ((1, 3, 6, 1, 2, 5), 1),
        ((1, 3, 6, 1, 3, 5), b"x"),
        ((1, 3, 6, 1, 4, 1), 9),
        ((1, 3, 6, 1, 2, 6), Exc.END_OF_MIB_VIEW),
    ]
    assert tabulate(vbs, cols) == {(5,): {"a": 1, "b": b"x"}}


def test_text_keeps_markup_verbatim_and_replaces_bad_bytes() -> None:
    assert text(b"<script>alert(1)</script>\x00") == "<script>alert(1)</script>"
    assert text(b"caf\xe9") == "caf\ufffd"


@pytest.mark.parametrize("value", [0, 2**64 - 1, b"\x00\xff", "1.3.6.1.4.1.9", Exc.END_OF_MIB_VIEW, None])
def test_record_round_trip(value: object) -> None:
    oid = parse_oid("1.3.6.1.2.1.1.1.0")
    assert from_record(json.loads(json.dumps(to_record(oid, value)))) == (oid, value)  # type: ignore[arg-type]
