"""Models to JSON documents. The only place that decides what the API shows, so that no
secret can slip out through a generic "dump every column": fields are listed one by one,
and an SNMP profile appears by name only."""

from __future__ import annotations

from typing import Any

from flask import url_for

from inventory.models import Device, HardwareComponent, Interface, InterfaceSample, JobRequest, Link
from inventory.queries import DeviceSummary, RatePoint
from web.formatting import if_status_label, iso_utc, phys_class_label, uptime_seconds

Doc = dict[str, Any]


def device_doc(summary: DeviceSummary) -> Doc:
    d = summary.device
    return {
        "id": d.id,
        "href": url_for("api.get_device", name=d.name),
        "name": d.name,
        "host": d.host,
        "snmp_port": d.snmp_port,
        "platform": d.platform,
        "role": d.role,
        "site": d.site.name if d.site else None,
        "snmp_profile": d.snmp_profile.name if d.snmp_profile else None,
        "enabled": d.enabled,
        "poll_interval_s": d.poll_interval_s,
        "status": d.status.value,
        "status_changed": iso_utc(d.status_changed),
        "sys_name": d.sys_name,
        "sys_descr": d.sys_descr,
        "sys_object_id": d.sys_object_id,
        "sys_location": d.sys_location,
        "sys_contact": d.sys_contact,
        "uptime_ticks": d.uptime_ticks,
        "uptime_seconds": uptime_seconds(d.uptime_ticks),
        "last_seen": iso_utc(d.last_seen),
        "last_discovered": iso_utc(d.last_discovered),
        "last_polled": iso_utc(d.last_polled),
        "last_error": d.last_error,
        "consecutive_failures": d.consecutive_failures,
        "interfaces_up": summary.interfaces_up,
        "interfaces_total": summary.interfaces_total,
        "interfaces_href": url_for("api.list_device_interfaces", name=d.name),
        "created_at": iso_utc(d.created_at),
    }


def component_doc(c: HardwareComponent) -> Doc:
    return {
        "ent_index": c.ent_index,
        "class": phys_class_label(c.phys_class),
        "name": c.name,
        "descr": c.descr,
        "contained_in": c.contained_in,
        "model": c.model,
        "serial": c.serial,
        "mfg_name": c.mfg_name,
        "hardware_rev": c.hardware_rev,
        "firmware_rev": c.firmware_rev,
        "software_rev": c.software_rev,
    }


def device_detail_doc(summary: DeviceSummary) -> Doc:
    doc = device_doc(summary)
    doc["hardware"] = [component_doc(c) for c in summary.device.components]
    return doc


def interface_doc(iface: Interface) -> Doc:
    return {
        "id": iface.id,
        "href": url_for("api.get_interface", interface_id=iface.id),
        "device": iface.device.name,
        "device_href": url_for("api.get_device", name=iface.device.name),
        "if_index": iface.if_index,
        "name": iface.name,
        "descr": iface.descr,
        "alias": iface.alias,
        "if_type": iface.if_type,
        "mtu": iface.mtu,
        "speed_bps": iface.speed_bps,
        "mac": iface.mac,
        "admin_status": iface.admin_status.label,
        "oper_status": iface.oper_status.label,
        "last_change": iso_utc(iface.last_change),
        "counter_bits": iface.counter_bits,
        "present": iface.present,
        "in_bps": iface.in_bps,
        "out_bps": iface.out_bps,
        "utilisation_in": iface.utilisation_in,
        "utilisation_out": iface.utilisation_out,
        "updated_at": iso_utc(iface.updated_at),
        "samples_href": url_for("api.list_interface_samples", interface_id=iface.id),
    }


def sample_doc(s: InterfaceSample) -> Doc:
    return {
        "ts": iso_utc(s.ts),
        "in_bps": s.in_bps,
        "out_bps": s.out_bps,
        "in_pps": s.in_pps,
        "out_pps": s.out_pps,
        "in_errors_ps": s.in_errors_ps,
        "out_errors_ps": s.out_errors_ps,
        "in_discards_ps": s.in_discards_ps,
        "out_discards_ps": s.out_discards_ps,
        "oper_status": if_status_label(s.oper_status),
        "discontinuity": s.discontinuity,
    }


def rollup_doc(p: RatePoint) -> Doc:
    """A bucket of rollups in a sample list: the averages under the sample's names, the
    maxima beside them, and the bucket's length."""
    return {
        "ts": iso_utc(p.ts),
        "period_s": p.period_s,
        "samples": p.samples,
        "in_bps": p.in_bps,
        "in_bps_max": p.in_bps_max,
        "out_bps": p.out_bps,
        "out_bps_max": p.out_bps_max,
        "in_pps": p.in_pps,
        "out_pps": p.out_pps,
        "in_errors_ps": p.in_errors_ps,
        "in_errors_ps_max": p.in_errors_ps_max,
        "out_errors_ps": p.out_errors_ps,
        "out_errors_ps_max": p.out_errors_ps_max,
    }


def _end(iface: Interface | None) -> Doc:
    if iface is None:
        return {"device": None, "interface": None, "interface_id": None, "interface_href": None}
    return {
        "device": iface.device.name,
        "interface": iface.name,
        "interface_id": iface.id,
        "interface_href": url_for("api.get_interface", interface_id=iface.id),
    }


def link_doc(link: Link) -> Doc:
    remote = _end(link.remote_interface)
    remote.update(
        {
            "sys_name": link.remote_sys_name,
            "chassis_id": link.remote_chassis_id,
            "port_id": link.remote_port_id,
            "port_descr": link.remote_port_descr,
        }
    )
    return {
        "id": link.id,
        "source": link.source.value,
        "resolved": link.remote_interface is not None,
        "last_seen": iso_utc(link.last_seen),
        "local": _end(link.local_interface),
        "remote": remote,
    }


def job_doc(row: JobRequest, device: Device) -> Doc:
    return {
        "id": row.id,
        "kind": row.kind,
        "device": device.name,
        "device_href": url_for("api.get_device", name=device.name),
        "requested_by": row.requested_by,
        "created_at": iso_utc(row.created_at),
        "taken_at": iso_utc(row.taken_at),
    }
