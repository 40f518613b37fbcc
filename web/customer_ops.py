"""Creating a customer from a TMF629 Customer_Create body: the checks (every field at fault
is reported, not only the first), then the rows, in the caller's transaction."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from inventory import hub
from inventory.bss_models import BillingAccount, Customer, CustomerContact
from inventory.domain import Secret
from inventory.queries_bss import customer_exists
from web.tmf.alarm_input import TYPE_KEYS
from web.tmf.bss_blueprints import Refused

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
MAX_CONTACTS = 20
MAX_ACCOUNTS = 20
MIN_SECRET = 16
KEYS = frozenset({"id", "name", "status", "contactMedium", "account", "engagedParty", *TYPE_KEYS})
MEDIUM_KEYS = frozenset({"mediumType", "preferred", "characteristic", "validFor", *TYPE_KEYS})
CHAR_KEYS = frozenset({"emailAddress", "x_url", "contactType", "x_secret", *TYPE_KEYS})
ACCOUNT_KEYS = frozenset({"id", "name", "x_currency", "@referredType", *TYPE_KEYS})


@dataclass
class _Input:
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, raw: Any, where: str, *, required: bool = False, max_len: int = 255) -> str:
        if raw is None or raw == "":
            if required:
                self.errors[where] = "required"
            return ""
        if not isinstance(raw, str):
            self.errors[where] = "must be a string"
            return ""
        value = raw.strip()
        if required and not value:
            self.errors[where] = "must not be blank"
        elif len(value) > max_len:
            self.errors[where] = f"at most {max_len} characters"
        return value

    def unknown(self, body: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
        allowed = set(allowed)
        for key in body:
            if key not in allowed:
                self.errors[f"{where}{key}"] = "not accepted here"


def _contact(inp: _Input, raw: Any, where: str, allow: list[hub.Network]) -> CustomerContact | None:
    if not isinstance(raw, dict):
        inp.errors[where] = "must be an object {mediumType, characteristic}"
        return None
    inp.unknown(raw, MEDIUM_KEYS, f"{where}.")
    kind = raw.get("mediumType")
    if kind not in ("email", "webhook"):
        inp.errors[f"{where}.mediumType"] = "must be email or webhook"
        return None
    char = raw.get("characteristic")
    if not isinstance(char, dict):
        inp.errors[f"{where}.characteristic"] = "required: an object"
        return None
    inp.unknown(char, CHAR_KEYS, f"{where}.characteristic.")
    name = inp.text(char.get("contactType"), f"{where}.characteristic.contactType")
    if kind == "email":
        at = f"{where}.characteristic.emailAddress"
        address = inp.text(char.get("emailAddress"), at, required=True, max_len=254)
        if address and not EMAIL_RE.fullmatch(address):
            inp.errors[at] = "not an email address"
        if "x_secret" in char:
            inp.errors[f"{where}.characteristic.x_secret"] = "only a webhook has a secret"
        return CustomerContact(kind="email", name=name, address=address)
    at = f"{where}.characteristic.x_url"
    url = inp.text(char.get("x_url"), at, required=True, max_len=2000)
    if url:
        try:
            url = hub.validate_callback(url, allow, resolve=False)
        except hub.HubError as exc:
            inp.errors[at] = str(exc).partition(": ")[2] or str(exc)
    secret = char.get("x_secret")
    if secret is not None and (not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= 255):
        inp.errors[f"{where}.characteristic.x_secret"] = f"a string of {MIN_SECRET} to 255 characters"
        secret = None
    return CustomerContact(kind="webhook", name=name, address=url, secret=Secret(secret) if secret else None)


def create_customer(s: Session, body: Mapping[str, Any], allow: list[hub.Network]) -> Customer:
    """The new customer (flushed), or Refused naming every field at fault (400), or
    409 when the id is taken."""
    inp = _Input()
    inp.unknown(body, KEYS)
    ident = inp.text(body.get("id"), "id", max_len=64)
    if ident and not ID_RE.fullmatch(ident):
        inp.errors["id"] = "letters, digits, '.', '_' and '-' (starting with a letter or digit), at most 64"
    name = inp.text(body.get("name"), "name", required=True)
    status = inp.text(body.get("status"), "status", max_len=32) or "approved"
    contacts: list[CustomerContact] = []
    mediums = body.get("contactMedium") or []
    if not isinstance(mediums, list) or len(mediums) > MAX_CONTACTS:
        inp.errors["contactMedium"] = f"must be a list of at most {MAX_CONTACTS} contact media"
        mediums = []
    for i, raw in enumerate(mediums):
        contact = _contact(inp, raw, f"contactMedium[{i}]", allow)
        if contact is not None:
            contacts.append(contact)
    accounts: list[BillingAccount] = []
    raw_accounts = body.get("account") or []
    if not isinstance(raw_accounts, list) or len(raw_accounts) > MAX_ACCOUNTS:
        inp.errors["account"] = f"must be a list of at most {MAX_ACCOUNTS} billing accounts"
        raw_accounts = []
    for i, raw in enumerate(raw_accounts):
        where = f"account[{i}]"
        if not isinstance(raw, dict):
            inp.errors[where] = "must be an object {id, name}"
            continue
        inp.unknown(raw, ACCOUNT_KEYS, f"{where}.")
        acc_id = inp.text(raw.get("id"), f"{where}.id", required=True, max_len=64)
        if acc_id and not ID_RE.fullmatch(acc_id):
            inp.errors[f"{where}.id"] = "letters, digits, '.', '_' and '-', at most 64"
        currency = inp.text(raw.get("x_currency"), f"{where}.x_currency", max_len=3) or "EUR"
        if not CURRENCY_RE.fullmatch(currency):
            inp.errors[f"{where}.x_currency"] = "an ISO 4217 code such as EUR"
        accounts.append(
            BillingAccount(id=acc_id, name=inp.text(raw.get("name"), f"{where}.name"), currency=currency)
        )
    if inp.errors:
        raise Refused(400, "the customer is not valid", inp.errors)
    ident = ident or f"CUST-{secrets.token_hex(4).upper()}"
    if customer_exists(s, ident):
        raise Refused(409, "the customer exists already", {"id": f"{ident} is taken"})
    taken = [a.id for a in accounts if s.get(BillingAccount, a.id) is not None]
    if taken or len({a.id for a in accounts}) != len(accounts):
        raise Refused(409, "a billing account id is taken", {"account": ", ".join(taken) or "duplicate id"})
    customer = Customer(id=ident, name=name, status=status)
    customer.accounts.extend(accounts)
    customer.contacts.extend(contacts)
    s.add(customer)
    s.flush()
    return customer
