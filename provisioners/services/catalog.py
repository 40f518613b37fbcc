"""Loading service models (provisioners/services/models/*.yaml) and validating requests."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

MODELS = Path(__file__).with_name("models")

_formats = FormatChecker()


def _ipv4_interface(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword reports it
    iface = ipaddress.IPv4Interface(value)
    if iface.network.prefixlen < 8 or (
        iface.ip in (iface.network.network_address, iface.network.broadcast_address)
        and iface.network.prefixlen < 31
    ):
        raise ValueError(f"{value} is not a usable host address in its prefix")
    return True


def _ipv4_network(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.IPv4Network(value)  # strict: host bits must be zero
    return True


_formats.checks("ipv4-interface", raises=ValueError)(_ipv4_interface)
_formats.checks("ipv4-network", raises=ValueError)(_ipv4_network)


class ServiceError(ValueError):
    """A request the service model refuses: ``errors`` maps each field path to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ServiceBusy(ServiceError):
    """The service has a transaction in progress (HTTP 409)."""


class NotRollbackable(ServiceError):
    """The transaction cannot be rolled back now (HTTP 409)."""


@dataclass(frozen=True)
class ServiceModel:
    name: str
    description: str
    endpoints: str  # single | pair
    schema: Mapping[str, Any]

    def validate(self, params: Mapping[str, Any]) -> None:
        validator = Draft202012Validator(self.schema, format_checker=_formats)
        errors: dict[str, str] = {}
        for err in sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(p) for p in err.absolute_path) or _missing_field(err) or "(request)"
            errors.setdefault(path, err.message)
        if errors:
            raise ServiceError(errors)

    def endpoints_of(self, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """One dict per device end: {device, port, ...}."""
        if self.endpoints == "pair":
            return list(params["endpoints"])
        return [params]


def _missing_field(err: Any) -> str | None:
    if err.validator == "required":
        # "'port' is a required property"
        return str(err.message).split("'")[1] if "'" in str(err.message) else None
    if err.validator == "additionalProperties":
        return "(request)"
    return None


@cache
def load_models() -> dict[str, ServiceModel]:
    out = {}
    for path in sorted(MODELS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        Draft202012Validator.check_schema(doc["schema"])
        out[doc["name"]] = ServiceModel(
            doc["name"], doc.get("description", ""), doc.get("endpoints", "single"), doc["schema"]
        )
    return out


def model(name: str) -> ServiceModel:
    models = load_models()
    if name not in models:
        raise ServiceError({"service": f"unknown service model {name!r} (have: {', '.join(sorted(models))})"})
    return models[name]
