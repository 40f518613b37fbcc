"""Provisioning as /api/v1 documents: transactions, services, service models, configuration
versions and drift. Fields are listed one by one, as in serialize.py: a transaction device's
running configurations (``pre_config``, ``post_config``) and a configuration access's
credentials are never among them."""

from __future__ import annotations

from typing import Any

from flask import url_for

from inventory.provisioning_models import ConfigVersion, TransactionDevice, TransactionLog
from inventory.queries_provisioning import (
    DriftRow,
    ServiceDetail,
    ServiceRow,
    TransactionDetail,
    TransactionRow,
    VersionSummary,
)
from provisioners.services.catalog import ServiceModel
from web.formatting import iso_utc

Doc = dict[str, Any]


def _tx_href(tx_id: str | None) -> str | None:
    return url_for("api.get_transaction", tx_id=tx_id) if tx_id else None


def _service_href(ref: str | None) -> str | None:
    return url_for("api.get_service", external_id=ref) if ref else None


def _device_brief(td: TransactionDevice) -> Doc:
    return {"device": td.device.name, "state": td.state.value}


def tx_doc(row: TransactionRow) -> Doc:
    tx = row.tx
    return {
        "id": tx.id,
        "href": _tx_href(tx.id),
        "state": tx.state.value,
        "finished": tx.state.terminal,
        "action": tx.action.value if tx.action else None,
        "service": row.service,
        "service_href": _service_href(row.service),
        "model": (tx.request or {}).get("model"),
        "dry_run": tx.dry_run,
        "force": tx.force,
        "origin": tx.origin,
        "created_by": tx.created_by,
        "created_at": iso_utc(tx.created_at),
        "started_at": iso_utc(tx.started_at),
        "finished_at": iso_utc(tx.finished_at),
        "error": tx.error,
        "rollback_of": tx.rollback_of,
        "rollback_of_href": _tx_href(tx.rollback_of),
        "devices": [_device_brief(td) for td in tx.devices],
    }


def _device_doc(td: TransactionDevice) -> Doc:
    return {
        **_device_brief(td),
        "device_href": url_for("api.get_device", name=td.device.name),
        "position": td.position,
        "driver": td.driver,
        "format": td.format,
        "error": td.error,
        "diff": td.diff,  # the device's own diff of the candidate, masked by the agent
        "change": td.payload,  # the native change: CLI commands or a NETCONF edit-config
    }


def _log_doc(entry: TransactionLog) -> Doc:
    return {"at": iso_utc(entry.at), "device": entry.device, "level": entry.level, "message": entry.message}


def tx_detail_doc(detail: TransactionDetail) -> Doc:
    tx = detail.tx
    request = tx.request or {}
    return {
        **tx_doc(detail.row),
        "confirm_timeout_s": tx.confirm_timeout_s,
        "request": {
            "model": request.get("model"),
            "before": request.get("before"),
            "after": request.get("after"),
        },
        "rolled_back_by": [{"id": t, "href": _tx_href(t)} for t in detail.rolled_back_by],
        "devices": [_device_doc(td) for td in tx.devices],
        "log": [_log_doc(e) for e in tx.log],
    }


def service_doc(row: ServiceRow) -> Doc:
    s, inst = row.service, row.instance
    last = inst.last_transaction_id if inst else None
    return {
        "id": s.external_id,
        "href": _service_href(s.external_id),
        "name": s.name,
        "service_type": s.service_type,
        "state": s.state.value,
        "customer": s.customer_ref,
        "model": inst.model if inst else None,
        "version": inst.version if inst else None,
        "devices": row.devices,
        "created_at": iso_utc(s.created_at),
        "last_transaction": last,
        "last_transaction_href": _tx_href(last),
    }


def service_detail_doc(detail: ServiceDetail) -> Doc:
    inst = detail.row.instance
    return {
        **service_doc(detail.row),
        "params": dict(inst.params) if inst else None,
        "transaction_in_progress": detail.busy,
        "fragments": [
            {
                "device": f.device,
                "device_href": url_for("api.get_device", name=f.device),
                "format": f.fragment.format,
                "text": f.fragment.text,
                "transaction": f.fragment.transaction_id,
                "transaction_href": _tx_href(f.fragment.transaction_id),
            }
            for f in detail.fragments
        ],
        "transactions_total": detail.transactions_total,
        "transactions": [tx_doc(r) for r in detail.transactions],
    }


def model_doc(m: ServiceModel) -> Doc:
    return {
        "id": m.name,
        "name": m.name,
        "description": m.description,
        "endpoints": m.endpoints,
        "schema": m.schema,
    }


def summary_of(version: ConfigVersion, device: str) -> VersionSummary:
    return VersionSummary(
        version.id,
        device,
        version.taken_at,
        version.source,
        version.transaction_id,
        version.format,
        version.digest,
        len(version.text),
    )


def version_doc(v: VersionSummary) -> Doc:
    return {
        "id": v.id,
        "href": url_for("api.get_config_version", name=v.device, version_id=v.id),
        "device": v.device,
        "device_href": url_for("api.get_device", name=v.device),
        "taken_at": iso_utc(v.taken_at),
        "source": v.source,
        "transaction": v.transaction_id,
        "transaction_href": _tx_href(v.transaction_id),
        "format": v.format,
        "digest": v.digest,
        "size": v.size,
    }


def version_text_doc(version: ConfigVersion, device: str) -> Doc:
    # Stored masked (the agent masks before it writes): secrets never rest in a version.
    return {**version_doc(summary_of(version, device)), "text": version.text}


def diff_doc(device: str, old: ConfigVersion, new: ConfigVersion, diff: str) -> Doc:
    return {
        "device": device,
        "from": version_doc(summary_of(old, device)),
        "to": version_doc(summary_of(new, device)),
        "diff": diff,
    }


def drift_doc(row: DriftRow) -> Doc:
    a = row.alarm
    service = row.service
    return {
        "id": a.id,
        "href": url_for("api.get_alarm", alarm_id=a.id),
        "device": row.device,
        "device_href": url_for("api.get_device", name=row.device) if a.device else None,
        "service": row.service_ref,
        "service_href": _service_href(service.external_id) if service else None,
        "service_name": service.name if service else None,
        "service_state": service.state.value if service else None,
        "missing": row.missing,
        "added": row.added,
        "since": iso_utc(a.raised_at),
        "last_seen": iso_utc(a.last_occurrence),
        "severity": a.perceived_severity.value,
        "problem": a.specific_problem,
    }
