"""Dashboard benchmark: page latency of the web app over a large inventory on PostgreSQL.

The dataset, loaded into a scratch database with server-side SQL (``INSERT ... SELECT`` over
``generate_series``, no per-row Python), is what the store holds after 30 days under its
retention policy (raw samples 2 days, 5-minute rollups 90 days, hourly rollups 2 years), at a
5-minute poll interval:

- 10,000 devices on 50 sites, 3 hardware components each, 50 interfaces each (500,000);
- alarms: 3,000 active (a third of them suppressed by a device alarm) and 60,000 cleared
  over the 30 days, each with its history rows (raised, cleared) and 2 trap events;
- samples, scaled to what loads in a few minutes on a small machine (the full volume is
  billions of rows): for every interface, raw samples for the last ``--raw-hours`` hours and
  hourly rollups for the last ``--hourly-days`` days; for the interfaces of the first
  ``--history-devices`` devices, the whole retention: raw samples for 2 days, 5-minute
  rollups and hourly rollups for 30 days. Graph requests go to those devices.

Then, through the real Flask app (``create_app`` and a logged-in test client: routing, auth,
session, queries, templates, JSON; no socket), ``--requests`` requests of each page, and
their p50, p95 and max: the device list (HTML and REST API), a random device's page (its 50
interfaces and graph placeholders), a random interface's graph data (1 hour, 1 day, 7 days,
30 days), the active alarm list (HTML and REST API), the alarm list with history, a random
alarm's page and the TMF642 alarm list. The reference, in the same run: ``/health`` (the
app's cheapest request, one ``SELECT 1``), so a page's ratio is its cost over the
framework's; and the bare SQL of each list's main query. The target: every page's p95 under
300 ms. The scratch database is dropped at the end, also on failure (unless ``--keep``).

    .venv/bin/python bench/dashboard.py            # 10,000 devices (about 10 minutes, 9 GB)
    .venv/bin/python bench/dashboard.py --quick    # 1,000 devices, a smoke run
    .venv/bin/python bench/dashboard.py --keep     # keep the database; --reuse URL measures it again
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import drop_pg, pct, pg_database  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402

from inventory import crypto  # noqa: E402
from inventory.accounts import create_user  # noqa: E402
from inventory.choices import Role  # noqa: E402
from inventory.db import make_engine, session_factory, upgrade  # noqa: E402
from inventory.models import User  # noqa: E402
from tests.web.webtesting import login  # noqa: E402
from web import create_app  # noqa: E402

PASSWORD = "bench-password-0123"
IFACES = 50  # per device
SITES = 50
POLL = timedelta(minutes=5)
RAW_DAYS = 2  # the store's raw retention (sample_retention_days)
HISTORY_DAYS = 30
ACTIVE_ALARMS = 3_000
CLEARED_ALARMS = 60_000
TARGET_MS = 300.0


@dataclass(frozen=True)
class Scale:
    devices: int
    history_devices: int  # devices with the whole retention of samples
    raw_hours: int  # raw samples of every interface
    hourly_days: int  # hourly rollups of every interface
    requests: int

    @property
    def interfaces(self) -> int:
        return self.devices * IFACES


# ---------------------------------------------------------------------------- loading
# Rates of interface i at time t: a per-interface level and a daily wave.
RATE = "((i % 97) + 1) * 2.0e6 * (1.2 + sin(extract(epoch FROM t) / 86400.0 * 2 * pi() + i))"
SERIES = f"""SELECT i, t, {RATE} AS r, extract(epoch FROM t)::bigint AS e
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i,
         generate_series(CAST(:since AS timestamp), CAST(:until AS timestamp), CAST(:step AS interval)) AS t"""

SAMPLES_SQL = f"""
INSERT INTO interface_samples (interface_id, ts, uptime_ticks, counter_bits, oper_status,
    in_octets, out_octets, in_ucast_pkts, out_ucast_pkts, in_errors, out_errors, in_discards,
    out_discards, in_bps, out_bps, in_pps, out_pps, in_errors_ps, out_errors_ps, in_discards_ps,
    out_discards_ps, discontinuity)
SELECT i, t, (e % 4000000) * 100, 64, 1, e * ((i % 97) + 1) * 250000, e * ((i % 97) + 1) * 125000,
    e * ((i % 97) + 1) * 200, e * ((i % 97) + 1) * 100, 0, 0, 0, 0,
    r, r / 2, r / 8000, r / 16000, 0, 0, 0, 0, NULL
FROM ({SERIES}) s
"""

ROLLUPS_SQL = f"""
INSERT INTO interface_rollups (interface_id, period_s, bucket, samples, in_bps_avg, in_bps_max,
    out_bps_avg, out_bps_max, in_pps_avg, out_pps_avg, in_errors_ps_avg, in_errors_ps_max,
    out_errors_ps_avg, out_errors_ps_max)
SELECT i, CAST(:period AS integer), t, CAST(:per AS integer), r, r * 1.3, r / 2, r / 1.5, r / 8000,
    r / 16000, 0, 0, 0, 0
FROM ({SERIES}) s
"""

INVENTORY_SQL = [
    """INSERT INTO sites (id, name, description)
       SELECT g, 'site-' || lpad(g::text, 3, '0'), 'bench site' FROM generate_series(1, :sites) g""",
    """INSERT INTO devices (id, name, host, snmp_port, platform, role, site_id, poll_interval_s,
           enabled, status, status_changed, sys_object_id, sys_descr, sys_name, sys_location,
           sys_contact, uptime_ticks, last_seen, last_discovered, last_polled,
           consecutive_failures, last_error, data, created_at)
       SELECT g, 'dev' || lpad(g::text, 5, '0'),
           '10.' || (g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256), 161,
           (ARRAY['nokia_srlinux', 'arista_eos', 'cisco_iosxr', 'juniper_junos'])[1 + g % 4],
           (ARRAY['core', 'pe', 'access', 'access'])[1 + g % 4], 1 + g % :sites, 300, true,
           CASE WHEN g % 50 = 0 THEN 'unreachable' WHEN g % 97 = 0 THEN 'unknown' ELSE 'up' END,
           CAST(:now AS timestamp) - (g % 1000) * interval '1 hour', '1.3.6.1.4.1.6527.1.20.' || (g % 4),
           'Bench router ' || g || ', software v24.10.' || (g % 7), 'dev' || g || '.bench',
           'row ' || (g % 40) || ' rack ' || (g % 12), 'noc@example.net', (g * 100003)::bigint % 900000000,
           CAST(:now AS timestamp) - (g % 300) * interval '1 second',
           CAST(:now AS timestamp) - interval '3 hours',
           CAST(:now AS timestamp) - (g % 300) * interval '1 second',
           CASE WHEN g % 50 = 0 THEN 3 ELSE 0 END,
           CASE WHEN g % 50 = 0 THEN 'timeout after 1 retries' ELSE '' END, '{}',
           CAST(:now AS timestamp) - interval '30 days'
       FROM generate_series(1, :devices) g""",
    """INSERT INTO hardware_components (device_id, ent_index, phys_class, name, descr, contained_in,
           serial, model, hardware_rev, firmware_rev, software_rev, mfg_name)
       SELECT d, c, (ARRAY[3, 6, 7])[c], (ARRAY['Chassis', 'PSU 1', 'Fan 1'])[c],
           (ARRAY['chassis', 'AC power supply', 'fan tray'])[c], CASE WHEN c = 1 THEN 0 ELSE 1 END,
           'SN' || d || '-' || c, 'MODEL-' || c, 'rev-B', 'fw-1.2', 'v24.10.1', 'Bench'
       FROM generate_series(1, :devices) d, generate_series(1, 3) c""",
    """INSERT INTO interfaces (id, device_id, if_index, name, descr, alias, if_type, mtu, speed_bps, mac,
           admin_status, oper_status, last_change, counter_bits, present, last_sample_id, in_bps,
           out_bps, updated_at)
       SELECT (d - 1) * 50 + k, d, k, 'ethernet-1/' || k, 'ethernet-1/' || k,
           CASE WHEN k % 3 = 0 THEN 'cust-' || d || '-' || k ELSE '' END, 6, 9000,
           CASE WHEN k > 48 THEN 100000000000 ELSE 10000000000 END,
           '02:00:' || lpad(to_hex(d % 65536), 4, '0') || ':00:' || lpad(to_hex(k), 2, '0'),
           CASE WHEN k % 17 = 0 THEN 2 ELSE 1 END,
           CASE WHEN k % 17 = 0 OR (d * 50 + k) % 23 = 0 THEN 2 ELSE 1 END,
           CAST(:now AS timestamp) - ((d + k) % 500) * interval '1 hour', 64, k <> 50, NULL,
           (((d - 1) * 50 + k) % 97 + 1) * 2.0e6, (((d - 1) * 50 + k) % 97 + 1) * 1.0e6,
           CAST(:now AS timestamp)
       FROM generate_series(1, :devices) d, generate_series(1, 50) k""",
    # Active alarms: one device alarm (critical, root cause) on every 10th alarmed device,
    # interface alarms (major linkDown, or minor high utilisation) elsewhere; a third of the
    # interface alarms are suppressed by their device's alarm.
    """INSERT INTO alarms (id, reduction_key, device_id, interface_id, alarmed_object_type, alarmed_object,
           alarm_type, probable_cause, specific_problem, perceived_severity, state, ack_state,
           ack_user, raised_at, reported_at, changed_at, clear_user, occurrences, last_occurrence,
           is_root_cause, suppressed_by_id, correlation, planned, service_affecting, details, source,
           settle_at, announced, announced_occurrences)
       SELECT a, CASE WHEN a % 10 = 1 THEN 'deviceDown:' || dev ELSE 'linkDown:' || dev || ':' || ifx END,
           dev, CASE WHEN a % 10 = 1 THEN NULL ELSE (dev - 1) * 50 + ifx END,
           CASE WHEN a % 10 = 1 THEN 'Device' ELSE 'Interface' END,
           CASE WHEN a % 10 = 1 THEN 'dev' || lpad(dev::text, 5, '0')
                ELSE 'dev' || lpad(dev::text, 5, '0') || ':' || 'ethernet-1/' || ifx END,
           'communicationsAlarm', CASE WHEN a % 10 = 1 THEN 'unreachable' ELSE 'linkDown' END,
           CASE WHEN a % 10 = 1 THEN 'Device does not answer SNMP' ELSE 'Interface down' END,
           CASE WHEN a % 10 = 1 THEN 'critical' WHEN a % 3 = 0 THEN 'minor' ELSE 'major' END,
           CASE WHEN a % 4 = 0 THEN 'updated' ELSE 'raised' END,
           CASE WHEN a % 5 = 0 THEN 'acknowledged' ELSE 'unacknowledged' END,
           CASE WHEN a % 5 = 0 THEN 'noc' ELSE '' END,
           CAST(:now AS timestamp) - (a % 5000) * interval '5 minutes',
           CAST(:now AS timestamp) - (a % 5000) * interval '5 minutes',
           CAST(:now AS timestamp) - (a % 500) * interval '1 minute', '', 1 + a % 7,
           CAST(:now AS timestamp) - (a % 500) * interval '1 minute',
           a % 10 = 1 OR a % 3 <> 2, NULL, '', false, a % 6 = 0, '{}', 'trap',
           CAST(:now AS timestamp), true, 1
       FROM (SELECT a, 1 + ((a - 1) / 10 * 7) % :devices AS dev, 1 + a % 48 AS ifx
             FROM generate_series(1, :active) a) s""",
    """UPDATE alarms c SET suppressed_by_id = p.id, is_root_cause = false,
           correlation = 'device dev' || lpad(p.device_id::text, 5, '0') || ' is unreachable'
       FROM alarms p
       WHERE p.id = c.id - (c.id - 1) % 10 AND p.id <> c.id AND c.id % 3 = 2 AND c.id <= :active""",
    # Cleared history: linkDown/linkUp episodes over 30 days, all over the fleet.
    """INSERT INTO alarms (id, reduction_key, device_id, interface_id, alarmed_object_type, alarmed_object,
           alarm_type, probable_cause, specific_problem, perceived_severity, state, ack_state,
           ack_user, raised_at, reported_at, changed_at, cleared_at, clear_user, occurrences,
           last_occurrence, is_root_cause, suppressed_by_id, correlation, planned, service_affecting,
           details, source, settle_at, announced, announced_occurrences)
       SELECT a, 'linkDown:' || dev || ':' || ifx, dev, (dev - 1) * 50 + ifx, 'Interface',
           'dev' || lpad(dev::text, 5, '0') || ':' || 'ethernet-1/' || ifx, 'communicationsAlarm', 'linkDown',
           'Interface down', 'cleared', 'cleared', 'unacknowledged', '', raised, raised, raised + dur,
           raised + dur, '', 1, raised, true, NULL, '', a % 20 = 0, false, '{}', 'trap', raised, true, 1
       FROM (SELECT a, 1 + (a * 7919) % :devices AS dev, 1 + a % 48 AS ifx,
                    CAST(:now AS timestamp) - interval '30 days' + (a::float / :cleared) * interval '30 days' AS raised,
                    (a % 120 + 1) * interval '1 minute' AS dur
             FROM generate_series(:active + 1, :active + :cleared) a) s""",
    """INSERT INTO alarm_history (alarm_id, at, action, severity, "user", system, text, published)
       SELECT id, raised_at, 'raised', CASE WHEN state = 'cleared' THEN 'major' ELSE perceived_severity END,
           '', 'ossagent', '', true FROM alarms""",
    """INSERT INTO alarm_history (alarm_id, at, action, severity, "user", system, text, published)
       SELECT id, cleared_at, 'cleared', 'cleared', '', 'ossagent', '', true FROM alarms
       WHERE state = 'cleared'""",
]

# The traps behind the alarms: linkDown (and linkUp for the cleared ones), 2 per occurrence.
INVENTORY_SQL.append(
    """INSERT INTO events (received_at, source, source_address, device_id, name, trap_oid, version,
           if_index, varbinds, alarm_id, note)
       SELECT a.raised_at + (k * interval '1 second'), 'trap', d.host, a.device_id,
           CASE WHEN k % 2 = 1 AND a.state = 'cleared' THEN 'linkUp' ELSE 'linkDown' END,
           '1.3.6.1.6.3.1.1.5.3', 'v2c', a.interface_id - (a.device_id - 1) * 50, '[]', a.id, ''
       FROM alarms a JOIN devices d ON d.id = a.device_id, generate_series(0, 1) k"""
)
SEQUENCES = ["sites", "devices", "hardware_components", "interfaces", "alarms", "alarm_history", "events"]
TABLES = [
    "devices",
    "hardware_components",
    "interfaces",
    "alarms",
    "alarm_history",
    "events",
    "interface_samples",
    "interface_rollups",
]


@dataclass
class Loaded:
    seconds: dict[str, float]
    rows: dict[str, int]
    sizes: dict[str, str]
    now: datetime


@contextlib.contextmanager
def timed(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[name] = into.get(name, 0.0) + time.perf_counter() - start
    print(f"  {name}: {into[name]:.1f} s", flush=True)


def _index_ddl(c: Any, tables: list[str]) -> tuple[list[str], list[str]]:
    """(drop, create) statements of the tables' primary keys and indexes, as the migrations
    made them, so that a bulk load builds each index once at the end."""
    drop: list[str] = []
    create: list[str] = []
    for t in tables:
        for name, ddl in c.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype = 'p'"
            ),
            {"t": t},
        ):
            drop.append(f'ALTER TABLE {t} DROP CONSTRAINT "{name}"')
            create.append(f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {ddl}')
        for name, ddl in c.execute(
            text(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"""
            ),
            {"t": t},
        ):
            drop.append(f'DROP INDEX "{name}"')
            create.append(ddl)
    return drop, create


BULK = ["SET session_replication_role = replica", "SET synchronous_commit = off"]


def _run_parallel(engine: Engine, jobs: list[tuple[str, dict[str, Any]]], workers: int = 2) -> None:
    """Each job in its own transaction, ``workers`` connections at a time (one per core)."""

    def run(job: tuple[str, dict[str, Any]]) -> None:
        with engine.connect() as c:
            for sql in BULK:
                c.execute(text(sql))
            c.execute(text(job[0]), job[1])
            c.commit()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, jobs))


def _chunks(first: int, last: int, size: int = 25_000) -> Iterator[tuple[int, int]]:
    for lo in range(first, last + 1, size):
        yield lo, min(last, lo + size - 1)


def load(engine: Engine, scale: Scale) -> Loaded:
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 5)  # on the poll grid
    secs: dict[str, float] = {}
    n_if = scale.interfaces
    hist_if = scale.history_devices * IFACES
    big = scale.devices >= 10_000
    params = {
        "now": now,
        "sites": SITES,
        "devices": scale.devices,
        "active": ACTIVE_ALARMS if big else ACTIVE_ALARMS * scale.devices // 10_000,
        "cleared": CLEARED_ALARMS if big else CLEARED_ALARMS * scale.devices // 10_000,
    }
    sample_tables = ["interface_samples", "interface_rollups"]
    with engine.connect() as c:
        for sql in BULK:  # foreign keys are right by construction
            c.execute(text(sql))
        with timed(secs, "inventory and alarms"):
            for sql in INVENTORY_SQL:
                c.execute(text(sql), params)
            for t in SEQUENCES:
                c.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")
                )
            c.commit()
        drop, create = _index_ddl(c, sample_tables)
        for sql in drop:
            c.execute(text(sql))
        c.commit()

    def series(sql: str, first: int, last: int, since: datetime, until: datetime, step: timedelta,
               **extra: Any) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
        if last < first or since > until:
            return []
        return [
            (sql, {"first": lo, "last": hi, "since": since, "until": until, "step": step, **extra})
            for lo, hi in _chunks(first, last)
        ]

    five, hour = timedelta(minutes=5), timedelta(hours=1)
    raw_all = now - timedelta(hours=scale.raw_hours) + POLL
    raw_hist = now - timedelta(days=RAW_DAYS) + POLL
    history = now - timedelta(days=HISTORY_DAYS)
    # Rollups are complete buckets only: the newest ends where the current one starts.
    last_5m, last_1h = now - five, now.replace(minute=0) - hour
    r5 = {"period": 300, "per": 1}
    r1 = {"period": 3600, "per": 12}
    with timed(secs, "raw samples"):
        _run_parallel(engine, series(SAMPLES_SQL, 1, hist_if, raw_hist, now, POLL)
                      + series(SAMPLES_SQL, hist_if + 1, n_if, raw_all, now, POLL))  # fmt: skip
    with timed(secs, "5-minute rollups"):
        _run_parallel(engine, series(ROLLUPS_SQL, 1, hist_if, history, last_5m, five, **r5)
                      + series(ROLLUPS_SQL, hist_if + 1, n_if, raw_all, last_5m, five, **r5))  # fmt: skip
    with timed(secs, "hourly rollups"):
        _run_parallel(
            engine,
            series(ROLLUPS_SQL, 1, hist_if, history, last_1h, hour, **r1)
            + series(ROLLUPS_SQL, hist_if + 1, n_if, last_1h - timedelta(days=scale.hourly_days) + hour,
                     last_1h, hour, **r1),
        )  # fmt: skip
    with engine.connect() as c:
        c.execute(text("SET maintenance_work_mem = '1GB'"))
        with timed(secs, "sample keys and indexes"):
            for sql in create:
                c.execute(text(sql))
            c.commit()
        with timed(secs, "newest samples"):
            c.execute(
                text(
                    """UPDATE interfaces i SET last_sample_id = s.id
                       FROM (SELECT interface_id, max(id) AS id FROM interface_samples GROUP BY interface_id) s
                       WHERE s.interface_id = i.id"""
                )
            )
            c.execute(text("SELECT setval(pg_get_serial_sequence('interface_samples', 'id'), "
                           "(SELECT max(id) FROM interface_samples))"))  # fmt: skip
            c.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c, timed(secs, "analyze"):
        c.execute(text("VACUUM ANALYZE"))
    rows: dict[str, int] = {}
    sizes: dict[str, str] = {}
    with engine.connect() as c:
        for t in TABLES:
            rows[t] = int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
            sizes[t] = str(c.execute(text(f"SELECT pg_size_pretty(pg_total_relation_size('{t}'))")).scalar())
        for period in (300, 3600):
            rows[f"interface_rollups ({period} s)"] = int(
                c.execute(
                    text("SELECT count(*) FROM interface_rollups WHERE period_s = :p"), {"p": period}
                ).scalar()
                or 0
            )
        rows["alarms (active)"] = int(
            c.execute(text("SELECT count(*) FROM alarms WHERE state <> 'cleared'")).scalar() or 0
        )
        sizes["database"] = str(
            c.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        )
    return Loaded(secs, rows, sizes, now.replace(tzinfo=UTC))


# ---------------------------------------------------------------------------- measuring
@dataclass
class Figure:
    name: str
    times_ms: list[float]
    note: str = ""

    def row(self, ref_ms: float) -> str:
        p50, p95, mx = pct(self.times_ms, 0.5), pct(self.times_ms, 0.95), max(self.times_ms)
        flag = "" if p95 < TARGET_MS else "  (over target)"
        return (
            f"  {self.name:<44} p50 {p50:8.1f}  p95 {p95:8.1f}  max {mx:8.1f} ms"
            f"  x{p50 / ref_ms:6.1f}{flag}{'  ' + self.note if self.note else ''}"
        )


def time_requests(
    client: FlaskClient, paths: Callable[[int], str], n: int, expect: int = 200
) -> tuple[list[float], int]:
    out: list[float] = []
    size = 0
    for k in range(n):
        path = paths(k)
        start = time.perf_counter()
        resp = client.get(path)
        body = resp.get_data()
        out.append((time.perf_counter() - start) * 1000)
        if resp.status_code != expect:
            raise RuntimeError(f"GET {path}: {resp.status_code} {body[:300]!r}")
        size = max(size, len(body))
    return out, size


def time_sql(engine: Engine, sql: str, n: int, params: Callable[[int], dict[str, Any]]) -> list[float]:
    out: list[float] = []
    with engine.connect() as c:
        for k in range(n):
            start = time.perf_counter()
            c.execute(text(sql), params(k)).fetchall()
            out.append((time.perf_counter() - start) * 1000)
    return out


def measure(url: str, engine: Engine, scale: Scale, loaded: Loaded) -> list[Figure]:
    crypto.use_key(Fernet.generate_key())
    with session_factory(engine).begin() as s:
        if s.scalar(select(User.id).where(User.name == "bench")) is None:  # a reused database has it
            create_user(s, "bench", PASSWORD, Role.VIEWER)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789", "MIGRATE": False})
    client = app.test_client()
    login(client, "bench", PASSWORD)
    n = scale.requests
    rng = random.Random(7)

    def dev() -> int:
        return rng.randint(1, scale.devices)

    def hist_if() -> int:  # an interface with the whole retention of samples
        return rng.randint(1, scale.history_devices * IFACES)

    def any_if() -> int:
        return rng.randint(1, scale.interfaces)

    def alarm() -> int:
        return rng.randint(1, int(loaded.rows.get("alarms", 0)) or 1)

    figures: list[Figure] = []

    def page(name: str, paths: Callable[[int], str], count: int = n) -> None:
        time_requests(client, paths, 3)  # warm: templates compiled, caches filled
        times, size = time_requests(client, paths, count)
        figures.append(Figure(name, times, f"{size / 1024:.0f} KiB"))
        print(figures[-1].row(pct(figures[0].times_ms, 0.5)), flush=True)

    page("/health (reference)", lambda k: "/health", n * 2)
    page("device list HTML /devices", lambda k: "/devices", n)
    pages = max(1, scale.devices // 100)
    page("device list HTML, random page", lambda k: f"/devices?page={rng.randint(1, pages)}", n)
    page("device list API /api/v1/devices", lambda k: "/api/v1/devices", n)
    page(
        "device list API, random offset",
        lambda k: f"/api/v1/devices?offset={rng.randrange(scale.devices)}",
        n,
    )
    page("device page HTML /devices/<random>", lambda k: f"/devices/dev{dev():05d}", n)
    page("device API /api/v1/devices/<random>", lambda k: f"/api/v1/devices/dev{dev():05d}", n)
    graph = "/api/v1/interfaces/{}/samples?fields=ts,in_bps,out_bps&range={}"
    page("graph 1h, any interface", lambda k: graph.format(any_if(), "1h"), n)
    page("graph 1d, history interface", lambda k: graph.format(hist_if(), "1d"), n)
    page("graph 7d, history interface", lambda k: graph.format(hist_if(), "7d"), n)
    until = loaded.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    since = (loaded.now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page(
        "graph 30d, history interface",
        lambda k: (
            f"/api/v1/interfaces/{hist_if()}/samples?fields=ts,in_bps,out_bps&since={since}&until={until}"
        ),
        n,
    )
    page("alarm list HTML /alarms (active)", lambda k: "/alarms", n)
    page("alarm list HTML, cleared included", lambda k: "/alarms?cleared=1&suppressed=1", n)
    page("alarm page HTML /alarms/<random>", lambda k: f"/alarms/{alarm()}", n)
    page("alarm list API /api/v1/alarms", lambda k: "/api/v1/alarms", n)
    page("alarm list TMF642", lambda k: "/tmf-api/alarmManagement/v4/alarm?limit=100", n)

    ref = pct(figures[0].times_ms, 0.5)
    print("\n  bare SQL of the main queries (same database, no app):", flush=True)
    sql_refs: list[tuple[str, str, Callable[[int], dict[str, Any]]]] = [
        ("SQL: 100 devices by name", "SELECT * FROM devices ORDER BY name, id LIMIT 100", lambda k: {}),
        ("SQL: all devices by name", "SELECT * FROM devices ORDER BY name, id", lambda k: {}),
        (
            "SQL: one device's interfaces",
            "SELECT * FROM interfaces WHERE device_id = :d ORDER BY if_index",
            lambda k: {"d": dev()},
        ),
        (
            "SQL: 1 day of raw samples, one interface",
            "SELECT ts, in_bps, out_bps FROM interface_samples WHERE interface_id = :i AND ts >= :s ORDER BY ts",
            lambda k: {"i": hist_if(), "s": (loaded.now - timedelta(days=1)).replace(tzinfo=None)},
        ),
        (
            "SQL: 500 active alarms by severity",
            "SELECT * FROM alarms WHERE state IN ('raised', 'updated') AND suppressed_by_id IS NULL "
            "ORDER BY raised_at DESC LIMIT 500",
            lambda k: {},
        ),
    ]
    for name, sql, params in sql_refs:
        time_sql(engine, sql, 3, params)
        figures.append(Figure(name, time_sql(engine, sql, n, params)))
        print(figures[-1].row(ref), flush=True)
    return figures


# ---------------------------------------------------------------------------- main
def report(url: str, engine: Engine, scale: Scale, loaded: Loaded) -> None:
    print(f"\n{scale.requests} requests per page (p50, p95, max; ratio: p50 over /health's p50):")
    figures = measure(url, engine, scale, loaded)
    over = [f.name for f in figures if not f.name.startswith("SQL") and pct(f.times_ms, 0.95) >= TARGET_MS]
    print(f"\npages over the {TARGET_MS:.0f} ms p95 target: {', '.join(over) if over else 'none'}")


def remeasure(url: str, scale: Scale) -> int:
    """Measure a kept database again, after migrating it to head (new indexes)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as c:
            devices = int(c.execute(text("SELECT count(*) FROM devices")).scalar() or 0)
            newest = c.execute(text("SELECT max(ts) FROM interface_samples")).scalar()
            alarms = int(c.execute(text("SELECT max(id) FROM alarms")).scalar() or 0)
        scale = Scale(devices, scale.history_devices, scale.raw_hours, scale.hourly_days, scale.requests)
        if newest is None:
            raise RuntimeError(f"{url} holds no samples: not a database kept by --keep")
        report(url, engine, scale, Loaded({}, {"alarms": alarms}, {}, newest.replace(tzinfo=UTC)))
        return 0
    finally:
        engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 devices, 20 requests per page")
    ap.add_argument("--devices", type=int, default=None)
    ap.add_argument("--history-devices", type=int, default=None)
    ap.add_argument("--raw-hours", type=int, default=2)
    ap.add_argument("--hourly-days", type=int, default=1)
    ap.add_argument("--requests", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database (prints its URL)")
    ap.add_argument(
        "--reuse",
        metavar="URL",
        help="measure a database kept by --keep again (migrated to head first); kept",
    )
    args = ap.parse_args()
    scale = Scale(
        devices=args.devices or (1_000 if args.quick else 10_000),
        history_devices=args.history_devices or (10 if args.quick else 20),
        raw_hours=args.raw_hours,
        hourly_days=args.hourly_days,
        requests=args.requests or (20 if args.quick else 100),
    )
    if args.reuse:
        return remeasure(args.reuse, scale)
    url = pg_database("bench_dashboard")
    if url is None:
        print("dashboard benchmark needs PostgreSQL; skipped")
        return 0
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        upgrade(engine)
        print(
            f"loading {scale.devices:,} devices, {scale.interfaces:,} interfaces; every interface: raw "
            f"samples {scale.raw_hours} h, hourly rollups {scale.hourly_days} d; "
            f"{scale.history_devices} devices ({scale.history_devices * IFACES:,} interfaces): raw "
            f"{RAW_DAYS} d, 5-minute and hourly rollups {HISTORY_DAYS} d; poll every 5 minutes",
            flush=True,
        )
        loaded = load(engine, scale)
        total = time.perf_counter() - start
        print(f"\nloaded in {total:.0f} s (schema and VACUUM ANALYZE included)")
        for t, n in loaded.rows.items():
            print(f"  {t:<32} {n:>12,} rows  {loaded.sizes.get(t, '')}")
        print(f"  database size {loaded.sizes['database']}")
        report(url, engine, scale, loaded)
        return 0
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept {url}")
        else:
            drop_pg(url)


if __name__ == "__main__":
    sys.exit(main())
