"""Rendering a service into the configuration it owns on each of its devices (pure).

The template flavour follows the device's platform: ``eos`` (EOS-like CLI), ``netconf`` (the
XML of the NETCONF models), ``ietf`` (the standard IETF models alone) or ``ios`` (IOS/FRR-like
CLI). XML templates are autoescaped;
CLI templates are not, so every rendered CLI line is checked for control characters (the
schemas already forbid them): a newline smuggled into a parameter would be a second command.
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from provisioners.services.catalog import ServiceError, ServiceModel

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# platform -> (template flavour, change format, CLI dialect)
FLAVOURS: dict[str, tuple[str, str, str]] = {
    "eos": ("eos", "cli", "eos"),
    "srlinux": ("netconf", "netconf", ""),
    "iosxr": ("netconf", "netconf", ""),
    "junos": ("netconf", "netconf", ""),
    "sros": ("netconf", "netconf", ""),
    "frr": ("ios", "cli", "ios"),
    "linux": ("ios", "cli", "ios"),
    "ios": ("ios", "cli", "ios"),
    # Standard IETF models only (ietf-interfaces, ietf-ip): yuma123 netconfd, the netns lab's
    # NETCONF face. Like FRR, it has no subinterfaces or policers: a service owns the port.
    "ietf": ("ietf", "netconf", ""),
}

# Flavours without subinterfaces: a port-based service owns the port itself, not <port>.<vlan>.
PORT_OWNING = frozenset({"ios", "ietf"})

# Parameters a template flavour cannot carry out: refused per field rather than left out, so
# an order never completes without what it asked for.
UNSUPPORTED: dict[tuple[str, str], dict[str, str]] = {
    ("internet-access", "ietf"): {
        "customer_prefix": "static routes are not available on platform ietf (ietf-interfaces and ietf-ip only)"
    },
}

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("xml",), default_for_string=False, default=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
# NETCONF payloads are XML: every value a parameter puts there is escaped.
_xml_env = _env.overlay(autoescape=True)


@dataclass(frozen=True)
class DeviceFacts:
    """What rendering needs to know about a device."""

    name: str
    platform: str
    address: str  # used as the pseudowire neighbour (the device's loopback in a real network)


def flavour(platform: str) -> tuple[str, str, str]:
    try:
        return FLAVOURS[platform]
    except KeyError:
        raise ServiceError({"device": f"no templates for platform {platform!r}"}) from None


def _context(
    model: ServiceModel,
    params: Mapping[str, Any],
    end: Mapping[str, Any],
    peer: Mapping[str, Any] | None,
    facts: Mapping[str, DeviceFacts],
) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    if "ipv4" in params:
        iface = ipaddress.IPv4Interface(params["ipv4"])
        ctx["gateway_ip"] = str(iface.ip)
        ctx["prefix_length"] = iface.network.prefixlen
        hosts = (
            [h for h in iface.network.hosts() if h != iface.ip]
            if iface.network.prefixlen < 31
            else [h for h in iface.network if h != iface.ip]
        )
        ctx["customer_ip"] = str(hosts[0]) if hosts else str(iface.ip)
    if peer is not None:
        ctx["peer_address"] = facts[peer["device"]].address
        ctx["pw_id"] = (
            params.get("pw_id") or (zlib.crc32(str(params["service_id"]).encode()) % 2_000_000_000) + 1
        )
    return ctx


def _check_cli(text: str, device: str) -> None:
    for line in text.splitlines():
        if any(ord(ch) < 0x20 and ch != "\t" for ch in line) or "\x7f" in line:
            raise ServiceError(
                {"params": f"a parameter would put a control character into {device}'s configuration"}
            )


def _with_optionals(model: ServiceModel, params: Mapping[str, Any]) -> dict[str, Any]:
    """Optional parameters present as None, so templates can test them while a misspelt name
    still fails (StrictUndefined)."""
    props = model.schema.get("properties", {})
    return {**{k: None for k in props}, **params}


def render(
    model: ServiceModel, params: Mapping[str, Any], facts: Mapping[str, DeviceFacts]
) -> dict[str, tuple[str, str]]:
    """device -> (format, configuration text) that the service owns there."""
    params = _with_optionals(model, params)
    ends = model.endpoints_of(params)
    out: dict[str, tuple[str, str]] = {}
    for i, end in enumerate(ends):
        name = end["device"]
        if name not in facts:
            field = f"endpoints.{i}.device" if model.endpoints == "pair" else "device"
            raise ServiceError({field: f"unknown device {name!r}"})
        if name in out:
            raise ServiceError({"endpoints": "both ends are on the same device"})
        peer = ends[1 - i] if model.endpoints == "pair" else None
        tmpl_flavour, fmt, _ = flavour(facts[name].platform)
        refused = {
            field: why
            for field, why in UNSUPPORTED.get((model.name, tmpl_flavour), {}).items()
            if params.get(field) is not None
        }
        if refused:
            raise ServiceError(refused)
        template_name = f"{model.name}/{tmpl_flavour}.j2"
        env = _xml_env if fmt == "netconf" else _env
        try:
            template = env.get_template(template_name)
        except TemplateNotFound:
            raise ServiceError(
                {"device": f"{model.name} is not available on platform {facts[name].platform}"}
            ) from None
        ctx = _context(model, params, end, peer, facts)
        text = template.render(svc=params, end=end, peer=peer, ctx=ctx, device=facts[name])
        if fmt == "cli":
            _check_cli(text, name)
        out[name] = (fmt, text)

    return out
