"""The dashboard's service request form, generated from a service model's JSON Schema: one
input per string or integer property (required ones marked), and for an array of objects
(the endpoints of l2vpn-p2p) one group of inputs per item. Parsing the form back gives the
params object the API would take, so both go through the same validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from provisioners.services.catalog import ServiceModel

InputKind = Literal["text", "number"]
MAX_ITEMS = 4  # groups of inputs for an array without maxItems
MAX_VALUE = 255  # characters the form takes in one input


@dataclass(frozen=True)
class FormField:
    name: str  # the form field and the params path: "vlan", "endpoints.0.device"
    label: str
    kind: InputKind
    required: bool
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None
    group: str = ""  # the array item it belongs to ("Endpoint 1"), or "" at the top level


_WORDS = {"id": "ID", "ipv4": "IPv4", "vlan": "VLAN", "pw": "PW", "mbps": "(Mbit/s)"}


def _label(name: str) -> str:
    text = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    return text[:1].upper() + text[1:]


def _field(name: str, prop: Mapping[str, Any], required: bool, group: str = "") -> FormField | None:
    kind = prop.get("type")
    if kind not in ("string", "integer"):
        return None
    return FormField(
        name=name,
        label=_label(name.rsplit(".", 1)[-1]),
        kind="number" if kind == "integer" else "text",
        required=required,
        description=str(prop.get("description", "")),
        minimum=prop.get("minimum") if kind == "integer" else None,
        maximum=prop.get("maximum") if kind == "integer" else None,
        group=group,
    )


def _singular(name: str) -> str:
    return _label(name[:-1] if name.endswith("s") else name)


def form_fields(model: ServiceModel) -> list[FormField]:
    """Inputs for the model's parameters, in the schema's order."""
    schema = model.schema
    required = set(schema.get("required", []))
    out: list[FormField] = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "object":
            items = prop["items"]
            item_required = set(items.get("required", []))
            count = int(prop.get("maxItems") or prop.get("minItems") or MAX_ITEMS)
            for i in range(min(count, MAX_ITEMS)):
                group = f"{_singular(name)} {i + 1}"
                for sub, sub_prop in (items.get("properties") or {}).items():
                    f = _field(
                        f"{name}.{i}.{sub}",
                        sub_prop,
                        name in required and sub in item_required,
                        group,
                    )
                    if f is not None:
                        out.append(f)
            continue
        f = _field(name, prop, name in required)
        if f is not None:
            out.append(f)
    return out


def _value(f: FormField, raw: str) -> Any:
    if f.kind == "number" and re.fullmatch(r"-?\d{1,12}", raw):
        return int(raw)
    return raw  # not a number: the schema reports the field's type


def parse_form(model: ServiceModel, form: Mapping[str, str]) -> dict[str, Any]:
    """The params object from the submitted form; empty inputs are left out."""
    params: dict[str, Any] = {}
    arrays: dict[str, dict[int, dict[str, Any]]] = {}
    for f in form_fields(model):
        raw = str(form.get(f.name, "")).strip()[:MAX_VALUE]
        if not raw:
            continue
        parts = f.name.split(".")
        if len(parts) == 3:
            arrays.setdefault(parts[0], {}).setdefault(int(parts[1]), {})[parts[2]] = _value(f, raw)
        else:
            params[f.name] = _value(f, raw)
    for name, items in arrays.items():
        count = max(items) + 1
        params[name] = [items.get(i, {}) for i in range(count)]
    return params


def form_values(params: Mapping[str, Any]) -> dict[str, str]:
    """A params object as form values (to show a refused form again)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    for sub, v in item.items():
                        out[f"{key}.{i}.{sub}"] = str(v)
        elif value is not None:
            out[key] = str(value)
    return out
