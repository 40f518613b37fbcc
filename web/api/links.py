"""/links: LLDP links, each end resolved to an interface where the inventory knows it."""

from __future__ import annotations

from flask import Response

from inventory import queries
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.api.serialize import link_doc
from web.db import db


@bp.get("/links")
def list_links() -> Response:
    offset, limit = paging()
    result = queries.list_links(db(), offset=offset, limit=limit)
    return respond.page((link_doc(link) for link in result.items), result.total)
