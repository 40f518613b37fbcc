"""Loading catalog, SLAs and customers from a YAML seed file (idempotent: loading the same
file twice changes nothing; a changed entry is updated in place)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from inventory.bss_models import BillingAccount, Customer, CustomerContact, ProductOffering, Sla
from inventory.domain import Secret
from inventory.envsubst import expand_tree
from provisioners.services.catalog import load_models

DEMO_SEED = Path(__file__).with_name("seeds") / "demo.yaml"


class SeedError(ValueError):
    pass


@dataclass(frozen=True)
class SeedResult:
    slas: int
    offerings: int
    customers: int


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise SeedError(f"{where}: not a number: {value!r}") from exc


def _list(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = doc.get(key) or []
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise SeedError(f"{key}: expected a list of mappings")
    return items


def load_seed(s: Session, doc: Mapping[str, Any]) -> SeedResult:
    if not isinstance(doc, dict):
        raise SeedError("expected a mapping with slas, offerings and customers")
    doc = expand_tree(doc)
    models = load_models()
    for i, raw in enumerate(_list(doc, "slas")):
        where = f"slas[{i}]"
        try:
            bands = [{"below_pct": str(_decimal(b["below_pct"], where)), "credit_pct": str(_decimal(b["credit_pct"], where))}
                     for b in raw.get("credit_bands", [])]  # fmt: skip
            sla = s.get(Sla, raw["id"]) or Sla(id=raw["id"])
            sla.name = str(raw.get("name", raw["id"]))
        except KeyError as exc:
            raise SeedError(f"{where}: missing {exc.args[0]}") from exc
        sla.target_pct = _decimal(raw.get("target_pct", "99.9"), where)
        sla.bands = bands
        sla.cap_pct = _decimal(raw.get("cap_pct", 100), where)
        sla.business_hours = raw.get("business_hours")
        sla.exclude_planned = bool(raw.get("exclude_planned", True))
        s.add(sla)
    s.flush()
    for i, raw in enumerate(_list(doc, "offerings")):
        where = f"offerings[{i}]"
        if raw.get("service_model") not in models:
            raise SeedError(
                f"{where}: unknown service_model {raw.get('service_model')!r} (have {sorted(models)})"
            )
        if raw.get("sla") and s.get(Sla, raw["sla"]) is None:
            raise SeedError(f"{where}: unknown sla {raw['sla']!r}")
        try:
            off = s.get(ProductOffering, raw["id"]) or ProductOffering(id=raw["id"])
            off.name = str(raw["name"])
            off.service_model = str(raw["service_model"])
            off.price = _decimal(raw["price"], where)
            off.currency = str(raw["currency"]).upper()
        except KeyError as exc:
            raise SeedError(f"{where}: missing {exc.args[0]}") from exc
        off.description = str(raw.get("description", ""))
        off.sla_id = raw.get("sla")
        off.fixed_params = dict(raw.get("fixed") or {})
        off.characteristics = [dict(c) for c in raw.get("characteristics") or []]
        for c in off.characteristics:
            if not {"name", "param"} <= set(c):
                raise SeedError(f"{where}: every characteristic needs a name and a param")
        s.add(off)
    s.flush()
    for i, raw in enumerate(_list(doc, "customers")):
        where = f"customers[{i}]"
        if "id" not in raw or "name" not in raw:
            raise SeedError(f"{where}: needs id and name")
        cust = s.get(Customer, raw["id"]) or Customer(id=raw["id"], name=raw["name"])
        cust.name = str(raw["name"])
        s.add(cust)
        s.flush()
        for acc in raw.get("billing_accounts") or []:
            ba = s.get(BillingAccount, acc["id"]) or BillingAccount(
                id=acc["id"], customer_id=cust.id, currency="EUR"
            )
            ba.customer_id = cust.id
            ba.name = str(acc.get("name", ""))
            ba.currency = str(acc.get("currency", "EUR")).upper()
            s.add(ba)
        wanted = []
        for c in raw.get("contacts") or []:
            if c.get("kind") not in ("email", "webhook") or not c.get("address"):
                raise SeedError(f"{where}: a contact needs kind email|webhook and an address")
            wanted.append((c["kind"], str(c["address"]), str(c.get("name", "")), c.get("secret")))
        have = {(x.kind, x.address): x for x in cust.contacts}
        for kind, address, name, secret in wanted:
            row = have.pop((kind, address), None) or CustomerContact(kind=kind, address=address)
            row.name = name
            row.secret = Secret(str(secret)) if secret else None
            if row not in cust.contacts:
                cust.contacts.append(row)
        for stale in have.values():
            cust.contacts.remove(stale)
    s.flush()
    return SeedResult(len(_list(doc, "slas")), len(_list(doc, "offerings")), len(_list(doc, "customers")))


def load_seed_file(s: Session, path: Path) -> SeedResult:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: {exc}") from exc
    return load_seed(s, doc)
