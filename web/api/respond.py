"""JSON responses: single resources and pages with TMF630 headers and field selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, jsonify

from web.api.params import ALWAYS_FIELDS, fields

Doc = dict[str, Any]


def select_fields(doc: Mapping[str, Any], wanted: frozenset[str] | None) -> Doc:
    if wanted is None:
        return dict(doc)
    return {k: v for k, v in doc.items() if k in wanted or k in ALWAYS_FIELDS}


def one(doc: Mapping[str, Any], status: int = 200) -> Response:
    response = jsonify(select_fields(doc, fields()))
    response.status_code = status
    return response


def page(docs: Iterable[Mapping[str, Any]], total: int) -> Response:
    wanted = fields()
    body = [select_fields(d, wanted) for d in docs]
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(body))
    return response
